//! `frontdesk import FILE.csv [--dry-run] [--encoding utf-8|gb18030]`: a shop's existing
//! customer list brought in, all or nothing. The report names every problem by the file's
//! line number; a file with any problem imports nobody, and the command says so plainly.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::staff_login::StaffLoginArgs;
use super::{CliError, Runtime, tui};
use crate::domain::member_import::MAX_FILE_BYTES;
use crate::service::{FileEncoding, ImportReport, ImportRequest};
use crate::store::{Store, StoreError};

const AFTER_HELP: &str = "\
Columns are found by their header, in any order, case-insensitive: name (required), phone, \
email, plate, vehicle type, birthday (YYYY-MM-DD), points, notes, marketing, birthday offers \
(yes/no), or their Chinese names (姓名, 手机, 邮箱, 车牌, 车型, 生日, 积分, 备注, 营销, 生日优惠). \
The file is read as UTF-8, or as GB18030 when it is not UTF-8 (Chinese Excel and WPS). \
Nothing is written unless every row is valid and no phone, email or plate is on two rows or \
already on a member. Run with --dry-run first to see the report. A manager's login is needed; \
it counts as the fresh code an import asks for.";

#[derive(Debug, Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct ImportArgs {
    /// The CSV file with the shop's customers, one per row, the column names on the first line.
    #[arg(value_name = "FILE.csv")]
    file: PathBuf,
    /// Check the file against the rules and the store's members, and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Read the file in this encoding instead of detecting it: utf-8 or gb18030.
    #[arg(long, value_name = "ENCODING")]
    encoding: Option<FileEncoding>,
    #[command(flatten)]
    login: StaffLoginArgs,
}

/// The whole file, refused before any login when it cannot be read or is too large.
fn read_file(path: &Path) -> Result<Vec<u8>, CliError> {
    let cannot = |err: std::io::Error| {
        CliError::new(format!(
            "cannot read {} ({err}); check the path and that you may read the file. Nothing was written.",
            path.display()
        ))
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    Ok(bytes)
}

fn open_store(data: &Path) -> Result<Store, CliError> {
    // On PostgreSQL every running site hears of the new members and updates its name index.
    if let Some(location) = super::store_choice::postgres() {
        return super::store_choice::open_postgres(location, data);
    }
    match Store::open(data) {
        // A running server keeps its own name index, which would not learn the new members:
        // import from its screen instead.
        Err(StoreError::InUse(_)) => Err(tui::in_use(data)),
        other => Ok(other?),
    }
}

pub fn run(data: &Path, runtime: &Runtime, args: ImportArgs) -> Result<ExitCode, CliError> {
    let bytes = read_file(&args.file)?;
    let store = open_store(data)?;
    let service = runtime.service(store)?;
    let file_name = args.file.display().to_string();
    let rows = service
        .read_member_file(&bytes, args.encoding)
        .map_err(|err| CliError::new(format!("{file_name}: {err}. Nothing was written.")))?;
    let session = service.login(args.login.ask()?.request("import"))?;
    let result = service.import_members(
        &session,
        ImportRequest {
            rows,
            dry_run: args.dry_run,
        },
    );
    service.logout(&session)?;
    let report = result.map_err(|err| CliError::new(format!("{err} Nothing was written.")))?;
    super::write_stdout(&report_text(&file_name, &report))
        .map_err(|err| CliError::new(format!("could not write the report ({err})")))?;
    outcome(&report)
}

/// The report: what was read, then every problem by line.
fn report_text(file_name: &str, report: &ImportReport) -> String {
    let mut text = format!(
        "{file_name}: {} rows read ({}, SHA-256 {})\n",
        report.rows_read, report.encoding, report.sha256_hex
    );
    for (_, line) in report.problem_lines() {
        text.push_str(&line);
        text.push('\n');
    }
    text
}

fn counts(report: &ImportReport) -> String {
    format!(
        "{} members, {} vehicles, {} consent answers and {} opening points",
        report.members, report.vehicles, report.consents, report.points_total
    )
}

/// The closing sentence and exit code.
fn outcome(report: &ImportReport) -> Result<ExitCode, CliError> {
    if !report.is_clean() {
        let problems = report.error_count();
        return Err(CliError::new(format!(
            "{problems} {} (listed above); nothing was written. Fix the file and import it again.",
            if problems == 1 { "problem" } else { "problems" }
        )));
    }
    if report.members == 0 {
        return Err(CliError::new(
            "the file has no member rows under its first line; nothing was written",
        ));
    }
    let sentence = match report.created {
        Some((first, last)) => format!(
            "Imported {} (member numbers #{first} to #{last}).\n",
            counts(report)
        ),
        None => format!(
            "Dry run: the file is clean; importing it would create {}. Nothing was written.\n",
            counts(report)
        ),
    };
    super::write_stdout(&sentence)
        .map_err(|err| CliError::new(format!("could not write the report ({err})")))?;
    Ok(ExitCode::SUCCESS)
}
