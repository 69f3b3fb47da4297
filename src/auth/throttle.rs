//! Per-account login throttling: growing delays after repeated failures and a hard cap per
//! hour. A pure state machine; the caller stores one per username (known or not).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Consecutive failures allowed before delays start.
pub const FREE_FAILURES: u32 = 5;
pub const MAX_DELAY_SECONDS: i64 = 15 * 60;
pub const HOURLY_LIMIT: usize = 100;
pub const WINDOW_SECONDS: i64 = 60 * 60;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginThrottle {
    consecutive_failures: u32,
    /// Unix seconds of failures inside the last hour, oldest first, at most [`HOURLY_LIMIT`].
    recent_failures: Vec<i64>,
    blocked_until: Option<i64>,
}

/// Login refused before checking credentials. The message is the same whether or not the
/// account exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Too many failed logins for this account; try again in {retry_after_seconds} seconds.")]
pub struct Throttled {
    pub retry_after_seconds: u64,
}

impl LoginThrottle {
    pub fn new() -> Self {
        Self::default()
    }

    /// Call before checking any credential; a refused attempt is not a failure.
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), Throttled> {
        let now = now.timestamp();
        let delay_ends = self.blocked_until.unwrap_or(i64::MIN);
        let cap_ends = self.hourly_cap_ends(now).unwrap_or(i64::MIN);
        let free_at = delay_ends.max(cap_ends);
        if free_at > now {
            Err(Throttled {
                retry_after_seconds: u64::try_from(free_at - now).unwrap_or(u64::MAX),
            })
        } else {
            Ok(())
        }
    }

    pub fn record_failure(&mut self, now: DateTime<Utc>) {
        let now = now.timestamp();
        self.forget_outside_window(now);
        if self.recent_failures.is_empty() {
            // An hour without failures starts over, exactly as if the caller had deleted
            // the stale record.
            self.consecutive_failures = 0;
        }
        let position = self
            .recent_failures
            .partition_point(|&failure| failure <= now);
        self.recent_failures.insert(position, now);
        if self.recent_failures.len() > HOURLY_LIMIT {
            self.recent_failures.remove(0);
        }
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        if self.consecutive_failures > FREE_FAILURES {
            let doublings = self.consecutive_failures - FREE_FAILURES;
            let delay = 1i64
                .checked_shl(doublings)
                .filter(|delay| *delay > 0)
                .map_or(MAX_DELAY_SECONDS, |delay| delay.min(MAX_DELAY_SECONDS));
            let until = now.saturating_add(delay);
            self.blocked_until = Some(self.blocked_until.map_or(until, |old| old.max(until)));
        }
    }

    /// Checks the limits and, if the attempt may go ahead, counts it as a failure at once, so
    /// attempts made in parallel each see the ones before them. The caller stores the result in
    /// the same transaction that read it, before any credential is checked, and calls
    /// [`LoginThrottle::record_success`] with the same instant if the attempt succeeds.
    pub fn reserve(&mut self, now: DateTime<Utc>) -> Result<(), Throttled> {
        self.check(now)?;
        self.record_failure(now);
        Ok(())
    }

    /// The attempt reserved at `reserved_at` succeeded: it no longer counts as a failure, and
    /// the consecutive count and any delay reset. Earlier failures stay counted for the hourly
    /// cap.
    pub fn record_success(&mut self, reserved_at: DateTime<Utc>) {
        let reserved_at = reserved_at.timestamp();
        if let Some(position) = self
            .recent_failures
            .iter()
            .rposition(|&failure| failure == reserved_at)
        {
            self.recent_failures.remove(position);
        }
        self.consecutive_failures = 0;
        self.blocked_until = None;
    }

    /// Nothing in the last hour and no block in force: the caller may delete the record.
    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        let now = now.timestamp();
        self.recent_failures
            .iter()
            .all(|&failure| failure <= now - WINDOW_SECONDS)
            && self.blocked_until.is_none_or(|until| until <= now)
    }

    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    fn forget_outside_window(&mut self, now: i64) {
        self.recent_failures
            .retain(|&failure| failure > now - WINDOW_SECONDS);
        if self.blocked_until.is_some_and(|until| until <= now) {
            self.blocked_until = None;
        }
    }

    /// With [`HOURLY_LIMIT`] failures inside the window, the moment the oldest leaves it.
    fn hourly_cap_ends(&self, now: i64) -> Option<i64> {
        let in_window: Vec<i64> = self
            .recent_failures
            .iter()
            .copied()
            .filter(|&failure| failure > now - WINDOW_SECONDS)
            .collect();
        let excess = in_window.len().checked_sub(HOURLY_LIMIT)?;
        in_window
            .get(excess)
            .map(|oldest| oldest.saturating_add(WINDOW_SECONDS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 8, 9, 0, 0).single().unwrap()
    }

    fn retry_after(throttle: &LoginThrottle, now: DateTime<Utc>) -> u64 {
        throttle.check(now).unwrap_err().retry_after_seconds
    }

    #[test]
    fn five_failures_cost_nothing_the_sixth_brings_a_delay() {
        let mut throttle = LoginThrottle::new();
        let now = start();
        for _ in 0..5 {
            assert_eq!(throttle.check(now), Ok(()));
            throttle.record_failure(now);
        }
        assert_eq!(throttle.check(now), Ok(()));
        throttle.record_failure(now);
        assert_eq!(retry_after(&throttle, now), 2);
        assert_eq!(retry_after(&throttle, now + Duration::seconds(1)), 1);
        assert_eq!(throttle.check(now + Duration::seconds(2)), Ok(()));
    }

    #[test]
    fn delays_double_and_stop_at_fifteen_minutes() {
        let mut throttle = LoginThrottle::new();
        let mut now = start();
        for _ in 0..5 {
            throttle.record_failure(now);
        }
        let mut delays = Vec::new();
        for _ in 0..12 {
            throttle.record_failure(now);
            let delay = retry_after(&throttle, now);
            delays.push(delay);
            now += Duration::seconds(i64::try_from(delay).unwrap());
            assert_eq!(throttle.check(now), Ok(()));
        }
        assert_eq!(delays, [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]);
    }

    #[test]
    fn message_is_the_same_for_every_account() {
        let refused = Throttled {
            retry_after_seconds: 42,
        };
        assert_eq!(
            refused.to_string(),
            "Too many failed logins for this account; try again in 42 seconds."
        );
    }

    #[test]
    fn hourly_cap_holds_even_when_no_delay_is_running() {
        let mut throttle = LoginThrottle::new();
        let first = start();
        let mut now = first;
        // Four failures then a success, repeatedly: never enough in a row for a delay.
        for round in 0..25 {
            for _ in 0..4 {
                assert_eq!(throttle.check(now), Ok(()), "round {round}");
                throttle.record_failure(now);
                now += Duration::seconds(10);
            }
            // A success reserved at a moment with no failure releases nothing.
            throttle.record_success(now + Duration::seconds(5));
        }
        assert_eq!(throttle.consecutive_failures(), 0);
        // 100 failures between 09:00:00 and 09:16:30; the first leaves the window at 10:00:00.
        let cap_ends = first + Duration::seconds(WINDOW_SECONDS);
        assert_eq!(
            retry_after(&throttle, now),
            u64::try_from((cap_ends - now).num_seconds()).unwrap()
        );
        assert!(throttle.check(cap_ends - Duration::seconds(1)).is_err());
        assert_eq!(throttle.check(cap_ends), Ok(()));
        // One more failure refills the window; the next opening is when the second-oldest leaves.
        throttle.record_failure(cap_ends);
        assert_eq!(retry_after(&throttle, cap_ends), 10);
    }

    #[test]
    fn success_resets_the_run_but_not_the_hour() {
        let mut throttle = LoginThrottle::new();
        let now = start();
        for _ in 0..6 {
            throttle.record_failure(now);
        }
        assert!(throttle.check(now).is_err());
        throttle.record_success(now - Duration::seconds(1));
        assert_eq!(throttle.check(now), Ok(()));
        assert_eq!(throttle.consecutive_failures(), 0);
        assert!(!throttle.is_stale(now));
        for _ in 0..5 {
            throttle.record_failure(now);
        }
        assert_eq!(throttle.check(now), Ok(()));
        assert_eq!(throttle.recent_failures.len(), 11);
    }

    #[test]
    fn window_slides_and_a_quiet_hour_starts_over() {
        let mut throttle = LoginThrottle::new();
        let now = start();
        for _ in 0..7 {
            throttle.record_failure(now);
        }
        let hour_later = now + Duration::seconds(WINDOW_SECONDS);
        assert!(!throttle.is_stale(hour_later - Duration::seconds(1)));
        assert!(throttle.is_stale(hour_later));
        throttle.record_failure(hour_later);
        assert_eq!(throttle.consecutive_failures(), 1);
        assert_eq!(throttle.recent_failures, vec![hour_later.timestamp()]);
        assert_eq!(throttle.check(hour_later), Ok(()));
    }

    #[test]
    fn a_running_delay_is_never_shortened() {
        let mut throttle = LoginThrottle::new();
        let now = start();
        for _ in 0..15 {
            throttle.record_failure(now);
        }
        assert_eq!(retry_after(&throttle, now), 900);
        // A clock step backwards must not release the account early.
        throttle.record_failure(now - Duration::seconds(600));
        assert_eq!(retry_after(&throttle, now), 900);
    }

    #[test]
    fn a_reserved_attempt_counts_as_a_failure_until_it_succeeds() {
        let mut throttle = LoginThrottle::new();
        let now = start();
        // Six attempts reserved in parallel, none settled yet: the seventh must wait, exactly
        // as it would after six failures one after another.
        for _ in 0..6 {
            assert_eq!(throttle.reserve(now), Ok(()));
        }
        assert_eq!(throttle.reserve(now).unwrap_err().retry_after_seconds, 2);
        assert_eq!(throttle.recent_failures.len(), 6);
        // One of them succeeds: it stops counting, and the run and its delay end.
        throttle.record_success(now);
        assert_eq!(throttle.recent_failures.len(), 5);
        assert_eq!(throttle.consecutive_failures(), 0);
        assert_eq!(throttle.reserve(now), Ok(()));
    }

    #[test]
    fn reservations_never_pass_the_hourly_cap() {
        let mut throttle = LoginThrottle::new();
        let first = start();
        let mut accepted = 0;
        let mut now = first;
        for _ in 0..400 {
            if throttle.reserve(now).is_ok() {
                accepted += 1;
                // Every fourth attempt succeeds, so no delay ever builds up.
                if accepted % 4 == 0 {
                    throttle.record_success(now);
                }
            }
            now += Duration::seconds(3);
        }
        // 400 attempts over 20 minutes: 100 failures fill the hour, and the successes among
        // the accepted ones do not count against it.
        assert_eq!(accepted - accepted / 4, HOURLY_LIMIT);
    }

    #[test]
    fn survives_a_serde_round_trip() {
        let mut throttle = LoginThrottle::new();
        for _ in 0..7 {
            throttle.record_failure(start());
        }
        let bytes = postcard::to_allocvec(&throttle).unwrap();
        let back: LoginThrottle = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, throttle);
    }
}
