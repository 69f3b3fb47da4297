//! Refunding a visit, opened from a member's visit history: units of chosen lines, an amount,
//! or the whole visit with its tip; where the money goes; a reason. Before anything is done it
//! shows what would come back — money, each tax, points, plan and package washes — as the
//! service works it out; then the refund receipt.
//!
//! Refunds are a manager's: a cashier is told so before any form opens (see [`open_refund`]),
//! and [`needs_manager`] is where the counter approval dialog hooks in.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::domain::access::Operation;
use crate::domain::catalog::PaymentMethod;
use crate::domain::money::Money;
use crate::domain::refund::{RefundRequest, RefundedLine};
use crate::ids::RecordId;
use crate::service::{RefundInput, RefundPreview, RefundReceipt, VisitRefundDetail};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::overlays::centred;
use crate::ui::screens::approval::ApprovalDialog;
use crate::ui::text::{pad, safe, truncate, width};
use crate::ui::view::{Cx, Handled, RenderCx, View, describe_error};
use crate::ui::widgets::input::TextInput;
use crate::ui::widgets::receipt_pane::receipt_and_side;

const CONTEXTS: &[KeyContext] = &[KeyContext::Form];
const DIALOG_WIDTH: u16 = 76;
/// Cells of the label column.
const LABEL: usize = 18;
/// Cells of the amount paid for a line, and of the units left.
const AMOUNT: usize = 10;
const LEFT: usize = 5;

/// Opens the refund dialog for `visit`, or, when the staff member may not refund without a
/// manager, says so before any form is filled in.
pub fn open_refund(cx: &mut Cx, visit: RecordId) {
    if cx.service.can(cx.session, Operation::RefundVisit) {
        cx.push(RefundDialog::new(visit));
    } else {
        needs_manager(cx, visit);
    }
}

/// A cashier asked to refund `visit`: a manager standing by approves it at this screen, and
/// the refund dialog then opens for this one refund.
pub fn needs_manager(cx: &mut Cx, visit: RecordId) {
    ApprovalDialog::new(
        Operation::RefundVisit,
        Box::new(move |cx: &mut Cx| cx.push(RefundDialog::new(visit))),
    )
    .with_title("Approve a refund")
    .ask(cx);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Lines,
    Amount,
    Whole,
}

impl Mode {
    const ALL: [Mode; 3] = [Mode::Lines, Mode::Amount, Mode::Whole];

    fn label(self) -> &'static str {
        match self {
            Mode::Lines => "Chosen lines",
            Mode::Amount => "An amount",
            Mode::Whole => "The whole visit, with any tip",
        }
    }
}

/// One focusable row of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Mode,
    Line(usize),
    Amount,
    Method,
    Reason,
}

enum Stage {
    Form,
    Review(Box<RefundPreview>),
    Done(Box<RefundReceipt>),
}

pub struct RefundDialog {
    visit: RecordId,
    detail: Option<VisitRefundDetail>,
    /// Already translated.
    load_error: Option<String>,
    mode: Mode,
    /// Units to refund, one input per line of `detail.lines`.
    units: Vec<TextInput>,
    amount: TextInput,
    reason: TextInput,
    in_cash: bool,
    focus: usize,
    stage: Stage,
    /// A message that names no one field; already translated.
    error: Option<String>,
    /// A message under one slot; already translated.
    slot_error: Option<(Slot, String)>,
}

impl RefundDialog {
    pub fn new(visit: RecordId) -> Self {
        Self {
            visit,
            detail: None,
            load_error: None,
            mode: Mode::Lines,
            units: Vec::new(),
            amount: TextInput::new().with_max(12),
            reason: TextInput::new().with_max(200),
            in_cash: false,
            focus: 0,
            stage: Stage::Form,
            error: None,
            slot_error: None,
        }
    }

