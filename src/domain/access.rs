//! Staff roles and the permission matrix (SPEC section 2). The service layer consults this on
//! every call; front ends only use it to decide what to offer.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Cashier,
    Manager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Manager => "manager",
        }
    }

    /// Whether this role sees personal fields unmasked.
    pub fn sees_full_personal_data(self) -> bool {
        matches!(self, Role::Manager)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a role; use `cashier` or `manager`")]
pub struct UnknownRole(String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "cashier" => Ok(Role::Cashier),
            "manager" => Ok(Role::Manager),
            other => Err(UnknownRole(other.chars().take(32).collect())),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("user name: use 2 to 32 characters: lowercase letters, digits, `.`, `_` or `-`")]
pub struct InvalidUsername;

/// Staff user names are case-insensitive and plain ASCII, so they type the same on every
/// keyboard and cannot hide look-alike characters.
pub fn normalize_username(input: &str) -> Result<String, InvalidUsername> {
    let name = input.trim().to_ascii_lowercase();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    if (2..=32).contains(&name.len()) && name.chars().all(allowed) {
        Ok(name)
    } else {
        Err(InvalidUsername)
    }
}

/// Everything a session can ask the service to do that the matrix distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    SearchMembers,
    OpenMember,
    CreateMember,
    EditMember,
    ManageVehicles,
    ViewStaff,
    ManageStaff,
    ResetStaffCredentials,
    ChangeSettings,
    ViewAuditLog,
    ChangeOwnPassword,
    /// Re-entering an authenticator code to confirm identity before a sensitive action.
    ConfirmIdentity,
    /// Create, reschedule, cancel, check in, mark no-show, walk in.
    ManageBookings,
    /// Checkout at catalog prices, with plans, packages and points applied.
    Checkout,
    SellPlans,
    OverridePrice,
    VoidVisit,
    AdjustPoints,
    SuspendOrCancelPlan,
    /// Run the points expiry job by hand (it also runs by itself).
    RunMaintenance,
    /// The end-of-day takings report; a cashier's covers only what they took themselves.
    ViewTakings,
    /// Reports over a day, week, month or range; a cashier's are narrowed to their own
    /// takings of today (the service does that).
    ViewReports,
    /// Write a report to a CSV file (manager).
    ExportReport,
    /// The audit checkpoint (entry count and head hash) shown on the end-of-day screen.
    ReadAuditCheckpoint,
    /// One's own language and theme.
    EditOwnPreferences,
    /// Write an encrypted snapshot of the whole store to a file.
    MakeBackup,
    /// Give back money, points and uses for chosen lines or an amount of a visit.
    RefundVisit,
    /// Open and close one's own cash-drawer shift, record paid-outs and drops.
    UseCashDrawer,
    /// Save a member or vehicle whose phone, email or plate is already on another member,
    /// after the desk was shown that member (points and history would otherwise split).
    SaveDuplicateMember,
    /// Change another account's role, or any account's display name (after a fresh code).
    EditStaffAccount,
    /// Give one member all the data the shop holds about them, as a file (SPEC section 8).
    ExportMemberData,
    /// Bring a customer list in from a file, creating every member in it (after a fresh code).
    ImportMembers,
    /// Check a customer list against the store without importing it (a dry run).
    PreviewMemberImport,
    /// Fold two records of the same person into one (after a fresh code).
    MergeMembers,
    /// Compare two records side by side before merging them.
    PreviewMemberMerge,
    /// Erase one member for good: their key, record, vehicles and index entries (SPEC 8).
    EraseMember,
    /// List members past the retention period, and anonymise them (SPEC section 8).
    RunRetention,
    /// Write the pseudonymised analysis export of all members (no identifiers, no personal
    /// fields) to a file.
    ExportPseudonymised,
    /// See anomaly alerts and the audit entries behind them.
    ViewAlerts,
    /// Acknowledge an alert with a note.
    AcknowledgeAlert,
    /// Add sites to the chain, list them, and limit staff accounts to some of them.
    ManageSites,
}

