//! The span a report covers: a day, a Monday-to-Sunday week, a calendar month or any run of
//! shop-local dates, with the period of equal length just before it to compare against.

use chrono::{Datelike, Days, Months, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Day,
    Week,
    Month,
    Custom,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 4] = [
        PeriodKind::Day,
        PeriodKind::Week,
        PeriodKind::Month,
        PeriodKind::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Day => "day",
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
            PeriodKind::Custom => "custom",
        }
    }
}

/// Shop-local dates `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: PeriodKind,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the report ends before it starts; give --from on or before --to")]
    Backwards,
    #[error("a report covers at most ten years; choose a shorter range")]
    TooLong,
    #[error("that date is out of range; choose another")]
    OutOfRange,
}

/// The longest range a report accepts, in days.
pub const MAX_DAYS: i64 = 3_660;

impl Period {
    pub fn day(date: NaiveDate) -> Period {
        Period {
            kind: PeriodKind::Day,
            first: date,
            last: date,
        }
    }

    /// The Monday-to-Sunday week holding `date`.
    pub fn week(date: NaiveDate) -> Option<Period> {
        let back = u64::from(date.weekday().num_days_from_monday());
        let first = date.checked_sub_days(Days::new(back))?;
        Some(Period {
            kind: PeriodKind::Week,
            first,
            last: first.checked_add_days(Days::new(6))?,
        })
    }

    /// The calendar month holding `date`.
    pub fn month(date: NaiveDate) -> Option<Period> {
        let first = date.with_day(1)?;
        let last = first
            .checked_add_months(Months::new(1))?
            .checked_sub_days(Days::new(1))?;
        Some(Period {
            kind: PeriodKind::Month,
            first,
            last,
        })
    }

    pub fn custom(first: NaiveDate, last: NaiveDate) -> Result<Period, PeriodError> {
        if last < first {
            return Err(PeriodError::Backwards);
        }
        if (last - first).num_days() >= MAX_DAYS {
            return Err(PeriodError::TooLong);
        }
        Ok(Period {
            kind: PeriodKind::Custom,
            first,
            last,
        })
    }

    /// A kind of period holding `date`.
    pub fn of_kind(kind: PeriodKind, date: NaiveDate) -> Option<Period> {
        match kind {
            PeriodKind::Day | PeriodKind::Custom => Some(Period::day(date)),
            PeriodKind::Week => Period::week(date),
            PeriodKind::Month => Period::month(date),
        }
    }

    pub fn days(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }

    /// The period of the same kind just before: the previous day, week or month, or as many
    /// days just before a custom range.
    pub fn previous(&self) -> Option<Period> {
        match self.kind {
            PeriodKind::Month => Period::month(self.first.checked_sub_days(Days::new(1))?),
            _ => {
                let length = u64::try_from(self.days()).ok()?;
                Some(Period {
                    kind: self.kind,
                    first: self.first.checked_sub_days(Days::new(length))?,
                    last: self.first.checked_sub_days(Days::new(1))?,
                })
            }
        }
    }

    /// The period of the same kind just after.
    pub fn next(&self) -> Option<Period> {
        match self.kind {
            PeriodKind::Month => Period::month(self.last.checked_add_days(Days::new(1))?),
            _ => {
                let length = u64::try_from(self.days()).ok()?;
                Some(Period {
                    kind: self.kind,
                    first: self.last.checked_add_days(Days::new(1))?,
                    last: self.last.checked_add_days(Days::new(length))?,
                })
            }
        }
    }

    /// Every date of the period, in order.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.first.iter_days().take_while(|d| *d <= self.last)
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first <= date && date <= self.last
    }
}

/// The store's key for a shop-local date, `yyyymmdd`, so a range of dates is a range of keys.
pub fn day_key(date: NaiveDate) -> u32 {
    let year = u32::try_from(date.year()).unwrap_or(0);
    year * 10_000 + date.month() * 100 + date.day()
}

/// The date of a [`day_key`].
pub fn date_of_key(key: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        i32::try_from(key / 10_000).ok()?,
        (key / 100) % 100,
        key % 100,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_months_know_their_length() {
        let week = Period::week(date(2026, 5, 14)).unwrap();
        assert_eq!(
            (week.first, week.last),
            (date(2026, 5, 11), date(2026, 5, 17))
        );
        let feb = Period::month(date(2028, 2, 10)).unwrap();
        assert_eq!(feb.days(), 29);
        assert_eq!(
            feb.previous().unwrap(),
            Period::month(date(2028, 1, 1)).unwrap()
        );
        assert_eq!(feb.next().unwrap().first, date(2028, 3, 1));
    }

    #[test]
    fn a_custom_range_compares_with_as_many_days_before_it() {
        let range = Period::custom(date(2026, 3, 10), date(2026, 3, 19)).unwrap();
        let before = range.previous().unwrap();
        assert_eq!(
            (before.first, before.last),
            (date(2026, 2, 28), date(2026, 3, 9))
        );
        assert_eq!(before.days(), range.days());
        assert_eq!(
            Period::custom(date(2026, 3, 10), date(2026, 3, 9)),
            Err(PeriodError::Backwards)
        );
    }

    #[test]
    fn day_keys_sort_like_dates_and_read_back() {
        let key = day_key(date(2026, 12, 31));
        assert_eq!(key, 20_261_231);
        assert!(key < day_key(date(2027, 1, 1)));
        assert_eq!(date_of_key(key), Some(date(2026, 12, 31)));
        assert_eq!(date_of_key(20_260_230), None);
    }
}