    fn slots(&self) -> Vec<Slot> {
        let mut slots = vec![Slot::Mode];
        match self.mode {
            Mode::Lines => {
                if let Some(detail) = &self.detail {
                    slots.extend(
                        detail
                            .lines
                            .iter()
                            .enumerate()
                            .filter(|(_, line)| line.units_left > 0)
                            .map(|(index, _)| Slot::Line(index)),
                    );
                }
            }
            Mode::Amount => slots.push(Slot::Amount),
            Mode::Whole => {}
        }
        slots.push(Slot::Method);
        slots.push(Slot::Reason);
        slots
    }

    fn focused(&self) -> Slot {
        let slots = self.slots();
        slots
            .get(self.focus.min(slots.len().saturating_sub(1)))
            .copied()
            .unwrap_or(Slot::Mode)
    }

    fn move_focus(&mut self, forward: bool) {
        let count = self.slots().len();
        if count == 0 {
            return;
        }
        self.focus = if forward {
            (self.focus + 1) % count
        } else {
            (self.focus + count - 1) % count
        };
    }

    fn load(&mut self, cx: &mut Cx) {
        match cx.service.visit_detail(cx.session, self.visit) {
            Ok(detail) => {
                if self.units.len() != detail.lines.len() {
                    self.units = detail
                        .lines
                        .iter()
                        .map(|_| TextInput::new().with_max(3).with_placeholder("0"))
                        .collect();
                }
                if detail.lines.iter().all(|line| line.units_left == 0) && self.mode == Mode::Lines
                {
                    self.mode = if detail.refundable.is_zero() {
                        Mode::Whole
                    } else {
                        Mode::Amount
                    };
                }
                self.detail = Some(detail);
                self.load_error = None;
            }
            Err(error) => {
                self.load_error = Some(describe_error(&error, cx.lang));
                cx.fail(&error);
            }
        }
    }

    /// The refund the form asks for; on a problem, the message goes under its row (or under
    /// the form when it belongs to no one row).
    fn read_form(&mut self, cx: &Cx) -> Option<RefundInput> {
        self.slot_error = None;
        self.error = None;
        match self.asked(cx) {
            Ok(input) => Some(input),
            Err((Some(slot), message)) => {
                self.slot_error = Some((slot, message));
                None
            }
            Err((None, message)) => {
                self.error = Some(message);
                None
            }
        }
    }

    fn asked(&self, cx: &Cx) -> Result<RefundInput, (Option<Slot>, String)> {
        let detail = self
            .detail
            .as_ref()
            .ok_or((None, cx.tr("Opening the visit…").to_owned()))?;
        let request = match self.mode {
            Mode::Lines => {
                let mut asked = Vec::new();
                for (index, (line, input)) in detail.lines.iter().zip(&self.units).enumerate() {
                    let text = input.value().trim();
                    if text.is_empty() || line.units_left == 0 {
                        continue;
                    }
                    match text.parse::<u32>() {
                        Ok(0) => {}
                        Ok(quantity) => asked.push(RefundedLine {
                            line: line.line,
                            quantity,
                        }),
                        Err(_) => {
                            return Err((
                                Some(Slot::Line(index)),
                                cx.tr("Enter a whole number.").to_owned(),
                            ));
                        }
                    }
                }
                if asked.is_empty() {
                    return Err((
                        None,
                        cx.tr("Type how many units of a line to refund, or choose an amount.")
                            .to_owned(),
                    ));
                }
                RefundRequest::Lines(asked)
            }
            Mode::Amount => match Money::parse(self.amount.value(), &cx.shop.currency) {
                Ok(amount) => RefundRequest::Amount(amount),
                Err(error) => {
                    return Err((Some(Slot::Amount), safe(&error.to_string()).into_owned()));
                }
            },
            Mode::Whole => RefundRequest::Whole,
        };
        let reason = self.reason.value().trim().to_owned();
        if reason.is_empty() {
            return Err((
                Some(Slot::Reason),
                cx.tr("Give a reason; it is kept with the refund.")
                    .to_owned(),
            ));
        }
        Ok(RefundInput {
            visit: self.visit,
            request,
            reason,
            to_method: self.in_cash.then_some(PaymentMethod::Cash),
        })
    }

