//! What an audit entry records (who, from where, what, on which objects) and its stored form.
//! Entries name objects and fields but never hold personal values.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::RecordId;

/// Where the action came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    /// The counter terminal.
    Local,
    /// An SSH session; `peer` is the client's `ip:port`.
    Ssh { peer: String },
    /// A one-shot command line invocation such as `verify` or `backup`.
    Cli { command: String },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local => f.write_str("local"),
            Self::Ssh { peer } => write!(f, "ssh {peer}"),
            Self::Cli { command } => write!(f, "cli {command}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    Ok,
    Denied,
    Failed,
}

impl Outcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Denied => "denied",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who did it. Staff usernames are not customer data, so they are kept for the reader's sake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    Staff {
        staff_id: RecordId,
        username: String,
    },
    /// The application itself (migrations, retention runs, scheduled work).
    System,
    /// A failed or throttled login: nobody is authenticated yet.
    Anonymous { attempted_username: String },
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Staff { username, .. } => f.write_str(username),
            Self::System => f.write_str("(system)"),
            Self::Anonymous { attempted_username } => write!(f, "(unknown: {attempted_username})"),
        }
    }
}

/// Declares [`AuditAction`] from one table of `Variant => "code"` rows, so adding an action is
/// one line and its code, parser and list of all actions can never drift apart.
macro_rules! audit_actions {
    ($($(#[$doc:meta])* $variant:ident => $code:literal,)+) => {
        /// What happened. Each action has a stable string code; the code (not the variant's
        /// position) is what gets stored and hashed, so variants may be added or reordered freely.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AuditAction {
            $($(#[$doc])* $variant,)+
        }

        impl AuditAction {
            /// Every action, in declaration order.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $code,)+
                }
            }
        }

        impl FromStr for AuditAction {
            type Err = ParseAuditActionError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text.trim() {
                    $($code => Ok(AuditAction::$variant),)+
                    _ => Err(ParseAuditActionError(text.chars().take(40).collect())),
                }
            }
        }
    };
}

