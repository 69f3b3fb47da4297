//! End of day: one shop-local day's takings by tender method with the refunds apart, the
//! voids, discounts, tips, cash rounding, points and plan and package sales; each tax by name;
//! each drawer's float, expected, counted and over/short; a line per member of staff for a
//! manager (a cashier sees only their own takings and drawer); and the audit checkpoint in
//! large clear text so the shop can write it down and later prove the log was not cut short.
//! The report scrolls when it is taller than the screen; the checkpoint always stays in view.

use chrono::{Datelike, Duration, NaiveDate};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::audit::{ChainChecked, ChainState, chain_line, start_chain_check};
use super::settings::weekday_word;
use crate::domain::money::Money;
use crate::service::{BackupStatus, ServiceError, TakingsReport};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::tasks::Task;
use crate::ui::text::{pad, safe, width};
use crate::ui::view::{Cx, Handled, RenderCx, View, ViewTaskOutput};
use crate::ui::widgets::hints::footer_hints;

/// What the background report hands back, with the day it is for (the person may have moved
/// on to another day meanwhile).
struct DayAddedUp {
    day: NaiveDate,
    takings: Result<TakingsReport, ServiceError>,
    checkpoint: Result<String, ServiceError>,
    /// Managers only: how many members a retention run would anonymise now.
    retention_due: Option<Result<usize, ServiceError>>,
    /// Managers only: what the last backup runs did.
    backup: Option<Result<BackupStatus, ServiceError>>,
}

pub struct EndOfDayView {
    /// `None` until the first refresh sets today.
    day: Option<NaiveDate>,
    report: Option<TakingsReport>,
    checkpoint: Option<String>,
    /// Members past the retention period (managers; shown when there are any).
    retention_due: Option<usize>,
    /// The last backup runs (managers), shown under the checkpoint.
    backup: Option<BackupStatus>,
    loading: bool,
    chain: ChainState,
    /// Lines of the report scrolled past, when it is taller than the screen.
    scroll: u16,
}

impl Default for EndOfDayView {
    fn default() -> Self {
        Self::new()
    }
}

fn payment_word(method: crate::domain::catalog::PaymentMethod) -> &'static str {
    use crate::domain::catalog::PaymentMethod;
    match method {
        PaymentMethod::Cash => "Cash",
        PaymentMethod::Card => "Card",
        PaymentMethod::Mobile => "Mobile",
        PaymentMethod::Plan => "Plan",
        PaymentMethod::Package => "Package",
        PaymentMethod::Points => "Points",
    }
}

impl EndOfDayView {
    pub fn new() -> Self {
        Self {
            day: None,
            report: None,
            checkpoint: None,
            retention_due: None,
            backup: None,
            loading: false,
            chain: ChainState::NotChecked,
            scroll: 0,
        }
    }

    fn today(cx: &Cx) -> NaiveDate {
        cx.now.with_timezone(&cx.shop.tz).date_naive()
    }

    fn load(&mut self, cx: &mut Cx) {
        let day = *self.day.get_or_insert_with(|| Self::today(cx));
        let service = cx.service.clone();
        let session = cx.session.clone();
        self.loading = true;
        let manager = cx.is_manager();
        cx.run(Task::ForView {
            label: "Adding up the day…",
            work: Box::new(move || {
                Box::new(DayAddedUp {
                    day,
                    takings: service.takings(&session, day),
                    checkpoint: service.audit_checkpoint(&session),
                    retention_due: manager.then(|| service.retention_due_count(&session)),
                    backup: manager.then(|| service.backup_status(&session)),
                }) as ViewTaskOutput
            }),
        });
    }

    fn move_to(&mut self, day: NaiveDate, cx: &mut Cx) {
        if self.day != Some(day) {
            self.day = Some(day);
            self.report = None;
            self.scroll = 0;
            self.load(cx);
        }
    }

