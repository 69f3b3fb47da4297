//! Small forms opened from a member's screen: sell a monthly plan, renew one, sell a prepaid
//! package, adjust points. Each calls one service operation; the service decides who may.

use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::approval::{ApprovalDialog, needs_manager};
use crate::domain::access::Operation;
use crate::domain::catalog::PaymentMethod;
use crate::domain::money::Money;
use crate::ids::RecordId;
use crate::service::{PackageSale, PlanSale, ServiceError};
use crate::ui::actions::Action;
use crate::ui::i18n::Language;
use crate::ui::keymap::KeyContext;
use crate::ui::overlays::centred;
use crate::ui::text::safe;
use crate::ui::view::{Cx, Handled, RenderCx, View, describe_error};
use crate::ui::widgets::form::{FieldKind, Form, FormEvent};
use crate::ui::widgets::input::TextInput;

/// How plans and packages may be paid for (the service refuses plan, package and points).
const SALE_PAYMENTS: [PaymentMethod; 3] = [
    PaymentMethod::Card,
    PaymentMethod::Cash,
    PaymentMethod::Mobile,
];

fn payment_options(lang: Language) -> Vec<String> {
    SALE_PAYMENTS
        .iter()
        .map(|method| lang.tr(method.as_str()).to_owned())
        .collect()
}

/// A manager may sell at another price than the list's, with a reason. A cashier first chooses
/// "Other price", which asks a manager's approval before the price and reason fields appear,
/// so a cashier is never refused after filling them in.
fn off_list_fields(form: Form, manager: bool, lang: Language) -> Form {
    if manager {
        return with_price_fields(form);
    }
    form.choice(
        "price_mode",
        "Price",
        vec![
            lang.tr("List price").to_owned(),
            lang.tr("Other price (needs a manager)").to_owned(),
        ],
        0,
    )
}

fn with_price_fields(form: Form) -> Form {
    form.text(
        "price",
        "Other price",
        TextInput::new()
            .with_max(12)
            .with_placeholder("empty: the list price"),
    )
    .text("reason", "Reason", TextInput::new().with_max(200))
    .hint("A price off the list is kept with its reason and audited.")
}

/// The cashier's choice between the list price and another one.
const PRICE_MODE: &str = "price_mode";
const OTHER_PRICE: usize = 1;

/// One choice: an id and its label (already translated and safe to draw).
pub type Choice = (RecordId, String);

#[derive(Clone)]
pub enum DialogKind {
    /// `products`: the plan products on the price list. `manager`: may set another price.
    SellPlan {
        vehicles: Vec<Choice>,
        products: Vec<Choice>,
        manager: bool,
    },
    RenewPlan {
        plan: RecordId,
        price_per_term: Money,
        months_per_term: u32,
        valid_until: NaiveDate,
    },
    SellPackage {
        products: Vec<Choice>,
        manager: bool,
    },
    AdjustPoints {
        balance: i64,
    },
}

pub struct MemberDialog {
    member: RecordId,
    kind: DialogKind,
    form: Form,
    /// A message the service gave that names no field; already translated.
    error: Option<String>,
}

impl MemberDialog {
    pub fn new(member: RecordId, kind: DialogKind, lang: Language) -> Self {
        let form = match &kind {
            DialogKind::SellPlan {
                vehicles,
                products,
                manager,
            } => {
                let form = Form::new()
                    .choice(
                        "vehicle",
                        "Vehicle",
                        vehicles.iter().map(|(_, label)| label.clone()).collect(),
                        0,
                    )
                    .choice(
                        "product",
                        "Plan",
                        products.iter().map(|(_, label)| label.clone()).collect(),
                        0,
                    )
                    .text(
                        "terms",
                        "Terms to buy",
                        TextInput::new().with_max(2).with_value("1"),
                    )
                    .choice("payment", "Payment", payment_options(lang), 0);
                off_list_fields(form, *manager, lang)
            }
            DialogKind::RenewPlan { .. } => Form::new()
                .text(
                    "terms",
                    "Terms to add",
                    TextInput::new().with_max(2).with_value("1"),
                )
                .choice("payment", "Payment", payment_options(lang), 0),
            DialogKind::SellPackage { products, manager } => {
                let form = Form::new()
                    .choice(
                        "product",
                        "Package",
                        products.iter().map(|(_, label)| label.clone()).collect(),
                        0,
                    )
                    .choice("payment", "Payment", payment_options(lang), 0);
                off_list_fields(form, *manager, lang)
            }
            DialogKind::AdjustPoints { .. } => Form::new()
                .text(
                    "points",
                    "Points",
                    TextInput::new()
                        .with_max(8)
                        .with_placeholder("e.g. 50 or -20"),
                )
                .text("reason", "Reason", TextInput::new().with_max(200))
                .hint("Kept with the entry and in the audit log."),
        };
        Self {
            member,
            kind,
            form,
            error: None,
        }
    }

