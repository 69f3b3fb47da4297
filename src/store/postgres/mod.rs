//! The store on a PostgreSQL server, for a chain of shops: the same tables and bytes as the
//! redb file (ciphertexts, blind-index tokens, wrapped keys, plain operational numbers), so
//! the server and its dumps and replicas hold nothing a redb file would not. The vault stays
//! in frontdesk: the server never sees a key.

pub mod connect;
pub mod notify;
mod pool;
pub mod tables;
mod transaction;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

pub use connect::{ConnectSettings, names_postgres};
pub use notify::{ChangeHandler, ChangeNotice};
pub use transaction::PgTransaction;

use super::StoreError;
use super::schema::{META, META_SCHEMA_VERSION, SCHEMA_VERSION, read_version};
use pool::Pool;
use redb::TableHandle;

pub struct PgStore {
    pool: Arc<Pool>,
    listener: Mutex<Option<Arc<AtomicBool>>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("database", &self.pool.settings().describe())
            .finish()
    }
}

impl PgStore {
    /// Creates a store's tables in an empty database, in one transaction.
    pub fn create(settings: ConnectSettings) -> Result<PgStore, StoreError> {
        let store = Self::connected(settings)?;
        let tx = store.begin_write()?;
        tx.require_empty_database(store.describe())?;
        tx.create_tables()?;
        tx.insert(
            META.name(),
            META_SCHEMA_VERSION.as_bytes(),
            &SCHEMA_VERSION.to_le_bytes(),
        )?;
        tx.commit()?;
        Ok(store)
    }

    /// Creates a store's tables in an empty database and fills them with `fill`, all in one
    /// transaction: the database ends up holding the whole store or nothing. Returns what
    /// `fill` returns.
    pub fn create_filled<T>(
        settings: ConnectSettings,
        fill: impl FnOnce(&PgTransaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let store = Self::connected(settings)?;
        let tx = store.begin_write()?;
        tx.require_empty_database(store.describe())?;
        tx.create_tables()?;
        let filled = fill(&tx)?;
        tx.commit()?;
        Ok(filled)
    }

    /// Drops every frontdesk table from the database (a migration whose checks failed),
    /// leaving it empty again.
    pub fn remove_store(settings: ConnectSettings) -> Result<(), StoreError> {
        let store = Self::connected(settings)?;
        let tx = store.begin_write()?;
        for (name, _, _) in tables::all_tables() {
            tx.run(&format!(
                "DROP TABLE IF EXISTS {}",
                tables::table_name(name)
            ))?;
        }
        tx.commit()
    }

    /// Opens the store in a database that holds one at this version.
    pub fn open(settings: ConnectSettings) -> Result<PgStore, StoreError> {
        let store = Self::connected(settings)?;
        let tx = store.begin_read()?;
        if !tx.has_store_tables()? {
            return Err(StoreError::Postgres(format!(
                "the PostgreSQL database {} holds no frontdesk store; start a new chain there with `frontdesk init --store …`, move a shop's store file there with `frontdesk migrate --to …`, or restore a backup into it with `frontdesk restore --store …`",
                store.describe()
            )));
        }
        let version = match tx.get(META.name(), META_SCHEMA_VERSION.as_bytes())? {
            Some(bytes) => read_version(&bytes)?,
            None => {
                return Err(StoreError::Corrupt(
                    "the store has no schema version".to_owned(),
                ));
            }
        };
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerVersion {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version < SCHEMA_VERSION {
            return Err(StoreError::Postgres(format!(
                "the PostgreSQL store is at schema {version} and this frontdesk needs {SCHEMA_VERSION}; upgrading a PostgreSQL store in place is not supported yet: back it up with the older frontdesk and restore the backup into a new database"
            )));
        }
        drop(tx);
        Ok(store)
    }

    fn connected(settings: ConnectSettings) -> Result<PgStore, StoreError> {
        let origin = format!("{}-{}", std::process::id(), random_suffix());
        let pool = Arc::new(Pool::new(settings, origin));
        // Connect once now, so a wrong address is reported at start, not at the first screen.
        let first = pool.take()?;
        pool.give_back(first);
        Ok(PgStore {
            pool,
            listener: Mutex::new(None),
        })
    }

    pub fn describe(&self) -> &str {
        self.pool.settings().describe()
    }

    pub fn begin_read(&self) -> Result<PgTransaction, StoreError> {
        PgTransaction::begin_read(&self.pool)
    }

    pub fn begin_write(&self) -> Result<PgTransaction, StoreError> {
        PgTransaction::begin_write(&self.pool)
    }

    /// Calls `handler` with each change another process commits, until the store is dropped.
    /// A second call replaces the first handler.
    pub fn watch_other_processes(&self, handler: ChangeHandler) {
        let stop = notify::listen(
            self.pool.settings().clone(),
            self.pool.origin().to_owned(),
            handler,
        );
        let previous = self
            .listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(stop);
        if let Some(previous) = previous {
            previous.store(true, Ordering::Relaxed);
        }
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        if let Some(stop) = self
            .listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            stop.store(true, Ordering::Relaxed);
        }
    }
}

fn random_suffix() -> String {
    let mut bytes = [0u8; 6];
    // Only tells processes apart; a failure leaves zeros and the process id still differs.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl PgTransaction {
    fn require_empty_database(&self, described: &str) -> Result<(), StoreError> {
        if self.table_count()? > 0 {
            return Err(StoreError::DatabaseNotEmpty(described.to_owned()));
        }
        Ok(())
    }

    fn create_tables(&self) -> Result<(), StoreError> {
        for statement in tables::create_statements() {
            self.run(&statement)?;
        }
        Ok(())
    }

    fn has_store_tables(&self) -> Result<bool, StoreError> {
        self.table_exists(&tables::table_name(META.name()))
    }
}
