//! The audit log (manager only): newest first, older pages loaded as the selection reaches the
//! end, a filter form on `/`, the selected entry in full under the table, and `v` to check the
//! hash chain in the background.

use chrono::{NaiveDate, TimeZone};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use crate::audit::Outcome;
use crate::service::{AuditEntryView, AuditFilter, AuditVerification, ServiceError};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::tasks::Task;
use crate::ui::text::{safe, truncate};
use crate::ui::view::{Cx, Handled, RenderCx, View, ViewTaskOutput};
use crate::ui::widgets::form::{Form, FormEvent};
use crate::ui::widgets::hints::footer_hints;
use crate::ui::widgets::input::TextInput;
use crate::ui::widgets::table::RowCursor;

/// Entries fetched per page; a screenful or two.
const PAGE: usize = 100;

const OUTCOMES: [Option<Outcome>; 4] = [
    None,
    Some(Outcome::Ok),
    Some(Outcome::Denied),
    Some(Outcome::Failed),
];

/// What the background chain check hands back.
pub struct ChainChecked(pub Result<AuditVerification, ServiceError>);

/// The chain check's state, for the line above the table.
pub enum ChainState {
    NotChecked,
    Checking,
    Done(AuditVerification),
}

pub struct AuditView {
    entries: Vec<AuditEntryView>,
    next_before: Option<u64>,
    cursor: RowCursor,
    filter: AuditFilter,
    /// The filter form while it is open.
    filtering: Option<Form>,
    chain: ChainState,
    /// Showing only the entries behind this alert (opened from the alert list).
    alert: Option<u64>,
}

impl Default for AuditView {
    fn default() -> Self {
        Self::new()
    }
}

/// Starts the chain check on a worker: on a big store it reads every entry.
pub fn start_chain_check(cx: &mut Cx) {
    let service = cx.service.clone();
    let session = cx.session.clone();
    cx.run(Task::ForView {
        label: "Checking the audit chain…",
        work: Box::new(move || {
            Box::new(ChainChecked(service.verify_audit_chain(&session))) as ViewTaskOutput
        }),
    });
}

/// The result line of a chain check: OK with the checkpoint, or the problem.
pub fn chain_line(chain: &ChainState, rx: &RenderCx) -> Option<Line<'static>> {
    match chain {
        ChainState::NotChecked => None,
        ChainState::Checking => Some(Line::from(Span::styled(
            rx.tr("Checking the audit chain…"),
            rx.theme.muted,
        ))),
        ChainState::Done(result) => Some(match &result.problem {
            None => Line::from(vec![
                Span::styled(
                    rx.lang.fill(
                        "Chain OK: {n} entries intact. Checkpoint ",
                        &[("n", &result.entries.to_string())],
                    ),
                    rx.theme.ok,
                ),
                Span::styled(safe(&result.checkpoint).into_owned(), rx.theme.accent),
            ]),
            Some(problem) => Line::from(vec![
                Span::styled(rx.tr("CHAIN BROKEN: "), rx.theme.error),
                Span::styled(safe(problem).into_owned(), rx.theme.error),
            ]),
        }),
    }
}

/// The end of a record id, enough to tell entries apart in a narrow column.
fn short_object(objects: &[String]) -> String {
    match objects {
        [] => String::new(),
        [one] => tail(one, 6),
        [first, rest @ ..] => format!("{}+{}", tail(first, 6), rest.len()),
    }
}

fn tail(text: &str, chars: usize) -> String {
    let count = text.chars().count();
    if count <= chars {
        return text.to_owned();
    }
    let kept: String = text.chars().skip(count - chars).collect();
    format!("…{kept}")
}

impl AuditView {
    pub fn new() -> Self {
        Self {
            entries: Vec::new(),
            next_before: None,
            cursor: RowCursor::new(0),
            filter: AuditFilter::default(),
            filtering: None,
            chain: ChainState::NotChecked,
            alert: None,
        }
    }

