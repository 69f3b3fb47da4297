//! `frontdesk receipt NUMBER [--print]`: any receipt again, on standard output, marked as a
//! reprint; with `--print`, also through the shop's print command (or saved as a file).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::staff_login::StaffLoginArgs;
use super::{CliError, Runtime, tui};
use crate::service::{PrintOutcome, Service};

#[derive(Debug, Args)]
pub struct ReceiptArgs {
    /// The receipt number, as printed at the top right of the receipt.
    #[arg(value_name = "NUMBER")]
    number: u64,
    /// Also print it through the shop's print command (Settings), or save it as a text file
    /// under the data directory's receipts/ folder when no command is set.
    #[arg(long)]
    print: bool,
    #[command(flatten)]
    login: StaffLoginArgs,
}

/// A line for the person at the terminal, on standard error, so standard output holds only
/// the receipt. Nothing more can be done if standard error is closed.
fn tell(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

pub fn run(data: &Path, runtime: &Runtime, args: ReceiptArgs) -> Result<ExitCode, CliError> {
    let typed = args.login.ask()?;
    let store = tui::open_store_for_command(data)?;
    let service = runtime.service(store)?;
    let session = service.login(typed.request("receipt"))?;
    let result = show_and_print(&service, &session, args.number, args.print);
    service.logout(&session)?;
    result
}

fn show_and_print(
    service: &Service,
    session: &crate::service::Session,
    number: u64,
    print: bool,
) -> Result<ExitCode, CliError> {
    let receipt = service.receipt(session, number)?;
    super::write_stdout(&receipt.text).map_err(|err| {
        CliError::new(format!(
            "could not write the receipt to standard output ({err}); run the command again with its output going to a terminal or a file"
        ))
    })?;
    if !print {
        return Ok(ExitCode::SUCCESS);
    }
    match service.print_receipt(session, number)? {
        PrintOutcome::Printed { number, program } => {
            tell(&format!(
                "Receipt {number} sent to the printer ({program})."
            ));
            Ok(ExitCode::SUCCESS)
        }
        PrintOutcome::Saved { number, path } => {
            tell(&format!(
                "No print command is set, so receipt {number} was saved as {}.",
                path.display()
            ));
            Ok(ExitCode::SUCCESS)
        }
        PrintOutcome::Failed { number, error } => Err(CliError::new(format!(
            "receipt {number} was not printed: {error}"
        ))),
    }
}
