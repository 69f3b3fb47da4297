//! Dates as the desk types them when booking: `2026-11-25`, `11-25`, `today`, `tomorrow`, a
//! weekday (`fri`, `friday`), and the Chinese forms staff use (`今天`, `明天`, `后天`, `周五`,
//! `星期五`, `11月25日`). The shop's local today is passed in, so the rule is pure.

use chrono::{Datelike, Days, NaiveDate, Weekday};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TypedDateError {
    #[error(
        "that is not a date the booking form understands; type YYYY-MM-DD, MM-DD, today, \
         tomorrow, a weekday such as fri, or 今天, 明天, 后天, 周五"
    )]
    Unrecognised,
}

/// The date `text` names, seen from `today` (the shop's local date). A weekday means the next
/// such day, today if today is that day; `MM-DD` means the next such date, today included.
/// Only complete forms are read, so a half-typed `2026-11-2` is not taken for another date.
pub fn parse_typed_date(text: &str, today: NaiveDate) -> Result<NaiveDate, TypedDateError> {
    let text = text.trim();
    let lower = text.to_lowercase();
    let after = |days: u64| today.checked_add_days(Days::new(days));
    let found = match lower.as_str() {
        "today" | "今天" | "今日" => Some(today),
        "tomorrow" | "tmr" | "tmrw" | "明天" | "明日" => after(1),
        "后天" => after(2),
        word => match weekday_named(word) {
            Some(weekday) => {
                let ahead = (7 + weekday.num_days_from_monday()
                    - today.weekday().num_days_from_monday())
                    % 7;
                after(u64::from(ahead))
            }
            None => numeric_date(word, today),
        },
    };
    found.ok_or(TypedDateError::Unrecognised)
}

fn weekday_named(word: &str) -> Option<Weekday> {
    let english = match word {
        "mon" | "monday" => Some(Weekday::Mon),
        "tue" | "tues" | "tuesday" => Some(Weekday::Tue),
        "wed" | "weds" | "wednesday" => Some(Weekday::Wed),
        "thu" | "thur" | "thurs" | "thursday" => Some(Weekday::Thu),
        "fri" | "friday" => Some(Weekday::Fri),
        "sat" | "saturday" => Some(Weekday::Sat),
        "sun" | "sunday" => Some(Weekday::Sun),
        _ => None,
    };
    english.or_else(|| {
        let day = ["周", "星期", "礼拜"]
            .iter()
            .find_map(|prefix| word.strip_prefix(prefix))?;
        match day {
            "一" => Some(Weekday::Mon),
            "二" => Some(Weekday::Tue),
            "三" => Some(Weekday::Wed),
            "四" => Some(Weekday::Thu),
            "五" => Some(Weekday::Fri),
            "六" => Some(Weekday::Sat),
            "日" | "天" => Some(Weekday::Sun),
            _ => None,
        }
    })
}

