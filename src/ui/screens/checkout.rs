//! Checkout: build the bill from the catalog, let plans, packages and points take their share,
//! show the total before any money changes hands, then take payment and show the receipt.
//!
//! Every figure on this screen comes from the service's preview, which prices the bill exactly
//! as the checkout itself will (taxes included); the screen never does its own arithmetic on
//! what is owed beyond adding up the preview's lines for display. Payment is settled in advance
//! with the preview's `settle`, the same function the checkout runs.
//!
//! The payment step lives in `payment`, the receipt shown afterwards in `paid`.

mod paid;
mod payment;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};

use crate::domain::access::Operation;
use crate::domain::catalog::{PaymentMethod, ServiceItem};
use crate::domain::checkout::{Coverage, Discount, PricedLine};
use crate::domain::loyalty::Reward;
use crate::domain::money::Money;
use crate::domain::receipt::percent_text;
use crate::domain::tax::TaxAmount;
use crate::domain::tender::TenderRequest;
use crate::ids::RecordId;
use crate::service::{
    CheckoutInput, CheckoutLine, CheckoutPreview, MemberSummary, PointsUse, ServiceError,
};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::overlays::centred;
use crate::ui::screens::approval::ApprovalDialog;
use crate::ui::text::{pad, safe, truncate, width};
use crate::ui::view::{Command, Cx, Handled, RenderCx, View, describe_error};
use crate::ui::widgets::form::{Form, FormEvent};
use crate::ui::widgets::input::TextInput;
use crate::ui::widgets::table::RowCursor;

use paid::Paid;
use payment::{PayOutcome, PayStep, method_label};

/// Methods for money actually changing hands.
const MONEY_METHODS: [PaymentMethod; 3] = [
    PaymentMethod::Cash,
    PaymentMethod::Card,
    PaymentMethod::Mobile,
];

/// Which list the arrow keys move in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pane {
    Catalog,
    Bill,
}

/// What the screen is doing: building the bill, asking about points or a discount, taking
/// the payment, or showing the receipt of a payment already taken.
enum Mode {
    Bill,
    Redeem(Dialog),
    Adjust(Dialog),
    Pay(Box<PayStep>),
    Receipt(Box<Paid>),
}

/// A question about the bill: its fields, and the service's refusal of the last answer, shown
/// in full under the fields (refusals are whole sentences, too long for a field's line).
struct Dialog {
    form: Form,
    refusal: Option<String>,
}

impl Dialog {
    fn new(form: Form) -> Self {
        Self {
            form,
            refusal: None,
        }
    }
}

/// The options of the redeem form's first field, in order after "No points".
const REDEEM_NONE: usize = 0;
const REDEEM_POINTS: usize = 1;

/// The options of the adjust form's first field.
const ADJUST_NONE: usize = 0;
const ADJUST_PERCENT: usize = 1;
const ADJUST_AMOUNT: usize = 2;
const ADJUST_LINE_PRICE: usize = 3;

pub struct CheckoutView {
    booking: Option<RecordId>,
    member: Option<RecordId>,
    vehicle: Option<RecordId>,
    /// Active services, in catalog order.
    catalog: Vec<ServiceItem>,
    catalog_cursor: RowCursor,
    /// What the customer asked for; with a booking, its service is the first line once the
    /// first preview came back.
    lines: Vec<CheckoutLine>,
    /// Over the priced lines (a line partly covered by a plan shows as two rows).
    bill_cursor: RowCursor,
    pane: Pane,
    points: Option<PointsUse>,
    discount: Option<Discount>,
    adjustment_reason: Option<String>,
    payment: PaymentMethod,
    preview: Option<CheckoutPreview>,
    /// Why the bill cannot be priced (already translated), e.g. the booking was paid elsewhere.
    preview_error: Option<String>,
    summary: Option<MemberSummary>,
    rewards: Vec<Reward>,
    mode: Mode,
}

impl CheckoutView {
    /// Checkout for a booking (its service is the first line) or a sale without one.
    pub fn new(
        booking: Option<RecordId>,
        member: Option<RecordId>,
        vehicle: Option<RecordId>,
    ) -> Self {
        Self {
            booking,
            member,
            vehicle,
            catalog: Vec::new(),
            catalog_cursor: RowCursor::new(0),
            lines: Vec::new(),
            bill_cursor: RowCursor::new(0),
            pane: Pane::Catalog,
            points: None,
            discount: None,
            adjustment_reason: None,
            payment: PaymentMethod::Card,
            preview: None,
            preview_error: None,
            summary: None,
            rewards: Vec::new(),
            mode: Mode::Bill,
        }
    }

    /// The bill as the service sees it. Payment is always spelled out as tenders (none when
    /// nothing is owed), exactly as the payment step settled it in advance.
    fn input(&self, tenders: Vec<TenderRequest>, tip: Money) -> CheckoutInput {
        CheckoutInput {
            booking: self.booking,
            member: self.member,
            vehicle: self.vehicle,
            lines: self.lines.clone(),
            discount: self.discount,
            adjustment_reason: self.adjustment_reason.clone(),
            points: self.points,
            payment: self.payment,
            tenders,
            tip,
        }
    }

    fn nothing_to_price(&self) -> bool {
        self.lines.is_empty() && self.booking.is_none()
    }

