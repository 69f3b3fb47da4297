//! The shop's schedule settings: weekly opening hours, closed days and the booking rules (slot
//! length, notice, horizon, buffer between cars).

use chrono::{NaiveDate, NaiveTime, Timelike, Weekday};
use serde::{Deserialize, Serialize};

use super::error::ScheduleError;

pub const MAX_HORIZON_DAYS: u32 = 366;
pub const MAX_NOTICE_MINUTES: u32 = 7 * 24 * 60;
pub const MAX_BUFFER_MINUTES: u32 = 240;

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// One stretch of local wall-clock time the shop is open, starting on a given day at `open`.
/// When `close` is after `open` the period ends the same day; otherwise it ends at `close` on
/// the next day (`22:00–02:00`), and `open == close` is a whole day (typed `00:00-24:00`).
/// Stores written before periods could run past midnight never hold `close <= open`, so they
/// read back unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenPeriod {
    pub open: NaiveTime,
    pub close: NaiveTime,
}

const SECONDS_PER_DAY: u32 = 24 * 60 * 60;

impl OpenPeriod {
    /// Whether the period ends on the day after it opens (at or after the next midnight).
    pub fn closes_next_day(&self) -> bool {
        self.close <= self.open
    }

    /// The local calendar day the period closes on, when it opens on `date`.
    pub fn close_date(&self, date: NaiveDate) -> NaiveDate {
        if self.closes_next_day() {
            date.succ_opt().unwrap_or(date)
        } else {
            date
        }
    }

    /// How long the shop is open in this period.
    pub fn minutes(&self) -> u32 {
        self.end_seconds()
            .saturating_sub(self.open.num_seconds_from_midnight())
            / 60
    }

    /// Seconds from the opening day's midnight to the closing time: up to two days.
    fn end_seconds(&self) -> u32 {
        let close = self.close.num_seconds_from_midnight();
        if self.closes_next_day() {
            close + SECONDS_PER_DAY
        } else {
            close
        }
    }

    /// `08:00–19:00`, `18:00–24:00`, `00:00–24:00` or `22:00–02:00 (next day)`.
    pub fn describe(&self) -> String {
        let open = self.open.format("%H:%M");
        if self.closes_next_day() && self.close == NaiveTime::MIN {
            format!("{open}–24:00")
        } else if self.closes_next_day() {
            format!("{open}–{} (next day)", self.close.format("%H:%M"))
        } else {
            format!("{open}–{}", self.close.format("%H:%M"))
        }
    }
}

/// Local opening periods for each weekday, sorted and non-overlapping, also where one day's
/// period runs past midnight into the next day's. Deserialising validates too, so a stored value
/// can never break these rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "UncheckedOpeningHours")]
pub struct OpeningHours {
    /// Indexed by `Weekday::num_days_from_monday`.
    week: [Vec<OpenPeriod>; 7],
}

#[derive(Deserialize)]
struct UncheckedOpeningHours {
    week: [Vec<OpenPeriod>; 7],
}

impl TryFrom<UncheckedOpeningHours> for OpeningHours {
    type Error = ScheduleError;

    fn try_from(unchecked: UncheckedOpeningHours) -> Result<Self, Self::Error> {
        Self::from_periods(unchecked.week)
    }
}

impl OpeningHours {
    /// `week[0]` is Monday's `(open, close)` list, `week[6]` Sunday's; an empty list means closed
    /// that day. Periods may be given in any order; touching periods (`08:00–12:00` and
    /// `12:00–19:00`) are joined into one, so a service may run across the seam.
    pub fn new(week: [Vec<(NaiveTime, NaiveTime)>; 7]) -> Result<Self, ScheduleError> {
        Self::from_periods(week.map(|day| {
            day.into_iter()
                .map(|(open, close)| OpenPeriod { open, close })
                .collect()
        }))
    }

