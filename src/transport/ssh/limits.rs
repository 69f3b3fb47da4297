//! Who may connect: at most so many connections at once, and at most so many new ones per
//! address per minute, so a script hammering the port cannot crowd out the staff.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The server's limits; `frontdesk serve` flags set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once, logged in or not.
    pub max_sessions: usize,
    /// New connections one address may open per minute.
    pub connections_per_minute: usize,
    /// A connection that sends nothing for this long is closed (the app's own idle lock comes
    /// much sooner).
    pub idle_timeout: Duration,
    /// Time a client has to finish logging in.
    pub login_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_sessions: 64,
            connections_per_minute: 20,
            idle_timeout: Duration::from_secs(30 * 60),
            login_grace: Duration::from_secs(120),
        }
    }
}

const RATE_WINDOW: Duration = Duration::from_secs(60);

/// Why a connection was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    ServerFull,
    TooManyFromAddress,
    ShuttingDown,
}

#[derive(Default)]
struct GateState {
    open: usize,
    recent: HashMap<IpAddr, VecDeque<Instant>>,
    closed: bool,
}

/// Admits or refuses new connections; shared by the accept loop.
#[derive(Clone)]
pub struct ConnectionGate {
    limits: Limits,
    state: Arc<Mutex<GateState>>,
}

/// One admitted connection; dropping it frees its place.
pub struct Admission {
    state: Arc<Mutex<GateState>>,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Admission")
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut state = lock(&self.state);
        state.open = state.open.saturating_sub(1);
    }
}

fn lock(state: &Mutex<GateState>) -> MutexGuard<'_, GateState> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ConnectionGate {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            state: Arc::default(),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Decides on a new connection from `address` arriving at `now`.
    pub fn admit(&self, address: IpAddr, now: Instant) -> Result<Admission, Refusal> {
        let mut state = lock(&self.state);
        if state.closed {
            return Err(Refusal::ShuttingDown);
        }
        // Forget old arrivals so the map cannot grow with every address ever seen.
        state.recent.retain(|_, arrivals| {
            while arrivals
                .front()
                .is_some_and(|first| now.saturating_duration_since(*first) >= RATE_WINDOW)
            {
                arrivals.pop_front();
            }
            !arrivals.is_empty()
        });
        let arrivals = state.recent.entry(address).or_default();
        if arrivals.len() >= self.limits.connections_per_minute {
            return Err(Refusal::TooManyFromAddress);
        }
        arrivals.push_back(now);
        if state.open >= self.limits.max_sessions {
            return Err(Refusal::ServerFull);
        }
        state.open += 1;
        Ok(Admission {
            state: self.state.clone(),
        })
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        lock(&self.state).open
    }

    /// Refuses everything from now on (the server is stopping).
    pub fn close(&self) {
        lock(&self.state).closed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(max_sessions: usize, per_minute: usize) -> ConnectionGate {
        ConnectionGate::new(Limits {
            max_sessions,
            connections_per_minute: per_minute,
            ..Limits::default()
        })
    }

    #[test]
    fn at_most_max_sessions_at_once() {
        let gate = gate(2, 100);
        let now = Instant::now();
        let one = gate.admit("10.0.0.1".parse().unwrap(), now).unwrap();
        let _two = gate.admit("10.0.0.2".parse().unwrap(), now).unwrap();
        assert_eq!(
            gate.admit("10.0.0.3".parse().unwrap(), now).unwrap_err(),
            Refusal::ServerFull
        );
        drop(one);
        assert!(gate.admit("10.0.0.3".parse().unwrap(), now).is_ok());
    }

    #[test]
    fn one_address_is_limited_per_minute_and_others_are_not() {
        let gate = gate(100, 3);
        let start = Instant::now();
        let busy: IpAddr = "192.0.2.7".parse().unwrap();
        let mut kept = Vec::new();
        for second in 0..3 {
            kept.push(
                gate.admit(busy, start + Duration::from_secs(second))
                    .unwrap(),
            );
        }
        assert_eq!(
            gate.admit(busy, start + Duration::from_secs(10))
                .unwrap_err(),
            Refusal::TooManyFromAddress
        );
        assert!(gate.admit("192.0.2.8".parse().unwrap(), start).is_ok());
        assert!(gate.admit(busy, start + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn a_closed_gate_refuses_everyone() {
        let gate = gate(10, 10);
        gate.close();
        assert_eq!(
            gate.admit("10.0.0.1".parse().unwrap(), Instant::now())
                .unwrap_err(),
            Refusal::ShuttingDown
        );
    }
}
