//! The in-memory name index's lifecycle: empty while the store is locked, loaded after the
//! first login from the sealed snapshot saved in the store (plus the members changed since),
//! or built from every member when there is none, and kept current by member changes —
//! including those made while the load or build is still running. The snapshot is saved
//! after a build, after an erasure and after many changes.

use std::collections::HashSet;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::domain::name::search_tokens;
use crate::entropy::Entropy;
use crate::ids::RecordId;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::ServiceError;
use crate::store::records::MemberRecord;
use crate::store::{ReadAccess, Store, StoreError};
use crate::vault::{FieldContext, NameIndex, Sealed, UnlockedVault, open_field_string};

/// Name changes after which the snapshot is saved again, so the next unlock re-reads few.
const SAVE_AFTER_CHANGES: usize = 2_000;

#[derive(Default)]
struct Inner {
    index: NameIndex,
    /// Members in the store the index holds no tokens for (no name text, or a name that does
    /// not open); with the index's own count this must equal the members table's length.
    unindexed: HashSet<RecordId>,
    ready: bool,
    /// A background job (the build, or a save) holds the store.
    building: bool,
    /// Changes made while a build runs, replayed over its result (`None` = removed).
    pending: Vec<(RecordId, Option<Vec<String>>)>,
    /// Name changes since the snapshot was last saved.
    changes_since_save: usize,
}

impl Inner {
    fn apply(&mut self, member: RecordId, tokens: Option<Vec<String>>) {
        match tokens {
            Some(tokens) => {
                if tokens.iter().all(String::is_empty) {
                    self.unindexed.insert(member);
                } else {
                    self.unindexed.remove(&member);
                }
                let _ = self.index.replace(member, tokens);
            }
            None => {
                self.unindexed.remove(&member);
                self.index.remove(member);
            }
        }
    }
}

#[derive(Default)]
pub(super) struct NameSearch {
    inner: Mutex<Inner>,
    built: Condvar,
}

/// What a build or load hands over: the index and the members it holds no tokens for.
struct Loaded {
    index: NameIndex,
    unindexed: HashSet<RecordId>,
    /// Changes since the snapshot that were re-read (0 after a full build).
    reread: usize,
}

impl NameSearch {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn is_ready(&self) -> bool {
        self.lock().ready
    }

