//! Time-ordered record ids: 48 bits of milliseconds since the Unix epoch, then 80 random bits
//! (the ULID layout), so keys sort by creation time and never collide across sessions.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::entropy::{Entropy, EntropyError};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordId(u128);

impl RecordId {
    /// Stands for "not stored yet" where a record is handed to the service to be created; no
    /// generated id is ever zero (it starts with a non-zero timestamp).
    pub const NEW: RecordId = RecordId(0);

    pub fn generate(at: DateTime<Utc>, entropy: &dyn Entropy) -> Result<Self, EntropyError> {
        let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
        let random = entropy.u128()?;
        Ok(Self(ulid::Ulid::from_parts(millis, random).0))
    }

    pub const fn from_u128(raw: u128) -> Self {
        Self(raw)
    }

    pub const fn as_u128(self) -> u128 {
        self.0
    }

    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", ulid::Ulid(self.0))
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({self})")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a record id (expected 26 characters of Crockford base32)")]
pub struct ParseRecordIdError(String);

impl FromStr for RecordId {
    type Err = ParseRecordIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ulid::Ulid::from_string(text.trim())
            .map(|ulid| Self(ulid.0))
            .map_err(|_| ParseRecordIdError(text.chars().take(40).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::SeededEntropy;
    use chrono::TimeZone;

    #[test]
    fn ids_sort_by_creation_time_and_round_trip_through_text() {
        let entropy: &dyn Entropy = &SeededEntropy::new(1);
        let early = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
        let later = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 1).single().unwrap();
        let a = RecordId::generate(early, entropy).unwrap();
        let b = RecordId::generate(later, entropy).unwrap();
        assert!(a < b);
        assert_eq!(a.to_string().parse::<RecordId>().unwrap(), a);
        assert!("not-an-id".parse::<RecordId>().is_err());
    }
}
