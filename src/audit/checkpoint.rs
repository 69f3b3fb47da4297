//! A checkpoint is the audit log's entry count plus its head hash, written as `COUNT:HEX64` so
//! the shop can note it down or print it and later prove nothing was cut off or rewritten.

use std::fmt;
use std::str::FromStr;

use data_encoding::{HEXLOWER, HEXLOWER_PERMISSIVE};
use serde::{Deserialize, Serialize};

use super::chain::GENESIS_HASH;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Number of entries covered, which is also the sequence number of the head entry.
    pub count: u64,
    /// Hash of entry `count` ([`GENESIS_HASH`] when `count` is 0).
    pub head: [u8; 32],
}

impl Checkpoint {
    /// The checkpoint of an empty log.
    pub const EMPTY: Checkpoint = Checkpoint {
        count: 0,
        head: GENESIS_HASH,
    };
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.count, HEXLOWER.encode(&self.head))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an audit checkpoint; a checkpoint looks like 1234:9f86d0…(64 hex digits): the entry count, a colon, then the 64-digit head hash shown on the end-of-day screen"
)]
pub struct ParseCheckpointError(String);

impl FromStr for Checkpoint {
    type Err = ParseCheckpointError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || ParseCheckpointError(text.trim().chars().take(80).collect());
        let (count, head) = text.trim().split_once(':').ok_or_else(invalid)?;
        let (count, head) = (count.trim(), head.trim());
        if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) || head.len() != 64 {
            return Err(invalid());
        }
        let count = count.parse::<u64>().map_err(|_| invalid())?;
        let bytes = HEXLOWER_PERMISSIVE
            .decode(head.as_bytes())
            .map_err(|_| invalid())?;
        let head: [u8; 32] = bytes.try_into().map_err(|_| invalid())?;
        Ok(Self { count, head })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE_HEX: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn display_is_count_colon_lowercase_hex_and_round_trips() {
        let checkpoint: Checkpoint = format!("1234:{SAMPLE_HEX}").parse().unwrap();
        assert_eq!(checkpoint.count, 1234);
        assert_eq!(checkpoint.head[0], 0x9f);
        assert_eq!(checkpoint.to_string(), format!("1234:{SAMPLE_HEX}"));
        assert_eq!(
            Checkpoint::EMPTY.to_string(),
            format!("0:{}", "0".repeat(64))
        );
    }

    #[test]
    fn parse_accepts_uppercase_and_surrounding_whitespace() {
        let upper = format!("  42:{}\n", SAMPLE_HEX.to_uppercase());
        let checkpoint: Checkpoint = upper.parse().unwrap();
        assert_eq!(checkpoint.count, 42);
        assert_eq!(checkpoint.to_string(), format!("42:{SAMPLE_HEX}"));
    }

    #[test]
    fn parse_refuses_malformed_text_with_a_helpful_message() {
        for bad in [
            "",
            "1234",
            SAMPLE_HEX,
            "abc:00",
            &format!("-1:{SAMPLE_HEX}"),
            &format!("+1:{SAMPLE_HEX}"),
            &format!("1:{}", &SAMPLE_HEX[..63]),
            &format!("1:{SAMPLE_HEX}0"),
            &format!("1:{}g", &SAMPLE_HEX[..63]),
            &format!("99999999999999999999:{SAMPLE_HEX}"),
        ] {
            let err = bad.parse::<Checkpoint>().unwrap_err();
            assert!(
                err.to_string()
                    .contains("a checkpoint looks like 1234:9f86d0…(64 hex digits)"),
                "{bad}: {err}"
            );
        }
    }
}