audit_actions! {
    StoreInitialised => "store.initialised",
    LoginSucceeded => "login.succeeded",
    LoginFailed => "login.failed",
    LoginThrottled => "login.throttled",
    Logout => "session.logged_out",
    SessionLocked => "session.locked",
    SessionUnlocked => "session.unlocked",
    UnlockFailed => "session.unlock_failed",
    /// A fresh TOTP confirmation before a sensitive action.
    StepUp => "session.stepped_up",
    StepUpFailed => "session.step_up_failed",
    PasswordChanged => "staff.password_changed",
    PasswordChangeFailed => "staff.password_change_failed",
    TotpActivated => "staff.totp_activated",
    TotpReset => "staff.totp_reset",
    RecoveryCodeUsed => "staff.recovery_code_used",
    StaffCreated => "staff.created",
    StaffUpdated => "staff.updated",
    StaffDisabled => "staff.disabled",
    StaffEnabled => "staff.enabled",
    /// A manager made someone a cashier or a manager; their sessions ended.
    StaffRoleChanged => "staff.role_changed",
    /// A manager set a temporary password for someone who forgot theirs.
    PasswordReset => "staff.password_reset",
    /// A first login with a temporary password (or the owner's, during setup): the session
    /// may only finish enrolling.
    EnrolmentStarted => "staff.enrolment_started",
    /// A wrong code while setting up an authenticator.
    EnrolmentFailed => "staff.enrolment_failed",
    /// Own password chosen, authenticator proven, recovery codes issued.
    EnrolmentFinished => "staff.enrolment_finished",
    PreferencesChanged => "staff.preferences_changed",
    SshKeyAdded => "staff.ssh_key_added",
    SshKeyRemoved => "staff.ssh_key_removed",
    /// Whether logins over SSH must also prove one of the staff member's keys.
    SshKeyRequirementChanged => "staff.ssh_key_requirement_changed",
    MemberCreated => "member.created",
    MemberUpdated => "member.updated",
    MemberOpened => "member.opened",
    /// A member or vehicle saved although its phone, email or plate is on another member.
    DuplicateMemberSaved => "member.duplicate_saved",
    MemberSearched => "member.searched",
    /// Data-rights access export of one member's data.
    MemberExported => "member.exported",
    /// The pseudonymised analysis export of all members (row count, months, linkable or not).
    PseudonymisedExported => "members.pseudonymised_exported",
    /// A named export series got its salt, so its exports share pseudonyms.
    PseudonymSeriesCreated => "members.pseudonym_series_created",
    /// Data-rights erasure (crypto-shredding) of one member.
    MemberErased => "member.erased",
    /// Two records of one person folded into one; fields name what came from the absorbed one.
    MemberMerged => "member.merged",
    /// Members brought in from a customer list (`frontdesk import`): one entry per file, with
    /// the member numbers given, the columns and the file's SHA-256; outcome `failed` when the
    /// file was refused and nothing was written.
    MembersImported => "member.imported",
    /// A marketing or birthday-offer consent granted or withdrawn.
    ConsentChanged => "member.consent_changed",
    BookingCreated => "booking.created",
    BookingRescheduled => "booking.rescheduled",
    BookingCancelled => "booking.cancelled",
    BookingCheckedIn => "booking.checked_in",
    BookingNoShow => "booking.no_show",
    VisitCheckedOut => "visit.checked_out",
    VisitVoided => "visit.voided",
    PointsAdjusted => "points.adjusted",
    PointsExpired => "points.expired",
    PlanSold => "plan.sold",
    PlanRenewed => "plan.renewed",
    PlanSuspended => "plan.suspended",
    PlanResumed => "plan.resumed",
    PlanCancelled => "plan.cancelled",
    PackageSold => "package.sold",
    /// A plan or package product added to or changed on the price list.
    PriceListChanged => "catalog.price_list_changed",
    /// A receipt printed again, or sent to the printer.
    ReceiptPrinted => "receipt.printed",
    VisitRefunded => "visit.refunded",
    ShiftOpened => "drawer.shift_opened",
    /// A paid-out or a cash drop during a shift.
    DrawerMovement => "drawer.movement",
    ShiftClosed => "drawer.shift_closed",
    /// A manager approved a cashier's action at the cashier's screen.
    ApprovalGranted => "approval.granted",
    /// A manager's approval typed at a cashier's screen was refused (wrong password or code,
    /// or not a manager); it counts toward that manager's login throttle.
    ApprovalRefused => "approval.refused",
    BayChanged => "catalog.bay_changed",
    ServiceChanged => "catalog.service_changed",
    DemoStoreGenerated => "store.demo_generated",
    VehicleAdded => "vehicle.added",
    VehicleUpdated => "vehicle.updated",
    VehicleRemoved => "vehicle.removed",
    PermissionDenied => "permission.denied",
    SettingsChanged => "settings.changed",
    RetentionRun => "retention.run",
    BackupCreated => "store.backed_up",
    BackupRestored => "store.restored",
    DataImported => "store.imported",
    VerifyRun => "store.verified",
    /// The audit log opened in the viewer (its first page; scrolling is not logged again).
    AuditViewed => "audit.viewed",
    /// The audit hash chain checked from inside the application.
    AuditVerified => "audit.verified",
    TakingsViewed => "report.takings",
    /// A report over a range of days opened (names the range and scope, never a figure).
    ReportViewed => "report.viewed",
    /// A report written to a CSV file (names the report, range and file).
    ReportExported => "report.exported",
    SchemaMigrated => "store.schema_migrated",
    /// The application raised an alert itself (a backup overdue or failed, the audit chain
    /// broken); staff-driven alerts link to the entries that raised them instead.
    AlertRaised => "alert.raised",
    /// A manager acknowledged an alert with a note (kept with the alert, not here).
    AlertAcknowledged => "alert.acknowledged",
    /// A site added to the chain (the objects name its index).
    SiteAdded => "site.added",
    /// A staff account limited to some sites, or let work at every site again.
    StaffSitesChanged => "staff.sites_changed",
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// Stored as its code so that reordering or adding variants never changes old entries' meaning.
impl Serialize for AuditAction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AuditAction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        code.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a known audit action (codes look like `member.opened`); this entry may come from a newer frontdesk"
)]
pub struct ParseAuditActionError(String);

/// An audit entry before it is sealed into the chain. Build it with [`AuditDraft::new`] and the
/// `with_*` helpers; field names are `&'static str` there so a value cannot slip in by accident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditDraft {
    pub actor: Actor,
    pub origin: Origin,
    pub action: AuditAction,
    pub outcome: Outcome,
    /// Record ids and member numbers the action touched.
    pub objects: Vec<String>,
    /// Names of the fields read or changed — never their values.
    pub fields: Vec<String>,
    /// A short non-personal reason, e.g. `permission: manage_staff`.
    pub detail: Option<String>,
    /// The site of the chain the action happened at (0, the first site, for a single shop).
    pub site: u16,
}

impl AuditDraft {
    pub fn new(actor: Actor, origin: Origin, action: AuditAction, outcome: Outcome) -> Self {
        Self {
            actor,
            origin,
            action,
            outcome,
            objects: Vec::new(),
            fields: Vec::new(),
            detail: None,
            site: 0,
        }
    }

