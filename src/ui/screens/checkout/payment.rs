//! The payment step of checkout. One method takes the whole bill in one keystroke; or the
//! cashier adds tenders one by one — card or mobile for an amount (the rest when left empty),
//! cash last with what the customer handed over. Nothing is charged until the last tender
//! settles the bill, and every figure shown (what is still due, the cash rounding, the change)
//! comes from [`CheckoutPreview::settle`], the very `settle` the checkout runs, so the screen and
//! the receipt cannot disagree.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Wrap};

use crate::domain::catalog::PaymentMethod;
use crate::domain::currency::Currency;
use crate::domain::money::Money;
use crate::domain::tender::{TenderError, TenderRequest};
use crate::service::{CheckoutPreview, SettleError};
use crate::ui::i18n::Language;
use crate::ui::text::{safe, width};
use crate::ui::view::RenderCx;
use crate::ui::widgets::form::{Form, FormEvent};
use crate::ui::widgets::input::TextInput;

use super::label_value;

const TIP: &str = "tip";
const METHOD: &str = "method";
const AMOUNT: &str = "amount";
const HANDED: &str = "handed";

/// Longest amount typed; more than any till takes.
const AMOUNT_CHARS: usize = 12;
/// Figures stay close to their labels on wide screens.
const FIGURE_CELLS: usize = 44;

pub(super) fn method_label(method: PaymentMethod) -> &'static str {
    match method {
        PaymentMethod::Cash => "Cash",
        PaymentMethod::Card => "Card",
        PaymentMethod::Mobile => "Mobile",
        PaymentMethod::Plan => "Plan",
        PaymentMethod::Package => "Package",
        PaymentMethod::Points => "Points",
    }
}

/// The payment being put together. Card and mobile parts already added are only noted here;
/// they are charged together with the last tender.
pub(super) struct PayStep {
    pub(super) form: Form,
    /// The method field's options, in order.
    methods: Vec<PaymentMethod>,
    /// Card and mobile parts added so far, each with its amount, in the order taken.
    taken: Vec<TenderRequest>,
    /// Money changes hands (otherwise a plan, package or points cover the bill, or it is free).
    money_due: bool,
    takes_tips: bool,
    /// What was typed in a field the chosen method does not show, kept for when it returns.
    stashed_amount: String,
    stashed_handed: String,
    /// The amount due the customer was shown when payment began.
    pub(super) agreed_due: Money,
    /// A problem that belongs to no one field, already translated.
    pub(super) refusal: Option<String>,
}

/// What submitting the payment step came to.
pub(super) enum PayOutcome {
    /// A field needs correcting (its message is under it), or the refusal says why.
    Stay,
    /// A part payment was noted; `still_due` is left for the next tender.
    Added {
        method: PaymentMethod,
        amount: Money,
        still_due: Money,
    },
    /// These tenders settle the bill: take the payment.
    Settled {
        tenders: Vec<TenderRequest>,
        tip: Money,
        method: PaymentMethod,
    },
}

impl PayStep {
    /// Opens on `preferred` when it is offered. `methods` are the money methods when there is
    /// something to pay, else whatever covered the bill.
    pub(super) fn open(
        preview: &CheckoutPreview,
        methods: Vec<PaymentMethod>,
        preferred: PaymentMethod,
        lang: Language,
    ) -> Self {
        let selected = methods.iter().position(|m| *m == preferred).unwrap_or(0);
        let mut step = Self {
            form: Form::new(),
            methods,
            taken: Vec::new(),
            money_due: !preview.amount_due().is_zero(),
            takes_tips: preview.takes_tips,
            stashed_amount: String::new(),
            stashed_handed: String::new(),
            agreed_due: preview.amount_due(),
            refusal: None,
        };
        step.form = step.build_form(selected, "", "", "", lang);
        step.focus_for_method();
        step
    }

