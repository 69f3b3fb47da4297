//! Which store the commands open: the redb file in the data directory (one shop), or a
//! PostgreSQL database named by `--store` / `FRONTDESK_STORE` (a chain of shops). Chosen once
//! at start, so every command opens the store the same way.

use std::sync::OnceLock;

use super::CliError;
use crate::store::{Store, names_postgres};

static POSTGRES: OnceLock<Option<String>> = OnceLock::new();

/// Records `--store`; refuses a value that names neither engine.
pub fn choose(store: Option<String>) -> Result<(), CliError> {
    let postgres = match store {
        None => None,
        Some(location) if location.is_empty() || location == "file" => None,
        Some(location) if names_postgres(&location) => Some(location),
        Some(_) => {
            return Err(CliError::new(
                "--store takes a postgres://USER@HOST/DATABASE address, `postgres:` for the PG* variables, or `postgres:file=PATH`; leave it out to use the store file in --data",
            ));
        }
    };
    // A second call (tests that run the CLI in-process twice) keeps the first choice.
    let _ = POSTGRES.set(postgres);
    Ok(())
}

/// The PostgreSQL address chosen, when the store is on PostgreSQL.
pub fn postgres() -> Option<&'static str> {
    POSTGRES.get().and_then(|chosen| chosen.as_deref())
}

/// Opens the chosen PostgreSQL store (shared by every site's processes); `data` stays this
/// machine's directory for host keys, exports, receipts and backups.
pub fn open_postgres(location: &str, data: &std::path::Path) -> Result<Store, CliError> {
    Ok(Store::open_postgres(location, data)?)
}
