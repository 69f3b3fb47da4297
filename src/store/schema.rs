//! Table definitions and the schema version with its forward migrations.

use redb::{MultimapTableDefinition, ReadableTable, TableDefinition, WriteTransaction};

use super::StoreError;

/// Bumped whenever a table or record layout changes; each bump adds a step to [`migrate`].
pub const SCHEMA_VERSION: u32 = 1;

pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
pub const STAFF: TableDefinition<u128, &[u8]> = TableDefinition::new("staff");
pub const STAFF_BY_USERNAME: TableDefinition<&str, u128> =
    TableDefinition::new("staff_by_username");
pub const LOGIN_THROTTLE: TableDefinition<&str, &[u8]> = TableDefinition::new("login_throttle");
pub const MEMBERS: TableDefinition<u128, &[u8]> = TableDefinition::new("members");
pub const VEHICLES: TableDefinition<u128, &[u8]> = TableDefinition::new("vehicles");
pub const MEMBER_VEHICLES: MultimapTableDefinition<u128, u128> =
    MultimapTableDefinition::new("member_vehicles");
/// Blind-index token → member id. Tokens are keyed HMACs, never the values themselves.
pub const BLIND_INDEX: MultimapTableDefinition<&[u8; 32], u128> =
    MultimapTableDefinition::new("blind_index");
pub const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");

pub const META_SCHEMA_VERSION: &str = "schema_version";
pub const META_SETTINGS: &str = "settings";
pub const META_NEXT_MEMBER_NUMBER: &str = "next_member_number";

pub fn read_version(bytes: &[u8]) -> Result<u32, StoreError> {
    let raw: [u8; 4] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("the schema version is unreadable".to_owned()))?;
    Ok(u32::from_le_bytes(raw))
}

/// Creates every table so later readers never meet a missing one, and records the version.
pub fn create_all(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(META)?;
    tx.open_table(STAFF)?;
    tx.open_table(STAFF_BY_USERNAME)?;
    tx.open_table(LOGIN_THROTTLE)?;
    tx.open_table(MEMBERS)?;
    tx.open_table(VEHICLES)?;
    tx.open_multimap_table(MEMBER_VEHICLES)?;
    tx.open_multimap_table(BLIND_INDEX)?;
    tx.open_table(AUDIT)?;
    tx.open_table(META)?
        .insert(META_SCHEMA_VERSION, SCHEMA_VERSION.to_le_bytes().as_slice())?;
    Ok(())
}

/// Brings an older file up to [`SCHEMA_VERSION`] inside the caller's transaction, returning
/// the version found. A newer file is refused rather than misread.
pub fn migrate(tx: &WriteTransaction) -> Result<u32, StoreError> {
    let found = {
        let meta = tx.open_table(META)?;
        let stored = meta.get(META_SCHEMA_VERSION)?;
        match stored {
            Some(bytes) => read_version(bytes.value())?,
            None => {
                return Err(StoreError::Corrupt(
                    "the store has no schema version".to_owned(),
                ));
            }
        }
    };
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerVersion {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    // Steps for versions after 1 go here, each `if found < N { … }`, oldest first.
    if found < SCHEMA_VERSION {
        create_all(tx)?;
    }
    Ok(found)
}
