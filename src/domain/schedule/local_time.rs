//! Converting between stored UTC instants and the shop's wall-clock time, refusing local times
//! that do not exist (spring forward) and making repeated ones (fall back) explicit.

use chrono::{
    DateTime, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};
use chrono_tz::{GapInfo, OffsetName, Tz};
use serde::{Deserialize, Serialize};

/// Which occurrence of a repeated local time (the hour clocks fall back over) is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FoldChoice {
    /// The first occurrence, still on summer time.
    Earlier,
    /// The second occurrence, after the clocks went back.
    Later,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalTimeError {
    #[error(
        "{} does not exist in {zone} (clocks jump forward); {}",
        .local.format("%Y-%m-%d %H:%M"),
        resume_hint(.local, .resumes_at.as_ref())
    )]
    DoesNotExist {
        zone: Tz,
        local: NaiveDateTime,
        /// The first local time after the gap, when the zone data knows it.
        resumes_at: Option<NaiveDateTime>,
    },
    #[error(
        "{time} happens twice on {date}: {time} {} or {time} {}; choose one",
        offset_label(*.zone, *.earlier),
        offset_label(*.zone, *.later),
        time = .local.format("%H:%M"),
        date = .local.format("%Y-%m-%d"),
    )]
    Ambiguous {
        zone: Tz,
        local: NaiveDateTime,
        earlier: DateTime<Utc>,
        later: DateTime<Utc>,
    },
}

fn resume_hint(local: &NaiveDateTime, resumes_at: Option<&NaiveDateTime>) -> String {
    match resumes_at {
        Some(resume) if resume.date() == local.date() => {
            format!("choose a time from {}", resume.format("%H:%M"))
        }
        Some(resume) => format!("choose a time from {}", resume.format("%Y-%m-%d %H:%M")),
        None => "choose a later time".to_owned(),
    }
}

/// Turns a wall-clock time in `tz` into the instant it names. A time in a spring-forward gap is
/// refused; a repeated fall-back time needs `choice`, otherwise the error carries both instants so
/// the caller can ask which one is meant and call again.
pub fn resolve_local(
    tz: Tz,
    local: NaiveDateTime,
    choice: Option<FoldChoice>,
) -> Result<DateTime<Utc>, LocalTimeError> {
    match tz.from_local_datetime(&local) {
        MappedLocalTime::Single(instant) => Ok(instant.with_timezone(&Utc)),
        MappedLocalTime::Ambiguous(first, second) => {
            let (first, second) = (first.with_timezone(&Utc), second.with_timezone(&Utc));
            let (earlier, later) = (first.min(second), first.max(second));
            match choice {
                Some(FoldChoice::Earlier) => Ok(earlier),
                Some(FoldChoice::Later) => Ok(later),
                None => Err(LocalTimeError::Ambiguous {
                    zone: tz,
                    local,
                    earlier,
                    later,
                }),
            }
        }
        MappedLocalTime::None => Err(LocalTimeError::DoesNotExist {
            zone: tz,
            local,
            resumes_at: gap_end(tz, local).map(|instant| local_datetime(tz, instant)),
        }),
    }
}

/// The instant `local` names, taking the earlier occurrence of a repeated time and, for a time
/// in a gap, the moment the gap ends. Used for opening times, where "we open at 02:30" on a
/// spring-forward night can only mean "as soon as the clock allows".
pub(crate) fn resolve_earliest(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        MappedLocalTime::Single(instant) => Some(instant.with_timezone(&Utc)),
        MappedLocalTime::Ambiguous(first, second) => {
            Some(first.with_timezone(&Utc).min(second.with_timezone(&Utc)))
        }
        MappedLocalTime::None => gap_end(tz, local),
    }
}

