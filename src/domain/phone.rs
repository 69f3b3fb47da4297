//! Mobile phone numbers: parsed from what people type, kept as an optional country calling
//! code plus the national digits.

use std::fmt;

use super::field_error::FieldError;
use super::sanitize::sanitize_line;

const FIELD: &str = "phone";
const NATIONAL_MIN_DIGITS: usize = 6;
const NATIONAL_MAX_DIGITS: usize = 14;
/// E.164: a full international number has at most 15 digits.
const INTERNATIONAL_MAX_DIGITS: usize = 15;
const HOW_TO_ENTER: &str =
    "enter 6 to 14 digits, optionally starting with + (or 00) and the country code";

/// Two-digit country calling codes (ITU-T E.164 assignments); codes starting 1 or 7 have one
/// digit, every other code three.
const TWO_DIGIT_CODES: &[&str] = &[
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
    "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
    "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
];

/// Digits only, never empty. Equality is on the digits as entered: `+86 138…` and `138…` differ.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone {
    country_code: Option<String>,
    national: String,
}

impl Phone {
    /// Accepts spaces, dashes, dots and parentheses between digits; a leading `+` or `00`
    /// means a country calling code comes first. Full-width digits and `＋` (from CJK input
    /// methods) count as their ASCII forms.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let cleaned = sanitize_line(input);
        let mut digits = String::with_capacity(cleaned.len());
        let mut plus = false;
        for c in cleaned.chars() {
            match c {
                '0'..='9' => digits.push(c),
                '０'..='９' => {
                    digits.push(char::from(b'0' + (u32::from(c) - u32::from('０')) as u8))
                }
                '+' | '＋' if digits.is_empty() && !plus => plus = true,
                '+' | '＋' => {
                    return Err(FieldError::new(
                        FIELD,
                        "a + may only come first, before the country code",
                    ));
                }
                ' ' | '-' | '.' | '(' | ')' | '（' | '）' | '－' => {}
                _ => {
                    return Err(FieldError::new(
                        FIELD,
                        format!(
                            "use only digits, spaces, dashes, dots and parentheses; {HOW_TO_ENTER}"
                        ),
                    ));
                }
            }
        }
        if digits.is_empty() {
            return Err(FieldError::new(FIELD, HOW_TO_ENTER));
        }
        let international = if plus {
            Some(digits.as_str())
        } else {
            digits.strip_prefix("00")
        };
        match international {
            Some(rest) => {
                let (code, national) = split_country_code(rest)?;
                Self::new(Some(code), national)
            }
            None => Self::new(None, &digits),
        }
    }

    fn new(country_code: Option<&str>, national: &str) -> Result<Self, FieldError> {
        let count = national.len();
        if count < NATIONAL_MIN_DIGITS {
            return Err(FieldError::new(
                FIELD,
                format!("too few digits; {HOW_TO_ENTER}"),
            ));
        }
        let total = count + country_code.map_or(0, str::len);
        if count > NATIONAL_MAX_DIGITS
            || (country_code.is_some() && total > INTERNATIONAL_MAX_DIGITS)
        {
            return Err(FieldError::new(
                FIELD,
                format!("too many digits; {HOW_TO_ENTER}"),
            ));
        }
        Ok(Self {
            country_code: country_code.map(str::to_owned),
            national: national.to_owned(),
        })
    }

    /// The calling code's digits without the `+` (`"86"`), if one was entered.
    pub fn country_code(&self) -> Option<&str> {
        self.country_code.as_deref()
    }

    pub fn national(&self) -> &str {
        &self.national
    }

    /// The last four national digits, for the partial-number blind index.
    pub fn last4(&self) -> &str {
        // `national` is ASCII digits, at least six of them.
        &self.national[self.national.len().saturating_sub(4)..]
    }

    /// The canonical form that is encrypted and blind-indexed: `+86 13812345678` or
    /// `6045551234`.
    pub fn to_storage_string(&self) -> String {
        match &self.country_code {
            Some(code) => format!("+{code} {}", self.national),
            None => self.national.clone(),
        }
    }

    /// Reads back exactly what [`Phone::to_storage_string`] wrote.
    pub fn from_storage_string(stored: &str) -> Result<Self, FieldError> {
        let corrupt = || FieldError::new(FIELD, "the stored number is not in canonical form");
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let (code, national) = match stored.strip_prefix('+') {
            Some(rest) => {
                let (code, national) = rest.split_once(' ').ok_or_else(corrupt)?;
                let digits = format!("{code}{national}");
                let (expected_code, _) = split_country_code(&digits).map_err(|_| corrupt())?;
                if expected_code != code || !all_digits(code) {
                    return Err(corrupt());
                }
                (Some(code), national)
            }
            None => (None, stored),
        };
        if !all_digits(national) {
            return Err(corrupt());
        }
        Self::new(code, national).map_err(|_| corrupt())
    }
}