    /// Waits for the whole background job: the index, then the one-time plate-tail backfill
    /// (or a background save).
    pub fn wait_until_ready(&self) {
        let mut inner = self.lock();
        while inner.building {
            inner = self
                .built
                .wait(inner)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    pub fn search(&self, folded_prefix: &str, limit: usize) -> Vec<RecordId> {
        self.lock().index.search_prefix(folded_prefix, limit)
    }

    pub fn set(&self, member: RecordId, name: &str) {
        let tokens = search_tokens(name);
        let mut inner = self.lock();
        if inner.building && !inner.ready {
            inner.pending.push((member, Some(tokens.clone())));
        }
        inner.changes_since_save += 1;
        inner.apply(member, Some(tokens));
    }

    /// Forgets an erased member: their name tokens leave the index at once.
    pub fn remove(&self, member: RecordId) {
        let mut inner = self.lock();
        if inner.building && !inner.ready {
            inner.pending.push((member, None));
        }
        inner.changes_since_save += 1;
        inner.apply(member, None);
    }

    /// [`NameSearch::set`] for many new members at once (an import): one sort, not one
    /// insertion each.
    pub fn set_many(&self, members: Vec<(RecordId, Vec<String>)>) {
        let mut inner = self.lock();
        if inner.building && !inner.ready {
            let pending: Vec<_> = members
                .iter()
                .map(|(member, tokens)| (*member, Some(tokens.clone())))
                .collect();
            inner.pending.extend(pending);
        }
        inner.changes_since_save += members.len();
        for (member, tokens) in &members {
            if tokens.iter().all(String::is_empty) {
                inner.unindexed.insert(*member);
            } else {
                inner.unindexed.remove(member);
            }
        }
        // Only more than 4 GiB of names fails; search by phone, plate and number still works.
        let _ = inner.index.bulk_load(members);
    }

    /// Starts loading (or building) on a background thread; search by phone, plate or number
    /// works meanwhile, and name search once it is done.
    pub fn start_build(
        self: &Arc<Self>,
        store: Arc<Store>,
        vault: Arc<UnlockedVault>,
        entropy: Arc<dyn Entropy>,
    ) {
        {
            let mut inner = self.lock();
            if inner.building || inner.ready {
                return;
            }
            inner.building = true;
        }
        let names = Arc::clone(self);
        let job = {
            let (store, vault, entropy) =
                (Arc::clone(&store), Arc::clone(&vault), Arc::clone(&entropy));
            move || {
                names.load_or_build(&store, &vault, entropy.as_ref());
                backfill(&store, &vault);
                // The store is let go before waiters hear the job is done: one that then
                // closes the service may reopen the file at once.
                drop((store, vault, entropy));
                names.finish_job();
            }
        };
        let spawned = std::thread::Builder::new()
            .name("name-index".to_owned())
            .spawn(job);
        if spawned.is_err() {
            // No thread to spare: load here rather than leave name search dead.
            self.load_or_build(&store, &vault, entropy.as_ref());
            backfill(&store, &vault);
            self.finish_job();
        }
    }

    /// The saved snapshot plus the members changed since; a full build (then saved) when
    /// there is none or it does not add up.
    fn load_or_build(&self, store: &Store, vault: &UnlockedVault, entropy: &dyn Entropy) {
        if let Ok(Some(loaded)) = load_snapshot(store, vault) {
            let reread = loaded.reread;
            self.finish_build(loaded);
            self.lock().changes_since_save = reread;
            if reread >= SAVE_AFTER_CHANGES {
                let _ = self.save(store, vault, entropy);
            }
            return;
        }
        // Changes are recorded from here on, so the build below can be saved without
        // missing a member written while it reads.
        let tracking = store.write().and_then(|mut writer| {
            writer.track_names_for_new_snapshot()?;
            writer.commit()
        });
        let built = read_all_names(store, vault).unwrap_or_else(|_| Loaded {
            index: NameIndex::new(),
            unindexed: HashSet::new(),
            reread: 0,
        });
        self.finish_build(built);
        if tracking.is_ok() {
            let _ = self.save(store, vault, entropy);
        }
    }

    /// Saves the snapshot in a background job when enough names changed since the last save.
    pub fn save_if_stale(
        self: &Arc<Self>,
        store: &Arc<Store>,
        vault: &Arc<UnlockedVault>,
        entropy: &Arc<dyn Entropy>,
    ) {
        {
            let mut inner = self.lock();
            if !inner.ready || inner.building || inner.changes_since_save < SAVE_AFTER_CHANGES {
                return;
            }
            inner.building = true;
        }
        let names = Arc::clone(self);
        let (store, vault, entropy) = (Arc::clone(store), Arc::clone(vault), Arc::clone(entropy));
        let job = move || {
            let _ = names.save(&store, &vault, entropy.as_ref());
            drop((store, vault, entropy));
            names.finish_job();
        };
        if std::thread::Builder::new()
            .name("name-index-save".to_owned())
            .spawn(job)
            .is_err()
        {
            // No thread to spare: the next change tries again.
            self.finish_job();
        }
    }

    /// Saves the index as a sealed snapshot and keeps in the change list only the members
    /// whose stored name it does not reflect (written by a change whose index update has not
    /// arrived yet). `Ok(false)` when there is nothing to save (not loaded yet, or the store
    /// is not tracking changes, which only a build starts).
    pub fn save(
        &self,
        store: &Store,
        vault: &UnlockedVault,
        entropy: &dyn Entropy,
    ) -> Result<bool, ServiceError> {
        if !self.is_ready() {
            return Ok(false);
        }
        // The write transaction first, then the index: member writers commit before they
        // update the index, so nobody waits for the index while holding the store.
        let mut writer = store.write()?;
        if writer.name_snapshot_header()?.is_none() {
            return Ok(false);
        }
        let changed = writer.names_changed_since_snapshot()?;
        let wanted: HashSet<RecordId> = changed.iter().copied().collect();
        let mut plaintext = Zeroizing::new(Vec::new());
        let (in_memory, unindexed) = {
            let mut inner = self.lock();
            inner.index.write_snapshot(&mut plaintext)?;
            write_ids(&mut plaintext, &inner.unindexed)?;
            let unindexed: HashSet<RecordId> =
                inner.unindexed.intersection(&wanted).copied().collect();
            let in_memory = inner.index.tokens_of(&wanted);
            inner.changes_since_save = 0;
            (in_memory, unindexed)
        };
        let mut still_changed = Vec::new();
        for member in changed {
            let stored = match writer.member(member)? {
                None => Stored::Absent,
                Some(record) => match name_tokens_of(vault, &record) {
                    Some(tokens) if !tokens.is_empty() => Stored::Tokens(tokens),
                    _ => Stored::Unindexed,
                },
            };
            let agrees = match &stored {
                Stored::Absent => !in_memory.contains_key(&member) && !unindexed.contains(&member),
                Stored::Unindexed => {
                    !in_memory.contains_key(&member) && unindexed.contains(&member)
                }
                Stored::Tokens(tokens) => in_memory.get(&member).is_some_and(|held| {
                    held.len() == tokens.len()
                        && held
                            .iter()
                            .zip(tokens)
                            .all(|(a, b)| a.as_slice() == b.as_slice())
                }),
            };
            if !agrees {
                still_changed.push(member);
            }
        }
        let chunks = vault.seal_name_snapshot(&plaintext, entropy)?;
        writer.put_name_snapshot(plaintext.len() as u64, &chunks, &still_changed)?;
        writer.commit()?;
        Ok(true)
    }

    fn finish_job(&self) {
        self.lock().building = false;
        self.built.notify_all();
    }

    /// Brings the index up to date with changes another process (another site on a shared
    /// PostgreSQL store) committed: `Some(members)` re-reads those members, `None` every one.
    pub fn follow_changes(
        &self,
        store: &Store,
        vault: &UnlockedVault,
        members: Option<&[RecordId]>,
    ) -> Result<(), StoreError> {
        let Some(members) = members else {
            let rebuilt = read_all_names(store, vault)?;
            let mut inner = self.lock();
            if inner.ready {
                inner.index = rebuilt.index;
                inner.unindexed = rebuilt.unindexed;
            }
            return Ok(());
        };
        let reader = store.read()?;
        for &member in members {
            let tokens = match reader.member(member)? {
                Some(record) => open_name(vault, member, &record.wrapped_key, &record.name)
                    .map(|(_, tokens)| Some(tokens))
                    .unwrap_or(None),
                None => None,
            };
            let mut inner = self.lock();
            if inner.building && !inner.ready {
                inner.pending.push((member, tokens.clone()));
            }
            match tokens {
                Some(tokens) if tokens.iter().any(|t| !t.is_empty()) => {
                    inner.unindexed.remove(&member);
                    inner.apply(member, Some(tokens));
                }
                Some(_) => {
                    inner.apply(member, None);
                    inner.unindexed.insert(member);
                }
                None => {
                    inner.unindexed.remove(&member);
                    inner.apply(member, None);
                }
            }
        }
        Ok(())
    }

    fn finish_build(&self, loaded: Loaded) {
        let mut inner = self.lock();
        inner.index = loaded.index;
        inner.unindexed = loaded.unindexed;
        for (member, change) in std::mem::take(&mut inner.pending) {
            inner.apply(member, change);
        }
        inner.ready = true;
    }
}

/// A member's name in the store, as the index would hold it.
enum Stored {
    Absent,
    Unindexed,
    Tokens(Vec<Zeroizing<Vec<u8>>>),
}

/// The member's folded tokens as the index keeps them (sorted, no repeats, none empty);
/// `None` when the name does not open.
fn name_tokens_of(vault: &UnlockedVault, record: &MemberRecord) -> Option<Vec<Zeroizing<Vec<u8>>>> {
    let (_, tokens) = open_name(vault, record.id, &record.wrapped_key, &record.name)?;
    let mut tokens: Vec<Zeroizing<Vec<u8>>> = tokens
        .into_iter()
        .filter(|token| !token.is_empty())
        .map(|token| Zeroizing::new(token.into_bytes()))
        .collect();
    tokens.sort_unstable_by(|a, b| a.as_slice().cmp(b.as_slice()));
    tokens.dedup_by(|a, b| a.as_slice() == b.as_slice());
    Some(tokens)
}

fn write_ids(out: &mut Vec<u8>, ids: &HashSet<RecordId>) -> Result<(), ServiceError> {
    let count = u32::try_from(ids.len()).map_err(|_| crate::vault::VaultError::NameIndexFull)?;
    out.extend_from_slice(&count.to_le_bytes());
    let mut sorted: Vec<&RecordId> = ids.iter().collect();
    sorted.sort_unstable();
    for id in sorted {
        out.extend_from_slice(&id.as_u128().to_le_bytes());
    }
    Ok(())
}

fn read_ids(bytes: &[u8]) -> Option<HashSet<RecordId>> {
    let (count, rest) = bytes.split_first_chunk::<4>()?;
    let count = u32::from_le_bytes(*count) as usize;
    if rest.len() != count.checked_mul(16)? {
        return None;
    }
    Some(
        rest.chunks_exact(16)
            .filter_map(|raw| raw.try_into().ok().map(u128::from_le_bytes))
            .map(RecordId::from_u128)
            .collect(),
    )
}

/// Opens the saved snapshot and re-reads the members changed since, all in one read
/// transaction. `Ok(None)` when there is no snapshot or it does not add up with the members
/// table (the caller then builds from scratch).
fn load_snapshot(store: &Store, vault: &UnlockedVault) -> Result<Option<Loaded>, ServiceError> {
    let reader = store.read()?;
    let Some(header) = reader.name_snapshot_header()? else {
        return Ok(None);
    };
    if header.chunks == 0 {
        return Ok(None);
    }
    let plaintext = vault.open_name_snapshot(header.chunks, header.plaintext_len, &mut |n| {
        reader.name_snapshot_chunk(n).ok().flatten()
    });
    let Ok(plaintext) = plaintext else {
        return Ok(None);
    };
    let Ok((mut index, rest)) = NameIndex::read_snapshot(&plaintext) else {
        return Ok(None);
    };
    let Some(mut unindexed) = read_ids(rest) else {
        return Ok(None);
    };
    drop(plaintext);
    let changed = reader.names_changed_since_snapshot()?;
    let mut changes = Vec::with_capacity(changed.len());
    for &member in &changed {
        unindexed.remove(&member);
        let tokens = match reader.member(member)? {
            None => Vec::new(),
            Some(record) => {
                let tokens = open_name(vault, member, &record.wrapped_key, &record.name)
                    .map(|(_, tokens)| tokens)
                    .unwrap_or_default();
                if tokens.iter().all(String::is_empty) {
                    unindexed.insert(member);
                }
                tokens
            }
        };
        changes.push((member, tokens));
    }
    // An empty token list removes the member; the rest replace or add.
    if index.bulk_load(changes).is_err() {
        return Ok(None);
    }
    let expected = reader.member_count()?;
    if (index.len() + unindexed.len()) as u64 != expected {
        return Ok(None);
    }
    Ok(Some(Loaded {
        index,
        unindexed,
        reread: changed.len(),
    }))
}

/// Searches the saved snapshot alone (see [`super::Service::saved_name_index_search`]).
pub(super) fn search_saved(
    store: &Store,
    vault: &UnlockedVault,
    folded_prefix: &str,
) -> Option<Vec<RecordId>> {
    let reader = store.read().ok()?;
    let header = reader.name_snapshot_header().ok()??;
    if header.chunks == 0 {
        return None;
    }
    let plaintext = vault
        .open_name_snapshot(header.chunks, header.plaintext_len, &mut |n| {
            reader.name_snapshot_chunk(n).ok().flatten()
        })
        .ok()?;
    let (index, _) = NameIndex::read_snapshot(&plaintext).ok()?;
    Some(index.search_prefix(folded_prefix, usize::MAX))
}

/// The leading fields of a stored member record: all the name index needs. Records are
/// positional (postcard), so decoding this prefix skips the rest of the record unread.
#[derive(Deserialize)]
struct MemberNamePart {
    id: RecordId,
    _member_number: u64,
    wrapped_key: Sealed,
    name: Sealed,
}

/// Members per batch handed to a decrypting thread.
const BATCH: usize = 2048;

/// Reads every member's sealed name and decrypts on all cores: the scan stays on this
/// thread (redb transactions are not shared), the AEAD work goes to the workers.
fn read_all_names(store: &Store, vault: &UnlockedVault) -> Result<Loaded, StoreError> {
    let reader = store.read()?;
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Vec<u8>>>(workers * 2);
    let receiver = Mutex::new(receiver);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut entries = Vec::new();
                    let mut unindexed = Vec::new();
                    loop {
                        let batch = match receiver.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(poisoned) => poisoned.into_inner().recv(),
                        };
                        let Ok(batch) = batch else { break };
                        for bytes in batch {
                            match index_entry(vault, &bytes) {
                                Ok((member, tokens)) if tokens.iter().any(|t| !t.is_empty()) => {
                                    entries.push((member, tokens));
                                }
                                Ok((member, _)) | Err(Some(member)) => unindexed.push(member),
                                Err(None) => {}
                            }
                        }
                    }
                    (entries, unindexed)
                })
            })
            .collect();
        let mut batch = Vec::with_capacity(BATCH);
        let mut scanned_count = 0u64;
        let scanned = reader.scan_by_id(crate::store::schema::MEMBERS, &mut |_, bytes| {
            scanned_count += 1;
            batch.push(bytes.to_vec());
            if batch.len() == BATCH {
                // A closed channel means every worker is gone; the join below reports it.
                let _ = sender.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
            Ok(())
        });
        if !batch.is_empty() {
            let _ = sender.send(batch);
        }
        drop(sender);
        let mut index = NameIndex::new();
        let mut unindexed = HashSet::new();
        let mut parts = Vec::new();
        for handle in handles {
            if let Ok((entries, missing)) = handle.join() {
                unindexed.extend(missing);
                parts.push(entries);
            }
        }
        // The index only refuses beyond 4 GiB of names; a shop never gets there, and a
        // partial index still serves every other kind of lookup.
        let _ = index.bulk_load(parts.into_iter().flatten());
        scanned.map(|()| Loaded {
            index,
            unindexed,
            reread: 0,
        })
    })
}