    fn focus_slot(&mut self, slot: Slot) {
        if let Some(index) = self.slots().iter().position(|s| *s == slot) {
            self.focus = index;
        }
    }

    fn review(&mut self, cx: &mut Cx) {
        let Some(input) = self.read_form(cx) else {
            if let Some((slot, _)) = self.slot_error {
                self.focus_slot(slot);
            }
            return;
        };
        match cx.service.preview_refund(cx.session, &input) {
            Ok(preview) => self.stage = Stage::Review(Box::new(preview)),
            Err(error) => self.show_error(&error, cx),
        }
    }

    fn confirm(&mut self, cx: &mut Cx) {
        let Some(input) = self.read_form(cx) else {
            self.stage = Stage::Form;
            return;
        };
        match cx.service.refund_visit(cx.session, input) {
            Ok(receipt) => {
                cx.changed();
                cx.notice(cx.lang.fill(
                    "Refund made. Receipt #{number}.",
                    &[("number", &receipt.receipt_number.to_string())],
                ));
                self.stage = Stage::Done(Box::new(receipt));
            }
            Err(error) => {
                self.stage = Stage::Form;
                self.show_error(&error, cx);
                self.load(cx);
            }
        }
    }

    /// A refusal, a locked session or an ended one go to the app; anything else stays in the
    /// dialog, with what was typed.
    fn show_error(&mut self, error: &crate::service::ServiceError, cx: &mut Cx) {
        match error {
            crate::service::ServiceError::InvalidInput(_) => {
                self.error = Some(describe_error(error, cx.lang));
            }
            _ => {
                self.error = Some(describe_error(error, cx.lang));
                cx.fail(error);
            }
        }
    }

    fn on_form_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        match action {
            Action::NextField | Action::Down => self.move_focus(true),
            Action::PrevField | Action::Up => self.move_focus(false),
            Action::Left | Action::Right => {
                let forward = action == Action::Right;
                match self.focused() {
                    Slot::Mode => {
                        let count = Mode::ALL.len();
                        let index = Mode::ALL.iter().position(|m| *m == self.mode).unwrap_or(0);
                        let next = if forward {
                            (index + 1) % count
                        } else {
                            (index + count - 1) % count
                        };
                        self.mode = Mode::ALL[next];
                        self.slot_error = None;
                        self.error = None;
                    }
                    Slot::Method => self.in_cash = !self.in_cash,
                    _ => return Handled::No,
                }
            }
            // Enter moves on; on the reason, the last row, it shows what would come back.
            Action::Submit | Action::Select => {
                if self.focused() == Slot::Reason {
                    self.review(cx);
                } else {
                    self.move_focus(true);
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }
}

impl View for RefundDialog {
    fn title(&self) -> &'static str {
        "Refund a visit"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        CONTEXTS
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        if !matches!(self.stage, Stage::Form) {
            return None;
        }
        match self.focused() {
            Slot::Line(index) => self.units.get_mut(index),
            Slot::Amount => Some(&mut self.amount),
            Slot::Reason => Some(&mut self.reason),
            Slot::Mode | Slot::Method => None,
        }
    }

    fn on_input_changed(&mut self, _cx: &mut Cx) {
        if self
            .slot_error
            .as_ref()
            .is_some_and(|(slot, _)| *slot == self.focused())
        {
            self.slot_error = None;
        }
    }

    fn refresh(&mut self, cx: &mut Cx) {
        // What was typed stays; only what is left to refund is read again.
        if matches!(self.stage, Stage::Form) || self.detail.is_none() {
            self.load(cx);
        }
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        match &self.stage {
            Stage::Done(_) => match action {
                Action::Back | Action::Submit | Action::Select => {
                    cx.back();
                    Handled::Yes
                }
                _ => Handled::No,
            },
            Stage::Review(_) => match action {
                Action::Back => {
                    self.stage = Stage::Form;
                    Handled::Yes
                }
                Action::Submit | Action::Select => {
                    self.confirm(cx);
                    Handled::Yes
                }
                _ => Handled::No,
            },
            Stage::Form => {
                if action == Action::Back || self.detail.is_none() {
                    return Handled::No;
                }
                self.on_form_action(action, cx)
            }
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        match &self.stage {
            Stage::Done(receipt) => render_done(receipt, frame, area, rx),
            Stage::Review(preview) => self.render_review(preview, frame, area, rx),
            Stage::Form => self.render_form(frame, area, rx),
        }
    }
}

fn dialog(area: Rect, rows: usize, rx: &RenderCx, frame: &mut Frame) -> Rect {
    let height = u16::try_from(rows + 2).unwrap_or(u16::MAX).min(area.height);
    let box_area = centred(area, DIALOG_WIDTH.min(area.width), height);
    crate::ui::widgets::surface::clear_for_dialog(frame, box_area, rx);
    let block = Block::bordered()
        .title(Span::styled(
            format!(" {} ", rx.tr("Refund a visit")),
            rx.theme.title,
        ))
        .border_style(rx.theme.border_focused);
    let inner = block.inner(box_area);
    frame.render_widget(block, box_area);
    inner
}

/// `label` padded to the label column, then `value`.
fn row<'a>(rx: &RenderCx, label: &str, focused: bool, value: Vec<Span<'a>>) -> Line<'a> {
    let marker = if focused { "▸" } else { " " };
    let style = if focused {
        rx.theme.accent
    } else {
        rx.theme.base
    };
    let mut spans = vec![Span::styled(
        format!("{marker}{}", pad(label, LABEL - 1)),
        style,
    )];
    spans.extend(value);
    Line::from(spans)
}

