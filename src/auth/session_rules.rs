//! When a staff session locks for idleness or ends outright; pure timing rules over instants
//! the caller supplies.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A full login is required this long after it, however active the session.
pub const ABSOLUTE_LIMIT: Duration = Duration::hours(12);
/// Idle time before the counter terminal locks, unless settings say otherwise.
pub const DEFAULT_IDLE_LIMIT: Duration = Duration::minutes(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClock {
    started_at: DateTime<Utc>,
    last_activity: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Active,
    /// Unlock with the same staff member's password, or switch user with a full login.
    IdleLocked,
    /// A full login is needed.
    Expired,
}

impl SessionClock {
    pub fn start(now: DateTime<Utc>) -> Self {
        Self {
            started_at: now,
            last_activity: now,
        }
    }

    pub fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }

    pub fn last_activity(&self) -> DateTime<Utc> {
        self.last_activity
    }

    /// Expired from the moment the absolute limit is reached, even if active; otherwise locked
    /// from the moment the idle limit is reached.
    pub fn state(&self, now: DateTime<Utc>, idle_limit: Duration) -> SessionState {
        if now - self.started_at >= ABSOLUTE_LIMIT {
            SessionState::Expired
        } else if now - self.last_activity >= idle_limit {
            SessionState::IdleLocked
        } else {
            SessionState::Active
        }
    }

    /// Records activity (a keystroke, or an unlock). A clock that steps backwards never moves
    /// the last activity back.
    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.last_activity = self.last_activity.max(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 8, 9, 0, 0).single().unwrap()
    }

    #[test]
    fn idle_lock_starts_exactly_at_the_limit() {
        let session = SessionClock::start(start());
        let limit = DEFAULT_IDLE_LIMIT;
        let just_before = start() + limit - Duration::milliseconds(1);
        assert_eq!(session.state(just_before, limit), SessionState::Active);
        assert_eq!(
            session.state(start() + limit, limit),
            SessionState::IdleLocked
        );
    }

    #[test]
    fn touching_postpones_the_idle_lock() {
        let mut session = SessionClock::start(start());
        let limit = Duration::minutes(2);
        session.touch(start() + Duration::minutes(1));
        assert_eq!(
            session.state(start() + Duration::minutes(2), limit),
            SessionState::Active
        );
        assert_eq!(
            session.state(start() + Duration::minutes(3), limit),
            SessionState::IdleLocked
        );
        session.touch(start());
        assert_eq!(session.last_activity(), start() + Duration::minutes(1));
    }

    #[test]
    fn absolute_limit_wins_over_activity_at_the_exact_boundary() {
        let mut session = SessionClock::start(start());
        let end = start() + ABSOLUTE_LIMIT;
        session.touch(end - Duration::seconds(1));
        assert_eq!(
            session.state(end - Duration::milliseconds(1), DEFAULT_IDLE_LIMIT),
            SessionState::Active
        );
        assert_eq!(
            session.state(end, DEFAULT_IDLE_LIMIT),
            SessionState::Expired
        );
        // Idle and past the absolute limit: expired, not merely locked.
        let idle = SessionClock::start(start());
        assert_eq!(idle.state(end, DEFAULT_IDLE_LIMIT), SessionState::Expired);
        assert_eq!(idle.started_at(), start());
    }

    #[test]
    fn limits_are_as_specified() {
        assert_eq!(ABSOLUTE_LIMIT, Duration::hours(12));
        assert_eq!(DEFAULT_IDLE_LIMIT, Duration::seconds(300));
    }
}