    /// Prices the bill as it stands. On success the lines become the ones the service will
    /// charge (the booked service appears), and the payment method follows what is owed.
    fn reprice(&mut self, cx: &mut Cx) -> Result<(), ServiceError> {
        if self.nothing_to_price() {
            self.preview = None;
            self.preview_error = None;
            self.bill_cursor.set_len(0);
            return Ok(());
        }
        let preview = cx
            .service
            .preview_checkout(cx.session, &self.input(Vec::new(), Money::ZERO))?;
        self.lines = preview.lines.clone();
        if self.member.is_none() {
            // The booking's customer: the member panel and points follow them.
            self.member = preview.member;
            self.vehicle = self.vehicle.or(preview.vehicle);
        }
        self.bill_cursor.set_len(preview.priced.lines.len());
        self.preview = Some(preview);
        self.preview_error = None;
        let allowed = self.allowed_methods();
        if !allowed.contains(&self.payment) {
            self.payment = allowed.first().copied().unwrap_or(PaymentMethod::Cash);
        }
        Ok(())
    }

    /// Tries a change to the bill; when the service refuses it, the change is undone and the
    /// refusal shown, so the bill on screen is always one the service accepts.
    fn try_change(&mut self, cx: &mut Cx, change: impl FnOnce(&mut Self)) -> bool {
        let saved = (
            self.lines.clone(),
            self.points,
            self.discount,
            self.adjustment_reason.clone(),
        );
        change(self);
        match self.reprice(cx) {
            Ok(()) => true,
            Err(err) => {
                (
                    self.lines,
                    self.points,
                    self.discount,
                    self.adjustment_reason,
                ) = saved;
                cx.fail(&err);
                false
            }
        }
    }

    /// Payment methods that fit what is owed: money when there is something to pay; when
    /// nothing is left, whatever covered it (plan, package, points).
    fn allowed_methods(&self) -> Vec<PaymentMethod> {
        let Some(preview) = &self.preview else {
            return MONEY_METHODS.to_vec();
        };
        let priced = &preview.priced;
        if !priced.amount_due.is_zero() {
            return MONEY_METHODS.to_vec();
        }
        let mut methods = Vec::new();
        if !priced.plan_uses.is_empty() {
            methods.push(PaymentMethod::Plan);
        }
        if !priced.package_uses.is_empty() {
            methods.push(PaymentMethod::Package);
        }
        if priced.points_used > 0 {
            methods.push(PaymentMethod::Points);
        }
        if methods.is_empty() {
            // Free services or a full discount: nothing changes hands, recorded as cash.
            methods.push(PaymentMethod::Cash);
        }
        methods
    }

    fn load_member_summary(&mut self, cx: &mut Cx) {
        let number = self.preview.as_ref().and_then(|p| p.member_number);
        let (Some(member), Some(number)) = (self.member, number) else {
            self.summary = None;
            return;
        };
        // The member number finds exactly this member, already masked for the role; opening
        // the full record would write an access entry for a figure the desk only glances at.
        match cx.service.search_members(cx.session, &format!("#{number}")) {
            Ok(results) => {
                self.summary = results.members.into_iter().find(|m| m.id == member);
            }
            Err(err) => cx.fail(&err),
        }
    }

    fn add_selected(&mut self, cx: &mut Cx) {
        let Some(service) = self
            .catalog_cursor
            .selected()
            .and_then(|i| self.catalog.get(i))
            .map(|s| s.id)
        else {
            return;
        };
        let added = self.try_change(cx, |view| {
            match view.lines.iter_mut().find(|l| l.service == service) {
                Some(line) => line.quantity = line.quantity.saturating_add(1),
                None => view.lines.push(CheckoutLine {
                    service,
                    quantity: 1,
                    price_override: None,
                }),
            }
        });
        if added && self.summary.is_none() {
            self.load_member_summary(cx);
        }
    }

    /// The requested line behind the selected bill row (or the last line from the catalog).
    fn target_line(&self) -> Option<usize> {
        match self.pane {
            Pane::Bill => {
                let priced = self
                    .preview
                    .as_ref()?
                    .priced
                    .lines
                    .get(self.bill_cursor.selected()?)?;
                self.lines
                    .iter()
                    .position(|l| l.service == priced.service_id)
            }
            Pane::Catalog => self.lines.len().checked_sub(1),
        }
    }

    fn remove_one(&mut self, cx: &mut Cx) {
        let Some(index) = self.target_line() else {
            return;
        };
        let emptied = self.lines.get(index).is_some_and(|l| l.quantity <= 1);
        if emptied && self.lines.len() == 1 && self.booking.is_some() {
            cx.notice(cx.tr(
                "The booked service stays on the bill; press Esc to leave without taking payment.",
            ));
            return;
        }
        self.try_change(cx, |view| {
            if emptied {
                view.lines.remove(index);
            } else if let Some(line) = view.lines.get_mut(index) {
                line.quantity -= 1;
            }
        });
    }

    fn cycle_payment(&mut self, cx: &mut Cx) {
        let allowed = self.allowed_methods();
        if allowed.len() < 2 {
            cx.notice(cx.tr("Nothing else fits: the bill is fully covered."));
            return;
        }
        let next = allowed
            .iter()
            .position(|m| *m == self.payment)
            .map(|i| (i + 1) % allowed.len())
            .unwrap_or(0);
        self.payment = allowed[next];
    }

