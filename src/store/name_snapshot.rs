//! The saved name index's rows: a sealed snapshot in chunks and the list of members changed
//! since it was saved. This module stores bytes only; sealing is the vault's, and deciding
//! when to save or rebuild is the service's.

use redb::{ReadableTable, ReadableTableMetadata, TableHandle};

use super::StoreError;
use super::postgres::tables as pgt;
use super::schema::{NAME_INDEX_DIRTY, NAME_INDEX_SNAPSHOT};
use super::transactions::{Engine, StoreReader, StoreWriter, WriteTx};
use crate::ids::RecordId;

const HEADER_ROW: u32 = 0;
const HEADER_FORMAT: u8 = 1;
const HEADER_LEN: usize = 1 + 4 + 8;

/// What row 0 says about the saved snapshot. Present (even with no chunks) means member
/// changes are being recorded in the change list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameSnapshotHeader {
    /// Sealed chunks in rows `1..=chunks`; 0 while no snapshot is saved.
    pub chunks: u32,
    /// Length of the whole plaintext, so it can be opened into one buffer.
    pub plaintext_len: u64,
}

impl NameSnapshotHeader {
    fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0] = HEADER_FORMAT;
        out[1..5].copy_from_slice(&self.chunks.to_le_bytes());
        out[5..].copy_from_slice(&self.plaintext_len.to_le_bytes());
        out
    }

    /// `None` for a header this version does not know: the caller rebuilds the index.
    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != HEADER_LEN || bytes[0] != HEADER_FORMAT {
            return None;
        }
        Some(Self {
            chunks: u32::from_le_bytes(bytes[1..5].try_into().ok()?),
            plaintext_len: u64::from_le_bytes(bytes[5..].try_into().ok()?),
        })
    }

    const TRACKING_ONLY: Self = Self {
        chunks: 0,
        plaintext_len: 0,
    };
}

/// Reads shared by both transaction kinds.
macro_rules! impl_name_snapshot_reads {
    ($transaction:ty) => {
        impl $transaction {
            /// The saved snapshot's header; `None` when nothing tracks name changes (an older
            /// store, a restored one, or one whose header this version cannot read).
            pub fn name_snapshot_header(&self) -> Result<Option<NameSnapshotHeader>, StoreError> {
                Ok(self
                    .name_snapshot_row(HEADER_ROW)?
                    .and_then(|bytes| NameSnapshotHeader::from_bytes(&bytes)))
            }

            fn name_snapshot_row(&self, row: u32) -> Result<Option<Vec<u8>>, StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => {
                        let table = tx.open_table(NAME_INDEX_SNAPSHOT)?;
                        let found = table.get(row)?;
                        Ok(found.map(|bytes| bytes.value().to_vec()))
                    }
                    Engine::Postgres(pg) => pg.get(NAME_INDEX_SNAPSHOT.name(), &pgt::u32_key(row)),
                }
            }

            /// Sealed chunk `n` (1-based) of the saved snapshot.
            pub fn name_snapshot_chunk(&self, n: u32) -> Result<Option<Vec<u8>>, StoreError> {
                if n == HEADER_ROW {
                    return Ok(None);
                }
                self.name_snapshot_row(n)
            }

            /// Members changed since the snapshot was saved, in id order.
            pub fn names_changed_since_snapshot(&self) -> Result<Vec<RecordId>, StoreError> {
                let mut ids = Vec::new();
                match self.engine() {
                    Engine::Redb(tx) => {
                        let table = tx.open_table(NAME_INDEX_DIRTY)?;
                        ids.reserve(usize::try_from(table.len()?).unwrap_or(0));
                        for item in table.iter()? {
                            let (id, _) = item?;
                            ids.push(RecordId::from_u128(id.value()));
                        }
                    }
                    Engine::Postgres(pg) => {
                        pg.scan(NAME_INDEX_DIRTY.name(), None, None, false, &mut |k, _| {
                            ids.push(RecordId::from_u128(pgt::read_u128(k)?));
                            Ok(true)
                        })?
                    }
                }
                Ok(ids)
            }
        }
    };
}

impl_name_snapshot_reads!(StoreReader);
impl_name_snapshot_reads!(StoreWriter);