    /// The report as lines, for a body `cells` wide: the takings beside the other figures
    /// (with the taxes too when wide), then the taxes, drawers and staff.
    fn body_lines(
        &self,
        report: &TakingsReport,
        cells: usize,
        rx: &RenderCx,
    ) -> Vec<Line<'static>> {
        let wide = cells >= 120;
        let mut left = takings_lines(report, rx);
        let figures = figure_lines(report, rx);
        let taxes = tax_lines(report, rx);
        let mut lines = Vec::new();
        if cells >= TAKINGS_CELLS + 2 + FIGURES_CELLS {
            let mut taxes_below = Some(taxes);
            if wide {
                left.push(Line::from(""));
                left.extend(taxes_below.take().unwrap_or_default());
            }
            let left_cells = if wide { cells / 2 } else { TAKINGS_CELLS + 2 };
            let rows = left.len().max(figures.len());
            let mut left = left.into_iter();
            let mut right = figures.into_iter();
            for _ in 0..rows {
                let mut spans = left.next().map_or_else(Vec::new, |line| line.spans);
                let used: usize = spans.iter().map(|s| width(&s.content)).sum();
                spans.push(Span::raw(" ".repeat(left_cells.saturating_sub(used))));
                if let Some(line) = right.next() {
                    spans.extend(line.spans);
                }
                lines.push(Line::from(spans));
            }
            if let Some(taxes) = taxes_below {
                lines.push(Line::from(""));
                lines.extend(taxes);
            }
        } else {
            lines.extend(left);
            lines.push(Line::from(""));
            lines.extend(figures);
            lines.push(Line::from(""));
            lines.extend(taxes);
        }
        lines.push(Line::from(""));
        lines.extend(drawer_lines(report, rx));
        if !report.by_staff.is_empty() {
            lines.push(Line::from(""));
            lines.extend(staff_lines(report, cells, rx));
        }
        lines
    }

    /// How far down the body can scroll at most (the narrow layout is the longest).
    fn line_count(&self) -> u16 {
        self.report.as_ref().map_or(0, |report| {
            let rows = report.by_payment.len()
                + report.refunds_by_payment.len()
                + report.taxes.len()
                + report.drawers.len()
                + report.by_staff.len();
            u16::try_from(rows + 40).unwrap_or(u16::MAX)
        })
    }

    fn render_checkpoint(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Audit checkpoint: write this down")),
                rx.theme.warning,
            ))
            .border_style(rx.theme.warning);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let text = match &self.checkpoint {
            Some(checkpoint) => Span::styled(
                safe(checkpoint).into_owned(),
                rx.theme.title.add_modifier(Modifier::BOLD),
            ),
            None => Span::styled(rx.tr("not available"), rx.theme.muted),
        };
        let mut lines = vec![Line::from(text)];
        if let Some(status) = &self.backup {
            lines.push(backup_line(status, rx));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    }
}

/// The date of the last backup the restore drill verified, with the checkpoint it holds; a
/// warning when the last run failed or there is none.
fn backup_line(status: &BackupStatus, rx: &RenderCx) -> Line<'static> {
    let failed = status.last_run_failed();
    let text = match &status.last_success {
        Some(run) => rx.lang.fill(
            "Last verified backup: {date} (checkpoint {count})",
            &[
                (
                    "date",
                    &run.at
                        .with_timezone(&rx.shop.tz)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                ),
                ("count", &run.checkpoint.count.to_string()),
            ],
        ),
        None => rx
            .tr("No verified backup yet: press b in Settings › Security.")
            .to_owned(),
    };
    let text = if failed {
        format!(
            "{text}  {}",
            rx.tr("The last backup run failed; see Settings › Security.")
        )
    } else {
        text
    };
    let style = if failed || status.last_success.is_none() {
        rx.theme.error
    } else {
        rx.theme.ok
    };
    Line::from(Span::styled(text, style))
}

const LABEL: usize = 18;
/// The widths of the takings table and of the figures beside it.
const TAKINGS_CELLS: usize = 34;
const FIGURES_CELLS: usize = 40;
/// Lines a page key scrolls the report.
const PAGE: i16 = 8;
const AMOUNT: usize = 12;

fn heading(text: &str, rx: &RenderCx) -> Line<'static> {
    Line::from(Span::styled(text.to_owned(), rx.theme.header))
}

/// An amount right-aligned in its column.
fn right(text: &str, cells: usize) -> String {
    let pad_cells = cells.saturating_sub(width(text));
    format!("{}{text}", " ".repeat(pad_cells))
}