    fn open_redeem(&mut self, cx: &mut Cx) {
        if self.member.is_none() {
            cx.notice(cx.tr("Points belong to a member; this sale has none."));
            return;
        }
        if self.preview.is_none() {
            cx.notice(cx.tr("Add a service first."));
            return;
        }
        let mut options = vec![
            cx.tr("No points").to_owned(),
            cx.tr("Points off the bill").to_owned(),
        ];
        for reward in &self.rewards {
            options.push(cx.lang.fill(
                "{reward} ({cost} points)",
                &[
                    ("reward", &safe(&reward.name)),
                    ("cost", &reward.points_cost.to_string()),
                ],
            ));
        }
        let (selected, points) = match self.points {
            None => (REDEEM_POINTS, String::new()),
            Some(PointsUse::Points(n)) => (REDEEM_POINTS, n.to_string()),
            Some(PointsUse::Reward(id)) => (
                self.rewards
                    .iter()
                    .position(|r| r.id == id)
                    .map_or(REDEEM_POINTS, |i| i + 2),
                String::new(),
            ),
        };
        let mut form = Form::new()
            .choice("use", "Use", options, selected)
            .hint("←/→ to choose points off the bill or a reward.")
            .text(
                "points",
                "Points",
                TextInput::new().with_max(9).with_value(&points),
            );
        form.focus_key("points");
        self.mode = Mode::Redeem(Dialog::new(form));
    }

    fn submit_redeem(&mut self, mut dialog: Dialog, cx: &mut Cx) {
        dialog.form.clear_errors();
        dialog.refusal = None;
        let form = &mut dialog.form;
        let choice = form.choice_index("use");
        let wanted = match choice {
            REDEEM_NONE => None,
            REDEEM_POINTS => match form.value("points").trim().parse::<i64>() {
                Ok(points) if points > 0 => Some(PointsUse::Points(points)),
                _ => {
                    form.set_error(
                        "points",
                        cx.tr("Enter a whole number of points, such as 200."),
                    );
                    form.focus_key("points");
                    self.mode = Mode::Redeem(dialog);
                    return;
                }
            },
            reward => self
                .rewards
                .get(reward - 2)
                .map(|reward| PointsUse::Reward(reward.id)),
        };
        let saved = self.points;
        self.points = wanted;
        match self.reprice(cx) {
            Ok(()) => {
                self.mode = Mode::Bill;
                if wanted.is_some() {
                    cx.notice(cx.tr("Points applied to the bill."));
                }
            }
            Err(err) => {
                // Refused, never capped: the customer decides what to redeem instead.
                self.points = saved;
                let restored = self.reprice(cx);
                match err {
                    ServiceError::InvalidInput(_) | ServiceError::NotFound(_) => {
                        let field = if choice == REDEEM_POINTS {
                            "points"
                        } else {
                            "use"
                        };
                        dialog.refusal = Some(describe_error(&err, cx.lang));
                        dialog.form.focus_key(field);
                        self.mode = Mode::Redeem(dialog);
                    }
                    other => {
                        self.mode = Mode::Bill;
                        cx.fail(&other);
                    }
                }
                if let Err(err) = restored {
                    cx.fail(&err);
                }
            }
        }
    }

    /// A discount or price change asked for by someone who may not make it alone: said at
    /// once, before any form is filled in, and a manager standing by approves it here. Once
    /// approved, `Service::can` says yes and the same key opens the form as for a manager.
    fn needs_manager(&mut self, cx: &mut Cx) {
        ApprovalDialog::new(
            Operation::OverridePrice,
            Box::new(|cx: &mut Cx| {
                cx.notice(cx.tr("Approved: press % again to change the price."));
            }),
        )
        .with_title("Approve a discount")
        .ask(cx);
    }

    fn open_adjust(&mut self, cx: &mut Cx) {
        if !cx.service.can(cx.session, Operation::OverridePrice) {
            self.needs_manager(cx);
            return;
        }
        if self.preview.is_none() {
            cx.notice(cx.tr("Add a service first."));
            return;
        }
        let options = [
            "No discount",
            "Percent off",
            "Amount off",
            "New price for the selected line",
        ]
        .iter()
        .map(|o| cx.tr(o).to_owned())
        .collect();
        let (selected, value) = match self.discount {
            Some(Discount::Percent(p)) => (ADJUST_PERCENT, p.to_string()),
            Some(Discount::Amount(a)) => (ADJUST_AMOUNT, a.format_amount(&cx.shop.currency)),
            None => (ADJUST_PERCENT, String::new()),
        };
        let reason = self.adjustment_reason.clone().unwrap_or_default();
        let mut form = Form::new()
            .choice("kind", "Change", options, selected)
            .hint("←/→ to choose.")
            .text(
                "value",
                "Percent or amount",
                TextInput::new().with_max(12).with_value(&value),
            )
            .text(
                "reason",
                "Reason",
                TextInput::new()
                    .with_max(200)
                    .with_value(&reason)
                    .with_placeholder("e.g. regular customer, scratched mirror"),
            );
        form.focus_key("value");
        self.mode = Mode::Adjust(Dialog::new(form));
    }

