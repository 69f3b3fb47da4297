//! Records are stored as one format byte followed by their postcard encoding, so a future
//! release can tell old layouts apart and migrate them instead of misreading them.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// The layout version written by this build.
const RECORD_FORMAT: u8 = 1;

pub fn encode<T: Serialize>(record: &T) -> Result<Vec<u8>, StoreError> {
    let mut bytes = vec![RECORD_FORMAT];
    let body = postcard::to_stdvec(record)
        .map_err(|err| StoreError::Io(format!("could not encode a record: {err}")))?;
    bytes.extend_from_slice(&body);
    Ok(bytes)
}

pub fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&RECORD_FORMAT, body)) => postcard::from_bytes(body)
            .map_err(|err| StoreError::Corrupt(format!("a {what} record cannot be read: {err}"))),
        Some((&format, _)) if format > RECORD_FORMAT => Err(StoreError::Corrupt(format!(
            "a {what} record uses layout {format}, newer than this build's {RECORD_FORMAT}"
        ))),
        _ => Err(StoreError::Corrupt(format!(
            "a {what} record is empty or unknown"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_unknown_layouts_are_refused() {
        let bytes = encode(&(7u32, "bay 1".to_owned())).unwrap();
        assert_eq!(bytes[0], RECORD_FORMAT);
        let back: (u32, String) = decode("test", &bytes).unwrap();
        assert_eq!(back, (7, "bay 1".to_owned()));
        let mut newer = bytes.clone();
        newer[0] = 9;
        assert!(decode::<(u32, String)>("test", &newer).is_err());
        assert!(decode::<(u32, String)>("test", &[]).is_err());
    }
}
