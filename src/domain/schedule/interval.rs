//! Half-open UTC time intervals, and when two bookings on one bay clash.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::error::ScheduleError;

/// `[start, end)` in UTC, never empty. Deserialising checks that too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "UncheckedInterval")]
pub struct Interval {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

#[derive(Deserialize)]
struct UncheckedInterval {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl TryFrom<UncheckedInterval> for Interval {
    type Error = ScheduleError;

    fn try_from(unchecked: UncheckedInterval) -> Result<Self, Self::Error> {
        Self::new(unchecked.start, unchecked.end)
    }
}

impl Interval {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, ScheduleError> {
        if end <= start {
            return Err(ScheduleError::EmptyInterval);
        }
        Ok(Self { start, end })
    }

    /// A service of `minutes` starting at `start`, measured in real (UTC) minutes, so a wash
    /// across a clock change still lasts as long as it takes.
    pub fn starting_at(start: DateTime<Utc>, minutes: u32) -> Result<Self, ScheduleError> {
        let end = start
            .checked_add_signed(TimeDelta::minutes(i64::from(minutes)))
            .ok_or(ScheduleError::EmptyInterval)?;
        Self::new(start, end)
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    pub fn duration(&self) -> TimeDelta {
        self.end - self.start
    }

    /// Whether the two share any instant; touching intervals (`a.end == b.start`) do not.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// The interval with its end pushed back by `buffer_minutes`: the time the bay stays
    /// unavailable after the car leaves.
    pub fn with_buffer(&self, buffer_minutes: u32) -> Interval {
        let end = self
            .end
            .checked_add_signed(TimeDelta::minutes(i64::from(buffer_minutes)))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        Interval {
            start: self.start,
            end: end.max(self.end),
        }
    }
}

/// Whether `candidate` clashes with what already holds the bay. Each of `held` is how long a
/// booking keeps the bay, the buffer after its car already included (see `with_buffer`); the
/// candidate brings its own buffer, so the next held stretch must start no earlier than the
/// candidate's end plus `buffer_minutes`.
pub fn conflicts(held: &[Interval], candidate: Interval, buffer_minutes: u32) -> bool {
    first_conflict(held, candidate, buffer_minutes).is_some()
}

/// The first of `held` that `candidate` clashes with, as [`conflicts`] judges it.
pub fn first_conflict(
    held: &[Interval],
    candidate: Interval,
    buffer_minutes: u32,
) -> Option<Interval> {
    let buffered_candidate = candidate.with_buffer(buffer_minutes);
    held.iter()
        .copied()
        .find(|held| held.overlaps(&buffered_candidate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, hour, minute, 0).unwrap()
    }

    fn span(from: (u32, u32), to: (u32, u32)) -> Interval {
        Interval::new(at(from.0, from.1), at(to.0, to.1)).unwrap()
    }

    #[test]
    fn empty_or_backwards_intervals_are_refused() {
        assert_eq!(
            Interval::new(at(10, 0), at(10, 0)),
            Err(ScheduleError::EmptyInterval)
        );
        assert!(Interval::new(at(10, 0), at(9, 0)).is_err());
        assert!(Interval::starting_at(at(10, 0), 0).is_err());
        assert_eq!(
            Interval::starting_at(at(10, 0), 45).unwrap(),
            span((10, 0), (10, 45))
        );
    }

    #[test]
    fn half_open_intervals_that_touch_do_not_overlap() {
        let morning = span((9, 0), (10, 0));
        assert!(!morning.overlaps(&span((10, 0), (11, 0))));
        assert!(!span((10, 0), (11, 0)).overlaps(&morning));
        assert!(morning.overlaps(&span((9, 59), (11, 0))));
        assert!(morning.overlaps(&span((9, 10), (9, 20))));
        assert!(span((8, 0), (12, 0)).overlaps(&morning));
    }

    #[test]
    fn the_buffer_follows_each_car_on_either_side_of_the_candidate() {
        // Held 10:00–10:30 plus its 5-minute buffer.
        let busy = [span((10, 0), (10, 35))];
        // After the existing car: must wait for its buffer.
        assert!(conflicts(&busy, span((10, 30), (11, 0)), 5));
        assert!(conflicts(&busy, span((10, 34), (11, 0)), 5));
        assert!(!conflicts(&busy, span((10, 35), (11, 0)), 5));
        // Before the existing car: the candidate's own buffer must end by 10:00.
        assert!(conflicts(&busy, span((9, 30), (9, 56)), 5));
        assert!(!conflicts(&busy, span((9, 30), (9, 55)), 5));
        // No buffer: touching is fine.
        assert!(!conflicts(
            &[span((10, 0), (10, 30))],
            span((10, 30), (11, 0)),
            0
        ));
        assert!(!conflicts(&[], span((10, 30), (11, 0)), 5));
    }

    #[test]
    fn serde_round_trips_and_refuses_empty_intervals() {
        let interval = span((10, 0), (10, 45));
        let bytes = postcard::to_stdvec(&interval).unwrap();
        assert_eq!(postcard::from_bytes::<Interval>(&bytes).unwrap(), interval);
        let backwards = Interval {
            start: at(11, 0),
            end: at(10, 0),
        };
        let bytes = postcard::to_stdvec(&backwards).unwrap();
        assert!(postcard::from_bytes::<Interval>(&bytes).is_err());
    }
}
