//! One member at the counter: a header (number, name, tier, points, visits) and tabs for the
//! profile, vehicles, points, plans and packages, visits, bookings and consents, with the
//! actions that belong to each.
//!
//! The record is opened once (`open_member`, which a manager's audit trail records); later
//! refreshes reload only the member's activity, and the edit forms hand their result back
//! through an [`Outbox`], so the trail shows one opening per time the record was opened.

use chrono::{DateTime, Datelike, Duration, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::approval::with_manager_approval;
use super::booking::BookingEditor;
use super::checkout::CheckoutView;
use super::member_dialogs::{Choice, DialogKind, MemberDialog};
use super::member_erase;
use super::member_export;
use super::member_form::{FormOutcome, MemberFormView, Outbox, VehicleFormView, vehicle_label};
use super::member_merge;
use super::members::{BIRTHDAY_MARKER, HIGHLIGHT, flex_widths, personal_cell, text_cell};
use super::refund;
use crate::domain::access::{Operation, Role};
use crate::domain::catalog::ServiceItem;
use crate::domain::loyalty::{EntryKind, LedgerEntry};
use crate::domain::money::Money;
use crate::domain::plans::{Package, Plan, PlanStatus};
use crate::domain::price_list::Product;
use crate::ids::RecordId;
use crate::service::{
    BirthdayView, BookingView, ConsentPurpose, ConsentView, MemberDetail, PointsView, ServiceError,
    TombstoneView, VehicleView, VisitView,
};
use crate::store::records::{BookingState, MemberStats};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::text::{pad, safe, truncate, width};
use crate::ui::view::{BLANKED, Cx, Handled, Prompt, PromptAnswer, RenderCx, View, describe_error};
use crate::ui::widgets::table::RowCursor;

const PAGE_ROWS: usize = 10;
/// Lots expiring within this many days are drawn as a warning.
const EXPIRY_WARNING_DAYS: i64 = 60;
const CONTEXTS: &[KeyContext] = &[KeyContext::Member, KeyContext::List];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Profile,
    Vehicles,
    Points,
    Plans,
    Visits,
    Bookings,
    Consents,
}

impl Tab {
    const ALL: [Tab; 7] = [
        Tab::Profile,
        Tab::Vehicles,
        Tab::Points,
        Tab::Plans,
        Tab::Visits,
        Tab::Bookings,
        Tab::Consents,
    ];

    fn title(self) -> &'static str {
        match self {
            Tab::Profile => "Profile",
            Tab::Vehicles => "Vehicles",
            Tab::Points => "Points",
            Tab::Plans => "Plans & packages",
            Tab::Visits => "Visits",
            Tab::Bookings => "Bookings",
            Tab::Consents => "Consents",
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    /// The keys worth showing under this tab (all remain available everywhere).
    fn actions(self) -> &'static [Action] {
        match self {
            Tab::Profile => &[
                Action::EditMember,
                Action::NewBooking,
                Action::Checkout,
                Action::AddVehicle,
            ],
            Tab::Vehicles => &[
                Action::AddVehicle,
                Action::Select,
                Action::RemoveVehicle,
                Action::NewBooking,
                Action::Checkout,
            ],
            Tab::Points => &[Action::AdjustPoints],
            Tab::Plans => &[
                Action::SellPlan,
                Action::SellPackage,
                Action::SuspendPlan,
                Action::CancelPlan,
            ],
            Tab::Visits => &[
                Action::ShowReceipt,
                Action::Refund,
                Action::VoidVisit,
                Action::Checkout,
            ],
            Tab::Bookings => &[Action::NewBooking],
            Tab::Consents => &[Action::ToggleConsent],
        }
    }
}

/// A consent as the Consents tab shows it: one row per purpose, asked or not.
struct ConsentRow {
    purpose: ConsentPurpose,
    current: Option<ConsentView>,
}

/// The rows of the Consents tab from what the service reports (purposes never asked about
/// are absent there and shown as "not asked" here).
fn consent_rows(consents: &[ConsentView]) -> Vec<ConsentRow> {
    ConsentPurpose::ALL
        .iter()
        .map(|purpose| ConsentRow {
            purpose: *purpose,
            current: consents.iter().find(|c| c.purpose == *purpose).cloned(),
        })
        .collect()
}

/// Records a grant or withdrawal and returns the member's consents afterwards.
fn record_consent(
    cx: &Cx,
    member: RecordId,
    purpose: ConsentPurpose,
    granted: bool,
) -> Result<Vec<ConsentView>, ServiceError> {
    cx.service
        .set_consent(cx.session, member, purpose, granted)?;
    cx.service.member_consents(cx.session, member)
}

fn purpose_label(purpose: ConsentPurpose) -> &'static str {
    match purpose {
        ConsentPurpose::Marketing => "Marketing messages",
        ConsentPurpose::BirthdayOffers => "Birthday offers",
    }
}

fn entry_label(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Earn => "earned",
        EntryKind::Redeem => "redeemed",
        EntryKind::Adjust => "adjusted",
        EntryKind::Expire => "expired",
        EntryKind::Reverse => "reversed",
    }
}

/// A confirmed action waiting for the prompt's answer.
#[derive(Debug, Clone, Copy)]
enum Pending {
    RemoveVehicle(RecordId),
    SuspendPlan(RecordId),
    ResumePlan(RecordId),
    CancelPlan(RecordId),
    VoidVisit(RecordId),
    Consent(ConsentPurpose, bool),
    /// The manager's code for exporting this member's data.
    ExportData,
    /// The manager's code for erasing this member.
    Erase,
}

/// A row of the Plans & packages tab.
#[derive(Debug, Clone, Copy)]
enum PlanRow {
    Plan(usize),
    Package(usize),
}

pub struct MemberView {
    member: RecordId,
    detail: Option<MemberDetail>,
    /// The record is opened (an audited read) on the first refresh and on an explicit reload.
    needs_open: bool,
    /// Why the record could not be opened, already translated.
    load_error: Option<String>,
    /// The member is gone (erased, anonymised, merged): the number and why, nothing else.
    gone: Option<TombstoneView>,
    points: Option<PointsView>,
    stats: Option<MemberStats>,
    plans: Vec<Plan>,
    packages: Vec<Package>,
    services: Vec<ServiceItem>,
    visits: Vec<VisitView>,
    bookings: Vec<BookingView>,
    consents: Vec<ConsentView>,
    tab: Tab,
    cursors: [RowCursor; 7],
    pending: Option<Pending>,
    outbox: Outbox,
}

