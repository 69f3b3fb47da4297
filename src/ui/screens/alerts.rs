//! Anomaly alerts (manager only): open ones newest first (`t` shows acknowledged ones too),
//! the selected alert in full under the table, `Enter` for the audit entries behind it, and
//! `a` to acknowledge it with a note.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use crate::domain::alerts::AlertRule;
use crate::domain::money::Money;
use crate::service::AlertView;
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::text::safe;
use crate::ui::view::{Cx, Handled, Prompt, PromptAnswer, RenderCx, View};
use crate::ui::widgets::hints::footer_hints;
use crate::ui::widgets::table::RowCursor;

use super::audit::AuditView;

const ACK_PROMPT: &str = "alerts.acknowledge";

pub struct AlertsView {
    alerts: Vec<AlertView>,
    cursor: RowCursor,
    all: bool,
    /// The alert a note is being written for.
    acknowledging: Option<u64>,
}

impl Default for AlertsView {
    fn default() -> Self {
        Self::new()
    }
}

impl AlertsView {
    pub fn new() -> Self {
        Self {
            alerts: Vec::new(),
            cursor: RowCursor::new(0),
            all: false,
            acknowledging: None,
        }
    }

    fn load(&mut self, cx: &mut Cx) {
        match cx.service.alerts(cx.session, self.all) {
            Ok(alerts) => {
                self.alerts = alerts;
                self.cursor.set_len(self.alerts.len());
            }
            Err(err) => cx.fail(&err),
        }
    }

    fn selected(&self) -> Option<&AlertView> {
        self.cursor.selected().and_then(|i| self.alerts.get(i))
    }
}

/// The rule's title in the reader's language.
pub fn rule_title(rule: AlertRule, rx: &RenderCx) -> &'static str {
    match rule {
        AlertRule::RecordAccessBurst => rx.tr("Many records opened"),
        AlertRule::LargePointsAdjustment => rx.tr("Large points adjustment"),
        AlertRule::ShiftAdjustments => rx.tr("Voids/refunds/discounts"),
        AlertRule::OffListSale => rx.tr("Sold off the price list"),
        AlertRule::LoginOutsideHours => rx.tr("Login outside hours"),
        AlertRule::FailedLoginsForAccount => rx.tr("Repeated failed logins"),
        AlertRule::FailedLoginsFromAddress => rx.tr("Failed logins from an IP"),
        AlertRule::SshKeyMissing => rx.tr("Required SSH key missing"),
        AlertRule::BackupOverdue => rx.tr("Backup overdue"),
        AlertRule::BackupFailed => rx.tr("Backup failed"),
        AlertRule::AuditChainCheckFailed => rx.tr("Audit chain check failed"),
    }
}

/// What lies behind an alert, in one short phrase.
fn what(alert: &AlertView, rx: &RenderCx) -> String {
    let count = alert.count.to_string();
    let subject = alert.subject.as_deref().map(safe).unwrap_or_default();
    match alert.rule {
        AlertRule::RecordAccessBurst => rx.lang.fill("{n} records opened", &[("n", &count)]),
        AlertRule::LargePointsAdjustment => rx.lang.fill(
            "{points} points",
            &[("points", &alert.amount.unwrap_or_default().to_string())],
        ),
        AlertRule::ShiftAdjustments => rx.lang.fill(
            "{n} in one shift, {amount}",
            &[
                ("n", &count),
                (
                    "amount",
                    &rx.money(Money::from_minor(alert.amount.unwrap_or_default())),
                ),
            ],
        ),
        AlertRule::OffListSale => rx.tr("a plan or package at another price").to_owned(),
        AlertRule::LoginOutsideHours => rx.tr("while the shop was closed").to_owned(),
        AlertRule::FailedLoginsForAccount => rx.lang.fill(
            "{n} failed logins for {account}",
            &[("n", &count), ("account", &subject)],
        ),
        AlertRule::FailedLoginsFromAddress => rx.lang.fill(
            "{n} failed logins from {address}",
            &[("n", &count), ("address", &subject)],
        ),
        AlertRule::SshKeyMissing => rx
            .lang
            .fill("no listed key, from {address}", &[("address", &subject)]),
        AlertRule::BackupOverdue | AlertRule::BackupFailed | AlertRule::AuditChainCheckFailed => {
            subject.into_owned()
        }
    }
}

