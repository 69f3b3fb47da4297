//! The in-memory name index's lifecycle: empty while the store is locked, built in the
//! background after the first login, and kept current by member changes — including those
//! made while the build is still running.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::domain::name::search_tokens;
use crate::ids::RecordId;
use crate::store::records::MemberRecord;
use crate::store::{ReadAccess, Store, StoreError};
use crate::vault::{FieldContext, NameIndex, UnlockedVault, open_field_string};

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

    pub fn wait_until_ready(&self) {
        let mut inner = self.lock();
        while inner.building && !inner.ready {
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
            });
        if spawned.is_err() {
            // No thread to spare: build here rather than leave name search dead.
            self.finish_build(read_all_names(&store, &vault).unwrap_or_default());
        }
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
        inner.building = false;
        self.built.notify_all();
    }
}

fn read_all_names(
    store: &Store,
    vault: &UnlockedVault,
) -> Result<Vec<(RecordId, Vec<String>)>, StoreError> {
    let reader = store.read()?;
    let mut entries = Vec::new();
    reader.scan_by_id(crate::store::schema::MEMBERS, &mut |_, bytes| {
        let record: MemberRecord = crate::store::decode_record("member", bytes)?;
        if let Some(name) = decrypt_name(vault, &record) {
            entries.push((record.id, search_tokens(&name)));
        }
        Ok(())
    })?;
    Ok(entries)
}

/// A member whose key or name cannot be opened is left out of the index rather than
/// stopping the build; `frontdesk verify` reports such records.
fn decrypt_name(vault: &UnlockedVault, record: &MemberRecord) -> Option<String> {
    let key = vault
        .unwrap_member_key(&record.wrapped_key, record.id)
        .ok()?;
    let name = open_field_string(
        &key,
        FieldContext {
            table: "members",
            field: "name",
            record: record.id,
        },
        &record.name,
    )
    .ok()?;
    Some(name.to_string())
}