    fn submit_adjust(&mut self, mut dialog: Dialog, cx: &mut Cx) {
        dialog.form.clear_errors();
        dialog.refusal = None;
        let form = &mut dialog.form;
        let kind = form.choice_index("kind");
        let value = form.value("value").trim().to_owned();
        let reason = form.value("reason").trim().to_owned();
        let mut lines = self.lines.clone();
        let mut discount = None;
        match kind {
            ADJUST_NONE => {
                for line in &mut lines {
                    line.price_override = None;
                }
            }
            ADJUST_PERCENT => match value.trim_end_matches('%').trim().parse::<u32>() {
                Ok(percent) => discount = Some(Discount::Percent(percent)),
                Err(_) => {
                    form.set_error("value", cx.tr("Enter a whole percentage, such as 10."));
                }
            },
            ADJUST_AMOUNT | ADJUST_LINE_PRICE => {
                match Money::parse(&value, &cx.shop.currency) {
                    Ok(amount) if kind == ADJUST_AMOUNT => {
                        discount = Some(Discount::Amount(amount));
                    }
                    Ok(amount) => match self.target_line_for_price() {
                        Some(index) => lines[index].price_override = Some(amount),
                        None => form.set_error(
                            "kind",
                            cx.tr("Select a line of the bill first (Tab, then ↑/↓)."),
                        ),
                    },
                    Err(_) => form.set_error("value", cx.tr("Enter an amount, such as 5.00.")),
                }
                if kind == ADJUST_LINE_PRICE {
                    discount = self.discount;
                }
            }
            _ => {}
        }
        if form.has_errors() {
            form.focus_first_error();
            self.mode = Mode::Adjust(dialog);
            return;
        }
        let adjusts = discount.is_some() || lines.iter().any(|l| l.price_override.is_some());
        let saved = (
            self.lines.clone(),
            self.discount,
            self.adjustment_reason.clone(),
        );
        self.lines = lines;
        self.discount = discount;
        self.adjustment_reason = adjusts.then_some(reason.clone());
        match self.reprice(cx) {
            Ok(()) => {
                self.mode = Mode::Bill;
                if adjusts {
                    cx.notice(cx.tr("Price changed; the reason is kept with the visit."));
                }
            }
            Err(err) => {
                (self.lines, self.discount, self.adjustment_reason) = saved;
                let restored = self.reprice(cx);
                match err {
                    ServiceError::InvalidInput(_) => {
                        let field = if reason.is_empty() { "reason" } else { "value" };
                        dialog.refusal = Some(describe_error(&err, cx.lang));
                        dialog.form.focus_key(field);
                        self.mode = Mode::Adjust(dialog);
                    }
                    other => {
                        // A cashier's discount is the service's to refuse; nothing is kept.
                        self.mode = Mode::Bill;
                        cx.fail(&other);
                    }
                }
                if let Err(err) = restored {
                    cx.fail(&err);
                }
            }
        }
    }

    /// The requested line whose price an override replaces: the selected bill row.
    fn target_line_for_price(&self) -> Option<usize> {
        let priced = self
            .preview
            .as_ref()?
            .priced
            .lines
            .get(self.bill_cursor.selected()?)?;
        self.lines
            .iter()
            .position(|l| l.service == priced.service_id)
    }

    /// Opens the payment step on the method chosen with `p`: Enter then takes the whole bill
    /// that way, or the cashier adds tenders one by one.
    fn open_payment(&mut self, cx: &mut Cx) {
        let Some(preview) = &self.preview else {
            let message = self
                .preview_error
                .clone()
                .unwrap_or_else(|| cx.tr("Add a service first.").to_owned());
            cx.commands.push(Command::Error(message));
            return;
        };
        let step = PayStep::open(preview, self.allowed_methods(), self.payment, cx.lang);
        self.mode = Mode::Pay(Box::new(step));
    }

    fn submit_payment(&mut self, mut step: Box<PayStep>, cx: &mut Cx) {
        let Some(preview) = &self.preview else {
            return;
        };
        match step.submit(preview, cx.lang, &cx.shop.currency) {
            PayOutcome::Stay => self.mode = Mode::Pay(step),
            PayOutcome::Added {
                method,
                amount,
                still_due,
            } => {
                let currency = &cx.shop.currency;
                cx.notice(cx.lang.fill(
                    "{method} {amount} added; {due} still due.",
                    &[
                        ("method", cx.tr(method_label(method))),
                        ("amount", &amount.format_amount(currency)),
                        ("due", &still_due.format(currency)),
                    ],
                ));
                self.mode = Mode::Pay(step);
            }
            PayOutcome::Settled {
                tenders,
                tip,
                method,
            } => {
                let agreed = step.agreed_due;
                self.payment = method;
                if !self.take_payment(tenders, tip, agreed, cx) {
                    // Not taken: the payment step stays as typed, unless the bill changed.
                    if self.preview.as_ref().map(|p| p.amount_due()) == Some(agreed) {
                        self.mode = Mode::Pay(step);
                    }
                }
            }
        }
    }

    /// Charges the bill. `agreed` is the amount due the customer was shown; if another desk
    /// used the plan's wash or the points meanwhile, the new amount is shown instead of
    /// charged. Returns whether the payment was taken.
    fn take_payment(
        &mut self,
        tenders: Vec<TenderRequest>,
        tip: Money,
        agreed: Money,
        cx: &mut Cx,
    ) -> bool {
        if let Err(err) = self.reprice(cx) {
            cx.fail(&err);
            return false;
        }
        let now_due = self.preview.as_ref().map(|p| p.amount_due());
        if now_due != Some(agreed) {
            let total = now_due
                .map(|t| t.format(&cx.shop.currency))
                .unwrap_or_default();
            cx.commands.push(Command::Error(cx.lang.fill(
                "The total changed to {total} meanwhile; check the bill and take payment again.",
                &[("total", &total)],
            )));
            return false;
        }
        match cx.service.checkout(cx.session, self.input(tenders, tip)) {
            Ok(receipt) => {
                self.mode = Mode::Receipt(Box::new(Paid::new(
                    receipt.receipt,
                    receipt.receipt_number,
                    receipt.settlement,
                    self.payment,
                    receipt.points_earned,
                    receipt.points_balance,
                )));
                cx.changed();
                cx.notice(cx.tr("Payment taken."));
                true
            }
            Err(err) => {
                cx.fail(&err);
                if let Err(err) = self.reprice(cx) {
                    self.preview = None;
                    self.preview_error = Some(describe_error(&err, cx.lang));
                }
                false
            }
        }
    }

