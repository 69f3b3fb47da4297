//! End of day: one shop-local day's takings by payment method with the totals, voids,
//! discounts, points and plan and package sales; a line per member of staff for a manager (a
//! cashier sees only their own takings); and the audit checkpoint in large clear text so the
//! shop can write it down and later prove the log was not cut short.

use chrono::{Datelike, Duration, NaiveDate};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};

use super::audit::{ChainChecked, ChainState, chain_line, start_chain_check};
use super::settings::weekday_word;
use super::staff::footer_hints;
use crate::domain::money::Money;
use crate::service::{ServiceError, TakingsReport};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::tasks::Task;
use crate::ui::text::{pad, safe};
use crate::ui::view::{Cx, Handled, RenderCx, View, ViewTaskOutput};

/// What the background report hands back, with the day it is for (the person may have moved
/// on to another day meanwhile).
struct DayAddedUp {
    day: NaiveDate,
    takings: Result<TakingsReport, ServiceError>,
    checkpoint: Result<String, ServiceError>,
}

pub struct EndOfDayView {
    /// `None` until the first refresh sets today.
    day: Option<NaiveDate>,
    report: Option<TakingsReport>,
    checkpoint: Option<String>,
    loading: bool,
    chain: ChainState,
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
            loading: false,
            chain: ChainState::NotChecked,
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
        cx.run(Task::ForView {
            label: "Adding up the day…",
            work: Box::new(move || {
                Box::new(DayAddedUp {
                    day,
                    takings: service.takings(&session, day),
                    checkpoint: service.audit_checkpoint(&session),
                }) as ViewTaskOutput
            }),
        });
    }

    fn move_to(&mut self, day: NaiveDate, cx: &mut Cx) {
        if self.day != Some(day) {
            self.day = Some(day);
            self.report = None;
            self.load(cx);
        }
    }

    fn render_methods(&self, report: &TakingsReport, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let money = |amount: Money| amount.format_amount(&report.currency);
        let header = Row::new(vec![
            Cell::from(rx.tr("Payment")),
            Cell::from(rx.tr("Count")),
            Cell::from(format!("{} ({})", rx.tr("Amount"), report.currency.code())),
        ])
        .style(rx.theme.header);
        let mut rows: Vec<Row> = report
            .by_payment
            .iter()
            .map(|tally| {
                Row::new(vec![
                    Cell::from(rx.tr(payment_word(tally.method))),
                    Cell::from(tally.count.to_string()),
                    Cell::from(money(tally.amount)),
                ])
            })
            .collect();
        if rows.is_empty() {
            rows.push(Row::new(vec![Cell::from(Span::styled(
                rx.tr("Nothing taken."),
                rx.theme.muted,
            ))]));
        }
        let count: u32 = report.by_payment.iter().map(|t| t.count).sum();
        rows.push(
            Row::new(vec![
                Cell::from(rx.tr("Total")),
                Cell::from(count.to_string()),
                Cell::from(money(report.total)),
            ])
            .style(rx.theme.accent.add_modifier(Modifier::BOLD)),
        );
        let table = Table::new(
            rows,
            [
                Constraint::Length(14),
                Constraint::Length(6),
                Constraint::Min(12),
            ],
        )
        .header(header);
        frame.render_widget(table, area);
    }

    fn figure_lines(&self, report: &TakingsReport, rx: &RenderCx) -> Vec<Line<'static>> {
        let money = |amount: Money| amount.format(&report.currency);
        let line = |label: &'static str, value: String| {
            Line::from(vec![
                Span::styled(pad(rx.tr(label), 18), rx.theme.muted),
                Span::raw(value),
            ])
        };
        let visits_taken: Money = report
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
                "Discounts",
                rx.lang.fill(
                    "{amount} on {n} visits",
                    &[
                        ("amount", &money(report.discounts)),
                        ("n", &report.adjusted_visits.to_string()),
                    ],
                ),
            ),
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

    fn render_staff(&self, report: &TakingsReport, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let money = |amount: Money| amount.format_amount(&report.currency);
        let header = Row::new(
            ["Staff", "Visits", "Sales", "Voided", "Total"]
                .iter()
                .map(|h| Cell::from(rx.tr(h))),
        )
        .style(rx.theme.header);
        let rows = report.by_staff.iter().map(|person| {
            Row::new(vec![
                Cell::from(safe(&person.username).into_owned()),
                Cell::from(format!(
                    "{} {}",
                    person.visits.count,
                    money(person.visits.amount)
                )),
                Cell::from(format!(
                    "{} {}",
                    person.sales.count,
                    money(person.sales.amount)
                )),
                Cell::from(format!(
                    "{} {}",
                    person.voided.count,
                    money(person.voided.amount)
                )),
                Cell::from(money(person.total)),
            ])
        });
        let table = Table::new(
            rows,
            [
                Constraint::Length(14),
                Constraint::Length(14),
                Constraint::Length(14),
                Constraint::Length(14),
                Constraint::Min(10),
            ],
        )
        .header(header);
        frame.render_widget(table, area);
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
        frame.render_widget(
            Paragraph::new(Line::from(text)).wrap(Wrap { trim: false }),
            inner,
        );
    }
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
        let staff_rows = self.report.as_ref().map_or(0, |r| {
            if r.by_staff.is_empty() {
                0
            } else {
                r.by_staff.len() + 1
            }
        });
        let checkpoint_rows = if inner.width < 74 { 4 } else { 3 };
        let [
            day_area,
            top,
            staff_area,
            chain_area,
            checkpoint_area,
            _,
            footer,
        ] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(9),
            Constraint::Length(u16::try_from(staff_rows).unwrap_or(u16::MAX)),
            Constraint::Length(1),
            Constraint::Length(checkpoint_rows),
            Constraint::Min(0),
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
        let scope = if self.loading {
            format!("{scope}  {}", rx.tr("Adding up the day…"))
        } else {
            scope
        };
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(day_line),
                Line::from(Span::styled(scope, rx.theme.muted)),
            ]),
            day_area,
        );
        if let Some(report) = &self.report {
            let [methods_area, figures_area] =
                Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                    .spacing(2)
                    .areas(top);
            self.render_methods(report, frame, methods_area, rx);
            frame.render_widget(Paragraph::new(self.figure_lines(report, rx)), figures_area);
            if staff_rows > 0 {
                self.render_staff(report, frame, staff_area, rx);
            }
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
        frame.render_widget(
            Paragraph::new(Line::from(footer_hints(rx, self.contexts(), &hints))),
            footer,
        );
    }
}
