//! `frontdesk restore`: a backup back into an empty data directory, without a running store.
//!
//! A manager proves who they are against the copies of their wraps in the backup's header
//! (password, then a fresh authenticator code or an unused recovery code). The tables are
//! rebuilt in a working directory inside the data directory, checked with `verify_store`,
//! the restore is audited, and only then is the file renamed into place: a failure at any
//! point leaves the data directory as it was.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use redb::Durability;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::ServiceError;
use super::backup::{
    BackupError, BackupFile, BackupHeader, BackupSummary, Keyholder, read_payload,
};
use super::integrity::verify_store;
use super::login::SecondFactor;
use crate::audit::{Actor, AuditAction, AuditDraft, Checkpoint, Origin, Outcome, entry_hash};
use crate::auth::password::{burn_equivalent_time, derive_key_encryption_key};
use crate::auth::recovery::normalize_recovery_code;
use crate::auth::totp::{CodeCheck, TotpSecret, verify_code};
use crate::clock::Clock;
use crate::domain::access::normalize_username;
use crate::ids::RecordId;
use crate::store::records::{StoreKeyWrap, TombstoneReason};
use crate::store::{ReadAccess, Store, StoreError, StoreWriter};
use crate::vault::{KeyEncryptionKey, StoreKey, UnlockedVault, WrapContext, unwrap_store_key};

/// Where the store is rebuilt before it is moved into place; inside the data directory so
/// the final rename stays on one file system.
const WORK_DIR_NAME: &str = ".frontdesk-restore";

/// The manager restoring, and how they prove it.
pub struct RestoreRequest {
    pub username: String,
    pub password: SecretString,
    pub second_factor: SecondFactor,
}

impl std::fmt::Debug for RestoreRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestoreRequest").finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct RestoreSummary {
    /// What the backup held, counted while it was read.
    pub backup: BackupSummary,
    /// Members erased after the backup was made (per the ledger inside it and the one in
    /// its folder) and erased again before the restored store was put in place.
    pub erasures_reapplied: u32,
    /// The erasure ledger in the backup's folder was another shop's and was not used.
    pub ledger_of_another_shop: bool,
    /// The restored audit log's checkpoint, including the restore's own entry.
    pub checkpoint: Checkpoint,
}

/// How the manager's second factor was accepted, to be recorded in the restored store so
/// the same code cannot be used again.
pub(super) enum AcceptedFactor {
    Totp { step: u64 },
    RecoveryCode { index: u8 },
}

/// Names shown of what is in the way, before "and N more".
const SHOWN_ENTRIES: usize = 3;

