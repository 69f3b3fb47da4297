//! One member's complete data as the shop holds it (SPEC section 8): what a manager hands the
//! member who asks. Every field name here is a field name of the JSON export, listed in the
//! README; renaming one is a new [`FORMAT_VERSION`].
//!
//! The report holds personal fields in full, so none of these types prints itself through
//! `Debug`, and the member's own fields are wiped from memory when the report is dropped.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::{Serialize, Serializer};
use zeroize::Zeroize;

use crate::domain::currency::Currency;
use crate::domain::money::Money;
use crate::domain::schedule::format_local;

/// What the JSON export calls itself, so a reader can tell it from other files.
pub const FORMAT_NAME: &str = "frontdesk.member_data";
/// Bumped whenever a field of the JSON export is renamed, removed or changes meaning.
pub const FORMAT_VERSION: u32 = 1;

/// An instant, shown in the shop's time zone. In JSON it is RFC 3339 with the shop's offset
/// (`2026-11-23T09:00:00-08:00`); in the text report `2026-11-23 09:00`, with the zone's
/// abbreviation when that wall-clock time happens twice.
#[derive(Clone, PartialEq, Eq)]
pub struct When {
    pub utc: DateTime<Utc>,
    /// `2026-11-23 09:00` in the shop's zone.
    pub local: String,
    rfc3339: String,
}

impl When {
    pub fn new(tz: Tz, utc: DateTime<Utc>) -> Self {
        Self {
            utc,
            local: format_local(tz, utc),
            rfc3339: utc
                .with_timezone(&tz)
                .to_rfc3339_opts(SecondsFormat::Secs, false),
        }
    }

    /// The JSON form: RFC 3339 with the shop's offset.
    pub fn as_rfc3339(&self) -> &str {
        &self.rfc3339
    }
}

impl Serialize for When {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.rfc3339)
    }
}

/// An amount of money: exact minor units, and as the shop writes it with its currency.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Amount {
    pub minor_units: i64,
    /// `20.00 CAD`
    pub text: String,
}

impl Amount {
    pub fn new(money: Money, currency: &Currency) -> Self {
        Self {
            minor_units: money.minor_units(),
            text: money.format(currency),
        }
    }
}

#[derive(Clone, Serialize)]
pub struct MemberAccessReport {
    /// Always [`FORMAT_NAME`].
    pub format: &'static str,
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    pub generated_at: When,
    pub shop: ShopPart,
    pub member: Profile,
    pub vehicles: Vec<VehiclePart>,
    /// Newest first.
    pub visits: Vec<VisitPart>,
    /// Plans and packages bought, and plan renewals, newest first.
    pub purchases: Vec<PurchasePart>,
    pub points: PointsPart,
    /// Past and future, newest first.
    pub bookings: Vec<BookingPart>,
    pub plans: Vec<PlanPart>,
    pub packages: Vec<PackagePart>,
    /// Every grant and withdrawal, oldest first.
    pub consents: Vec<ConsentPart>,
    /// Who opened or exported this record, oldest first.
    pub record_access: Vec<AccessPart>,
}

impl std::fmt::Debug for MemberAccessReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberAccessReport")
            .field("member_number", &self.member.member_number)
            .field("visits", &self.visits.len())
            .field("bookings", &self.bookings.len())
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Serialize)]
pub struct ShopPart {
    pub name: String,
    /// IANA zone every time in the report is shown in.
    pub timezone: String,
    /// ISO 4217 code of every amount.
    pub currency: String,
}

/// The member's own fields, in full.
#[derive(Clone, Serialize)]
pub struct Profile {
    /// The member's record id (never another member's).
    pub record_id: String,
    pub member_number: u64,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub notes: Option<String>,
    pub tier: String,
    pub points_balance: i64,
    /// Spend over the last twelve months, which sets the tier.
    pub rolling_spend: Amount,
    pub visit_count: u32,
    pub last_visit_at: Option<When>,
    pub member_since: When,
    pub updated_at: When,
}

impl Drop for Profile {
    fn drop(&mut self) {
        self.name.zeroize();
        self.phone.zeroize();
        self.email.zeroize();
        self.notes.zeroize();
    }
}

#[derive(Clone, Serialize)]
pub struct VehiclePart {
    pub plate: String,
    /// `sedan`, `hatchback`, `suv`, `van`, `pickup`, `motorbike` or `other`.
    pub kind: &'static str,
    pub make_model: Option<String>,
    pub colour: Option<String>,
    pub added_at: When,
}

impl Drop for VehiclePart {
    fn drop(&mut self) {
        self.plate.zeroize();
    }
}

#[derive(Clone, Serialize)]
pub struct VisitPart {
    pub at: When,
    /// `null` only for visits paid before receipts were numbered.
    pub receipt_number: Option<u64>,
    /// `null` when no vehicle was named, or the vehicle was removed since.
    pub vehicle_plate: Option<String>,
    /// The staff member who took the payment.
    pub served_by: String,
    pub lines: Vec<LinePart>,
    pub subtotal: Amount,
    pub discount: Amount,
    pub points_used: i64,
    pub points_value: Amount,
    /// After discount and points, before tax added on top.
    pub total: Amount,
    pub tax_included: bool,
    pub taxes: Vec<TaxPart>,
    pub amount_due: Amount,
    pub tip: Amount,
    pub cash_rounding: Amount,
    /// What was taken: amount due, tip and cash rounding.
    pub charged: Amount,
    pub payments: Vec<PaymentPart>,
    pub points_earned: i64,
    pub points_redeemed: i64,
    /// Why a manager changed a price or gave a discount.
    pub adjustment_reason: Option<String>,
    pub voided: Option<VoidPart>,
    pub refunds: Vec<RefundPart>,
}