/// Like [`resolve_earliest`] but taking the later occurrence of a repeated time: a closing time
/// in the repeated hour closes the shop on its second occurrence.
pub(crate) fn resolve_latest(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        MappedLocalTime::Single(instant) => Some(instant.with_timezone(&Utc)),
        MappedLocalTime::Ambiguous(first, second) => {
            Some(first.with_timezone(&Utc).max(second.with_timezone(&Utc)))
        }
        MappedLocalTime::None => gap_end(tz, local),
    }
}

/// The instants one shop-local calendar day runs between: its first moment up to (not
/// including) the next day's first moment. That is 23 or 25 hours on the days the clocks
/// change, and where the clocks skip midnight itself the day starts when they resume.
/// `None` only for a date at the very end of chrono's range.
pub fn local_day_span(tz: Tz, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = resolve_earliest(tz, date.and_time(NaiveTime::MIN))?;
    let end = resolve_earliest(tz, date.succ_opt()?.and_time(NaiveTime::MIN))?;
    Some((start, end))
}

fn gap_end(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    GapInfo::new(&local, &tz)?
        .end
        .map(|instant| instant.with_timezone(&Utc))
}

pub(crate) fn local_datetime(tz: Tz, instant: DateTime<Utc>) -> NaiveDateTime {
    instant.with_timezone(&tz).naive_local()
}

pub(crate) fn local_date(tz: Tz, instant: DateTime<Utc>) -> NaiveDate {
    local_datetime(tz, instant).date()
}

/// Seconds east of UTC in `tz` at `instant`.
pub(crate) fn offset_seconds(tz: Tz, instant: DateTime<Utc>) -> i64 {
    i64::from(
        tz.offset_from_utc_datetime(&instant.naive_utc())
            .fix()
            .local_minus_utc(),
    )
}

/// Whether the wall-clock time `instant` shows in `tz` also names another instant (the repeated
/// hour after clocks fall back), so that showing it needs an offset to be unambiguous.
pub fn is_ambiguous(tz: Tz, instant: DateTime<Utc>) -> bool {
    matches!(
        tz.from_local_datetime(&local_datetime(tz, instant)),
        MappedLocalTime::Ambiguous(..)
    )
}

/// `2026-11-01 09:30`, with the zone abbreviation and offset appended only when that wall-clock
/// time is repeated in `tz` (`2026-11-01 01:30 PST (UTC−08:00)`).
pub fn format_local(tz: Tz, instant: DateTime<Utc>) -> String {
    format_with_pattern(tz, instant, "%Y-%m-%d %H:%M")
}

/// `09:30`, or `01:30 PST (UTC−08:00)` when that wall-clock time is repeated; for messages that
/// already name the day.
pub fn format_local_time(tz: Tz, instant: DateTime<Utc>) -> String {
    format_with_pattern(tz, instant, "%H:%M")
}

fn format_with_pattern(tz: Tz, instant: DateTime<Utc>, pattern: &str) -> String {
    let shown = local_datetime(tz, instant).format(pattern).to_string();
    if is_ambiguous(tz, instant) {
        format!("{shown} {}", offset_label(tz, instant))
    } else {
        shown
    }
}

/// `PST (UTC−08:00)`, or just `UTC+05:45` where the zone has no letter abbreviation.
pub fn offset_label(tz: Tz, instant: DateTime<Utc>) -> String {
    let offset = tz.offset_from_utc_datetime(&instant.naive_utc());
    let numeric = format_utc_offset(i64::from(offset.fix().local_minus_utc()));
    match offset.abbreviation() {
        Some(abbreviation)
            if abbreviation
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic()) =>
        {
            format!("{abbreviation} ({numeric})")
        }
        _ => numeric,
    }
}

