//! The in-memory name index's lifecycle: empty while the store is locked, built in the
//! background after the first login, and kept current by member changes — including those
//! made while the build is still running.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::domain::name::search_tokens;
use crate::ids::RecordId;
use serde::Deserialize;

use crate::store::{ReadAccess, Store, StoreError};
use crate::vault::{FieldContext, NameIndex, Sealed, UnlockedVault, open_field_string};

#[derive(Default)]
struct Inner {
    index: NameIndex,
    ready: bool,
    building: bool,
    /// Changes made while a build runs, replayed over its result (`None` = removed).
    pending: Vec<(RecordId, Option<Vec<String>>)>,
}

#[derive(Default)]
pub(super) struct NameSearch {
    inner: Mutex<Inner>,
    built: Condvar,
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

    /// Waits for the whole background job: the index, then the one-time plate-tail backfill.
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
        let _ = inner.index.replace(member, tokens);
    }

    /// Forgets an erased member: their name tokens leave the index at once.
    pub fn remove(&self, member: RecordId) {
        let mut inner = self.lock();
        if inner.building && !inner.ready {
            inner.pending.push((member, None));
        }
        inner.index.remove(member);
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
        // Only more than 4 GiB of names fails; search by phone, plate and number still works.
        let _ = inner.index.bulk_load(members);
    }

    /// Starts building from a snapshot of the store on a background thread; search by phone,
    /// plate or number works meanwhile, and name search once it is done.
    pub fn start_build(self: &Arc<Self>, store: Arc<Store>, vault: Arc<UnlockedVault>) {
        {
            let mut inner = self.lock();
            if inner.building || inner.ready {
                return;
            }
            inner.building = true;
        }
        let names = Arc::clone(self);
        let (thread_store, thread_vault) = (Arc::clone(&store), Arc::clone(&vault));
        let spawned = std::thread::Builder::new()
            .name("name-index".to_owned())
            .spawn(move || {
                let entries = read_all_names(&thread_store, &thread_vault).unwrap_or_default();
                names.finish_build(entries);
                backfill(&thread_store, &thread_vault);
                // The store is let go before waiters hear the job is done: one that then
                // closes the service may reopen the file at once.
                drop((thread_store, thread_vault));
                names.finish_job();
            });
        if spawned.is_err() {
            // No thread to spare: build here rather than leave name search dead.
            self.finish_build(read_all_names(&store, &vault).unwrap_or_default());
            backfill(&store, &vault);
            self.finish_job();
        }
    }

    fn finish_job(&self) {
        self.lock().building = false;
        self.built.notify_all();
    }

    fn finish_build(&self, entries: Vec<(RecordId, Vec<String>)>) {
        let mut inner = self.lock();
        let mut index = NameIndex::new();
        // The index only refuses beyond 4 GiB of names; a shop never gets there, and a
        // partial index still serves every other kind of lookup.
        let _ = index.bulk_load(entries);
        for (member, change) in std::mem::take(&mut inner.pending) {
            match change {
                Some(tokens) => {
                    let _ = index.replace(member, tokens);
                }
                None => {
                    index.remove(member);
                }
            }
        }
        inner.index = index;
        inner.ready = true;
    }
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
fn read_all_names(
    store: &Store,
    vault: &UnlockedVault,
) -> Result<Vec<(RecordId, Vec<String>)>, StoreError> {
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
                    loop {
                        let batch = match receiver.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(poisoned) => poisoned.into_inner().recv(),
                        };
                        let Ok(batch) = batch else { break };
                        for bytes in batch {
                            if let Some(entry) = index_entry(vault, &bytes) {
                                entries.push(entry);
                            }
                        }
                    }
                    entries
                })
            })
            .collect();
        let mut batch = Vec::with_capacity(BATCH);
        let scanned = reader.scan_by_id(crate::store::schema::MEMBERS, &mut |_, bytes| {
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
        let mut entries = Vec::new();
        for handle in handles {
            entries.extend(handle.join().unwrap_or_default());
        }
        scanned.map(|()| entries)
    })
}

/// A member whose key or name cannot be opened is left out of the index rather than
/// stopping the build; `frontdesk verify` reports such records.
fn index_entry(vault: &UnlockedVault, bytes: &[u8]) -> Option<(RecordId, Vec<String>)> {
    let part: MemberNamePart = crate::store::decode_record("member", bytes).ok()?;
    let key = vault.unwrap_member_key(&part.wrapped_key, part.id).ok()?;
    let name = open_field_string(
        &key,
        FieldContext {
            table: "members",
            field: "name",
            record: part.id,
        },
        &part.name,
    )
    .ok()?;
    Some((part.id, search_tokens(&name)))
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

    #[test]
    fn a_removed_member_is_forgotten_even_while_the_index_builds() {
        let member = RecordId::from_u128(42);
        let names = NameSearch::default();
        names.finish_build(vec![(member, search_tokens("Wilhelmina Quarrington"))]);
        assert_eq!(names.search("wilh", 10), vec![member]);
        names.remove(member);
        assert!(names.search("wilh", 10).is_empty());
        assert!(names.search("quarrington", 10).is_empty());

        // Erased while a build that read the member is still running: the build's result is
        // not allowed to bring the name back.
        let building = NameSearch::default();
        building.lock().building = true;
        building.remove(member);
        building.finish_build(vec![(member, search_tokens("Wilhelmina Quarrington"))]);
        assert!(building.search("wilh", 10).is_empty());
    }
}