impl Operation {
    /// A stable name used in audit entries and error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::SearchMembers => "search_members",
            Operation::OpenMember => "open_member",
            Operation::CreateMember => "create_member",
            Operation::EditMember => "edit_member",
            Operation::ManageVehicles => "manage_vehicles",
            Operation::ViewStaff => "view_staff",
            Operation::ManageStaff => "manage_staff",
            Operation::ResetStaffCredentials => "reset_staff_credentials",
            Operation::ChangeSettings => "change_settings",
            Operation::ViewAuditLog => "view_audit_log",
            Operation::ChangeOwnPassword => "change_own_password",
            Operation::ConfirmIdentity => "confirm_identity",
            Operation::ManageBookings => "manage_bookings",
            Operation::Checkout => "checkout",
            Operation::SellPlans => "sell_plans",
            Operation::OverridePrice => "override_price",
            Operation::VoidVisit => "void_visit",
            Operation::AdjustPoints => "adjust_points",
            Operation::SuspendOrCancelPlan => "suspend_or_cancel_plan",
            Operation::RunMaintenance => "run_maintenance",
            Operation::ViewTakings => "view_takings",
            Operation::ViewReports => "view_reports",
            Operation::ExportReport => "export_report",
            Operation::ReadAuditCheckpoint => "read_audit_checkpoint",
            Operation::EditOwnPreferences => "edit_own_preferences",
            Operation::MakeBackup => "make_backup",
            Operation::RefundVisit => "refund_visit",
            Operation::UseCashDrawer => "use_cash_drawer",
            Operation::SaveDuplicateMember => "save_duplicate_member",
            Operation::EditStaffAccount => "edit_staff_account",
            Operation::ExportMemberData => "export_member_data",
            Operation::ImportMembers => "import_members",
            Operation::PreviewMemberImport => "preview_member_import",
            Operation::MergeMembers => "merge_members",
            Operation::PreviewMemberMerge => "preview_member_merge",
            Operation::EraseMember => "erase_member",
            Operation::RunRetention => "run_retention",
            Operation::ExportPseudonymised => "export_pseudonymised",
            Operation::ViewAlerts => "view_alerts",
            Operation::AcknowledgeAlert => "acknowledge_alert",
            Operation::ManageSites => "manage_sites",
        }
    }

    /// How the matrix answers for a role.
    pub fn rule_for(self, role: Role) -> Rule {
        use Operation::*;
        match (self, role) {
            (
                SearchMembers | OpenMember | CreateMember | EditMember | ManageVehicles
                | ChangeOwnPassword | ConfirmIdentity | ManageBookings | Checkout | SellPlans
                | ViewTakings | ViewReports | ReadAuditCheckpoint | EditOwnPreferences
                | UseCashDrawer,
                _,
            ) => Rule::Allowed,
            (
                ViewStaff | ManageStaff | ChangeSettings | ViewAuditLog | OverridePrice | VoidVisit
                | AdjustPoints | SuspendOrCancelPlan | RunMaintenance | MakeBackup | RefundVisit
                | SaveDuplicateMember | PreviewMemberImport | PreviewMemberMerge | ExportReport
                | ViewAlerts | AcknowledgeAlert | ManageSites,
                Role::Manager,
            ) => Rule::Allowed,
            (
                ResetStaffCredentials
                | EditStaffAccount
                | ExportMemberData
                | ImportMembers
                | MergeMembers
                | EraseMember
                | RunRetention
                | ExportPseudonymised,
                Role::Manager,
            ) => Rule::AfterStepUp,
            (
                ViewStaff
                | ManageStaff
                | ChangeSettings
                | ViewAuditLog
                | ResetStaffCredentials
                | EditStaffAccount
                | ExportMemberData
                | EraseMember
                | RunRetention
                | ExportPseudonymised
                | OverridePrice
                | VoidVisit
                | AdjustPoints
                | SuspendOrCancelPlan
                | RunMaintenance
                | MakeBackup
                | RefundVisit
                | SaveDuplicateMember
                | ImportMembers
                | PreviewMemberImport
                | MergeMembers
                | PreviewMemberMerge
                | ExportReport
                | ViewAlerts
                | AcknowledgeAlert
                | ManageSites,
                Role::Cashier,
            ) => Rule::Denied,
        }
    }
}

