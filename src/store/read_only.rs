//! The store opened only to read, for `verify` and `backup` on a file this process may not
//! write (a read-only file, directory or file system). Nothing is migrated or repaired: the
//! file is opened read-only and left exactly as it was.

use std::path::{Path, PathBuf};

use redb::{DatabaseError, ReadOnlyDatabase, ReadableDatabase};

use super::{Sharing, Store, StoreError, StoreReader, builder, open_error, schema};

pub struct ReadOnlyStore {
    db: ReadOnlyDatabase,
    path: PathBuf,
}

impl std::fmt::Debug for ReadOnlyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOnlyStore")
            .field("path", &self.path)
            .finish()
    }
}

impl ReadOnlyStore {
    /// Opens the existing store in `dir` read-only.
    ///
    /// Always in redb's multi-process mode, the one `frontdesk serve` uses: there a reader
    /// never allocates, so it needs no allocator state, which redb's exclusive mode would
    /// insist on finding recorded by a two-phase commit this store does not use (and, lacking
    /// it, would refuse the file as needing a repair). It also shares the file with a running
    /// server; a process holding the store exclusively keeps it out ([`StoreError::InUse`]).
    pub fn open(dir: &Path) -> Result<ReadOnlyStore, StoreError> {
        if !dir.is_dir() {
            return Err(StoreError::DataDirMissing(dir.to_path_buf()));
        }
        let path = Store::file_in(dir);
        if !path.is_file() {
            return Err(StoreError::NotInitialised(dir.to_path_buf()));
        }
        let db = builder(Sharing::BesideServer).open_read_only(&path).map_err(|err| match err {
            DatabaseError::RepairAborted => StoreError::Io(format!(
                "{} needs a repair, which needs write access; make it writable and run `frontdesk verify` once",
                path.display()
            )),
            other => open_error(dir, &path, other),
        })?;
        let store = ReadOnlyStore { db, path };
        store.check_schema_version()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn read(&self) -> Result<StoreReader, StoreError> {
        Ok(StoreReader::new(self.db.begin_read()?))
    }

    /// A store of another schema would need migrating, which needs write access.
    fn check_schema_version(&self) -> Result<(), StoreError> {
        let tx = self.db.begin_read()?;
        let meta = tx.open_table(schema::META)?;
        let found = match meta.get(schema::META_SCHEMA_VERSION)? {
            Some(bytes) => schema::read_version(bytes.value())?,
            None => {
                return Err(StoreError::Corrupt(
                    "the store has no schema version".to_owned(),
                ));
            }
        };
        if found > schema::SCHEMA_VERSION {
            return Err(StoreError::NewerVersion {
                found,
                supported: schema::SCHEMA_VERSION,
            });
        }
        if found < schema::SCHEMA_VERSION {
            return Err(StoreError::DataDirNotWritable {
                path: self.path.clone(),
                reason: format!(
                    "the store is at schema {found} and must be upgraded to {}, which needs write access",
                    schema::SCHEMA_VERSION
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_open_reads_and_leaves_the_file_exactly_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path()).unwrap());
        let file = Store::file_in(dir.path());
        let bytes = std::fs::read(&file).unwrap();
        let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
        let store = ReadOnlyStore::open(dir.path()).unwrap();
        // Beside another reader, and without allocator state recorded by a two-phase commit.
        let beside = ReadOnlyStore::open(dir.path()).unwrap();
        drop(beside);
        let reader = store.read().unwrap();
        assert_eq!(reader.audit_stream().unwrap().count(), 0);
        drop(reader);
        drop(store);
        assert_eq!(std::fs::read(&file).unwrap(), bytes);
        assert_eq!(
            std::fs::metadata(&file).unwrap().modified().unwrap(),
            modified
        );
    }

    #[test]
    fn a_store_held_exclusively_is_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let held = Store::create(dir.path()).unwrap();
        let err = ReadOnlyStore::open(dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::InUse(_)), "{err}");
        drop(held);
        ReadOnlyStore::open(dir.path()).unwrap();
    }

    #[test]
    fn a_store_needing_an_upgrade_is_named_as_needing_write_access() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path()).unwrap());
        {
            let db = redb::Database::open(Store::file_in(dir.path())).unwrap();
            let tx = db.begin_write().unwrap();
            tx.open_table(schema::META)
                .unwrap()
                .insert(schema::META_SCHEMA_VERSION, 2u32.to_le_bytes().as_slice())
                .unwrap();
            tx.commit().unwrap();
        }
        let err = ReadOnlyStore::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("needs write access"), "{err}");
    }
}
