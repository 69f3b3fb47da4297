use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use zeroize::Zeroizing;

use super::staging::StagedStore;
use super::{CliError, Runtime, prompt, write_stdout};
use crate::audit::Origin;
use crate::service::{InitialSetup, Service, StaffCredentials, check_unfinished_setup_discardable};
use crate::store::{ReadAccess, Store};

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
    /// Remove a store whose setup never finished (the first manager has no authenticator
    /// yet) before creating this one; refused when anything else was recorded in it.
    #[arg(long)]
    start_over: bool,
}

/// A new chain's store in an empty PostgreSQL database. As with a store file, the store is
/// taken away again when the first manager's credentials cannot be shown.
fn init_on_postgres(
    location: &str,
    data: &Path,
    runtime: &Runtime,
    setup: InitialSetup,
) -> Result<ExitCode, CliError> {
    let store = Store::create_postgres(location, data)?;
    let created = Service::initialise(
        store,
        runtime.clock.clone(),
        runtime.entropy.clone(),
        setup,
        Origin::Cli {
            command: "init".to_owned(),
        },
    );
    let (service, credentials) = match created {
        Ok(created) => created,
        Err(err) => {
            let _ = Store::remove_postgres_store(location);
            return Err(err.into());
        }
    };
    service.wait_for_name_index();
    drop(service);
    let shown = credentials_text(&credentials)
        .and_then(|mut text| {
            writeln!(text, "\nStore created in the PostgreSQL database.")?;
            Ok(text)
        })
        .map_err(|_| ())
        .and_then(|text| write_stdout(&text).map_err(|_| ()));
    if shown.is_err() {
        let _ = Store::remove_postgres_store(location);
        return Err(CliError::new(
            "could not write the new manager's credentials to standard output; nothing was created — run init again with its output going to a terminal or a file",
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(data: &Path, runtime: &Runtime, args: InitArgs) -> Result<ExitCode, CliError> {
    if super::store_choice::postgres().is_none() && Store::exists_in(data) {
        refuse_or_start_over(data, args.start_over)?;
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
    if let Some(location) = super::store_choice::postgres() {
        return init_on_postgres(location, data, runtime, setup);
    }
    // Built aside and moved into place only once the manager's second factor has been
    // written out: a store nobody was shown the credentials of would lock everyone out.
    let staged = StagedStore::begin(data)?;
    let store = Store::create(staged.dir())?;
    let (service, credentials) = Service::initialise(
        store,
        runtime.clock.clone(),
        runtime.entropy.clone(),
        setup,
        Origin::Cli {
            command: "init".to_owned(),
        },
    )?;
    // The name index thread holds the store open; the file must be closed before it moves.
    service.wait_for_name_index();
    drop(service);
    let text = credentials_text(&credentials)
        .and_then(|mut text| {
            writeln!(text, "\nStore created in {}.", data.display())?;
            Ok(text)
        })
        .map_err(|_| CliError::new("could not lay out the credentials; nothing was created"))?;
    write_stdout(&text).map_err(|err| {
        CliError::new(format!(
            "could not write the new manager's credentials to standard output ({err}); nothing was created — run init again with its output going to a terminal or a file"
        ))
    })?;
    staged.commit()?;
    Ok(ExitCode::SUCCESS)
}

/// A store already in `data`: refused, unless it is a setup that never finished and the
/// caller asked to start over, in which case it is removed (when nothing else was recorded).
fn refuse_or_start_over(data: &Path, start_over: bool) -> Result<(), CliError> {
    let store = Store::open(data)?;
    let unfinished = store.read()?.unfinished_setup()?.is_some();
    if !unfinished {
        return Err(CliError::new(format!(
            "a store already exists in {}; refusing to overwrite it (choose an empty --data directory)",
            data.display()
        )));
    }
    if !start_over {
        return Err(CliError::new(format!(
            "the store in {} is a setup that never finished (its first manager has no authenticator yet); start `frontdesk` to finish it, or run init again with --start-over to remove it and begin anew",
            data.display()
        )));
    }
    check_unfinished_setup_discardable(&store)?;
    let file = Store::file_in(data);
    drop(store);
    std::fs::remove_file(&file).map_err(|err| {
        CliError::new(format!(
            "could not remove the unfinished store {} ({err}); remove it by hand and run init again",
            file.display()
        ))
    })?;
    Ok(())
}

/// A new staff member's second factor, to be shown exactly once; zeroed when dropped.
fn credentials_text(credentials: &StaffCredentials) -> Result<Zeroizing<String>, std::fmt::Error> {
    let enrolment = &credentials.enrolment;
    let mut text = Zeroizing::new(String::new());
    let out = &mut *text;
    writeln!(
        out,
        "Set up the authenticator app (shown once; it activates at the first login with a valid code)."
    )?;
    writeln!(out)?;
    writeln!(out, "{}", enrolment.qr_text.as_str())?;
    writeln!(out, "otpauth URI:   {}", enrolment.otpauth_uri.as_str())?;
    writeln!(out, "base32 secret: {}", enrolment.secret_base32.as_str())?;
    writeln!(out)?;
    writeln!(
        out,
        "Recovery codes (each works once, in place of an authenticator code; keep them somewhere safe):"
    )?;
    for code in &credentials.recovery_codes {
        writeln!(out, "  {}", code.expose())?;
    }
    Ok(text)
}