impl MemberView {
    pub fn new(member: RecordId) -> Self {
        Self {
            member,
            detail: None,
            needs_open: true,
            load_error: None,
            gone: None,
            points: None,
            stats: None,
            plans: Vec::new(),
            packages: Vec::new(),
            services: Vec::new(),
            visits: Vec::new(),
            bookings: Vec::new(),
            consents: Vec::new(),
            tab: Tab::Profile,
            cursors: [RowCursor::default(); 7],
            pending: None,
            outbox: Outbox::default(),
        }
    }

    /// A member the staff member has just registered: the record is already in hand.
    pub fn opened(detail: MemberDetail) -> Self {
        let mut view = Self::new(detail.id);
        view.consents = detail.consents.clone();
        view.detail = Some(detail);
        view.needs_open = false;
        view
    }

    fn cursor(&self, tab: Tab) -> &RowCursor {
        &self.cursors[tab.index()]
    }

    fn selected(&self, tab: Tab) -> Option<usize> {
        self.cursor(tab).selected()
    }

    fn vehicles(&self) -> &[VehicleView] {
        self.detail.as_ref().map_or(&[], |d| d.vehicles.as_slice())
    }

    fn plan_rows(&self) -> Vec<PlanRow> {
        (0..self.plans.len())
            .map(PlanRow::Plan)
            .chain((0..self.packages.len()).map(PlanRow::Package))
            .collect()
    }

    fn selected_plan(&self) -> Option<&Plan> {
        match self.plan_rows().get(self.selected(Tab::Plans)?)? {
            PlanRow::Plan(index) => self.plans.get(*index),
            PlanRow::Package(_) => None,
        }
    }

