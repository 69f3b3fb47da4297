//! Backups into folders, started by a manager at the desk ("back up now") or by the daily
//! schedule that the counter and `frontdesk serve` run. Each run writes the encrypted backup
//! under a new name, reads it back and decrypts all of it, copies it to the second folder if
//! one is set (and checks that copy too), then runs the restore drill on it — a full rebuild
//! and `verify` in a scratch directory — and only then prunes old backups. The outcome (time,
//! size, result) is kept in the store for the desk to show, and audited.

use std::fs;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::backup::{BackupError, BackupSummary};
use super::restore::{RestoreSummary, drill_with_vault};
use super::{AlertDetail, Service, ServiceError, Session, system_draft};
use crate::audit::{AuditAction, AuditDraft, Checkpoint, Origin, Outcome};
use crate::domain::access::Operation;
use crate::domain::alerts::AlertRule;
use crate::domain::backup_schedule::{
    BackupSchedule, OVERDUE_AFTER, backup_file_name, names_to_prune,
};
use crate::private_file::{Existing, PrivateFile, create_private_dir};
use crate::store::ReadAccess;
use crate::store::schema::{META_BACKUP_SCHEDULE, META_BACKUP_STATUS};
use crate::vault::UnlockedVault;

/// The folder in the data directory that backups go to unless a manager picks another.
pub const DEFAULT_BACKUP_DIR: &str = "backups";

/// Where a run is, for a progress line; shared with the screen that started it.
#[derive(Debug, Default)]
pub struct BackupProgress {
    phase: AtomicU8,
    bytes: AtomicU64,
}

/// The steps of one run, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupPhase {
    Writing,
    ReadingBack,
    SecondCopy,
    RestoreDrill,
    Pruning,
}

impl BackupProgress {
    pub fn phase(&self) -> BackupPhase {
        match self.phase.load(Ordering::Relaxed) {
            0 => BackupPhase::Writing,
            1 => BackupPhase::ReadingBack,
            2 => BackupPhase::SecondCopy,
            3 => BackupPhase::RestoreDrill,
            _ => BackupPhase::Pruning,
        }
    }

    /// Bytes of the backup written so far.
    pub fn bytes_written(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    fn enter(&self, phase: BackupPhase) {
        self.phase.store(phase as u8, Ordering::Relaxed);
    }
}

/// The last good backup, as the desk shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRunRecord {
    pub at: DateTime<Utc>,
    pub file: PathBuf,
    pub bytes: u64,
    pub sha256: String,
    /// Whether the restore drill rebuilt and verified it (always, for a run that counts as
    /// good; kept so a later change to what counts stays readable).
    pub verified: bool,
    /// The audit checkpoint the backup holds, as the drill found it.
    pub checkpoint: Checkpoint,
    /// The copy in the second folder, when one is set and it was written and checked.
    pub second_copy: Option<PathBuf>,
}

/// The last run that went wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupFailureRecord {
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// What the store remembers of backup runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupStatus {
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_success: Option<BackupRunRecord>,
    pub last_failure: Option<BackupFailureRecord>,
    /// The missed slot an overdue alert was last raised for: one alert per day overdue.
    #[serde(default)]
    pub overdue_alerted_for: Option<DateTime<Utc>>,
}