    fn build_form(
        &self,
        selected: usize,
        tip: &str,
        amount: &str,
        handed: &str,
        lang: Language,
    ) -> Form {
        let mut form = Form::new();
        if self.money_due && self.takes_tips {
            form = form.text(
                TIP,
                "Tip",
                TextInput::new()
                    .with_max(AMOUNT_CHARS)
                    .with_value(tip)
                    .with_placeholder("none"),
            );
        }
        let options = self
            .methods
            .iter()
            .map(|method| lang.tr(method_label(*method)).to_owned())
            .collect();
        form = form.choice(METHOD, "Method", options, selected);
        if self.money_due {
            form = if self.methods.get(selected) == Some(&PaymentMethod::Cash) {
                form.text(
                    HANDED,
                    "Handed over",
                    TextInput::new()
                        .with_max(AMOUNT_CHARS)
                        .with_value(handed)
                        .with_placeholder("the exact amount"),
                )
            } else {
                form.text(
                    AMOUNT,
                    "Amount",
                    TextInput::new()
                        .with_max(AMOUNT_CHARS)
                        .with_value(amount)
                        .with_placeholder("the rest"),
                )
            };
        }
        form
    }

    pub(super) fn method(&self) -> PaymentMethod {
        self.methods
            .get(self.form.choice_index(METHOD))
            .copied()
            .unwrap_or(PaymentMethod::Cash)
    }

    /// Cash asks at once for what was handed over; other methods start on the method, so
    /// ←/→ changes it and Enter takes the rest.
    fn focus_for_method(&mut self) {
        if self.form.has(HANDED) {
            self.form.focus_key(HANDED);
        } else {
            self.form.focus_key(METHOD);
        }
    }

    /// Hands a key's action to the form, and shows the field the chosen method needs (cash:
    /// the amount handed over; card and mobile: the amount) without losing what was typed.
    pub(super) fn on_form_action(
        &mut self,
        action: crate::ui::actions::Action,
        lang: Language,
    ) -> FormEvent {
        let event = self.form.on_action(action);
        if event == FormEvent::Changed {
            self.refusal = None;
            let wants_handed = self.money_due && self.method() == PaymentMethod::Cash;
            let wants_amount = self.money_due && !wants_handed;
            if self.form.has(HANDED) != wants_handed || self.form.has(AMOUNT) != wants_amount {
                self.rebuild(lang);
            }
        }
        event
    }

    fn rebuild(&mut self, lang: Language) {
        if self.form.has(AMOUNT) {
            self.stashed_amount = self.form.value(AMOUNT).to_owned();
        }
        if self.form.has(HANDED) {
            self.stashed_handed = self.form.value(HANDED).to_owned();
        }
        let focus = self.form.focused_key();
        let selected = self.form.choice_index(METHOD);
        let tip = self.form.value(TIP).to_owned();
        let (amount, handed) = (self.stashed_amount.clone(), self.stashed_handed.clone());
        self.form = self.build_form(selected, &tip, &amount, &handed, lang);
        if let Some(key) = focus {
            self.form.focus_key(key);
        }
    }

    /// Takes back the part payment added last (nothing was charged for it).
    pub(super) fn remove_last(&mut self) -> Option<TenderRequest> {
        let removed = self.taken.pop();
        if removed.is_some() {
            self.refusal = None;
        }
        removed
    }

    pub(super) fn has_parts(&self) -> bool {
        !self.taken.is_empty()
    }

