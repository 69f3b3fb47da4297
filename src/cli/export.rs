//! `frontdesk export --pseudonymised FILE.csv`: one row per member for analysis, with a keyed
//! pseudonym instead of any identifier (issue 13). A manager only; the login's fresh
//! authenticator code is the step-up the export needs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::staff_login::StaffLoginArgs;
use super::{CliError, Runtime, tui};
use crate::domain::analysis_export::{DEFAULT_MONTHS, check_months, normalize_series_name};
use crate::private_file::{self, Existing};
use crate::service::{PseudonymisedExport, PseudonymisedRequest, Service, Session};

const AFTER_HELP: &str = "\
One row per member, sorted by pseudonym: pseudonym, tier, member_since (YYYY-MM), one \
visits_YYYY_MM column per month (shop time, the current month last), spend_band over the \
same months in the shop currency's major units (0, <50, 50-199, 200-499, 500+), \
vehicle_types (kinds such as sedan;suv, never plates) and consent_marketing, \
consent_birthday_offers (yes/no). No name, phone, email, plate, birthday, notes or member \
number. Each export gets fresh pseudonyms, so two exports cannot be joined; with --series \
NAME, every export of that series gives a member the same pseudonym. A manager's login is \
needed; its authenticator code (or a recovery code) is the fresh confirmation the export \
requires. The file is created readable by you alone (0600).";

#[derive(Debug, Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct ExportArgs {
    /// Write the pseudonymised analysis export to FILE.csv.
    #[arg(long, value_name = "FILE.csv")]
    pseudonymised: PathBuf,
    /// Months of visit counts and spend, ending with the current month (1 to 60).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MONTHS)]
    months: u32,
    /// Share pseudonyms with earlier and later exports of this series (letters, digits, - or _).
    #[arg(long, value_name = "NAME")]
    series: Option<String>,
    /// Replace FILE.csv if it already exists (a symbolic link there is refused even then).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    login: StaffLoginArgs,
}

pub fn run(data: &Path, runtime: &Runtime, args: ExportArgs) -> Result<ExitCode, CliError> {
    let existing = if args.force {
        Existing::Replace
    } else {
        Existing::Refuse
    };
    // Before any prompt or login: a code spent on an export that cannot be written is wasted.
    let is_csv = args
        .pseudonymised
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if !is_csv {
        return Err(CliError::new(format!(
            "{} does not end in .csv; name the export FILE.csv",
            crate::domain::sanitize::sanitize_line(&args.pseudonymised.display().to_string())
        )));
    }
    check_months(args.months).map_err(CliError::new)?;
    let series = args
        .series
        .as_deref()
        .map(normalize_series_name)
        .transpose()
        .map_err(CliError::new)?;
    private_file::check_destination(&args.pseudonymised, existing)?;
    let typed = args.login.ask()?;
    let store = tui::open_store_for_command(data)?;
    let service = runtime.service(store)?;
    // A login proves a fresh code, so the export needs no second one.
    let session = service.login(typed.request("export"))?;
    let request = PseudonymisedRequest {
        months: args.months,
        series,
    };
    let result = export(&service, &session, &request, &args.pseudonymised, existing);
    service.logout(&session)?;
    result
}

fn export(
    service: &Service,
    session: &Session,
    request: &PseudonymisedRequest,
    out: &Path,
    existing: Existing,
) -> Result<ExitCode, CliError> {
    let written = service.export_pseudonymised(session, request, out, existing)?;
    // The file is written; a closed output only loses this line.
    let _ = super::write_stdout(&summary(&written));
    Ok(ExitCode::SUCCESS)
}

fn summary(written: &PseudonymisedExport) -> String {
    let linkable = match (&written.series, written.series_created) {
        (Some(series), true) => format!(
            "pseudonyms of the new series `{series}`: later exports with --series {series} share them"
        ),
        (Some(series), false) => {
            format!("pseudonyms of series `{series}`, shared with its other exports")
        }
        (None, _) => "fresh pseudonyms that link to no other export".to_owned(),
    };
    format!(
        "{} members over {} months written to {} ({} bytes, readable by you only), with {linkable}.\n",
        written.rows,
        written.months,
        written.path.display(),
        written.bytes
    )
}
