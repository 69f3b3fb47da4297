//! Reports: one section at a time (takings, visits, hours, bays, services, members, visit
//! frequency, vehicles, sales, points, comparison) over a day, week, month or any range, drawn
//! as a chart where a person would rather look than read, with the numbers one key away. The
//! report is added up on a worker (with progress) and the screen never waits for it. A
//! cashier sees their own takings of today only (the service narrows the range).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Paragraph, Sparkline};

use crate::domain::money::Money;
use crate::private_file::Existing;
use crate::service::{
    FREQUENCY_BUCKETS, Period, PeriodKind, RangeReport, ReportName, ServiceError, percent_text,
    report_table,
};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::tasks::Task;
use crate::ui::text::{pad, safe, truncate, width};
use crate::ui::view::{Cx, Handled, Prompt, PromptAnswer, RenderCx, View, ViewTaskOutput};
use crate::ui::widgets::hints::footer_hints;

const CUSTOM_RANGE: &str = "report.custom_range";

/// What the worker hands back, with the period asked for (the person may have moved on).
struct ReportAddedUp {
    asked: Period,
    report: Result<RangeReport, ServiceError>,
}

pub struct ReportsView {
    /// `None` until the first refresh sets the month holding today.
    period: Option<Period>,
    section: usize,
    report: Option<RangeReport>,
    loading: bool,
    /// How far the worker got, 0–100, drawn while it runs.
    progress: Arc<AtomicU8>,
    /// Numbers instead of the chart.
    numbers: bool,
    scroll: u16,
}

impl Default for ReportsView {
    fn default() -> Self {
        Self::new()
    }
}

/// The English word for a fixed word in a report table (a payment method, a vehicle kind, a
/// measure), so it can be translated; other text is shown as it is.
fn word(text: &str) -> Option<&'static str> {
    const WORDS: &[&str] = &[
        "cash",
        "card",
        "mobile",
        "plan",
        "package",
        "points",
        "total",
        "tips",
        "refunds",
        "voided",
        "net",
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
        "new",
        "returning",
        "walk-in",
        "sedan",
        "hatchback",
        "suv",
        "van",
        "pickup",
        "motorbike",
        "other",
        "plan sold",
        "plan renewed",
        "package sold",
        "earned",
        "redeemed",
        "outstanding",
        "expiring in 30 days (at most)",
        "visits",
        "takings",
        "new members",
        "plan and package sales",
    ];
    WORDS.iter().copied().find(|w| *w == text)
}

fn section_title(name: ReportName) -> &'static str {
    match name {
        ReportName::Takings => "Takings",
        ReportName::Visits => "Visits per day",
        ReportName::Hours => "Hours of the week",
        ReportName::Bays => "Bay use",
        ReportName::Services => "Top services",
        ReportName::Members => "New and returning",
        ReportName::Frequency => "Visit frequency",
        ReportName::Vehicles => "Vehicle types",
        ReportName::Sales => "Plans and packages",
        ReportName::Points => "Points liability",
        ReportName::Comparison => "Against the previous period",
    }
}

fn kind_word(kind: PeriodKind) -> &'static str {
    match kind {
        PeriodKind::Day => "Day",
        PeriodKind::Week => "Week",
        PeriodKind::Month => "Month",
        PeriodKind::Custom => "Range",
    }
}

/// `2026-05-01 – 2026-05-31`, or one date for a day.
fn period_text(period: &Period) -> String {
    if period.first == period.last {
        period.first.format("%Y-%m-%d").to_string()
    } else {
        format!(
            "{} – {}",
            period.first.format("%Y-%m-%d"),
            period.last.format("%Y-%m-%d")
        )
    }
}

fn parse_range(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    let mut dates = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '~')
        .filter(|part| !part.is_empty() && *part != "-" && *part != "to")
        .map(|part| NaiveDate::parse_from_str(part, "%Y-%m-%d").ok());
    let first = dates.next()??;
    let last = match dates.next() {
        Some(date) => date?,
        None => first,
    };
    Some((first, last))
}

impl ReportsView {
    pub fn new() -> Self {
        Self {
            period: None,
            section: 0,
            report: None,
            loading: false,
            progress: Arc::new(AtomicU8::new(0)),
            numbers: false,
            scroll: 0,
        }
    }

    fn name(&self) -> ReportName {
        ReportName::ALL[self.section % ReportName::ALL.len()]
    }

    fn today(cx: &Cx) -> NaiveDate {
        cx.now.with_timezone(&cx.shop.tz).date_naive()
    }