    fn on_pay_action(&mut self, mut step: Box<PayStep>, action: Action, cx: &mut Cx) -> Handled {
        match action {
            // Nothing was charged: back to the bill, which can still change.
            Action::Back => {
                cx.notice(cx.tr("Payment not taken; nothing was charged."));
                Handled::Yes
            }
            Action::RemoveLine => {
                if step.remove_last().is_some() {
                    cx.notice(cx.tr("The last part payment was taken off."));
                }
                self.mode = Mode::Pay(step);
                Handled::Yes
            }
            // The bill's own keys do nothing while paying.
            Action::AddLine
            | Action::RedeemPoints
            | Action::PaymentMethod
            | Action::Discount
            | Action::NextTab
            | Action::PrevTab => {
                self.mode = Mode::Pay(step);
                Handled::Yes
            }
            other => match step.on_form_action(other, cx.lang) {
                FormEvent::Submit => {
                    self.submit_payment(step, cx);
                    Handled::Yes
                }
                FormEvent::Changed => {
                    self.mode = Mode::Pay(step);
                    Handled::Yes
                }
                FormEvent::Ignored => {
                    self.mode = Mode::Pay(step);
                    Handled::No
                }
            },
        }
    }

    fn on_bill_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        match action {
            Action::AddLine => self.add_selected(cx),
            Action::Select if self.pane == Pane::Catalog => self.add_selected(cx),
            Action::Select => {}
            Action::RemoveLine => self.remove_one(cx),
            Action::NextTab | Action::PrevTab => {
                self.pane = match self.pane {
                    Pane::Catalog if self.bill_cursor.len > 0 => Pane::Bill,
                    _ => Pane::Catalog,
                };
            }
            Action::RedeemPoints => self.open_redeem(cx),
            Action::PaymentMethod => self.cycle_payment(cx),
            Action::Discount => self.open_adjust(cx),
            Action::Submit => self.open_payment(cx),
            other => {
                let cursor = match self.pane {
                    Pane::Catalog => &mut self.catalog_cursor,
                    Pane::Bill => &mut self.bill_cursor,
                };
                if !cursor.on_action(other, 10) {
                    return Handled::No;
                }
            }
        }
        Handled::Yes
    }
}

fn coverage_label(coverage: Coverage) -> &'static str {
    match coverage {
        Coverage::Plan(_) => "plan",
        Coverage::Package(_) => "package",
        Coverage::Reward(_) => "reward",
    }
}

/// "GST 5%", or "incl. 增值税 6%" when prices already contain the tax.
fn tax_label(tax: &TaxAmount, included: bool, rx: &RenderCx) -> String {
    let name = safe(&tax.name);
    let rate = percent_text(tax.basis_points);
    if included {
        rx.lang.fill(
            "incl. {tax} {rate}",
            &[("tax", name.as_ref()), ("rate", &rate)],
        )
    } else {
        format!("{name} {rate}")
    }
}

/// What one priced line would cost without its cover.
fn catalog_value(line: &PricedLine) -> Money {
    line.unit_price
        .checked_mul(line.quantity)
        .unwrap_or(line.amount)
}

