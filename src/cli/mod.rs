//! The command line: argument parsing and one function per command. Commands talk only to
//! the service layer (and, for `verify`, the store's read-only integrity check).

mod access;
mod alerts;
mod backup;
mod demo;
mod erase;
mod export;
mod import;
mod init;
mod merge;
mod migrate;
mod passwd;
mod prompt;
mod receipt;
mod report;
mod restore;
mod retention;
mod serve;
mod site;
mod staff_login;
mod staging;
mod store_choice;
mod tui;
mod verify;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::clock::{Clock, SystemClock};
use crate::entropy::{Entropy, OsEntropy};

#[derive(Debug, Parser)]
#[command(
    name = "frontdesk",
    version,
    about = "The front desk of a car wash: members, bookings and loyalty, with customer data protected.",
    long_about = None
)]
pub struct Cli {
    /// Directory holding the store (default: $FRONTDESK_DATA, else the platform data directory).
    #[arg(long, global = true, value_name = "DIR", env = "FRONTDESK_DATA")]
    data: Option<PathBuf>,

    /// Where the shop's records live: leave out for the store file in the data directory, or
    /// a PostgreSQL server for a chain of shops (postgres://USER@HOST/DATABASE, `postgres:`
    /// for the PG* variables, `postgres:file=PATH` for a private file holding the address).
    #[arg(
        long,
        global = true,
        value_name = "ADDRESS",
        env = "FRONTDESK_STORE",
        hide_env_values = true
    )]
    store: Option<store_choice::StoreAddress>,

    /// Colour theme for the screen: default, light, high-contrast, mono, or a file name in the
    /// config dir's themes/ (overrides each staff member's choice; NO_COLOR selects mono).
    #[arg(long, value_name = "NAME")]
    theme: Option<String>,

    /// The site of the chain this process works at (default: $FRONTDESK_SITE, else the
    /// first site); `frontdesk site list` names them.
    #[arg(long, global = true, value_name = "NAME", env = "FRONTDESK_SITE")]
    site: Option<String>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new store and its first manager, without prompts.
    Init(init::InitArgs),
    /// Create a demo store (flagged DEMO) with invented members, history and staff logins.
    Demo(demo::DemoArgs),
    /// Change your own password (needs your current password and an authenticator code).
    Passwd(passwd::PasswdArgs),
    /// Check the store's integrity and the audit log's hash chain.
    Verify(verify::VerifyArgs),
    /// Host the store: the counter screen here (unless --headless) and staff over SSH.
    Serve(serve::ServeArgs),
    /// Write an encrypted, tested snapshot of the whole store to a file (managers only).
    Backup(backup::BackupArgs),
    /// Restore a backup into an empty data directory (a manager's password and code).
    Restore(restore::RestoreArgs),
    /// Show any receipt again by its number (any staff login); --print also prints it.
    Receipt(receipt::ReceiptArgs),
    /// A report over a range of days (takings, visits, hours, bays, services, members,
    /// frequency, vehicles, sales, points, comparison); --csv FILE writes it as CSV.
    Report(report::ReportArgs),
    /// List open anomaly alerts for scripts (managers only); --all includes acknowledged ones.
    Alerts(alerts::AlertsArgs),
    /// Write everything held about one member to a file for them: .json or printable .txt
    /// (managers only).
    Access(access::AccessArgs),
    /// Bring customers in from a CSV file, all or nothing (managers only); --dry-run checks it.
    Import(import::ImportArgs),
    /// Fold two records of the same person into one (managers only).
    Merge(merge::MergeArgs),
    /// Erase one member for good: their key, personal data and plates; the number stays as
    /// "erased" and visits and points stay for the accounts (managers only).
    Erase(erase::EraseArgs),
    /// List members past the retention period (a dry run); --apply anonymises them after
    /// confirmation (managers only).
    Retention(retention::RetentionArgs),
    /// Move this shop's store file to an empty PostgreSQL database, for a chain of shops
    /// (verified on both sides; the file is only read).
    Migrate(migrate::MigrateArgs),
    /// Write one row per member for analysis, pseudonymised: no names, phones, plates or
    /// numbers (managers only).
    Export(export::ExportArgs),
    /// The chain's sites: add one, list them, or limit a staff account to some (managers only).
    Site(site::SiteArgs),
}

