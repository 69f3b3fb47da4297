//! ISO 4217 currencies the shop can keep its books in. Money is always integer minor units;
//! this table says how many minor units make one major unit.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Currency {
    code: String,
    minor_digits: u8,
}

/// (code, digits after the decimal point)
const KNOWN: &[(&str, u8)] = &[
    ("AUD", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("IDR", 2),
    ("INR", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("MOP", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("PHP", 2),
    ("PLN", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TWD", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

#[derive(Debug, thiserror::Error)]
#[error(
    "`{given}` is not a currency frontdesk knows; use an ISO 4217 code such as CAD, CNY, USD or EUR (known: {known})"
)]
pub struct UnknownCurrency {
    given: String,
    known: String,
}

/// Before a shop has chosen one (the setup wizard); never stored.
impl Default for Currency {
    fn default() -> Self {
        Currency {
            code: "USD".to_owned(),
            minor_digits: 2,
        }
    }
}

impl Currency {
    /// Every code frontdesk knows, for pick lists.
    pub fn known_codes() -> impl Iterator<Item = &'static str> {
        KNOWN.iter().map(|(code, _)| *code)
    }

    pub fn from_code(code: &str) -> Result<Self, UnknownCurrency> {
        let wanted = code.trim().to_ascii_uppercase();
        KNOWN
            .iter()
            .find(|(known, _)| *known == wanted)
            .map(|(known, digits)| Currency {
                code: (*known).to_owned(),
                minor_digits: *digits,
            })
            .ok_or_else(|| UnknownCurrency {
                given: code.chars().take(16).collect(),
                known: KNOWN.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", "),
            })
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn minor_digits(&self) -> u8 {
        self.minor_digits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_resolve_with_their_minor_units() {
        assert_eq!(Currency::from_code("cad").unwrap().minor_digits(), 2);
        assert_eq!(Currency::from_code("JPY").unwrap().minor_digits(), 0);
        let err = Currency::from_code("XYZ").unwrap_err().to_string();
        assert!(err.contains("XYZ") && err.contains("CAD"), "{err}");
    }
}