    fn whole_number(&mut self, key: &'static str, lang: Language) -> Option<u32> {
        match self.form.value(key).trim().parse::<u32>() {
            Ok(value) => Some(value),
            Err(_) => {
                self.form.set_error(key, lang.tr("Enter a whole number."));
                None
            }
        }
    }

    fn money(&mut self, key: &'static str, cx: &Cx) -> Option<Money> {
        match Money::parse(self.form.value(key), &cx.shop.currency) {
            Ok(amount) => Some(amount),
            Err(error) => {
                self.form.set_error(key, error.to_string());
                None
            }
        }
    }

    /// `Some(None)`: sell at list price (the field is absent or empty). Another price needs a
    /// reason and cannot be negative; both are checked here, before the service is asked, so
    /// a manager's one-time approval is not spent on a sale that is then refused.
    fn off_list_price(&mut self, cx: &Cx) -> Option<Option<Money>> {
        if !self.form.has("price") || self.form.value("price").trim().is_empty() {
            return Some(None);
        }
        let price = self.money("price", cx)?;
        if price.is_negative() {
            self.form.set_error(
                "price",
                cx.tr("A price cannot be negative; enter 0 to give it free."),
            );
            return None;
        }
        if self.reason().is_none() {
            self.form
                .set_error("reason", cx.tr("Give a reason; it goes in the audit log."));
            return None;
        }
        Some(Some(price))
    }

    fn other_price_chosen(&self) -> bool {
        self.form.has(PRICE_MODE) && self.form.choice_index(PRICE_MODE) == OTHER_PRICE
    }

    /// The cashier moved between "List price" and "Other price": another price needs a
    /// manager's approval first (the dialog opens on top; [`View::refresh`] picks up its
    /// answer), the list price hides the fields again.
    fn on_price_mode_changed(&mut self, cx: &mut Cx) {
        if !self.other_price_chosen() {
            self.form
                .fields
                .retain(|field| field.key != "price" && field.key != "reason");
            return;
        }
        if needs_manager(cx, Operation::OverridePrice) {
            // Nothing to run on approval: `refresh` shows the fields when this is back on top.
            cx.push(
                ApprovalDialog::new(Operation::OverridePrice, Box::new(|_| {}))
                    .with_title("Approve an off-list price"),
            );
        } else {
            self.show_price_fields();
        }
    }

    fn show_price_fields(&mut self) {
        if self.form.has("price") {
            return;
        }
        self.form = with_price_fields(std::mem::take(&mut self.form));
        self.form.focus_key("price");
    }

    fn reason(&self) -> Option<String> {
        self.form
            .has("reason")
            .then(|| self.form.value("reason").trim().to_owned())
            .filter(|reason| !reason.is_empty())
    }

    fn payment(&self) -> PaymentMethod {
        SALE_PAYMENTS
            .get(self.form.choice_index("payment"))
            .copied()
            .unwrap_or(PaymentMethod::Card)
    }