/// An error already phrased for the person at the terminal.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CliError(pub String);

impl CliError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl From<crate::service::ServiceError> for CliError {
    fn from(err: crate::service::ServiceError) -> Self {
        Self(err.to_string())
    }
}

impl From<crate::private_file::PrivateFileError> for CliError {
    fn from(err: crate::private_file::PrivateFileError) -> Self {
        Self(err.to_string())
    }
}

impl From<crate::store::StoreError> for CliError {
    fn from(err: crate::store::StoreError) -> Self {
        Self(err.to_string())
    }
}

/// Writes `text` to standard output and flushes it. Unlike `print!`, which panics, a closed
/// pipe or a full disk comes back as an error for the command to report.
fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Resolves the data directory: `--data`, else `FRONTDESK_DATA` (both via clap), else the
/// platform's data directory.
fn data_dir(explicit: Option<PathBuf>) -> Result<PathBuf, CliError> {
    match explicit {
        Some(dir) => Ok(dir),
        None => dirs::data_dir()
            .map(|dir| dir.join("frontdesk"))
            .ok_or_else(|| CliError::new("cannot find a data directory for this user; pass --data DIR or set FRONTDESK_DATA")),
    }
}

struct Runtime {
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    /// `--site` (or `FRONTDESK_SITE`): the site of the chain this process works at.
    site: Option<String>,
}

impl Runtime {
    fn real(site: Option<String>) -> Self {
        Self {
            clock: Arc::new(SystemClock),
            entropy: Arc::new(OsEntropy),
            site,
        }
    }

    /// The service over `store`, working at the site asked for; an unknown site is refused
    /// with the names of the known ones.
    fn service(&self, store: crate::store::Store) -> Result<crate::service::Service, CliError> {
        Ok(
            crate::service::Service::new(store, self.clock.clone(), self.entropy.clone())
                .at_site(self.site.as_deref())?,
        )
    }
}

/// Runs the parsed command line; the binary turns the error into one line and an exit code.
pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let data = data_dir(cli.data)?;
    store_choice::choose(cli.store)?;
    let runtime = Runtime::real(cli.site);
    match cli.command {
        None => tui::run(&data, &runtime, cli.theme.as_deref()),
        Some(Command::Init(args)) => init::run(&data, &runtime, args),
        Some(Command::Demo(args)) => demo::run(&data, &runtime, args),
        Some(Command::Passwd(args)) => passwd::run(&data, &runtime, args),
        Some(Command::Verify(args)) => verify::run(&data, args),
        Some(Command::Serve(args)) => serve::run(&data, &runtime, cli.theme.as_deref(), args),
        Some(Command::Backup(args)) => backup::run(&data, &runtime, args),
        Some(Command::Restore(args)) => restore::run(&data, &runtime, args),
        Some(Command::Receipt(args)) => receipt::run(&data, &runtime, args),
        Some(Command::Report(args)) => report::run(&data, &runtime, args),
        Some(Command::Alerts(args)) => alerts::run(&data, &runtime, args),
        Some(Command::Access(args)) => access::run(&data, &runtime, args),
        Some(Command::Import(args)) => import::run(&data, &runtime, args),
        Some(Command::Merge(args)) => merge::run(&data, &runtime, args),
        Some(Command::Erase(args)) => erase::run(&data, &runtime, args),
        Some(Command::Retention(args)) => retention::run(&data, &runtime, args),
        Some(Command::Export(args)) => export::run(&data, &runtime, args),
        Some(Command::Migrate(args)) => migrate::run(&data, args),
        Some(Command::Site(args)) => site::run(&data, &runtime, args),
    }
}