/// `text` right-aligned in `cells`.
fn pad_left(text: &str, cells: usize) -> String {
    let cut = truncate(text, cells);
    format!("{}{cut}", " ".repeat(cells.saturating_sub(width(&cut))))
}

/// A label and an amount, the amount right-aligned in `cells`.
fn money_row(label: &str, amount: &str, cells: usize) -> String {
    let room = cells.saturating_sub(width(amount) + 1);
    format!("{} {amount}", pad(label, room))
}

/// "5%", "7.5%", "0.6%" from basis points.
fn rate(basis_points: u32) -> String {
    let whole = basis_points / 100;
    let fraction = basis_points % 100;
    if fraction == 0 {
        format!("{whole}%")
    } else if fraction.is_multiple_of(10) {
        format!("{whole}.{}%", fraction / 10)
    } else {
        format!("{whole}.{fraction:02}%")
    }
}

fn choice_text(text: &str, focused: bool, rx: &RenderCx) -> Span<'static> {
    Span::styled(format!("◂ {} ▸", safe(text)), rx.input_style(focused))
}

impl RefundDialog {
    fn intro(&self, detail: &VisitRefundDetail, rx: &RenderCx) -> String {
        let receipt = detail
            .receipt_number
            .map_or_else(|| "—".to_owned(), |n| format!("#{n}"));
        rx.lang.fill(
            "Visit of {when}, receipt {receipt}: {charged} charged, {refunded} refunded, {left} left to refund.",
            &[
                ("when", &safe(&detail.at_local)),
                ("receipt", &receipt),
                ("charged", &rx.money(detail.charged)),
                ("refunded", &rx.money(detail.refunded)),
                ("left", &rx.money(detail.refundable)),
            ],
        )
    }

