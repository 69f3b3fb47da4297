//! Which store the commands open: the redb file in the data directory (one shop), or a
//! PostgreSQL database named by `--store` / `FRONTDESK_STORE` (a chain of shops). Chosen once
//! at start, so every command opens the store the same way.

use std::sync::OnceLock;

use super::CliError;
use crate::store::{Store, names_postgres};

static POSTGRES: OnceLock<Option<String>> = OnceLock::new();

/// A `--store`/`--to` value as typed. It may hold a password, so `Debug` never shows it.
#[derive(Clone)]
pub struct StoreAddress(String);

impl std::fmt::Debug for StoreAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreAddress(..)")
    }
}

impl std::str::FromStr for StoreAddress {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(StoreAddress(text.to_owned()))
    }
}

impl StoreAddress {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Records `--store`; refuses a value that names neither engine.
pub fn choose(store: Option<StoreAddress>) -> Result<(), CliError> {
    let postgres = match store.map(|address| address.0) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_address_never_shows_its_password_in_debug() {
        let address: StoreAddress = "postgres://desk:hunter2@db/chain".parse().unwrap();
        assert!(!format!("{address:?}").contains("hunter2"));
    }
}