    /// Checks what was typed against the bill. A part payment is noted and the step moves on
    /// to the next tender (cash, when offered); a payment that settles the bill is handed back
    /// to be taken; anything wrong is explained at its field, leaving every field as typed.
    pub(super) fn submit(
        &mut self,
        preview: &CheckoutPreview,
        lang: Language,
        currency: &Currency,
    ) -> PayOutcome {
        self.form.clear_errors();
        self.refusal = None;
        let method = self.method();
        if !self.money_due {
            return match preview.settle(Money::ZERO, &[]) {
                Ok(_) => PayOutcome::Settled {
                    tenders: Vec::new(),
                    tip: Money::ZERO,
                    method,
                },
                Err(err) => {
                    self.refusal = Some(not_done(&err, lang));
                    PayOutcome::Stay
                }
            };
        }
        let tip = match read_amount(&self.form, TIP, currency) {
            Ok(tip) => tip.unwrap_or(Money::ZERO),
            Err(()) => {
                self.field_error(
                    TIP,
                    lang.tr("Not an amount, e.g. 2.00"),
                    lang.tr("Enter a tip such as 2.00, or leave it empty."),
                );
                return PayOutcome::Stay;
            }
        };
        let request = if method == PaymentMethod::Cash {
            match read_amount(&self.form, HANDED, currency) {
                Ok(tendered) => TenderRequest {
                    method,
                    amount: None,
                    tendered,
                },
                Err(()) => {
                    self.field_error(
                        HANDED,
                        lang.tr("Not an amount, e.g. 50.00"),
                        lang.tr("Enter the cash handed over, such as 50.00, or leave it empty."),
                    );
                    return PayOutcome::Stay;
                }
            }
        } else {
            match read_amount(&self.form, AMOUNT, currency) {
                Ok(amount) => TenderRequest {
                    method,
                    amount,
                    tendered: None,
                },
                Err(()) => {
                    self.field_error(
                        AMOUNT,
                        lang.tr("Not an amount, e.g. 20.00"),
                        lang.tr("Enter an amount such as 20.00, or leave it empty for the rest."),
                    );
                    return PayOutcome::Stay;
                }
            }
        };
        let mut tenders = self.taken.clone();
        tenders.push(request.clone());
        match preview.settle(tip, &tenders) {
            Ok(_) => PayOutcome::Settled {
                tenders,
                tip,
                method,
            },
            Err(SettleError::Tender(TenderError::StillDue { remaining })) => {
                let Some(amount) = request.amount else {
                    // Only an amount short of the rest leaves something due.
                    self.refusal = Some(not_done(
                        &SettleError::Tender(TenderError::StillDue { remaining }),
                        lang,
                    ));
                    return PayOutcome::Stay;
                };
                self.taken.push(request);
                self.next_tender(lang);
                PayOutcome::Added {
                    method,
                    amount,
                    still_due: remaining,
                }
            }
            Err(err) => {
                self.explain(&err, &request, lang, currency);
                PayOutcome::Stay
            }
        }
    }

    /// After a part payment: the rest in cash when cash is offered (it must come last anyway),
    /// with the amount field cleared for a further card or mobile part.
    fn next_tender(&mut self, lang: Language) {
        self.stashed_amount.clear();
        let tip = self.form.value(TIP).to_owned();
        let selected = self
            .methods
            .iter()
            .position(|m| *m == PaymentMethod::Cash)
            .unwrap_or_else(|| self.form.choice_index(METHOD));
        self.form = self.build_form(selected, &tip, "", &self.stashed_handed, lang);
        self.focus_for_method();
    }

    /// A short message under the field (it must fit beside the label) and the whole
    /// sentence under the form.
    fn field_error(&mut self, key: &str, short: &str, sentence: &str) {
        self.form.set_error(key, short);
        self.form.focus_key(key);
        self.refusal = Some(sentence.to_owned());
    }

    fn explain(
        &mut self,
        err: &SettleError,
        request: &TenderRequest,
        lang: Language,
        currency: &Currency,
    ) {
        match err {
            SettleError::Tender(TenderError::Overpaid { amount, most, .. })
                if request.amount == Some(*amount) =>
            {
                let due = most.format(currency);
                let due = [("due", due.as_str())];
                self.field_error(
                    AMOUNT,
                    &lang.fill("At most {due}", &due),
                    &lang.fill(
                        "More than the {due} still due; enter at most {due}, or leave it empty for the rest.",
                        &due,
                    ),
                );
            }
            SettleError::Tender(TenderError::AmountNotPositive { .. }) => {
                self.field_error(
                    AMOUNT,
                    lang.tr("More than 0, please"),
                    lang.tr("Enter an amount above zero, or leave it empty for the rest."),
                );
            }
            SettleError::Tender(TenderError::CashShort { cash_due, .. }) => {
                let due = cash_due.format(currency);
                let due = [("due", due.as_str())];
                self.field_error(
                    HANDED,
                    &lang.fill("Take at least {due}", &due),
                    &lang.fill("Less than the {due} cash due; take at least {due}.", &due),
                );
            }
            SettleError::Tender(TenderError::NegativeTip { .. }) => {
                self.field_error(
                    TIP,
                    lang.tr("Not below 0"),
                    lang.tr("A tip cannot be negative; leave it empty for none."),
                );
            }
            SettleError::Tender(TenderError::AlreadyPaid { .. } | TenderError::Overpaid { .. }) => {
                // The parts added earlier already cover the bill, say after the tip was lowered.
                self.refusal = Some(
                    lang.tr(
                        "The payments added already cover the bill; remove one (Del on Method) or raise the tip.",
                    )
                    .to_owned(),
                );
                self.form.focus_key(METHOD);
            }
            other => self.refusal = Some(not_done(other, lang)),
        }
    }