    fn render_form(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let Some(detail) = &self.detail else {
            let text = self
                .load_error
                .clone()
                .unwrap_or_else(|| rx.tr("Opening the visit…").to_owned());
            frame.render_widget(
                Paragraph::new(Span::styled(safe(&text).into_owned(), rx.theme.muted))
                    .wrap(Wrap { trim: true }),
                area,
            );
            return;
        };
        let focused = self.focused();
        let inner_width = usize::from(DIALOG_WIDTH.min(area.width)).saturating_sub(2);
        let mut focus_line = 0;
        let slot_message = |slot: Slot| -> Option<Line<'static>> {
            self.slot_error
                .as_ref()
                .filter(|(at, _)| *at == slot)
                .map(|(_, message)| {
                    Line::from(Span::styled(
                        format!("{}{}", " ".repeat(LABEL), safe(message)),
                        rx.theme.error,
                    ))
                })
        };
        let mut lines: Vec<Line> = Vec::new();
        if detail.finished {
            lines.push(Line::from(Span::styled(
                rx.tr("Everything on this visit has been refunded (or it was voided)."),
                rx.theme.warning,
            )));
        }
        if focused == Slot::Mode {
            focus_line = lines.len();
        }
        lines.push(row(
            rx,
            rx.tr("Refund"),
            focused == Slot::Mode,
            vec![choice_text(
                rx.tr(self.mode.label()),
                focused == Slot::Mode,
                rx,
            )],
        ));
        match self.mode {
            Mode::Lines => {
                let name_cells = inner_width.saturating_sub(LABEL + AMOUNT + LEFT + 8);
                lines.push(Line::from(Span::styled(
                    format!(
                        "{}{} {} {} {}",
                        " ".repeat(LABEL),
                        pad(rx.tr("Service"), name_cells),
                        pad_left(rx.tr("Paid"), AMOUNT),
                        pad_left(rx.tr("Left"), LEFT),
                        rx.tr("Units")
                    ),
                    rx.theme.header,
                )));
                for (index, (line, input)) in detail.lines.iter().zip(&self.units).enumerate() {
                    let here = focused == Slot::Line(index);
                    if here {
                        focus_line = lines.len();
                    }
                    let mut name = format!("{}× {}", line.quantity, safe(&line.name));
                    if let Some(method) = line.covered_by {
                        name = format!("{name} ({})", rx.tr(method.as_str()));
                    }
                    let paid = if line.covered_by.is_some() {
                        "—".to_owned()
                    } else {
                        line.amount.format_amount(&rx.shop.currency)
                    };
                    let units = if line.units_left == 0 {
                        Span::styled(rx.tr("refunded"), rx.theme.muted)
                    } else if input.value().is_empty() && !here {
                        Span::styled("0", rx.theme.placeholder)
                    } else {
                        Span::styled(format!("{:<4}", input.value()), rx.input_style(here))
                    };
                    let style = if line.units_left == 0 {
                        rx.theme.muted
                    } else {
                        rx.theme.base
                    };
                    lines.push(row(
                        rx,
                        "",
                        here,
                        vec![
                            Span::styled(
                                format!(
                                    "{} {} {} ",
                                    pad(&name, name_cells),
                                    pad_left(&paid, AMOUNT),
                                    pad_left(&line.units_left.to_string(), LEFT)
                                ),
                                style,
                            ),
                            units,
                        ],
                    ));
                    if let Some(message) = slot_message(Slot::Line(index)) {
                        lines.push(message);
                    }
                }
            }
            Mode::Amount => {
                let here = focused == Slot::Amount;
                if here {
                    focus_line = lines.len();
                }
                let shown = if self.amount.value().is_empty() && !here {
                    Span::styled(rx.tr("e.g. 10.00"), rx.theme.placeholder)
                } else {
                    Span::styled(format!("{:<12}", self.amount.value()), rx.input_style(here))
                };
                lines.push(row(
                    rx,
                    rx.tr("Amount"),
                    here,
                    vec![
                        shown,
                        Span::styled(
                            format!(
                                "  {}",
                                rx.lang.fill(
                                    "at most {most}",
                                    &[("most", &rx.money(detail.refundable))]
                                )
                            ),
                            rx.theme.muted,
                        ),
                    ],
                ));
                if let Some(message) = slot_message(Slot::Amount) {
                    lines.push(message);
                }
            }
            Mode::Whole => {
                let all = detail
                    .refundable
                    .checked_add(detail.tip_left)
                    .unwrap_or(detail.refundable);
                lines.push(Line::from(Span::styled(
                    format!(
                        "{}{}",
                        " ".repeat(LABEL),
                        rx.lang.fill(
                            "Everything left: {amount} (tip {tip}), every unit, all points and washes.",
                            &[
                                ("amount", &rx.money(all)),
                                ("tip", &rx.money(detail.tip_left)),
                            ],
                        )
                    ),
                    rx.theme.base,
                )));
            }
        }
        let method = if self.in_cash {
            rx.tr("All in cash")
        } else {
            rx.tr("The way it was paid (card and mobile first)")
        };
        if focused == Slot::Method {
            focus_line = lines.len();
        }
        lines.push(row(
            rx,
            rx.tr("Refund to"),
            focused == Slot::Method,
            vec![choice_text(method, focused == Slot::Method, rx)],
        ));
        let here = focused == Slot::Reason;
        if here {
            focus_line = lines.len();
        }
        let reason = if self.reason.value().is_empty() && !here {
            Span::styled(
                rx.tr("required; kept with the refund"),
                rx.theme.placeholder,
            )
        } else {
            Span::styled(self.reason.value().to_owned(), rx.input_style(here))
        };
        lines.push(row(rx, rx.tr("Reason"), here, vec![reason]));
        if let Some(message) = slot_message(Slot::Reason) {
            lines.push(message);
        }

