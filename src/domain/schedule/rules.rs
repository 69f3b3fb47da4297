//! The checks a booking time must pass: opening hours and closed days, notice and horizon, the
//! slot grid, and a free bay. All are judged in the shop's local time zone.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;

use super::error::ScheduleError;
use super::hours::{BookingRules, Closure, OpenPeriod, OpeningHours, closure_on};
use super::interval::{Interval, first_conflict};
use super::local_time::{
    format_local, format_local_time, local_date, local_datetime, offset_seconds, resolve_earliest,
    resolve_latest,
};

/// The UTC instants a local opening period that opens on `date` covers: from the first moment
/// the clock shows the opening time (the end of the gap if it falls in one) to the last moment it
/// shows the closing time (its second occurrence if repeated), on the next day for a period past
/// midnight. `None` if the period vanishes in a gap.
pub(crate) fn period_bounds(
    tz: Tz,
    date: NaiveDate,
    period: &OpenPeriod,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let open = resolve_earliest(tz, date.and_time(period.open))?;
    let close = resolve_latest(tz, period.close_date(date).and_time(period.close))?;
    (close > open).then_some((open, close))
}

/// The periods that open on `date`, with their UTC bounds; none on a closed day. A closure
/// closes the periods that open that day: the tail of the night before still runs.
fn bounds_on<'a>(
    hours: &'a OpeningHours,
    closures: &[Closure],
    tz: Tz,
    date: NaiveDate,
) -> impl Iterator<Item = (&'a OpenPeriod, DateTime<Utc>, DateTime<Utc>)> + 'a {
    let periods = if closure_on(closures, date).is_some() {
        &[][..]
    } else {
        hours.periods(date.weekday())
    };
    periods.iter().filter_map(move |period| {
        period_bounds(tz, date, period).map(|(open, close)| (period, open, close))
    })
}

/// The periods that could contain `instant`: those opening on its local day or the day before
/// (a period is at most a local day long).
fn bounds_around<'a>(
    hours: &'a OpeningHours,
    closures: &'a [Closure],
    tz: Tz,
    instant: DateTime<Utc>,
) -> impl Iterator<Item = (&'a OpenPeriod, DateTime<Utc>, DateTime<Utc>)> + 'a {
    let date = local_date(tz, instant);
    [date.pred_opt(), Some(date)]
        .into_iter()
        .flatten()
        .flat_map(move |day| bounds_on(hours, closures, tz, day))
}

/// Whether `instant` falls inside an opening period, widened by `grace` either side (staff
/// arrive before opening and leave after closing). A closed day has no periods.
pub fn is_open_around(
    hours: &OpeningHours,
    closures: &[Closure],
    tz: Tz,
    instant: DateTime<Utc>,
    grace: TimeDelta,
) -> bool {
    let date = local_date(tz, instant);
    [date.pred_opt(), Some(date), date.succ_opt()]
        .into_iter()
        .flatten()
        .flat_map(|day| bounds_on(hours, closures, tz, day))
        .any(|(_, open, close)| open - grace <= instant && instant < close + grace)
}

/// The UTC stretches the shop is open for the periods opening on local days `first..=last`, in
/// time order. Stretches that touch or overlap (`Mon 00:00–24:00` then `Tue 00:00–24:00`, or
/// periods meeting in a repeated hour) are joined, so a service may run across the seam.
pub(crate) fn open_stretches(
    hours: &OpeningHours,
    closures: &[Closure],
    tz: Tz,
    first: NaiveDate,
    last: NaiveDate,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut stretches: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    let mut day = first;
    while day <= last {
        for (_, open, close) in bounds_on(hours, closures, tz, day) {
            match stretches.last_mut() {
                Some(previous) if open <= previous.1 => previous.1 = previous.1.max(close),
                _ => stretches.push((open, close)),
            }
        }
        let Some(next) = day.succ_opt() else {
            break;
        };
        day = next;
    }
    stretches
}

/// The whole interval must lie inside the shop's open time, starting in a period that opens on
/// its local day or (past midnight) the day before; it may run on into a period that begins the
/// moment the first one ends. A closed day closes the periods that open on it. Bounds are taken
/// from [`period_bounds`], so a wash across a clock change is measured in real minutes.
pub fn within_opening_hours(
    hours: &OpeningHours,
    closures: &[Closure],
    tz: Tz,
    interval: Interval,
) -> Result<(), ScheduleError> {
    let start = interval.start();
    let date = local_date(tz, start);
    let minutes = interval.duration().num_minutes();
    let containing = bounds_around(hours, closures, tz, start)
        .find(|(_, open, close)| *open <= start && start < *close);
    let Some((period, open, mut close)) = containing else {
        if let Some(closure) = closure_on(closures, date) {
            return Err(ScheduleError::ClosedForDay {
                date,
                reason: closure.reason.clone(),
            });
        }
        let weekday = date.weekday();
        if hours.periods(weekday).is_empty() {
            return Err(ScheduleError::ClosedOnWeekday { weekday });
        }
        return Err(ScheduleError::OutsideOpeningHours {
            date,
            time: format_local_time(tz, start),
            hours: hours.describe(weekday),
        });
    };
    // Follow periods that carry on from this one's end; each step moves `close` later, and a
    // service is far shorter than the week this bound allows.
    for _ in 0..8 {
        if interval.end() <= close {
            return Ok(());
        }
        let Some(later) = bounds_around(hours, closures, tz, close)
            .filter(|(_, next_open, next_close)| *next_open <= close && close < *next_close)
            .map(|(_, _, next_close)| next_close)
            .max()
        else {
            break;
        };
        close = later;
    }
    if interval.end() <= close {
        return Ok(());
    }
    Err(match close.checked_sub_signed(interval.duration()) {
        Some(latest_start) if latest_start >= open => ScheduleError::RunsPastClosing {
            closes: format_local_time(tz, close),
            minutes,
            latest_start: format_local_time(tz, latest_start),
        },
        _ => ScheduleError::LongerThanOpening {
            minutes,
            period: period.describe(),
        },
    })
}

/// A booking must start at least the minimum notice after `now` and on a local calendar day no
/// more than `horizon_days` after today's. `tz` is needed to say the earliest allowed time and
/// the last day in the shop's own clock.
pub fn within_booking_window(
    rules: &BookingRules,
    tz: Tz,
    now: DateTime<Utc>,
    start: DateTime<Utc>,
) -> Result<(), ScheduleError> {
    let earliest = now
        .checked_add_signed(TimeDelta::minutes(i64::from(rules.min_notice_minutes)))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    if start < earliest {
        let first_slot = grid_ceil(tz, rules.slot_minutes, earliest).unwrap_or(earliest);
        let shown = if local_date(tz, first_slot) == local_date(tz, now) {
            format_local_time(tz, first_slot)
        } else {
            format_local(tz, first_slot)
        };
        return Err(ScheduleError::TooLittleNotice {
            notice_minutes: rules.min_notice_minutes,
            earliest: shown,
        });
    }
    if let Some(last_day) = last_bookable_day(rules, tz, now)
        && local_date(tz, start) > last_day
    {
        return Err(ScheduleError::BeyondHorizon {
            horizon_days: rules.horizon_days,
            last_day,
        });
    }
    Ok(())
}

/// The last local calendar day a booking may start on; `None` only past the end of the calendar.
pub(crate) fn last_bookable_day(
    rules: &BookingRules,
    tz: Tz,
    now: DateTime<Utc>,
) -> Option<NaiveDate> {
    local_date(tz, now).checked_add_days(Days::new(u64::from(rules.horizon_days)))
}

/// Whether `start` is a whole number of slots after local midnight, to the second.
pub fn is_on_slot_grid(rules: &BookingRules, tz: Tz, start: DateTime<Utc>) -> bool {
    if rules.slot_minutes == 0 {
        return false;
    }
    let local = local_datetime(tz, start);
    let minutes_since_midnight = local.hour() * 60 + local.minute();
    local.second() == 0
        && local.nanosecond() == 0
        && minutes_since_midnight.is_multiple_of(rules.slot_minutes)
}

/// [`is_on_slot_grid`] as a refusal that offers the grid times either side.
pub fn require_slot_grid(
    rules: &BookingRules,
    tz: Tz,
    start: DateTime<Utc>,
) -> Result<(), ScheduleError> {
    if is_on_slot_grid(rules, tz, start) {
        return Ok(());
    }
    let step = TimeDelta::minutes(i64::from(rules.slot_minutes));
    let after = grid_ceil(tz, rules.slot_minutes, start);
    let before = start
        .checked_sub_signed(step)
        .and_then(|earlier| grid_ceil(tz, rules.slot_minutes, earlier))
        .filter(|before| *before < start);
    let show = |instant: Option<DateTime<Utc>>| {
        instant.map_or_else(|| "another time".to_owned(), |i| format_local_time(tz, i))
    };
    Err(ScheduleError::OffSlotGrid {
        slot_minutes: rules.slot_minutes,
        before: show(before),
        after: show(after),
    })
}

/// [`super::conflicts`] as a refusal naming the bay and the held time in the way (its buffer
/// included). The caller adds the free alternatives it can find.
pub fn check_bay_free(
    tz: Tz,
    bay_name: &str,
    held: &[Interval],
    candidate: Interval,
    buffer_minutes: u32,
) -> Result<(), ScheduleError> {
    let Some(in_the_way) = first_conflict(held, candidate, buffer_minutes) else {
        return Ok(());
    };
    let day = local_date(tz, candidate.start());
    let show = |instant: DateTime<Utc>| {
        if local_date(tz, instant) == day {
            format_local_time(tz, instant)
        } else {
            format_local(tz, instant)
        }
    };
    Err(ScheduleError::BayTaken {
        bay: bay_name.to_owned(),
        from: show(in_the_way.start()),
        until: show(in_the_way.end()),
        buffer_minutes,
        alternatives: Vec::new(),
    })
}

/// The first instant at or after `instant` that is on the local slot grid. Within one UTC offset
/// the grid is every `slot_minutes` in UTC too, so this is arithmetic plus at most a couple of
/// zone lookups when a clock change falls inside the slot.
pub(crate) fn grid_ceil(
    tz: Tz,
    slot_minutes: u32,
    instant: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let step = i64::from(slot_minutes) * 60;
    if step == 0 {
        return None;
    }
    let offset_before = offset_seconds(tz, instant);
    let candidate = ceil_at_offset(instant, offset_before, step)?;
    let offset_at_candidate = offset_seconds(tz, candidate);
    if offset_at_candidate == offset_before {
        return Some(candidate);
    }
    // The clocks changed between `instant` and `candidate`: the first grid time after the change
    // is on the new offset's grid.
    let mut candidate = ceil_at_offset(instant, offset_at_candidate, step)?;
    for _ in 0..4 {
        if offset_seconds(tz, candidate) == offset_at_candidate {
            return Some(candidate);
        }
        candidate = candidate.checked_add_signed(TimeDelta::seconds(step))?;
    }
    None
}

/// The first instant at or after `instant` whose wall-clock reading at `offset_seconds` east of
/// UTC is a whole number of `step_seconds` after midnight.
fn ceil_at_offset(
    instant: DateTime<Utc>,
    offset_seconds: i64,
    step_seconds: i64,
) -> Option<DateTime<Utc>> {
    let seconds = instant.timestamp();
    let remainder = seconds
        .checked_add(offset_seconds)?
        .rem_euclid(step_seconds);
    let up = match (remainder, instant.timestamp_subsec_nanos()) {
        (0, 0) => 0,
        (0, _) => step_seconds,
        (remainder, _) => step_seconds - remainder,
    };
    DateTime::from_timestamp(seconds.checked_add(up)?, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveTime, TimeZone};

    const VANCOUVER: Tz = chrono_tz::America::Vancouver;
    const KATHMANDU: Tz = chrono_tz::Asia::Kathmandu;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    /// Vancouver wall-clock time in winter (UTC−8) on Monday 2026-03-02.
    fn monday(h: u32, mi: u32) -> DateTime<Utc> {
        utc(2026, 3, 2, 0, 0) + TimeDelta::minutes(i64::from((h + 8) * 60 + mi))
    }

    fn wash(start: DateTime<Utc>, minutes: u32) -> Interval {
        Interval::starting_at(start, minutes).unwrap()
    }

    #[test]
    fn a_service_inside_opening_hours_is_accepted() {
        let hours = OpeningHours::standard();
        assert!(within_opening_hours(&hours, &[], VANCOUVER, wash(monday(8, 0), 45)).is_ok());
        assert!(within_opening_hours(&hours, &[], VANCOUVER, wash(monday(18, 15), 45)).is_ok());
    }

    #[test]
    fn a_service_running_past_closing_says_when_to_start_by() {
        let hours = OpeningHours::standard();
        let error =
            within_opening_hours(&hours, &[], VANCOUVER, wash(monday(18, 30), 45)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the shop closes at 19:00; a 45-minute service must start by 18:15"
        );
        let error =
            within_opening_hours(&hours, &[], VANCOUVER, wash(monday(8, 0), 12 * 60)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "a 720-minute service does not fit in the opening period 08:00–19:00; \
             choose a shorter service or a longer day"
        );
    }

    #[test]
    fn outside_hours_closed_weekdays_and_closures_are_refused() {
        let hours = OpeningHours::standard();
        let error =
            within_opening_hours(&hours, &[], VANCOUVER, wash(monday(7, 30), 30)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the shop is not open at 07:30 on 2026-03-02; opening hours that day are 08:00–19:00"
        );
        assert!(within_opening_hours(&hours, &[], VANCOUVER, wash(monday(19, 0), 30)).is_err());

        let closures = [Closure {
            date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            reason: "staff training".to_owned(),
        }];
        let error = within_opening_hours(&hours, &closures, VANCOUVER, wash(monday(10, 0), 30))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the shop is closed on 2026-03-02 (staff training); choose another day"
        );

        let mut week: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
        week[1] = vec![(NaiveTime::MIN, NaiveTime::from_hms_opt(12, 0, 0).unwrap())];
        let tuesdays_only = OpeningHours::new(week).unwrap();
        let error = within_opening_hours(&tuesdays_only, &[], VANCOUVER, wash(monday(10, 0), 30))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the shop is not open on Mondays; choose another day"
        );
    }

    #[test]
    fn a_service_across_the_lunch_break_is_refused() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        let mut week: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
        week[0] = vec![(t(8), t(12)), (t(13), t(19))];
        let hours = OpeningHours::new(week).unwrap();
        let error =
            within_opening_hours(&hours, &[], VANCOUVER, wash(monday(11, 45), 30)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the shop closes at 12:00; a 30-minute service must start by 11:30"
        );
        let error =
            within_opening_hours(&hours, &[], VANCOUVER, wash(monday(12, 15), 30)).unwrap_err();
        assert!(error.to_string().contains("08:00–12:00, 13:00–19:00"));
    }

    #[test]
    fn hours_on_the_clock_change_days_follow_the_wall_clock() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let week: [Vec<(NaiveTime, NaiveTime)>; 7] =
            std::array::from_fn(|_| vec![(t(0, 30), t(4, 0))]);
        let night_owl = OpeningHours::new(week).unwrap();
        // 2026-03-08: 00:30 PST (08:30Z) to 04:00 PDT (11:00Z) is 150 real minutes.
        let spring = wash(utc(2026, 3, 8, 8, 30), 150);
        assert!(within_opening_hours(&night_owl, &[], VANCOUVER, spring).is_ok());
        assert!(
            within_opening_hours(&night_owl, &[], VANCOUVER, wash(spring.start(), 151)).is_err()
        );
        // 2026-11-01: 00:30 PDT (07:30Z) to 04:00 PST (12:00Z) is 270 real minutes.
        let autumn = wash(utc(2026, 11, 1, 7, 30), 270);
        assert!(within_opening_hours(&night_owl, &[], VANCOUVER, autumn).is_ok());
        assert!(
            within_opening_hours(&night_owl, &[], VANCOUVER, wash(autumn.start(), 271)).is_err()
        );
        let late = wash(utc(2026, 11, 1, 7, 45), 260);
        let error = within_opening_hours(&night_owl, &[], VANCOUVER, late).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the shop closes at 04:00; a 260-minute service must start by 00:40"
        );
    }

    fn every_day(open: (u32, u32), close: (u32, u32)) -> OpeningHours {
        let t = |(h, m)| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        OpeningHours::new(std::array::from_fn(|_| vec![(t(open), t(close))])).unwrap()
    }

    #[test]
    fn a_night_shop_takes_bookings_across_midnight() {
        let night = every_day((22, 0), (2, 0));
        // Monday 23:30 for an hour ends on Tuesday at 00:30.
        assert!(within_opening_hours(&night, &[], VANCOUVER, wash(monday(23, 30), 60)).is_ok());
        // Tuesday 01:00 is still Monday night's period.
        let tuesday_one = monday(23, 0) + TimeDelta::hours(2);
        assert!(within_opening_hours(&night, &[], VANCOUVER, wash(tuesday_one, 60)).is_ok());
        let error =
            within_opening_hours(&night, &[], VANCOUVER, wash(tuesday_one, 90)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the shop closes at 02:00; a 90-minute service must start by 00:30"
        );
        let error =
            within_opening_hours(&night, &[], VANCOUVER, wash(monday(21, 0), 30)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the shop is not open at 21:00 on 2026-03-02; \
             opening hours that day are 22:00–02:00 (next day)"
        );
        // Closing Tuesday closes Tuesday night, not the end of Monday night.
        let closures = [Closure {
            date: NaiveDate::from_ymd_opt(2026, 3, 3).unwrap(),
            reason: "stocktake".to_owned(),
        }];
        assert!(within_opening_hours(&night, &closures, VANCOUVER, wash(tuesday_one, 60)).is_ok());
        let tuesday_night = monday(22, 0) + TimeDelta::days(1);
        let error = within_opening_hours(&night, &closures, VANCOUVER, wash(tuesday_night, 30))
            .unwrap_err();
        assert!(matches!(error, ScheduleError::ClosedForDay { .. }));
    }

    #[test]
    fn a_24_hour_shop_takes_bookings_across_midnight_and_days() {
        let always = every_day((0, 0), (0, 0));
        assert!(within_opening_hours(&always, &[], VANCOUVER, wash(monday(23, 30), 60)).is_ok());
        assert!(within_opening_hours(&always, &[], VANCOUVER, wash(monday(0, 0), 48 * 60)).is_ok());
        // A closed Tuesday stops Monday's service at midnight.
        let closures = [Closure {
            date: NaiveDate::from_ymd_opt(2026, 3, 3).unwrap(),
            reason: "holiday".to_owned(),
        }];
        let error = within_opening_hours(&always, &closures, VANCOUVER, wash(monday(23, 30), 60))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the shop closes at 00:00; a 60-minute service must start by 23:00"
        );
    }

    #[test]
    fn night_hours_on_the_clock_change_nights_follow_the_wall_clock() {
        let night = every_day((22, 0), (4, 0));
        // Saturday 2026-03-07 22:00 PST (06:00Z) to Sunday 04:00 PDT (11:00Z): 5 real hours.
        let spring = wash(utc(2026, 3, 8, 6, 0), 300);
        assert!(within_opening_hours(&night, &[], VANCOUVER, spring).is_ok());
        assert!(within_opening_hours(&night, &[], VANCOUVER, wash(spring.start(), 301)).is_err());
        // Saturday 2026-10-31 22:00 PDT (05:00Z) to Sunday 04:00 PST (12:00Z): 7 real hours.
        let autumn = wash(utc(2026, 11, 1, 5, 0), 420);
        assert!(within_opening_hours(&night, &[], VANCOUVER, autumn).is_ok());
        assert!(within_opening_hours(&night, &[], VANCOUVER, wash(autumn.start(), 421)).is_err());
        // The repeated 01:30 is inside Saturday night's period both times.
        for start in [utc(2026, 11, 1, 8, 30), utc(2026, 11, 1, 9, 30)] {
            assert!(within_opening_hours(&night, &[], VANCOUVER, wash(start, 60)).is_ok());
        }
    }

    #[test]
    fn notice_and_horizon_are_enforced_with_helpful_messages() {
        let rules = BookingRules::default();
        let now = monday(14, 12);
        assert!(within_booking_window(&rules, VANCOUVER, now, monday(14, 42)).is_ok());
        let error = within_booking_window(&rules, VANCOUVER, now, monday(14, 30)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "bookings need 30 minutes' notice; the earliest is 14:45"
        );
        assert!(within_booking_window(&rules, VANCOUVER, now, monday(10, 0)).is_err());

        // 30 calendar days ahead, to the end of that local day: 23:59 PDT on 2026-04-01.
        let last_day_end = utc(2026, 4, 2, 6, 59);
        assert!(within_booking_window(&rules, VANCOUVER, now, last_day_end).is_ok());
        let error =
            within_booking_window(&rules, VANCOUVER, now, utc(2026, 4, 2, 7, 0)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "bookings can be made at most 30 days ahead; the last bookable day is 2026-04-01"
        );
    }

    #[test]
    fn notice_running_into_tomorrow_names_the_date() {
        let rules = BookingRules::default();
        let error =
            within_booking_window(&rules, VANCOUVER, monday(23, 50), monday(23, 55)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "bookings need 30 minutes' notice; the earliest is 2026-03-03 00:30"
        );
    }

    #[test]
    fn the_slot_grid_is_local_even_at_odd_offsets() {
        let rules = BookingRules::default();
        assert!(is_on_slot_grid(&rules, VANCOUVER, monday(10, 45)));
        assert!(!is_on_slot_grid(&rules, VANCOUVER, monday(10, 50)));
        assert!(!is_on_slot_grid(
            &rules,
            VANCOUVER,
            monday(10, 45) + TimeDelta::seconds(1)
        ));
        // Kathmandu is UTC+05:45: 10:00 local is 04:15Z, on the grid; 04:00Z is 09:45 local, too.
        assert!(is_on_slot_grid(&rules, KATHMANDU, utc(2026, 3, 2, 4, 15)));
        let hourly = BookingRules::new(60, 0, 30, 0).unwrap();
        assert!(is_on_slot_grid(&hourly, KATHMANDU, utc(2026, 3, 2, 4, 15)));
        assert!(!is_on_slot_grid(&hourly, KATHMANDU, utc(2026, 3, 2, 4, 0)));
        assert_eq!(
            grid_ceil(KATHMANDU, 60, utc(2026, 3, 2, 4, 16)),
            Some(utc(2026, 3, 2, 5, 15))
        );
    }

    #[test]
    fn off_grid_starts_are_refused_with_the_neighbouring_slots() {
        let rules = BookingRules::default();
        assert!(require_slot_grid(&rules, VANCOUVER, monday(14, 45)).is_ok());
        let error = require_slot_grid(&rules, VANCOUVER, monday(14, 50)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "bookings start every 15 minutes; choose 14:45 or 15:00"
        );
    }

    #[test]
    fn grid_ceiling_crosses_clock_changes() {
        // Fall back: 01:50 PDT is followed on the grid by 01:00 PST (09:00Z), not 02:00.
        assert_eq!(
            grid_ceil(VANCOUVER, 15, utc(2026, 11, 1, 8, 50)),
            Some(utc(2026, 11, 1, 9, 0))
        );
        // Spring forward: 01:50 PST is followed by 03:00 PDT (10:00Z).
        assert_eq!(
            grid_ceil(VANCOUVER, 15, utc(2026, 3, 8, 9, 50)),
            Some(utc(2026, 3, 8, 10, 0))
        );
        assert_eq!(
            grid_ceil(VANCOUVER, 15, utc(2026, 3, 8, 10, 0)),
            Some(utc(2026, 3, 8, 10, 0))
        );
        assert_eq!(grid_ceil(VANCOUVER, 0, utc(2026, 3, 8, 10, 0)), None);
    }

    #[test]
    fn a_taken_bay_names_the_bay_and_the_held_time_in_the_way() {
        // 10:00–10:30 with its 5-minute buffer.
        let held = [wash(monday(10, 0), 35)];
        assert!(check_bay_free(VANCOUVER, "Bay 1", &held, wash(monday(10, 35), 30), 5).is_ok());
        let error =
            check_bay_free(VANCOUVER, "Bay 1", &held, wash(monday(10, 30), 30), 5).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Bay 1 is busy 10:00–10:35 (with 5 minutes between cars); no suitable bay is free \
             later within the booking horizon; choose another day"
        );
        let ScheduleError::BayTaken { .. } = error else {
            panic!("a bay refusal");
        };
        let with_alternatives = ScheduleError::BayTaken {
            bay: "Bay 1".to_owned(),
            from: "10:00".to_owned(),
            until: "10:40".to_owned(),
            buffer_minutes: 0,
            alternatives: vec!["Bay 2 at 10:30".to_owned(), "Bay 1 at 10:45".to_owned()],
        };
        assert_eq!(
            with_alternatives.to_string(),
            "Bay 1 is busy 10:00–10:40; free: Bay 2 at 10:30, Bay 1 at 10:45"
        );
    }
}