    fn load(&mut self, cx: &mut Cx) {
        let today = Self::today(cx);
        let asked = *self
            .period
            .get_or_insert_with(|| Period::month(today).unwrap_or(Period::day(today)));
        let service = cx.service.clone();
        let session = cx.session.clone();
        let progress = self.progress.clone();
        progress.store(0, Ordering::Relaxed);
        self.loading = true;
        cx.run(Task::ForView {
            label: "Adding up the report…",
            work: Box::new(move || {
                let report = service.range_report_with_progress(&session, asked, &mut |p| {
                    progress.store(p, Ordering::Relaxed)
                });
                Box::new(ReportAddedUp { asked, report }) as ViewTaskOutput
            }),
        });
    }

    fn move_to(&mut self, period: Option<Period>, cx: &mut Cx) {
        if let Some(period) = period
            && self.period != Some(period)
        {
            self.period = Some(period);
            self.scroll = 0;
            self.load(cx);
        }
    }

    fn export(&mut self, cx: &mut Cx) {
        let Some(report) = &self.report else {
            cx.notice(cx.tr("The report is still being added up; try again in a moment."));
            return;
        };
        let name = self.name();
        let path = cx.service.report_export_path(report, name);
        match cx
            .service
            .export_report(cx.session, report, name, &path, Existing::Replace)
        {
            Ok(path) => {
                let shown = safe(&path.display().to_string()).into_owned();
                cx.notice(cx.lang.fill("Saved {file}", &[("file", &shown)]));
            }
            Err(err) => cx.fail(&err),
        }
    }
}

/// Bars labelled `label` with `value`, the value drawn as `text`.
fn bar(label: String, value: u64, text: String) -> Bar<'static> {
    Bar::new(value).label(Line::from(label)).text_value(text)
}

/// A vertical bar chart fitted to `area`: bars as wide as the room allows.
fn bar_chart(frame: &mut Frame, area: Rect, bars: Vec<Bar<'static>>, rx: &RenderCx) {
    if bars.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("Nothing in this period."),
                rx.theme.muted,
            )),
            area,
        );
        return;
    }
    let count = u16::try_from(bars.len()).unwrap_or(u16::MAX).max(1);
    let width = (area.width.saturating_sub(count) / count).clamp(1, 12);
    let chart = BarChart::default()
        .data(BarGroup::default().bars(&bars))
        .bar_width(width)
        .bar_gap(1)
        .bar_style(rx.theme.accent)
        .value_style(rx.theme.title.add_modifier(Modifier::REVERSED))
        .label_style(rx.theme.muted);
    frame.render_widget(chart, area);
}

/// A horizontal bar chart: one row per bar, for long labels.
fn row_chart(frame: &mut Frame, area: Rect, bars: Vec<Bar<'static>>, rx: &RenderCx) {
    if bars.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("Nothing in this period."),
                rx.theme.muted,
            )),
            area,
        );
        return;
    }
    let chart = BarChart::default()
        .direction(Direction::Horizontal)
        .data(BarGroup::default().bars(&bars))
        .bar_width(1)
        .bar_gap(0)
        .bar_style(rx.theme.accent)
        .value_style(rx.theme.title)
        .label_style(rx.theme.muted);
    frame.render_widget(chart, area);
}

fn amount(minor: i64) -> u64 {
    u64::try_from(minor.max(0)).unwrap_or(0)
}