    fn save(&mut self, cx: &mut Cx) {
        self.form.clear_errors();
        self.error = None;
        let lang = cx.lang;
        let kind = self.kind.clone();
        let result: Option<Result<String, ServiceError>> = match &kind {
            DialogKind::SellPlan {
                vehicles, products, ..
            } => {
                let vehicle = vehicles.get(self.form.choice_index("vehicle")).map(|v| v.0);
                let product = products.get(self.form.choice_index("product")).map(|p| p.0);
                let terms = self.whole_number("terms", lang);
                let price = self.off_list_price(cx);
                match (vehicle, product, terms, price) {
                    (Some(vehicle), Some(product), Some(terms), Some(price_override)) => {
                        let sale = PlanSale {
                            member: self.member,
                            vehicle,
                            product,
                            terms,
                            price_override,
                            override_reason: self.reason(),
                            payment: self.payment(),
                            tenders: Vec::new(),
                        };
                        Some(cx.service.sell_plan(cx.session, sale).map(|sold| {
                            let until = sold.plan.valid_until.format("%Y-%m-%d").to_string();
                            let number = sold.receipt.receipt_number.to_string();
                            lang.fill(
                                "Plan sold; valid until {date}. Receipt #{number}.",
                                &[("date", &until), ("number", &number)],
                            )
                        }))
                    }
                    _ => None,
                }
            }
            DialogKind::RenewPlan { plan, .. } => {
                let plan = *plan;
                self.whole_number("terms", lang).map(|terms| {
                    cx.service
                        .renew_plan(cx.session, plan, terms, self.payment())
                        .map(|sold| {
                            let until = sold.plan.valid_until.format("%Y-%m-%d").to_string();
                            let number = sold.receipt.receipt_number.to_string();
                            lang.fill(
                                "Plan renewed; valid until {date}. Receipt #{number}.",
                                &[("date", &until), ("number", &number)],
                            )
                        })
                })
            }
            DialogKind::SellPackage { products, .. } => {
                let product = products.get(self.form.choice_index("product")).map(|p| p.0);
                let price = self.off_list_price(cx);
                match (product, price) {
                    (Some(product), Some(price_override)) => {
                        let sale = PackageSale {
                            member: self.member,
                            product,
                            price_override,
                            override_reason: self.reason(),
                            payment: self.payment(),
                            tenders: Vec::new(),
                        };
                        Some(cx.service.sell_package(cx.session, sale).map(|sold| {
                            let number = sold.receipt.receipt_number.to_string();
                            lang.fill("Package sold. Receipt #{number}.", &[("number", &number)])
                        }))
                    }
                    _ => None,
                }
            }
            DialogKind::AdjustPoints { .. } => {
                let points = match self.form.value("points").trim().parse::<i64>() {
                    Ok(0) | Err(_) => {
                        self.form.set_error(
                            "points",
                            lang.tr("Enter the points to add, or a minus sign and the points to take off."),
                        );
                        None
                    }
                    Ok(points) => Some(points),
                };
                let reason = self.form.value("reason").trim().to_owned();
                if reason.is_empty() {
                    self.form.set_error(
                        "reason",
                        lang.tr("Give a reason; it goes in the audit log."),
                    );
                }
                match points {
                    Some(points) if !reason.is_empty() => Some(
                        cx.service
                            .adjust_points(cx.session, self.member, points, &reason)
                            .map(|balance| {
                                let balance = balance.to_string();
                                lang.fill(
                                    "Points adjusted; the balance is now {n}.",
                                    &[("n", &balance)],
                                )
                            }),
                    ),
                    _ => None,
                }
            }
        };
        match result {
            None => self.form.focus_first_error(),
            Some(Ok(notice)) => {
                cx.changed();
                cx.notice(notice);
                cx.back();
            }
            Some(Err(error)) => self.show_error(&error, cx),
        }
    }

    /// A validation message goes next to its field (or under the form); anything else (a
    /// refusal, a locked session) goes to the status line and the dialog closes.
    fn show_error(&mut self, error: &ServiceError, cx: &mut Cx) {
        let ServiceError::InvalidInput(message) = error else {
            cx.fail(error);
            cx.back();
            return;
        };
        let field = message.split_once(": ").and_then(|(prefix, reason)| {
            self.form
                .fields
                .iter()
                .find(|f| f.key == prefix || f.key.replace('_', " ") == prefix)
                .map(|f| (f.key, reason.to_owned()))
        });
        match field {
            Some((key, reason)) => {
                self.form.set_error(key, reason);
                self.form.focus_first_error();
            }
            None => self.error = Some(describe_error(error, cx.lang)),
        }
    }