    /// The audit entries an alert links to, oldest first; no paging or filter.
    pub fn for_alert(number: u64) -> Self {
        Self {
            alert: Some(number),
            ..Self::new()
        }
    }

    /// The newest page for the current filter.
    fn load(&mut self, cx: &mut Cx) {
        if let Some(number) = self.alert {
            match cx.service.alert_entries(cx.session, number) {
                Ok(entries) => {
                    self.entries = entries;
                    self.next_before = None;
                    self.cursor.set_len(self.entries.len());
                }
                Err(err) => cx.fail(&err),
            }
            return;
        }
        let filter = AuditFilter {
            before_seq: None,
            limit: PAGE,
            ..self.filter.clone()
        };
        match cx.service.audit_log(cx.session, &filter) {
            Ok(page) => {
                self.entries = page.entries;
                self.next_before = page.next_before;
                self.cursor.set_len(self.entries.len());
            }
            Err(err) => cx.fail(&err),
        }
    }

    /// The next older page, appended, when the selection reaches the last row.
    fn load_more_if_at_end(&mut self, cx: &mut Cx) {
        let Some(before) = self.next_before else {
            return;
        };
        if self.cursor.selected + 1 < self.entries.len() {
            return;
        }
        let filter = AuditFilter {
            before_seq: Some(before),
            limit: PAGE,
            ..self.filter.clone()
        };
        match cx.service.audit_log(cx.session, &filter) {
            Ok(page) => {
                self.entries.extend(page.entries);
                self.next_before = page.next_before;
                self.cursor.set_len(self.entries.len());
            }
            Err(err) => cx.fail(&err),
        }
    }

