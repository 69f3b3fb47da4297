use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::{CliError, Runtime, prompt};
use crate::audit::Origin;
use crate::service::{InitialSetup, Service, StaffCredentials};
use crate::store::Store;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The shop's name, shown on screens, receipts and in authenticator apps.
    #[arg(long, value_name = "NAME")]
    shop: String,
    /// IANA time zone of the shop, e.g. America/Vancouver or Asia/Shanghai.
    #[arg(long, value_name = "TZ")]
    timezone: String,
    /// ISO 4217 currency code, e.g. CAD or CNY.
    #[arg(long, value_name = "CODE")]
    currency: String,
    /// User name of the first manager.
    #[arg(long, value_name = "USER")]
    manager: String,
    /// Read the manager's password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
}

pub fn run(data: &Path, runtime: &Runtime, args: InitArgs) -> Result<ExitCode, CliError> {
    if Store::exists_in(data) {
        return Err(CliError::new(format!(
            "a store already exists in {}; refusing to overwrite it (choose an empty --data directory)",
            data.display()
        )));
    }
    let password = if args.password_stdin {
        prompt::secrets_from_stdin(1, "the manager's password")?.remove(0)
    } else {
        prompt::new_password("Password for the first manager (at least 10 characters): ")?
    };
    let setup = InitialSetup {
        shop_name: args.shop,
        timezone: args.timezone,
        currency: args.currency,
        manager_username: args.manager,
        manager_password: password,
        demo: false,
    };
    setup.validate()?;
    let store = Store::create(data)?;
    let result = Service::initialise(
        store,
        runtime.clock.clone(),
        runtime.entropy.clone(),
        setup,
        Origin::Cli {
            command: "init".to_owned(),
        },
    );
    match result {
        Ok((_service, credentials)) => {
            print_credentials(&credentials);
            println!("\nStore created in {}.", data.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            // Remove the empty file so the next attempt starts clean.
            let _ = std::fs::remove_file(Store::file_in(data));
            Err(err.into())
        }
    }
}

/// Shows a new staff member's second factor exactly once.
pub fn print_credentials(credentials: &StaffCredentials) {
    let enrolment = &credentials.enrolment;
    println!(
        "Set up the authenticator app (shown once; it activates at the first login with a valid code)."
    );
    println!();
    println!("{}", enrolment.qr_text.as_str());
    println!("otpauth URI:   {}", enrolment.otpauth_uri.as_str());
    println!("base32 secret: {}", enrolment.secret_base32.as_str());
    println!();
    println!(
        "Recovery codes (each works once, in place of an authenticator code; keep them somewhere safe):"
    );
    for code in &credentials.recovery_codes {
        println!("  {}", code.expose());
    }
}