    /// Appends to the detail (`; ` between parts), so a caller's note such as who approved the
    /// action survives the detail the action itself adds.
    pub fn add_detail(&mut self, detail: impl Into<String>) {
        let detail = detail.into();
        self.detail = Some(match self.detail.take() {
            Some(existing) => format!("{existing}; {detail}"),
            None => detail,
        });
    }

    /// Adds an object reference: a record id, member number or similar identifier.
    pub fn with_object(mut self, object: impl fmt::Display) -> Self {
        self.objects.push(object.to_string());
        self
    }

    /// Adds a field name. Only static names are accepted, so a field's value cannot be passed.
    pub fn with_field(mut self, name: &'static str) -> Self {
        self.fields.push(name.to_owned());
        self
    }

    pub fn with_fields(mut self, names: &[&'static str]) -> Self {
        self.fields
            .extend(names.iter().map(|name| (*name).to_owned()));
        self
    }

    /// Sets the short non-personal reason.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// A sealed entry: a draft plus its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// 1-based position in the log; also the store key.
    pub seq: u64,
    #[serde(with = "exact_instant")]
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub origin: Origin,
    pub action: AuditAction,
    pub outcome: Outcome,
    pub objects: Vec<String>,
    pub fields: Vec<String>,
    pub detail: Option<String>,
    /// The previous entry's hash ([`super::GENESIS_HASH`] for entry 1).
    pub prev_hash: [u8; 32],
    /// SHA-256 of this entry's canonical encoding (see [`super::entry_hash`]).
    pub hash: [u8; 32],
    /// The site of the chain the action happened at; 0 (the first site) for a single shop.
    /// Stored in the envelope ([`StoredAuditEntry::V2`]) only when it is not 0, so the first
    /// site's entries keep exactly the bytes they had before sites existed.
    #[serde(skip)]
    pub site: u16,
}

/// The versioned envelope entries are stored in, so a later format can be told apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredAuditEntry {
    /// An entry of the first site (every entry written before sites existed).
    V1(AuditEntry),
    /// An entry of another site of the chain, with that site (never 0).
    V2(AuditEntry, u16),
}

/// Serialises exactly like [`StoredAuditEntry`] but borrows, so encoding needs no clone.
#[derive(Serialize)]
enum StoredAuditEntryRef<'a> {
    V1(&'a AuditEntry),
    V2(&'a AuditEntry, u16),
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(
        "an audit entry's stored bytes cannot be read ({0}); the log is damaged or was written by a newer frontdesk — run `frontdesk verify`"
    )]
    Undecodable(#[source] postcard::Error),
    #[error(
        "an audit entry's stored bytes have {extra} unexpected trailing bytes; the log is damaged — run `frontdesk verify`"
    )]
    TrailingBytes { extra: usize },
    #[error(
        "an audit entry is stored with the first site in the form kept for other sites; the log is damaged — run `frontdesk verify`"
    )]
    FirstSiteAsOther,
}

/// The stored form: postcard of `StoredAuditEntry::V1(entry)`.
pub fn encode(entry: &AuditEntry) -> Vec<u8> {
    // Serialising this fixed-shape value into a growable Vec cannot fail: every sequence has
    // a known length and every field is a plain string, integer or byte array.
    let stored = match entry.site {
        0 => StoredAuditEntryRef::V1(entry),
        site => StoredAuditEntryRef::V2(entry, site),
    };
    postcard::to_allocvec(&stored)
        .expect("postcard serialisation of an audit entry into a Vec is infallible")
}

/// Reads the stored form, refusing trailing bytes so that no two byte strings decode alike.
pub fn decode(bytes: &[u8]) -> Result<AuditEntry, AuditError> {
    let (stored, rest) =
        postcard::take_from_bytes::<StoredAuditEntry>(bytes).map_err(AuditError::Undecodable)?;
    if !rest.is_empty() {
        return Err(AuditError::TrailingBytes { extra: rest.len() });
    }
    match stored {
        StoredAuditEntry::V1(entry) => Ok(entry),
        StoredAuditEntry::V2(_, 0) => Err(AuditError::FirstSiteAsOther),
        StoredAuditEntry::V2(mut entry, site) => {
            entry.site = site;
            Ok(entry)
        }
    }
}

