//! `frontdesk alerts [--all] [--json]`: the open anomaly alerts (or every alert) for scripts
//! and cron jobs, newest first; a manager's login. Exit status 0 whatever is listed.

use std::path::Path;
use std::process::ExitCode;

use chrono_tz::Tz;
use clap::Args;
use serde::Serialize;

use super::staff_login::StaffLoginArgs;
use super::{CliError, Runtime, tui};
use crate::domain::sanitize_line;
use crate::service::AlertView;

#[derive(Debug, Args)]
pub struct AlertsArgs {
    /// Also list acknowledged alerts, with who acknowledged them and their note.
    #[arg(long)]
    all: bool,
    /// One JSON array instead of lines of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    login: StaffLoginArgs,
}

/// One alert as scripts read it; times are UTC (RFC 3339).
#[derive(Serialize)]
struct AlertJson<'a> {
    number: u64,
    rule: &'a str,
    title: &'a str,
    raised_at: String,
    staff: Option<&'a str>,
    subject: Option<String>,
    count: u32,
    amount: Option<i64>,
    audit_entries: &'a [u64],
    acknowledged: Option<AckJson>,
}

#[derive(Serialize)]
struct AckJson {
    by: String,
    at: String,
    note: String,
}

pub fn run(data: &Path, runtime: &Runtime, args: AlertsArgs) -> Result<ExitCode, CliError> {
    let typed = args.login.ask()?;
    let store = tui::open_store_for_command(data)?;
    let service = runtime.service(store)?;
    let session = service.login(typed.request("alerts"))?;
    let listed = service.alerts(&session, args.all);
    let tz: Tz = service
        .settings()
        .ok()
        .and_then(|settings| settings.timezone.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    service.logout(&session)?;
    let alerts = listed?;
    let text = if args.json {
        let rows: Vec<AlertJson> = alerts.iter().map(json_of).collect();
        let mut text = serde_json::to_string_pretty(&rows)
            .map_err(|err| CliError::new(format!("could not write the alerts as JSON ({err})")))?;
        text.push('\n');
        text
    } else {
        text_of(&alerts, tz, args.all)
    };
    super::write_stdout(&text).map_err(|err| {
        CliError::new(format!(
            "could not write the alerts to standard output ({err}); run the command again with its output going to a terminal or a file"
        ))
    })?;
    Ok(ExitCode::SUCCESS)
}

fn json_of(alert: &AlertView) -> AlertJson<'_> {
    AlertJson {
        number: alert.number,
        rule: alert.rule.as_str(),
        title: alert.rule.title(),
        raised_at: alert.raised_at.to_rfc3339(),
        staff: alert.username.as_deref(),
        subject: alert.subject.as_deref().map(sanitize_line),
        count: alert.count,
        amount: alert.amount,
        audit_entries: &alert.audit_seqs,
        acknowledged: alert.acknowledged.as_ref().map(|ack| AckJson {
            by: ack.username.clone(),
            at: ack.at.to_rfc3339(),
            note: sanitize_line(&ack.note),
        }),
    }
}

/// One line per alert: number, local time, rule, who, what; acknowledged ones end with who
/// acknowledged them and the note.
fn text_of(alerts: &[AlertView], tz: Tz, all: bool) -> String {
    if alerts.is_empty() {
        return if all {
            "No alerts.\n".to_owned()
        } else {
            "No open alerts.\n".to_owned()
        };
    }
    let mut text = String::new();
    for alert in alerts {
        let mut line = format!(
            "#{}  {}  {}",
            alert.number,
            alert.raised_at.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
            alert.rule.as_str()
        );
        if let Some(staff) = &alert.username {
            line.push_str(&format!("  staff {}", sanitize_line(staff)));
        }
        if let Some(subject) = &alert.subject {
            line.push_str(&format!("  {}", sanitize_line(subject)));
        }
        if alert.count > 1 {
            line.push_str(&format!("  {} events", alert.count));
        }
        if let Some(amount) = alert.amount {
            line.push_str(&format!("  amount {amount}"));
        }
        let entries: Vec<String> = alert.audit_seqs.iter().map(u64::to_string).collect();
        line.push_str(&format!("  audit {}", entries.join(",")));
        if let Some(ack) = &alert.acknowledged {
            line.push_str(&format!(
                "  acknowledged by {}: {}",
                sanitize_line(&ack.username),
                sanitize_line(&ack.note)
            ));
        }
        text.push_str(&line);
        text.push('\n');
    }
    text
}