/// Takings by tender method, the refunds apart, and what is left.
fn takings_lines(report: &TakingsReport, rx: &RenderCx) -> Vec<Line<'static>> {
    let money = |amount: Money| amount.format_amount(&report.currency);
    let row = |label: &str, count: String, amount: String| {
        format!("{}{:>6}  {}", pad(label, 14), count, right(&amount, AMOUNT))
    };
    let mut lines = vec![Line::from(Span::styled(
        row(
            rx.tr("Payment"),
            rx.tr("Count").to_owned(),
            format!("{} ({})", rx.tr("Amount"), report.currency.code()),
        ),
        rx.theme.header,
    ))];
    if report.by_payment.is_empty() {
        lines.push(Line::from(Span::styled(
            rx.tr("Nothing taken."),
            rx.theme.muted,
        )));
    }
    for tally in &report.by_payment {
        lines.push(Line::from(row(
            rx.tr(payment_word(tally.method)),
            tally.count.to_string(),
            money(tally.amount),
        )));
    }
    let count: u32 = report.by_payment.iter().map(|t| t.count).sum();
    lines.push(Line::from(Span::styled(
        row(rx.tr("Total"), count.to_string(), money(report.total)),
        rx.theme.accent.add_modifier(Modifier::BOLD),
    )));
    for tally in &report.refunds_by_payment {
        lines.push(Line::from(Span::styled(
            row(
                &rx.lang.fill(
                    "Refunds, {method}",
                    &[("method", rx.tr(payment_word(tally.method)))],
                ),
                tally.count.to_string(),
                format!("-{}", money(tally.amount)),
            ),
            rx.theme.warning,
        )));
    }
    if !report.refunds.amount.is_zero() {
        lines.push(Line::from(Span::styled(
            row(
                rx.tr("After refunds"),
                String::new(),
                money(report.net_total),
            ),
            rx.theme.accent.add_modifier(Modifier::BOLD),
        )));
    }
    lines
}

/// The day's other figures, one a line.
fn figure_lines(report: &TakingsReport, rx: &RenderCx) -> Vec<Line<'static>> {
    let money = |amount: Money| amount.format(&report.currency);
    let line = |label: &'static str, value: String| {
        Line::from(vec![
            Span::styled(pad(rx.tr(label), LABEL), rx.theme.muted),
            Span::raw(value),
        ])
    };
    let visits_taken = report
        .visits_by_payment
        .iter()
        .map(|t| t.amount)
        .fold(Money::ZERO, |sum, amount| {
            sum.checked_add(amount).unwrap_or(sum)
        });
    vec![
        line(
            "Visits",
            format!("{}  {}", report.visits, money(visits_taken)),
        ),
        line(
            "Voided",
            format!("{}  {}", report.voided.count, money(report.voided.amount)),
        ),
        line(
            "Refunds",
            format!("{}  {}", report.refunds.count, money(report.refunds.amount)),
        ),
        line(
            "Discounts",
            rx.lang.fill(
                "{amount} on {n} visits",
                &[
                    ("amount", &money(report.discounts)),
                    ("n", &report.adjusted_visits.to_string()),
                ],
            ),
        ),
        line("Tips", money(report.tips)),
        line("Cash rounding", money(report.cash_rounding)),
        line("Points earned", report.points_earned.to_string()),
        line(
            "Points redeemed",
            format!(
                "{}  ({})",
                report.points_redeemed,
                money(report.points_value)
            ),
        ),
        line(
            "Plans sold",
            format!(
                "{}  {}",
                report.plan_sales.count,
                money(report.plan_sales.amount)
            ),
        ),
        line(
            "Packages sold",
            format!(
                "{}  {}",
                report.package_sales.count,
                money(report.package_sales.amount)
            ),
        ),
    ]
}

/// Each tax by name: collected, refunded, owed.
fn tax_lines(report: &TakingsReport, rx: &RenderCx) -> Vec<Line<'static>> {
    let money = |amount: Money| amount.format_amount(&report.currency);
    let row = |name: &str, collected: &str, refunded: &str, net: &str| {
        format!(
            "{}{} {} {}",
            pad(name, 14),
            right(collected, AMOUNT),
            right(refunded, AMOUNT),
            right(net, AMOUNT)
        )
    };
    if report.taxes.is_empty() {
        return vec![Line::from(Span::styled(
            rx.tr("No tax charged."),
            rx.theme.muted,
        ))];
    }
    let mut lines = vec![Line::from(Span::styled(
        row(
            rx.tr("Tax"),
            rx.tr("Collected"),
            rx.tr("Refunded"),
            rx.tr("Net"),
        ),
        rx.theme.header,
    ))];
    for tax in &report.taxes {
        lines.push(Line::from(row(
            &safe(&tax.name),
            &money(tax.collected),
            &money(tax.refunded),
            &money(tax.net),
        )));
    }
    lines
}

