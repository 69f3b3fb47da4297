//! The records the store keeps. Personal fields only ever appear here as [`Sealed`]
//! ciphertext or as blind-index tokens; everything else is plain by design (SPEC section 3).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::access::Role;
use crate::domain::catalog::PaymentMethod;
use crate::domain::checkout::PricedCheckout;
use crate::domain::currency::Currency;
use crate::domain::loyalty::RollingSpend;
use crate::domain::money::Money;
use crate::domain::receipt::ReceiptLanguage;
use crate::domain::schedule::{BookingRules, Closure, OpeningHours};
use crate::domain::tax::{InvoiceTax, TaxAmount, TaxSettings};
use crate::domain::tender::{Settlement, Tender};
use crate::domain::vehicle::VehicleKind;
use crate::ids::RecordId;
use crate::vault::Sealed;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShopSettings {
    pub shop_name: String,
    /// IANA zone name, e.g. `America/Vancouver`.
    pub timezone: String,
    pub currency: Currency,
    pub idle_lock_minutes: u32,
    pub demo: bool,
    pub created_at: DateTime<Utc>,
}

/// argon2id cost parameters, kept beside each password-derived key so they can be upgraded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// The store key sealed under a key derived from one credential (a password or recovery code).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoreKeyWrap {
    pub salt: [u8; 16],
    pub params: KdfParams,
    pub sealed: Sealed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TotpEnrolmentRecord {
    /// The TOTP secret sealed under the store's staff-secret key.
    pub sealed_secret: Sealed,
    /// `None` until the first valid code proves the authenticator was set up.
    pub activated_at: Option<DateTime<Utc>>,
    /// The last accepted 30-second step; a code for this step or earlier is a replay.
    pub last_used_step: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecoveryCodeRecord {
    /// argon2id PHC hash of the code.
    pub hash: String,
    pub store_key_wrap: StoreKeyWrap,
    pub used_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StaffPreferences {
    pub language: Option<String>,
    pub theme: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffRecord {
    pub id: RecordId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub password_hash: String,
    pub store_key_wrap: StoreKeyWrap,
    pub totp: TotpEnrolmentRecord,
    pub recovery_codes: Vec<RecoveryCodeRecord>,
    pub must_change_password: bool,
    /// Bumped when the account is disabled or its credentials are reset; sessions opened under
    /// an older epoch end at their next call.
    pub session_epoch: u32,
    pub preferences: StaffPreferences,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a staff member still has to do before their login is complete: choose their own
/// password (when they were handed a temporary one) and set up their authenticator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingEnrolmentRecord {
    /// `Some` when the current password is a temporary one a manager handed over.
    pub temporary_password: Option<TemporaryPasswordRecord>,
    pub issued_at: DateTime<Utc>,
}

/// A temporary password works for one login, before it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemporaryPasswordRecord {
    pub expires_at: DateTime<Utc>,
    /// Set, with a compare-and-set, by the login that used it.
    pub used_at: Option<DateTime<Utc>>,
}

/// The setup wizard created the shop but its owner has not finished enrolling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnfinishedSetupRecord {
    pub owner: RecordId,
    pub started_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemberRecord {
    pub id: RecordId,
    pub member_number: u64,
    /// This member's data key, sealed under the store's member-wrap key. Destroying it
    /// crypto-shreds every personal field below.
    pub wrapped_key: Sealed,
    pub name: Sealed,
    pub phone: Option<Sealed>,
    pub email: Option<Sealed>,
    pub birthday: Option<Sealed>,
    pub notes: Option<Sealed>,
    /// The blind-index tokens currently pointing at this member, so an update can remove
    /// exactly the stale ones without decrypting the old values.
    pub index_tokens: Vec<[u8; 32]>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What is left of a member whose record is gone: the number stays findable ("#1042 erased",
/// "#1042 merged into #77") and visits, ledger and bookings keep pointing at the id. It holds
/// no personal field and no key. Kept in its own table (postcard records cannot grow fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberTombstone {
    pub id: RecordId,
    pub member_number: u64,
    pub reason: TombstoneReason,
    pub at: DateTime<Utc>,
    pub member_since: DateTime<Utc>,
}

/// Why a member became a tombstone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TombstoneReason {
    /// Erased at the member's request (SPEC section 8).
    Erased,
    /// Anonymised by a retention run after a long time without a visit or booking.
    Retention,
    /// Folded into another member, who keeps the history.
    MergedInto { survivor: RecordId },
}

impl TombstoneReason {
    pub fn as_str(self) -> &'static str {
        match self {
            TombstoneReason::Erased => "erased",
            TombstoneReason::Retention => "retention",
            TombstoneReason::MergedInto { .. } => "merged",
        }
    }
}

/// One line of the erasure ledger: which member was erased and when, nothing else. Kept in
/// the store, carried in every backup and written beside backups, so that restoring an older
/// backup erases again whoever was erased after it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureRecord {
    pub member: RecordId,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VehicleRecord {
    pub id: RecordId,
    pub member_id: RecordId,
    /// Sealed under the owning member's data key.
    pub plate: Sealed,
    pub plate_token: [u8; 32],
    pub kind: VehicleKind,
    pub make_model: Option<String>,
    pub colour: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The shop's booking rules: when it is open and how slots work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleSettings {
    pub hours: OpeningHours,
    pub closures: Vec<Closure>,
    pub rules: BookingRules,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        Self {
            hours: OpeningHours::standard(),
            closures: Vec::new(),
            rules: BookingRules::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BookingState {
    Booked,
    CheckedIn { at: DateTime<Utc> },
    Completed { visit: RecordId },
    Cancelled { at: DateTime<Utc>, reason: String },
    NoShow { at: DateTime<Utc> },
}

impl BookingState {
    /// Whether the booking still holds its bay (cancelled and no-show ones free it).
    pub fn holds_bay(&self) -> bool {
        matches!(
            self,
            BookingState::Booked | BookingState::CheckedIn { .. } | BookingState::Completed { .. }
        )
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            BookingState::Booked => "booked",
            BookingState::CheckedIn { .. } => "checked in",
            BookingState::Completed { .. } => "completed",
            BookingState::Cancelled { .. } => "cancelled",
            BookingState::NoShow { .. } => "no-show",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRecord {
    pub id: RecordId,
    pub member: Option<RecordId>,
    pub vehicle: Option<RecordId>,
    pub bay: RecordId,
    pub service: RecordId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub walk_in: bool,
    pub state: BookingState,
    pub created_by: RecordId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidRecord {
    pub at: DateTime<Utc>,
    pub by: RecordId,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitRecord {
    pub id: RecordId,
    pub member: Option<RecordId>,
    pub vehicle: Option<RecordId>,
    pub booking: Option<RecordId>,
    pub at: DateTime<Utc>,
    pub staff: RecordId,
    /// Lines, reductions and tax, as priced when the visit was paid.
    pub priced: PricedCheckout,
    /// The method that took the most money (or the plan, package or points that covered the
    /// visit), for one-word history lists; the tenders are in `settlement`.
    pub payment: PaymentMethod,
    pub settlement: Settlement,
    /// `None` only for visits paid before receipts were numbered (schema 4 and older).
    pub receipt_number: Option<u64>,
    /// The cash-drawer shift the cash went into, if the cashier had one open.
    pub shift: Option<RecordId>,
    /// Why a manager overrode a price or gave a discount.
    pub adjustment_reason: Option<String>,
    /// The manager who approved an adjustment at a cashier's screen.
    pub approved_by: Option<RecordId>,
    pub points_earned: i64,
    pub points_redeemed: i64,
    pub voided: Option<VoidRecord>,
    pub refunds: Vec<RefundRecord>,
}

/// One unit count of one priced line given back (a domain type, stored as it is).
pub use crate::domain::refund::RefundedLine;

/// Money, points and uses given back for part or all of a visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRecord {
    pub id: RecordId,
    pub at: DateTime<Utc>,
    pub by: RecordId,
    pub approved_by: Option<RecordId>,
    pub reason: String,
    pub receipt_number: u64,
    pub lines: Vec<RefundedLine>,
    /// The pre-tax part refunded.
    pub net: Money,
    pub taxes: Vec<TaxAmount>,
    /// What the customer gets back: net plus tax (tax-inclusive shops: the gross part).
    pub amount: Money,
    pub tenders: Vec<Tender>,
    pub points_reversed: i64,
    pub points_restored: i64,
    pub plan_uses_returned: Vec<RecordId>,
    pub package_uses_returned: Vec<RecordId>,
    pub shift: Option<RecordId>,
}

/// Per-member figures kept current in the same transaction as each visit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberStats {
    pub visits: u32,
    pub last_visit_at: Option<DateTime<Utc>>,
    pub spend: RollingSpend,
    pub points_balance: i64,
}

/// What a sale was for. Plans and packages are paid for when sold or renewed, outside any
/// visit, so they are kept here to appear in the day's takings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SaleKind {
    PlanSold { plan: RecordId },
    PlanRenewed { plan: RecordId },
    PackageSold { package: RecordId },
}

impl SaleKind {
    pub fn is_plan(self) -> bool {
        matches!(
            self,
            SaleKind::PlanSold { .. } | SaleKind::PlanRenewed { .. }
        )
    }
}

/// Money taken for a plan or package, by whom and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleRecord {
    pub id: RecordId,
    pub kind: SaleKind,
    pub member: RecordId,
    /// The price charged before any tax added on top (tax-inclusive shops: the whole price).
    pub amount: Money,
    /// The method that took the most money; the tenders are in `settlement`.
    pub payment: PaymentMethod,
    pub staff: RecordId,
    pub at: DateTime<Utc>,
    /// The price-list product sold; `None` for sales made before the price list existed.
    pub product: Option<RecordId>,
    /// Set when the price differs from the list: a manager's reason, kept with the sale.
    pub off_list_reason: Option<String>,
    pub approved_by: Option<RecordId>,
    pub tax: InvoiceTax,
    pub settlement: Settlement,
    /// `None` only for sales made before receipts were numbered (schema 4 and older).
    pub receipt_number: Option<u64>,
    pub shift: Option<RecordId>,
}

/// What a receipt number was issued for, so any receipt can be printed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReceiptFor {
    Visit(RecordId),
    Refund { visit: RecordId, refund: RecordId },
    Sale(RecordId),
}

/// How the till works: taxes, cash rounding, tips, receipts. One per shop, in the meta table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillSettings {
    pub tax: TaxSettings,
    /// The smallest coin cash totals round to (5 = 0.05 CAD); `None` rounds nothing.
    pub cash_unit: Option<Money>,
    pub tips: bool,
    pub receipt_language: ReceiptLanguage,
    /// A command that prints a receipt from its standard input (`lp -d receipt`); `None`
    /// saves receipts as text files instead.
    pub print_command: Option<String>,
}

/// What a member may be contacted about (SPEC section 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ConsentPurpose {
    Marketing,
    BirthdayOffers,
}

