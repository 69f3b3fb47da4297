//! Single-use recovery codes: 80 random bits shown as `7K3M-Q9TX-…` in Crockford base32,
//! stored only as argon2id hashes.

use zeroize::Zeroizing;

use super::password::{self, PasswordError, PasswordParams, Verification};
use crate::entropy::{Entropy, EntropyError};

pub const RECOVERY_CODE_COUNT: usize = 10;
const CODE_BYTES: usize = 10;
const CODE_CHARS: usize = CODE_BYTES * 8 / 5;
const GROUP_CHARS: usize = 4;
/// Crockford's base32: digits and capitals without I, L, O and U, so nothing reads as
/// something else when copied by hand.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// One recovery code. Its hash input is the 10 raw bytes, so any accepted spelling of the code
/// (lower case, no dashes, O for 0) verifies the same way.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode {
    bytes: Zeroizing<[u8; CODE_BYTES]>,
    shown: Zeroizing<String>,
}

impl RecoveryCode {
    fn from_bytes(bytes: Zeroizing<[u8; CODE_BYTES]>) -> Self {
        let value = Zeroizing::new(
            bytes
                .iter()
                .fold(0u128, |acc, byte| (acc << 8) | u128::from(*byte)),
        );
        let mut shown = Zeroizing::new(String::with_capacity(CODE_CHARS + 3));
        for index in 0..CODE_CHARS {
            if index > 0 && index % GROUP_CHARS == 0 {
                shown.push('-');
            }
            let shift = 5 * (CODE_CHARS - 1 - index);
            let symbol = ((*value >> shift) & 0x1f) as usize;
            shown.push(char::from(ALPHABET[symbol]));
        }
        Self { bytes, shown }
    }

    /// The code as shown to the staff member once, `XXXX-XXXX-XXXX-XXXX`.
    pub fn expose(&self) -> &str {
        &self.shown
    }

    /// The 80 bits behind the code: the input for hashing and for key wrapping in the vault.
    pub fn as_bytes(&self) -> &[u8; CODE_BYTES] {
        &self.bytes
    }
}

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(<redacted>)")
    }
}

/// Ten distinct fresh codes.
pub fn generate_recovery_codes(entropy: &dyn Entropy) -> Result<Vec<RecoveryCode>, EntropyError> {
    let mut codes: Vec<RecoveryCode> = Vec::with_capacity(RECOVERY_CODE_COUNT);
    while codes.len() < RECOVERY_CODE_COUNT {
        let mut bytes = Zeroizing::new([0u8; CODE_BYTES]);
        entropy.fill(bytes.as_mut_slice())?;
        let code = RecoveryCode::from_bytes(bytes);
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    Ok(codes)
}

/// Reads a code as typed: any case, spaces and dashes anywhere, O for 0, I and L for 1.
/// `None` unless exactly 16 valid symbols remain.
pub fn normalize_recovery_code(input: &str) -> Option<RecoveryCode> {
    let mut value = Zeroizing::new(0u128);
    let mut symbols = 0usize;
    for typed in input.chars() {
        if typed == '-' || typed.is_whitespace() {
            continue;
        }
        let symbol = match typed.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        };
        let index = ALPHABET.iter().position(|&a| char::from(a) == symbol)?;
        symbols += 1;
        if symbols > CODE_CHARS {
            return None;
        }
        *value = (*value << 5) | index as u128;
    }
    if symbols != CODE_CHARS {
        return None;
    }
    let mut bytes = Zeroizing::new([0u8; CODE_BYTES]);
    for (position, byte) in bytes.iter_mut().enumerate() {
        let shift = 8 * (CODE_BYTES - 1 - position);
        *byte = ((*value >> shift) & 0xff) as u8;
    }
    Some(RecoveryCode::from_bytes(bytes))
}