/// Each drawer opened that day: float, expected, counted, over/short.
fn drawer_lines(report: &TakingsReport, rx: &RenderCx) -> Vec<Line<'static>> {
    let money = |amount: Money| amount.format_amount(&report.currency);
    let row = |cells: [&str; 6]| {
        format!(
            "{}{} {} {} {} {}",
            pad(cells[0], 12),
            pad(cells[1], 7),
            right(cells[2], 10),
            right(cells[3], 11),
            right(cells[4], 11),
            right(cells[5], 11)
        )
    };
    if report.drawers.is_empty() {
        return vec![Line::from(Span::styled(
            rx.tr("No drawer was opened."),
            rx.theme.muted,
        ))];
    }
    let mut lines = vec![
        heading(rx.tr("Drawers"), rx),
        Line::from(Span::styled(
            row([
                rx.tr("Staff"),
                rx.tr("Opened"),
                rx.tr("Float"),
                rx.tr("Expected"),
                rx.tr("Counted"),
                rx.tr("Over/short"),
            ]),
            rx.theme.muted,
        )),
    ];
    for drawer in &report.drawers {
        let counted = drawer.counted.map(money);
        let over_short = drawer.over_short.map(|amount| {
            if amount.minor_units() > 0 {
                format!("+{}", money(amount))
            } else {
                money(amount)
            }
        });
        let style = match drawer.over_short.map(|m| m.minor_units()) {
            None => rx.theme.accent,
            Some(0) => rx.theme.ok,
            Some(n) if n < 0 => rx.theme.error,
            Some(_) => rx.theme.warning,
        };
        let base = row([
            &safe(&drawer.staff),
            &rx.time(drawer.opened_at),
            &money(drawer.float),
            &money(drawer.expected),
            counted.as_deref().unwrap_or("—"),
            "",
        ]);
        let tail = match &over_short {
            Some(amount) => right(amount, 11),
            None => right(rx.tr("still open"), 11),
        };
        // The empty last column is replaced by the styled over/short.
        let base = base
            .strip_suffix(&" ".repeat(11))
            .map_or_else(|| base.clone(), str::to_owned);
        lines.push(Line::from(vec![Span::raw(base), Span::styled(tail, style)]));
    }
    lines
}

/// A line per member of staff, for a manager.
fn staff_lines(report: &TakingsReport, cells: usize, rx: &RenderCx) -> Vec<Line<'static>> {
    let money = |amount: Money| amount.format_amount(&report.currency);
    let with_voided = cells >= 90;
    let tally = |t: &crate::service::Tally| format!("{} {}", t.count, money(t.amount));
    let row = |texts: Vec<String>| {
        let mut widths = vec![12, 13, 13];
        if with_voided {
            widths.push(13);
        }
        widths.extend([13, 9, 10]);
        texts
            .iter()
            .zip(widths)
            .map(|(text, cells)| pad(text, cells))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut header = vec![
        rx.tr("Staff").to_owned(),
        rx.tr("Visits").to_owned(),
        rx.tr("Sales").to_owned(),
    ];
    if with_voided {
        header.push(rx.tr("Voided").to_owned());
    }
    header.extend([
        rx.tr("Refunds").to_owned(),
        rx.tr("Tips").to_owned(),
        rx.tr("Total").to_owned(),
    ]);
    let mut lines = vec![Line::from(Span::styled(row(header), rx.theme.header))];
    for person in &report.by_staff {
        let mut texts = vec![
            safe(&person.username).into_owned(),
            tally(&person.visits),
            tally(&person.sales),
        ];
        if with_voided {
            texts.push(tally(&person.voided));
        }
        texts.extend([
            tally(&person.refunds),
            money(person.tips),
            money(person.total),
        ]);
        lines.push(Line::from(row(texts)));
    }
    lines
}

