use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{CliError, Runtime, prompt, tui};
use crate::audit::Origin;
use crate::service::{BackupSummary, LoginRequest, SecondFactor, Service, Session};
use crate::store::{Store, StoreError};
use crate::transport::server_marker::ServerMarker;

const AFTER_HELP: &str = "\
The backup is one consistent snapshot of the whole store, encrypted: it reveals nothing \
without a manager's credentials. To restore it later (`frontdesk restore FILE` into an empty \
data directory) you need the user name and password of a manager who had an account when \
the backup was made, plus that manager's authenticator code or one of their unused \
recovery codes. Keep the backup somewhere other than this computer.";

#[derive(Debug, Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct BackupArgs {
    /// Where to write the backup file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Replace FILE if it already exists.
    #[arg(long)]
    force: bool,
    /// Your user name, a manager's (prompted for when absent).
    #[arg(long, value_name = "USER")]
    user: Option<String>,
    /// Read your password from the first line of standard input (for scripts).
    #[arg(long, requires_all = ["user", "totp"])]
    password_stdin: bool,
    /// Your current authenticator code, or one of your recovery codes (prompted for when absent).
    #[arg(long, value_name = "CODE")]
    totp: Option<String>,
}

/// The one place the backup command opens the store, so it can be switched to a mode that
/// works beside a running server.
fn open_store(data: &Path) -> Result<Store, CliError> {
    match Store::open(data) {
        // Beside a running `frontdesk serve`, share the file; the snapshot is still one
        // consistent read transaction.
        Err(StoreError::InUse(_)) if ServerMarker::running(data).is_some() => {
            Ok(Store::open_shared(data)?)
        }
        Err(StoreError::InUse(_)) => Err(tui::in_use(data)),
        other => Ok(other?),
    }
}

pub fn run(data: &Path, runtime: &Runtime, args: BackupArgs) -> Result<ExitCode, CliError> {
    if args.out.exists() && !args.force {
        return Err(CliError::new(format!(
            "{} already exists; choose another --out FILE, or pass --force to replace it",
            args.out.display()
        )));
    }
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
            command: "backup".to_owned(),
        },
        ssh_key: None,
    })?;
    let written = write_tested_backup(&service, &session, &args.out);
    service.logout(&session)?;
    let summary = written?;
    println!(
        "Backup written to {} and read back: every part decrypts and the counts match.",
        args.out.display()
    );
    println!(
        "  {} members, {} visits, {} bookings, {} audit entries",
        summary.members, summary.visits, summary.bookings, summary.audit_entries
    );
    println!("  size: {} bytes", summary.bytes);
    println!("  SHA-256: {}", summary.sha256_hex());
    println!(
        "To restore it: frontdesk restore FILE --data EMPTY_DIR, with a manager's password and authenticator code (or one of their recovery codes)."
    );
    Ok(ExitCode::SUCCESS)
}

/// `FILE.partial` beside the target, so a half-written backup never carries the real name.
fn partial_path(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    out.with_file_name(name)
}

/// Writes the backup to `FILE.partial`, reads it back and decrypts all of it, and only then
/// renames it to `out`. On any failure the partial file is removed.
fn write_tested_backup(
    service: &Service,
    session: &Session,
    out: &Path,
) -> Result<BackupSummary, CliError> {
    let partial = partial_path(out);
    let result = write_and_check(service, session, &partial).and_then(|summary| {
        fs::rename(&partial, out).map_err(|err| {
            CliError::new(format!(
                "could not rename {} to {}: {err}; check the directory and try again",
                partial.display(),
                out.display()
            ))
        })?;
        Ok(summary)
    });
    if result.is_err() {
        // Best effort: the error being returned matters more than a failed cleanup.
        let _ = fs::remove_file(&partial);
    }
    result
}

fn write_and_check(
    service: &Service,
    session: &Session,
    partial: &Path,
) -> Result<BackupSummary, CliError> {
    let io_error = |doing: &str| {
        let doing = doing.to_owned();
        move |err: std::io::Error| {
            CliError::new(format!(
                "could not {doing} {}: {err}; check the path and free space, then try again",
                partial.display()
            ))
        }
    };
    let file = private_file(partial).map_err(io_error("create"))?;
    let mut writer = BufWriter::new(file);
    let written = service.backup(session, &mut writer)?;
    writer.flush().map_err(io_error("write"))?;
    let file = writer
        .into_inner()
        .map_err(|err| io_error("write")(err.into_error()))?;
    file.sync_all().map_err(io_error("write"))?;
    drop(file);
    let mut reader = BufReader::new(File::open(partial).map_err(io_error("read back"))?);
    let read_back = service.check_backup(session, &mut reader)?;
    if read_back != written {
        return Err(CliError::new(
            "the backup read back differs from what was written; the disk may be failing, so write it somewhere else",
        ));
    }
    Ok(written)
}

/// Creates (or truncates) a file only this user can read.
fn private_file(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partial_file_sits_beside_the_target() {
        assert_eq!(
            partial_path(Path::new("/backups/shop.fdb")),
            PathBuf::from("/backups/shop.fdb.partial")
        );
    }
}