impl ReportsView {
    fn render_chart(&self, frame: &mut Frame, area: Rect, report: &RangeReport, rx: &RenderCx) {
        let totals = &report.figures.totals;
        let money = |minor: i64| Money::from_minor(minor).format_amount(&report.currency);
        let tr_word =
            |text: &str| word(text).map_or_else(|| text.to_owned(), |w| rx.tr(w).to_owned());
        match self.name() {
            ReportName::Takings => {
                let [chart, summary] =
                    Layout::vertical([Constraint::Min(4), Constraint::Length(2)]).areas(area);
                let bars = totals
                    .methods
                    .iter()
                    .filter_map(|m| {
                        m.method.map(|method| {
                            bar(tr_word(method.as_str()), amount(m.amount), money(m.amount))
                        })
                    })
                    .collect();
                bar_chart(frame, chart, bars, rx);
                let net = totals.takings.saturating_sub(totals.refunds.amount);
                frame.render_widget(
                    Paragraph::new(vec![Line::from(format!(
                        "{} {}   {} {}   {} {}",
                        rx.tr("Taken"),
                        money(totals.takings),
                        rx.tr("Refunds"),
                        money(totals.refunds.amount),
                        rx.tr("Net"),
                        money(net),
                    ))]),
                    summary,
                );
            }
            ReportName::Visits => {
                let [chart, summary] =
                    Layout::vertical([Constraint::Min(3), Constraint::Length(2)]).areas(area);
                let days = &report.figures.per_day;
                if days.len() * 4 <= usize::from(chart.width) {
                    let bars = days
                        .iter()
                        .map(|(date, visits, _)| {
                            bar(
                                date.format("%d").to_string(),
                                u64::from(*visits),
                                visits.to_string(),
                            )
                        })
                        .collect();
                    bar_chart(frame, chart, bars, rx);
                } else {
                    let data: Vec<u64> = days.iter().map(|(_, v, _)| u64::from(*v)).collect();
                    frame.render_widget(
                        Sparkline::default().data(&data).style(rx.theme.accent),
                        chart,
                    );
                }
                let busiest = days.iter().max_by_key(|(_, v, _)| *v);
                let mut text = rx.lang.fill(
                    "{n} visits in {d} days",
                    &[
                        ("n", &totals.visits.to_string()),
                        ("d", &days.len().to_string()),
                    ],
                );
                if let Some((date, visits, _)) = busiest.filter(|(_, v, _)| *v > 0) {
                    text.push_str("   ");
                    text.push_str(&rx.lang.fill(
                        "busiest {date} ({n})",
                        &[
                            ("date", &date.format("%Y-%m-%d").to_string()),
                            ("n", &visits.to_string()),
                        ],
                    ));
                }
                frame.render_widget(Paragraph::new(text), summary);
            }
            ReportName::Hours => {
                let [chart, grid] =
                    Layout::vertical([Constraint::Percentage(50), Constraint::Min(8)]).areas(area);
                let mut by_hour = [0u64; 24];
                for day in &report.figures.hour_of_week {
                    for (slot, count) in by_hour.iter_mut().zip(day.iter()) {
                        *slot += u64::from(*count);
                    }
                }
                let first = by_hour.iter().position(|c| *c > 0).unwrap_or(8).min(8);
                let last = by_hour.iter().rposition(|c| *c > 0).unwrap_or(20).max(20);
                let bars = (first..=last)
                    .map(|h| bar(format!("{h:02}"), by_hour[h], by_hour[h].to_string()))
                    .collect();
                bar_chart(frame, chart, bars, rx);
                frame.render_widget(Paragraph::new(heat_lines(report, first, last, rx)), grid);
            }
            ReportName::Bays => {
                let bars = report
                    .bays
                    .iter()
                    .map(|b| {
                        let share = crate::domain::reports::per_mille(
                            i64::from(b.minutes),
                            i64::from(b.open_minutes),
                        );
                        bar(
                            truncate(&safe(&b.name), 12).into_owned(),
                            amount(share),
                            percent_text(Some(share)),
                        )
                    })
                    .collect();
                bar_chart(frame, area, bars, rx);
            }
            ReportName::Services => {
                let bars = report
                    .services
                    .iter()
                    .take(usize::from(area.height))
                    .map(|s| {
                        bar(
                            truncate(&safe(&s.name), 18).into_owned(),
                            u64::from(s.quantity),
                            s.quantity.to_string(),
                        )
                    })
                    .collect();
                row_chart(frame, area, bars, rx);
            }
            ReportName::Members => {
                let walk = totals
                    .visits
                    .saturating_sub(totals.new_members)
                    .saturating_sub(totals.returning_members);
                let bars = [
                    ("new", totals.new_members),
                    ("returning", totals.returning_members),
                    ("walk-in", walk),
                ]
                .iter()
                .map(|(w, n)| bar(tr_word(w), u64::from(*n), n.to_string()))
                .collect();
                bar_chart(frame, area, bars, rx);
            }
            ReportName::Frequency => match &report.members {
                Some(members) => {
                    let bars = FREQUENCY_BUCKETS
                        .iter()
                        .zip(members.frequency.iter())
                        .map(|(bucket, n)| {
                            bar(
                                crate::domain::reports::bucket_label(*bucket),
                                *n,
                                n.to_string(),
                            )
                        })
                        .collect();
                    let [note, chart] =
                        Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
                    frame.render_widget(
                        Paragraph::new(Span::styled(
                            rx.tr("Members by visits made in all, today."),
                            rx.theme.muted,
                        )),
                        note,
                    );
                    bar_chart(frame, chart, bars, rx);
                }
                None => only_managers(frame, area, rx),
            },
            ReportName::Vehicles => {
                let bars = totals
                    .vehicles
                    .iter()
                    .map(|(kind, n)| bar(tr_word(kind.as_str()), u64::from(*n), n.to_string()))
                    .collect();
                bar_chart(frame, area, bars, rx);
            }
            ReportName::Sales => {
                let bars = [
                    ("plan sold", totals.plans_sold),
                    ("plan renewed", totals.plans_renewed),
                    ("package sold", totals.packages_sold),
                ]
                .iter()
                .map(|(w, c)| bar(tr_word(w), u64::from(c.count), c.count.to_string()))
                .collect();
                bar_chart(frame, area, bars, rx);
            }
            ReportName::Points | ReportName::Comparison => {
                self.render_numbers(frame, area, report, rx)
            }
        }
    }

