use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{CliError, Runtime, prompt};
use crate::service::integrity::verify_store;
use crate::service::{
    ERASURE_LEDGER_FILE, RestoreRequest, RestoreSummary, SecondFactor, ServiceError,
    check_backup_restores, check_restore_target, restore_backup_file,
};
use crate::store::{ReadOnlyStore, Store, copy_into_postgres};

const AFTER_HELP: &str = "\
Restores into a new or empty data directory only (--data DIR, or FRONTDESK_DATA); it never \
replaces an existing store and refuses a directory that holds anything. You need the user name and password of a manager who had an \
account when the backup was made, plus that manager's authenticator code, or one of their \
recovery codes (--recovery-code). The restored store is verified (audit chain and records) \
before it is put in place, and the restore is recorded in its audit log. --check is the \
restore drill: the same restore and verification into a private scratch copy (under TMPDIR, \
removed afterwards), reporting what the backup holds; nothing is installed.";

#[derive(Debug, Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct RestoreArgs {
    /// The backup file written by `frontdesk backup`.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// A manager's user name (prompted for when absent).
    #[arg(long, value_name = "USER")]
    user: Option<String>,
    /// Read the password (and, with --recovery-code, the code on the next line) from
    /// standard input, for scripts.
    #[arg(long, requires = "user")]
    password_stdin: bool,
    /// The manager's current authenticator code (prompted for when absent).
    #[arg(long, value_name = "CODE", conflicts_with = "recovery_code")]
    totp: Option<String>,
    /// Prove it with one of the manager's recovery codes instead of an authenticator code.
    #[arg(long)]
    recovery_code: bool,
    /// The restore drill: restore into a private scratch copy, verify everything (counts,
    /// records, ledgers, audit chain) and report what the backup holds; nothing is installed
    /// and the copy is removed. --data is not used.
    #[arg(long)]
    check: bool,
}

/// A restore into an empty PostgreSQL database: the backup is restored and verified as usual
/// into a private scratch store file, which is then copied up in one transaction (as
/// `frontdesk migrate` does) and verified again there; the scratch copy is removed.
fn restore_into_postgres(
    backup: &Path,
    location: &str,
    data: &Path,
    request: RestoreRequest,
    runtime: &Runtime,
) -> Result<RestoreSummary, CliError> {
    let scratch = tempfile::Builder::new()
        .prefix("frontdesk-restore-")
        .tempdir()
        .map_err(|err| {
            CliError::new(format!(
                "could not make a private scratch folder for the restore ({err}); check TMPDIR"
            ))
        })?;
    let work = scratch.path().join("store");
    let summary = restore_backup_file(backup, &work, request, runtime.clock.as_ref())?;
    let restored = ReadOnlyStore::open(&work)?;
    copy_into_postgres(&restored.read()?, location)?;
    drop(restored);
    let mut target = Store::open_postgres(location, data)?;
    let report = verify_store(&mut target, None)?;
    if !report.is_ok() || report.audit_head != summary.checkpoint {
        drop(target);
        let _ = Store::remove_postgres_store(location);
        return Err(CliError::new(format!(
            "the restored store did not verify in PostgreSQL, so it was removed again:\n{}",
            report.lines().join("\n")
        )));
    }
    Ok(summary)
}

pub fn run(data: &Path, runtime: &Runtime, args: RestoreArgs) -> Result<ExitCode, CliError> {
    let postgres = super::store_choice::postgres();
    // Before any prompt: credentials typed for a restore that cannot happen are wasted.
    if !args.check && postgres.is_none() {
        check_restore_target(data).map_err(ServiceError::from)?;
    }
    // Opened here for the clear error; the restore opens it again by name, beside its ledger.
    drop(File::open(&args.file).map_err(|err| {
        CliError::new(format!(
            "could not open the backup {}: {err}; check the file name",
            args.file.display()
        ))
    })?);
    let username = match args.user {
        Some(user) => user,
        None => prompt::visible("Manager user name: ")?,
    };
    let (password, second_factor) = if args.password_stdin {
        if args.recovery_code {
            let mut lines = prompt::secrets_from_stdin(2, "the password, then a recovery code")?;
            let code = lines.remove(1);
            (lines.remove(0), SecondFactor::RecoveryCode(code))
        } else {
            let code = args.totp.ok_or_else(|| {
                CliError::new("with --password-stdin, pass --totp CODE or --recovery-code")
            })?;
            let password = prompt::secrets_from_stdin(1, "the password")?.remove(0);
            (password, SecondFactor::Totp(code))
        }
    } else {
        let password = prompt::hidden("Password: ")?;
        let factor = if args.recovery_code {
            SecondFactor::RecoveryCode(prompt::hidden("Recovery code: ")?)
        } else {
            match args.totp {
                Some(code) => SecondFactor::Totp(code),
                None => SecondFactor::Totp(prompt::visible("Authenticator code: ")?),
            }
        };
        (password, factor)
    };
    let request = RestoreRequest {
        username,
        password,
        second_factor,
    };
    if args.check {
        let summary = check_backup_restores(&args.file, request, runtime.clock.as_ref())?;
        let _ = super::write_stdout(&check_report(&summary));
        return Ok(ExitCode::SUCCESS);
    }
    let (summary, target) = match postgres {
        Some(location) => {
            let summary = restore_into_postgres(&args.file, location, data, request, runtime)?;
            (summary, "the PostgreSQL database".to_owned())
        }
        None => (
            restore_backup_file(&args.file, data, request, runtime.clock.as_ref())?,
            data.display().to_string(),
        ),
    };
    let backup = &summary.backup;
    // The store is restored and verified; a closed output only loses this summary.
    let _ = super::write_stdout(&format!(
        "Restored the backup made {} into {}; the store verifies.\n  {} members, {} visits, {} bookings, {} audit entries\n  backup size: {} bytes\n  backup SHA-256: {}\n  audit checkpoint now: {}\n",
        backup.created_at.format("%Y-%m-%d %H:%M UTC"),
        target,
        backup.members,
        backup.visits,
        backup.bookings,
        backup.audit_entries,
        backup.bytes,
        backup.sha256_hex(),
        summary.checkpoint
    ));
    let mut notes = String::new();
    if summary.erasures_reapplied > 0 {
        notes.push_str(&format!(
            "  erasures re-applied: {} (members erased after this backup was made; erased again before the store was put in place)\n",
            summary.erasures_reapplied
        ));
    } else {
        notes.push_str("  erasures re-applied: 0\n");
    }
    if summary.ledger_of_another_shop {
        notes.push_str(&format!(
            "  note: the {ERASURE_LEDGER_FILE} beside the backup belongs to another shop and was not used\n"
        ));
    }
    let _ = super::write_stdout(&notes);
    Ok(ExitCode::SUCCESS)
}

/// What a restore drill found: the backup restores, verifies, and holds this much.
fn check_report(summary: &RestoreSummary) -> String {
    let backup = &summary.backup;
    format!(
        "The backup made {} restores and verifies (checked in a scratch copy; nothing was installed).\n  {} members, {} visits, {} bookings, {} audit entries\n  records, ledgers and the audit chain: OK\n  erasures that a restore would re-apply: {}\n  backup size: {} bytes\n  backup SHA-256: {}\n",
        backup.created_at.format("%Y-%m-%d %H:%M UTC"),
        backup.members,
        backup.visits,
        backup.bookings,
        backup.audit_entries,
        summary.erasures_reapplied,
        backup.bytes,
        backup.sha256_hex(),
    )
}