    fn service_name(&self, id: RecordId) -> String {
        self.services
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| "?".to_owned(), |s| safe(&s.name).into_owned())
    }

    /// The vehicle a booking or checkout is for: the one selected on the Vehicles tab, or the
    /// member's only one.
    fn chosen_vehicle(&self) -> Option<RecordId> {
        let vehicles = self.vehicles();
        if self.tab == Tab::Vehicles
            && let Some(vehicle) = self.selected(Tab::Vehicles).and_then(|i| vehicles.get(i))
        {
            return Some(vehicle.id);
        }
        match vehicles {
            [only] => Some(only.id),
            _ => None,
        }
    }

    fn sync_cursors(&mut self) {
        let lens = [
            0,
            self.vehicles().len(),
            self.points.as_ref().map_or(0, |p| p.entries.len()),
            self.plans.len() + self.packages.len(),
            self.visits.len(),
            self.bookings.len(),
            ConsentPurpose::ALL.len(),
        ];
        for (cursor, len) in self.cursors.iter_mut().zip(lens) {
            cursor.set_len(len);
        }
    }

    /// Applies what the edit forms changed.
    fn take_outbox(&mut self) {
        for outcome in self.outbox.take() {
            match outcome {
                FormOutcome::Member(detail) => {
                    self.consents = detail.consents.clone();
                    self.detail = Some(detail);
                }
                FormOutcome::VehicleAdded(vehicle) => {
                    if let Some(detail) = &mut self.detail {
                        detail.vehicles.push(vehicle);
                    }
                }
                FormOutcome::VehicleUpdated(vehicle) => {
                    if let Some(detail) = &mut self.detail
                        && let Some(slot) = detail.vehicles.iter_mut().find(|v| v.id == vehicle.id)
                    {
                        *slot = vehicle;
                    }
                }
            }
        }
    }

    /// The member's activity: none of it is a personal field, so reloading it is not an
    /// access to the record.
    fn load_activity(&mut self, cx: &Cx) -> Result<(), ServiceError> {
        let service = cx.service;
        let session = cx.session;
        self.points = Some(service.member_points(session, self.member)?);
        self.stats = Some(service.member_stats(session, self.member)?);
        let (plans, packages) = service.member_plans(session, self.member)?;
        self.plans = plans;
        self.packages = packages;
        self.services = service.list_services(session)?;
        self.visits = service.member_visits(session, self.member)?;
        self.bookings = service.member_bookings(session, self.member)?;
        self.consents = service.member_consents(session, self.member)?;
        Ok(())
    }

    /// Moves to `tab` and says what to pick when an action needs a row there first.
    fn needs_row(&mut self, tab: Tab, message: &'static str, cx: &mut Cx) {
        self.tab = tab;
        cx.notice(cx.tr(message));
    }

    fn on_member_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        let member = self.member;
        match action {
            Action::EditMember => {
                if let Some(detail) = &self.detail {
                    cx.push(MemberFormView::edit(detail, self.outbox.clone(), cx.lang));
                }
            }
            Action::AddVehicle => {
                cx.push(VehicleFormView::add(member, self.outbox.clone(), cx.lang));
            }
            Action::Select if self.tab == Tab::Vehicles => {
                let masked = self.detail.as_ref().is_some_and(|d| d.masked);
                if let Some(vehicle) = self
                    .selected(Tab::Vehicles)
                    .and_then(|i| self.vehicles().get(i))
                {
                    cx.push(VehicleFormView::edit(
                        vehicle,
                        masked,
                        self.outbox.clone(),
                        cx.lang,
                    ));
                }
            }
            Action::RemoveVehicle => {
                let Some(vehicle) = (self.tab == Tab::Vehicles)
                    .then(|| self.selected(Tab::Vehicles))
                    .flatten()
                    .and_then(|i| self.vehicles().get(i))
                else {
                    self.needs_row(
                        Tab::Vehicles,
                        "Choose the vehicle to remove, then press the key again.",
                        cx,
                    );
                    return Handled::Yes;
                };
                let message = cx.lang.fill(
                    "Remove {vehicle} from this member? Its past visits stay on record.",
                    &[("vehicle", &vehicle_label(vehicle, cx.lang))],
                );
                self.pending = Some(Pending::RemoveVehicle(vehicle.id));
                cx.prompt(Prompt::confirm(
                    "member.remove_vehicle",
                    "Remove vehicle?",
                    message,
                ));
            }
            Action::NewBooking => {
                cx.push(BookingEditor::new(Some(member), self.chosen_vehicle()));
            }
            Action::Checkout => {
                cx.push(CheckoutView::new(None, Some(member), self.chosen_vehicle()));
            }
            Action::SellPlan => self.sell_or_renew_plan(cx),
            Action::SellPackage => {
                let products = product_choices(cx, false);
                if products.is_empty() {
                    cx.notice(cx.tr(
                        "There is no package on the price list; a manager adds packages in Settings.",
                    ));
                } else {
                    let kind = DialogKind::SellPackage {
                        products,
                        manager: cx.role == Role::Manager,
                    };
                    cx.push(MemberDialog::new(member, kind, cx.lang));
                }
            }
            Action::SuspendPlan | Action::CancelPlan => self.confirm_plan_change(action, cx),
            Action::AdjustPoints => {
                let balance = self.points.as_ref().map_or(0, |p| p.balance);
                let kind = DialogKind::AdjustPoints { balance };
                // A cashier hears that a manager must approve before typing anything.
                with_manager_approval(
                    cx,
                    Operation::AdjustPoints,
                    Box::new(move |cx| cx.push(MemberDialog::new(member, kind, cx.lang))),
                );
            }
            Action::VoidVisit => {
                let Some(visit) = (self.tab == Tab::Visits)
                    .then(|| self.selected(Tab::Visits))
                    .flatten()
                    .and_then(|i| self.visits.get(i))
                else {
                    self.needs_row(
                        Tab::Visits,
                        "Choose the visit to void, then press the key again.",
                        cx,
                    );
                    return Handled::Yes;
                };
                if visit.voided {
                    cx.notice(cx.tr("That visit is already voided."));
                    return Handled::Yes;
                }
                let message = cx.lang.fill(
                    "Void the visit of {when} ({total})? Its points are reversed and plan or package use given back.",
                    &[
                        ("when", &safe(&visit.at_local)),
                        ("total", &visit.total.format(&cx.shop.currency)),
                    ],
                );
                self.pending = Some(Pending::VoidVisit(visit.id));
                let prompt = Prompt::confirm("visit.void", "Void visit?", message).with_reason();
                // The confirmation (with its reason) comes after a manager's approval, so this
                // screen is back on top to receive the answer.
                with_manager_approval(
                    cx,
                    Operation::VoidVisit,
                    Box::new(move |cx| cx.prompt(prompt)),
                );
            }
            Action::Refund => {
                let Some(visit) = (self.tab == Tab::Visits)
                    .then(|| self.selected(Tab::Visits))
                    .flatten()
                    .and_then(|i| self.visits.get(i))
                else {
                    self.needs_row(
                        Tab::Visits,
                        "Choose the visit to refund, then press the key again.",
                        cx,
                    );
                    return Handled::Yes;
                };
                refund::open_refund(cx, visit.id);
            }
            Action::MergeMembers => {
                let number = self.detail.as_ref().map_or(0, |d| d.member_number);
                member_merge::open(cx, self.member, number, self.outbox.clone());
            }
            Action::ExportMemberData => {
                let number = self.detail.as_ref().map_or(0, |d| d.member_number);
                if member_export::ask(cx, number) {
                    self.pending = Some(Pending::ExportData);
                }
            }
            Action::EraseMember => {
                let number = self.detail.as_ref().map_or(0, |d| d.member_number);
                if member_erase::ask(cx, number) {
                    self.pending = Some(Pending::Erase);
                }
            }
            Action::ShowReceipt => {
                let visit = (self.tab == Tab::Visits)
                    .then(|| self.selected(Tab::Visits))
                    .flatten()
                    .and_then(|i| self.visits.get(i));
                super::receipt::open_for_visit(cx, visit.map(|v| v.id));
            }
            Action::ToggleConsent => {
                if self.tab != Tab::Consents {
                    self.needs_row(
                        Tab::Consents,
                        "Choose the consent to change, then press the key again.",
                        cx,
                    );
                    return Handled::Yes;
                }
                let rows = consent_rows(&self.consents);
                let Some(row) = self.selected(Tab::Consents).and_then(|i| rows.get(i)) else {
                    return Handled::Yes;
                };
                let grant = !row.current.as_ref().is_some_and(|c| c.granted);
                let purpose = cx.tr(purpose_label(row.purpose));
                let message = if grant {
                    cx.lang.fill(
                        "Record that the member agrees to: {purpose}?",
                        &[("purpose", purpose)],
                    )
                } else {
                    cx.lang.fill(
                        "Record that the member withdraws consent to: {purpose}?",
                        &[("purpose", purpose)],
                    )
                };
                self.pending = Some(Pending::Consent(row.purpose, grant));
                let mut prompt = Prompt::confirm("member.consent", "Change consent?", message);
                prompt.destructive = false;
                cx.prompt(prompt);
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn sell_or_renew_plan(&mut self, cx: &mut Cx) {
        if self.tab == Tab::Plans
            && let Some(plan) = self.selected_plan()
            && plan.status != PlanStatus::Cancelled
        {
            let kind = DialogKind::RenewPlan {
                plan: plan.id,
                price_per_term: plan.price_per_term,
                months_per_term: plan.months_per_term,
                valid_until: plan.valid_until,
            };
            cx.push(MemberDialog::new(self.member, kind, cx.lang));
            return;
        }
        let vehicles: Vec<Choice> = self
            .vehicles()
            .iter()
            .map(|v| (v.id, vehicle_label(v, cx.lang)))
            .collect();
        if vehicles.is_empty() {
            cx.notice(cx.tr("Add a vehicle first: a plan belongs to one vehicle."));
            return;
        }
        let products = product_choices(cx, true);
        if products.is_empty() {
            cx.notice(
                cx.tr("There is no plan on the price list; a manager adds plans in Settings."),
            );
            return;
        }
        let kind = DialogKind::SellPlan {
            vehicles,
            products,
            manager: cx.role == Role::Manager,
        };
        cx.push(MemberDialog::new(self.member, kind, cx.lang));
    }

    fn confirm_plan_change(&mut self, action: Action, cx: &mut Cx) {
        let Some(plan) = (self.tab == Tab::Plans)
            .then(|| self.selected_plan())
            .flatten()
        else {
            self.needs_row(Tab::Plans, "Choose the plan, then press the key again.", cx);
            return;
        };
        let until = plan.valid_until.format("%Y-%m-%d").to_string();
        let (pending, tag, title, message) = match (action, plan.status) {
            (_, PlanStatus::Cancelled) => {
                cx.notice(cx.tr("That plan is cancelled."));
                return;
            }
            (Action::CancelPlan, _) => (
                Pending::CancelPlan(plan.id),
                "member.cancel_plan",
                "Cancel plan?",
                cx.lang.fill(
                    "Cancel the plan valid until {date}? It stops covering washes now.",
                    &[("date", &until)],
                ),
            ),
            (_, PlanStatus::Active) => (
                Pending::SuspendPlan(plan.id),
                "member.suspend_plan",
                "Suspend plan?",
                cx.lang.fill(
                    "Suspend the plan valid until {date}? It covers no washes until resumed.",
                    &[("date", &until)],
                ),
            ),
            (_, PlanStatus::Suspended) => (
                Pending::ResumePlan(plan.id),
                "member.resume_plan",
                "Resume plan?",
                cx.lang
                    .fill("Resume the plan valid until {date}?", &[("date", &until)]),
            ),
        };
        self.pending = Some(pending);
        cx.prompt(Prompt::confirm(tag, title, message));
    }

    fn reload(&mut self, cx: &mut Cx) {
        if let Err(error) = self.load_activity(cx) {
            cx.fail(&error);
        }
        self.sync_cursors();
    }
}

impl View for MemberView {
    fn title(&self) -> &'static str {
        "Member"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        CONTEXTS
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.take_outbox();
        if self.gone.is_some() {
            return;
        }
        if self.needs_open {
            match cx.service.open_member(cx.session, self.member) {
                Ok(detail) => {
                    self.detail = Some(detail);
                    self.needs_open = false;
                    self.load_error = None;
                }
                Err(error) => {
                    if matches!(error, ServiceError::NotFound("member"))
                        && let Ok(Some(gone)) = cx.service.member_tombstone(cx.session, self.member)
                    {
                        self.gone = Some(gone);
                        self.needs_open = false;
                        return;
                    }
                    self.load_error = Some(describe_error(&error, cx.lang));
                    cx.fail(&error);
                    return;
                }
            }
        }
        self.reload(cx);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        match action {
            Action::NextTab | Action::PrevTab => {
                let count = Tab::ALL.len();
                let step = if action == Action::NextTab {
                    1
                } else {
                    count - 1
                };
                self.tab = Tab::ALL[(self.tab.index() + step) % count];
                return Handled::Yes;
            }
            // Opening the record again on request is an access like the first.
            Action::Refresh => {
                self.needs_open = true;
                self.refresh(cx);
                return Handled::Yes;
            }
            Action::Back => return Handled::No,
            _ => {}
        }
        if self.detail.is_none() {
            return Handled::No;
        }
        let tab = self.tab;
        if self.cursors[tab.index()].on_action(action, PAGE_ROWS) {
            return Handled::Yes;
        }
        self.on_member_action(action, cx)
    }

    fn on_prompt(&mut self, _tag: &'static str, answer: PromptAnswer, cx: &mut Cx) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        let service = cx.service;
        let session = cx.session;
        let result: Result<&'static str, ServiceError> = match pending {
            Pending::RemoveVehicle(vehicle) => service.remove_vehicle(session, vehicle).map(|()| {
                if let Some(detail) = &mut self.detail {
                    detail.vehicles.retain(|v| v.id != vehicle);
                }
                "Vehicle removed."
            }),
            Pending::SuspendPlan(plan) => service
                .suspend_plan(session, plan)
                .map(|_| "Plan suspended."),
            Pending::ResumePlan(plan) => {
                service.resume_plan(session, plan).map(|_| "Plan resumed.")
            }
            Pending::CancelPlan(plan) => service
                .cancel_plan(session, plan)
                .map(|_| "Plan cancelled."),
            Pending::VoidVisit(visit) => service
                .void_visit(session, visit, &answer.reason)
                .map(|()| "Visit voided."),
            Pending::Consent(purpose, granted) => record_consent(cx, self.member, purpose, granted)
                .map(|consents| {
                    self.consents = consents;
                    if granted {
                        "Consent recorded."
                    } else {
                        "Withdrawal recorded."
                    }
                }),
            // The code confirmed, the export's own dialog takes over.
            Pending::ExportData => {
                let number = self.detail.as_ref().map_or(0, |d| d.member_number);
                member_export::after_code(cx, &answer.code, self.member, number);
                return;
            }
            // The receipt is pushed above this screen, which shows the tombstone from now on.
            Pending::Erase => {
                if let Some(gone) = member_erase::after_code(cx, &answer.code, self.member) {
                    self.gone = Some(gone);
                    self.detail = None;
                }
                return;
            }
        };
        match result {
            Ok(notice) => {
                cx.changed();
                cx.notice(cx.tr(notice));
                self.reload(cx);
            }
            Err(error) => cx.fail(&error),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        if let Some(gone) = &self.gone {
            member_erase::render_tombstone(gone, frame, area, rx);
            return;
        }
        let Some(detail) = &self.detail else {
            let text = self
                .load_error
                .clone()
                .unwrap_or_else(|| rx.tr("Opening the member…").to_owned());
            frame.render_widget(
                Paragraph::new(Span::styled(safe(&text).into_owned(), rx.theme.muted))
                    .wrap(Wrap { trim: true }),
                area,
            );
            return;
        };
        let [header, tabs, rule, body, hints] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas(area);
        self.render_header(detail, frame, header, rx);
        self.render_tabs(frame, tabs, rx);
        frame.render_widget(
            Paragraph::new(Span::styled(
                "─".repeat(usize::from(rule.width)),
                rx.theme.border,
            )),
            rule,
        );
        match self.tab {
            Tab::Profile => self.render_profile(detail, frame, body, rx),
            Tab::Vehicles => self.render_vehicles(detail, frame, body, rx),
            Tab::Points => self.render_points(frame, body, rx),
            Tab::Plans => self.render_plans(detail, frame, body, rx),
            Tab::Visits => self.render_visits(frame, body, rx),
            Tab::Bookings => self.render_bookings(frame, body, rx),
            Tab::Consents => self.render_consents(frame, body, rx),
        }
        render_hints(self.tab, frame, hints, rx);
    }
}

