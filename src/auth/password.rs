//! Staff passwords: argon2id PHC hashes with a floor, a default and a ceiling on the cost
//! parameters, the new-password policy, and the raw key derivation the vault wraps keys under.

use argon2::password_hash::PasswordVerifier;
use argon2::{Algorithm, Argon2, PasswordHash, PasswordHasher, Version};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::entropy::{Entropy, EntropyError};

const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;
const ARGON2_VERSION_19: u32 = 0x13;
/// Salt for [`burn_equivalent_time`]; its output is thrown away, so a fixed value is fine.
const DUMMY_SALT: &[u8; SALT_LEN] = b"frontdesk-nouser";

/// Argon2id cost parameters: memory in KiB, passes over memory, lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PasswordParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl PasswordParams {
    /// OWASP's minimum for argon2id; nothing new is ever hashed below it.
    pub const FLOOR: Self = Self {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };

    /// What new hashes use: 0.19–0.30 s per hash on the 2-core build machine while other
    /// builds ran (the ignored `measure_argon2_timings` test), acceptable for a login.
    pub const DEFAULT: Self = Self {
        memory_kib: 65_536,
        iterations: 3,
        parallelism: 1,
    };

    /// Largest parameters a stored hash may ask for; a tampered row must not make a login
    /// allocate gigabytes or spin for minutes.
    pub const CEILING: Self = Self {
        memory_kib: 1024 * 1024,
        iterations: 20,
        parallelism: 16,
    };

    fn is_at_least(&self, other: &Self) -> bool {
        self.memory_kib >= other.memory_kib
            && self.iterations >= other.iterations
            && self.parallelism >= other.parallelism
    }

    fn is_at_most(&self, other: &Self) -> bool {
        self.memory_kib <= other.memory_kib
            && self.iterations <= other.iterations
            && self.parallelism <= other.parallelism
    }

    fn check_for_new_hash(&self) -> Result<(), PasswordError> {
        if !self.is_at_least(&Self::FLOOR) {
            return Err(PasswordError::BelowFloor { requested: *self });
        }
        if !self.is_at_most(&Self::CEILING) {
            return Err(PasswordError::ParametersOutOfRange);
        }
        Ok(())
    }

    fn argon2(&self) -> Result<Argon2<'static>, PasswordError> {
        let params = argon2::Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(HASH_LEN),
        )
        .map_err(|err| PasswordError::Hashing(err.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

impl std::fmt::Display for PasswordParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "m={} KiB, t={}, p={}",
            self.memory_kib, self.iterations, self.parallelism
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error(
        "password hashing parameters ({requested}) are below the minimum ({floor}); use at least the minimum",
        floor = PasswordParams::FLOOR
    )]
    BelowFloor { requested: PasswordParams },
    #[error(
        "the stored password hash asks for more than 1 GiB of memory, 20 passes or 16 lanes, so it was refused as damaged or tampered; a manager must reset this password"
    )]
    ParametersOutOfRange,
    #[error(
        "the stored password hash is not an argon2id (version 19) hash; a manager must reset this password"
    )]
    UnsupportedAlgorithm,
    #[error(
        "the stored password hash is damaged and cannot be read; a manager must reset this password"
    )]
    Malformed,
    #[error("password hashing failed ({0}); try again, and report it if it keeps happening")]
    Hashing(String),
    #[error(transparent)]
    Entropy(#[from] EntropyError),
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Correct. `needs_upgrade`: the stored hash is weaker than [`PasswordParams::DEFAULT`] and
    /// should be replaced with a fresh hash of the same password now, while it is at hand.
    Valid {
        needs_upgrade: bool,
    },
    Invalid,
}

/// Hashes a password into an argon2id PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`)
/// with a fresh 16-byte salt. Parameters below the floor or above the ceiling are refused.
pub fn hash_password(
    password: &SecretString,
    params: PasswordParams,
    entropy: &dyn Entropy,
) -> Result<String, PasswordError> {
    hash_secret(password.expose_secret().as_bytes(), params, entropy)
}

/// Shared by passwords and recovery codes: any secret bytes into a PHC string.
pub(crate) fn hash_secret(
    secret: &[u8],
    params: PasswordParams,
    entropy: &dyn Entropy,
) -> Result<String, PasswordError> {
    params.check_for_new_hash()?;
    let salt = entropy.array::<SALT_LEN>()?;
    let hash = params
        .argon2()?
        .hash_password_with_salt(secret, &salt)
        .map_err(|err| PasswordError::Hashing(err.to_string()))?;
    Ok(hash.to_string())
}

