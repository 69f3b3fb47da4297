//! The demo generator's random choices, drawn from a [`SeededEntropy`] stream so a seed
//! reproduces the same data. Integer maths only; nothing here is key material.

use crate::entropy::{Entropy, EntropyError, SeededEntropy};

/// SplitMix64: spreads a counter or a seed over 64 bits, for deriving independent streams.
pub(super) fn mix(mut value: u64) -> u64 {
    value = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    value = (value ^ (value >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    value = (value ^ (value >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    value ^ (value >> 31)
}

/// Which independent stream of a seed a [`Dice`] draws from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Stream {
    /// One member's person, vehicles and history.
    Member(u64),
    /// The bay calendar of the four weeks around today.
    Bookings,
    /// The shop's catalog, bays and rewards.
    Shop,
}

pub(super) struct Dice {
    entropy: SeededEntropy,
}

impl Dice {
    pub fn new(seed: u64, stream: Stream) -> Self {
        let salt = match stream {
            Stream::Member(index) => mix(index.wrapping_mul(2).wrapping_add(1)),
            Stream::Bookings => mix(0xB0_0C1D),
            Stream::Shop => mix(0x5409),
        };
        Self {
            entropy: SeededEntropy::new(mix(seed ^ salt)),
        }
    }

    /// The stream as an [`Entropy`], for record ids and ledger planning.
    pub fn entropy(&self) -> &dyn Entropy {
        &self.entropy
    }

    pub fn next(&self) -> Result<u64, EntropyError> {
        let mut bytes = [0u8; 8];
        self.entropy.fill(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    /// Uniform in `0..bound` (0 when `bound` is 0); the modulo bias is far below what a demo
    /// could show.
    pub fn below(&self, bound: u64) -> Result<u64, EntropyError> {
        if bound == 0 {
            return Ok(0);
        }
        Ok(self.next()? % bound)
    }

    /// Uniform in `low..=high`.
    pub fn between(&self, low: i64, high: i64) -> Result<i64, EntropyError> {
        if high <= low {
            return Ok(low);
        }
        let span = high.abs_diff(low).saturating_add(1);
        Ok(low.saturating_add_unsigned(self.below(span)?))
    }

    /// True `per_mille` times in a thousand.
    pub fn chance(&self, per_mille: u64) -> Result<bool, EntropyError> {
        Ok(self.below(1000)? < per_mille)
    }

    pub fn pick<'a, T>(&self, items: &'a [T]) -> Result<&'a T, EntropyError> {
        let index = usize::try_from(self.below(items.len() as u64)?).unwrap_or(0);
        // `below(len) < len`; an empty slice is a programming error caught in tests.
        Ok(&items[index.min(items.len().saturating_sub(1))])
    }

    /// An index into `weights`, each chosen in proportion to its weight.
    pub fn weighted(&self, weights: &[u32]) -> Result<usize, EntropyError> {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut roll = self.below(total)?;
        for (index, weight) in weights.iter().enumerate() {
            let weight = u64::from(*weight);
            if roll < weight {
                return Ok(index);
            }
            roll -= weight;
        }
        Ok(weights.len().saturating_sub(1))
    }

    /// One of `items`, chosen in proportion to the weight paired with it.
    pub fn weighted_pick<'a, T>(&self, items: &'a [(T, u32)]) -> Result<&'a T, EntropyError> {
        let weights: Vec<u32> = items.iter().map(|(_, w)| *w).collect();
        let index = self.weighted(&weights)?;
        Ok(&items[index.min(items.len().saturating_sub(1))].0)
    }

    /// `count` decimal digits.
    pub fn digits(&self, count: usize) -> Result<String, EntropyError> {
        let mut text = String::with_capacity(count);
        for _ in 0..count {
            text.push(char::from(b'0' + (self.below(10)? as u8)));
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a = Dice::new(7, Stream::Member(3));
        let b = Dice::new(7, Stream::Member(3));
        let c = Dice::new(7, Stream::Member(4));
        let d = Dice::new(8, Stream::Member(3));
        let draw = |dice: &Dice| (0..8).map(|_| dice.next().unwrap()).collect::<Vec<_>>();
        let first = draw(&a);
        assert_eq!(first, draw(&b));
        assert_ne!(first, draw(&c));
        assert_ne!(first, draw(&d));
    }

    #[test]
    fn ranges_hold() {
        let dice = Dice::new(1, Stream::Bookings);
        for _ in 0..1000 {
            assert!(dice.below(7).unwrap() < 7);
            let x = dice.between(-3, 4).unwrap();
            assert!((-3..=4).contains(&x));
            assert!(dice.weighted(&[0, 5, 0]).unwrap() == 1);
        }
        assert_eq!(dice.below(0).unwrap(), 0);
        assert_eq!(dice.between(5, 5).unwrap(), 5);
        assert_eq!(dice.digits(6).unwrap().len(), 6);
    }
}