/// The tab's keys, from the keymap, as many as fit.
fn render_hints(tab: Tab, frame: &mut Frame, area: Rect, rx: &RenderCx) {
    let room = usize::from(area.width);
    let mut used = 0;
    let mut spans = Vec::new();
    for action in tab.actions() {
        let Some(binding) = rx.keymap.binding_for(CONTEXTS, *action) else {
            continue;
        };
        let Some(key) = binding.keys.first() else {
            continue;
        };
        let key = key.to_string();
        let desc = if *action == Action::Select {
            rx.tr("Edit the selected vehicle")
        } else {
            rx.lang.tr_dynamic(&binding.desc)
        };
        let cost = width(&key) + width(desc) + 3;
        if used + cost > room {
            break;
        }
        used += cost;
        spans.push(Span::styled(format!(" {key}"), rx.theme.key));
        spans.push(Span::styled(format!(" {desc} "), rx.theme.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn label(rx: &RenderCx, english: &'static str, cells: usize) -> Span<'static> {
    Span::styled(pad(rx.tr(english), cells), rx.theme.header)
}

fn local_date(rx: &RenderCx, at: DateTime<Utc>) -> String {
    at.with_timezone(&rx.shop.tz).format("%Y-%m-%d").to_string()
}

fn table<'a>(header: Row<'a>, rows: Vec<Row<'a>>, widths: &[usize], rx: &RenderCx) -> Table<'a> {
    let constraints: Vec<Constraint> = widths
        .iter()
        .map(|w| Constraint::Length(u16::try_from(*w).unwrap_or(0)))
        .collect();
    Table::new(rows, constraints)
        .header(header)
        .row_highlight_style(rx.theme.selection)
        .highlight_symbol(HIGHLIGHT)
        .column_spacing(1)
}

/// Widths of a tab's table: fixed columns and flexible ones sharing the rest.
fn columns(area: Rect, fixed: &[usize], weights: &[usize]) -> Vec<usize> {
    let total = usize::from(area.width).saturating_sub(width(HIGHLIGHT));
    flex_widths(total, fixed, weights)
}

fn empty(frame: &mut Frame, area: Rect, rx: &RenderCx, english: &'static str) {
    frame.render_widget(
        Paragraph::new(Span::styled(rx.tr(english), rx.theme.muted)).wrap(Wrap { trim: true }),
        area,
    );
}

impl MemberView {
    fn render_header(&self, detail: &MemberDetail, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let mut spans = vec![
            Span::styled(format!("#{} ", detail.member_number), rx.theme.title),
            rx.personal(&detail.name, detail.masked),
        ];
        let dot = || Span::styled("  ·  ", rx.theme.muted);
        if let Some(points) = &self.points {
            spans.push(dot());
            spans.push(Span::styled(
                rx.lang.fill(
                    "{tier} tier",
                    &[("tier", rx.lang.tr_dynamic(&safe(&points.tier)))],
                ),
                rx.theme.accent,
            ));
            spans.push(dot());
            spans.push(Span::raw(
                rx.lang
                    .fill("{n} points", &[("n", &points.balance.to_string())]),
            ));
        }
        if let Some(stats) = &self.stats {
            spans.push(dot());
            spans.push(Span::raw(match stats.visits {
                1 => rx.tr("1 visit").to_owned(),
                n => rx.lang.fill("{n} visits", &[("n", &n.to_string())]),
            }));
        }
        if birthday_this_month(detail, rx) && !rx.blank {
            spans.push(Span::styled(
                format!("  {BIRTHDAY_MARKER} {}", rx.tr("birthday this month")),
                rx.theme.accent,
            ));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
    }

    fn render_tabs(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let mut spans = Vec::new();
        for (index, tab) in Tab::ALL.iter().enumerate() {
            if index > 0 {
                spans.push(Span::styled("│", rx.theme.border));
            }
            let style = if *tab == self.tab {
                rx.theme.selection
            } else {
                rx.theme.muted
            };
            spans.push(Span::styled(format!(" {} ", rx.tr(tab.title())), style));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
    }

    fn render_profile(&self, detail: &MemberDetail, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        const LABEL: usize = 18;
        let mut lines = Vec::new();
        let personal_line = |english: &'static str, value: Option<&crate::service::ShownText>| {
            let value = match value {
                Some(text) => rx.personal(text, detail.masked),
                None => Span::styled("—", rx.theme.muted),
            };
            Line::from(vec![label(rx, english, LABEL), value])
        };
        lines.push(personal_line("Name", Some(&detail.name)));
        lines.push(personal_line("Mobile phone", detail.phone.as_ref()));
        lines.push(personal_line("Email", detail.email.as_ref()));
        let birthday = match (&detail.birthday, rx.blank) {
            (None, _) => Span::styled("—", rx.theme.muted),
            (Some(_), true) => Span::styled(BLANKED, rx.theme.masked),
            (Some(BirthdayView::Date(date)), false) => {
                let mut text = date.format("%Y-%m-%d").to_string();
                if date.month() == rx.today().month() {
                    text.push_str(&format!("  {BIRTHDAY_MARKER} {}", rx.tr("this month")));
                }
                Span::raw(text)
            }
            (Some(BirthdayView::Hidden { this_month: true }), false) => Span::styled(
                format!("{BIRTHDAY_MARKER} {}", rx.tr("birthday this month")),
                rx.theme.accent,
            ),
            (Some(BirthdayView::Hidden { this_month: false }), false) => {
                Span::styled(rx.tr("hidden"), rx.theme.masked)
            }
        };
        lines.push(Line::from(vec![label(rx, "Birthday", LABEL), birthday]));
        lines.push(Line::from(vec![
            label(rx, "Member since", LABEL),
            Span::raw(local_date(rx, detail.created_at)),
        ]));
        if let Some(stats) = &self.stats {
            let last = stats
                .last_visit_at
                .map_or_else(|| rx.tr("never").to_owned(), |at| rx.date_time(at));
            lines.push(Line::from(vec![
                label(rx, "Last visit", LABEL),
                Span::raw(last),
            ]));
        }
        if let Some(points) = &self.points {
            lines.push(Line::from(vec![
                label(rx, "Spend, 12 months", LABEL),
                Span::raw(rx.money(Money::from_minor(points.rolling_spend_minor))),
            ]));
        }
        lines.push(Line::from(vec![
            label(rx, "Vehicles", LABEL),
            Span::raw(detail.vehicles.len().to_string()),
        ]));
        lines.push(Line::from(""));
        lines.push(Line::from(label(rx, "Notes", LABEL)));
        match &detail.notes {
            None => lines.push(Line::from(Span::styled(rx.tr("none"), rx.theme.muted))),
            Some(_) if rx.blank => lines.push(Line::from(Span::styled(BLANKED, rx.theme.masked))),
            Some(notes) => {
                for line in notes.as_str().lines() {
                    lines.push(Line::from(format!("  {}", safe(line))));
                }
            }
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    }

    fn render_vehicles(&self, detail: &MemberDetail, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        if detail.vehicles.is_empty() {
            empty(frame, area, rx, "No vehicles yet. Press v to add one.");
            return;
        }
        const PLATE: usize = 12;
        const KIND: usize = 10;
        let w = columns(area, &[PLATE, KIND], &[2, 1]);
        let header = Row::new(vec![
            text_cell(rx.tr("Plate"), PLATE, rx.theme.header),
            text_cell(rx.tr("Type"), KIND, rx.theme.header),
            text_cell(rx.tr("Make and model"), w[0], rx.theme.header),
            text_cell(rx.tr("Colour"), w[1], rx.theme.header),
        ]);
        let rows = detail
            .vehicles
            .iter()
            .map(|v| {
                let optional = |text: &Option<String>, cells| match text {
                    Some(text) => text_cell(&safe(text), cells, rx.theme.base),
                    None => text_cell("—", cells, rx.theme.muted),
                };
                Row::new(vec![
                    personal_cell(rx, &v.plate, detail.masked, PLATE),
                    text_cell(rx.tr(v.kind.as_str()), KIND, rx.theme.base),
                    optional(&v.make_model, w[0]),
                    optional(&v.colour, w[1]),
                ])
            })
            .collect();
        let widths = [PLATE, KIND, w[0], w[1]];
        let mut state = TableState::default().with_selected(self.selected(Tab::Vehicles));
        frame.render_stateful_widget(table(header, rows, &widths, rx), area, &mut state);
    }

    fn render_points(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let Some(points) = &self.points else {
            empty(frame, area, rx, "Points could not be loaded.");
            return;
        };
        let [summary, lots, ledger] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(2),
            Constraint::Min(1),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(
                    rx.lang
                        .fill("Balance {n} points", &[("n", &points.balance.to_string())]),
                    rx.theme.title,
                ),
                Span::styled("  ·  ", rx.theme.muted),
                Span::raw(rx.lang.fill(
                    "tier {tier}",
                    &[("tier", rx.lang.tr_dynamic(&safe(&points.tier)))],
                )),
            ])),
            summary,
        );
        let soon = rx.now + Duration::days(EXPIRY_WARNING_DAYS);
        let mut lot_spans = vec![Span::styled(
            format!("{} ", rx.tr("Expiring:")),
            rx.theme.header,
        )];
        if points.lots.is_empty() {
            lot_spans.push(Span::styled(rx.tr("nothing"), rx.theme.muted));
        }
        for (index, (expires, left)) in points.lots.iter().take(3).enumerate() {
            if index > 0 {
                lot_spans.push(Span::raw(", "));
            }
            let style = if *expires <= soon {
                rx.theme.warning
            } else {
                rx.theme.base
            };
            lot_spans.push(Span::styled(
                rx.lang.fill(
                    "{n} on {date}",
                    &[
                        ("n", &left.to_string()),
                        ("date", &local_date(rx, *expires)),
                    ],
                ),
                style,
            ));
        }
        frame.render_widget(Paragraph::new(Line::from(lot_spans)), lots);
        if points.entries.is_empty() {
            empty(frame, ledger, rx, "No points yet.");
            return;
        }
        const DATE: usize = 16;
        const KIND: usize = 10;
        const POINTS: usize = 7;
        let w = columns(ledger, &[DATE, KIND, POINTS], &[1]);
        let header = Row::new(vec![
            text_cell(rx.tr("When"), DATE, rx.theme.header),
            text_cell(rx.tr("Change"), KIND, rx.theme.header),
            text_cell(rx.tr("Points"), POINTS, rx.theme.header),
            text_cell(rx.tr("Reason"), w[0], rx.theme.header),
        ]);
        let rows = points
            .entries
            .iter()
            .map(|entry: &LedgerEntry| {
                let style = if entry.points < 0 {
                    rx.theme.warning
                } else {
                    rx.theme.ok
                };
                let reason = match (&entry.reason, entry.visit) {
                    (Some(reason), _) => safe(reason).into_owned(),
                    (None, Some(_)) => rx.tr("visit").to_owned(),
                    (None, None) => String::new(),
                };
                Row::new(vec![
                    text_cell(&rx.date_time(entry.at), DATE, rx.theme.base),
                    text_cell(rx.tr(entry_label(entry.kind)), KIND, rx.theme.base),
                    Cell::from(Span::styled(
                        format!("{:>POINTS$}", format!("{:+}", entry.points)),
                        style,
                    )),
                    text_cell(&reason, w[0], rx.theme.base),
                ])
            })
            .collect();
        let widths = [DATE, KIND, POINTS, w[0]];
        let mut state = TableState::default().with_selected(self.selected(Tab::Points));
        frame.render_stateful_widget(table(header, rows, &widths, rx), ledger, &mut state);
    }

    fn render_plans(&self, detail: &MemberDetail, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let rows_data = self.plan_rows();
        if rows_data.is_empty() {
            empty(
                frame,
                area,
                rx,
                "No plans or packages. Press p to sell a monthly plan, P for a package.",
            );
            return;
        }
        const KIND: usize = 8;
        const PLATE: usize = 10;
        const UNTIL: usize = 10;
        const STATUS: usize = 9;
        let w = columns(area, &[KIND, PLATE, UNTIL, STATUS], &[1, 1]);
        let header = Row::new(vec![
            text_cell(rx.tr("Kind"), KIND, rx.theme.header),
            text_cell(rx.tr("Covers"), w[0], rx.theme.header),
            text_cell(rx.tr("Vehicle"), PLATE, rx.theme.header),
            text_cell(rx.tr("Until"), UNTIL, rx.theme.header),
            text_cell(rx.tr("Terms"), w[1], rx.theme.header),
            text_cell(rx.tr("Status"), STATUS, rx.theme.header),
        ]);
        let rows = rows_data
            .iter()
            .filter_map(|row| match row {
                PlanRow::Plan(index) => self.plans.get(*index).map(|plan| {
                    let covers = plan
                        .services
                        .iter()
                        .map(|id| self.service_name(*id))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let vehicle = detail.vehicles.iter().find(|v| v.id == plan.vehicle);
                    let vehicle_cell = match vehicle {
                        Some(v) => personal_cell(rx, &v.plate, detail.masked, PLATE),
                        None => text_cell(rx.tr("removed"), PLATE, rx.theme.muted),
                    };
                    let terms = if plan.months_per_term == 1 {
                        rx.lang.fill(
                            "{price}/month",
                            &[("price", &rx.money(plan.price_per_term))],
                        )
                    } else {
                        rx.lang.fill(
                            "{price}/{months} mo",
                            &[
                                ("price", &rx.money(plan.price_per_term)),
                                ("months", &plan.months_per_term.to_string()),
                            ],
                        )
                    };
                    let status_style = match plan.status {
                        PlanStatus::Active => rx.theme.ok,
                        PlanStatus::Suspended => rx.theme.warning,
                        PlanStatus::Cancelled => rx.theme.cancelled,
                    };
                    Row::new(vec![
                        text_cell(rx.tr("Plan"), KIND, rx.theme.base),
                        text_cell(&covers, w[0], rx.theme.base),
                        vehicle_cell,
                        text_cell(
                            &plan.valid_until.format("%Y-%m-%d").to_string(),
                            UNTIL,
                            rx.theme.base,
                        ),
                        text_cell(&terms, w[1], rx.theme.base),
                        text_cell(rx.tr(plan.status.as_str()), STATUS, status_style),
                    ])
                }),
                PlanRow::Package(index) => self.packages.get(*index).map(|package| {
                    let terms = rx.lang.fill(
                        "{left} of {total} left",
                        &[
                            ("left", &package.remaining.to_string()),
                            ("total", &package.total.to_string()),
                        ],
                    );
                    let until = package
                        .expires_on
                        .map_or_else(|| "—".to_owned(), |d| d.format("%Y-%m-%d").to_string());
                    let (status, style) = if package.remaining == 0 {
                        (rx.tr("used up"), rx.theme.muted)
                    } else if package.expires_on.is_some_and(|d| d < rx.today()) {
                        (rx.tr("expired"), rx.theme.cancelled)
                    } else {
                        (rx.tr("active"), rx.theme.ok)
                    };
                    Row::new(vec![
                        text_cell(rx.tr("Package"), KIND, rx.theme.base),
                        text_cell(&self.service_name(package.service), w[0], rx.theme.base),
                        text_cell("—", PLATE, rx.theme.muted),
                        text_cell(&until, UNTIL, rx.theme.base),
                        text_cell(&terms, w[1], rx.theme.base),
                        text_cell(status, STATUS, style),
                    ])
                }),
            })
            .collect();
        let widths = [KIND, w[0], PLATE, UNTIL, w[1], STATUS];
        let mut state = TableState::default().with_selected(self.selected(Tab::Plans));
        frame.render_stateful_widget(table(header, rows, &widths, rx), area, &mut state);
    }

    fn render_visits(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        if self.visits.is_empty() {
            empty(frame, area, rx, "No visits yet.");
            return;
        }
        const WHEN: usize = 16;
        const TOTAL: usize = 12;
        const PAYMENT: usize = 8;
        const POINTS: usize = 9;
        let w = columns(area, &[WHEN, TOTAL, PAYMENT, POINTS], &[1]);
        let header = Row::new(vec![
            text_cell(rx.tr("When"), WHEN, rx.theme.header),
            text_cell(rx.tr("Services"), w[0], rx.theme.header),
            text_cell(rx.tr("Total"), TOTAL, rx.theme.header),
            text_cell(rx.tr("Payment"), PAYMENT, rx.theme.header),
            text_cell(rx.tr("Points"), POINTS, rx.theme.header),
        ]);
        let rows = self
            .visits
            .iter()
            .map(|visit| {
                let mut services = visit
                    .services
                    .iter()
                    .map(|s| safe(s).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ");
                let style = if visit.voided {
                    services = format!("[{}] {services}", rx.tr("void"));
                    rx.theme.cancelled
                } else {
                    rx.theme.base
                };
                if !visit.refunded.is_zero() {
                    let refunded = rx.lang.fill(
                        "refunded {amount}",
                        &[("amount", &visit.refunded.format_amount(&rx.shop.currency))],
                    );
                    services = format!("[{refunded}] {services}");
                }
                let points = match (visit.points_earned, visit.points_redeemed) {
                    (0, 0) => String::new(),
                    (earned, 0) => format!("+{earned}"),
                    (0, redeemed) => format!("-{redeemed}"),
                    (earned, redeemed) => format!("+{earned}/-{redeemed}"),
                };
                Row::new(vec![
                    text_cell(&truncate(&safe(&visit.at_local), WHEN), WHEN, style),
                    text_cell(&services, w[0], style),
                    text_cell(&format!("{:>TOTAL$}", rx.money(visit.total)), TOTAL, style),
                    text_cell(rx.tr(visit.payment.as_str()), PAYMENT, style),
                    text_cell(&points, POINTS, style),
                ])
            })
            .collect();
        let widths = [WHEN, w[0], TOTAL, PAYMENT, POINTS];
        let mut state = TableState::default().with_selected(self.selected(Tab::Visits));
        frame.render_stateful_widget(table(header, rows, &widths, rx), area, &mut state);
    }

    fn render_bookings(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        if self.bookings.is_empty() {
            empty(frame, area, rx, "No bookings. Press b to book.");
            return;
        }
        const WHEN: usize = 16;
        const STATE: usize = 11;
        let w = columns(area, &[WHEN, STATE], &[2, 1]);
        let header = Row::new(vec![
            text_cell(rx.tr("When"), WHEN, rx.theme.header),
            text_cell(rx.tr("Service"), w[0], rx.theme.header),
            text_cell(rx.tr("Bay"), w[1], rx.theme.header),
            text_cell(rx.tr("State"), STATE, rx.theme.header),
        ]);
        let rows = self
            .bookings
            .iter()
            .map(|booking| {
                Row::new(vec![
                    text_cell(
                        &truncate(&safe(&booking.start_local), WHEN),
                        WHEN,
                        rx.theme.base,
                    ),
                    text_cell(&safe(&booking.service_name), w[0], rx.theme.base),
                    text_cell(&safe(&booking.bay_name), w[1], rx.theme.base),
                    text_cell(
                        rx.tr(booking.state.as_str()),
                        STATE,
                        booking_style(&booking.state, rx),
                    ),
                ])
            })
            .collect();
        let widths = [WHEN, w[0], w[1], STATE];
        let mut state = TableState::default().with_selected(self.selected(Tab::Bookings));
        frame.render_stateful_widget(table(header, rows, &widths, rx), area, &mut state);
    }

    fn render_consents(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        const PURPOSE: usize = 20;
        const STATE: usize = 10;
        const WHEN: usize = 16;
        let w = columns(area, &[PURPOSE, STATE, WHEN], &[1, 1]);
        let header = Row::new(vec![
            text_cell(rx.tr("Purpose"), PURPOSE, rx.theme.header),
            text_cell(rx.tr("Choice"), STATE, rx.theme.header),
            text_cell(rx.tr("When"), WHEN, rx.theme.header),
            text_cell(rx.tr("Recorded by"), w[0], rx.theme.header),
            text_cell(rx.tr("Policy"), w[1], rx.theme.header),
        ]);
        let rows = consent_rows(&self.consents)
            .into_iter()
            .map(|row| {
                let (choice, style): (&str, Style) = match &row.current {
                    Some(c) if c.granted => (rx.tr("granted"), rx.theme.ok),
                    Some(_) => (rx.tr("withdrawn"), rx.theme.warning),
                    None => (rx.tr("not asked"), rx.theme.muted),
                };
                let (when, by, policy) = match &row.current {
                    Some(c) => (
                        rx.date_time(c.at),
                        safe(&c.staff).into_owned(),
                        safe(&c.policy_version).into_owned(),
                    ),
                    None => (String::new(), String::new(), String::new()),
                };
                Row::new(vec![
                    text_cell(rx.tr(purpose_label(row.purpose)), PURPOSE, rx.theme.base),
                    text_cell(choice, STATE, style),
                    text_cell(&when, WHEN, rx.theme.base),
                    text_cell(&by, w[0], rx.theme.base),
                    text_cell(&policy, w[1], rx.theme.base),
                ])
            })
            .collect();
        let [table_area, note] =
            Layout::vertical([Constraint::Length(4), Constraint::Min(1)]).areas(area);
        let widths = [PURPOSE, STATE, WHEN, w[0], w[1]];
        let mut state = TableState::default().with_selected(self.selected(Tab::Consents));
        frame.render_stateful_widget(table(header, rows, &widths, rx), table_area, &mut state);
        empty(
            frame,
            note,
            rx,
            "Record only what the member says. Withdrawal takes effect at once; the history is kept.",
        );
    }
}

fn birthday_this_month(detail: &MemberDetail, rx: &RenderCx) -> bool {
    match &detail.birthday {
        Some(BirthdayView::Date(date)) => date.month() == rx.today().month(),
        Some(BirthdayView::Hidden { this_month }) => *this_month,
        None => false,
    }
}

fn booking_style(state: &BookingState, rx: &RenderCx) -> Style {
    match state {
        BookingState::Booked => rx.theme.booked,
        BookingState::CheckedIn { .. } => rx.theme.checked_in,
        BookingState::Completed { .. } => rx.theme.completed,
        BookingState::Cancelled { .. } => rx.theme.cancelled,
        BookingState::NoShow { .. } => rx.theme.no_show,
    }
}

/// The active plan (or package) products on the price list, labelled with their price and
/// terms for the sale dialog.
fn product_choices(cx: &mut Cx, plans: bool) -> Vec<Choice> {
    let products = match cx.service.price_list() {
        Ok(products) => products,
        Err(error) => {
            let text = describe_error(&error, cx.lang);
            cx.notice(text);
            return Vec::new();
        }
    };
    products
        .into_iter()
        .filter(|product| product.active())
        .filter_map(|product| match product {
            Product::Plan(plan) if plans => Some((
                plan.id,
                cx.lang.fill(
                    "{name} — {price} / {months} mo, {washes} a day",
                    &[
                        ("name", &safe(&plan.name)),
                        ("price", &plan.price_per_term.format(&cx.shop.currency)),
                        ("months", &plan.months_per_term.to_string()),
                        ("washes", &plan.washes_per_day.to_string()),
                    ],
                ),
            )),
            Product::Package(package) if !plans => Some((
                package.id,
                cx.lang.fill(
                    "{name} — {washes} washes, {price}",
                    &[
                        ("name", &safe(&package.name)),
                        ("price", &package.price.format(&cx.shop.currency)),
                        ("washes", &package.washes.to_string()),
                    ],
                ),
            )),
            _ => None,
        })
        .collect()
}