/// A member's id and folded name tokens; `Err(Some(id))` for a member whose key or name
/// cannot be opened (left out of the index rather than stopping the build; `frontdesk verify`
/// reports such records), `Err(None)` for a record that does not decode.
fn index_entry(
    vault: &UnlockedVault,
    bytes: &[u8],
) -> Result<(RecordId, Vec<String>), Option<RecordId>> {
    let part: MemberNamePart = crate::store::decode_record("member", bytes).map_err(|_| None)?;
    open_name(vault, part.id, &part.wrapped_key, &part.name).ok_or(Some(part.id))
}

fn open_name(
    vault: &UnlockedVault,
    member: RecordId,
    wrapped_key: &Sealed,
    name: &Sealed,
) -> Option<(RecordId, Vec<String>)> {
    let key = vault.unwrap_member_key(wrapped_key, member).ok()?;
    let name = open_field_string(
        &key,
        FieldContext {
            table: "members",
            field: "name",
            record: member,
        },
        name,
    )
    .ok()?;
    Some((member, search_tokens(&name)))
}

/// Runs the one-time plate-tail backfill (a no-op on stores that have the tokens) after name
/// search is usable, so an old store's first unlock is not slowed by it. A failure leaves the
/// store unmarked and the next unlock tries again; meanwhile plates are still found when typed
/// with their province.
fn backfill(store: &Store, vault: &UnlockedVault) {
    let _ = super::members::backfill_plate_tails(store, vault);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::{Entropy, SeededEntropy};
    use crate::store::records::MemberRecord;
    use crate::vault::{MemberKey, StoreKey, seal_field};
    use chrono::{TimeZone, Utc};

    /// The index reads only a prefix of each member record; this breaks loudly if the
    /// record's leading fields are ever reordered.
    #[test]
    fn the_name_part_is_the_prefix_of_a_stored_member_record() {
        let entropy = SeededEntropy::new(3);
        let entropy: &dyn Entropy = &entropy;
        let vault = UnlockedVault::new(StoreKey::generate(entropy).unwrap());
        let at = Utc
            .with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
            .single()
            .unwrap();
        let id = RecordId::generate(at, entropy).unwrap();
        let key = MemberKey::generate(entropy).unwrap();
        let context = FieldContext {
            table: "members",
            field: "name",
            record: id,
        };
        let record = MemberRecord {
            id,
            member_number: 100_042,
            wrapped_key: vault.wrap_member_key(&key, id, entropy).unwrap(),
            name: seal_field(&key, context, "欧阳娜娜".as_bytes(), entropy).unwrap(),
            phone: None,
            email: None,
            birthday: None,
            notes: Some(seal_field(&key, context, b"x", entropy).unwrap()),
            index_tokens: vec![[7; 32]],
            created_at: at,
            updated_at: at,
        };
        let bytes = crate::store::encode_record(&record).unwrap();
        let (member, tokens) = index_entry(&vault, &bytes).unwrap();
        assert_eq!(member, id);
        assert_eq!(tokens, search_tokens("欧阳娜娜"));
    }

    fn built(member: RecordId, name: &str) -> Loaded {
        let mut index = NameIndex::new();
        index.bulk_load([(member, search_tokens(name))]).unwrap();
        Loaded {
            index,
            unindexed: HashSet::new(),
            reread: 0,
        }
    }

    #[test]
    fn a_removed_member_is_forgotten_even_while_the_index_builds() {
        let member = RecordId::from_u128(42);
        let names = NameSearch::default();
        names.finish_build(built(member, "Wilhelmina Quarrington"));
        assert_eq!(names.search("wilh", 10), vec![member]);
        names.remove(member);
        assert!(names.search("wilh", 10).is_empty());
        assert!(names.search("quarrington", 10).is_empty());

        // Erased while a build that read the member is still running: the build's result is
        // not allowed to bring the name back.
        let building = NameSearch::default();
        building.lock().building = true;
        building.remove(member);
        building.finish_build(built(member, "Wilhelmina Quarrington"));
        assert!(building.search("wilh", 10).is_empty());
    }
}
