//! The cash drawer of the person logged in: open it with a float, record paid-outs and drops
//! with a reason, and close it with a count (note by note or as one total). The service works
//! out the expected cash and the over/short; this screen only shows them. Below, when there is
//! room, the day's drawers: one's own for a cashier, everyone's for a manager.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::domain::access::Operation;
use crate::domain::currency::Currency;
use crate::domain::drawer::{CountLine, MovementKind, denominations};
use crate::domain::money::Money;
use crate::service::ShiftView;
use crate::ui::actions::Action;
use crate::ui::i18n::Language;
use crate::ui::keymap::KeyContext;
use crate::ui::text::{pad, safe, truncate, width};
use crate::ui::view::{Cx, Handled, Prompt, PromptAnswer, RenderCx, View};
use crate::ui::widgets::form::{Form, FormEvent};
use crate::ui::widgets::hints::footer_hints;
use crate::ui::widgets::input::TextInput;

const FLOAT: &str = "float";
const RECORD: &str = "record";
const AMOUNT: &str = "amount";
const REASON: &str = "reason";
const COUNT_BY: &str = "count_by";
const COUNTED: &str = "counted";

const CLOSE_PROMPT: &str = "drawer.close";

/// What the open drawer's form records, in the order of the choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    PaidOut,
    Drop,
    Close,
}

impl Record {
    const ALL: [Record; 3] = [Record::PaidOut, Record::Drop, Record::Close];

    fn word(self) -> &'static str {
        match self {
            Record::PaidOut => "Paid-out",
            Record::Drop => "Drop to the safe",
            Record::Close => "Count and close",
        }
    }
}

/// Where the cursor is: in the form, or on one denomination of the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Form,
    Count(usize),
}

/// One denomination's line of the count.
struct CountRow {
    denomination: Money,
    pieces: TextInput,
}

pub struct DrawerView {
    loaded: bool,
    allowed: bool,
    /// The staff member logged in, to tell their drawers from others' in a manager's list.
    me: Option<crate::ids::RecordId>,
    open: Option<ShiftView>,
    /// The day's drawers (own for a cashier), oldest first.
    today: Vec<ShiftView>,
    form: Form,
    record: Record,
    /// Counting note by note (when the currency has a list of notes and coins).
    by_denomination: bool,
    counts: Vec<CountRow>,
    focus: Focus,
    /// Under the count: a piece count that is not a number.
    count_error: Option<String>,
    /// The count waiting for the confirmation to close.
    pending_close: Option<(Money, Vec<CountLine>)>,
}

impl Default for DrawerView {
    fn default() -> Self {
        Self::new()
    }
}

fn amount_input(example: &'static str) -> TextInput {
    TextInput::new().with_max(14).with_placeholder(example)
}

impl DrawerView {
    pub fn new() -> Self {
        Self {
            loaded: false,
            allowed: true,
            me: None,
            open: None,
            today: Vec::new(),
            form: Form::new(),
            record: Record::PaidOut,
            by_denomination: true,
            counts: Vec::new(),
            focus: Focus::Form,
            count_error: None,
            pending_close: None,
        }
    }

    fn load(&mut self, cx: &mut Cx) {
        // Both roles may use their own drawer; asked first so a refusal comes before a form.
        self.allowed = cx.service.can(cx.session, Operation::UseCashDrawer);
        if !self.allowed {
            self.loaded = true;
            return;
        }
        self.me = cx
            .service
            .session_info(cx.session)
            .map(|info| info.staff_id);
        let today = cx.now.with_timezone(&cx.shop.tz).date_naive();
        let was_open = self.open.as_ref().map(|s| s.id);
        match cx.service.current_shift(cx.session) {
            Ok(open) => self.open = open,
            Err(err) => return cx.fail(&err),
        }
        match cx.service.shifts_on(cx.session, today) {
            Ok(shifts) => self.today = shifts,
            Err(err) => return cx.fail(&err),
        }
        if !self.loaded || was_open != self.open.as_ref().map(|s| s.id) {
            self.counts = denominations(&cx.shop.currency)
                .into_iter()
                .map(|denomination| CountRow {
                    denomination,
                    pieces: TextInput::new().with_max(5),
                })
                .collect();
            self.by_denomination = !self.counts.is_empty();
            self.record = Record::PaidOut;
            self.rebuild_form(cx, None);
        }
        self.loaded = true;
    }

