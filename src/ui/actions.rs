//! Every action a key can run. The keymap binds keys to these names, and the same names
//! (with the keymap's descriptions) feed the `?` help and the command palette.

macro_rules! actions {
    ($($variant:ident => $name:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $($variant,)*
        }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The stable name used in keymap files (`run = "..."`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                }
            }

            pub fn from_name(name: &str) -> Option<Action> {
                match name {
                    $($name => Some(Action::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

actions! {
    // Anywhere.
    Help => "help",
    Palette => "palette",
    Back => "back",
    Quit => "quit",
    PrivacyBlank => "privacy_blank",
    Lock => "lock",
    Logout => "logout",
    ChangePassword => "change_password",
    Preferences => "preferences",
    Refresh => "refresh",
    GoToday => "go.today",
    GoMembers => "go.members",
    GoStaff => "go.staff",
    GoSettings => "go.settings",
    GoAudit => "go.audit",
    GoEndOfDay => "go.end_of_day",
    GoReports => "go.reports",
    GoDrawer => "go.drawer",
    GoAlerts => "go.alerts",
    // Moving about lists, tables and forms.
    Up => "up",
    Down => "down",
    Left => "left",
    Right => "right",
    PageUp => "page_up",
    PageDown => "page_down",
    First => "first",
    Last => "last",
    NextField => "next_field",
    PrevField => "prev_field",
    NextTab => "next_tab",
    PrevTab => "prev_tab",
    Select => "select",
    Submit => "submit",
    // The day's work.
    WalkIn => "walk_in",
    FindMember => "find_member",
    NewBooking => "booking.new",
    MoveBooking => "booking.move",
    CancelBooking => "booking.cancel",
    CheckIn => "booking.check_in",
    NoShow => "booking.no_show",
    FirstFreeSlot => "booking.first_free_slot",
    Checkout => "checkout",
    PrevDay => "day.prev",
    NextDay => "day.next",
    ThisDay => "day.today",
    // Members.
    NewMember => "member.new",
    EditMember => "member.edit",
    AddVehicle => "member.add_vehicle",
    RemoveVehicle => "member.remove_vehicle",
    ToggleConsent => "member.toggle_consent",
    SellPlan => "member.sell_plan",
    SellPackage => "member.sell_package",
    SuspendPlan => "member.suspend_plan",
    CancelPlan => "member.cancel_plan",
    AdjustPoints => "member.adjust_points",
    VoidVisit => "visit.void",
    Refund => "visit.refund",
    ExportMemberData => "member.export_data",
    ImportMembers => "member.import",
    MergeMembers => "member.merge",
    EraseMember => "member.erase",
    ExportPseudonymised => "members.export_pseudonymised",
    // Settings screen.
    BackUpNow => "settings.back_up_now",
    // Checkout screen.
    AddLine => "checkout.add_line",
    RemoveLine => "checkout.remove_line",
    RedeemPoints => "checkout.redeem",
    PaymentMethod => "checkout.payment",
    Discount => "checkout.discount",
    // Manager.
    NewStaff => "staff.new",
    DisableStaff => "staff.disable",
    EnableStaff => "staff.enable",
    ResetPassword => "staff.reset_password",
    ResetAuthenticator => "staff.reset_authenticator",
    StaffSshKeys => "staff.ssh_keys",
    ChangeStaffRole => "staff.change_role",
    RenameStaff => "staff.rename",
    AddSshKey => "ssh_keys.add",
    RemoveSshKey => "ssh_keys.remove",
    ToggleSshKeyRequired => "ssh_keys.toggle_required",
    Edit => "edit",
    AddEntry => "settings.add",
    RemoveEntry => "settings.remove",
    Filter => "filter",
    VerifyChain => "audit.verify",
    // Reports.
    ReportDay => "report.day",
    ReportWeek => "report.week",
    ReportMonth => "report.month",
    ReportRange => "report.range",
    ToggleChart => "report.toggle_chart",
    ExportReport => "report.export",
    AcknowledgeAlert => "alerts.acknowledge",
    ShowAllAlerts => "alerts.show_all",
    // Receipts.
    ShowReceipt => "receipt.show",
    PrintReceipt => "receipt.print",
    ReceiptByNumber => "receipt.by_number",
    // A phone, email or plate already on another member.
    OpenDuplicate => "duplicate.open",
    SaveDuplicate => "duplicate.save_anyway",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for action in Action::ALL {
            assert!(
                seen.insert(action.as_str()),
                "duplicate {}",
                action.as_str()
            );
            assert_eq!(Action::from_name(action.as_str()), Some(*action));
        }
    }
}