/// `2026-11-25`, `2026/11/25`, `2026年11月25日`, or the same without the year.
fn numeric_date(text: &str, today: NaiveDate) -> Option<NaiveDate> {
    let normalised: String = text
        .trim_end_matches(['日', '号'])
        .chars()
        .map(|c| match c {
            '/' | '.' | '年' | '月' => '-',
            other => other,
        })
        .collect();
    let parts: Vec<&str> = normalised.split('-').collect();
    let number = |part: &str, width: std::ops::RangeInclusive<usize>| {
        (width.contains(&part.len()) && part.chars().all(|c| c.is_ascii_digit()))
            .then(|| part.parse::<u32>().ok())
            .flatten()
    };
    // Two digits each for the dashed form, so `11-2` while typing `11-25` is not read; `月`
    // and `日` mark where a Chinese date's numbers end.
    let width = if text.contains('月') { 1..=2 } else { 2..=2 };
    match parts[..] {
        [year, month, day] => {
            let year = i32::try_from(number(year, 4..=4)?).ok()?;
            NaiveDate::from_ymd_opt(year, number(month, width.clone())?, number(day, width)?)
        }
        [month, day] => {
            let (month, day) = (number(month, width.clone())?, number(day, width)?);
            let this_year = NaiveDate::from_ymd_opt(today.year(), month, day);
            match this_year {
                Some(date) if date >= today => Some(date),
                // Passed this year (or 29 February in a common year): the next one.
                _ => (1..=8)
                    .find_map(|ahead| NaiveDate::from_ymd_opt(today.year() + ahead, month, day)),
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Monday 2026-11-23.
    fn monday() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn parse(text: &str) -> Result<NaiveDate, TypedDateError> {
        parse_typed_date(text, monday())
    }

    #[test]
    fn today_and_tomorrow_in_english_and_chinese() {
        assert_eq!(parse("today"), Ok(monday()));
        assert_eq!(parse(" Today "), Ok(monday()));
        assert_eq!(parse("tomorrow"), Ok(date(2026, 11, 24)));
        assert_eq!(parse("TMR"), Ok(date(2026, 11, 24)));
        assert_eq!(parse("今天"), Ok(monday()));
        assert_eq!(parse("明天"), Ok(date(2026, 11, 24)));
        assert_eq!(parse("后天"), Ok(date(2026, 11, 25)));
        // Across the end of the year.
        assert_eq!(
            parse_typed_date("tomorrow", date(2026, 12, 31)),
            Ok(date(2027, 1, 1))
        );
    }

    #[test]
    fn a_weekday_is_the_next_such_day_or_today() {
        assert_eq!(parse("mon"), Ok(monday()));
        assert_eq!(parse("Monday"), Ok(monday()));
        assert_eq!(parse("tue"), Ok(date(2026, 11, 24)));
        assert_eq!(parse("fri"), Ok(date(2026, 11, 27)));
        assert_eq!(parse("friday"), Ok(date(2026, 11, 27)));
        assert_eq!(parse("sun"), Ok(date(2026, 11, 29)));
        assert_eq!(parse("周五"), Ok(date(2026, 11, 27)));
        assert_eq!(parse("星期五"), Ok(date(2026, 11, 27)));
        assert_eq!(parse("星期天"), Ok(date(2026, 11, 29)));
        assert_eq!(parse("周日"), Ok(date(2026, 11, 29)));
        assert_eq!(parse("周一"), Ok(monday()));
        // From a Saturday, Friday is six days on.
        assert_eq!(
            parse_typed_date("fri", date(2026, 11, 28)),
            Ok(date(2026, 12, 4))
        );
    }

    #[test]
    fn full_and_short_dates() {
        assert_eq!(parse("2026-11-25"), Ok(date(2026, 11, 25)));
        assert_eq!(parse("2026/11/25"), Ok(date(2026, 11, 25)));
        assert_eq!(parse("2026年11月25日"), Ok(date(2026, 11, 25)));
        assert_eq!(parse("11-25"), Ok(date(2026, 11, 25)));
        assert_eq!(parse("11月25日"), Ok(date(2026, 11, 25)));
        assert_eq!(parse("11-23"), Ok(monday()));
        // A month and day already past this year are next year's.
        assert_eq!(parse("01-05"), Ok(date(2027, 1, 5)));
        assert_eq!(
            parse_typed_date("02-29", date(2026, 3, 1)),
            Ok(date(2028, 2, 29))
        );
    }

    #[test]
    fn half_typed_and_bad_text_is_refused_saying_what_is_accepted() {
        for text in [
            "",
            "t",
            "tom",
            "fr",
            "2026-11-2",
            "2026-11",
            "11-2",
            "2026-02-30",
            "13-01",
            "next week",
            "周八",
            "星期",
            "-",
            "2026-11-25x",
        ] {
            assert_eq!(parse(text), Err(TypedDateError::Unrecognised), "{text:?}");
        }
        let message = TypedDateError::Unrecognised.to_string();
        for accepted in [
            "YYYY-MM-DD",
            "MM-DD",
            "today",
            "tomorrow",
            "fri",
            "明天",
            "周五",
        ] {
            assert!(message.contains(accepted), "{message}");
        }
    }
}
