//! Every table's raw key and value bytes, read from one consistent snapshot and written back
//! into a fresh file: the store side of backup and restore. What the bytes mean is not looked
//! at here; they leave and come back exactly as redb holds them.

use redb::{
    Key, MultimapTableDefinition, MultimapTableHandle, ReadTransaction, ReadableMultimapTable,
    ReadableTable, TableDefinition, TableError, TableHandle, Value, WriteTransaction,
};

use super::StoreError;
use super::postgres::PgTransaction;
use super::postgres::tables as pgt;
use super::schema::*;
use super::transactions::{ReadTx, StoreReader, StoreWriter, WriteTx};

/// One row's key and value bytes, exactly as redb stores them.
pub type RawRow = (Vec<u8>, Vec<u8>);

/// Whether a table maps each key to one value or to a set of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Plain,
    Multimap,
}

impl TableKind {
    pub fn as_byte(self) -> u8 {
        match self {
            TableKind::Plain => 0,
            TableKind::Multimap => 1,
        }
    }

    pub fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(TableKind::Plain),
            1 => Some(TableKind::Multimap),
            _ => None,
        }
    }
}

/// What an export hands its sink, in order: for each table, its start, its rows (a multimap
/// gives one row per key/value pair), and its end with the number of rows.
#[derive(Debug)]
pub enum SnapshotEvent<'a> {
    TableStart { name: &'a str, kind: TableKind },
    Row { key: &'a [u8], value: &'a [u8] },
    TableEnd { rows: u64 },
}

