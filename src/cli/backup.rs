use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::staff_login::StaffLoginArgs;
use super::{CliError, Runtime, tui};
use crate::private_file::{self, Existing, PrivateFile};
use crate::service::{
    BackupSummary, ERASURE_LEDGER_FILE, ReadOnlyBackup, RestoreRequest, Service, Session,
};
use crate::store::{ReadOnlyStore, Store, StoreError};
use crate::transport::server_marker::{CounterMarker, ServerMarker};

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
    #[command(flatten)]
    login: StaffLoginArgs,
}

/// The store as the backup command could open it.
enum OpenedStore {
    Writable(Store),
    /// A store this process may not write: backed up without a login or audit entry.
    ReadOnly(ReadOnlyStore),
}

/// The one place the backup command opens the store, so it can be switched to a mode that
/// works beside a running server.
fn open_store(data: &Path) -> Result<OpenedStore, CliError> {
    if let Some(location) = super::store_choice::postgres() {
        return Ok(OpenedStore::Writable(super::store_choice::open_postgres(
            location, data,
        )?));
    }
    match Store::open(data) {
        // Beside a running `frontdesk serve` or the counter screen, share the file; the
        // snapshot is still one consistent read transaction.
        Err(StoreError::InUse(_))
            if ServerMarker::running(data).is_some() || CounterMarker::running(data) =>
        {
            Ok(OpenedStore::Writable(Store::open_shared(data)?))
        }
        Err(StoreError::InUse(_)) => Err(tui::in_use(data)),
        Err(StoreError::DataDirNotWritable { .. }) => {
            Ok(OpenedStore::ReadOnly(ReadOnlyStore::open(data)?))
        }
        other => Ok(OpenedStore::Writable(other?)),
    }
}

/// Who makes the backup: a logged-in manager's session, or a manager's proven credentials
/// on a read-only store.
enum Maker<'a> {
    Session(&'a Service, &'a Session),
    ReadOnly(&'a ReadOnlyBackup<'a>),
}

impl Maker<'_> {
    fn backup(&self, out: &mut impl Write) -> Result<BackupSummary, CliError> {
        Ok(match self {
            Maker::Session(service, session) => service.backup(session, out)?,
            Maker::ReadOnly(maker) => maker.backup(out)?,
        })
    }

    /// Merges the shop's erasures into the ledger beside the backup at `out`.
    fn erasure_ledger(&self, out: &Path) -> Result<usize, CliError> {
        Ok(match self {
            Maker::Session(service, session) => service.write_erasure_ledger(session, out)?,
            Maker::ReadOnly(maker) => maker.write_erasure_ledger(out)?,
        })
    }

    /// The backup's folder must not hold another shop's erasure ledger.
    fn check_folder(&self, out: &Path) -> Result<(), CliError> {
        match self {
            Maker::Session(service, session) => service.check_backup_folder(session, out)?,
            Maker::ReadOnly(maker) => maker.check_backup_folder(out)?,
        }
        Ok(())
    }

    fn check_backup(&self, input: &mut impl Read) -> Result<BackupSummary, CliError> {
        Ok(match self {
            Maker::Session(service, session) => service.check_backup(session, input)?,
            Maker::ReadOnly(maker) => maker.check_backup(input)?,
        })
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
    let typed = args.login.ask()?;
    let mut read_only_note = None;
    let summary = match open_store(data)? {
        OpenedStore::Writable(store) => {
            let service = runtime.service(store)?;
            let session = service.login(typed.request("backup"))?;
            let maker = Maker::Session(&service, &session);
            let written = write_tested_backup(&maker, &args.out, existing)
                .and_then(|summary| Ok((summary, maker.erasure_ledger(&args.out)?)));
            service.logout(&session)?;
            written?
        }
        OpenedStore::ReadOnly(store) => {
            let credentials = RestoreRequest {
                username: typed.username,
                password: typed.password,
                second_factor: typed.second_factor,
            };
            let maker = ReadOnlyBackup::unlock(
                &store,
                &credentials,
                runtime.clock.as_ref(),
                runtime.entropy.as_ref(),
            )?;
            let maker = Maker::ReadOnly(&maker);
            let summary = write_tested_backup(&maker, &args.out, existing)?;
            let erasures = maker.erasure_ledger(&args.out)?;
            read_only_note = Some(
                "The store is read-only here, so neither this login nor the backup could be recorded in its audit log.",
            );
            (summary, erasures)
        }
    };
    let (summary, erasures) = summary;
    let mut report = format!(
        "Backup written to {} and read back: every part decrypts and the counts match.\n  {} members, {} visits, {} bookings, {} audit entries\n  size: {} bytes\n  SHA-256: {}\n",
        args.out.display(),
        summary.members,
        summary.visits,
        summary.bookings,
        summary.audit_entries,
        summary.bytes,
        summary.sha256_hex()
    );
    report.push_str(&format!(
        "Erasure ledger beside it ({}): {erasures} erasures, re-applied by any restore from this folder.\n",
        ERASURE_LEDGER_FILE
    ));
    if let Some(note) = read_only_note {
        report.push_str(note);
        report.push('\n');
    }
    report.push_str("To restore it: frontdesk restore FILE --data EMPTY_DIR, with a manager's password and authenticator code (or one of their recovery codes).\n");
    // The backup is written and tested; a closed output only loses this summary.
    let _ = super::write_stdout(&report);
    Ok(ExitCode::SUCCESS)
}

/// Writes the backup as a new private file (see [`PrivateFile`]), reads it back through the
/// same open file and decrypts all of it, and only then gives it its name. On any failure the
/// partial file is removed.
fn write_tested_backup(
    maker: &Maker<'_>,
    out: &Path,
    existing: Existing,
) -> Result<BackupSummary, CliError> {
    maker.check_folder(out)?;
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
    let written = maker.backup(&mut writer)?;
    writer.flush().map_err(io_error("write"))?;
    drop(writer);
    let mut reader = BufReader::new(file.read_back()?);
    let read_back = maker.check_backup(&mut reader)?;
    if read_back != written {
        return Err(CliError::new(
            "the backup read back differs from what was written; the disk may be failing, so write it somewhere else",
        ));
    }
    file.commit()?;
    Ok(written)
}
