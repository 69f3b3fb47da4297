//! One module per screen. The app opens the main screens by [`ScreenKind`]; screens open
//! their own sub-screens (a member's detail, the booking editor, checkout) through `Cx`.

pub mod alerts;
pub mod approval;
pub mod audit;
pub mod booking;
pub mod checkout;
pub mod drawer;
pub mod duplicate_member;
pub mod end_of_day;
pub mod enrol;
pub mod lock;
pub mod login;
pub mod member;
pub mod member_dialogs;
pub mod member_erase;
pub mod member_export;
pub mod member_form;
pub mod member_import;
pub mod member_merge;
pub mod members;
pub mod password;
pub mod preferences;
pub mod price_list;
pub mod pseudonymised_export;
pub mod receipt;
pub mod refund;
pub mod reports;
pub mod settings;
pub mod settings_form;
pub mod setup;
pub mod staff;
pub mod staff_credentials;
pub mod staff_form;
pub mod staff_rename;
pub mod staff_ssh_keys;
pub mod till_settings;
pub mod today;
pub mod walk_in;

use super::view::View;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenKind {
    Today,
    Members,
    Staff,
    Settings,
    Audit,
    EndOfDay,
    Reports,
    Drawer,
    Alerts,
}

impl ScreenKind {
    pub fn manager_only(self) -> bool {
        matches!(
            self,
            ScreenKind::Staff | ScreenKind::Settings | ScreenKind::Audit | ScreenKind::Alerts
        )
    }
}

pub fn open(kind: ScreenKind) -> Box<dyn View> {
    match kind {
        ScreenKind::Today => Box::new(today::TodayView::new()),
        ScreenKind::Members => Box::new(members::MembersView::new()),
        ScreenKind::Staff => Box::new(staff::StaffView::new()),
        ScreenKind::Settings => Box::new(settings::SettingsView::new()),
        ScreenKind::Audit => Box::new(audit::AuditView::new()),
        ScreenKind::EndOfDay => Box::new(end_of_day::EndOfDayView::new()),
        ScreenKind::Drawer => Box::new(drawer::DrawerView::new()),
        ScreenKind::Reports => Box::new(reports::ReportsView::new()),
        ScreenKind::Alerts => Box::new(alerts::AlertsView::new()),
    }
}