    fn filter_form(&self, cx: &Cx) -> Form {
        let date = |at: Option<chrono::DateTime<chrono::Utc>>| {
            at.map(|at| at.with_timezone(&cx.shop.tz).format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        let outcome = OUTCOMES
            .iter()
            .position(|o| *o == self.filter.outcome)
            .unwrap_or(0);
        Form::new()
            .text(
                "actor",
                "Who",
                TextInput::new()
                    .with_max(40)
                    .with_value(self.filter.actor.as_deref().unwrap_or_default())
                    .with_placeholder("any"),
            )
            .hint("Part of a user name.")
            .text(
                "action",
                "Action starts with",
                TextInput::new()
                    .with_max(40)
                    .with_value(self.filter.action_prefix.as_deref().unwrap_or_default())
                    .with_placeholder("any"),
            )
            .hint("e.g. member. or login.failed")
            .choice(
                "outcome",
                "Outcome",
                vec![
                    cx.tr("any").to_owned(),
                    cx.tr("ok").to_owned(),
                    cx.tr("denied").to_owned(),
                    cx.tr("failed").to_owned(),
                ],
                outcome,
            )
            .text(
                "object",
                "Record id",
                TextInput::new()
                    .with_max(40)
                    .with_value(self.filter.object.as_deref().unwrap_or_default())
                    .with_placeholder("any"),
            )
            .hint("or a member number, e.g. 100001")
            .text(
                "from",
                "From day",
                TextInput::new()
                    .with_max(10)
                    .with_value(&date(self.filter.from))
                    .with_placeholder("YYYY-MM-DD"),
            )
            .text(
                "to",
                "To day (inclusive)",
                TextInput::new()
                    .with_max(10)
                    .with_value(&date(
                        self.filter.to.map(|to| to - chrono::Duration::days(1)),
                    ))
                    .with_placeholder("YYYY-MM-DD"),
            )
    }

    /// Reads the filter form; a bad date is reported next to its field.
    fn apply_filter(&mut self, cx: &mut Cx) {
        let Some(form) = &mut self.filtering else {
            return;
        };
        form.clear_errors();
        let text = |form: &Form, key: &str| {
            let value = form.value(key).trim();
            (!value.is_empty()).then(|| value.to_owned())
        };
        let tz = cx.shop.tz;
        let day_start = |form: &mut Form, key: &'static str, next_day: bool| {
            let value = form.value(key).trim().to_owned();
            if value.is_empty() {
                return None;
            }
            match NaiveDate::parse_from_str(&value, "%Y-%m-%d") {
                Ok(day) => {
                    let day = if next_day {
                        day.succ_opt().unwrap_or(day)
                    } else {
                        day
                    };
                    let midnight = day.and_time(chrono::NaiveTime::MIN);
                    tz.from_local_datetime(&midnight)
                        .earliest()
                        .map(|at| at.with_timezone(&chrono::Utc))
                }
                Err(_) => {
                    form.set_error(key, cx.lang.tr("Enter the date as YYYY-MM-DD."));
                    None
                }
            }
        };
        let from = day_start(form, "from", false);
        let to = day_start(form, "to", true);
        if form.has_errors() {
            form.focus_first_error();
            return;
        }
        self.filter = AuditFilter {
            before_seq: None,
            limit: PAGE,
            actor: text(form, "actor"),
            action_prefix: text(form, "action"),
            outcome: OUTCOMES
                .get(form.choice_index("outcome"))
                .copied()
                .flatten(),
            object: text(form, "object"),
            from,
            to,
        };
        self.filtering = None;
        self.cursor = RowCursor::new(0);
        self.load(cx);
    }

    fn filter_summary(&self, rx: &RenderCx) -> String {
        let mut parts = Vec::new();
        if let Some(actor) = &self.filter.actor {
            parts.push(format!("{} {}", rx.tr("who:"), safe(actor)));
        }
        if let Some(action) = &self.filter.action_prefix {
            parts.push(format!("{} {}*", rx.tr("action:"), safe(action)));
        }
        if let Some(outcome) = self.filter.outcome {
            parts.push(format!("{} {}", rx.tr("outcome:"), rx.tr(outcome.as_str())));
        }
        if let Some(object) = &self.filter.object {
            parts.push(format!("{} {}", rx.tr("record:"), safe(object)));
        }
        if let Some(from) = self.filter.from {
            parts.push(format!("{} {}", rx.tr("from:"), rx.date_time(from)));
        }
        if let Some(to) = self.filter.to {
            parts.push(format!("{} {}", rx.tr("before:"), rx.date_time(to)));
        }
        parts.join("  ")
    }

    fn render_filter(&self, form: &Form, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Filter the audit log")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [form_area, footer] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
        form.render(frame, form_area, rx, true);
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("Enter: apply   Empty fields match everything   Esc: close"),
                rx.theme.muted,
            )),
            footer,
        );
    }

    fn detail_lines(&self, entry: &AuditEntryView, rx: &RenderCx) -> Vec<Line<'static>> {
        let mut first = vec![
            Span::styled(format!("#{} ", entry.seq), rx.theme.accent),
            Span::raw(format!(
                "{} · {} · {} · {} · {}",
                rx.date_time(entry.at),
                shown_actor(&entry.actor, rx),
                shown_origin(&entry.origin, rx),
                safe(&entry.action),
                rx.tr_outcome(&entry.outcome),
            )),
        ];
        if let Some(detail) = &entry.detail {
            first.push(Span::styled(format!(" · {}", safe(detail)), rx.theme.muted));
        }
        let mut lines = vec![Line::from(first)];
        if !entry.objects.is_empty() || !entry.fields.is_empty() {
            let mut second = Vec::new();
            if !entry.objects.is_empty() {
                second.push(Span::styled(
                    format!("{} ", rx.tr("records:")),
                    rx.theme.muted,
                ));
                second.push(Span::raw(format!("{}  ", safe(&entry.objects.join(", ")))));
            }
            if !entry.fields.is_empty() {
                second.push(Span::styled(
                    format!("{} ", rx.tr("fields:")),
                    rx.theme.muted,
                ));
                second.push(Span::raw(safe(&entry.fields.join(", ")).into_owned()));
            }
            lines.push(Line::from(second));
        }
        lines
    }
}

/// Outcome words, translated (the service gives the stored code).
trait OutcomeWord {
    fn tr_outcome(&self, outcome: &str) -> String;
}