impl View for AlertsView {
    fn title(&self) -> &'static str {
        "Alerts"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Alerts, KeyContext::List]
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.load(cx);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        if self.cursor.on_action(action, 10) {
            return Handled::Yes;
        }
        match action {
            Action::Select => {
                if let Some(alert) = self.selected() {
                    cx.push(AuditView::for_alert(alert.number));
                }
            }
            Action::ShowAllAlerts => {
                self.all = !self.all;
                self.cursor = RowCursor::new(0);
                self.load(cx);
            }
            Action::AcknowledgeAlert => {
                let Some(alert) = self.selected() else {
                    return Handled::Yes;
                };
                if alert.acknowledged.is_some() {
                    cx.notice(cx.tr("That alert is already acknowledged."));
                    return Handled::Yes;
                }
                let number = alert.number.to_string();
                let message = cx.lang.fill(
                    "Alert {number}: write what you found or did. The note is kept with the alert; the acknowledgement goes in the audit log.",
                    &[("number", &number)],
                );
                self.acknowledging = Some(alert.number);
                cx.prompt(
                    Prompt::confirm(ACK_PROMPT, "Acknowledge the alert", message).with_note(),
                );
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn on_prompt(&mut self, tag: &'static str, answer: PromptAnswer, cx: &mut Cx) {
        if tag != ACK_PROMPT {
            return;
        }
        let Some(number) = self.acknowledging.take() else {
            return;
        };
        match cx
            .service
            .acknowledge_alert(cx.session, number, &answer.reason)
        {
            Ok(_) => {
                let text = cx.lang.fill(
                    "Alert {number} acknowledged.",
                    &[("number", &number.to_string())],
                );
                cx.notice(text);
                cx.changed();
                self.load(cx);
            }
            Err(err) => cx.fail(&err),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Alerts")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [status_area, table_area, detail_area, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(4),
            Constraint::Length(1),
        ])
        .areas(inner);
        let status = if self.all {
            rx.tr("All alerts, newest first.")
        } else {
            rx.tr("Open alerts, newest first.")
        };
        frame.render_widget(
            Paragraph::new(Span::styled(status, rx.theme.muted)),
            status_area,
        );
        let wide = inner.width >= 120;
        let header = Row::new(
            ["#", "Raised", "Alert", "Staff", "What"]
                .iter()
                .map(|h| Cell::from(rx.tr(h))),
        )
        .style(rx.theme.header);
        let rows = self.alerts.iter().map(|alert| {
            let raised = rx.date_time(alert.raised_at);
            let raised = if wide {
                raised
            } else {
                raised.chars().skip(5).collect()
            };
            let style = if alert.acknowledged.is_some() {
                rx.theme.muted
            } else {
                rx.theme.warning
            };
            Row::new(vec![
                Cell::from(alert.number.to_string()),
                Cell::from(raised),
                Cell::from(Span::styled(rule_title(alert.rule, rx), style)),
                Cell::from(
                    alert
                        .username
                        .as_deref()
                        .map(|name| safe(name).into_owned())
                        .unwrap_or_else(|| {
                            if alert.rule.is_system() {
                                rx.tr("(system)").to_owned()
                            } else {
                                "—".to_owned()
                            }
                        }),
                ),
                Cell::from(what(alert, rx)),
            ])
        });
        let widths = if wide {
            vec![
                Constraint::Length(6),
                Constraint::Length(16),
                Constraint::Length(34),
                Constraint::Length(16),
                Constraint::Min(20),
            ]
        } else {
            vec![
                Constraint::Length(3),
                Constraint::Length(11),
                Constraint::Length(24),
                Constraint::Length(9),
                Constraint::Min(10),
            ]
        };
        let table = Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .row_highlight_style(rx.theme.selection)
            .highlight_symbol("▶ ");
        let mut state = TableState::default().with_selected(self.cursor.selected());
        frame.render_stateful_widget(table, table_area, &mut state);
        if self.alerts.is_empty() {
            let [_, below] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(table_area);
            let empty = if self.all {
                rx.tr("No alerts yet.")
            } else {
                rx.tr("No open alerts. Nothing unusual needs checking.")
            };
            frame.render_widget(Paragraph::new(Span::styled(empty, rx.theme.ok)), below);
        }
        if let Some(alert) = self.selected() {
            let entries: Vec<String> = alert.audit_seqs.iter().map(u64::to_string).collect();
            let mut first = vec![
                Span::styled(format!("#{} ", alert.number), rx.theme.accent),
                Span::raw(format!(
                    "{} · {}",
                    rule_title(alert.rule, rx),
                    rx.date_time(alert.raised_at)
                )),
            ];
            if let Some(name) = &alert.username {
                first.push(Span::raw(format!(" · {} {}", rx.tr("staff:"), safe(name))));
            }
            let mut lines = vec![
                Line::from(first),
                Line::from(vec![
                    Span::raw(format!("{} · ", what(alert, rx))),
                    Span::styled(rx.tr("audit entries:"), rx.theme.muted),
                    Span::raw(format!(" {}", entries.join(", "))),
                ]),
            ];
            if let Some(ack) = &alert.acknowledged {
                lines.push(Line::from(vec![
                    Span::styled(
                        rx.lang.fill(
                            "Acknowledged by {who} at {when}: ",
                            &[
                                ("who", &safe(&ack.username)),
                                ("when", &rx.date_time(ack.at)),
                            ],
                        ),
                        rx.theme.muted,
                    ),
                    Span::raw(safe(&ack.note).into_owned()),
                ]));
            }
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), detail_area);
        }
        let spans = footer_hints(
            rx,
            &[KeyContext::Alerts, KeyContext::List],
            &[
                (Action::Select, "entries"),
                (Action::AcknowledgeAlert, "acknowledge"),
                (
                    Action::ShowAllAlerts,
                    if self.all { "open only" } else { "show all" },
                ),
            ],
        );
        frame.render_widget(Paragraph::new(Line::from(spans)), footer);
    }
}