/// One list drives export, load and the completeness check, so a table added to the schema
/// and forgotten here makes backups refuse to run instead of silently leaving it out.
macro_rules! snapshot_tables {
    (plain: [$($plain:ident),* $(,)?], multimap: [$($multi:ident),* $(,)?]) => {
        /// Every table a backup carries, in the order it writes them.
        pub fn known_tables() -> Vec<(&'static str, TableKind)> {
            vec![
                $(($plain.name(), TableKind::Plain),)*
                $(($multi.name(), TableKind::Multimap),)*
            ]
        }

        fn export_known<E: From<StoreError>>(
            tx: &ReadTransaction,
            sink: &mut dyn FnMut(SnapshotEvent<'_>) -> Result<(), E>,
        ) -> Result<(), E> {
            $(export_plain(tx, $plain, sink)?;)*
            $(export_multimap(tx, $multi, sink)?;)*
            Ok(())
        }

        /// `Ok(false)` when no known table has this name and kind.
        fn load_known(
            tx: &WriteTransaction,
            name: &str,
            kind: TableKind,
            rows: &[RawRow],
        ) -> Result<bool, StoreError> {
            $(if kind == TableKind::Plain && name == $plain.name() {
                load_plain(tx, $plain, rows)?;
                return Ok(true);
            })*
            $(if kind == TableKind::Multimap && name == $multi.name() {
                load_multimap(tx, $multi, rows)?;
                return Ok(true);
            })*
            Ok(false)
        }
    };
}

snapshot_tables!(
    plain: [
        META, STAFF, STAFF_BY_USERNAME, LOGIN_THROTTLE, MEMBERS, VEHICLES, AUDIT, BAYS, SERVICES,
        BOOKINGS, BAY_SCHEDULE, VISITS, LEDGER, MEMBER_STATS, PLANS, PACKAGES, PLAN_USAGE, SALES,
        CONSENTS, STAFF_SSH_KEYS, PRODUCTS, RECEIPTS, SHIFTS, OPEN_SHIFTS, STAFF_ENROLMENTS,
        MEMBER_TOMBSTONES, ERASURES, DAILY_TOTALS, ALERTS, ALERT_STATE,
    ],
    multimap: [
        MEMBER_VEHICLES, BLIND_INDEX, MEMBER_BOOKINGS, MEMBER_VISITS, VEHICLE_VISITS,
        MEMBER_PLANS, MEMBER_PACKAGES,
    ]
);

fn export_plain<K: Key + 'static, V: Value + 'static, E: From<StoreError>>(
    tx: &ReadTransaction,
    table: TableDefinition<K, V>,
    sink: &mut dyn FnMut(SnapshotEvent<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let opened = match tx.open_table(table) {
        Ok(opened) => opened,
        // A table an older schema never created has nothing to carry.
        Err(TableError::TableDoesNotExist(_)) => return Ok(()),
        Err(err) => return Err(StoreError::from(err).into()),
    };
    sink(SnapshotEvent::TableStart {
        name: table.name(),
        kind: TableKind::Plain,
    })?;
    let mut rows = 0u64;
    for item in opened.iter().map_err(StoreError::from)? {
        let (key, value) = item.map_err(StoreError::from)?;
        sink(SnapshotEvent::Row {
            key: K::as_bytes(&key.value()).as_ref(),
            value: V::as_bytes(&value.value()).as_ref(),
        })?;
        rows += 1;
    }
    sink(SnapshotEvent::TableEnd { rows })
}

fn export_multimap<K: Key + 'static, V: Key + 'static, E: From<StoreError>>(
    tx: &ReadTransaction,
    table: MultimapTableDefinition<K, V>,
    sink: &mut dyn FnMut(SnapshotEvent<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let opened = match tx.open_multimap_table(table) {
        Ok(opened) => opened,
        Err(TableError::TableDoesNotExist(_)) => return Ok(()),
        Err(err) => return Err(StoreError::from(err).into()),
    };
    sink(SnapshotEvent::TableStart {
        name: table.name(),
        kind: TableKind::Multimap,
    })?;
    let mut rows = 0u64;
    for item in opened.iter().map_err(StoreError::from)? {
        let (key, values) = item.map_err(StoreError::from)?;
        let key = key.value();
        for value in values {
            let value = value.map_err(StoreError::from)?;
            sink(SnapshotEvent::Row {
                key: K::as_bytes(&key).as_ref(),
                value: V::as_bytes(&value.value()).as_ref(),
            })?;
            rows += 1;
        }
    }
    sink(SnapshotEvent::TableEnd { rows })
}

/// redb's `from_bytes` trusts its input (it panics on a wrong length or invalid UTF-8), so
/// bytes from a file are checked against the column's type first.
fn fits<T: Value>(bytes: &[u8]) -> bool {
    match T::fixed_width() {
        Some(width) => bytes.len() == width,
        None if T::type_name() == <&str as Value>::type_name() => {
            std::str::from_utf8(bytes).is_ok()
        }
        None => T::type_name() == <&[u8] as Value>::type_name(),
    }
}

fn misfit(table: &str) -> StoreError {
    StoreError::Corrupt(format!(
        "a row for table `{table}` does not fit the table's layout"
    ))
}

fn load_plain<K: Key + 'static, V: Value + 'static>(
    tx: &WriteTransaction,
    table: TableDefinition<K, V>,
    rows: &[RawRow],
) -> Result<(), StoreError> {
    let mut opened = tx.open_table(table)?;
    for (key, value) in rows {
        if !fits::<K>(key) || !fits::<V>(value) {
            return Err(misfit(table.name()));
        }
        opened.insert(K::from_bytes(key), V::from_bytes(value))?;
    }
    Ok(())
}

fn load_multimap<K: Key + 'static, V: Key + 'static>(
    tx: &WriteTransaction,
    table: MultimapTableDefinition<K, V>,
    rows: &[RawRow],
) -> Result<(), StoreError> {
    let mut opened = tx.open_multimap_table(table)?;
    for (key, value) in rows {
        if !fits::<K>(key) || !fits::<V>(value) {
            return Err(misfit(table.name()));
        }
        opened.insert(K::from_bytes(key), V::from_bytes(value))?;
    }
    Ok(())
}

/// Derived tables a backup leaves out: the saved name index (sealed, rebuilt by the restored
/// store's first unlock) and its change list.
fn not_backed_up(name: &str) -> bool {
    name == NAME_INDEX_SNAPSHOT.name() || name == NAME_INDEX_DIRTY.name()
}

/// The same events as a redb export, in the same table and row order, with redb's bytes:
/// a backup made from PostgreSQL is the backup the redb file would give.
fn export_from_postgres<E: From<StoreError>>(
    pg: &PgTransaction,
    sink: &mut dyn FnMut(SnapshotEvent<'_>) -> Result<(), E>,
) -> Result<(), E> {
    for (name, kind) in known_tables() {
        let (_, shape) = pgt::shape_of(name)
            .ok_or_else(|| StoreError::Corrupt(format!("no PostgreSQL layout for `{name}`")))?;
        sink(SnapshotEvent::TableStart { name, kind })?;
        let mut rows = 0u64;
        // The sink's error type is the caller's; keep it aside while the scan runs.
        let mut failed: Option<E> = None;
        let mut emit = |key: &[u8], value: &[u8]| -> Result<bool, StoreError> {
            let key = pgt::key_to_redb(shape, key)?;
            let value = match kind {
                TableKind::Plain => value.to_vec(),
                TableKind::Multimap => pgt::multimap_value_to_redb(value)?,
            };
            match sink(SnapshotEvent::Row {
                key: &key,
                value: &value,
            }) {
                Ok(()) => {
                    rows += 1;
                    Ok(true)
                }
                Err(err) => {
                    failed = Some(err);
                    Ok(false)
                }
            }
        };
        match kind {
            TableKind::Plain => pg.scan(name, None, None, false, &mut emit)?,
            TableKind::Multimap => pg.multi_scan(name, &mut emit)?,
        }
        if let Some(err) = failed {
            return Err(err);
        }
        sink(SnapshotEvent::TableEnd { rows })?;
    }
    Ok(())
}

fn load_into_postgres(
    pg: &PgTransaction,
    name: &str,
    kind: TableKind,
    rows: &[RawRow],
) -> Result<(), StoreError> {
    let Some((known_kind, shape)) = pgt::shape_of(name).filter(|_| !not_backed_up(name)) else {
        return Err(StoreError::Corrupt(format!(
            "the snapshot holds a table `{name}` this version of frontdesk does not know"
        )));
    };
    if known_kind != kind {
        return Err(misfit(name));
    }
    let mut converted = Vec::with_capacity(rows.len());
    for (key, value) in rows {
        let key = pgt::key_from_redb(shape, key).map_err(|_| misfit(name))?;
        let value = match kind {
            TableKind::Plain => value.clone(),
            TableKind::Multimap => {
                pgt::multimap_value_from_redb(value).map_err(|_| misfit(name))?
            }
        };
        converted.push((key, value));
    }
    match kind {
        TableKind::Plain => pg.insert_many(name, &converted),
        TableKind::Multimap => pg.multi_insert_many(name, &converted),
    }
}

/// Rows a migration hands PostgreSQL per statement batch.
const COPY_BATCH: usize = 10_000;

/// Every table `reader` exports, loaded into `pg` (a migration); each table's row count is
/// checked in `pg` before the caller commits.
pub(super) fn copy_tables(
    reader: &StoreReader,
    pg: &PgTransaction,
) -> Result<Vec<(String, u64)>, StoreError> {
    let mut copied: Vec<(String, u64)> = Vec::new();
    let mut current: Option<(String, TableKind)> = None;
    let mut batch: Vec<RawRow> = Vec::new();
    reader.export_tables(&mut |event| -> Result<(), StoreError> {
        match event {
            SnapshotEvent::TableStart { name, kind } => {
                current = Some((name.to_owned(), kind));
            }
            SnapshotEvent::Row { key, value } => {
                batch.push((key.to_vec(), value.to_vec()));
                if batch.len() == COPY_BATCH
                    && let Some((name, kind)) = &current
                {
                    load_into_postgres(pg, name, *kind, &batch)?;
                    batch.clear();
                }
            }
            SnapshotEvent::TableEnd { rows } => {
                if let Some((name, kind)) = current.take() {
                    load_into_postgres(pg, &name, kind, &batch)?;
                    batch.clear();
                    copied.push((name, rows));
                }
            }
        }
        Ok(())
    })?;
    for (name, rows) in &copied {
        let landed = pg.count(name)?;
        if landed != *rows {
            return Err(StoreError::Corrupt(format!(
                "table `{name}` has {landed} rows in PostgreSQL after copying {rows}"
            )));
        }
    }
    Ok(copied)
}

impl StoreReader {
    /// Hands every table's rows to `sink`, all from this one snapshot. Refuses a store holding
    /// a table the list above does not know, rather than back up only part of it.
    pub fn export_tables<E: From<StoreError>>(
        &self,
        sink: &mut dyn FnMut(SnapshotEvent<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let tx = match &self.tx {
            ReadTx::Redb(tx) => tx,
            ReadTx::Postgres(pg) => return export_from_postgres(pg, sink),
        };
        let known = known_tables();
        let is_known = |name: &str, kind| {
            known.iter().any(|&(n, k)| n == name && k == kind)
                || (kind == TableKind::Plain && not_backed_up(name))
        };
        let plain = tx.list_tables().map_err(StoreError::from)?;
        let multimap = tx.list_multimap_tables().map_err(StoreError::from)?;
        let present = plain
            .map(|t| (t.name().to_owned(), TableKind::Plain))
            .chain(multimap.map(|t| (t.name().to_owned(), TableKind::Multimap)));
        for (name, kind) in present {
            if !is_known(&name, kind) {
                return Err(StoreError::Corrupt(format!(
                    "the store holds a table `{name}` that backups do not cover; update frontdesk before making a backup"
                ))
                .into());
            }
        }
        export_known(tx, sink)
    }
}

impl StoreWriter {
    /// Inserts raw rows exported by [`StoreReader::export_tables`] into the named table.
    /// Refuses a table name this version does not know and rows that do not fit its layout.
    pub fn load_table_rows(
        &mut self,
        name: &str,
        kind: TableKind,
        rows: &[RawRow],
    ) -> Result<(), StoreError> {
        if let WriteTx::Postgres(pg) = &self.tx {
            return load_into_postgres(pg, name, kind, rows);
        }
        if load_known(self.raw_transaction()?, name, kind, rows)? {
            Ok(())
        } else {
            Err(StoreError::Corrupt(format!(
                "the snapshot holds a table `{name}` this version of frontdesk does not know"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn export(store: &Store) -> Vec<(String, TableKind, Vec<RawRow>)> {
        let mut tables = Vec::new();
        store
            .read()
            .unwrap()
            .export_tables(&mut |event| -> Result<(), StoreError> {
                match event {
                    SnapshotEvent::TableStart { name, kind } => {
                        tables.push((name.to_owned(), kind, Vec::new()))
                    }
                    SnapshotEvent::Row { key, value } => tables
                        .last_mut()
                        .unwrap()
                        .2
                        .push((key.to_vec(), value.to_vec())),
                    SnapshotEvent::TableEnd { rows } => {
                        assert_eq!(tables.last().unwrap().2.len() as u64, rows)
                    }
                }
                Ok(())
            })
            .unwrap();
        tables
    }

    #[test]
    fn every_table_a_new_store_has_is_exported_but_the_derived_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let exported: Vec<_> = export(&store)
            .into_iter()
            .map(|(name, kind, _)| (name, kind))
            .collect();
        let reader = store.read().unwrap();
        let ReadTx::Redb(tx) = &reader.tx else {
            unreachable!("a store file")
        };
        let mut present: Vec<_> = tx
            .list_tables()
            .unwrap()
            .map(|t| (t.name().to_owned(), TableKind::Plain))
            .chain(
                tx.list_multimap_tables()
                    .unwrap()
                    .map(|t| (t.name().to_owned(), TableKind::Multimap)),
            )
            .filter(|(name, _)| !not_backed_up(name))
            .collect();
        present.sort_by(|a, b| a.0.cmp(&b.0));
        assert!(!exported.iter().any(|(name, _)| not_backed_up(name)));
        let mut sorted = exported.clone();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(sorted, present);
        assert_eq!(exported.len(), known_tables().len());
    }

    #[test]
    fn rows_come_back_byte_for_byte() {
        let source_dir = tempfile::tempdir().unwrap();
        let source = Store::create(source_dir.path()).unwrap();
        {
            let mut writer = source.write().unwrap();
            let tx = writer.raw_transaction().unwrap();
            tx.open_table(VISITS)
                .unwrap()
                .insert(7u128, b"visit".as_slice())
                .unwrap();
            tx.open_table(LEDGER)
                .unwrap()
                .insert((7u128, 2u64), b"entry".as_slice())
                .unwrap();
            tx.open_table(STAFF_BY_USERNAME)
                .unwrap()
                .insert("owner", 9u128)
                .unwrap();
            let mut links = tx.open_multimap_table(MEMBER_VISITS).unwrap();
            links.insert(1u128, 7u128).unwrap();
            links.insert(1u128, 8u128).unwrap();
            drop(links);
            writer.commit().unwrap();
        }
        let exported = export(&source);
        let target_dir = tempfile::tempdir().unwrap();
        let target = Store::create(target_dir.path()).unwrap();
        let mut writer = target.write().unwrap();
        for (name, kind, rows) in &exported {
            writer.load_table_rows(name, *kind, rows).unwrap();
        }
        writer.commit().unwrap();
        assert_eq!(export(&target), exported);
    }

    #[test]
    fn rows_that_do_not_fit_and_unknown_tables_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let mut writer = store.write().unwrap();
        let short_key = vec![(vec![1, 2, 3], b"x".to_vec())];
        assert!(
            writer
                .load_table_rows("visits", TableKind::Plain, &short_key)
                .is_err()
        );
        let bad_text = vec![(vec![0xff, 0xfe], 9u128.to_le_bytes().to_vec())];
        assert!(
            writer
                .load_table_rows("staff_by_username", TableKind::Plain, &bad_text)
                .is_err()
        );
        assert!(
            writer
                .load_table_rows("visits", TableKind::Multimap, &[])
                .is_err()
        );
        assert!(
            writer
                .load_table_rows("secrets", TableKind::Plain, &[])
                .is_err()
        );
    }
}