impl View for EndOfDayView {
    fn title(&self) -> &'static str {
        "End of day"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::EndOfDay]
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.load(cx);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        let Some(day) = self.day else {
            return Handled::No;
        };
        match action {
            Action::PrevDay => {
                if let Some(previous) = day.pred_opt() {
                    self.move_to(previous, cx);
                }
            }
            Action::NextDay => {
                if let Some(next) = day.succ_opt() {
                    self.move_to(next, cx);
                }
            }
            Action::ThisDay => self.move_to(Self::today(cx), cx),
            Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
                let step = match action {
                    Action::Up => -1,
                    Action::Down => 1,
                    Action::PageUp => -PAGE,
                    _ => PAGE,
                };
                self.scroll = self
                    .scroll
                    .saturating_add_signed(step)
                    .min(self.line_count());
            }
            Action::VerifyChain => {
                if !cx.is_manager() {
                    cx.notice(cx.tr(
                        "Only a manager can check the audit chain; the checkpoint above is what to write down.",
                    ));
                } else if !matches!(self.chain, ChainState::Checking) {
                    self.chain = ChainState::Checking;
                    start_chain_check(cx);
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn on_task(&mut self, output: ViewTaskOutput, cx: &mut Cx) {
        let output = match output.downcast::<ChainChecked>() {
            Ok(checked) => {
                match checked.0 {
                    Ok(result) => self.chain = ChainState::Done(result),
                    Err(err) => {
                        self.chain = ChainState::NotChecked;
                        cx.fail(&err);
                    }
                }
                return;
            }
            Err(other) => other,
        };
        let Ok(added) = output.downcast::<DayAddedUp>() else {
            return;
        };
        if Some(added.day) != self.day {
            return;
        }
        self.loading = false;
        match added.takings {
            Ok(report) => self.report = Some(report),
            Err(err) => cx.fail(&err),
        }
        match added.checkpoint {
            Ok(checkpoint) => self.checkpoint = Some(checkpoint),
            Err(err) => cx.fail(&err),
        }
        match added.retention_due {
            Some(Ok(due)) => self.retention_due = Some(due),
            Some(Err(err)) => cx.fail(&err),
            None => {}
        }
        match added.backup {
            Some(Ok(status)) => self.backup = Some(status),
            Some(Err(err)) => cx.fail(&err),
            None => {}
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("End of day")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let checkpoint_rows =
            if inner.width < 74 { 4 } else { 3 } + u16::from(self.backup.is_some());
        let [day_area, body, chain_area, checkpoint_area, footer] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Min(1),
            Constraint::Length(1),
            Constraint::Length(checkpoint_rows),
            Constraint::Length(1),
        ])
        .areas(inner);
        let mut day_line = Vec::new();
        if let Some(day) = self.day {
            day_line.push(Span::styled(
                format!(
                    "{} {}",
                    rx.tr(weekday_word(day.weekday())),
                    day.format("%Y-%m-%d")
                ),
                rx.theme.accent.add_modifier(Modifier::BOLD),
            ));
            if day == rx.today() {
                day_line.push(Span::styled(
                    format!("  ({})", rx.tr("today")),
                    rx.theme.muted,
                ));
            } else if day == rx.today() - Duration::days(1) {
                day_line.push(Span::styled(
                    format!("  ({})", rx.tr("yesterday")),
                    rx.theme.muted,
                ));
            }
        }
        let scope = match self.report.as_ref().and_then(|r| r.only_staff.as_deref()) {
            Some(user) => rx
                .lang
                .fill("Your own takings only ({user}).", &[("user", &safe(user))]),
            None => rx.tr("The whole shop.").to_owned(),
        };
        let mut scope = if self.loading {
            format!("{scope}  {}", rx.tr("Adding up the day…"))
        } else {
            scope
        };
        if let Some(due) = self.retention_due.filter(|due| *due > 0) {
            scope.push_str("  ");
            scope.push_str(&rx.lang.fill(
                "Retention: {n} members due for anonymisation",
                &[("n", &due.to_string())],
            ));
        }
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(day_line),
                Line::from(Span::styled(scope, rx.theme.muted)),
            ]),
            day_area,
        );
        let mut more_below = false;
        if let Some(report) = &self.report {
            let lines = self.body_lines(report, usize::from(body.width), rx);
            let total = u16::try_from(lines.len()).unwrap_or(u16::MAX);
            let scroll = self.scroll.min(total.saturating_sub(body.height));
            more_below = scroll.saturating_add(body.height) < total;
            frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), body);
        }
        if let Some(line) = chain_line(&self.chain, rx) {
            frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: true }), chain_area);
        }
        self.render_checkpoint(frame, checkpoint_area, rx);
        let mut hints = vec![
            (Action::PrevDay, "previous day"),
            (Action::NextDay, "next day"),
            (Action::ThisDay, "today"),
        ];
        if rx.role == crate::domain::access::Role::Manager {
            hints.push((Action::VerifyChain, "verify"));
        }
        if more_below {
            hints.push((Action::PageDown, "more"));
        } else if self.scroll > 0 {
            hints.push((Action::PageUp, "scroll up"));
        }
        frame.render_widget(
            Paragraph::new(Line::from(footer_hints(rx, self.contexts(), &hints))),
            footer,
        );
    }
}