    /// The figures the step shows for what is typed now, from the same `settle` the payment
    /// will run. Unreadable fields count as empty; their message comes on Enter.
    fn outlook(&self, preview: &CheckoutPreview, currency: &Currency) -> Outlook {
        let tip = read_amount(&self.form, TIP, currency)
            .ok()
            .flatten()
            .filter(|tip| !tip.is_negative())
            .unwrap_or(Money::ZERO);
        let parts: Vec<(PaymentMethod, Money)> = self
            .taken
            .iter()
            .filter_map(|t| t.amount.map(|amount| (t.method, amount)))
            .collect();
        let paid = parts.iter().fold(Money::ZERO, |sum, (_, amount)| {
            sum.checked_add(*amount).unwrap_or(sum)
        });
        let still_due = preview
            .amount_due()
            .checked_add(tip)
            .and_then(|bill| bill.checked_sub(paid))
            .unwrap_or(Money::ZERO);
        let mut outlook = Outlook {
            amount_due: preview.amount_due(),
            tip,
            parts,
            still_due,
            cash: None,
            left_after: None,
        };
        if !self.money_due {
            return outlook;
        }
        let mut tenders = self.taken.clone();
        if self.method() == PaymentMethod::Cash {
            tenders.push(TenderRequest {
                method: PaymentMethod::Cash,
                amount: None,
                tendered: None,
            });
            let Ok(exact) = preview.settle(tip, &tenders) else {
                return outlook;
            };
            let cash_due = exact
                .tenders
                .last()
                .filter(|t| t.method == PaymentMethod::Cash)
                .map_or(Money::ZERO, |t| t.amount);
            let mut cash = CashOutlook {
                rounding: exact.cash_rounding,
                cash_due,
                handed: None,
                change: None,
                short: None,
            };
            if let Ok(Some(handed)) = read_amount(&self.form, HANDED, currency) {
                cash.handed = Some(handed);
                if let Some(last) = tenders.last_mut() {
                    last.tendered = Some(handed);
                }
                match preview.settle(tip, &tenders) {
                    Ok(settled) => {
                        cash.change = settled.tenders.last().map(|t| t.change);
                    }
                    Err(SettleError::Tender(TenderError::CashShort { tendered, cash_due })) => {
                        cash.short = cash_due.checked_sub(tendered).ok();
                    }
                    Err(_) => {}
                }
            }
            outlook.cash = Some(cash);
        } else if let Ok(Some(amount)) = read_amount(&self.form, AMOUNT, currency) {
            tenders.push(TenderRequest {
                method: self.method(),
                amount: Some(amount),
                tendered: None,
            });
            outlook.left_after = match preview.settle(tip, &tenders) {
                Ok(_) => Some(Money::ZERO),
                Err(SettleError::Tender(TenderError::StillDue { remaining })) => Some(remaining),
                Err(_) => None,
            };
        }
        outlook
    }

