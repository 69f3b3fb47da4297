//! `frontdesk access --member NUMBER --out FILE`: everything the shop holds about one member,
//! for that member (SPEC section 8), as JSON (`FILE.json`) or a printable report in the
//! manager's language (`FILE.txt`). A manager only; the login's fresh authenticator code is
//! the step-up the export needs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::staff_login::StaffLoginArgs;
use super::{CliError, Runtime, tui};
use crate::private_file::{self, Existing};
use crate::service::{ExportFormat, Service, Session};

const AFTER_HELP: &str = "\
The file holds the member's personal data in full: their profile, vehicles, visits with \
receipts and refunds, plans and packages bought, points, bookings, consents, and which staff \
opened their record and when. It is created readable by you alone (0600). Hand it to the \
member and delete your copy. FILE.json is for machines (its fields are listed in the README); \
FILE.txt is a printable report in your language. A manager's login is needed; its \
authenticator code (or a recovery code) is the fresh confirmation the export requires.";

#[derive(Debug, Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct AccessArgs {
    /// The member's number, as on their card or the member screen.
    #[arg(long, value_name = "NUMBER")]
    member: u64,
    /// Where to write the data: FILE.json (machine-readable) or FILE.txt (printable report).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Replace FILE if it already exists (a symbolic link at FILE is refused even then).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    login: StaffLoginArgs,
}

pub fn run(data: &Path, runtime: &Runtime, args: AccessArgs) -> Result<ExitCode, CliError> {
    let existing = if args.force {
        Existing::Replace
    } else {
        Existing::Refuse
    };
    // Before any prompt or login: a code spent on a file that cannot be written is wasted.
    let format = ExportFormat::from_path(&args.out)?;
    private_file::check_destination(&args.out, existing)?;
    let typed = args.login.ask()?;
    let store = tui::open_store_for_command(data)?;
    let service = runtime.service(store)?;
    // A login proves a fresh code, so the export needs no second one: the same code could not
    // be used twice anyway.
    let session = service.login(typed.request("access"))?;
    let result = export(&service, &session, &args.out, args.member, format, existing);
    service.logout(&session)?;
    result
}

fn export(
    service: &Service,
    session: &Session,
    out: &Path,
    number: u64,
    format: ExportFormat,
    existing: Existing,
) -> Result<ExitCode, CliError> {
    let member = service.find_member_by_number(session, number)?;
    let written = service.export_member_data(session, member, format, out, existing)?;
    let what = match written.format {
        ExportFormat::Json => "as JSON",
        ExportFormat::Text => "as a printable report",
    };
    // The file is written; a closed output only loses this line.
    let _ = super::write_stdout(&format!(
        "Member {}'s data written {what} to {} ({} bytes, readable by you only). Hand it to the member, then delete your copy.\n",
        written.member_number,
        written.path.display(),
        written.bytes
    ));
    Ok(ExitCode::SUCCESS)
}
