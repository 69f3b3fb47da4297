//! `frontdesk report NAME --from DATE --to DATE [--csv FILE]`: one report over a range of
//! shop-local days, as a readable table on standard output, or written to a new CSV file
//! (private to this user; an existing file is replaced only with `--force`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Args;

use super::staff_login::StaffLoginArgs;
use super::{CliError, Runtime, tui};
use crate::private_file::Existing;
use crate::service::{Period, RangeReport, ReportName, report_table};
use crate::ui::text::{pad, width};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Which report: takings, visits, hours, bays, services, members, frequency, vehicles,
    /// sales, points or comparison (against the period of equal length before).
    #[arg(value_name = "NAME")]
    name: String,
    /// The first shop-local day, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    from: String,
    /// The last shop-local day, YYYY-MM-DD (included).
    #[arg(long, value_name = "DATE")]
    to: String,
    /// Write the report to this CSV file instead of printing it.
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Replace the CSV file if it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    login: StaffLoginArgs,
}

fn date(text: &str, flag: &str) -> Result<NaiveDate, CliError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        CliError::new(format!(
            "{flag} `{}` is not a date; write it as YYYY-MM-DD, e.g. 2026-05-01",
            crate::domain::sanitize_line(text)
        ))
    })
}

pub fn run(data: &Path, runtime: &Runtime, args: ReportArgs) -> Result<ExitCode, CliError> {
    let name = ReportName::parse(&args.name).ok_or_else(|| {
        CliError::new(format!(
            "there is no report called `{}`; use one of {}",
            crate::domain::sanitize_line(&args.name),
            ReportName::list()
        ))
    })?;
    let period = Period::custom(date(&args.from, "--from")?, date(&args.to, "--to")?)
        .map_err(|err| CliError::new(err.to_string()))?;
    let typed = args.login.ask()?;
    let store = tui::open_store_for_command(data)?;
    let service = runtime.service(store)?;
    let session = service.login(typed.request("report"))?;
    let result = (|| {
        let report = service.range_report(&session, period)?;
        match &args.csv {
            Some(path) => {
                let existing = if args.force {
                    Existing::Replace
                } else {
                    Existing::Refuse
                };
                let written = service.export_report(&session, &report, name, path, existing)?;
                super::write_stdout(&format!(
                    "Report {} for {} to {} written to {}.\n",
                    name.as_str(),
                    report.period.first,
                    report.period.last,
                    written.display()
                ))
                .map_err(stdout_error)?;
            }
            None => {
                super::write_stdout(&printed(&report, name)).map_err(stdout_error)?;
            }
        }
        Ok::<_, CliError>(ExitCode::SUCCESS)
    })();
    service.logout(&session)?;
    result
}

fn stdout_error(err: std::io::Error) -> CliError {
    CliError::new(format!(
        "could not write to standard output ({err}); run the command again with its output going to a terminal or a file"
    ))
}

/// The report as aligned columns under a title line.
fn printed(report: &RangeReport, name: ReportName) -> String {
    let table = report_table(report, name);
    let mut cells: Vec<usize> = table.headers.iter().map(|h| width(h)).collect();
    for row in &table.rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = cells.get_mut(i) {
                *w = (*w).max(width(cell));
            }
        }
    }
    let line = |texts: &[String]| {
        texts
            .iter()
            .zip(cells.iter())
            .map(|(text, w)| pad(&crate::domain::sanitize_line(text), *w))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = format!(
        "{} {} to {} ({})",
        name.as_str(),
        report.period.first,
        report.period.last,
        report.currency.code()
    );
    if let Some(user) = &report.only_staff {
        out.push_str(&format!(
            "; {} own takings of today only",
            crate::domain::sanitize_line(user)
        ));
    }
    out.push('\n');
    let headers: Vec<String> = table.headers.iter().map(|h| (*h).to_owned()).collect();
    out.push_str(&line(&headers));
    out.push('\n');
    for row in &table.rows {
        out.push_str(&line(row));
        out.push('\n');
    }
    if table.rows.is_empty() {
        out.push_str("(nothing in this period)\n");
    }
    out
}