/// An argon2id PHC string of the code at floor parameters: the code already carries 80 bits,
/// and a login may need to try all ten stored hashes.
pub fn hash_recovery_code(
    code: &RecoveryCode,
    entropy: &dyn Entropy,
) -> Result<String, PasswordError> {
    password::hash_secret(code.as_bytes(), PasswordParams::FLOOR, entropy)
}

/// Whether `input` (as typed) is the code behind `phc`. Malformed input or a damaged hash is
/// simply `false`.
pub fn verify_recovery_code(input: &str, phc: &str) -> bool {
    let Some(code) = normalize_recovery_code(input) else {
        return false;
    };
    matches!(
        password::verify_secret(code.as_bytes(), phc),
        Ok(Verification::Valid { .. })
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::SeededEntropy;

    fn is_well_formed(shown: &str) -> bool {
        let groups: Vec<&str> = shown.split('-').collect();
        groups.len() == 4
            && groups.iter().all(|group| {
                group.len() == GROUP_CHARS && group.bytes().all(|b| ALPHABET.contains(&b))
            })
    }

    #[test]
    fn ten_distinct_well_formed_codes() {
        let codes = generate_recovery_codes(&SeededEntropy::new(20)).unwrap();
        assert_eq!(codes.len(), RECOVERY_CODE_COUNT);
        for (index, code) in codes.iter().enumerate() {
            assert!(is_well_formed(code.expose()), "{}", code.expose());
            assert!(codes[index + 1..].iter().all(|other| other != code));
        }
    }

    #[test]
    fn encoding_is_big_endian_crockford() {
        let all_ones = RecoveryCode::from_bytes(Zeroizing::new([0xff; CODE_BYTES]));
        assert_eq!(all_ones.expose(), "ZZZZ-ZZZZ-ZZZZ-ZZZZ");
        let mut bytes = [0u8; CODE_BYTES];
        bytes[CODE_BYTES - 1] = 1;
        let one = RecoveryCode::from_bytes(Zeroizing::new(bytes));
        assert_eq!(one.expose(), "0000-0000-0000-0001");
    }

    #[test]
    fn normalizing_accepts_sloppy_typing_and_round_trips() {
        let codes = generate_recovery_codes(&SeededEntropy::new(21)).unwrap();
        for code in &codes {
            let sloppy = code.expose().to_lowercase().replace('-', " ");
            let read = normalize_recovery_code(&sloppy).unwrap();
            assert_eq!(read.as_bytes(), code.as_bytes());
            assert_eq!(read.expose(), code.expose());
        }
        let read = normalize_recovery_code("oiLo-0000 0000 000l").unwrap();
        assert_eq!(read.expose(), "0110-0000-0000-0001");
    }

    #[test]
    fn normalizing_refuses_wrong_shapes() {
        for bad in [
            "",
            "0000-0000-0000-000",
            "0000-0000-0000-00000",
            "0000-0000-0000-000U",
            "0000-0000-0000-000!",
            "0000_0000_0000_0000",
        ] {
            assert!(normalize_recovery_code(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn hashed_code_verifies_once_typed_any_way_and_others_do_not() {
        let entropy = SeededEntropy::new(22);
        let codes = generate_recovery_codes(&entropy).unwrap();
        let phc = hash_recovery_code(&codes[0], &entropy).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_recovery_code(codes[0].expose(), &phc));
        assert!(verify_recovery_code(
            &codes[0].expose().to_lowercase().replace('-', ""),
            &phc
        ));
        assert!(!verify_recovery_code(codes[1].expose(), &phc));
        assert!(!verify_recovery_code("not a code", &phc));
        assert!(!verify_recovery_code(codes[0].expose(), "garbage"));
    }

    #[test]
    fn debug_hides_the_code() {
        let codes = generate_recovery_codes(&SeededEntropy::new(23)).unwrap();
        let shown = format!("{:?}", codes[0]);
        assert!(!shown.contains(codes[0].expose()));
        let shown = format!("{codes:?}");
        assert!(codes.iter().all(|code| !shown.contains(code.expose())));
    }
}