impl View for CheckoutView {
    fn title(&self) -> &'static str {
        "Checkout"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        match self.mode {
            Mode::Redeem(_) | Mode::Adjust(_) => &[KeyContext::Form],
            // The form's keys first; the checkout's remove key takes off a part payment.
            Mode::Pay(_) => &[KeyContext::Form, KeyContext::Checkout],
            Mode::Bill | Mode::Receipt(_) => &[KeyContext::Checkout, KeyContext::List],
        }
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        match &mut self.mode {
            Mode::Redeem(dialog) | Mode::Adjust(dialog) => dialog.form.focused_input(),
            Mode::Pay(step) => step.form.focused_input(),
            Mode::Bill | Mode::Receipt(_) => None,
        }
    }

    fn on_input_changed(&mut self, _cx: &mut Cx) {
        match &mut self.mode {
            Mode::Redeem(dialog) | Mode::Adjust(dialog) => {
                dialog.form.clear_errors();
                dialog.refusal = None;
            }
            // Only the field being corrected loses its message; the others still need theirs.
            Mode::Pay(step) => {
                step.form.clear_focused_error();
                step.refusal = None;
            }
            Mode::Bill | Mode::Receipt(_) => {}
        }
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        match std::mem::replace(&mut self.mode, Mode::Bill) {
            Mode::Bill => self.on_bill_action(action, cx),
            Mode::Pay(step) => self.on_pay_action(step, action, cx),
            Mode::Receipt(mut paid) => {
                let scrolled = paid.scroll(action);
                self.mode = Mode::Receipt(paid);
                if scrolled {
                    return Handled::Yes;
                }
                match action {
                    Action::Back | Action::Select | Action::Submit => {
                        cx.back();
                        Handled::Yes
                    }
                    // The bill is paid: nothing on it can change any more.
                    Action::AddLine
                    | Action::RemoveLine
                    | Action::RedeemPoints
                    | Action::PaymentMethod
                    | Action::Discount
                    | Action::NextTab
                    | Action::PrevTab => Handled::Yes,
                    _ => Handled::No,
                }
            }
            // Esc closes the question and leaves the bill as it was.
            Mode::Redeem(_) | Mode::Adjust(_) if action == Action::Back => Handled::Yes,
            Mode::Redeem(mut dialog) => match dialog.form.on_action(action) {
                FormEvent::Submit => {
                    self.submit_redeem(dialog, cx);
                    Handled::Yes
                }
                event => {
                    self.mode = Mode::Redeem(dialog);
                    if event == FormEvent::Changed {
                        Handled::Yes
                    } else {
                        Handled::No
                    }
                }
            },
            Mode::Adjust(mut dialog) => match dialog.form.on_action(action) {
                FormEvent::Submit => {
                    self.submit_adjust(dialog, cx);
                    Handled::Yes
                }
                event => {
                    self.mode = Mode::Adjust(dialog);
                    if event == FormEvent::Changed {
                        Handled::Yes
                    } else {
                        Handled::No
                    }
                }
            },
        }
    }

    fn refresh(&mut self, cx: &mut Cx) {
        if matches!(self.mode, Mode::Receipt(_)) {
            // Paid: the receipt stays as it was taken.
            return;
        }
        if matches!(self.mode, Mode::Pay(_)) {
            // The payment checks the bill again when it is taken; repricing now would move
            // the figures under the cashier's fingers.
            return;
        }
        match cx.service.list_services(cx.session) {
            Ok(services) => {
                self.catalog = services.into_iter().filter(|s| s.active).collect();
                // By name, so the list reads the same on every terminal and after every edit.
                self.catalog
                    .sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
                self.catalog_cursor.set_len(self.catalog.len());
            }
            Err(err) => {
                cx.fail(&err);
                return;
            }
        }
        match cx.service.points_policy() {
            Ok(policy) => self.rewards = policy.rewards().to_vec(),
            Err(err) => cx.fail(&err),
        }
        match self.reprice(cx) {
            Ok(()) => {}
            Err(err @ (ServiceError::SessionLocked | ServiceError::SessionEnded)) => {
                cx.fail(&err);
                return;
            }
            Err(err) => {
                self.preview = None;
                self.preview_error = Some(describe_error(&err, cx.lang));
            }
        }
        self.load_member_summary(cx);
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        if let Mode::Receipt(paid) = &self.mode {
            paid.render(frame, area, rx);
            return;
        }
        let [main, hints] =
            Layout::vertical([Constraint::Min(8), Constraint::Length(1)]).areas(area);
        if let (Mode::Pay(step), Some(preview)) = (&self.mode, &self.preview) {
            // While paying, the payment takes the catalog's place and the bill stays in view.
            let pay_width = (main.width / 2).clamp(44, 64);
            let [pay, right] =
                Layout::horizontal([Constraint::Length(pay_width), Constraint::Min(20)])
                    .areas(main);
            step.render(preview, frame, pay, rx);
            self.render_bill_and_totals(frame, right, rx);
            return;
        }
        let catalog_width = if main.width >= 120 {
            (main.width / 3).min(48)
        } else {
            30
        };
        let [left, right] =
            Layout::horizontal([Constraint::Length(catalog_width), Constraint::Min(20)])
                .areas(main);
        self.render_catalog(frame, left, rx);
        self.render_bill_and_totals(frame, right, rx);
        self.render_hints(frame, hints, rx);
        match &self.mode {
            Mode::Redeem(dialog) => self.render_dialog(
                dialog,
                rx.tr("Redeem points"),
                self.redeem_intro(rx),
                frame,
                main,
                rx,
            ),
            Mode::Adjust(dialog) => self.render_dialog(
                dialog,
                rx.tr("Discount or price change"),
                rx.tr("Manager only: the reason is kept with the visit.")
                    .to_owned(),
                frame,
                main,
                rx,
            ),
            Mode::Bill | Mode::Pay(_) | Mode::Receipt(_) => {}
        }
    }

    fn offers(&self, _role: crate::domain::access::Role) -> Vec<Action> {
        vec![
            Action::AddLine,
            Action::RemoveLine,
            Action::RedeemPoints,
            Action::PaymentMethod,
            Action::Discount,
            Action::Submit,
        ]
    }
}

/// A bordered panel, highlighted when it has the keys.
fn panel<'a>(title: &str, focused: bool, rx: &RenderCx) -> Block<'a> {
    Block::bordered()
        .title(Span::styled(format!(" {title} "), rx.theme.title))
        .border_style(if focused {
            rx.theme.border_focused
        } else {
            rx.theme.border
        })
}

/// `label ……… value`, the value right-aligned to `cells`.
fn label_value(label: &str, value: &str, cells: usize) -> String {
    let value_cells = width(value);
    let label_cells = cells.saturating_sub(value_cells + 1);
    format!("{} {value}", pad(label, label_cells))
}

impl CheckoutView {
    /// The bill over its totals, with the member beside the totals when there is room.
    fn render_bill_and_totals(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let [bill, bottom] = Layout::vertical([
            Constraint::Min(4),
            Constraint::Length(self.totals_height(rx)),
        ])
        .areas(area);
        self.render_bill(frame, bill, rx);
        // Wide screens keep the figures close to their labels rather than stretching.
        let member_width = (bottom.width * 2 / 5).clamp(22, 40);
        let totals_width = bottom.width.saturating_sub(member_width).min(48);
        if self.member.is_some() && totals_width >= 26 {
            let [totals, member, _] = Layout::horizontal([
                Constraint::Length(totals_width),
                Constraint::Length(member_width),
                Constraint::Min(0),
            ])
            .areas(bottom);
            self.render_totals(frame, totals, rx);
            self.render_member(frame, member, rx);
        } else {
            let [totals, _] =
                Layout::horizontal([Constraint::Max(48), Constraint::Min(0)]).areas(bottom);
            self.render_totals(frame, totals, rx);
        }
    }

