use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{CliError, Runtime, prompt, tui};
use crate::audit::Origin;
use crate::private_file::{self, Existing, PrivateFile};
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
    /// Replace FILE if it already exists (a symbolic link at FILE is refused even then).
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
    let existing = if args.force {
        Existing::Replace
    } else {
        Existing::Refuse
    };
    // Before any prompt or login: a code spent on a backup that cannot be written is wasted.
    private_file::check_destination(&args.out, existing)?;
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
    let written = write_tested_backup(&service, &session, &args.out, existing);
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

/// Writes the backup as a new private file (see [`PrivateFile`]), reads it back through the
/// same open file and decrypts all of it, and only then gives it its name. On any failure the
/// partial file is removed.
fn write_tested_backup(
    service: &Service,
    session: &Session,
    out: &Path,
    existing: Existing,
) -> Result<BackupSummary, CliError> {
    let mut file = PrivateFile::create(out, existing)?;
    let partial = file.partial().to_path_buf();
    let io_error = |doing: &str| {
        let doing = doing.to_owned();
        move |err: std::io::Error| {
            CliError::new(format!(
                "could not {doing} {}: {err}; check the path and free space, then try again",
                partial.display()
            ))
        }
    };
    let mut writer = BufWriter::new(&mut file);
    let written = service.backup(session, &mut writer)?;
    writer.flush().map_err(io_error("write"))?;
    drop(writer);
    let mut reader = BufReader::new(file.read_back()?);
    let read_back = service.check_backup(session, &mut reader)?;
    if read_back != written {
        return Err(CliError::new(
            "the backup read back differs from what was written; the disk may be failing, so write it somewhere else",
        ));
    }
    file.commit()?;
    Ok(written)
}