    /// The form for the drawer's state and the choices made, keeping what was typed in fields
    /// that stay.
    fn rebuild_form(&mut self, cx: &Cx, focus: Option<&'static str>) {
        let keep = |form: &Form, key: &str| form.value(key).to_owned();
        let old = std::mem::take(&mut self.form);
        let mut form = Form::new();
        if self.open.is_none() {
            form = form.text(
                FLOAT,
                "Float",
                amount_input("e.g. 150.00").with_value(&keep(&old, FLOAT)),
            );
        } else {
            let options = Record::ALL
                .iter()
                .map(|r| cx.tr(r.word()).to_owned())
                .collect();
            let selected = Record::ALL
                .iter()
                .position(|r| *r == self.record)
                .unwrap_or(0);
            form = form.choice(RECORD, "Record", options, selected);
            match self.record {
                Record::PaidOut | Record::Drop => {
                    form = form
                        .text(
                            AMOUNT,
                            "Amount",
                            amount_input("e.g. 12.50").with_value(&keep(&old, AMOUNT)),
                        )
                        .text(
                            REASON,
                            "Reason",
                            TextInput::new()
                                .with_max(crate::domain::drawer::MAX_REASON_CHARS)
                                .with_placeholder(if self.record == Record::PaidOut {
                                    "e.g. window cleaner"
                                } else {
                                    "e.g. midday drop"
                                })
                                .with_value(&keep(&old, REASON)),
                        );
                }
                Record::Close => {
                    let mut ways = Vec::new();
                    if !self.counts.is_empty() {
                        ways.push(cx.tr("Note by note").to_owned());
                    }
                    ways.push(cx.tr("As one total").to_owned());
                    let selected = usize::from(!self.by_denomination && !self.counts.is_empty());
                    form = form.choice(COUNT_BY, "Count by", ways, selected);
                    if !self.by_denomination {
                        form = form.text(
                            COUNTED,
                            "Cash counted",
                            amount_input("e.g. 12.50").with_value(&keep(&old, COUNTED)),
                        );
                    }
                }
            }
        }
        if let Some(key) = focus {
            form.focus_key(key);
        }
        self.form = form;
        self.focus = Focus::Form;
    }

    fn counting_notes(&self) -> bool {
        self.open.is_some() && self.record == Record::Close && self.by_denomination
    }

