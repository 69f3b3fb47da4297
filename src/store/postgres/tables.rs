//! How each redb table lives in PostgreSQL: one table `fd_<name>` of `(k bytea, v bytea)`
//! rows. Keys are written so that PostgreSQL's byte order is redb's key order (big-endian
//! integers, the sign bit of signed ones flipped), so range reads mean the same on both
//! engines; values are redb's own bytes. Converting keys both ways lets backups and
//! migration carry exactly the rows redb holds.

use redb::{Key, MultimapTableHandle, TableHandle, Value};

use super::super::StoreError;
use super::super::schema::*;
use super::super::snapshot::TableKind;

/// The parts of a key, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyShape {
    U128,
    U64,
    U32,
    Text,
    Token,
    U128U64,
    U128I64,
    U128U32,
}

/// Every table of the store with its kind and key shape, the derived name-index tables
/// included (a PostgreSQL store keeps its saved name index too).
pub fn all_tables() -> Vec<(&'static str, TableKind, KeyShape)> {
    use KeyShape::*;
    use TableKind::*;
    vec![
        (META.name(), Plain, Text),
        (STAFF.name(), Plain, U128),
        (STAFF_BY_USERNAME.name(), Plain, Text),
        (LOGIN_THROTTLE.name(), Plain, Text),
        (MEMBERS.name(), Plain, U128),
        (VEHICLES.name(), Plain, U128),
        (AUDIT.name(), Plain, U64),
        (BAYS.name(), Plain, U128),
        (SERVICES.name(), Plain, U128),
        (BOOKINGS.name(), Plain, U128),
        (BAY_SCHEDULE.name(), Plain, U128I64),
        (VISITS.name(), Plain, U128),
        (LEDGER.name(), Plain, U128U64),
        (MEMBER_STATS.name(), Plain, U128),
        (PLANS.name(), Plain, U128),
        (PACKAGES.name(), Plain, U128),
        (PLAN_USAGE.name(), Plain, U128U32),
        (SALES.name(), Plain, U128),
        (CONSENTS.name(), Plain, U128U64),
        (STAFF_SSH_KEYS.name(), Plain, U128),
        (PRODUCTS.name(), Plain, U128),
        (RECEIPTS.name(), Plain, U64),
        (SHIFTS.name(), Plain, U128),
        (OPEN_SHIFTS.name(), Plain, U128),
        (STAFF_ENROLMENTS.name(), Plain, U128),
        (MEMBER_TOMBSTONES.name(), Plain, U128),
        (ERASURES.name(), Plain, U128),
        (DAILY_TOTALS.name(), Plain, U32),
        (ALERTS.name(), Plain, U64),
        (ALERT_STATE.name(), Plain, Text),
        (NAME_INDEX_SNAPSHOT.name(), Plain, U32),
        (NAME_INDEX_DIRTY.name(), Plain, U128),
        (MEMBER_VEHICLES.name(), Multimap, U128),
        (BLIND_INDEX.name(), Multimap, Token),
        (MEMBER_BOOKINGS.name(), Multimap, U128),
        (MEMBER_VISITS.name(), Multimap, U128),
        (VEHICLE_VISITS.name(), Multimap, U128),
        (MEMBER_PLANS.name(), Multimap, U128),
        (MEMBER_PACKAGES.name(), Multimap, U128),
    ]
}

/// The PostgreSQL table holding redb table `name`. Names come from the schema only.
pub fn table_name(name: &str) -> String {
    format!("fd_{name}")
}

/// The statements that create an empty store's tables.
pub fn create_statements() -> Vec<String> {
    all_tables()
        .into_iter()
        .map(|(name, kind, _)| match kind {
            TableKind::Plain => format!(
                "CREATE TABLE {} (k bytea PRIMARY KEY, v bytea NOT NULL)",
                table_name(name)
            ),
            TableKind::Multimap => format!(
                "CREATE TABLE {} (k bytea NOT NULL, v bytea NOT NULL, PRIMARY KEY (k, v))",
                table_name(name)
            ),
        })
        .collect()
}

pub fn shape_of(name: &str) -> Option<(TableKind, KeyShape)> {
    all_tables()
        .into_iter()
        .find(|(known, _, _)| *known == name)
        .map(|(_, kind, shape)| (kind, shape))
}

