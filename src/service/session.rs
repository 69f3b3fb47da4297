//! Who is logged in where. Sessions live only in memory: a restart logs everyone out.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::audit::Origin;
use crate::auth::session_rules::{SessionClock, SessionState};
use crate::domain::access::Role;
use crate::ids::RecordId;

/// How long a TOTP step-up authorises sensitive manager actions.
pub const STEP_UP_VALIDITY: Duration = Duration::minutes(5);

/// A front end's handle on its login. It is a bearer token: whoever holds it acts as that
/// staff member, so it is neither printable nor constructible outside the service.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Session {
    key: [u8; 16],
}

impl Session {
    pub(super) fn from_key(key: [u8; 16]) -> Self {
        Self { key }
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Session(..)")
    }
}

/// What the service remembers about one login.
#[derive(Debug, Clone)]
pub(super) struct SessionRecord {
    pub staff_id: RecordId,
    pub username: String,
    pub role: Role,
    pub origin: Origin,
    pub epoch: u32,
    pub clock: SessionClock,
    pub idle_limit: Duration,
    pub locked_by_hand: bool,
    pub stepped_up_at: Option<DateTime<Utc>>,
    pub must_change_password: bool,
    /// Set while the staff member is enrolling: the session may do nothing else.
    pub enrolment: Option<EnrolmentStep>,
    /// Member searches made in this session: a count only, never what was searched for.
    /// It goes into the logout entry of the audit log.
    pub member_searches: u32,
}

impl SessionRecord {
    pub fn state(&self, now: DateTime<Utc>) -> SessionState {
        match self.clock.state(now, self.idle_limit) {
            SessionState::Active if self.locked_by_hand => SessionState::IdleLocked,
            other => other,
        }
    }

    pub fn has_fresh_step_up(&self, now: DateTime<Utc>) -> bool {
        self.stepped_up_at
            .is_some_and(|at| now >= at && now - at <= STEP_UP_VALIDITY)
    }
}

/// What the caller may know about its own session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub staff_id: RecordId,
    pub username: String,
    pub role: Role,
    pub status: SessionStatus,
    pub must_change_password: bool,
    /// `Some` while the session may only finish enrolling, at this step.
    pub enrolment: Option<EnrolmentStep>,
}

/// Where a staff member's enrolment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrolmentStep {
    /// The password is a temporary one: choose your own first.
    ChoosePassword,
    /// Set up the authenticator app and prove it with a code.
    Authenticator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    Active,
    Locked,
    Ended,
}

#[derive(Default)]
pub(super) struct SessionRegistry {
    sessions: Mutex<HashMap<Session, SessionRecord>>,
}

impl SessionRegistry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Session, SessionRecord>> {
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn insert(&self, session: Session, record: SessionRecord) {
        self.lock().insert(session, record);
    }

    pub fn get(&self, session: &Session) -> Option<SessionRecord> {
        self.lock().get(session).cloned()
    }

    pub fn update(&self, session: &Session, change: impl FnOnce(&mut SessionRecord)) {
        if let Some(record) = self.lock().get_mut(session) {
            change(record);
        }
    }

    pub fn remove(&self, session: &Session) -> Option<SessionRecord> {
        self.lock().remove(session)
    }

    /// Ends every session of one staff member (account disabled or credentials reset).
    pub fn remove_staff(&self, staff_id: RecordId, except: Option<&Session>) -> usize {
        let mut sessions = self.lock();
        let before = sessions.len();
        sessions.retain(|key, record| record.staff_id != staff_id || Some(key) == except);
        before - sessions.len()
    }

    pub fn count(&self) -> usize {
        self.lock().len()
    }
}