#[derive(Clone, Serialize)]
pub struct LinePart {
    pub service: String,
    pub quantity: u32,
    pub unit_price: Amount,
    pub amount: Amount,
    /// `plan`, `package` or `points_reward` when that paid for the line.
    pub covered_by: Option<&'static str>,
    pub price_adjusted: bool,
}

#[derive(Clone, Serialize)]
pub struct TaxPart {
    pub name: String,
    pub rate_basis_points: u32,
    pub amount: Amount,
}

#[derive(Clone, Serialize)]
pub struct PaymentPart {
    /// `cash`, `card`, `mobile`, `plan`, `package` or `points`.
    pub method: &'static str,
    pub amount: Amount,
    /// Cash handed over, when more than the amount.
    pub tendered: Option<Amount>,
    pub change: Amount,
}

#[derive(Clone, Serialize)]
pub struct VoidPart {
    pub at: When,
    pub reason: String,
}

#[derive(Clone, Serialize)]
pub struct RefundPart {
    pub at: When,
    pub receipt_number: u64,
    pub amount: Amount,
    pub lines: Vec<RefundLinePart>,
    pub payments: Vec<PaymentPart>,
    pub points_reversed: i64,
    pub points_restored: i64,
    pub reason: String,
}

#[derive(Clone, Serialize)]
pub struct RefundLinePart {
    pub service: String,
    pub quantity: u32,
}

#[derive(Clone, Serialize)]
pub struct PurchasePart {
    pub at: When,
    pub receipt_number: Option<u64>,
    /// `plan_sold`, `plan_renewed` or `package_sold`.
    pub kind: &'static str,
    /// The price-list product's name.
    pub item: String,
    /// The price before any tax added on top.
    pub amount: Amount,
    pub taxes: Vec<TaxPart>,
    pub charged: Amount,
    pub payments: Vec<PaymentPart>,
    pub sold_by: String,
}

#[derive(Clone, Serialize)]
pub struct PointsPart {
    pub balance: i64,
    /// Every lot ever earned, soonest expiry first, with what is left of it.
    pub lots: Vec<LotPart>,
    /// Every ledger entry, oldest first.
    pub entries: Vec<LedgerPart>,
}

#[derive(Clone, Serialize)]
pub struct LotPart {
    pub earned_at: When,
    pub expires_at: When,
    pub points: i64,
    pub remaining: i64,
}

#[derive(Clone, Serialize)]
pub struct LedgerPart {
    pub at: When,
    /// `earn`, `redeem`, `adjust`, `expire` or `reverse`.
    pub kind: &'static str,
    /// Signed: positive added points, negative took them.
    pub points: i64,
    /// The receipt of the visit the entry belongs to.
    pub receipt_number: Option<u64>,
    /// A manual adjustment's reason.
    pub reason: Option<String>,
}

#[derive(Clone, Serialize)]
pub struct BookingPart {
    pub start: When,
    pub end: When,
    pub service: String,
    pub bay: String,
    pub vehicle_plate: Option<String>,
    pub walk_in: bool,
    /// `booked`, `checked_in`, `completed`, `cancelled` or `no_show`.
    pub state: &'static str,
    /// When it was checked in, cancelled or marked a no-show.
    pub state_at: Option<When>,
    pub cancel_reason: Option<String>,
    pub booked_at: When,
}

impl Drop for BookingPart {
    fn drop(&mut self) {
        self.cancel_reason.zeroize();
    }
}

#[derive(Clone, Serialize)]
pub struct PlanPart {
    pub product: Option<String>,
    pub services: Vec<String>,
    pub vehicle_plate: Option<String>,
    pub valid_from: NaiveDate,
    /// The last day it covers.
    pub valid_until: NaiveDate,
    pub washes_per_day: u32,
    pub months_per_term: u32,
    pub price_per_term: Amount,
    /// `active`, `suspended` or `cancelled`.
    pub status: &'static str,
}

#[derive(Clone, Serialize)]
pub struct PackagePart {
    pub product: Option<String>,
    pub service: String,
    pub washes_total: u32,
    pub washes_remaining: u32,
    /// The last day it can be used; `null` never expires.
    pub expires_on: Option<NaiveDate>,
}

#[derive(Clone, Serialize)]
pub struct ConsentPart {
    /// `marketing` or `birthday_offers`.
    pub purpose: &'static str,
    pub granted: bool,
    pub at: When,
    pub recorded_by: String,
    pub policy_version: String,
}

#[derive(Clone, Serialize)]
pub struct AccessPart {
    pub at: When,
    /// The staff member's user name.
    pub staff: String,
    /// `opened` (the record was shown) or `exported` (this report was made).
    pub action: &'static str,
    /// `counter`, `ssh` or `command_line`.
    pub origin: &'static str,
}
