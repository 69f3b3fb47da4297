//! Why a schedule setting or a booking time was refused, each as one sentence saying what to do.

use chrono::{NaiveDate, Weekday};

use super::local_time::LocalTimeError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "opening periods on {} overlap ({first} and {second}); make each period end before \
         the next begins",
        weekday_name(*.weekday)
    )]
    OverlappingOpeningPeriods {
        weekday: Weekday,
        first: String,
        second: String,
    },
    #[error(
        "{first} on {} runs into {} and overlaps its {second}; close before {} opens or start \
         {} later",
        weekday_name(*.weekday),
        weekday_name(*.next_weekday),
        weekday_name(*.next_weekday),
        weekday_name(*.next_weekday)
    )]
    OverlappingNextDay {
        weekday: Weekday,
        first: String,
        next_weekday: Weekday,
        second: String,
    },
    #[error(
        "a slot length of {0} minutes does not divide an hour; use a length such as 10, 15, 20 or 30 minutes"
    )]
    SlotLength(u32),
    #[error("a booking horizon of {0} days is not allowed; use 1 to {max} days", max = super::hours::MAX_HORIZON_DAYS)]
    HorizonDays(u32),
    #[error("a minimum notice of {0} minutes is too long; use at most {max} minutes (one week)", max = super::hours::MAX_NOTICE_MINUTES)]
    NoticeMinutes(u32),
    #[error("a buffer of {0} minutes between cars is too long; use at most {max} minutes", max = super::hours::MAX_BUFFER_MINUTES)]
    BufferMinutes(u32),
    #[error("a booking must end after it starts; give it a length of at least one minute")]
    EmptyInterval,
    #[error("the shop is closed on {date} ({reason}); choose another day")]
    ClosedForDay { date: NaiveDate, reason: String },
    #[error("the shop is not open on {}s; choose another day", weekday_name(*.weekday))]
    ClosedOnWeekday { weekday: Weekday },
    #[error("the shop is not open at {time} on {date}; opening hours that day are {hours}")]
    OutsideOpeningHours {
        date: NaiveDate,
        time: String,
        hours: String,
    },
    #[error("the shop closes at {closes}; a {minutes}-minute service must start by {latest_start}")]
    RunsPastClosing {
        closes: String,
        minutes: i64,
        latest_start: String,
    },
    #[error(
        "a {minutes}-minute service does not fit in the opening period {period}; choose a shorter service or a longer day"
    )]
    LongerThanOpening { minutes: i64, period: String },
    #[error("bookings need {notice_minutes} minutes' notice; the earliest is {earliest}")]
    TooLittleNotice {
        notice_minutes: u32,
        earliest: String,
    },
    #[error(
        "bookings can be made at most {horizon_days} days ahead; the last bookable day is {last_day}"
    )]
    BeyondHorizon {
        horizon_days: u32,
        last_day: NaiveDate,
    },
    #[error("bookings start every {slot_minutes} minutes; choose {before} or {after}")]
    OffSlotGrid {
        slot_minutes: u32,
        before: String,
        after: String,
    },
    #[error(
        "{bay} is busy {from}–{until}{}; {}",
        buffer_note(*.buffer_minutes),
        free_list(.alternatives)
    )]
    BayTaken {
        bay: String,
        from: String,
        until: String,
        buffer_minutes: u32,
        /// The nearest free starts, each as `Bay 2 at 10:30`, soonest first.
        alternatives: Vec<String>,
    },
    #[error(transparent)]
    LocalTime(#[from] LocalTimeError),
}

fn buffer_note(buffer_minutes: u32) -> String {
    if buffer_minutes == 0 {
        String::new()
    } else {
        format!(" (with {buffer_minutes} minutes between cars)")
    }
}

fn free_list(alternatives: &[String]) -> String {
    if alternatives.is_empty() {
        "no suitable bay is free later within the booking horizon; choose another day".to_owned()
    } else {
        format!("free: {}", alternatives.join(", "))
    }
}

pub(crate) fn weekday_name(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}