/// Checks a password against a stored PHC string, in constant time. The stored parameters
/// are checked against the ceiling before any memory is allocated.
pub fn verify_password(password: &SecretString, phc: &str) -> Result<Verification, PasswordError> {
    verify_secret(password.expose_secret().as_bytes(), phc)
}

pub(crate) fn verify_secret(secret: &[u8], phc: &str) -> Result<Verification, PasswordError> {
    let hash = PasswordHash::new(phc).map_err(|_| PasswordError::Malformed)?;
    if hash.algorithm.as_str() != "argon2id" || hash.version != Some(ARGON2_VERSION_19) {
        return Err(PasswordError::UnsupportedAlgorithm);
    }
    if hash.salt.is_none() || hash.hash.is_none() {
        return Err(PasswordError::Malformed);
    }
    let stored = argon2::Params::try_from(&hash).map_err(|_| PasswordError::Malformed)?;
    let stored = PasswordParams {
        memory_kib: stored.m_cost(),
        iterations: stored.t_cost(),
        parallelism: stored.p_cost(),
    };
    if !stored.is_at_most(&PasswordParams::CEILING) {
        return Err(PasswordError::ParametersOutOfRange);
    }
    // The verifier takes its parameters from the PHC string, not from this instance.
    match Argon2::default().verify_password(secret, &hash) {
        Ok(()) => Ok(Verification::Valid {
            needs_upgrade: stored.memory_kib < PasswordParams::DEFAULT.memory_kib
                || stored.iterations < PasswordParams::DEFAULT.iterations,
        }),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(Verification::Invalid),
        Err(_) => Err(PasswordError::Malformed),
    }
}

/// Spends the same work as verifying a real password at default parameters, so a login for an
/// unknown username takes as long as one for a known username with a wrong password.
pub fn burn_equivalent_time(password: &SecretString) {
    let Ok(argon2) = PasswordParams::DEFAULT.argon2() else {
        return;
    };
    let mut output = Zeroizing::new([0u8; HASH_LEN]);
    // The result is deliberately discarded: only the time spent matters.
    let _ = argon2.hash_password_into(
        password.expose_secret().as_bytes(),
        DUMMY_SALT,
        output.as_mut_slice(),
    );
}