    /// The step: the form, then the figures, then the change to give, big.
    pub(super) fn render(
        &self,
        preview: &CheckoutPreview,
        frame: &mut Frame,
        area: Rect,
        rx: &RenderCx,
    ) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Take payment")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let currency = &rx.shop.currency;
        let outlook = self.outlook(preview, currency);
        let refusal_rows: u16 = if self.refusal.is_some() { 3 } else { 0 };
        let footer_lines = self.footer(usize::from(inner.width), rx);
        let footer_rows = u16::try_from(footer_lines.len()).unwrap_or(1);
        let [form_area, _, refusal_area, figures_area, footer] = Layout::vertical([
            Constraint::Length(self.form.height_in(inner.width, rx)),
            Constraint::Length(1),
            Constraint::Length(refusal_rows),
            Constraint::Min(0),
            Constraint::Length(footer_rows),
        ])
        .areas(inner);
        self.form.render(frame, form_area, rx, true);
        if let Some(refusal) = &self.refusal {
            frame.render_widget(
                Paragraph::new(Span::styled(safe(refusal).into_owned(), rx.theme.error))
                    .wrap(Wrap { trim: true }),
                refusal_area,
            );
        }
        let cells = usize::from(figures_area.width).min(FIGURE_CELLS);
        let lines = outlook.lines(self.money_due, self.method(), cells, rx);
        let figure_rows = u16::try_from(lines.len()).unwrap_or(u16::MAX);
        let [figures, change_area] =
            Layout::vertical([Constraint::Length(figure_rows), Constraint::Min(0)])
                .areas(figures_area);
        frame.render_widget(Paragraph::new(lines), figures);
        if let Some(cash) = &outlook.cash {
            if let Some(change) = cash.change {
                render_change(rx.tr("Change to give"), change, frame, change_area, rx);
            } else if let Some(short) = cash.short {
                let text = rx
                    .lang
                    .fill("Short by {amount}", &[("amount", &short.format(currency))]);
                frame.render_widget(
                    Paragraph::new(Span::styled(
                        text,
                        rx.theme.error.add_modifier(Modifier::BOLD),
                    )),
                    change_area,
                );
            }
        }
        frame.render_widget(Paragraph::new(footer_lines), footer);
    }

    /// The step's keys, as many to a line as fit in `cells`.
    fn footer(&self, cells: usize, rx: &RenderCx) -> Vec<Line<'static>> {
        let mut hints = vec![rx.tr("Enter: take it")];
        if self.has_parts() {
            hints.push(rx.tr("Del on Method: remove the last part"));
        } else {
            hints.push(rx.tr("←/→ on Method: change it"));
        }
        hints.push(rx.tr("Esc: back to the bill"));
        let mut lines: Vec<String> = Vec::new();
        for hint in hints {
            match lines.last_mut() {
                Some(line) if width(line) + 3 + width(hint) <= cells => {
                    line.push_str("   ");
                    line.push_str(hint);
                }
                _ => lines.push(hint.to_owned()),
            }
        }
        lines
            .into_iter()
            .map(|line| Line::from(Span::styled(line, rx.theme.muted)))
            .collect()
    }
}

/// The figures of the payment being put together.
struct Outlook {
    amount_due: Money,
    tip: Money,
    parts: Vec<(PaymentMethod, Money)>,
    /// Before the tender being typed.
    still_due: Money,
    cash: Option<CashOutlook>,
    /// For a card or mobile amount typed: what it leaves due.
    left_after: Option<Money>,
}

struct CashOutlook {
    /// Signed: the cash due less what was still due.
    rounding: Money,
    cash_due: Money,
    handed: Option<Money>,
    change: Option<Money>,
    short: Option<Money>,
}

impl Outlook {
    fn lines(
        &self,
        money_due: bool,
        method: PaymentMethod,
        cells: usize,
        rx: &RenderCx,
    ) -> Vec<Line<'static>> {
        let currency = &rx.shop.currency;
        let row = |label: &str, amount: Money| {
            Line::from(label_value(label, &amount.format_amount(currency), cells))
        };
        let mut lines = vec![Line::from(Span::styled(
            label_value(
                rx.tr("Amount due"),
                &self.amount_due.format(currency),
                cells,
            ),
            rx.theme.accent,
        ))];
        if !money_due {
            let covered = rx.lang.fill(
                "Nothing to pay; recorded as {method}.",
                &[("method", rx.tr(method_label(method)))],
            );
            lines.push(Line::from(Span::styled(covered, rx.theme.ok)));
            return lines;
        }
        if !self.tip.is_zero() {
            lines.push(row(rx.tr("Tip"), self.tip));
        }
        for (method, amount) in &self.parts {
            let label = rx.lang.fill(
                "{method} (added)",
                &[("method", rx.tr(method_label(*method)))],
            );
            lines.push(row(&label, *amount));
        }
        lines.push(Line::from(Span::styled(
            label_value(rx.tr("Still due"), &self.still_due.format(currency), cells),
            rx.theme.accent.add_modifier(Modifier::BOLD),
        )));
        if let Some(left) = self.left_after {
            lines.push(row(rx.tr("Left after this part"), left));
        }
        if let Some(cash) = &self.cash {
            if !cash.rounding.is_zero() {
                lines.push(row(rx.tr("Cash rounding"), cash.rounding));
            }
            lines.push(row(rx.tr("Cash due"), cash.cash_due));
            if let Some(handed) = cash.handed {
                lines.push(row(rx.tr("Handed over"), handed));
            }
        }
        lines
    }
}

