//! The random source. Keys, nonces, salts, TOTP secrets and recovery codes all draw from an
//! injected [`Entropy`], so tests can be deterministic while production uses the OS CSPRNG.

use std::sync::Mutex;

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

#[derive(Debug, thiserror::Error)]
#[error(
    "the operating system's random number generator failed ({0}); the action was not carried out, try again"
)]
pub struct EntropyError(String);

pub trait Entropy: Send + Sync + 'static {
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError>;
}

impl dyn Entropy {
    pub fn array<const N: usize>(&self) -> Result<[u8; N], EntropyError> {
        let mut out = [0u8; N];
        self.fill(&mut out)?;
        Ok(out)
    }

    pub fn u128(&self) -> Result<u128, EntropyError> {
        Ok(u128::from_le_bytes(self.array::<16>()?))
    }
}

/// The operating system's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError> {
        getrandom::fill(buf).map_err(|err| EntropyError(err.to_string()))
    }
}

/// A seeded ChaCha20 stream: reproducible, for tests and the demo generator only.
pub struct SeededEntropy {
    rng: Mutex<ChaCha20Rng>,
}

impl SeededEntropy {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: Mutex::new(ChaCha20Rng::seed_from_u64(seed)),
        }
    }
}

impl std::fmt::Debug for SeededEntropy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SeededEntropy(..)")
    }
}

impl Entropy for SeededEntropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError> {
        self.rng
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .fill_bytes(buf);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_entropy_is_reproducible() {
        let a: &dyn Entropy = &SeededEntropy::new(7);
        let b: &dyn Entropy = &SeededEntropy::new(7);
        assert_eq!(a.array::<32>().unwrap(), b.array::<32>().unwrap());
    }

    #[test]
    fn os_entropy_fills() {
        let os: &dyn Entropy = &OsEntropy;
        assert_ne!(os.array::<32>().unwrap(), [0u8; 32]);
    }
}