/// Raw argon2id output for wrapping a key under a password or recovery code. Uses its own
/// salt, never the PHC hash's, so the login hash reveals nothing about the wrapping key.
pub fn derive_key_encryption_key(
    secret: &[u8],
    salt: &[u8; 16],
    params: PasswordParams,
) -> Result<Zeroizing<[u8; 32]>, PasswordError> {
    params.check_for_new_hash()?;
    let mut key = Zeroizing::new([0u8; 32]);
    params
        .argon2()?
        .hash_password_into(secret, salt, key.as_mut_slice())
        .map_err(|err| PasswordError::Hashing(err.to_string()))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::SeededEntropy;

    fn secret(text: &str) -> SecretString {
        SecretString::from(text)
    }

    /// Hashes with arbitrary (possibly sub-floor) parameters, as an old version might have.
    fn legacy_hash(password: &str, memory_kib: u32, iterations: u32) -> String {
        let params = argon2::Params::new(memory_kib, iterations, 1, None).unwrap();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_with_salt(password.as_bytes(), b"legacy-salt-1234")
            .unwrap()
            .to_string()
    }

    #[test]
    fn hash_is_an_argon2id_phc_string_with_its_parameters() {
        let entropy = SeededEntropy::new(1);
        let phc = hash_password(
            &secret("correct horse battery"),
            PasswordParams::FLOOR,
            &entropy,
        )
        .unwrap();
        assert!(
            phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "unexpected PHC prefix: {phc}"
        );
        assert_eq!(
            verify_password(&secret("correct horse battery"), &phc).unwrap(),
            Verification::Valid {
                needs_upgrade: true
            }
        );
    }

    #[test]
    fn default_parameters_do_not_need_an_upgrade() {
        let entropy = SeededEntropy::new(2);
        let phc =
            hash_password(&secret("pass phrase ok"), PasswordParams::DEFAULT, &entropy).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=65536,t=3,p=1$"));
        assert_eq!(
            verify_password(&secret("pass phrase ok"), &phc).unwrap(),
            Verification::Valid {
                needs_upgrade: false
            }
        );
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_salt() {
        let entropy = SeededEntropy::new(3);
        let a = hash_password(&secret("same password"), PasswordParams::FLOOR, &entropy).unwrap();
        let b = hash_password(&secret("same password"), PasswordParams::FLOOR, &entropy).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn wrong_password_is_invalid() {
        let phc = legacy_hash("the right one", 8192, 1);
        assert_eq!(
            verify_password(&secret("the wrong one"), &phc).unwrap(),
            Verification::Invalid
        );
    }

    #[test]
    fn floor_is_enforced_for_new_hashes() {
        let entropy = SeededEntropy::new(4);
        for weak in [
            PasswordParams {
                memory_kib: 19_455,
                ..PasswordParams::FLOOR
            },
            PasswordParams {
                iterations: 1,
                ..PasswordParams::FLOOR
            },
        ] {
            assert!(matches!(
                hash_password(&secret("whatever password"), weak, &entropy),
                Err(PasswordError::BelowFloor { .. })
            ));
            assert!(matches!(
                derive_key_encryption_key(b"secret", &[7; 16], weak),
                Err(PasswordError::BelowFloor { .. })
            ));
        }
    }

    #[test]
    fn weak_stored_hash_verifies_but_needs_upgrade() {
        let phc = legacy_hash("old but right", 8192, 1);
        assert!(phc.starts_with("$argon2id$v=19$m=8192,t=1,p=1$"));
        assert_eq!(
            verify_password(&secret("old but right"), &phc).unwrap(),
            Verification::Valid {
                needs_upgrade: true
            }
        );
    }

    #[test]
    fn absurd_stored_parameters_are_refused_without_hashing() {
        // A genuine hash whose parameters were edited upwards; running it would allocate 4 TiB.
        let phc = legacy_hash("anything at all", 8192, 1);
        for (from, to) in [
            ("m=8192,", "m=4294967295,"),
            ("m=8192,", "m=1048577,"),
            ("t=1,", "t=21,"),
            ("p=1$", "p=17$"),
        ] {
            let tampered = phc.replacen(from, to, 1);
            assert!(
                matches!(
                    verify_password(&secret("anything at all"), &tampered),
                    Err(PasswordError::ParametersOutOfRange)
                ),
                "{to} was not refused"
            );
        }
        assert!(matches!(
            hash_password(
                &secret("anything at all"),
                PasswordParams {
                    memory_kib: 2 * 1024 * 1024,
                    ..PasswordParams::FLOOR
                },
                &SeededEntropy::new(5)
            ),
            Err(PasswordError::ParametersOutOfRange)
        ));
    }

    #[test]
    fn other_algorithms_and_garbage_are_errors() {
        let argon2i = legacy_hash("pw pw pw pw", 8192, 1).replacen("$argon2id$", "$argon2i$", 1);
        assert!(matches!(
            verify_password(&secret("pw pw pw pw"), &argon2i),
            Err(PasswordError::UnsupportedAlgorithm)
        ));
        let old_version = legacy_hash("pw pw pw pw", 8192, 1).replacen("$v=19$", "$v=16$", 1);
        assert!(matches!(
            verify_password(&secret("pw pw pw pw"), &old_version),
            Err(PasswordError::UnsupportedAlgorithm)
        ));
        for garbage in [
            "",
            "plaintext",
            "$argon2id$v=19$m=8192,t=1,p=1",
            "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ",
            "$argon2id$v=19$m=x,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
        ] {
            assert!(
                verify_password(&secret("pw"), garbage).is_err(),
                "{garbage:?} was accepted"
            );
        }
    }

    #[test]
    fn key_derivation_is_deterministic_and_salt_dependent() {
        let params = PasswordParams::FLOOR;
        let a = derive_key_encryption_key(b"staff password", &[1; 16], params).unwrap();
        let b = derive_key_encryption_key(b"staff password", &[1; 16], params).unwrap();
        let c = derive_key_encryption_key(b"staff password", &[2; 16], params).unwrap();
        assert_eq!(*a, *b);
        assert_ne!(*a, *c);
    }

    #[test]
    fn burning_time_does_not_panic_on_odd_input() {
        burn_equivalent_time(&secret(""));
    }

    /// Not a correctness test: prints how long one hash takes at the floor and the default on
    /// this machine. Run with `cargo test --lib measure_argon2 -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn measure_argon2_timings() {
        for (name, params) in [
            ("FLOOR", PasswordParams::FLOOR),
            ("DEFAULT", PasswordParams::DEFAULT),
            (
                "m=65536,t=4",
                PasswordParams {
                    iterations: 4,
                    ..PasswordParams::DEFAULT
                },
            ),
            (
                "m=131072,t=3",
                PasswordParams {
                    memory_kib: 131_072,
                    ..PasswordParams::DEFAULT
                },
            ),
        ] {
            let mut samples = Vec::new();
            for round in 0..5u8 {
                let started = std::time::Instant::now();
                derive_key_encryption_key(b"measure me", &[round; 16], params).unwrap();
                samples.push(started.elapsed());
            }
            samples.sort();
            println!(
                "{name} ({params}): min {:?}, median {:?}, max {:?}",
                samples[0], samples[2], samples[4]
            );
        }
    }
}