/// Checks that `data_dir` is new or empty, so a restore can go there; the restore command
/// asks before any prompt. A working directory left by a restore that was killed part-way is
/// not in the way: the next restore discards it.
pub fn check_restore_target(data_dir: &Path) -> Result<(), BackupError> {
    if Store::exists_in(data_dir) {
        return Err(BackupError::StoreExists(data_dir.to_path_buf()));
    }
    let entries = match fs::read_dir(data_dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(BackupError::io_error("read the data directory")(err)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(BackupError::io_error("read the data directory"))?;
        let name = entry.file_name();
        if name != WORK_DIR_NAME {
            names.push(name.to_string_lossy().into_owned());
        }
    }
    if names.is_empty() {
        return Ok(());
    }
    names.sort();
    let more = names.len().saturating_sub(SHOWN_ENTRIES);
    names.truncate(SHOWN_ENTRIES);
    let mut found = names.join(", ");
    if more > 0 {
        found.push_str(&format!(" and {more} more"));
    }
    Err(BackupError::DirectoryNotEmpty {
        dir: data_dir.to_path_buf(),
        found,
    })
}

/// Restores the backup read from `input` into `data_dir`, which must be new or empty. Only
/// the erasure ledger inside the backup is re-applied; see [`restore_backup_file`].
pub fn restore_backup(
    input: impl Read,
    data_dir: &Path,
    request: RestoreRequest,
    clock: &dyn Clock,
) -> Result<RestoreSummary, ServiceError> {
    restore_with_ledger(input, None, data_dir, request, clock)
}

/// Restores the backup file at `backup` into `data_dir`, which must be new or empty, and
/// re-applies every erasure listed in the ledger inside it or in the ledger beside it
/// ([`super::ERASURE_LEDGER_FILE`] in its folder) before the store is put in place.
pub fn restore_backup_file(
    backup: &Path,
    data_dir: &Path,
    request: RestoreRequest,
    clock: &dyn Clock,
) -> Result<RestoreSummary, ServiceError> {
    let input = fs::File::open(backup).map_err(BackupError::io_error("open the backup file"))?;
    let ledger = super::erasure_ledger::ledger_path_beside(backup);
    restore_with_ledger(
        std::io::BufReader::new(input),
        Some(&ledger),
        data_dir,
        request,
        clock,
    )
}

/// The restore drill (`frontdesk restore --check`): the whole restore — decrypt, load every
/// table, re-apply later erasures, verify counts, invariants and the audit chain — into a
/// private scratch directory (0700, under `TMPDIR`) that is removed afterwards, whatever the
/// outcome. Proves a backup restores without installing it anywhere.
pub fn check_backup_restores(
    backup: &Path,
    request: RestoreRequest,
    clock: &dyn Clock,
) -> Result<RestoreSummary, ServiceError> {
    let scratch = tempfile::Builder::new()
        .prefix("frontdesk-restore-check-")
        .tempdir()
        .map_err(BackupError::io_error(
            "make a private scratch directory for the check (set TMPDIR to a folder with room)",
        ))?;
    restore_backup_file(backup, &scratch.path().join("store"), request, clock)
}

fn restore_with_ledger(
    input: impl Read,
    folder_ledger: Option<&Path>,
    data_dir: &Path,
    request: RestoreRequest,
    clock: &dyn Clock,
) -> Result<RestoreSummary, ServiceError> {
    check_restore_target(data_dir)?;
    let file = BackupFile::read_header(input)?;
    let now = clock.now();
    let (vault, holder, factor) = unlock(&file.header, &request, now)?;
    crate::store::ensure_private_dir(data_dir)?;
    let work = WorkDir::create(data_dir)?;
    let actor = |writer: &StoreWriter| -> Result<Actor, ServiceError> {
        Ok(Actor::Staff {
            staff_id: holder.staff_id,
            username: writer
                .staff(holder.staff_id)?
                .map(|staff| staff.username)
                .unwrap_or_default(),
        })
    };
    let rebuilt = rebuild_and_verify(file, &vault, folder_ledger, work.path(), &actor, now)?;
    let store = rebuilt.store;
    let mut writer = store.write()?;
    record_restore(&mut writer, &holder, factor, now)?;
    let entry = writer.append_audit(restore_draft(&writer, &holder, &rebuilt.backup)?, now)?;
    writer.commit()?;
    drop(store);
    let checkpoint = Checkpoint {
        count: entry.seq,
        head: entry_hash(&entry),
    };
    work.move_into_place(data_dir)?;
    Ok(RestoreSummary {
        backup: rebuilt.backup,
        erasures_reapplied: rebuilt.erasures_reapplied,
        ledger_of_another_shop: rebuilt.ledger_of_another_shop,
        checkpoint,
    })
}

/// The restore drill the backup schedule runs on each new backup: the same rebuild and checks
/// as [`check_backup_restores`], opened with the running store's key instead of a manager's
/// credentials (the schedule has none), in a scratch directory removed afterwards.
pub(super) fn drill_with_vault(
    backup: &Path,
    vault: &UnlockedVault,
    clock: &dyn Clock,
) -> Result<RestoreSummary, ServiceError> {
    let scratch = tempfile::Builder::new()
        .prefix("frontdesk-restore-check-")
        .tempdir()
        .map_err(BackupError::io_error(
            "make a private scratch directory for the check (set TMPDIR to a folder with room)",
        ))?;
    let work = scratch.path().join("store");
    crate::store::ensure_private_dir(&work)?;
    let input = fs::File::open(backup).map_err(BackupError::io_error("open the backup file"))?;
    let file = BackupFile::read_header(std::io::BufReader::new(input))?;
    let ledger = super::erasure_ledger::ledger_path_beside(backup);
    let actor = |_: &StoreWriter| Ok(Actor::System);
    let rebuilt = rebuild_and_verify(file, vault, Some(&ledger), &work, &actor, clock.now())?;
    Ok(RestoreSummary {
        backup: rebuilt.backup,
        erasures_reapplied: rebuilt.erasures_reapplied,
        ledger_of_another_shop: rebuilt.ledger_of_another_shop,
        checkpoint: rebuilt.checkpoint,
    })
}

/// A backup loaded into a new store, later erasures re-applied and every check passed.
struct Rebuilt {
    store: Store,
    backup: BackupSummary,
    erasures_reapplied: u32,
    ledger_of_another_shop: bool,
    /// The rebuilt audit log's checkpoint, before anything a restore adds.
    checkpoint: Checkpoint,
}

/// Loads every table of the backup into a new store in `work`, re-applies the erasures the
/// ledgers list (recorded as `actor`'s), and runs every `verify` check on the result.
fn rebuild_and_verify<R: Read>(
    file: BackupFile<R>,
    vault: &UnlockedVault,
    folder_ledger: Option<&Path>,
    work: &Path,
    actor: &dyn Fn(&StoreWriter) -> Result<Actor, ServiceError>,
    now: DateTime<Utc>,
) -> Result<Rebuilt, ServiceError> {
    let backup = {
        let store = Store::create(work)?;
        let backup = read_payload(file.open_payload(vault.store_key()), |name, kind, rows| {
            let mut writer = store.write()?;
            // Only the last commit below needs to reach the disk; a crash before it leaves a
            // working directory that the next restore discards.
            writer
                .raw_transaction()?
                .set_durability(Durability::None)
                .map_err(|err| StoreError::Io(err.to_string()))?;
            writer.load_table_rows(name, kind, rows)?;
            Ok(writer.commit()?)
        })?;
        store.write()?.commit()?;
        backup
    };
    // Reopening runs the forward migrations for a backup made under an older schema.
    let mut store = Store::open(work)?;
    let (erasures_reapplied, ledger_of_another_shop) =
        reapply_erasures(&mut store, vault, folder_ledger, actor, now)?;
    let report = verify_store(&mut store, None)?;
    if !report.is_ok() {
        let problem = report
            .lines()
            .into_iter()
            .find(|line| line.contains("FAILED"))
            .unwrap_or_else(|| "verify failed".to_owned());
        return Err(BackupError::FailedVerification(problem).into());
    }
    Ok(Rebuilt {
        store,
        backup,
        erasures_reapplied,
        ledger_of_another_shop,
        checkpoint: report.audit_head,
    })
}

/// Erases again, in the restored store, every member the erasure ledgers (the one the backup
/// carried and the one in the backup's folder) list but the backup still holds, and records
/// every listed erasure in the store's own ledger. Then compacts the file, so none of their
/// ciphertext is left in it. Returns how many were erased again, and whether the folder's
/// ledger was another shop's.
fn reapply_erasures(
    store: &mut Store,
    vault: &UnlockedVault,
    folder_ledger: Option<&Path>,
    actor: &dyn Fn(&StoreWriter) -> Result<Actor, ServiceError>,
    now: DateTime<Utc>,
) -> Result<(u32, bool), ServiceError> {
    use super::erasure_ledger::{FolderLedger, merge, read_ledger};
    let key = crate::vault::LedgerKey::derive(vault.store_key());
    let mut ledger = store.read()?.erasures()?;
    let mut other_shop = false;
    if let Some(path) = folder_ledger {
        match read_ledger(path, &key)? {
            FolderLedger::Ours(entries) => ledger = merge(&ledger, &entries),
            FolderLedger::OtherShop => other_shop = true,
            FolderLedger::Missing => {}
        }
    }
    let mut reapplied = 0u32;
    let mut writer = store.write()?;
    let actor = actor(&writer)?;
    let draft = |action: AuditAction, objects: Vec<String>| AuditDraft {
        actor: actor.clone(),
        origin: Origin::Cli {
            command: "restore".to_owned(),
        },
        action,
        outcome: Outcome::Ok,
        objects,
        fields: Vec::new(),
        detail: None,
        site: 0,
    };
    for entry in &ledger {
        // First, so the ledger keeps the erasure's own time, not the restore's.
        writer.record_erasure(entry)?;
        if writer.member(entry.member)?.is_none() {
            continue;
        }
        let booking_draft = |booking: RecordId| {
            let mut cancelled = draft(AuditAction::BookingCancelled, vec![booking.to_string()]);
            cancelled.fields = vec!["state".to_owned()];
            cancelled.detail = Some(super::ERASED_CANCEL_REASON.to_owned());
            cancelled
        };
        let receipt = super::erasure::erase_in(
            &mut writer,
            vault,
            entry.member,
            TombstoneReason::Erased,
            now,
            &booking_draft,
        )?;
        let mut erased =
            super::erasure::erased_draft(draft(AuditAction::MemberErased, Vec::new()), &receipt);
        erased.detail = Some(format!(
            "re-applied on restore (erased {}): {}",
            entry.at.to_rfc3339(),
            receipt.describe()
        ));
        writer.append_audit(erased, now)?;
        reapplied += 1;
    }
    writer.commit()?;
    if reapplied > 0 {
        store.compact()?;
    }
    Ok((reapplied, other_shop))
}

/// Finds the manager in the header and checks their password and second factor. Every
/// failure is the same error, after about the same work.
fn unlock(
    header: &BackupHeader,
    request: &RestoreRequest,
    now: DateTime<Utc>,
) -> Result<(UnlockedVault, Keyholder, AcceptedFactor), ServiceError> {
    let holder = normalize_username(&request.username)
        .ok()
        .and_then(|name| header.keyholder(&name));
    let (vault, factor) = unlock_keyholder(holder, request, now)?;
    let holder = holder.ok_or(BackupError::WrongCredential)?;
    Ok((vault, holder.clone(), factor))
}

/// Checks the password and second factor against one manager's wraps (`None`: no such
/// manager, answered after the same work as a wrong password).
pub(super) fn unlock_keyholder(
    holder: Option<&Keyholder>,
    request: &RestoreRequest,
    now: DateTime<Utc>,
) -> Result<(UnlockedVault, AcceptedFactor), ServiceError> {
    let Some(holder) = holder else {
        burn_equivalent_time(&request.password);
        return Err(BackupError::WrongCredential.into());
    };
    let store_key = unwrap_wrap(
        request.password.expose_secret().as_bytes(),
        &holder.password_wrap,
        WrapContext::Staff {
            staff_id: holder.staff_id,
        },
    )
    .ok_or(BackupError::WrongCredential)?;
    let vault = UnlockedVault::new(store_key);
    let factor = match &request.second_factor {
        SecondFactor::Totp(code) => {
            let secret = vault
                .open_staff_secret(holder.staff_id, &holder.totp_secret)
                .ok()
                .and_then(|bytes| TotpSecret::from_bytes(&bytes).ok())
                .ok_or(BackupError::WrongCredential)?;
            let seconds = u64::try_from(now.timestamp()).unwrap_or(0);
            match verify_code(&secret, code, seconds, holder.totp_last_used_step) {
                CodeCheck::Accepted { step } => AcceptedFactor::Totp { step },
                CodeCheck::Replayed | CodeCheck::Invalid => {
                    return Err(BackupError::WrongCredential.into());
                }
            }
        }
        SecondFactor::RecoveryCode(typed) => {
            let code = normalize_recovery_code(typed.expose_secret())
                .ok_or(BackupError::WrongCredential)?;
            // Each unused code's wrap is tried in turn: only the right code opens its own.
            let index = holder
                .recovery_wraps
                .iter()
                .find(|candidate| {
                    unwrap_wrap(
                        code.as_bytes(),
                        &candidate.wrap,
                        WrapContext::RecoveryCode {
                            staff_id: holder.staff_id,
                            index: candidate.index,
                        },
                    )
                    .is_some_and(|key| {
                        bool::from(key.key().expose().ct_eq(vault.store_key().key().expose()))
                    })
                })
                .map(|candidate| candidate.index)
                .ok_or(BackupError::WrongCredential)?;
            AcceptedFactor::RecoveryCode { index }
        }
        // A restore always needs the second factor; an account still enrolling has none.
        SecondFactor::Absent => {
            return Err(BackupError::WrongCredential.into());
        }
    };
    Ok((vault, factor))
}

/// The store key from one wrap, or `None` for a wrong secret, an altered wrap or stored
/// derivation parameters outside the accepted range.
fn unwrap_wrap(secret: &[u8], wrap: &StoreKeyWrap, context: WrapContext) -> Option<StoreKey> {
    let kek = derive_key_encryption_key(secret, &wrap.salt, wrap.params.into()).ok()?;
    unwrap_store_key(&KeyEncryptionKey::from_bytes(kek), &wrap.sealed, context).ok()
}

/// Marks the code just used as used in the restored store, so it cannot open it again.
fn record_restore(
    writer: &mut StoreWriter,
    holder: &Keyholder,
    factor: AcceptedFactor,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut staff = writer.staff(holder.staff_id)?.ok_or(BackupError::Damaged(
        "the restoring manager's account is missing",
    ))?;
    match factor {
        AcceptedFactor::Totp { step } => staff.totp.last_used_step = Some(step),
        AcceptedFactor::RecoveryCode { index } => {
            if let Some(slot) = staff.recovery_codes.get_mut(usize::from(index)) {
                slot.used_at = Some(now);
            }
        }
    }
    staff.updated_at = now;
    writer.put_staff(&staff)?;
    Ok(())
}

fn restore_draft(
    writer: &StoreWriter,
    holder: &Keyholder,
    backup: &BackupSummary,
) -> Result<AuditDraft, ServiceError> {
    let staff = writer.staff(holder.staff_id)?.ok_or(BackupError::Damaged(
        "the restoring manager's account is missing",
    ))?;
    Ok(AuditDraft {
        actor: Actor::Staff {
            staff_id: staff.id,
            username: staff.username,
        },
        origin: Origin::Cli {
            command: "restore".to_owned(),
        },
        action: AuditAction::BackupRestored,
        outcome: Outcome::Ok,
        objects: Vec::new(),
        fields: Vec::new(),
        detail: Some(format!(
            "backup made {}: {}",
            backup.created_at.to_rfc3339(),
            backup.describe()
        )),
        site: 0,
    })
}

/// The working directory; removed on drop unless its store was moved into place.
struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    fn create(data_dir: &Path) -> Result<Self, ServiceError> {
        let path = data_dir.join(WORK_DIR_NAME);
        // Left behind by a restore that was killed part-way; it never held the live store.
        if path.exists() {
            fs::remove_dir_all(&path).map_err(BackupError::io_error(
                "remove an unfinished restore's working directory",
            ))?;
        }
        Ok(Self { path })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn move_into_place(self, data_dir: &Path) -> Result<(), ServiceError> {
        let target = Store::file_in(data_dir);
        // Checked again at the last moment: a store created meanwhile is never replaced.
        if target.exists() {
            return Err(BackupError::StoreExists(data_dir.to_path_buf()).into());
        }
        fs::rename(Store::file_in(&self.path), &target)
            .map_err(BackupError::io_error("move the restored store into place"))?;
        // Make the new name itself survive a power cut (the file's data already does). Best
        // effort: the store is in place, so failing the restore now would mislead.
        if let Ok(dir) = fs::File::open(data_dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        // Best effort: a leftover directory is discarded by the next restore anyway.
        let _ = fs::remove_dir_all(&self.path);
    }
}