impl StoreWriter {
    /// Records that these members' names may have changed, if a snapshot (or the build of
    /// one) is being tracked. Called in the same transaction as every write to the members
    /// table, so the snapshot plus this list always covers what the table holds.
    pub(super) fn note_names_changed(
        &mut self,
        members: impl IntoIterator<Item = u128>,
    ) -> Result<(), StoreError> {
        let tracking = self.name_snapshot_row(HEADER_ROW)?.is_some();
        match &self.tx {
            WriteTx::Redb(tx) => {
                if tracking {
                    let mut dirty = tx.open_table(NAME_INDEX_DIRTY)?;
                    for member in members {
                        dirty.insert(member, ())?;
                    }
                }
            }
            WriteTx::Postgres(pg) => {
                let members: Vec<u128> = members.into_iter().collect();
                if tracking {
                    for member in &members {
                        pg.insert(NAME_INDEX_DIRTY.name(), &pgt::u128_key(*member), &[])?;
                    }
                }
                pg.note_members_changed(members);
            }
        }
        Ok(())
    }

    /// Starts a fresh build: forgets any snapshot and change list, and from this commit on
    /// records every member change, so a build that reads the members after it can be saved
    /// without missing one written meanwhile.
    pub fn track_names_for_new_snapshot(&mut self) -> Result<(), StoreError> {
        self.replace_snapshot_rows(NameSnapshotHeader::TRACKING_ONLY.to_bytes().as_slice(), &[])?;
        self.replace_dirty(&[])
    }

    /// Deletes the saved snapshot (an erasure: the member's name must not outlive them in
    /// it) while still recording changes, so the next save needs no full rebuild.
    pub fn drop_name_snapshot(&mut self) -> Result<(), StoreError> {
        if self.name_snapshot_row(HEADER_ROW)?.is_none() {
            return Ok(());
        }
        self.replace_snapshot_rows(NameSnapshotHeader::TRACKING_ONLY.to_bytes().as_slice(), &[])
    }

    /// Replaces the snapshot with `chunks` (already sealed) and the change list with
    /// `still_changed`: the members whose stored name the snapshot does not yet reflect.
    pub fn put_name_snapshot(
        &mut self,
        plaintext_len: u64,
        chunks: &[Vec<u8>],
        still_changed: &[RecordId],
    ) -> Result<(), StoreError> {
        let count = u32::try_from(chunks.len()).map_err(|_| {
            StoreError::Corrupt("the name index snapshot has too many chunks".to_owned())
        })?;
        let header = NameSnapshotHeader {
            chunks: count,
            plaintext_len,
        };
        self.replace_snapshot_rows(header.to_bytes().as_slice(), chunks)?;
        self.replace_dirty(still_changed)
    }

    /// The snapshot table emptied, then `header` as row 0 and `chunks` as rows 1...
    fn replace_snapshot_rows(
        &mut self,
        header: &[u8],
        chunks: &[Vec<u8>],
    ) -> Result<(), StoreError> {
        match &self.tx {
            WriteTx::Redb(tx) => {
                let mut table = tx.open_table(NAME_INDEX_SNAPSHOT)?;
                table.retain(|_, _| false)?;
                table.insert(HEADER_ROW, header)?;
                for (n, chunk) in (1u32..).zip(chunks) {
                    table.insert(n, chunk.as_slice())?;
                }
            }
            WriteTx::Postgres(pg) => {
                pg.clear(NAME_INDEX_SNAPSHOT.name())?;
                pg.insert(
                    NAME_INDEX_SNAPSHOT.name(),
                    &pgt::u32_key(HEADER_ROW),
                    header,
                )?;
                for (n, chunk) in (1u32..).zip(chunks) {
                    pg.insert(NAME_INDEX_SNAPSHOT.name(), &pgt::u32_key(n), chunk)?;
                }
            }
        }
        Ok(())
    }

    fn replace_dirty(&mut self, members: &[RecordId]) -> Result<(), StoreError> {
        match &self.tx {
            WriteTx::Redb(tx) => {
                let mut dirty = tx.open_table(NAME_INDEX_DIRTY)?;
                dirty.retain(|_, _| false)?;
                for member in members {
                    dirty.insert(member.as_u128(), ())?;
                }
            }
            WriteTx::Postgres(pg) => {
                pg.clear(NAME_INDEX_DIRTY.name())?;
                for member in members {
                    pg.insert(
                        NAME_INDEX_DIRTY.name(),
                        &pgt::u128_key(member.as_u128()),
                        &[],
                    )?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_round_trips_and_unknown_formats_are_refused() {
        let header = NameSnapshotHeader {
            chunks: 3,
            plaintext_len: 9_000_000,
        };
        assert_eq!(
            NameSnapshotHeader::from_bytes(&header.to_bytes()),
            Some(header)
        );
        let mut other = header.to_bytes();
        other[0] = 2;
        assert_eq!(NameSnapshotHeader::from_bytes(&other), None);
        assert_eq!(NameSnapshotHeader::from_bytes(&other[..5]), None);
    }
}
