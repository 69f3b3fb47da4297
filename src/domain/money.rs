//! Amounts of money as whole minor units (cents, fen, yen) of the shop's currency. Every
//! operation is integer and checked: an overflow is an error to show, never a panic or a wrap.

use serde::{Deserialize, Serialize};

use crate::domain::currency::Currency;

/// An amount in minor units of the shop's one currency (which the store keeps, not each amount).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Money(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("the amount is too large to {operation}; check the quantity and the prices")]
    Overflow { operation: &'static str },
    #[error("enter an amount, such as 12.50")]
    Empty,
    #[error(
        "enter an amount as digits with an optional decimal point, such as 12.50 (no thousands separators or symbols)"
    )]
    NotAnAmount,
    #[error("{code} amounts have no decimal places; enter a whole number")]
    NoDecimalsAllowed { code: String },
    #[error("{code} amounts have at most {digits} decimal places")]
    TooManyDecimals { code: String, digits: u8 },
    #[error("the amount is in {given}, but this shop keeps its books in {expected}")]
    OtherCurrency { given: String, expected: String },
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_minor(minor_units: i64) -> Self {
        Self(minor_units)
    }

    pub const fn minor_units(self) -> i64 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.0
            .checked_add(other.0)
            .map(Money)
            .ok_or(MoneyError::Overflow { operation: "add" })
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.0
            .checked_sub(other.0)
            .map(Money)
            .ok_or(MoneyError::Overflow {
                operation: "subtract",
            })
    }

    pub fn checked_mul(self, quantity: u32) -> Result<Money, MoneyError> {
        self.0
            .checked_mul(i64::from(quantity))
            .map(Money)
            .ok_or(MoneyError::Overflow {
                operation: "multiply",
            })
    }

    /// Adds up amounts, failing on the first overflow.
    pub fn checked_sum<I: IntoIterator<Item = Money>>(amounts: I) -> Result<Money, MoneyError> {
        amounts
            .into_iter()
            .try_fold(Money::ZERO, |sum, amount| sum.checked_add(amount))
    }

    /// `percent`% of this amount, rounded to the nearest minor unit with halves rounded away
    /// from zero (commercial rounding: 10% of 0.05 is 0.01, of -0.05 is -0.01), so a negative
    /// amount gives exactly the negation of the positive one. Computed in 128-bit integers, so
    /// only a result beyond the `i64` range fails.
    pub fn percent_of(self, percent: u32) -> Result<Money, MoneyError> {
        let product = i128::from(self.0) * i128::from(percent);
        let rounded = (product.unsigned_abs() + 50) / 100;
        let magnitude = i128::try_from(rounded).map_err(|_| MoneyError::Overflow {
            operation: "take a percentage of",
        })?;
        let signed = if product < 0 { -magnitude } else { magnitude };
        i64::try_from(signed)
            .map(Money)
            .map_err(|_| MoneyError::Overflow {
                operation: "take a percentage of",
            })
    }

    /// The amount with its currency code: `12.50 CAD`, `88 JPY`, `-3.00 CAD`.
    pub fn format(self, currency: &Currency) -> String {
        format!("{} {}", self.format_amount(currency), currency.code())
    }

    /// The number alone, with exactly the currency's decimal places (`12.50`, `88`, `-3.00`),
    /// for columns whose heading or total already names the currency.
    pub fn format_amount(self, currency: &Currency) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let digits = usize::from(currency.minor_digits());
        if digits == 0 {
            return format!("{sign}{magnitude}");
        }
        let scale = 10u64.pow(u32::from(currency.minor_digits()));
        let major = magnitude / scale;
        let minor = magnitude % scale;
        format!("{sign}{major}.{minor:0digits$}")
    }

    /// Reads what a person typed: `12`, `12.5`, `12.50`, optionally signed with `-` and
    /// optionally followed by the shop's currency code (so [`Money::format`] output reads back).
    /// More decimal places than the currency has are refused rather than rounded.
    pub fn parse(text: &str, currency: &Currency) -> Result<Money, MoneyError> {
        let mut number = text.trim();
        if number.is_empty() {
            return Err(MoneyError::Empty);
        }
        if let Some((amount, code)) = number.rsplit_once(' ') {
            let code = code.trim();
            if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) {
                if !code.eq_ignore_ascii_case(currency.code()) {
                    return Err(MoneyError::OtherCurrency {
                        given: code.to_ascii_uppercase(),
                        expected: currency.code().to_owned(),
                    });
                }
                number = amount.trim_end();
            }
        }
        let (negative, unsigned) = match number.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, number),
        };
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (unsigned, None),
        };
        let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
            return Err(MoneyError::NotAnAmount);
        }
        let fraction = fraction.unwrap_or("");
        let digits = usize::from(currency.minor_digits());
        if fraction.len() > digits {
            return Err(if digits == 0 {
                MoneyError::NoDecimalsAllowed {
                    code: currency.code().to_owned(),
                }
            } else {
                MoneyError::TooManyDecimals {
                    code: currency.code().to_owned(),
                    digits: currency.minor_digits(),
                }
            });
        }
        let overflow = MoneyError::Overflow { operation: "store" };
        // Every digit, whole part then fraction padded to the currency's places, is one
        // decimal number of minor units.
        let padded = format!("{whole}{fraction:0<digits$}");
        let mut minor_units: i64 = 0;
        for digit in padded.bytes() {
            minor_units = minor_units
                .checked_mul(10)
                .and_then(|units| units.checked_add(i64::from(digit - b'0')))
                .ok_or_else(|| overflow.clone())?;
        }
        Ok(Money(if negative { -minor_units } else { minor_units }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cad() -> Currency {
        Currency::from_code("CAD").unwrap()
    }

    fn jpy() -> Currency {
        Currency::from_code("JPY").unwrap()
    }

    #[test]
    fn checked_arithmetic_reports_overflow_instead_of_panicking() {
        let big = Money::from_minor(i64::MAX);
        assert_eq!(
            Money::from_minor(1250).checked_add(Money::from_minor(50)),
            Ok(Money::from_minor(1300))
        );
        assert_eq!(
            Money::from_minor(100).checked_sub(Money::from_minor(400)),
            Ok(Money::from_minor(-300))
        );
        assert_eq!(
            Money::from_minor(250).checked_mul(3),
            Ok(Money::from_minor(750))
        );
        assert!(matches!(
            big.checked_add(Money::from_minor(1)),
            Err(MoneyError::Overflow { .. })
        ));
        assert!(matches!(
            Money::from_minor(i64::MIN).checked_sub(Money::from_minor(1)),
            Err(MoneyError::Overflow { .. })
        ));
        assert!(matches!(
            big.checked_mul(2),
            Err(MoneyError::Overflow { .. })
        ));
        assert!(Money::checked_sum([big, Money::from_minor(1)]).is_err());
        assert_eq!(
            Money::checked_sum([Money::from_minor(1), Money::from_minor(2)]),
            Ok(Money::from_minor(3))
        );
        let message = big.checked_mul(2).unwrap_err().to_string();
        assert!(message.contains("too large"), "{message}");
    }

    #[test]
    fn percent_of_rounds_half_away_from_zero() {
        assert_eq!(
            Money::from_minor(5).percent_of(10),
            Ok(Money::from_minor(1))
        );
        assert_eq!(
            Money::from_minor(4).percent_of(10),
            Ok(Money::from_minor(0))
        );
        assert_eq!(
            Money::from_minor(-5).percent_of(10),
            Ok(Money::from_minor(-1))
        );
        assert_eq!(
            Money::from_minor(1999).percent_of(15),
            Ok(Money::from_minor(300))
        );
        assert_eq!(
            Money::from_minor(1250).percent_of(100),
            Ok(Money::from_minor(1250))
        );
        assert_eq!(Money::from_minor(1250).percent_of(0), Ok(Money::ZERO));
        assert_eq!(
            Money::from_minor(i64::MAX).percent_of(100),
            Ok(Money::from_minor(i64::MAX))
        );
        assert!(Money::from_minor(i64::MAX).percent_of(200).is_err());
    }

    #[test]
    fn format_uses_the_currency_decimal_places() {
        assert_eq!(Money::from_minor(1250).format(&cad()), "12.50 CAD");
        assert_eq!(Money::from_minor(88).format(&jpy()), "88 JPY");
        assert_eq!(Money::from_minor(-300).format(&cad()), "-3.00 CAD");
        assert_eq!(Money::from_minor(-5).format(&cad()), "-0.05 CAD");
        assert_eq!(Money::from_minor(7).format_amount(&cad()), "0.07");
        assert_eq!(
            Money::from_minor(i64::MIN).format(&cad()),
            "-92233720368547758.08 CAD"
        );
    }

    #[test]
    fn parse_accepts_up_to_the_currency_decimal_places() {
        assert_eq!(Money::parse("12", &cad()), Ok(Money::from_minor(1200)));
        assert_eq!(Money::parse("12.5", &cad()), Ok(Money::from_minor(1250)));
        assert_eq!(Money::parse(" 12.50 ", &cad()), Ok(Money::from_minor(1250)));
        assert_eq!(Money::parse("0.07", &cad()), Ok(Money::from_minor(7)));
        assert_eq!(Money::parse("-3.00", &cad()), Ok(Money::from_minor(-300)));
        assert_eq!(
            Money::parse("12.50 cad", &cad()),
            Ok(Money::from_minor(1250))
        );
        assert_eq!(Money::parse("88", &jpy()), Ok(Money::from_minor(88)));
    }

    #[test]
    fn parse_refuses_extra_decimals_and_junk_with_a_clear_reason() {
        assert_eq!(
            Money::parse("12.505", &cad()),
            Err(MoneyError::TooManyDecimals {
                code: "CAD".into(),
                digits: 2
            })
        );
        assert_eq!(
            Money::parse("88.0", &jpy()),
            Err(MoneyError::NoDecimalsAllowed { code: "JPY".into() })
        );
        assert_eq!(Money::parse("  ", &cad()), Err(MoneyError::Empty));
        for junk in [
            "abc", "12.", ".5", "1,000", "$12", "+12", "--1", "1.2.3", "1 2", "１２", "12e3", "-",
        ] {
            assert_eq!(
                Money::parse(junk, &cad()),
                Err(MoneyError::NotAnAmount),
                "{junk}"
            );
        }
        assert_eq!(
            Money::parse("12.50 USD", &cad()),
            Err(MoneyError::OtherCurrency {
                given: "USD".into(),
                expected: "CAD".into()
            })
        );
        assert!(matches!(
            Money::parse("99999999999999999999", &cad()),
            Err(MoneyError::Overflow { .. })
        ));
        let message = Money::parse("12.505", &cad()).unwrap_err().to_string();
        assert_eq!(message, "CAD amounts have at most 2 decimal places");
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(minor in (i64::MIN + 1)..=i64::MAX) {
            for currency in [cad(), jpy()] {
                let money = Money::from_minor(minor);
                prop_assert_eq!(Money::parse(&money.format(&currency), &currency), Ok(money));
                prop_assert_eq!(Money::parse(&money.format_amount(&currency), &currency), Ok(money));
            }
        }
    }

    /// SPEC section 7: no floating point anywhere in money. The needles are built so this test's
    /// own text does not match them.
    #[test]
    fn money_modules_use_no_floating_point() {
        let sources = [
            ("money.rs", include_str!("money.rs")),
            ("catalog.rs", include_str!("catalog.rs")),
            ("plans.rs", include_str!("plans.rs")),
            ("checkout.rs", include_str!("checkout.rs")),
            ("receipt.rs", include_str!("receipt.rs")),
        ];
        let needles = [concat!("f", "32"), concat!("f", "64")];
        for (file, source) in sources {
            for needle in needles {
                assert!(!source.contains(needle), "{file} mentions {needle}");
            }
        }
    }
}