pub fn u128_key(value: u128) -> Vec<u8> {
    value.to_be_bytes().to_vec()
}

pub fn u64_key(value: u64) -> Vec<u8> {
    value.to_be_bytes().to_vec()
}

pub fn u32_key(value: u32) -> Vec<u8> {
    value.to_be_bytes().to_vec()
}

fn i64_ordered(value: i64) -> [u8; 8] {
    ((value as u64) ^ (1 << 63)).to_be_bytes()
}

pub fn pair_u64_key(first: u128, second: u64) -> Vec<u8> {
    let mut key = first.to_be_bytes().to_vec();
    key.extend_from_slice(&second.to_be_bytes());
    key
}

pub fn pair_i64_key(first: u128, second: i64) -> Vec<u8> {
    let mut key = first.to_be_bytes().to_vec();
    key.extend_from_slice(&i64_ordered(second));
    key
}

pub fn pair_u32_key(first: u128, second: u32) -> Vec<u8> {
    let mut key = first.to_be_bytes().to_vec();
    key.extend_from_slice(&second.to_be_bytes());
    key
}

fn be<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
    bytes.try_into().ok()
}

pub fn read_u128(bytes: &[u8]) -> Result<u128, StoreError> {
    be::<16>(bytes)
        .map(u128::from_be_bytes)
        .ok_or_else(|| misfit("an id"))
}

pub fn read_u64(bytes: &[u8]) -> Result<u64, StoreError> {
    be::<8>(bytes)
        .map(u64::from_be_bytes)
        .ok_or_else(|| misfit("a number"))
}

pub fn read_u32(bytes: &[u8]) -> Result<u32, StoreError> {
    be::<4>(bytes)
        .map(u32::from_be_bytes)
        .ok_or_else(|| misfit("a day"))
}

/// `(first, second)` of a 24-byte `(u128, u64)` key.
pub fn read_pair_u64(bytes: &[u8]) -> Result<(u128, u64), StoreError> {
    if bytes.len() != 24 {
        return Err(misfit("a sequence key"));
    }
    Ok((read_u128(&bytes[..16])?, read_u64(&bytes[16..])?))
}

pub fn read_pair_i64(bytes: &[u8]) -> Result<(u128, i64), StoreError> {
    if bytes.len() != 24 {
        return Err(misfit("a schedule key"));
    }
    let raw = read_u64(&bytes[16..])? ^ (1 << 63);
    Ok((read_u128(&bytes[..16])?, raw as i64))
}

fn misfit(what: &str) -> StoreError {
    StoreError::Corrupt(format!(
        "{what} in the PostgreSQL store has the wrong length"
    ))
}

/// A redb value of a `u128` column (little-endian, as redb writes it).
pub fn u128_value(value: u128) -> Vec<u8> {
    <u128 as Value>::as_bytes(&value).to_vec()
}

pub fn read_u128_value(bytes: &[u8]) -> Result<u128, StoreError> {
    if bytes.len() != 16 {
        return Err(misfit("an id value"));
    }
    Ok(<u128 as Value>::from_bytes(bytes))
}

pub fn u32_value(value: u32) -> Vec<u8> {
    <u32 as Value>::as_bytes(&value).to_vec()
}

pub fn read_u32_value(bytes: &[u8]) -> Result<u32, StoreError> {
    if bytes.len() != 4 {
        return Err(misfit("a count value"));
    }
    Ok(<u32 as Value>::from_bytes(bytes))
}

/// redb's bytes of a key of `shape` from its PostgreSQL form.
pub fn key_to_redb(shape: KeyShape, key: &[u8]) -> Result<Vec<u8>, StoreError> {
    Ok(match shape {
        KeyShape::U128 => <u128 as Value>::as_bytes(&read_u128(key)?).to_vec(),
        KeyShape::U64 => <u64 as Value>::as_bytes(&read_u64(key)?).to_vec(),
        KeyShape::U32 => <u32 as Value>::as_bytes(&read_u32(key)?).to_vec(),
        KeyShape::Text | KeyShape::Token => key.to_vec(),
        KeyShape::U128U64 => <(u128, u64) as Value>::as_bytes(&read_pair_u64(key)?).to_vec(),
        KeyShape::U128I64 => <(u128, i64) as Value>::as_bytes(&read_pair_i64(key)?).to_vec(),
        KeyShape::U128U32 => {
            if key.len() != 20 {
                return Err(misfit("a usage key"));
            }
            let pair = (read_u128(&key[..16])?, read_u32(&key[16..])?);
            <(u128, u32) as Value>::as_bytes(&pair).to_vec()
        }
    })
}