/// `DateTime<Utc>` as (seconds, nanoseconds): exact, compact, and valid for every instant chrono
/// can represent (unlike i64 nanoseconds, which end in 2262).
mod exact_instant {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        (at.timestamp(), at.timestamp_subsec_nanos()).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let (secs, nanos) = <(i64, u32)>::deserialize(deserializer)?;
        DateTime::from_timestamp(secs, nanos)
            .ok_or_else(|| serde::de::Error::custom("audit entry time is out of range"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::collections::HashSet;

    fn sample_entry() -> AuditEntry {
        AuditEntry {
            seq: 7,
            at: Utc
                .timestamp_opt(1_767_225_600, 123_456_789)
                .single()
                .unwrap(),
            actor: Actor::Staff {
                staff_id: RecordId::from_u128(42),
                username: "mgr".into(),
            },
            origin: Origin::Ssh {
                peer: "10.0.0.5:52144".into(),
            },
            action: AuditAction::MemberOpened,
            outcome: Outcome::Ok,
            objects: vec!["M-1001".into()],
            fields: vec!["name".into(), "phone".into()],
            detail: Some("permission: open_member".into()),
            prev_hash: [3; 32],
            hash: [9; 32],
            site: 0,
        }
    }

    #[test]
    fn action_codes_are_unique_well_formed_and_round_trip() {
        let mut seen = HashSet::new();
        for action in AuditAction::ALL {
            let code = action.as_str();
            assert!(seen.insert(code), "duplicate code {code}");
            assert!(
                code.contains('.')
                    && code
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'),
                "malformed code {code}"
            );
            assert_eq!(code.parse::<AuditAction>().unwrap(), *action);
        }
        assert_eq!(AuditAction::MemberOpened.as_str(), "member.opened");
        let err = "member.teleported".parse::<AuditAction>().unwrap_err();
        assert!(err.to_string().contains("member.teleported"));
    }

    #[test]
    fn encode_decode_round_trips_exactly_including_nanoseconds() {
        let entry = sample_entry();
        let bytes = encode(&entry);
        assert_eq!(decode(&bytes).unwrap(), entry);
        // The borrowed envelope must be byte-for-byte the documented owned envelope.
        let owned = postcard::to_allocvec(&StoredAuditEntry::V1(entry.clone())).unwrap();
        assert_eq!(bytes, owned);
    }

    #[test]
    fn a_first_site_entry_encodes_as_before_and_another_sites_keeps_its_site() {
        let entry = sample_entry();
        let bytes = encode(&entry);
        // Byte 0 is the envelope's variant: V1, as every entry written before sites.
        assert_eq!(bytes[0], 0);
        let other = AuditEntry { site: 3, ..entry };
        let other_bytes = encode(&other);
        assert_eq!(other_bytes[0], 1);
        assert_eq!(&other_bytes[1..bytes.len()], &bytes[1..]);
        assert_eq!(decode(&other_bytes).unwrap(), other);
        let forged = postcard::to_allocvec(&StoredAuditEntry::V2(sample_entry(), 0)).unwrap();
        assert!(matches!(decode(&forged), Err(AuditError::FirstSiteAsOther)));
    }

    #[test]
    fn action_is_stored_as_its_code() {
        let bytes = encode(&sample_entry());
        assert!(bytes.windows(13).any(|w| w == b"member.opened"));
    }

    #[test]
    fn decode_refuses_trailing_bytes_and_garbage() {
        let mut bytes = encode(&sample_entry());
        bytes.push(0);
        assert!(matches!(
            decode(&bytes),
            Err(AuditError::TrailingBytes { extra: 1 })
        ));
        assert!(matches!(decode(&[]), Err(AuditError::Undecodable(_))));
        assert!(matches!(
            decode(&[7, 1, 2]),
            Err(AuditError::Undecodable(_))
        ));
    }

    #[test]
    fn draft_builder_collects_objects_fields_and_detail() {
        let draft = AuditDraft::new(
            Actor::System,
            Origin::Local,
            AuditAction::MemberUpdated,
            Outcome::Ok,
        )
        .with_object(RecordId::from_u128(5))
        .with_object("M-1001")
        .with_field("phone")
        .with_fields(&["email", "notes"])
        .with_detail("consent withdrawn");
        assert_eq!(draft.objects.len(), 2);
        assert_eq!(draft.fields, ["phone", "email", "notes"]);
        assert_eq!(draft.detail.as_deref(), Some("consent withdrawn"));
    }

    #[test]
    fn displays_are_short_and_readable() {
        assert_eq!(
            Origin::Ssh {
                peer: "1.2.3.4:22".into()
            }
            .to_string(),
            "ssh 1.2.3.4:22"
        );
        assert_eq!(Outcome::Denied.to_string(), "denied");
        assert_eq!(
            Actor::Anonymous {
                attempted_username: "bob".into()
            }
            .to_string(),
            "(unknown: bob)"
        );
    }
}