    fn render_catalog(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let focused = self.pane == Pane::Catalog && matches!(self.mode, Mode::Bill);
        let block = panel(rx.tr("Services"), focused, rx);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if self.catalog.is_empty() {
            frame.render_widget(
                Paragraph::new(Span::styled(
                    rx.tr("No services yet; a manager adds them in settings."),
                    rx.theme.muted,
                )),
                inner,
            );
            return;
        }
        let price_cells: u16 = 9;
        let rows = self.catalog.iter().map(|service| {
            Row::new(vec![
                Line::from(safe(&service.name).into_owned()),
                Line::from(service.price.format_amount(&rx.shop.currency)).right_aligned(),
            ])
        });
        let table = Table::new(rows, [Constraint::Min(8), Constraint::Length(price_cells)])
            .row_highlight_style(if focused {
                rx.theme.selection
            } else {
                Style::default()
            })
            .highlight_symbol(if focused { "▶ " } else { "  " });
        let mut state = TableState::default().with_selected(self.catalog_cursor.selected());
        frame.render_stateful_widget(table, inner, &mut state);
    }

    fn render_bill(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let focused = self.pane == Pane::Bill && matches!(self.mode, Mode::Bill);
        let block = panel(rx.tr("Bill"), focused, rx);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let Some(preview) = &self.preview else {
            let (text, style) = match &self.preview_error {
                Some(error) => (error.clone(), rx.theme.error),
                None => (
                    rx.tr("Nothing on the bill yet: choose a service and press a.")
                        .to_owned(),
                    rx.theme.muted,
                ),
            };
            frame.render_widget(
                Paragraph::new(Line::from(Span::styled(text, style)))
                    .wrap(ratatui::widgets::Wrap { trim: true }),
                inner,
            );
            return;
        };
        let currency = &rx.shop.currency;
        let header = Row::new(vec![
            Line::from(rx.tr("Service")),
            Line::from(rx.tr("Qty")).right_aligned(),
            Line::from(rx.tr("Price")).right_aligned(),
            Line::from(rx.tr("Amount")).right_aligned(),
        ])
        .style(rx.theme.header);
        let rows = preview.priced.lines.iter().map(|line| {
            let mut price = line.unit_price.format_amount(currency);
            if line.overridden {
                // Marks a manager's price; the receipt says "price adjusted".
                price.push('*');
            }
            let amount = match line.covered_by {
                Some(coverage) => {
                    Line::from(Span::styled(rx.tr(coverage_label(coverage)), rx.theme.ok))
                }
                None => Line::from(line.amount.format_amount(currency)),
            };
            Row::new(vec![
                Line::from(safe(&line.name).into_owned()),
                Line::from(line.quantity.to_string()).right_aligned(),
                Line::from(price).right_aligned(),
                amount.right_aligned(),
            ])
        });
        let table = Table::new(
            rows,
            [
                Constraint::Min(10),
                Constraint::Length(4),
                Constraint::Length(10),
                Constraint::Length(10),
            ],
        )
        .header(header)
        .row_highlight_style(if focused {
            rx.theme.selection
        } else {
            Style::default()
        })
        .highlight_symbol(if focused { "▶ " } else { "  " });
        let mut state = TableState::default().with_selected(if focused {
            self.bill_cursor.selected()
        } else {
            None
        });
        frame.render_stateful_widget(table, inner, &mut state);
    }

    fn render_totals(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = panel(rx.tr("Totals"), false, rx);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let lines = self.totals_lines(usize::from(inner.width), rx);
        frame.render_widget(Paragraph::new(lines), inner);
    }

    /// Rows the totals panel needs, borders included; never less than the member panel uses.
    fn totals_height(&self, rx: &RenderCx) -> u16 {
        let rows = self.totals_lines(0, rx).len();
        u16::try_from(rows + 2).unwrap_or(u16::MAX).max(10)
    }