/// The PostgreSQL form of a redb key of `shape`; refuses bytes that do not fit the shape.
pub fn key_from_redb(shape: KeyShape, key: &[u8]) -> Result<Vec<u8>, StoreError> {
    fn fixed<T: Key + 'static>(key: &[u8]) -> Result<T::SelfType<'_>, StoreError> {
        if T::fixed_width() != Some(key.len()) {
            return Err(misfit("a key"));
        }
        Ok(T::from_bytes(key))
    }
    Ok(match shape {
        KeyShape::U128 => u128_key(fixed::<u128>(key)?),
        KeyShape::U64 => u64_key(fixed::<u64>(key)?),
        KeyShape::U32 => u32_key(fixed::<u32>(key)?),
        KeyShape::Text => {
            std::str::from_utf8(key).map_err(|_| misfit("a text key"))?;
            key.to_vec()
        }
        KeyShape::Token => {
            if key.len() != 32 {
                return Err(misfit("a token"));
            }
            key.to_vec()
        }
        KeyShape::U128U64 => {
            let (a, b) = fixed::<(u128, u64)>(key)?;
            pair_u64_key(a, b)
        }
        KeyShape::U128I64 => {
            let (a, b) = fixed::<(u128, i64)>(key)?;
            pair_i64_key(a, b)
        }
        KeyShape::U128U32 => {
            let (a, b) = fixed::<(u128, u32)>(key)?;
            pair_u32_key(a, b)
        }
    })
}

/// Multimap values are all ids: ordered big-endian in PostgreSQL, redb's bytes outside.
pub fn multimap_value_to_redb(value: &[u8]) -> Result<Vec<u8>, StoreError> {
    Ok(u128_value(read_u128(value)?))
}

pub fn multimap_value_from_redb(value: &[u8]) -> Result<Vec<u8>, StoreError> {
    Ok(u128_key(read_u128_value(value)?))
}

/// Checks that the list above covers every table of the redb schema (see the test).
#[cfg(test)]
fn covers(name: &str) -> bool {
    all_tables().iter().any(|(known, _, _)| *known == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_a_backup_carries_has_a_postgresql_shape() {
        for (name, _) in crate::store::known_tables() {
            assert!(covers(name), "{name} has no PostgreSQL shape");
        }
        assert_eq!(
            all_tables().len(),
            crate::store::known_tables().len() + 2,
            "the two derived name-index tables"
        );
    }

    #[test]
    fn keys_convert_both_ways_and_keep_redb_order() {
        let keys = [
            (-5i64, 3u128),
            (-1, 3),
            (0, 3),
            (7, 3),
            (i64::MIN, 4),
            (i64::MAX, 2),
        ];
        let mut pg: Vec<Vec<u8>> = keys
            .iter()
            .map(|(ms, bay)| pair_i64_key(*bay, *ms))
            .collect();
        pg.sort();
        let back: Vec<(u128, i64)> = pg.iter().map(|k| read_pair_i64(k).unwrap()).collect();
        let mut expected: Vec<(u128, i64)> = keys.iter().map(|(ms, bay)| (*bay, *ms)).collect();
        expected.sort();
        assert_eq!(back, expected);
        for shape_key in [
            (
                KeyShape::U128U64,
                <(u128, u64) as Value>::as_bytes(&(9, 2)).to_vec(),
            ),
            (
                KeyShape::U128I64,
                <(u128, i64) as Value>::as_bytes(&(9, -2)).to_vec(),
            ),
            (
                KeyShape::U128U32,
                <(u128, u32) as Value>::as_bytes(&(9, 20261206)).to_vec(),
            ),
            (KeyShape::U64, <u64 as Value>::as_bytes(&77).to_vec()),
            (KeyShape::Text, b"settings".to_vec()),
        ] {
            let (shape, redb_key) = shape_key;
            let pg = key_from_redb(shape, &redb_key).unwrap();
            assert_eq!(key_to_redb(shape, &pg).unwrap(), redb_key, "{shape:?}");
        }
        assert!(key_from_redb(KeyShape::U128, &[1, 2, 3]).is_err());
    }
}
