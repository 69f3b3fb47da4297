//! The staff login a command that touches personal data asks for: from flags for scripts
//! (`--user U --password-stdin --totp CODE`), else prompted on the terminal.

use clap::Args;
use secrecy::SecretString;

use super::{CliError, prompt};
use crate::audit::Origin;
use crate::service::{LoginRequest, SecondFactor};

#[derive(Debug, Args)]
pub struct StaffLoginArgs {
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

/// What the person typed or piped, gathered before the store is opened.
pub struct TypedLogin {
    pub username: String,
    pub password: SecretString,
    pub second_factor: SecondFactor,
}

impl StaffLoginArgs {
    /// Asks for whatever the flags did not give.
    pub fn ask(self) -> Result<TypedLogin, CliError> {
        let username = match self.user {
            Some(user) => user,
            None => prompt::visible("User name: ")?,
        };
        let password = if self.password_stdin {
            prompt::secrets_from_stdin(1, "your password")?.remove(0)
        } else {
            prompt::hidden("Password: ")?
        };
        let code = match self.totp {
            Some(code) => code,
            None => prompt::visible("Authenticator code (or a recovery code): ")?,
        };
        Ok(TypedLogin {
            username,
            password,
            second_factor: SecondFactor::from_typed(&code),
        })
    }
}

impl TypedLogin {
    /// The service login for `command`, audited as coming from the command line.
    pub fn request(self, command: &str) -> LoginRequest {
        LoginRequest {
            username: self.username,
            password: self.password,
            second_factor: self.second_factor,
            origin: Origin::Cli {
                command: command.to_owned(),
            },
            ssh_key: None,
        }
    }
}
