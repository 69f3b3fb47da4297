//! Connections kept open for reuse: a transaction takes one and gives it back when it ends
//! cleanly; a connection that failed is dropped and the next transaction opens a new one.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use postgres::types::ToSql;

use super::super::StoreError;
use super::connect::ConnectSettings;
use super::transaction::{StatementCache, statement_error};

/// At most this many connections per process, so a busy site cannot take every connection
/// the server allows (PostgreSQL's default is 100, shared by all sites).
const MAX_OPEN: usize = 40;

/// How long a transaction waits for a free connection before it gives up with a sentence.
const WAIT_FOR_CONNECTION: Duration = Duration::from_secs(30);

pub struct Pool {
    settings: ConnectSettings,
    connections: Mutex<Connections>,
    freed: Condvar,
    /// Tells this process's own change notices from other processes'.
    origin: String,
}

#[derive(Default)]
struct Connections {
    idle: Vec<PooledConnection>,
    /// Idle ones included.
    open: usize,
}

pub struct PooledConnection {
    client: postgres::Client,
    statements: StatementCache,
}

impl Pool {
    pub fn new(settings: ConnectSettings, origin: String) -> Pool {
        Pool {
            settings,
            connections: Mutex::new(Connections::default()),
            freed: Condvar::new(),
            origin,
        }
    }

    pub fn settings(&self) -> &ConnectSettings {
        &self.settings
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// A connection for one transaction: an idle one, a new one while fewer than
    /// [`MAX_OPEN`] are open, else the next one given back.
    pub fn take(&self) -> Result<PooledConnection, StoreError> {
        let mut connections = self.lock();
        loop {
            if let Some(connection) = connections.idle.pop() {
                if !connection.client.is_closed() {
                    return Ok(connection);
                }
                connections.open -= 1;
                continue;
            }
            if connections.open < MAX_OPEN {
                connections.open += 1;
                drop(connections);
                return match self.settings.connect() {
                    Ok(client) => Ok(PooledConnection {
                        client,
                        statements: StatementCache::default(),
                    }),
                    Err(err) => {
                        self.discard();
                        Err(err)
                    }
                };
            }
            let (next, waited) = self
                .freed
                .wait_timeout(connections, WAIT_FOR_CONNECTION)
                .unwrap_or_else(PoisonError::into_inner);
            connections = next;
            if waited.timed_out() && connections.idle.is_empty() && connections.open >= MAX_OPEN {
                return Err(StoreError::Postgres(format!(
                    "all {MAX_OPEN} connections to the PostgreSQL database are busy; try again in a moment"
                )));
            }
        }
    }

    /// A connection back after a transaction that ended cleanly.
    pub fn give_back(&self, connection: PooledConnection) {
        let mut connections = self.lock();
        if connection.client.is_closed() {
            connections.open -= 1;
        } else {
            connections.idle.push(connection);
        }
        drop(connections);
        self.freed.notify_one();
    }

    /// A connection that failed and was dropped: its place is free again.
    pub fn discard(&self) {
        let mut connections = self.lock();
        connections.open = connections.open.saturating_sub(1);
        drop(connections);
        self.freed.notify_one();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connections> {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl PooledConnection {
    pub fn run_batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.client.batch_execute(sql).map_err(statement_error)
    }

    pub fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, StoreError> {
        let statement = self.statements.prepared(&mut self.client, sql)?;
        self.client
            .query(&statement, params)
            .map_err(statement_error)
    }

    pub fn execute(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let statement = self.statements.prepared(&mut self.client, sql)?;
        self.client
            .execute(&statement, params)
            .map_err(statement_error)
    }
}