impl OutcomeWord for RenderCx<'_> {
    fn tr_outcome(&self, outcome: &str) -> String {
        match outcome {
            "ok" => self.tr("ok").to_owned(),
            "denied" => self.tr("denied").to_owned(),
            "failed" => self.tr("failed").to_owned(),
            "unreadable" => self.tr("unreadable").to_owned(),
            other => safe(other).into_owned(),
        }
    }
}

impl View for AuditView {
    fn title(&self) -> &'static str {
        "Audit log"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        if self.filtering.is_some() {
            &[KeyContext::Form]
        } else {
            &[KeyContext::Audit, KeyContext::List]
        }
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        self.filtering.as_mut().and_then(Form::focused_input)
    }

    fn refresh(&mut self, cx: &mut Cx) {
        if self.filtering.is_none() {
            self.load(cx);
        }
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        if let Some(form) = &mut self.filtering {
            if action == Action::Back {
                self.filtering = None;
                return Handled::Yes;
            }
            return match form.on_action(action) {
                FormEvent::Changed => Handled::Yes,
                FormEvent::Ignored => Handled::No,
                FormEvent::Submit => {
                    self.apply_filter(cx);
                    Handled::Yes
                }
            };
        }
        if self.cursor.on_action(action, 10) {
            self.load_more_if_at_end(cx);
            return Handled::Yes;
        }
        match action {
            Action::Filter if self.alert.is_some() => {}
            Action::Filter => self.filtering = Some(self.filter_form(cx)),
            Action::VerifyChain => {
                if matches!(self.chain, ChainState::Checking) {
                    return Handled::Yes;
                }
                self.chain = ChainState::Checking;
                start_chain_check(cx);
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn on_task(&mut self, output: ViewTaskOutput, cx: &mut Cx) {
        if let Ok(checked) = output.downcast::<ChainChecked>() {
            match checked.0 {
                Ok(result) => self.chain = ChainState::Done(result),
                Err(err) => {
                    self.chain = ChainState::NotChecked;
                    cx.fail(&err);
                }
            }
            // The check wrote its own entry; show it.
            self.load(cx);
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let title = match self.alert {
            Some(number) => rx.lang.fill(
                "Audit entries behind alert {number}",
                &[("number", &number.to_string())],
            ),
            None => rx.tr("Audit log").to_owned(),
        };
        let block = Block::bordered()
            .title(Span::styled(format!(" {title} "), rx.theme.title))
            .border_style(rx.theme.border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let chain = chain_line(&self.chain, rx);
        let summary = self.filter_summary(rx);
        let [status_area, table_area, detail_area, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(2),
            Constraint::Length(1),
        ])
        .areas(inner);
        let status = match (chain, summary.is_empty()) {
            (Some(line), _) => line,
            (None, false) => Line::from(vec![
                Span::styled(format!("{} ", rx.tr("Filter:")), rx.theme.warning),
                Span::raw(summary),
            ]),
            (None, true) if self.alert.is_some() => Line::from(Span::styled(
                rx.tr("The entries that raised the alert, oldest first."),
                rx.theme.muted,
            )),
            (None, true) => Line::from(Span::styled(
                rx.tr("All entries, newest first."),
                rx.theme.muted,
            )),
        };
        frame.render_widget(Paragraph::new(status), status_area);
        let wide = inner.width >= 120;
        // Below 96 cells the origin column gives way to the action, which matters more.
        let with_origin = inner.width >= 96;
        let mut headings = vec![
            "#", "Time", "Who", "From", "Action", "Outcome", "Records", "Fields",
        ];
        if !with_origin {
            headings.remove(3);
        }
        let header = Row::new(headings.iter().map(|h| Cell::from(rx.tr(h)))).style(rx.theme.header);
        let rows = self.entries.iter().map(|entry| {
            let local = rx.date_time(entry.at);
            let time = if wide {
                local
            } else {
                local.chars().skip(5).collect()
            };
            let outcome_style = match entry.outcome.as_str() {
                "ok" => rx.theme.ok,
                "denied" => rx.theme.warning,
                _ => rx.theme.error,
            };
            let objects = if wide {
                entry.objects.join(", ")
            } else {
                short_object(&entry.objects)
            };
            let mut cells = vec![
                Cell::from(entry.seq.to_string()),
                Cell::from(time),
                Cell::from(shown_actor(&entry.actor, rx)),
                Cell::from(shown_origin(&entry.origin, rx)),
                Cell::from(safe(&entry.action).into_owned()),
                Cell::from(Span::styled(rx.tr_outcome(&entry.outcome), outcome_style)),
                Cell::from(safe(&objects).into_owned()),
                Cell::from(safe(&entry.fields.join(",")).into_owned()),
            ];
            if !with_origin {
                cells.remove(3);
            }
            Row::new(cells)
        });
        let widths = if wide {
            vec![
                Constraint::Length(6),
                Constraint::Length(16),
                Constraint::Length(14),
                Constraint::Length(10),
                Constraint::Length(28),
                Constraint::Length(8),
                Constraint::Length(28),
                Constraint::Min(10),
            ]
        } else if with_origin {
            vec![
                Constraint::Length(5),
                Constraint::Length(11),
                Constraint::Length(9),
                Constraint::Length(6),
                Constraint::Length(26),
                Constraint::Length(7),
                Constraint::Length(9),
                Constraint::Min(4),
            ]
        } else {
            vec![
                Constraint::Length(5),
                Constraint::Length(11),
                Constraint::Length(9),
                Constraint::Length(24),
                Constraint::Length(7),
                Constraint::Length(9),
                Constraint::Min(4),
            ]
        };
        let table = Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .row_highlight_style(rx.theme.selection)
            .highlight_symbol("▶ ");
        let mut state = TableState::default().with_selected(self.cursor.selected());
        frame.render_stateful_widget(table, table_area, &mut state);
        if self.entries.is_empty() {
            let [_, below] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(table_area);
            frame.render_widget(
                Paragraph::new(Span::styled(
                    rx.tr("No entries match the filter."),
                    rx.theme.muted,
                )),
                below,
            );
        }
        if let Some(entry) = self.cursor.selected().and_then(|i| self.entries.get(i)) {
            let lines = self.detail_lines(entry, rx);
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), detail_area);
        }
        let hints: &[(Action, &'static str)] = if self.alert.is_some() {
            &[(Action::VerifyChain, "verify")]
        } else {
            &[(Action::Filter, "filter"), (Action::VerifyChain, "verify")]
        };
        let mut spans = footer_hints(rx, &[KeyContext::Audit, KeyContext::List], hints);
        let loaded = if self.next_before.is_some() {
            rx.lang.fill(
                "{n} shown; more load as you scroll",
                &[("n", &self.entries.len().to_string())],
            )
        } else {
            rx.lang
                .fill("{n} shown", &[("n", &self.entries.len().to_string())])
        };
        spans.push(Span::styled(
            truncate(&loaded, 40).into_owned(),
            rx.theme.muted,
        ));
        frame.render_widget(Paragraph::new(Line::from(spans)), footer);
        if let Some(form) = &self.filtering {
            let height = (form.height() + 3).min(area.height);
            let popup = crate::ui::overlays::centred(area, 70.min(area.width), height);
            crate::ui::widgets::surface::clear_for_dialog(frame, popup, rx);
            self.render_filter(form, frame, popup, rx);
        }
    }
}

/// The actor of an entry: a user name as recorded, the app itself in the reader's language.
fn shown_actor(actor: &str, rx: &RenderCx) -> String {
    if actor == "(system)" {
        rx.tr("(system)").to_owned()
    } else {
        safe(actor).into_owned()
    }
}

/// Where an entry came from: this terminal in the reader's language, an SSH peer as recorded.
fn shown_origin(origin: &str, rx: &RenderCx) -> String {
    if origin == "local" {
        rx.tr("local").to_owned()
    } else {
        safe(origin).into_owned()
    }
}