impl ConsentPurpose {
    pub const ALL: [ConsentPurpose; 2] =
        [ConsentPurpose::Marketing, ConsentPurpose::BirthdayOffers];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentPurpose::Marketing => "marketing",
            ConsentPurpose::BirthdayOffers => "birthday_offers",
        }
    }
}

impl std::fmt::Display for ConsentPurpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One grant or withdrawal. Never changed once written: the latest per purpose is the
/// member's current choice, the rest is the history that proves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    pub purpose: ConsentPurpose,
    pub granted: bool,
    pub at: DateTime<Utc>,
    pub staff: RecordId,
    /// The privacy policy version the member was shown, e.g. `2026-01`.
    pub policy_version: String,
}

/// One SSH public key a staff member may use at the SSH layer, on top of password and code.
/// Public keys and their fingerprints are not secrets; the label is the key's own comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffSshKey {
    /// The OpenSSH algorithm name, such as `ssh-ed25519`.
    pub algorithm: String,
    /// The OpenSSH public key line without its comment.
    pub public_key: String,
    /// `SHA256:…`; what identifies the key everywhere else.
    pub fingerprint: String,
    pub label: String,
    pub added_at: DateTime<Utc>,
    pub added_by: RecordId,
}

/// A staff member's SSH keys, stored apart from [`StaffRecord`] under the same id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffSshKeysRecord {
    pub keys: Vec<StaffSshKey>,
    /// Whether a login over SSH must also prove one of `keys`. Never set while `keys` is empty.
    pub required: bool,
}
