//! `frontdesk retention [--apply]`: the members with no visit or booking for longer than the
//! shop's retention period (default 36 months), listed (a dry run, changing nothing); with
//! `--apply`, after typing `yes` (or `--yes`), anonymised exactly like an erasure. Members
//! who hold an active plan, a package with washes left or positive points are listed apart
//! and never anonymised by a run. A manager only; the login's fresh code is the step-up.

use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use clap::Args;

use super::staff_login::StaffLoginArgs;
use super::{CliError, Runtime, prompt, tui};
use crate::domain::retention::KeepReason;
use crate::service::{RetentionCandidate, RetentionReport, Service, Session};

const AFTER_HELP: &str = "\
Without --apply nothing changes: the command lists the members past the period (number and \
last activity only) and, apart, those kept because they hold an active plan, a package with \
washes left or a positive points balance. With --apply you are asked to type yes (or pass \
--yes in scripts); each listed member is then anonymised like `frontdesk erase`: personal \
data destroyed, the number kept, visits and points kept for the accounts. The period is a \
shop setting (Settings in the app, default 36 months).";

#[derive(Debug, Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct RetentionArgs {
    /// Anonymise the members listed as due (after confirmation).
    #[arg(long)]
    apply: bool,
    /// With --apply: do not ask for confirmation (for scripts).
    #[arg(long, requires = "apply")]
    yes: bool,
    #[command(flatten)]
    login: StaffLoginArgs,
}

pub fn run(data: &Path, runtime: &Runtime, args: RetentionArgs) -> Result<ExitCode, CliError> {
    let typed = args.login.ask()?;
    let store = tui::open_store_for_command(data)?;
    let service = runtime.service(store)?;
    let session = service.login(typed.request("retention"))?;
    let result = retention(&service, &session, args.apply, args.yes);
    service.logout(&session)?;
    let (mut text, anonymised) = result?;
    if anonymised > 0 {
        let compacted = match service.into_store() {
            Some(mut store) => store.compact_if_due()?,
            None => false,
        };
        text.push_str(if compacted {
            "The store file was compacted: none of their encrypted data is left in it.\n"
        } else {
            "The store file is shared with frontdesk serve: it is compacted when the server next starts.\n"
        });
    }
    // Done; a closed output only loses this list.
    let _ = super::write_stdout(&text);
    Ok(ExitCode::SUCCESS)
}

fn retention(
    service: &Service,
    session: &Session,
    apply: bool,
    yes: bool,
) -> Result<(String, usize), CliError> {
    let tz: Tz = service.settings()?.timezone.parse().unwrap_or(Tz::UTC);
    let report = service.retention_report(session)?;
    let mut text = describe(&report, tz);
    if !apply {
        if !report.due.is_empty() {
            text.push_str(
                "Nothing was changed. To anonymise the members due: frontdesk retention --apply\n",
            );
        }
        return Ok((text, 0));
    }
    if report.due.is_empty() {
        text.push_str("Nothing to anonymise.\n");
        return Ok((text, 0));
    }
    if !yes {
        let _ = super::write_stdout(&text);
        text.clear();
        let answer = prompt::visible(&format!(
            "Anonymise these {} members for good? Their personal data is destroyed and cannot be restored. Type yes to go on: ",
            report.due.len()
        ))?;
        if answer != "yes" {
            return Err(CliError::new(
                "nothing was anonymised: the answer was not yes",
            ));
        }
    }
    let outcome = service.apply_retention(session)?;
    text.push_str(&format!(
        "Anonymised {} members (numbers kept, shown as anonymised; visits and points kept for the accounts).\n",
        outcome.anonymised.len()
    ));
    Ok((text, outcome.anonymised.len()))
}

fn local_date(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d").to_string()
}

fn reasons(candidate: &RetentionCandidate) -> String {
    candidate
        .kept_because
        .iter()
        .map(|reason| match reason {
            KeepReason::ActivePlan => "active plan".to_owned(),
            KeepReason::PackageWithWashes => "package with washes left".to_owned(),
            KeepReason::PointsBalance(points) => format!("{points} points"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The dry run's list: numbers and dates only.
pub fn describe(report: &RetentionReport, tz: Tz) -> String {
    let mut text = format!(
        "Retention period: {} months (no visit or booking since {}).\n",
        report.months,
        local_date(report.cutoff, tz)
    );
    if report.due.is_empty() {
        text.push_str("No member is due for anonymisation.\n");
    } else {
        text.push_str(&format!("Due for anonymisation ({}):\n", report.due.len()));
        for candidate in &report.due {
            text.push_str(&format!(
                "  #{}  last activity {}\n",
                candidate.member_number,
                local_date(candidate.last_activity, tz)
            ));
        }
    }
    if !report.kept.is_empty() {
        text.push_str(&format!(
            "Kept, not anonymised, because they still hold something of value ({}):\n",
            report.kept.len()
        ));
        for candidate in &report.kept {
            text.push_str(&format!(
                "  #{}  last activity {}  ({})\n",
                candidate.member_number,
                local_date(candidate.last_activity, tz),
                reasons(candidate)
            ));
        }
    }
    text
}
