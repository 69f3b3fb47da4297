//! One PostgreSQL transaction on a pooled connection, offering the table operations redb
//! offers (get, insert, remove, ordered ranges, multimaps) over the `fd_*` tables.
//!
//! Writers take one advisory lock for the whole chain before anything else, so write
//! transactions from every process and site run one after another, exactly as redb's one
//! writer does: what a writer reads cannot change before it commits. Readers take a
//! repeatable-read snapshot and never wait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use postgres::types::ToSql;

use super::super::StoreError;
use super::connect::first_line;
use super::pool::{Pool, PooledConnection};
use super::tables::table_name;

/// The advisory lock every writer holds until it commits: "frontdes" in ASCII.
const WRITER_LOCK: i64 = 0x6672_6f6e_7464_6573;

/// How many rows one round trip of a scan brings; scans page through keys so the visitor
/// may read other rows in between and memory stays bounded.
const SCAN_PAGE: i64 = 2000;

/// The notification channel every process listens on (see `super::notify`).
pub const CHANGES_CHANNEL: &str = "frontdesk_changes";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Read,
    Write,
}

pub struct PgTransaction {
    connection: Mutex<Option<PooledConnection>>,
    pool: Arc<Pool>,
    mode: Mode,
    /// Members whose names this transaction changed, announced to other processes on commit.
    changed_members: Mutex<Vec<u128>>,
}

impl std::fmt::Debug for PgTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTransaction")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// One row: key and value bytes.
pub type Row = (Vec<u8>, Vec<u8>);

/// A page of rows.
type Rows = Vec<Row>;

/// Called with each row's key and value during a scan; `Ok(false)` stops it.
pub type RowVisitor<'a> = dyn FnMut(&[u8], &[u8]) -> Result<bool, StoreError> + 'a;

impl PgTransaction {
    pub(super) fn begin_read(pool: &Arc<Pool>) -> Result<PgTransaction, StoreError> {
        let mut connection = pool.take()?;
        match connection.run_batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {
            Ok(()) => Ok(Self::new(pool, connection, Mode::Read)),
            Err(err) => {
                pool.discard();
                Err(err)
            }
        }
    }