    /// The count typed so far, note by note: its lines and total, or what is wrong with it.
    fn count(&self) -> Result<(Money, Vec<CountLine>), &'static str> {
        let mut lines = Vec::new();
        let mut total = Money::ZERO;
        for row in &self.counts {
            let text = row.pieces.value().trim();
            if text.is_empty() {
                continue;
            }
            let pieces: u32 = text
                .parse()
                .map_err(|_| "Enter how many of each note or coin, as a whole number.")?;
            if pieces == 0 {
                continue;
            }
            let value = row
                .denomination
                .checked_mul(pieces)
                .and_then(|value| total.checked_add(value))
                .map_err(|_| "That count is too large; check the numbers.")?;
            total = value;
            lines.push(CountLine {
                denomination: row.denomination,
                count: pieces,
            });
        }
        Ok((total, lines))
    }

    fn parse_amount(&mut self, key: &'static str, cx: &Cx) -> Option<Money> {
        match Money::parse(self.form.value(key), &cx.shop.currency) {
            Ok(amount) => Some(amount),
            Err(err) => {
                self.form.set_error(
                    key,
                    format!("{}{err}", cx.tr("Enter an amount such as 12.50: ")),
                );
                None
            }
        }
    }

    fn submit(&mut self, cx: &mut Cx) {
        self.form.clear_errors();
        self.count_error = None;
        if self.open.is_none() {
            let Some(float) = self.parse_amount(FLOAT, cx) else {
                return;
            };
            match cx.service.open_shift(cx.session, float) {
                Ok(shift) => {
                    cx.notice(cx.lang.fill(
                        "Drawer open with a float of {amount}.",
                        &[("amount", &shift.float.format(&cx.shop.currency))],
                    ));
                    cx.changed();
                    self.load(cx);
                }
                Err(err) => cx.fail(&err),
            }
            return;
        }
        match self.record {
            Record::PaidOut | Record::Drop => {
                let Some(amount) = self.parse_amount(AMOUNT, cx) else {
                    return;
                };
                let kind = if self.record == Record::PaidOut {
                    MovementKind::PaidOut
                } else {
                    MovementKind::Drop
                };
                let reason = self.form.value(REASON).to_owned();
                match cx
                    .service
                    .record_drawer_movement(cx.session, kind, amount, &reason)
                {
                    Ok(shift) => {
                        let text = if kind == MovementKind::PaidOut {
                            "Paid-out of {amount} recorded."
                        } else {
                            "Drop of {amount} recorded."
                        };
                        cx.notice(
                            cx.lang
                                .fill(text, &[("amount", &amount.format(&cx.shop.currency))]),
                        );
                        self.open = Some(shift);
                        for key in [AMOUNT, REASON] {
                            if let Some(input) = self.form.input_mut(key) {
                                input.clear();
                            }
                        }
                        self.form.focus_key(AMOUNT);
                        cx.changed();
                        self.load(cx);
                    }
                    Err(err) => cx.fail(&err),
                }
            }
            Record::Close => {
                let counted = if self.by_denomination {
                    match self.count() {
                        Ok(count) => count,
                        Err(message) => {
                            self.count_error = Some(cx.tr(message).to_owned());
                            return;
                        }
                    }
                } else {
                    match self.parse_amount(COUNTED, cx) {
                        Some(total) => (total, Vec::new()),
                        None => return,
                    }
                };
                let message = cx.lang.fill(
                    "Counted: {amount}. A closed drawer cannot be changed; the expected cash and the over/short are shown once it is closed.",
                    &[("amount", &counted.0.format(&cx.shop.currency))],
                );
                self.pending_close = Some(counted);
                let mut prompt = Prompt::confirm(CLOSE_PROMPT, "Close the drawer?", message);
                prompt.destructive = false;
                cx.prompt(prompt);
            }
        }
    }

    fn close(&mut self, cx: &mut Cx) {
        let Some((counted, lines)) = self.pending_close.take() else {
            return;
        };
        match cx.service.close_shift(cx.session, counted, lines) {
            Ok(shift) => {
                let over_short = shift.over_short.unwrap_or(Money::ZERO);
                cx.notice(cx.lang.fill(
                    "Drawer closed: expected {expected}, counted {counted}, {result}.",
                    &[
                        ("expected", &shift.expected.format(&cx.shop.currency)),
                        ("counted", &counted.format(&cx.shop.currency)),
                        (
                            "result",
                            &over_short_words(over_short, &cx.shop.currency, cx.lang),
                        ),
                    ],
                ));
                for row in &mut self.counts {
                    row.pieces.clear();
                }
                cx.changed();
                self.load(cx);
            }
            Err(err) => cx.fail(&err),
        }
    }

    /// Moves between the form and the count lines, as one list of fields.
    fn move_focus(&mut self, forward: bool) {
        let fields = self.form.fields.len();
        let lines = if self.counting_notes() {
            self.counts.len()
        } else {
            0
        };
        let total = fields + lines;
        if total == 0 {
            return;
        }
        let at = match self.focus {
            Focus::Form => self.form.focus,
            Focus::Count(line) => fields + line,
        };
        let next = if forward {
            (at + 1) % total
        } else {
            (at + total - 1) % total
        };
        if next < fields {
            self.form.focus = next;
            self.focus = Focus::Form;
        } else {
            self.focus = Focus::Count(next - fields);
        }
    }

    /// The shift the left side shows: the open one, else the caller's last one closed today.
    fn shown_shift(&self) -> Option<&ShiftView> {
        self.open.as_ref().or_else(|| {
            self.today
                .iter()
                .rev()
                .find(|s| !s.is_open() && Some(s.staff_id) == self.me)
        })
    }
}