    fn render_numbers(&self, frame: &mut Frame, area: Rect, report: &RangeReport, rx: &RenderCx) {
        if self.name() == ReportName::Frequency && report.members.is_none() {
            return only_managers(frame, area, rx);
        }
        let table = report_table(report, self.name());
        let columns = table.headers.len();
        let mut cells: Vec<usize> = table.headers.iter().map(|h| width(rx.tr(h))).collect();
        let shown: Vec<Vec<String>> = table
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .map(|(i, cell)| {
                        if table.word_columns.contains(&i) {
                            word(cell)
                                .map_or_else(|| safe(cell).into_owned(), |w| rx.tr(w).to_owned())
                        } else {
                            safe(cell).into_owned()
                        }
                    })
                    .collect()
            })
            .collect();
        for row in &shown {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = cells.get_mut(i) {
                    *w = (*w).max(width(cell));
                }
            }
        }
        // The hours table is wide: its columns shrink to fit.
        let room = usize::from(area.width);
        let total: usize = cells.iter().sum::<usize>() + columns;
        if total > room && columns > 1 {
            let each = (room.saturating_sub(cells[0] + 1) / (columns - 1)).max(2);
            for w in cells.iter_mut().skip(1) {
                *w = (*w).min(each.saturating_sub(1)).max(1);
            }
        }
        let line = |texts: Vec<String>| {
            texts
                .iter()
                .zip(cells.iter())
                .map(|(text, w)| pad(&truncate(text, *w), *w))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut lines = vec![Line::from(Span::styled(
            line(table.headers.iter().map(|h| rx.tr(h).to_owned()).collect()),
            rx.theme.header,
        ))];
        lines.extend(
            shown
                .into_iter()
                .skip(usize::from(self.scroll))
                .map(|row| Line::from(line(row))),
        );
        frame.render_widget(Paragraph::new(lines), area);
    }
}

fn only_managers(frame: &mut Frame, area: Rect, rx: &RenderCx) {
    frame.render_widget(
        Paragraph::new(Span::styled(
            rx.tr("Only a manager sees figures about all members."),
            rx.theme.muted,
        )),
        area,
    );
}

/// Visits by weekday and hour as shades, darkest the busiest.
fn heat_lines(
    report: &RangeReport,
    first: usize,
    last: usize,
    rx: &RenderCx,
) -> Vec<Line<'static>> {
    const SHADES: [&str; 5] = [" ", "░", "▒", "▓", "█"];
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let most = report
        .figures
        .hour_of_week
        .iter()
        .flat_map(|d| d.iter())
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    DAYS.iter()
        .zip(report.figures.hour_of_week.iter())
        .map(|(day, hours)| {
            let mut spans = vec![Span::styled(pad(rx.tr(day), 5), rx.theme.muted)];
            let cells: String = (first..=last)
                .map(|h| {
                    let shade = if hours[h] == 0 {
                        0
                    } else {
                        1 + (hours[h] * 3 / most) as usize
                    };
                    SHADES[shade.min(4)].repeat(2)
                })
                .collect();
            spans.push(Span::styled(cells, rx.theme.accent));
            Line::from(spans)
        })
        .collect()
}

