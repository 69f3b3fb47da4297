use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use secrecy::SecretString;

use super::{CliError, Runtime, prompt};
use crate::audit::Origin;
use crate::service::{LoginRequest, SecondFactor};
use crate::store::Store;

#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// Your user name.
    #[arg(long, value_name = "USER")]
    user: String,
    /// Read the current and the new password from standard input, one per line.
    #[arg(long, requires = "totp")]
    password_stdin: bool,
    /// Your current authenticator code (prompted for when absent).
    #[arg(long, value_name = "CODE")]
    totp: Option<String>,
}

pub fn run(data: &Path, runtime: &Runtime, args: PasswdArgs) -> Result<ExitCode, CliError> {
    let (current, new): (SecretString, SecretString) = if args.password_stdin {
        let mut lines = prompt::secrets_from_stdin(2, "the current password, then the new one")?;
        let new = lines.remove(1);
        (lines.remove(0), new)
    } else {
        let current = prompt::hidden("Current password: ")?;
        let new = prompt::new_password("New password (at least 10 characters): ")?;
        (current, new)
    };
    let code = match args.totp {
        Some(code) => code,
        None => prompt::visible("Authenticator code: ")?,
    };
    let store = match super::store_choice::postgres() {
        Some(location) => super::store_choice::open_postgres(location, data)?,
        None => Store::open(data)?,
    };
    let service = runtime.service(store)?;
    let session = service.login(LoginRequest {
        username: args.user,
        password: current.clone(),
        second_factor: SecondFactor::Totp(code),
        origin: Origin::Cli {
            command: "passwd".to_owned(),
        },
        ssh_key: None,
    })?;
    let changed = service.change_own_password(&session, &current, &new);
    service.logout(&session)?;
    changed?;
    // The change is made; a closed output only loses the confirmation.
    let _ = super::write_stdout(
        "Password changed. Use the new password from now on; the old one no longer unlocks anything.\n",
    );
    Ok(ExitCode::SUCCESS)
}