    fn intro(&self, rx: &RenderCx) -> String {
        match &self.kind {
            DialogKind::SellPlan { .. } => rx
                .tr("Unlimited washes for one vehicle, from the price list, paid now for the terms chosen.")
                .to_owned(),
            DialogKind::RenewPlan {
                price_per_term,
                months_per_term,
                valid_until,
                ..
            } => rx.lang.fill(
                "Valid until {date}; {price} per {months} months, as sold, paid now for the terms added.",
                &[
                    ("date", &valid_until.format("%Y-%m-%d").to_string()),
                    ("price", &rx.money(*price_per_term)),
                    ("months", &months_per_term.to_string()),
                ],
            ),
            DialogKind::SellPackage { .. } => rx
                .tr("Washes of one service from the price list, paid now, used at checkout.")
                .to_owned(),
            DialogKind::AdjustPoints { balance } => rx.lang.fill(
                "Balance now {n} points. Manager only: a positive number adds, a negative one takes off.",
                &[("n", &balance.to_string())],
            ),
        }
    }
}

impl View for MemberDialog {
    fn title(&self) -> &'static str {
        match self.kind {
            DialogKind::SellPlan { .. } => "Sell a monthly plan",
            DialogKind::RenewPlan { .. } => "Renew plan",
            DialogKind::SellPackage { .. } => "Sell a package",
            DialogKind::AdjustPoints { .. } => "Adjust points",
        }
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Form]
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        self.form.focused_input()
    }

    fn on_input_changed(&mut self, _cx: &mut Cx) {
        self.form.clear_focused_error();
    }

    /// Back on top after the approval dialog: approved, the price fields appear; cancelled or
    /// refused, the sale stays at the list price.
    fn refresh(&mut self, cx: &mut Cx) {
        if !self.other_price_chosen() || self.form.has("price") {
            return;
        }
        if needs_manager(cx, Operation::OverridePrice) {
            if let Some(field) = self.form.field_mut(PRICE_MODE)
                && let FieldKind::Choice { selected, .. } = &mut field.kind
            {
                *selected = 0;
            }
        } else {
            self.show_price_fields();
        }
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        let event = self.form.on_action(action);
        if event == FormEvent::Changed
            && matches!(action, Action::Left | Action::Right)
            && self.form.focused_key() == Some(PRICE_MODE)
        {
            self.on_price_mode_changed(cx);
            return Handled::Yes;
        }
        match event {
            // Enter moves on; on the last field it saves.
            FormEvent::Submit if self.form.focus + 1 < self.form.fields.len() => {
                self.form.on_action(Action::NextField);
                Handled::Yes
            }
            FormEvent::Submit => {
                self.save(cx);
                Handled::Yes
            }
            FormEvent::Changed => Handled::Yes,
            FormEvent::Ignored => Handled::No,
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let height = (self.form.height() + 8).min(area.height);
        let box_area = centred(area, 72.min(area.width), height);
        crate::ui::widgets::surface::clear_for_dialog(frame, box_area, rx);
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr(self.title())),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(box_area);
        frame.render_widget(block, box_area);
        let [intro, form_area, error, footer] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(self.form.height_in(inner.width, rx)),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(Span::styled(self.intro(rx), rx.theme.muted)).wrap(Wrap { trim: true }),
            intro,
        );
        self.form.render(frame, form_area, rx, true);
        if let Some(message) = &self.error {
            frame.render_widget(
                Paragraph::new(Span::styled(safe(message).into_owned(), rx.theme.error))
                    .wrap(Wrap { trim: true }),
                error,
            );
        }
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(
                rx.tr("Enter: next field, saves on the last   ←/→: choose   Esc: cancel"),
                rx.theme.muted,
            ))),
            footer,
        );
    }
}