        let intro = self.intro(detail, rx);
        let rows = lines.len() + 6;
        let inner = dialog(area, rows, rx, frame);
        let [intro_area, body, error_area, footer] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(u16::try_from(lines.len() + 1).unwrap_or(u16::MAX)),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(Span::styled(intro, rx.theme.muted)).wrap(Wrap { trim: true }),
            intro_area,
        );
        let mut with_gap = vec![Line::from("")];
        with_gap.extend(lines);
        // Keep the focused row (and the message under it) in view on a short screen; the
        // blank line above the rows counts too.
        let message_below = usize::from(
            self.slot_error
                .as_ref()
                .is_some_and(|(slot, _)| *slot == focused),
        );
        let last_needed = focus_line + 1 + message_below;
        let visible = usize::from(body.height);
        let scroll = (last_needed + 1).saturating_sub(visible);
        frame.render_widget(
            Paragraph::new(with_gap).scroll((u16::try_from(scroll).unwrap_or(0), 0)),
            body,
        );
        if let Some(message) = &self.error {
            frame.render_widget(
                Paragraph::new(Span::styled(safe(message).into_owned(), rx.theme.error))
                    .wrap(Wrap { trim: true }),
                error_area,
            );
        }
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("Tab/↓: next   ←/→: choose   Enter on the reason: review   Esc: cancel"),
                rx.theme.muted,
            )),
            footer,
        );
    }

    fn render_review(&self, preview: &RefundPreview, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let given = &preview.given_back;
        let currency = &rx.shop.currency;
        let cells = usize::from(DIALOG_WIDTH.min(area.width))
            .saturating_sub(4)
            .min(60);
        let mut lines: Vec<Line> = vec![
            Line::from(Span::styled(
                rx.tr("This refund gives back:"),
                rx.theme.header,
            )),
            Line::from(""),
        ];
        for line in &preview.lines {
            let label = format!("{}× {}", line.quantity, safe(&line.name));
            lines.push(Line::from(money_row(
                &label,
                &line.amount.format(currency),
                cells,
            )));
        }
        if !preview.tax_included && !given.taxes.is_empty() {
            lines.push(Line::from(money_row(
                rx.tr("Before tax"),
                &given.net.format(currency),
                cells,
            )));
        }
        for tax in &given.taxes {
            let label = if preview.tax_included {
                rx.lang.fill(
                    "incl. {tax} {rate}",
                    &[("tax", &safe(&tax.name)), ("rate", &rate(tax.basis_points))],
                )
            } else {
                format!("{} {}", safe(&tax.name), rate(tax.basis_points))
            };
            lines.push(Line::from(money_row(
                &label,
                &tax.amount.format(currency),
                cells,
            )));
        }
        lines.push(Line::from(Span::styled(
            money_row(rx.tr("Money back"), &given.amount.format(currency), cells),
            rx.theme.accent,
        )));
        for tender in &given.tenders {
            lines.push(Line::from(money_row(
                &format!("  {}", rx.tr(tender.method.as_str())),
                &tender.amount.format(currency),
                cells,
            )));
        }
        let counts = [
            ("Points taken back", given.points_reversed),
            ("Points given back", given.points_restored),
            (
                "Plan washes given back",
                i64::try_from(given.plan_uses_returned.len()).unwrap_or(i64::MAX),
            ),
            (
                "Package washes given back",
                i64::try_from(given.package_uses_returned.len()).unwrap_or(i64::MAX),
            ),
        ];
        for (label, count) in counts {
            if count != 0 {
                lines.push(Line::from(money_row(
                    rx.tr(label),
                    &count.to_string(),
                    cells,
                )));
            }
        }
        let rows = lines.len() + 3;
        let inner = dialog(area, rows, rx, frame);
        let [body, error_area, footer] = Layout::vertical([
            Constraint::Min(1),
            Constraint::Length(u16::from(self.error.is_some())),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(lines), body);
        if let Some(message) = &self.error {
            frame.render_widget(
                Paragraph::new(Span::styled(safe(message).into_owned(), rx.theme.error)),
                error_area,
            );
        }
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("Enter: make the refund   Esc: change it"),
                rx.theme.muted,
            )),
            footer,
        );
    }
}