fn format_utc_offset(seconds_east: i64) -> String {
    // U+2212 MINUS SIGN: a hyphen reads as a dash next to a time range.
    let sign = if seconds_east < 0 { '−' } else { '+' };
    let magnitude = seconds_east.unsigned_abs();
    let (hours, minutes, seconds) = (magnitude / 3600, magnitude % 3600 / 60, magnitude % 60);
    if seconds == 0 {
        format!("UTC{sign}{hours:02}:{minutes:02}")
    } else {
        format!("UTC{sign}{hours:02}:{minutes:02}:{seconds:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeDelta};

    const VANCOUVER: Tz = chrono_tz::America::Vancouver;
    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        local(y, mo, d, h, mi).and_utc()
    }

    #[test]
    fn a_time_in_the_spring_forward_gap_is_refused_with_the_first_valid_time() {
        let error = resolve_local(VANCOUVER, local(2026, 3, 8, 2, 30), None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "2026-03-08 02:30 does not exist in America/Vancouver (clocks jump forward); \
             choose a time from 03:00"
        );
        assert!(
            matches!(error, LocalTimeError::DoesNotExist { resumes_at: Some(r), .. }
            if r == local(2026, 3, 8, 3, 0))
        );
        // A fold choice does not make a missing time exist.
        assert!(
            resolve_local(VANCOUVER, local(2026, 3, 8, 2, 0), Some(FoldChoice::Later)).is_err()
        );
    }

    #[test]
    fn times_either_side_of_the_gap_resolve() {
        assert_eq!(
            resolve_local(VANCOUVER, local(2026, 3, 8, 1, 59), None).unwrap(),
            utc(2026, 3, 8, 9, 59)
        );
        assert_eq!(
            resolve_local(VANCOUVER, local(2026, 3, 8, 3, 0), None).unwrap(),
            utc(2026, 3, 8, 10, 0)
        );
    }

    #[test]
    fn a_repeated_time_needs_a_choice_and_names_both_offsets() {
        let error = resolve_local(VANCOUVER, local(2026, 11, 1, 1, 30), None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "01:30 happens twice on 2026-11-01: 01:30 PDT (UTC−07:00) or 01:30 PST (UTC−08:00); \
             choose one"
        );
        let LocalTimeError::Ambiguous { earlier, later, .. } = error else {
            panic!("expected an ambiguous time");
        };
        assert_eq!(earlier, utc(2026, 11, 1, 8, 30));
        assert_eq!(later, utc(2026, 11, 1, 9, 30));
        assert_eq!(
            resolve_local(
                VANCOUVER,
                local(2026, 11, 1, 1, 30),
                Some(FoldChoice::Earlier)
            ),
            Ok(earlier)
        );
        assert_eq!(
            resolve_local(
                VANCOUVER,
                local(2026, 11, 1, 1, 30),
                Some(FoldChoice::Later)
            ),
            Ok(later)
        );
    }

    #[test]
    fn a_fold_choice_is_ignored_for_an_ordinary_time() {
        assert_eq!(
            resolve_local(
                VANCOUVER,
                local(2026, 11, 1, 9, 0),
                Some(FoldChoice::Earlier)
            ),
            Ok(utc(2026, 11, 1, 17, 0))
        );
    }

    #[test]
    fn shanghai_has_no_gaps_or_folds() {
        let mut at = local(2026, 1, 1, 0, 0);
        while at < local(2027, 1, 1, 0, 0) {
            let instant = resolve_local(SHANGHAI, at, None).unwrap();
            assert_eq!(instant, (at - TimeDelta::hours(8)).and_utc());
            assert!(!is_ambiguous(SHANGHAI, instant));
            at += TimeDelta::minutes(30);
        }
    }

    #[test]
    fn formatting_adds_the_offset_only_for_a_repeated_time() {
        assert_eq!(
            format_local(VANCOUVER, utc(2026, 11, 1, 8, 30)),
            "2026-11-01 01:30 PDT (UTC−07:00)"
        );
        assert_eq!(
            format_local(VANCOUVER, utc(2026, 11, 1, 9, 30)),
            "2026-11-01 01:30 PST (UTC−08:00)"
        );
        assert_eq!(
            format_local(VANCOUVER, utc(2026, 11, 1, 17, 0)),
            "2026-11-01 09:00"
        );
        assert_eq!(
            format_local(SHANGHAI, utc(2026, 11, 1, 1, 30)),
            "2026-11-01 09:30"
        );
        assert!(is_ambiguous(VANCOUVER, utc(2026, 11, 1, 9, 59)));
        assert!(!is_ambiguous(VANCOUVER, utc(2026, 11, 1, 10, 0)));
        assert_eq!(
            format_local_time(VANCOUVER, utc(2026, 11, 1, 9, 30)),
            "01:30 PST (UTC−08:00)"
        );
    }

    #[test]
    fn offsets_without_letter_abbreviations_are_numeric() {
        let kathmandu = chrono_tz::Asia::Kathmandu;
        assert_eq!(offset_label(kathmandu, utc(2026, 1, 1, 0, 0)), "UTC+05:45");
        assert_eq!(
            offset_label(SHANGHAI, utc(2026, 1, 1, 0, 0)),
            "CST (UTC+08:00)"
        );
    }

    #[test]
    fn a_booking_across_a_clock_change_keeps_its_true_duration() {
        // 01:00 to 03:30 local on the spring-forward night is 90 real minutes.
        let start = resolve_local(VANCOUVER, local(2026, 3, 8, 1, 0), None).unwrap();
        let end = resolve_local(VANCOUVER, local(2026, 3, 8, 3, 30), None).unwrap();
        assert_eq!(end - start, TimeDelta::minutes(90));
        // 00:30 to 02:30 local on the fall-back night is 180 real minutes.
        let start = resolve_local(VANCOUVER, local(2026, 11, 1, 0, 30), None).unwrap();
        let end = resolve_local(VANCOUVER, local(2026, 11, 1, 2, 30), None).unwrap();
        assert_eq!(end - start, TimeDelta::minutes(180));
    }

    #[test]
    fn opening_bounds_resolve_gaps_to_the_end_of_the_gap() {
        assert_eq!(
            resolve_earliest(VANCOUVER, local(2026, 3, 8, 2, 30)),
            Some(utc(2026, 3, 8, 10, 0))
        );
        assert_eq!(
            resolve_latest(VANCOUVER, local(2026, 3, 8, 2, 30)),
            Some(utc(2026, 3, 8, 10, 0))
        );
        assert_eq!(
            resolve_earliest(VANCOUVER, local(2026, 11, 1, 1, 30)),
            Some(utc(2026, 11, 1, 8, 30))
        );
        assert_eq!(
            resolve_latest(VANCOUVER, local(2026, 11, 1, 1, 30)),
            Some(utc(2026, 11, 1, 9, 30))
        );
    }

    #[test]
    fn a_local_day_is_23_or_25_hours_when_the_clocks_change() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let (start, end) = local_day_span(VANCOUVER, day(2026, 3, 8)).unwrap();
        assert_eq!(start, utc(2026, 3, 8, 8, 0));
        assert_eq!(end - start, TimeDelta::hours(23));
        let (start, end) = local_day_span(VANCOUVER, day(2026, 11, 1)).unwrap();
        assert_eq!(start, utc(2026, 11, 1, 7, 0));
        assert_eq!(end - start, TimeDelta::hours(25));
        let (start, end) = local_day_span(SHANGHAI, day(2026, 11, 1)).unwrap();
        assert_eq!(start, utc(2026, 10, 31, 16, 0));
        assert_eq!(end - start, TimeDelta::hours(24));
        // Santiago's clocks skip midnight in September: the day starts at 01:00 local.
        let santiago = chrono_tz::America::Santiago;
        let (start, end) = local_day_span(santiago, day(2026, 9, 6)).unwrap();
        assert_eq!(start, utc(2026, 9, 6, 4, 0));
        assert_eq!(end - start, TimeDelta::hours(23));
    }
}