/// The change to give: a label over the amount drawn three rows high in a heavy box, or on one
/// bold line when the box does not fit.
pub(super) fn render_change(
    label: &str,
    change: Money,
    frame: &mut Frame,
    area: Rect,
    rx: &RenderCx,
) {
    let currency = &rx.shop.currency;
    let amount = change.format_amount(currency);
    let style = rx.theme.accent.add_modifier(Modifier::BOLD);
    let big = big_digits(&amount);
    let code = currency.code();
    let big_cells = big
        .as_ref()
        .map_or(0, |rows| width(&rows[0]) + 1 + width(code));
    if let Some(rows) = big.filter(|_| area.height >= 5 && usize::from(area.width) >= big_cells + 2)
    {
        let box_width = u16::try_from(big_cells + 2).unwrap_or(area.width);
        let box_area = Rect {
            width: box_width
                .max(u16::try_from(width(label) + 4).unwrap_or(0))
                .min(area.width),
            height: 5,
            ..area
        };
        let block = Block::bordered()
            .border_type(BorderType::Thick)
            .border_style(style)
            .title(Span::styled(format!(" {label} "), style));
        let inner = block.inner(box_area);
        frame.render_widget(block, box_area);
        let lines: Vec<Line> = rows
            .iter()
            .enumerate()
            .map(|(index, row)| {
                // The currency code sits beside the middle row, where the eye reads the figure.
                let tail = if index == 1 {
                    format!(" {code}")
                } else {
                    String::new()
                };
                Line::from(vec![
                    Span::styled(row.clone(), style),
                    Span::styled(tail, rx.theme.base),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    } else {
        let text = format!("{label}  {}", change.format(currency));
        frame.render_widget(
            Paragraph::new(Span::styled(text, style.add_modifier(Modifier::REVERSED))),
            area,
        );
    }
}

/// `text` (digits, `.`, `,`, `-`) three rows high; `None` for any other character.
pub(super) fn big_digits(text: &str) -> Option<[String; 3]> {
    let mut rows = [String::new(), String::new(), String::new()];
    for (index, c) in text.chars().enumerate() {
        let glyph: [&str; 3] = match c {
            '0' => ["┏━┓", "┃ ┃", "┗━┛"],
            '1' => ["╺┓ ", " ┃ ", "╺┻╸"],
            '2' => ["┏━┓", "┏━┛", "┗━╸"],
            '3' => ["┏━┓", "╺━┫", "┗━┛"],
            '4' => ["╻ ╻", "┗━┫", "  ╹"],
            '5' => ["┏━╸", "┗━┓", "┗━┛"],
            '6' => ["┏━╸", "┣━┓", "┗━┛"],
            '7' => ["┏━┓", "  ┃", "  ╹"],
            '8' => ["┏━┓", "┣━┫", "┗━┛"],
            '9' => ["┏━┓", "┗━┫", "┗━┛"],
            '.' | ',' => [" ", " ", "╹"],
            '-' => ["   ", "╺━╸", "   "],
            _ => return None,
        };
        for (row, part) in rows.iter_mut().zip(glyph) {
            if index > 0 {
                row.push(' ');
            }
            row.push_str(part);
        }
    }
    Some(rows)
}

/// An optional amount field: empty is `None`; a field the form does not show is `None` too.
fn read_amount(form: &Form, key: &str, currency: &Currency) -> Result<Option<Money>, ()> {
    let text = form.value(key).trim();
    if text.is_empty() {
        return Ok(None);
    }
    Money::parse(text, currency).map(Some).map_err(|_| ())
}

fn not_done(err: &SettleError, lang: Language) -> String {
    match err {
        SettleError::TipsOff => lang
            .tr("This shop does not take tips; a manager can turn tips on in settings.")
            .to_owned(),
        other => match lang {
            Language::English => safe(&other.to_string()).into_owned(),
            _ => format!("{}{}", lang.tr("Not done: "), safe(&other.to_string())),
        },
    }
}