    fn from_periods(mut week: [Vec<OpenPeriod>; 7]) -> Result<Self, ScheduleError> {
        for (weekday, periods) in WEEK.into_iter().zip(week.iter_mut()) {
            periods.sort_by_key(|p| p.open);
            let mut joined: Vec<OpenPeriod> = Vec::with_capacity(periods.len());
            for period in periods.drain(..) {
                let start = period.open.num_seconds_from_midnight();
                match joined.last_mut() {
                    Some(previous) if start < previous.end_seconds() => {
                        return Err(ScheduleError::OverlappingOpeningPeriods {
                            weekday,
                            first: previous.describe(),
                            second: period.describe(),
                        });
                    }
                    // Joined only while the result is still at most a day long, which is all
                    // one period can say; longer runs stay two touching periods.
                    Some(previous)
                        if start == previous.end_seconds()
                            && period.end_seconds()
                                <= previous.open.num_seconds_from_midnight() + SECONDS_PER_DAY =>
                    {
                        previous.close = period.close;
                    }
                    _ => joined.push(period),
                }
            }
            *periods = joined;
        }
        // A period past midnight must be over before the next day's first period opens.
        for (index, weekday) in WEEK.into_iter().enumerate() {
            let next_index = (index + 1) % 7;
            let Some(last) = week[index].last().filter(|p| p.closes_next_day()) else {
                continue;
            };
            if let Some(first) = week[next_index].first()
                && first.open < last.close
            {
                return Err(ScheduleError::OverlappingNextDay {
                    weekday,
                    first: last.describe(),
                    next_weekday: WEEK[next_index],
                    second: first.describe(),
                });
            }
        }
        Ok(Self { week })
    }

    /// Monday to Saturday 08:00–19:00, Sunday 09:00–17:00.
    pub fn standard() -> Self {
        const fn at(hour: u32) -> NaiveTime {
            match NaiveTime::from_hms_opt(hour, 0, 0) {
                Some(time) => time,
                None => NaiveTime::MIN,
            }
        }
        let weekday = vec![OpenPeriod {
            open: at(8),
            close: at(19),
        }];
        let sunday = vec![OpenPeriod {
            open: at(9),
            close: at(17),
        }];
        Self {
            week: [
                weekday.clone(),
                weekday.clone(),
                weekday.clone(),
                weekday.clone(),
                weekday.clone(),
                weekday,
                sunday,
            ],
        }
    }

    /// The day's periods in time order; empty when the shop is closed that weekday.
    pub fn periods(&self, weekday: Weekday) -> &[OpenPeriod] {
        &self.week[weekday.num_days_from_monday() as usize]
    }

    /// `08:00–12:00, 13:00–19:00`, `22:00–02:00 (next day)`, or `closed`.
    pub fn describe(&self, weekday: Weekday) -> String {
        let periods = self.periods(weekday);
        if periods.is_empty() {
            return "closed".to_owned();
        }
        periods
            .iter()
            .map(OpenPeriod::describe)
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn is_never_open(&self) -> bool {
        self.week.iter().all(Vec::is_empty)
    }
}

/// A whole local day the shop is closed (a public holiday, a stocktake).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub date: NaiveDate,
    pub reason: String,
}

pub(crate) fn closure_on(closures: &[Closure], date: NaiveDate) -> Option<&Closure> {
    closures.iter().find(|closure| closure.date == date)
}

/// How bookings are laid out: starts on a local grid of `slot_minutes`, at least
/// `min_notice_minutes` from now, no more than `horizon_days` calendar days ahead, and with
/// `buffer_minutes` free on a bay after each car (for drying, cleaning the bay, moving cars).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRules {
    pub slot_minutes: u32,
    pub min_notice_minutes: u32,
    pub horizon_days: u32,
    pub buffer_minutes: u32,
}

impl Default for BookingRules {
    fn default() -> Self {
        Self {
            slot_minutes: 15,
            min_notice_minutes: 30,
            horizon_days: 30,
            buffer_minutes: 5,
        }
    }
}