    /// Subtotal, what plans, packages, the discount and points take off, each tax by name and
    /// rate, and the amount due.
    fn totals_lines(&self, cells: usize, rx: &RenderCx) -> Vec<Line<'static>> {
        let Some(preview) = &self.preview else {
            return Vec::new();
        };
        let priced = &preview.priced;
        let currency = &rx.shop.currency;
        let off = |amount: Money| format!("-{}", amount.format_amount(currency));
        let mut gross = Money::ZERO;
        let mut covered = Money::ZERO;
        let mut reward_value = Money::ZERO;
        for line in &priced.lines {
            let value = catalog_value(line);
            gross = gross.checked_add(value).unwrap_or(gross);
            match line.covered_by {
                Some(Coverage::Plan(_) | Coverage::Package(_)) => {
                    covered = covered.checked_add(value).unwrap_or(covered);
                }
                Some(Coverage::Reward(_)) => {
                    reward_value = reward_value.checked_add(value).unwrap_or(reward_value);
                }
                None => {}
            }
        }
        let mut lines = vec![Line::from(label_value(
            rx.tr("Subtotal"),
            &gross.format_amount(currency),
            cells,
        ))];
        if !covered.is_zero() {
            lines.push(Line::from(Span::styled(
                label_value(rx.tr("Plan/package"), &off(covered), cells),
                rx.theme.ok,
            )));
        }
        if !priced.discount.is_zero() {
            lines.push(Line::from(label_value(
                rx.tr("Discount"),
                &off(priced.discount),
                cells,
            )));
        }
        if priced.points_used > 0 {
            let label = rx.lang.fill(
                "Points ({points})",
                &[("points", &priced.points_used.to_string())],
            );
            let value = reward_value
                .checked_add(priced.points_value)
                .unwrap_or(priced.points_value);
            lines.push(Line::from(label_value(&label, &off(value), cells)));
        }
        for tax in &preview.tax().taxes {
            lines.push(Line::from(label_value(
                &tax_label(tax, preview.tax().included, rx),
                &tax.amount.format_amount(currency),
                cells,
            )));
        }
        lines.push(Line::from(Span::styled(
            label_value(
                rx.tr("Total due"),
                &preview.amount_due().format(currency),
                cells,
            ),
            rx.theme.accent,
        )));
        if !matches!(self.mode, Mode::Pay(_)) {
            // While paying, the payment step shows each method with its amount.
            lines.push(Line::from(label_value(
                rx.tr("Pay by"),
                rx.tr(method_label(self.payment)),
                cells,
            )));
        }
        if preview.member.is_some() {
            lines.push(Line::from(label_value(
                rx.tr("Points to earn"),
                &format!("+{}", preview.points_to_earn),
                cells,
            )));
        }
        lines
    }

    fn render_member(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = panel(rx.tr("Member"), false, rx);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let cells = usize::from(inner.width);
        let mut lines = Vec::new();
        if let Some(summary) = &self.summary {
            let name = rx.personal(&summary.name, summary.masked);
            let name = Span::styled(truncate(&name.content, cells).into_owned(), name.style);
            lines.push(Line::from(name));
            // Only a member's single plate is surely the car at the counter.
            if let [plate] = summary.plates.as_slice() {
                let plate = rx.personal(plate, summary.masked);
                lines.push(Line::from(Span::styled(
                    truncate(&plate.content, cells).into_owned(),
                    plate.style,
                )));
            }
        }
        let Some(preview) = &self.preview else {
            lines.push(Line::from(Span::styled(
                rx.tr("Tier and points show once a service is on the bill."),
                rx.theme.muted,
            )));
            frame.render_widget(
                Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
                inner,
            );
            return;
        };
        {
            if let Some(number) = preview.member_number {
                lines.push(Line::from(label_value(
                    rx.tr("Member no."),
                    &format!("#{number}"),
                    cells,
                )));
            }
            if let Some(tier) = &preview.tier {
                lines.push(Line::from(label_value(
                    rx.tr("Tier"),
                    rx.lang.tr_dynamic(&safe(tier)),
                    cells,
                )));
            }
            if let Some(points) = preview.points_available {
                lines.push(Line::from(label_value(
                    rx.tr("Points"),
                    &points.to_string(),
                    cells,
                )));
            }
        }
        frame.render_widget(Paragraph::new(lines), inner);
    }

    fn render_hints(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let contexts = [KeyContext::Checkout, KeyContext::List];
        // In reading order, with the rank at which each is dropped when the line is short
        // (taking payment goes last; the rest is also in the `?` help).
        let wanted = [
            (Action::AddLine, "add", 3),
            (Action::RemoveLine, "remove", 2),
            (Action::NextTab, "switch list", 1),
            (Action::RedeemPoints, "redeem", 4),
            (Action::PaymentMethod, "method", 5),
            (Action::Discount, "discount", 4),
            (Action::Submit, "take payment", 6),
        ];
        let hints: Vec<(String, &str, u8)> = wanted
            .iter()
            .filter_map(|(action, label, rank)| {
                rx.key_hint(&contexts, *action)
                    .map(|key| (key, rx.tr(label), *rank))
            })
            .collect();
        let cells = |min_rank: u8| -> usize {
            hints
                .iter()
                .filter(|(_, _, rank)| *rank >= min_rank)
                .map(|(key, label, _)| width(key) + width(label) + 3)
                .sum()
        };
        let min_rank = (0..=6)
            .find(|rank| cells(*rank) <= usize::from(area.width))
            .unwrap_or(6);
        let mut spans = Vec::new();
        for (key, label, rank) in &hints {
            if *rank >= min_rank {
                spans.push(Span::styled(key.clone(), rx.theme.key));
                spans.push(Span::styled(format!(" {label}  "), rx.theme.muted));
            }
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
    }

    fn redeem_intro(&self, rx: &RenderCx) -> String {
        let balance = self
            .preview
            .as_ref()
            .and_then(|p| p.points_available)
            .unwrap_or(0);
        rx.lang.fill(
            "The member has {points} points to spend.",
            &[("points", &balance.to_string())],
        )
    }

    fn render_dialog(
        &self,
        dialog: &Dialog,
        title: &str,
        intro: String,
        frame: &mut Frame,
        area: Rect,
        rx: &RenderCx,
    ) {
        let refusal_rows: u16 = if dialog.refusal.is_some() { 3 } else { 0 };
        // The box is 72 cells wide: 70 inside its borders.
        let height = dialog
            .form
            .height_in(70, rx)
            .saturating_add(refusal_rows)
            .saturating_add(5);
        let box_area = centred(area, 72, height);
        crate::ui::widgets::surface::clear_for_dialog(frame, box_area, rx);
        let block = Block::bordered()
            .title(Span::styled(format!(" {title} "), rx.theme.title))
            .border_style(rx.theme.border_focused)
            .style(rx.theme.base);
        let inner = block.inner(box_area);
        frame.render_widget(block, box_area);
        let [intro_area, form_area, refusal_area, footer] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(dialog.form.height_in(inner.width, rx)),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(Span::styled(intro, rx.theme.muted)),
            intro_area,
        );
        dialog.form.render(frame, form_area, rx, true);
        if let Some(refusal) = &dialog.refusal {
            frame.render_widget(
                Paragraph::new(Span::styled(safe(refusal).into_owned(), rx.theme.error))
                    .wrap(ratatui::widgets::Wrap { trim: true }),
                refusal_area,
            );
        }
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("Enter: apply   Esc: cancel"),
                rx.theme.muted,
            )),
            footer,
        );
    }
}