impl Operation {
    /// Operations a cashier may do once when a manager approves it at the cashier's screen
    /// with their own password and a fresh code (SPEC section 2).
    pub fn manager_may_approve(self) -> bool {
        matches!(
            self,
            Operation::OverridePrice
                | Operation::RefundVisit
                | Operation::VoidVisit
                | Operation::AdjustPoints
                | Operation::SaveDuplicateMember
        )
    }
}

/// The matrix's answer for one role and operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Allowed,
    /// Allowed only within a few minutes of re-entering a TOTP code.
    AfterStepUp,
    Denied,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cashier_is_refused_every_manager_only_operation() {
        for operation in [
            Operation::ViewStaff,
            Operation::ManageStaff,
            Operation::ResetStaffCredentials,
            Operation::EditStaffAccount,
            Operation::ExportMemberData,
            Operation::ExportPseudonymised,
            Operation::ChangeSettings,
            Operation::ViewAuditLog,
            Operation::OverridePrice,
            Operation::VoidVisit,
            Operation::AdjustPoints,
            Operation::SuspendOrCancelPlan,
            Operation::RunMaintenance,
            Operation::MakeBackup,
            Operation::RefundVisit,
            Operation::SaveDuplicateMember,
            Operation::ImportMembers,
            Operation::PreviewMemberImport,
            Operation::MergeMembers,
            Operation::PreviewMemberMerge,
        ] {
            assert_eq!(
                operation.rule_for(Role::Cashier),
                Rule::Denied,
                "{operation:?}"
            );
            assert_ne!(
                operation.rule_for(Role::Manager),
                Rule::Denied,
                "{operation:?}"
            );
        }
    }

    #[test]
    fn both_roles_work_the_counter() {
        for operation in [
            Operation::SearchMembers,
            Operation::OpenMember,
            Operation::CreateMember,
            Operation::EditMember,
            Operation::ManageVehicles,
            // The report itself narrows a cashier's takings to their own.
            Operation::ViewTakings,
            Operation::ViewReports,
            Operation::ReadAuditCheckpoint,
            Operation::EditOwnPreferences,
            Operation::UseCashDrawer,
        ] {
            assert_eq!(operation.rule_for(Role::Cashier), Rule::Allowed);
            assert_eq!(operation.rule_for(Role::Manager), Rule::Allowed);
        }
    }

    #[test]
    fn credential_resets_need_a_fresh_step_up() {
        assert_eq!(
            Operation::ResetStaffCredentials.rule_for(Role::Manager),
            Rule::AfterStepUp
        );
    }

    #[test]
    fn a_member_data_export_is_a_managers_after_a_fresh_code() {
        assert_eq!(
            Operation::ExportMemberData.rule_for(Role::Manager),
            Rule::AfterStepUp
        );
        assert_eq!(
            Operation::ExportMemberData.rule_for(Role::Cashier),
            Rule::Denied
        );
        assert!(!Operation::ExportMemberData.manager_may_approve());
        assert_eq!(
            Operation::ExportPseudonymised.rule_for(Role::Manager),
            Rule::AfterStepUp
        );
        assert!(!Operation::ExportPseudonymised.manager_may_approve());
    }

    #[test]
    fn an_import_needs_a_fresh_step_up_and_its_dry_run_a_manager() {
        assert_eq!(
            Operation::ImportMembers.rule_for(Role::Manager),
            Rule::AfterStepUp
        );
        assert_eq!(
            Operation::PreviewMemberImport.rule_for(Role::Manager),
            Rule::Allowed
        );
    }

    #[test]
    fn usernames_are_folded_and_restricted() {
        assert_eq!(normalize_username("  Manager ").unwrap(), "manager");
        assert!(normalize_username("a").is_err());
        assert!(normalize_username("li wei").is_err());
        assert!(normalize_username("张伟").is_err());
    }

    #[test]
    fn roles_parse_case_insensitively() {
        assert_eq!("Manager".parse::<Role>().unwrap(), Role::Manager);
        assert!("owner".parse::<Role>().is_err());
    }
}