impl BookingRules {
    pub fn new(
        slot_minutes: u32,
        min_notice_minutes: u32,
        horizon_days: u32,
        buffer_minutes: u32,
    ) -> Result<Self, ScheduleError> {
        let rules = Self {
            slot_minutes,
            min_notice_minutes,
            horizon_days,
            buffer_minutes,
        };
        rules.validate()?;
        Ok(rules)
    }

    pub fn validate(&self) -> Result<(), ScheduleError> {
        if self.slot_minutes == 0 || !60u32.is_multiple_of(self.slot_minutes) {
            return Err(ScheduleError::SlotLength(self.slot_minutes));
        }
        if !(1..=MAX_HORIZON_DAYS).contains(&self.horizon_days) {
            return Err(ScheduleError::HorizonDays(self.horizon_days));
        }
        if self.min_notice_minutes > MAX_NOTICE_MINUTES {
            return Err(ScheduleError::NoticeMinutes(self.min_notice_minutes));
        }
        if self.buffer_minutes > MAX_BUFFER_MINUTES {
            return Err(ScheduleError::BufferMinutes(self.buffer_minutes));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(hour: u32, minute: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(hour, minute, 0).unwrap()
    }

    fn only_monday(periods: Vec<(NaiveTime, NaiveTime)>) -> [Vec<(NaiveTime, NaiveTime)>; 7] {
        let mut week: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
        week[0] = periods;
        week
    }

    #[test]
    fn standard_hours_are_long_weekdays_and_a_shorter_sunday() {
        let hours = OpeningHours::standard();
        assert_eq!(hours.describe(Weekday::Mon), "08:00–19:00");
        assert_eq!(hours.describe(Weekday::Sat), "08:00–19:00");
        assert_eq!(hours.describe(Weekday::Sun), "09:00–17:00");
        assert_eq!(
            OpeningHours::new(only_monday(vec![]))
                .unwrap()
                .describe(Weekday::Mon),
            "closed"
        );
    }

    #[test]
    fn periods_are_sorted_and_touching_ones_joined() {
        let hours = OpeningHours::new(only_monday(vec![
            (t(13, 0), t(19, 0)),
            (t(8, 0), t(12, 0)),
            (t(19, 0), t(21, 0)),
        ]))
        .unwrap();
        assert_eq!(hours.describe(Weekday::Mon), "08:00–12:00, 13:00–21:00");
        assert_eq!(hours.describe(Weekday::Tue), "closed");
    }

    #[test]
    fn overlapping_periods_are_refused() {
        let error = OpeningHours::new(only_monday(vec![(t(8, 0), t(12, 0)), (t(11, 0), t(14, 0))]))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "opening periods on Monday overlap (08:00–12:00 and 11:00–14:00); \
             make each period end before the next begins"
        );
        // A period past midnight covers the rest of its own day.
        let error = OpeningHours::new(only_monday(vec![
            (t(22, 0), t(2, 0)),
            (t(23, 0), t(23, 30)),
        ]))
        .unwrap_err();
        assert!(matches!(
            error,
            ScheduleError::OverlappingOpeningPeriods { .. }
        ));
    }

    #[test]
    fn a_whole_day_and_periods_past_midnight_are_accepted() {
        let hours = OpeningHours::new(std::array::from_fn(|_| vec![(t(0, 0), t(0, 0))])).unwrap();
        assert_eq!(hours.describe(Weekday::Wed), "00:00–24:00");
        assert!(hours.periods(Weekday::Wed)[0].closes_next_day());

        let hours =
            OpeningHours::new(only_monday(vec![(t(22, 0), t(2, 0)), (t(8, 0), t(12, 0))])).unwrap();
        assert_eq!(
            hours.describe(Weekday::Mon),
            "08:00–12:00, 22:00–02:00 (next day)"
        );
        let monday = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(
            hours.periods(Weekday::Mon)[1].close_date(monday),
            monday.succ_opt().unwrap()
        );
        assert_eq!(hours.periods(Weekday::Mon)[0].close_date(monday), monday);
        let until_midnight = OpeningHours::new(only_monday(vec![(t(18, 0), t(0, 0))])).unwrap();
        assert_eq!(until_midnight.describe(Weekday::Mon), "18:00–24:00");
        // Same-day periods touching a late one join while the result is at most a day long.
        let joined =
            OpeningHours::new(only_monday(vec![(t(8, 0), t(12, 0)), (t(12, 0), t(8, 0))])).unwrap();
        assert_eq!(joined.describe(Weekday::Mon), "08:00–08:00 (next day)");
        let joined =
            OpeningHours::new(only_monday(vec![(t(18, 0), t(22, 0)), (t(22, 0), t(2, 0))]))
                .unwrap();
        assert_eq!(joined.describe(Weekday::Mon), "18:00–02:00 (next day)");
    }

    #[test]
    fn a_night_period_may_not_run_into_the_next_days_hours() {
        let mut week: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
        week[0] = vec![(t(22, 0), t(2, 0))];
        week[1] = vec![(t(1, 0), t(9, 0))];
        let error = OpeningHours::new(week.clone()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "22:00–02:00 (next day) on Monday runs into Tuesday and overlaps its 01:00–09:00; \
             close before Tuesday opens or start Tuesday later"
        );
        // Touching at 02:00 is fine, and so is Sunday night running into Monday morning.
        week[1] = vec![(t(2, 0), t(9, 0))];
        week[6] = vec![(t(20, 0), t(6, 0))];
        week[0] = vec![(t(6, 0), t(12, 0)), (t(22, 0), t(2, 0))];
        assert!(OpeningHours::new(week.clone()).is_ok());
        week[0] = vec![(t(5, 0), t(12, 0))];
        let error = OpeningHours::new(week).unwrap_err();
        assert!(matches!(
            error,
            ScheduleError::OverlappingNextDay {
                weekday: Weekday::Sun,
                next_weekday: Weekday::Mon,
                ..
            }
        ));
    }

    #[test]
    fn deserialising_validates() {
        let good = OpeningHours::standard();
        let bytes = postcard::to_stdvec(&good).unwrap();
        assert_eq!(postcard::from_bytes::<OpeningHours>(&bytes).unwrap(), good);

        // A night period, written as it is stored, reads back the same.
        let night = OpeningHours::new(only_monday(vec![(t(22, 0), t(2, 0))])).unwrap();
        let bytes = postcard::to_stdvec(&night).unwrap();
        assert_eq!(postcard::from_bytes::<OpeningHours>(&bytes).unwrap(), night);

        let mut bad = OpeningHours::standard();
        bad.week[2] = vec![
            OpenPeriod {
                open: t(10, 0),
                close: t(12, 0),
            },
            OpenPeriod {
                open: t(11, 0),
                close: t(13, 0),
            },
        ];
        let bytes = postcard::to_stdvec(&bad).unwrap();
        assert!(postcard::from_bytes::<OpeningHours>(&bytes).is_err());
    }

    #[test]
    fn booking_rules_default_and_validation() {
        let rules = BookingRules::default();
        assert_eq!(rules, BookingRules::new(15, 30, 30, 5).unwrap());
        assert!(matches!(
            BookingRules::new(7, 30, 30, 5),
            Err(ScheduleError::SlotLength(7))
        ));
        assert!(BookingRules::new(0, 30, 30, 5).is_err());
        assert!(BookingRules::new(15, 30, 0, 5).is_err());
        assert!(BookingRules::new(15, 30, 400, 5).is_err());
        assert!(BookingRules::new(15, 20_000, 30, 5).is_err());
        assert!(BookingRules::new(15, 30, 30, 300).is_err());
        for slot in [1, 5, 10, 12, 15, 20, 30, 60] {
            assert!(BookingRules::new(slot, 0, 1, 0).is_ok());
        }
        let bytes = postcard::to_stdvec(&rules).unwrap();
        assert_eq!(postcard::from_bytes::<BookingRules>(&bytes).unwrap(), rules);
    }
}