fn render_done(receipt: &RefundReceipt, frame: &mut Frame, area: Rect, rx: &RenderCx) {
    let receipt_lines: Vec<&str> = receipt.receipt.lines().collect();
    let (receipt_area, summary_column) = receipt_and_side(&receipt_lines, area);
    let block = Block::bordered()
        .title(Span::styled(
            format!(" {} ", rx.tr("Refund receipt")),
            rx.theme.title,
        ))
        .border_style(rx.theme.border_focused);
    let inner = block.inner(receipt_area);
    frame.render_widget(block, receipt_area);
    let text: Vec<Line> = receipt_lines
        .iter()
        .map(|l| Line::from(format!(" {}", safe(l))))
        .collect();
    frame.render_widget(Paragraph::new(text), inner);

    let summary_area = Rect {
        x: summary_column.x.saturating_add(1),
        width: summary_column.width.saturating_sub(1),
        ..summary_column
    };
    if summary_area.width < 16 {
        return;
    }
    let cells = usize::from(summary_area.width).min(36);
    let currency = &rx.shop.currency;
    let given = &receipt.given_back;
    let mut lines = vec![
        Line::from(Span::styled(rx.tr("Refund made."), rx.theme.ok)),
        Line::from(""),
        Line::from(money_row(
            rx.tr("Receipt"),
            &format!("#{}", receipt.receipt_number),
            cells,
        )),
        Line::from(money_row(
            rx.tr("Money back"),
            &given.amount.format(currency),
            cells,
        )),
    ];
    let cash: Money = given
        .tenders
        .iter()
        .filter(|tender| tender.method == PaymentMethod::Cash)
        .map(|tender| tender.amount)
        .fold(Money::ZERO, |sum, amount| {
            sum.checked_add(amount).unwrap_or(sum)
        });
    if !cash.is_zero() {
        lines.push(Line::from(Span::styled(
            money_row(rx.tr("Hand over in cash"), &cash.format(currency), cells),
            rx.theme.accent,
        )));
    }
    if let Some(balance) = receipt.points_balance {
        lines.push(Line::from(money_row(
            rx.tr("Points balance"),
            &balance.to_string(),
            cells,
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        rx.tr("Enter or Esc: done"),
        rx.theme.muted,
    )));
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }),
        summary_area,
    );
}