/// Splits international digits (after the `+`) into the calling code and the national number.
fn split_country_code(digits: &str) -> Result<(&str, &str), FieldError> {
    let code_length = match digits.as_bytes() {
        [b'0', ..] | [] => {
            return Err(FieldError::new(
                FIELD,
                "country codes never start with 0; enter the country code right after the +",
            ));
        }
        [b'1' | b'7', ..] => 1,
        _ if digits
            .get(..2)
            .is_some_and(|two| TWO_DIGIT_CODES.contains(&two)) =>
        {
            2
        }
        _ => 3,
    };
    if digits.len() <= code_length {
        return Err(FieldError::new(
            FIELD,
            format!("the number after the country code is missing; {HOW_TO_ENTER}"),
        ));
    }
    Ok(digits.split_at(code_length))
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Phone(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(input: &str) -> (Option<String>, String) {
        let phone = Phone::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        (
            phone.country_code().map(str::to_owned),
            phone.national().to_owned(),
        )
    }

    fn with_code(code: &str, national: &str) -> (Option<String>, String) {
        (Some(code.to_owned()), national.to_owned())
    }

    #[test]
    fn chinese_mobiles_with_and_without_country_code() {
        assert_eq!(parts("13812345678"), (None, "13812345678".to_owned()));
        assert_eq!(parts("138 1234 5678"), (None, "13812345678".to_owned()));
        assert_eq!(parts("+86 138-1234-5678"), with_code("86", "13812345678"));
        assert_eq!(parts("+8613812345678"), with_code("86", "13812345678"));
        assert_eq!(parts("0086 13812345678"), with_code("86", "13812345678"));
        assert_eq!(
            parts("（+86）１３８１２３４５６７８"),
            with_code("86", "13812345678")
        );
    }

    #[test]
    fn canadian_numbers() {
        assert_eq!(parts("(604) 555-1234"), (None, "6045551234".to_owned()));
        assert_eq!(parts("604.555.1234"), (None, "6045551234".to_owned()));
        assert_eq!(parts("+1 604 555 1234"), with_code("1", "6045551234"));
        assert_eq!(parts("+1 (604) 555-1234"), with_code("1", "6045551234"));
    }

    #[test]
    fn country_codes_split_by_the_itu_rule() {
        assert_eq!(parts("+7 912 345 6789"), with_code("7", "9123456789"));
        assert_eq!(parts("+44 7700 900123"), with_code("44", "7700900123"));
        assert_eq!(parts("+852 9123 4567"), with_code("852", "91234567"));
        assert_eq!(parts("+853 6612 3456"), with_code("853", "66123456"));
        assert_eq!(parts("+886 912 345 678"), with_code("886", "912345678"));
        assert_eq!(parts("+380 50 123 4567"), with_code("380", "501234567"));
        assert_eq!(parts("+98 912 345 6789"), with_code("98", "9123456789"));
    }

    #[test]
    fn junk_is_rejected_without_echoing_it() {
        for junk in [
            "",
            "   ",
            "call me",
            "138-1234-567x",
            "12345",
            "+86 12345",
            "123456789012345",
            "+0 6045551234",
            "+",
            "+86",
            "86+13812345678",
            "++8613812345678",
            "+1 604 555 1234 5678 9",
            "138\u{1B}[2J12345678",
            "604/555/1234",
        ] {
            let error = Phone::parse(junk).expect_err(junk);
            assert_eq!(error.field(), "phone");
            if junk.len() >= 4 {
                assert!(!error.to_string().contains(junk.trim()), "{error}");
            }
        }
    }

    #[test]
    fn invisible_characters_pasted_around_a_number_are_ignored() {
        assert_eq!(
            parts("\u{202A}+1 604 555 1234\u{202C}"),
            with_code("1", "6045551234")
        );
    }

    #[test]
    fn last4_and_storage_round_trip() {
        for input in [
            "+86 13812345678",
            "(604) 555-1234",
            "+852 9123 4567",
            "123456",
        ] {
            let phone = Phone::parse(input).unwrap();
            let stored = phone.to_storage_string();
            assert_eq!(
                Phone::from_storage_string(&stored).unwrap(),
                phone,
                "{stored}"
            );
        }
        let phone = Phone::parse("+86 13812345678").unwrap();
        assert_eq!(phone.to_storage_string(), "+86 13812345678");
        assert_eq!(phone.last4(), "5678");
        assert_eq!(
            Phone::parse("(604) 555-1234").unwrap().to_storage_string(),
            "6045551234"
        );
    }

    #[test]
    fn storage_strings_must_be_canonical() {
        for bad in [
            "",
            "+86",
            "+8613812345678",
            "+861 3812345678",
            "+86  13812345678",
            "604-555-1234",
            "+0 123456",
        ] {
            assert!(Phone::from_storage_string(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_redacts_the_number() {
        let phone = Phone::parse("+86 13812345678").unwrap();
        let debug = format!("{phone:?}");
        assert!(!debug.contains("138") && !debug.contains("5678"), "{debug}");
    }
}
