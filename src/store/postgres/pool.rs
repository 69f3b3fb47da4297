//! Connections kept open for reuse: a transaction takes one and gives it back when it ends
//! cleanly; a connection that failed is dropped and the next transaction opens a new one.

use std::sync::{Mutex, PoisonError};

use postgres::types::ToSql;

use super::super::StoreError;
use super::connect::ConnectSettings;
use super::transaction::{StatementCache, statement_error};

/// More idle connections than this are closed rather than kept.
const MAX_IDLE: usize = 32;

pub struct Pool {
    settings: ConnectSettings,
    idle: Mutex<Vec<PooledConnection>>,
    /// Tells this process's own change notices from other processes'.
    origin: String,
}

pub struct PooledConnection {
    client: postgres::Client,
    statements: StatementCache,
}

impl Pool {
    pub fn new(settings: ConnectSettings, origin: String) -> Pool {
        Pool {
            settings,
            idle: Mutex::new(Vec::new()),
            origin,
        }
    }

    pub fn settings(&self) -> &ConnectSettings {
        &self.settings
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn take(&self) -> Result<PooledConnection, StoreError> {
        let reused = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match reused {
            Some(connection) if !connection.client.is_closed() => Ok(connection),
            _ => Ok(PooledConnection {
                client: self.settings.connect()?,
                statements: StatementCache::default(),
            }),
        }
    }

    pub fn give_back(&self, connection: PooledConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE && !connection.client.is_closed() {
            idle.push(connection);
        }
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
