//! `frontdesk receipt NUMBER [--print]`: any receipt again, on standard output, marked as a
//! reprint; with `--print`, also through the shop's print command (or saved as a file).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::{CliError, Runtime, prompt, tui};
use crate::audit::Origin;
use crate::service::{LoginRequest, PrintOutcome, SecondFactor, Service};
use crate::store::{Store, StoreError};
use crate::transport::server_marker::ServerMarker;

#[derive(Debug, Args)]
pub struct ReceiptArgs {
    /// The receipt number, as printed at the top right of the receipt.
    #[arg(value_name = "NUMBER")]
    number: u64,
    /// Also print it through the shop's print command (Settings), or save it as a text file
    /// under the data directory's receipts/ folder when no command is set.
    #[arg(long)]
    print: bool,
    /// Your user name (prompted for when absent).
    #[arg(long, value_name = "USER")]
    user: Option<String>,
    /// Read your password from the first line of standard input (for scripts).
    #[arg(long, requires_all = ["user", "totp"])]
    password_stdin: bool,
    /// Your current authenticator code, or one of your recovery codes (prompted for when absent).
    #[arg(long, value_name = "CODE")]
    totp: Option<String>,
}

fn open_store(data: &Path) -> Result<Store, CliError> {
    match Store::open(data) {
        // Beside a running `frontdesk serve`, share the file.
        Err(StoreError::InUse(_)) if ServerMarker::running(data).is_some() => {
            Ok(Store::open_shared(data)?)
        }
        Err(StoreError::InUse(_)) => Err(tui::in_use(data)),
        other => Ok(other?),
    }
}

/// A line for the person at the terminal, on standard error, so standard output holds only
/// the receipt. Nothing more can be done if standard error is closed.
fn tell(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

pub fn run(data: &Path, runtime: &Runtime, args: ReceiptArgs) -> Result<ExitCode, CliError> {
    let username = match args.user {
        Some(user) => user,
        None => prompt::visible("User name: ")?,
    };
    let password = if args.password_stdin {
        prompt::secrets_from_stdin(1, "your password")?.remove(0)
    } else {
        prompt::hidden("Password: ")?
    };
    let code = match args.totp {
        Some(code) => code,
        None => prompt::visible("Authenticator code (or a recovery code): ")?,
    };
    let store = open_store(data)?;
    let service = Service::new(store, runtime.clock.clone(), runtime.entropy.clone());
    let session = service.login(LoginRequest {
        username,
        password,
        second_factor: SecondFactor::from_typed(&code),
        origin: Origin::Cli {
            command: "receipt".to_owned(),
        },
        ssh_key: None,
    })?;
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