/// `0.00 CAD (balanced)`, `-0.05 CAD (short)`, `+0.10 CAD (over)`.
fn over_short_words(amount: Money, currency: &Currency, lang: Language) -> String {
    let formatted = amount.format(currency);
    match amount.minor_units() {
        0 => format!("{formatted} ({})", lang.tr("balanced")),
        n if n < 0 => format!("{formatted} ({})", lang.tr("short")),
        _ => format!("+{formatted} ({})", lang.tr("over")),
    }
}

/// An over/short amount with its sign: `+0.10`, `-0.05`, `0.00`.
fn signed(amount: Money, rx: &RenderCx) -> String {
    let text = amount.format_amount(&rx.shop.currency);
    if amount.minor_units() > 0 {
        format!("+{text}")
    } else {
        text
    }
}

fn over_short_style(amount: Money, rx: &RenderCx) -> Style {
    match amount.minor_units() {
        0 => rx.theme.ok,
        n if n < 0 => rx.theme.error,
        _ => rx.theme.warning,
    }
}

impl DrawerView {
    fn summary_lines(&self, shift: &ShiftView, rx: &RenderCx) -> Vec<Line<'static>> {
        const LABEL: usize = 16;
        let money = |amount: Money| amount.format_amount(&rx.shop.currency);
        let row = |label: &'static str, value: String, style: Style| {
            Line::from(vec![
                Span::styled(pad(rx.tr(label), LABEL), rx.theme.muted),
                Span::styled(value, style),
            ])
        };
        let minus = |amount: Money| {
            if amount.is_zero() {
                money(amount)
            } else {
                format!("-{}", money(amount))
            }
        };
        let mut lines = vec![
            row("Opened", rx.date_time(shift.opened_at), rx.theme.base),
            row("Float", money(shift.float), rx.theme.base),
            row("Cash sales", money(shift.cash_sales), rx.theme.base),
            row("Cash refunds", minus(shift.cash_refunds), rx.theme.base),
            row("Paid-outs", minus(shift.paid_outs), rx.theme.base),
            row("Drops", minus(shift.drops), rx.theme.base),
        ];
        match (shift.closed_at, shift.counted, shift.over_short) {
            (Some(closed), Some(counted), Some(over_short)) => {
                lines.push(row("Closed", rx.date_time(closed), rx.theme.base));
                lines.push(row(
                    "Expected",
                    money(shift.expected),
                    rx.theme.accent.add_modifier(Modifier::BOLD),
                ));
                lines.push(row("Counted", money(counted), rx.theme.base));
                lines.push(row(
                    "Over/short",
                    over_short_words(over_short, &rx.shop.currency, rx.lang),
                    over_short_style(over_short, rx).add_modifier(Modifier::BOLD),
                ));
            }
            _ => lines.push(row(
                "Expected now",
                money(shift.expected),
                rx.theme.accent.add_modifier(Modifier::BOLD),
            )),
        }
        lines
    }

    fn movement_lines(&self, shift: &ShiftView, cells: usize, rx: &RenderCx) -> Vec<Line<'static>> {
        if shift.movements.is_empty() {
            return vec![Line::from(Span::styled(
                rx.tr("No paid-outs or drops."),
                rx.theme.muted,
            ))];
        }
        shift
            .movements
            .iter()
            .rev()
            .map(|movement| {
                let kind = match movement.kind {
                    MovementKind::PaidOut => rx.tr("Paid-out"),
                    MovementKind::Drop => rx.tr("Drop"),
                };
                let head = format!(
                    "{} {} {:>9} ",
                    rx.time(movement.at),
                    pad(kind, 8),
                    movement.amount.format_amount(&rx.shop.currency)
                );
                let room = cells.saturating_sub(width(&head));
                Line::from(vec![
                    Span::raw(head),
                    Span::styled(
                        truncate(&safe(&movement.reason), room).into_owned(),
                        rx.theme.muted,
                    ),
                ])
            })
            .collect()
    }

    fn render_left(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let Some(shift) = self.shown_shift() else {
            frame.render_widget(
                Paragraph::new(Span::styled(
                    rx.tr("No drawer of yours was closed today yet."),
                    rx.theme.muted,
                ))
                .wrap(Wrap { trim: true }),
                area,
            );
            return;
        };
        let title = if shift.is_open() {
            rx.tr("Your open drawer")
        } else {
            rx.tr("Your last drawer, closed")
        };
        let mut lines = vec![Line::from(Span::styled(title, rx.theme.header))];
        lines.extend(self.summary_lines(shift, rx));
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            rx.tr("Paid-outs and drops"),
            rx.theme.header,
        )));
        lines.extend(self.movement_lines(shift, usize::from(area.width), rx));
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn render_count(&self, frame: &mut Frame, area: Rect, rx: &RenderCx, active: bool) {
        let money = |amount: Money| amount.format_amount(&rx.shop.currency);
        let mut y = area.y;
        for (index, row) in self.counts.iter().enumerate() {
            if y >= area.bottom() {
                return;
            }
            let focused = active && self.focus == Focus::Count(index);
            let marker = if focused { "▸" } else { " " };
            let label = format!("{marker}{:>9} ×", money(row.denomination));
            let label_style = if focused {
                rx.theme.accent
            } else {
                rx.theme.base
            };
            frame.render_widget(
                Paragraph::new(Span::styled(label, label_style)),
                Rect::new(area.x, y, 12.min(area.width), 1),
            );
            let input = Rect::new(
                area.x.saturating_add(13),
                y,
                6.min(area.width.saturating_sub(13)),
                1,
            );
            row.pieces
                .render(frame, input, rx.input_style(focused), None, focused);
            let line_total = row
                .pieces
                .value()
                .trim()
                .parse::<u32>()
                .ok()
                .and_then(|pieces| row.denomination.checked_mul(pieces).ok());
            if let Some(value) = line_total.filter(|v| !v.is_zero()) {
                let x = area.x.saturating_add(20);
                frame.render_widget(
                    Paragraph::new(Span::styled(format!("= {}", money(value)), rx.theme.muted)),
                    Rect::new(x, y, area.right().saturating_sub(x), 1),
                );
            }
            y = y.saturating_add(1);
        }
        if y >= area.bottom() {
            return;
        }
        let total = match (&self.count_error, self.count()) {
            (Some(error), _) => Line::from(Span::styled(safe(error).into_owned(), rx.theme.error)),
            (None, Ok((total, _))) => Line::from(vec![
                Span::styled(pad(rx.tr("Total counted"), 16), rx.theme.muted),
                Span::styled(
                    total.format(&rx.shop.currency),
                    rx.theme.accent.add_modifier(Modifier::BOLD),
                ),
            ]),
            (None, Err(message)) => Line::from(Span::styled(rx.tr(message), rx.theme.error)),
        };
        frame.render_widget(
            Paragraph::new(total).wrap(Wrap { trim: true }),
            Rect::new(area.x, y, area.width, area.bottom().saturating_sub(y)),
        );
    }

    fn count_height(&self) -> u16 {
        if self.counting_notes() {
            u16::try_from(self.counts.len() + 2).unwrap_or(u16::MAX)
        } else {
            0
        }
    }

    fn render_right(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let heading = match (&self.open, self.record) {
            (None, _) => rx.tr("Open your drawer"),
            (Some(_), Record::PaidOut) => rx.tr("Pay cash out of the drawer"),
            (Some(_), Record::Drop) => rx.tr("Drop cash to the safe"),
            (Some(_), Record::Close) => rx.tr("Count the drawer and close it"),
        };
        let [head, form_area, count_area] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(self.form.height_in(area.width, rx)),
            Constraint::Length(self.count_height()),
        ])
        .areas(area);
        frame.render_widget(Paragraph::new(Span::styled(heading, rx.theme.header)), head);
        self.form
            .render(frame, form_area, rx, self.focus == Focus::Form);
        if self.counting_notes() {
            self.render_count(frame, count_area, rx, true);
        }
    }

    fn left_height(&self) -> u16 {
        self.shown_shift().map_or(3, |shift| {
            let summary = if shift.is_open() { 7 } else { 10 };
            let movements = shift.movements.len().max(1);
            u16::try_from(1 + summary + 2 + movements).unwrap_or(u16::MAX)
        })
    }

    fn right_height(&self) -> u16 {
        1 + self.form.height() + self.count_height()
    }

    fn render_today(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let money = |amount: Money| amount.format_amount(&rx.shop.currency);
        let columns: [(&'static str, usize); 8] = [
            ("Staff", 12),
            ("Opened", 7),
            ("Float", 10),
            ("Cash sales", 11),
            ("Expected", 10),
            ("Counted", 10),
            ("Over/short", 11),
            ("Closed", 7),
        ];
        let cells = |texts: Vec<String>| -> String {
            texts
                .iter()
                .zip(columns.iter())
                .map(|(text, (_, cells))| pad(text, *cells))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let title = if rx.role == crate::domain::access::Role::Manager {
            rx.tr("Today's drawers: everyone's")
        } else {
            rx.tr("Today's drawers: yours")
        };
        let mut lines = vec![
            Line::from(Span::styled(title, rx.theme.header)),
            Line::from(Span::styled(
                cells(columns.iter().map(|(h, _)| rx.tr(h).to_owned()).collect()),
                rx.theme.muted,
            )),
        ];
        for shift in &self.today {
            let mut spans = vec![Span::raw(cells(vec![
                safe(&shift.staff).into_owned(),
                rx.time(shift.opened_at),
                money(shift.float),
                money(shift.cash_sales),
                money(shift.expected),
                shift.counted.map(money).unwrap_or_else(|| "—".to_owned()),
            ]))];
            spans.push(Span::raw(" "));
            match shift.over_short {
                Some(amount) => spans.push(Span::styled(
                    pad(&signed(amount, rx), 11),
                    over_short_style(amount, rx),
                )),
                None => spans.push(Span::styled(pad(rx.tr("still open"), 11), rx.theme.accent)),
            }
            spans.push(Span::raw(format!(
                " {}",
                shift.closed_at.map(|at| rx.time(at)).unwrap_or_default()
            )));
            lines.push(Line::from(spans));
        }
        frame.render_widget(Paragraph::new(lines), area);
    }
}

impl View for DrawerView {
    fn title(&self) -> &'static str {
        "Cash drawer"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Form]
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        match self.focus {
            Focus::Form => self.form.focused_input(),
            Focus::Count(index) => self.counts.get_mut(index).map(|row| &mut row.pieces),
        }
    }

    fn on_input_changed(&mut self, _cx: &mut Cx) {
        self.form.clear_focused_error();
        self.count_error = None;
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.load(cx);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        if !self.allowed {
            return Handled::No;
        }
        match action {
            Action::NextField | Action::Down => {
                self.move_focus(true);
                return Handled::Yes;
            }
            Action::PrevField | Action::Up => {
                self.move_focus(false);
                return Handled::Yes;
            }
            Action::Submit | Action::Select => {
                self.submit(cx);
                return Handled::Yes;
            }
            _ if self.focus != Focus::Form => return Handled::No,
            _ => {}
        }
        let focused = self.form.focused_key();
        match self.form.on_action(action) {
            FormEvent::Changed if focused == Some(RECORD) => {
                self.record = Record::ALL
                    .get(self.form.choice_index(RECORD))
                    .copied()
                    .unwrap_or(Record::PaidOut);
                self.rebuild_form(cx, Some(RECORD));
                Handled::Yes
            }
            FormEvent::Changed if focused == Some(COUNT_BY) => {
                self.by_denomination =
                    !self.counts.is_empty() && self.form.choice_index(COUNT_BY) == 0;
                self.rebuild_form(cx, Some(COUNT_BY));
                Handled::Yes
            }
            FormEvent::Changed => Handled::Yes,
            FormEvent::Submit => {
                self.submit(cx);
                Handled::Yes
            }
            FormEvent::Ignored => Handled::No,
        }
    }

    fn on_prompt(&mut self, tag: &'static str, _answer: PromptAnswer, cx: &mut Cx) {
        if tag == CLOSE_PROMPT {
            self.close(cx);
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Cash drawer")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if !self.loaded {
            return;
        }
        if !self.allowed {
            frame.render_widget(
                Paragraph::new(Span::styled(
                    rx.tr("Only a manager may do that; ask a manager."),
                    rx.theme.error,
                )),
                inner,
            );
            return;
        }
        let top = self.left_height().max(self.right_height());
        let today_rows = u16::try_from(self.today.len() + 2).unwrap_or(u16::MAX);
        // The day's drawers only where they fit whole below the drawer itself.
        let show_today = !self.today.is_empty() && inner.height > 2 + top + 1 + today_rows;
        let [status, main, _, today_area, _, footer] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(top.min(inner.height.saturating_sub(3))),
            Constraint::Length(u16::from(show_today)),
            Constraint::Length(if show_today { today_rows } else { 0 }),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(inner);
        let status_line = match &self.open {
            Some(shift) => rx.lang.fill(
                "Your drawer is open since {time}. Cash sales and refunds add up as they happen.",
                &[("time", &rx.time(shift.opened_at))],
            ),
            None => rx
                .tr("Your drawer is closed. To take cash, count the float, enter it and press Enter.")
                .to_owned(),
        };
        frame.render_widget(
            Paragraph::new(Span::styled(status_line, rx.theme.muted)).wrap(Wrap { trim: true }),
            status,
        );
        let split = if inner.width >= 120 { 50 } else { 49 };
        let [left, right] = Layout::horizontal([
            Constraint::Percentage(split),
            Constraint::Percentage(100 - split),
        ])
        .spacing(2)
        .areas(main);
        self.render_left(frame, left, rx);
        self.render_right(frame, right, rx);
        if show_today {
            self.render_today(frame, today_area, rx);
        }
        let hints: Vec<(Action, &'static str)> = match (&self.open, self.record) {
            (None, _) => vec![(Action::Submit, "open the drawer")],
            (Some(_), Record::Close) => vec![(Action::Submit, "close the drawer")],
            (Some(_), _) => vec![(Action::Submit, "record")],
        };
        let mut hints = hints;
        hints.push((Action::NextField, "next field"));
        if self.open.is_some() {
            hints.push((Action::Right, "choose"));
        }
        hints.push((Action::Back, "back"));
        frame.render_widget(
            Paragraph::new(Line::from(footer_hints(rx, self.contexts(), &hints))),
            footer,
        );
    }
}