impl BackupStatus {
    /// The last run failed (or its second copy did): what the desk warns about.
    pub fn last_run_failed(&self) -> bool {
        match (&self.last_failure, &self.last_success) {
            (Some(failure), Some(success)) => failure.at >= success.at,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}

/// What one run did.
#[derive(Debug, Clone)]
pub struct BackupRunReport {
    pub file: PathBuf,
    pub summary: BackupSummary,
    pub drill: RestoreSummary,
    /// The second folder's copy: where it went, or why it could not be made.
    pub second_copy: Option<Result<PathBuf, String>>,
    /// Old backups removed from the folders.
    pub pruned: u32,
}

/// Who started a run.
enum Trigger {
    Desk(AuditDraft),
    Schedule(Origin),
}

/// One run at a time per process; another process's run gets a different file name (names
/// carry the second) or, within the same second, is refused by the exclusive create.
#[derive(Debug, Default)]
pub(super) struct BackupRunLock(Mutex<()>);

impl Service {
    /// The backup schedule (the default one until a manager changes it).
    pub fn backup_schedule(&self) -> Result<BackupSchedule, ServiceError> {
        Ok(self
            .store
            .read()?
            .meta_record::<BackupSchedule>(META_BACKUP_SCHEDULE)?
            .unwrap_or_default())
    }

    /// Changes the schedule (managers), audited as a settings change with the fields named.
    pub fn set_backup_schedule(
        &self,
        session: &Session,
        schedule: BackupSchedule,
    ) -> Result<BackupSchedule, ServiceError> {
        let caller = self.authorize(session, Operation::ChangeSettings)?;
        schedule
            .validate()
            .map_err(|err| ServiceError::invalid(err.to_string()))?;
        let mut draft = caller.draft(AuditAction::SettingsChanged);
        draft.fields = vec!["backup_schedule".to_owned()];
        self.write_audited(
            |writer, _| Ok(writer.put_meta_record(META_BACKUP_SCHEDULE, &schedule)?),
            draft,
        )?;
        Ok(schedule)
    }

    /// What the last runs did (managers).
    pub fn backup_status(&self, session: &Session) -> Result<BackupStatus, ServiceError> {
        self.authorize(session, Operation::MakeBackup)?;
        self.stored_backup_status()
    }

    fn stored_backup_status(&self) -> Result<BackupStatus, ServiceError> {
        Ok(self
            .store
            .read()?
            .meta_record::<BackupStatus>(META_BACKUP_STATUS)?
            .unwrap_or_default())
    }

    /// Whether the schedule has gone a day without a good backup (no session needed: the
    /// alert rules and the desk's warning ask).
    pub fn backup_overdue(&self) -> Result<bool, ServiceError> {
        let schedule = self.backup_schedule()?;
        let status = self.stored_backup_status()?;
        let since = self.settings()?.created_at;
        Ok(schedule.is_overdue(
            self.shop_zone()?,
            self.clock.now(),
            status.last_success.map(|run| run.at),
            since,
        ))
    }

    fn resolve_folder(&self, schedule: &BackupSchedule) -> PathBuf {
        match &schedule.folder {
            Some(folder) => PathBuf::from(folder),
            None => self.store.local_dir().join(DEFAULT_BACKUP_DIR),
        }
    }

    /// "Back up now" at the desk (managers): a whole run into the schedule's folders.
    pub fn back_up_now(
        &self,
        session: &Session,
        progress: &BackupProgress,
    ) -> Result<BackupRunReport, ServiceError> {
        let caller = self.authorize(session, Operation::MakeBackup)?;
        self.run_backup(
            Trigger::Desk(caller.draft(AuditAction::BackupCreated)),
            progress,
        )
    }

    /// The schedule's turn: runs a backup when one is due and the store has been unlocked
    /// by a login since the process started (the key the backup needs comes from there).
    /// `Ok(None)` when nothing was due or the store is still locked.
    pub fn run_scheduled_backup_if_due(
        &self,
        origin: Origin,
        progress: &BackupProgress,
    ) -> Result<Option<BackupRunReport>, ServiceError> {
        self.raise_overdue_alert_once()?;
        if self.vault_if_unlocked().is_none() {
            return Ok(None);
        }
        let schedule = self.backup_schedule()?;
        let status = self.stored_backup_status()?;
        let since = self.settings()?.created_at;
        if !schedule.is_due(
            self.shop_zone()?,
            self.clock.now(),
            status.last_attempt_at,
            since,
        ) {
            return Ok(None);
        }
        self.run_backup(Trigger::Schedule(origin), progress)
            .map(Some)
    }

    /// Raises the overdue alert when the shop has gone a day without a good backup, once per
    /// missed slot (also while nobody has logged in, when scheduled runs cannot start).
    fn raise_overdue_alert_once(&self) -> Result<(), ServiceError> {
        if !self.backup_overdue()? {
            return Ok(());
        }
        let schedule = self.backup_schedule()?;
        let missed = schedule.latest_slot(self.shop_zone()?, self.clock.now() - OVERDUE_AFTER);
        let mut status = self.stored_backup_status()?;
        if missed.is_none() || status.overdue_alerted_for == missed {
            return Ok(());
        }
        let last = match &status.last_success {
            Some(run) => format!("the last good backup was made {}", run.at.to_rfc3339()),
            None => "there has been no good backup yet".to_owned(),
        };
        status.overdue_alerted_for = missed;
        {
            let mut writer = self.store.write()?;
            writer.put_meta_record(META_BACKUP_STATUS, &status)?;
            writer.commit()?;
        }
        self.raise_system_alert(
            AlertRule::BackupOverdue,
            AlertDetail::new(format!(
                "no backup for more than a day: {last}; check Settings › Security"
            )),
        )?;
        Ok(())
    }

    fn run_backup(
        &self,
        trigger: Trigger,
        progress: &BackupProgress,
    ) -> Result<BackupRunReport, ServiceError> {
        let _one_at_a_time = self.backup_runs.0.try_lock().map_err(|_| {
            ServiceError::invalid("a backup is already running; wait for it to finish")
        })?;
        let vault = self.unlocked_vault()?;
        let schedule = self.backup_schedule()?;
        let started = self.clock.now();
        let mut draft = match trigger {
            Trigger::Desk(draft) => draft,
            Trigger::Schedule(origin) => system_draft(origin, AuditAction::BackupCreated),
        };
        let outcome = self.write_verify_and_prune(&vault, &schedule, started, progress);
        let mut status = self.stored_backup_status()?;
        status.last_attempt_at = Some(started);
        match &outcome {
            Ok(report) => {
                status.last_success = Some(BackupRunRecord {
                    at: started,
                    file: report.file.clone(),
                    bytes: report.summary.bytes,
                    sha256: report.summary.sha256_hex(),
                    verified: true,
                    checkpoint: report.drill.checkpoint,
                    second_copy: report
                        .second_copy
                        .as_ref()
                        .and_then(|copy| copy.as_ref().ok().cloned()),
                });
                let mut detail = format!(
                    "{}; restore drill passed (audit checkpoint {}); {} old backups pruned",
                    report.summary.describe(),
                    report.drill.checkpoint.count,
                    report.pruned
                );
                if let Some(Err(reason)) = &report.second_copy {
                    status.last_failure = Some(BackupFailureRecord {
                        at: started,
                        reason: format!("second copy: {reason}"),
                    });
                    draft.outcome = Outcome::Failed;
                    detail.push_str(&format!("; second copy FAILED: {reason}"));
                }
                draft.detail = Some(detail);
            }
            Err(err) => {
                status.last_failure = Some(BackupFailureRecord {
                    at: started,
                    reason: err.to_string(),
                });
                draft.outcome = Outcome::Failed;
                draft.detail = Some(err.to_string());
            }
        }
        let failure = draft
            .outcome
            .eq(&Outcome::Failed)
            .then(|| draft.detail.clone().unwrap_or_default());
        self.write_audited(
            |writer, _| Ok(writer.put_meta_record(META_BACKUP_STATUS, &status)?),
            draft,
        )?;
        if let Some(reason) = failure {
            self.raise_system_alert(AlertRule::BackupFailed, AlertDetail::new(reason))?;
        }
        outcome
    }

    fn write_verify_and_prune(
        &self,
        vault: &UnlockedVault,
        schedule: &BackupSchedule,
        started: DateTime<Utc>,
        progress: &BackupProgress,
    ) -> Result<BackupRunReport, ServiceError> {
        let folder = self.resolve_folder(schedule);
        if schedule.folder.is_none() {
            create_private_dir(&folder)?;
        }
        let name = backup_file_name(self.shop_zone()?, started);
        let file = folder_ready(&folder)?.join(&name);
        super::erasure_ledger::check_beside(&file, vault.store_key())?;
        progress.enter(BackupPhase::Writing);
        let summary = self.write_checked_backup(vault, &file, progress)?;
        super::erasure_ledger::write_beside(
            &file,
            vault.store_key(),
            &self.store.read()?.erasures()?,
        )?;
        let second_copy = schedule.second_folder.as_deref().map(|second| {
            progress.enter(BackupPhase::SecondCopy);
            copy_checked(vault, &file, &summary, Path::new(second))
                .and_then(|copy| {
                    super::erasure_ledger::write_beside(
                        &copy,
                        vault.store_key(),
                        &self.store.read()?.erasures()?,
                    )?;
                    Ok(copy)
                })
                .map_err(|err| err.to_string())
        });
        progress.enter(BackupPhase::RestoreDrill);
        let drill = drill_with_vault(&file, vault, self.clock.as_ref())?;
        if drill.backup != summary {
            return Err(BackupError::FailedVerification(
                "the restore drill read other counts than were written".to_owned(),
            )
            .into());
        }
        progress.enter(BackupPhase::Pruning);
        let mut pruned = prune(&folder, schedule.keep)?;
        if let Some(Ok(copy)) = &second_copy
            && let Some(second) = copy.parent()
        {
            pruned += prune(second, schedule.keep)?;
        }
        Ok(BackupRunReport {
            file,
            summary,
            drill,
            second_copy,
            pruned,
        })
    }

    /// Writes the backup under a partial name, reads it back through the same open file and
    /// decrypts all of it, and only then gives it its name; a failure leaves no file behind.
    fn write_checked_backup(
        &self,
        vault: &UnlockedVault,
        file: &Path,
        progress: &BackupProgress,
    ) -> Result<BackupSummary, ServiceError> {
        let mut out = PrivateFile::create(file, Existing::Refuse)?;
        let snapshot = self.store.read()?;
        let mut writer = BufWriter::new(CountingWriter {
            inner: &mut out,
            progress,
        });
        let written = super::backup::write_backup(
            &snapshot,
            vault.store_key(),
            self.clock.now(),
            self.entropy.as_ref(),
            &mut writer,
        )?;
        drop(snapshot);
        writer
            .flush()
            .map_err(BackupError::io_error("write the backup file"))?;
        drop(writer);
        progress.enter(BackupPhase::ReadingBack);
        let read_back = {
            let mut reader = BufReader::new(out.read_back()?);
            super::backup::check_backup_with(vault.store_key(), &mut reader)?
        };
        if read_back != written {
            return Err(BackupError::Io {
                doing: "read the backup back",
                reason: "it differs from what was written; the disk may be failing".to_owned(),
            }
            .into());
        }
        out.commit()?;
        Ok(written)
    }
}

/// The folder, checked to be there: a folder the manager chose is never made here, so an
/// unplugged USB stick or an unmounted share is reported instead of filling the local disk.
fn folder_ready(folder: &Path) -> Result<&Path, ServiceError> {
    match fs::metadata(folder) {
        Ok(meta) if meta.is_dir() => Ok(folder),
        Ok(_) => Err(ServiceError::invalid(format!(
            "the backup folder {} is not a folder; choose another in Settings › Backups",
            folder.display()
        ))),
        Err(_) => Err(ServiceError::invalid(format!(
            "the backup folder {} is not there (a USB stick unplugged or a share not mounted?); connect it, or choose another folder in Settings › Backups",
            folder.display()
        ))),
    }
}

/// Copies a checked backup into `second`, under the same name, and checks the copy the same
/// way before it takes its name.
fn copy_checked(
    vault: &UnlockedVault,
    file: &Path,
    summary: &BackupSummary,
    second: &Path,
) -> Result<PathBuf, ServiceError> {
    let name = file
        .file_name()
        .ok_or_else(|| ServiceError::invalid("the backup file has no name"))?;
    let copy = folder_ready(second)?.join(name);
    let mut out = PrivateFile::create(&copy, Existing::Refuse)?;
    let mut source =
        fs::File::open(file).map_err(BackupError::io_error("open the new backup to copy it"))?;
    std::io::copy(&mut source, &mut out).map_err(BackupError::io_error("copy the backup"))?;
    let read_back = {
        let mut reader = BufReader::new(out.read_back()?);
        super::backup::check_backup_with(vault.store_key(), &mut reader)?
    };
    if &read_back != summary {
        return Err(BackupError::Io {
            doing: "check the second copy",
            reason: "it differs from the backup it was copied from".to_owned(),
        }
        .into());
    }
    out.commit()?;
    Ok(copy)
}

/// Removes the oldest scheduled backups in `folder` so the newest `keep` stay; other files
/// are never touched.
fn prune(folder: &Path, keep: u32) -> Result<u32, ServiceError> {
    let mut names = Vec::new();
    for entry in fs::read_dir(folder).map_err(BackupError::io_error("list the backup folder"))? {
        let entry = entry.map_err(BackupError::io_error("list the backup folder"))?;
        if let Some(name) = entry.file_name().to_str() {
            names.push(name.to_owned());
        }
    }
    let mut removed = 0;
    for name in names_to_prune(&names, keep) {
        fs::remove_file(folder.join(&name))
            .map_err(BackupError::io_error("remove an old backup"))?;
        removed += 1;
    }
    Ok(removed)
}

/// Passes bytes through and counts them for the progress line.
struct CountingWriter<'a, W> {
    inner: W,
    progress: &'a BackupProgress,
}

impl<W: Write> Write for CountingWriter<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.progress
            .bytes
            .fetch_add(written as u64, Ordering::Relaxed);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