impl View for ReportsView {
    fn title(&self) -> &'static str {
        "Reports"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Reports]
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.load(cx);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        let Some(period) = self.period else {
            return Handled::No;
        };
        let today = Self::today(cx);
        match action {
            Action::PrevDay => self.move_to(period.previous(), cx),
            Action::NextDay => self.move_to(period.next(), cx),
            Action::ThisDay => {
                let kind = match period.kind {
                    PeriodKind::Custom => PeriodKind::Day,
                    kind => kind,
                };
                self.move_to(Period::of_kind(kind, today), cx)
            }
            Action::ReportDay => self.move_to(Some(Period::day(period.last.min(today))), cx),
            Action::ReportWeek => self.move_to(Period::week(period.last.min(today)), cx),
            Action::ReportMonth => self.move_to(Period::month(period.last.min(today)), cx),
            Action::ReportRange => cx.prompt(
                Prompt::confirm(
                    CUSTOM_RANGE,
                    "Report on any range of days",
                    cx.tr("Type the first and last day, e.g. 2026-01-01 2026-03-31.")
                        .to_owned(),
                )
                .with_text("From and to"),
            ),
            Action::NextTab => {
                self.section = (self.section + 1) % ReportName::ALL.len();
                self.scroll = 0;
            }
            Action::PrevTab => {
                self.section = (self.section + ReportName::ALL.len() - 1) % ReportName::ALL.len();
                self.scroll = 0;
            }
            Action::ToggleChart => self.numbers = !self.numbers,
            Action::ExportReport => self.export(cx),
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Down => self.scroll = self.scroll.saturating_add(1).min(400),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn on_prompt(&mut self, tag: &'static str, answer: PromptAnswer, cx: &mut Cx) {
        if tag != CUSTOM_RANGE {
            return;
        }
        match parse_range(&answer.reason).map(|(first, last)| Period::custom(first, last)) {
            Some(Ok(period)) => self.move_to(Some(period), cx),
            Some(Err(err)) => cx.notice(safe(&err.to_string()).into_owned()),
            None => cx.notice(cx.tr("Type two dates like 2026-01-01 2026-03-31.")),
        }
    }

    fn on_task(&mut self, output: ViewTaskOutput, cx: &mut Cx) {
        let Ok(added) = output.downcast::<ReportAddedUp>() else {
            return;
        };
        if Some(added.asked) != self.period {
            return;
        }
        self.loading = false;
        match added.report {
            Ok(report) => self.report = Some(report),
            Err(err) => cx.fail(&err),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Reports")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [head, tabs, body, footer] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(inner);
        let shown_period = self.report.as_ref().map(|r| r.period).or(self.period);
        let mut first = Vec::new();
        if let Some(period) = shown_period {
            first.push(Span::styled(
                format!("{} {}", rx.tr(kind_word(period.kind)), period_text(&period)),
                rx.theme.accent.add_modifier(Modifier::BOLD),
            ));
        }
        if self.loading {
            first.push(Span::styled(
                format!(
                    "  {} {}%",
                    rx.tr("Adding up the report…"),
                    self.progress.load(Ordering::Relaxed)
                ),
                rx.theme.muted,
            ));
        }
        let scope = match self.report.as_ref().and_then(|r| r.only_staff.as_deref()) {
            Some(user) => rx.lang.fill(
                "Your own takings of today only ({user}).",
                &[("user", &safe(user))],
            ),
            None => rx.tr("The whole shop.").to_owned(),
        };
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(first),
                Line::from(Span::styled(scope, rx.theme.muted)),
            ]),
            head,
        );
        // The section names, the current one marked; the row scrolls to keep it in view.
        let mut spans = Vec::new();
        let mut used = 0usize;
        let room = usize::from(tabs.width);
        let current = self.name();
        let start = if room < 120 {
            self.section.saturating_sub(1)
        } else {
            0
        };
        for name in ReportName::ALL.iter().skip(start) {
            let text = format!(" {} ", rx.tr(section_title(*name)));
            let cells = width(&text);
            if used + cells > room {
                break;
            }
            used += cells + 1;
            let style = if *name == current {
                rx.theme.selection
            } else {
                rx.theme.muted
            };
            spans.push(Span::styled(text, style));
            spans.push(Span::raw(" "));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), tabs);
        match &self.report {
            Some(report) if self.numbers => self.render_numbers(frame, body, report, rx),
            Some(report) => self.render_chart(frame, body, report, rx),
            None => frame.render_widget(
                Paragraph::new(Span::styled(rx.tr("Adding up the report…"), rx.theme.muted)),
                body,
            ),
        }
        let hints = footer_hints(
            rx,
            &[KeyContext::Reports],
            &[
                (Action::NextTab, "next"),
                (Action::PrevDay, "previous"),
                (Action::NextDay, "next period"),
                (Action::ReportWeek, "week"),
                (Action::ReportMonth, "month"),
                (Action::ReportRange, "range"),
                (Action::ToggleChart, "chart/numbers"),
                (Action::ExportReport, "CSV"),
            ],
        );
        frame.render_widget(Paragraph::new(Line::from(hints)), footer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_range_reads_two_dates_or_one() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).unwrap();
        assert_eq!(
            parse_range("2026-01-01 2026-01-31"),
            Some((day(1), day(31)))
        );
        assert_eq!(
            parse_range("2026-01-01 to 2026-01-05"),
            Some((day(1), day(5)))
        );
        assert_eq!(parse_range("2026-01-03"), Some((day(3), day(3))));
        assert_eq!(parse_range("yesterday"), None);
    }
}