    pub(super) fn begin_write(pool: &Arc<Pool>) -> Result<PgTransaction, StoreError> {
        let mut connection = pool.take()?;
        let begun = connection
            .run_batch("BEGIN ISOLATION LEVEL READ COMMITTED")
            .and_then(|()| connection.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITER_LOCK]));
        match begun {
            Ok(_) => Ok(Self::new(pool, connection, Mode::Write)),
            Err(err) => {
                pool.discard();
                Err(err)
            }
        }
    }

    fn new(pool: &Arc<Pool>, connection: PooledConnection, mode: Mode) -> Self {
        PgTransaction {
            connection: Mutex::new(Some(connection)),
            pool: Arc::clone(pool),
            mode,
            changed_members: Mutex::new(Vec::new()),
        }
    }

    fn connection(&self) -> Result<MutexGuard<'_, Option<PooledConnection>>, StoreError> {
        let guard = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if guard.is_none() {
            return Err(StoreError::Postgres(
                "this PostgreSQL transaction has already ended".to_owned(),
            ));
        }
        Ok(guard)
    }

    fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, StoreError> {
        let mut guard = self.connection()?;
        match guard.as_mut() {
            Some(connection) => connection.query(sql, params),
            None => Err(StoreError::Postgres("no connection".to_owned())),
        }
    }

    fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        let mut guard = self.connection()?;
        match guard.as_mut() {
            Some(connection) => connection.execute(sql, params),
            None => Err(StoreError::Postgres("no connection".to_owned())),
        }
    }

    pub fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let sql = format!("SELECT v FROM {} WHERE k = $1", table_name(table));
        let rows = self.query(&sql, &[&key])?;
        Ok(rows.first().map(|row| row.get::<_, Vec<u8>>(0)))
    }

    pub fn insert(&self, table: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO {} (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v",
            table_name(table)
        );
        self.execute(&sql, &[&key, &value])?;
        Ok(())
    }

    /// Many rows in one statement each per page (imports and restores).
    pub fn insert_many(&self, table: &str, rows: &[(Vec<u8>, Vec<u8>)]) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO {} (k, v) SELECT * FROM unnest($1::bytea[], $2::bytea[]) \
             ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v",
            table_name(table)
        );
        for page in rows.chunks(5000) {
            let keys: Vec<&[u8]> = page.iter().map(|(k, _)| k.as_slice()).collect();
            let values: Vec<&[u8]> = page.iter().map(|(_, v)| v.as_slice()).collect();
            self.execute(&sql, &[&keys, &values])?;
        }
        Ok(())
    }

    pub fn multi_insert_many(
        &self,
        table: &str,
        rows: &[(Vec<u8>, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO {} (k, v) SELECT * FROM unnest($1::bytea[], $2::bytea[]) ON CONFLICT DO NOTHING",
            table_name(table)
        );
        for page in rows.chunks(5000) {
            let keys: Vec<&[u8]> = page.iter().map(|(k, _)| k.as_slice()).collect();
            let values: Vec<&[u8]> = page.iter().map(|(_, v)| v.as_slice()).collect();
            self.execute(&sql, &[&keys, &values])?;
        }
        Ok(())
    }

    pub fn remove(&self, table: &str, key: &[u8]) -> Result<bool, StoreError> {
        let sql = format!("DELETE FROM {} WHERE k = $1", table_name(table));
        Ok(self.execute(&sql, &[&key])? > 0)
    }

    /// Every row removed from a table.
    pub fn clear(&self, table: &str) -> Result<(), StoreError> {
        self.execute(&format!("DELETE FROM {}", table_name(table)), &[])?;
        Ok(())
    }

    pub fn count(&self, table: &str) -> Result<u64, StoreError> {
        let rows = self.query(&format!("SELECT count(*) FROM {}", table_name(table)), &[])?;
        let count: i64 = rows.first().map(|row| row.get(0)).unwrap_or(0);
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// The row with the largest key.
    pub fn last(&self, table: &str) -> Result<Option<Row>, StoreError> {
        let sql = format!(
            "SELECT k, v FROM {} ORDER BY k DESC LIMIT 1",
            table_name(table)
        );
        let rows = self.query(&sql, &[])?;
        Ok(rows.first().map(|row| (row.get(0), row.get(1))))
    }

    /// Rows with keys in `from..to` (either end open with `None`), in key order or, with
    /// `reverse`, from the largest; the visitor returns `Ok(false)` to stop.
    pub fn scan(
        &self,
        table: &str,
        from: Option<&[u8]>,
        to: Option<&[u8]>,
        reverse: bool,
        visit: &mut RowVisitor<'_>,
    ) -> Result<(), StoreError> {
        let name = table_name(table);
        let mut lower: Option<(Vec<u8>, bool)> = from.map(|k| (k.to_vec(), true));
        let mut upper: Option<(Vec<u8>, bool)> = to.map(|k| (k.to_vec(), false));
        loop {
            let page = self.page(&name, lower.as_ref(), upper.as_ref(), reverse)?;
            let full = page.len() as i64 == SCAN_PAGE;
            let last_key = page.last().map(|(k, _)| k.clone());
            for (key, value) in &page {
                if !visit(key, value)? {
                    return Ok(());
                }
            }
            match (full, last_key) {
                (true, Some(last)) => {
                    if reverse {
                        upper = Some((last, false));
                    } else {
                        lower = Some((last, false));
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn page(
        &self,
        table: &str,
        lower: Option<&(Vec<u8>, bool)>,
        upper: Option<&(Vec<u8>, bool)>,
        reverse: bool,
    ) -> Result<Rows, StoreError> {
        let mut conditions = Vec::new();
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::new();
        if let Some((key, inclusive)) = lower {
            params.push(key);
            conditions.push(format!(
                "k {} ${}",
                if *inclusive { ">=" } else { ">" },
                params.len()
            ));
        }
        if let Some((key, inclusive)) = upper {
            params.push(key);
            conditions.push(format!(
                "k {} ${}",
                if *inclusive { "<=" } else { "<" },
                params.len()
            ));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let order = if reverse { "DESC" } else { "ASC" };
        let sql = format!("SELECT k, v FROM {table} {filter} ORDER BY k {order} LIMIT {SCAN_PAGE}");
        let rows = self.query(&sql, &params)?;
        Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
    }

    /// The values under `key` in a multimap table, in value order.
    pub fn multi_get(&self, table: &str, key: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        let sql = format!(
            "SELECT v FROM {} WHERE k = $1 ORDER BY v",
            table_name(table)
        );
        Ok(self
            .query(&sql, &[&key])?
            .iter()
            .map(|row| row.get(0))
            .collect())
    }

    pub fn multi_insert(&self, table: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO {} (k, v) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            table_name(table)
        );
        self.execute(&sql, &[&key, &value])?;
        Ok(())
    }

    pub fn multi_remove(&self, table: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let sql = format!("DELETE FROM {} WHERE k = $1 AND v = $2", table_name(table));
        self.execute(&sql, &[&key, &value])?;
        Ok(())
    }

    /// Removes every value under `key`; returns them in value order.
    pub fn multi_remove_all(&self, table: &str, key: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        let sql = format!("DELETE FROM {} WHERE k = $1 RETURNING v", table_name(table));
        let mut values: Vec<Vec<u8>> = self
            .query(&sql, &[&key])?
            .iter()
            .map(|row| row.get(0))
            .collect();
        values.sort();
        Ok(values)
    }

    /// Every (key, value) pair of a multimap table in key then value order.
    pub fn multi_scan(&self, table: &str, visit: &mut RowVisitor<'_>) -> Result<(), StoreError> {
        let name = table_name(table);
        let mut after: Option<(Vec<u8>, Vec<u8>)> = None;
        loop {
            let rows = match &after {
                None => self.query(
                    &format!("SELECT k, v FROM {name} ORDER BY k, v LIMIT {SCAN_PAGE}"),
                    &[],
                )?,
                Some((k, v)) => self.query(
                    &format!(
                        "SELECT k, v FROM {name} WHERE (k, v) > ($1, $2) ORDER BY k, v LIMIT {SCAN_PAGE}"
                    ),
                    &[k, v],
                )?,
            };
            let page: Rows = rows.iter().map(|row| (row.get(0), row.get(1))).collect();
            for (key, value) in &page {
                if !visit(key, value)? {
                    return Ok(());
                }
            }
            if page.len() as i64 != SCAN_PAGE {
                return Ok(());
            }
            after = page.last().cloned();
        }
    }

    /// Notes members whose names changed, for the other processes' name indexes.
    pub fn note_members_changed(&self, members: impl IntoIterator<Item = u128>) {
        self.changed_members
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(members);
    }

    /// Makes the change durable (with the server's `synchronous_commit`) and tells every
    /// other process what changed.
    pub fn commit(self) -> Result<(), StoreError> {
        let mut connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| StoreError::Postgres("the transaction has already ended".to_owned()))?;
        let mut finish = || -> Result<(), StoreError> {
            if self.mode == Mode::Write {
                let members = std::mem::take(
                    &mut *self
                        .changed_members
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner),
                );
                let payload = super::notify::change_payload(self.pool.origin(), &members);
                connection.execute("SELECT pg_notify($1, $2)", &[&CHANGES_CHANNEL, &payload])?;
            }
            connection.run_batch("COMMIT")
        };
        match finish() {
            Ok(()) => {
                self.pool.give_back(connection);
                Ok(())
            }
            Err(err) => {
                // The server rolls a failed transaction back when the connection goes.
                drop(connection);
                self.pool.discard();
                Err(err)
            }
        }
    }
}

impl Drop for PgTransaction {
    fn drop(&mut self) {
        let taken = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(mut connection) = taken {
            if connection.run_batch("ROLLBACK").is_ok() {
                self.pool.give_back(connection);
            } else {
                drop(connection);
                self.pool.discard();
            }
        }
    }
}

/// The store's sentence for a failed statement: a conflict to retry, a lost server, or the
/// database's own message.
pub(super) fn statement_error(err: postgres::Error) -> StoreError {
    use postgres::error::SqlState;
    match err.code() {
        Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE => StoreError::WriteConflict,
        Some(code) if *code == SqlState::T_R_DEADLOCK_DETECTED => StoreError::WriteConflict,
        Some(code) if *code == SqlState::DISK_FULL => StoreError::DiskFull,
        _ if err.is_closed() => StoreError::Postgres(
            "the connection to the PostgreSQL server was lost: nothing of this change was saved; check the server and try again".to_owned(),
        ),
        _ => StoreError::Postgres(format!(
            "the PostgreSQL server refused a step ({}): nothing of this change was saved",
            first_line(&err)
        )),
    }
}

/// Per-connection prepared statements, so each SQL text is parsed once per connection.
#[derive(Default)]
pub(super) struct StatementCache {
    statements: HashMap<String, postgres::Statement>,
}

impl StatementCache {
    pub(super) fn prepared(
        &mut self,
        client: &mut postgres::Client,
        sql: &str,
    ) -> Result<postgres::Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql).map_err(statement_error)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

impl PgTransaction {
    /// Runs one statement without parameters (table creation).
    pub(super) fn run(&self, sql: &str) -> Result<(), StoreError> {
        self.execute(sql, &[])?;
        Ok(())
    }

    /// Tables in the connection's schema, frontdesk's or not.
    pub(super) fn table_count(&self) -> Result<i64, StoreError> {
        let rows = self.query(
            "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()",
            &[],
        )?;
        Ok(rows.first().map(|row| row.get(0)).unwrap_or(0))
    }

    pub(super) fn table_exists(&self, table: &str) -> Result<bool, StoreError> {
        let rows = self.query(
            "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1",
            &[&table],
        )?;
        Ok(rows.first().map(|row| row.get::<_, i64>(0)).unwrap_or(0) > 0)
    }
}
