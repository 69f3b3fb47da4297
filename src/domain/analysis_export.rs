//! The pure rules of the pseudonymised analysis export: which calendar months it covers, the
//! spend bands it reports instead of amounts, and how a series is named.

use chrono::{Datelike, NaiveDate};

/// Months an export covers when none are asked for.
pub const DEFAULT_MONTHS: u32 = 12;
/// The most months one export may cover (five years).
pub const MAX_MONTHS: u32 = 60;
/// The longest series name.
pub const MAX_SERIES_NAME: usize = 32;

/// One calendar month in the shop's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
}

impl Month {
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// The month before this one.
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The month's first day; `None` only for years chrono cannot represent.
    pub fn first_day(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
    }

    /// `2026-11`, as in the `member_since` column.
    pub fn to_dashed(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// `visits_2026_11`, the month's visits column.
    pub fn visits_column(self) -> String {
        format!("visits_{:04}_{:02}", self.year, self.month)
    }
}

/// The `count` months ending with the month of `today`, oldest first.
pub fn months_ending(today: NaiveDate, count: u32) -> Vec<Month> {
    let mut months = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    let mut month = Month::of(today);
    for _ in 0..count {
        months.push(month);
        month = month.previous();
    }
    months.reverse();
    months
}

/// Checks `--months`: 1 to [`MAX_MONTHS`].
pub fn check_months(months: u32) -> Result<u32, String> {
    if (1..=MAX_MONTHS).contains(&months) {
        Ok(months)
    } else {
        Err(format!(
            "an export covers 1 to {MAX_MONTHS} months, not {months}; choose a number in that range"
        ))
    }
}

/// Checks a series name: 1 to 32 lower-case ASCII letters, digits, `-` or `_` (it is kept in
/// the store and named in the audit log, so it must be plain and never personal).
pub fn normalize_series_name(input: &str) -> Result<String, String> {
    let name = input.trim().to_ascii_lowercase();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    if !name.is_empty() && name.len() <= MAX_SERIES_NAME && name.chars().all(allowed) {
        Ok(name)
    } else {
        Err(format!(
            "a series name is 1 to {MAX_SERIES_NAME} letters, digits, `-` or `_` (for example `monthly`); choose another"
        ))
    }
}

/// A member's spend over the export's months, in bands of the shop currency's major units, so
/// no exact amount (which could single a customer out) leaves the shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpendBand {
    /// Nothing spent.
    Nothing,
    /// More than nothing, under 50.
    Under50,
    /// 50 to 199.99…
    From50To199,
    /// 200 to 499.99…
    From200To499,
    /// 500 or more.
    From500,
}

impl SpendBand {
    pub const ALL: [SpendBand; 5] = [
        SpendBand::Nothing,
        SpendBand::Under50,
        SpendBand::From50To199,
        SpendBand::From200To499,
        SpendBand::From500,
    ];

    /// The band of `spend_minor` minor units in a currency with `minor_digits` decimals.
    pub fn of(spend_minor: i64, minor_digits: u8) -> SpendBand {
        let unit = 10i64.saturating_pow(u32::from(minor_digits));
        let major = |amount: i64| amount.saturating_mul(unit);
        if spend_minor <= 0 {
            SpendBand::Nothing
        } else if spend_minor < major(50) {
            SpendBand::Under50
        } else if spend_minor < major(200) {
            SpendBand::From50To199
        } else if spend_minor < major(500) {
            SpendBand::From200To499
        } else {
            SpendBand::From500
        }
    }

    /// The cell written to the CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            SpendBand::Nothing => "0",
            SpendBand::Under50 => "<50",
            SpendBand::From50To199 => "50-199",
            SpendBand::From200To499 => "200-499",
            SpendBand::From500 => "500+",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn months_end_with_the_current_one_and_cross_the_year() {
        let months = months_ending(day(2026, 2, 14), 3);
        assert_eq!(
            months,
            vec![
                Month {
                    year: 2025,
                    month: 12
                },
                Month {
                    year: 2026,
                    month: 1
                },
                Month {
                    year: 2026,
                    month: 2
                },
            ]
        );
        assert_eq!(months[0].visits_column(), "visits_2025_12");
        assert_eq!(months[2].to_dashed(), "2026-02");
        assert_eq!(months_ending(day(2026, 2, 14), 12).len(), 12);
    }

    #[test]
    fn bands_follow_major_units_of_the_currency() {
        assert_eq!(SpendBand::of(0, 2), SpendBand::Nothing);
        assert_eq!(SpendBand::of(-300, 2), SpendBand::Nothing);
        assert_eq!(SpendBand::of(1, 2), SpendBand::Under50);
        assert_eq!(SpendBand::of(4_999, 2), SpendBand::Under50);
        assert_eq!(SpendBand::of(5_000, 2), SpendBand::From50To199);
        assert_eq!(SpendBand::of(19_999, 2), SpendBand::From50To199);
        assert_eq!(SpendBand::of(20_000, 2), SpendBand::From200To499);
        assert_eq!(SpendBand::of(50_000, 2), SpendBand::From500);
        // Yen have no minor unit: 500 yen is 500 minor units.
        assert_eq!(SpendBand::of(499, 0), SpendBand::From200To499);
        assert_eq!(SpendBand::of(500, 0), SpendBand::From500);
        assert_eq!(SpendBand::of(i64::MAX, 3), SpendBand::From500);
    }

    #[test]
    fn months_and_series_names_are_checked() {
        assert!(check_months(0).is_err());
        assert_eq!(check_months(12), Ok(12));
        assert!(check_months(MAX_MONTHS + 1).is_err());
        assert_eq!(normalize_series_name(" Monthly "), Ok("monthly".to_owned()));
        assert!(normalize_series_name("").is_err());
        assert!(normalize_series_name("a b").is_err());
        assert!(normalize_series_name("张").is_err());
        assert!(normalize_series_name(&"a".repeat(33)).is_err());
    }
}
