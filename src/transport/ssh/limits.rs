//! Who may connect: at most so many connections at once, at most so many new ones per
//! address per minute, and — until they have logged in — at most a few per address and never
//! the slots kept for staff who have. A script hammering the port, or holding connections
//! open without a word, cannot crowd out the staff.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// The server's limits; `frontdesk serve` flags set most of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once, logged in or not.
    pub max_sessions: usize,
    /// New connections one address may open per minute.
    pub connections_per_minute: usize,
    /// Connections one address may hold at once before they have logged in.
    pub waiting_per_address: usize,
    /// A connection that sends nothing for this long is closed (the app's own idle lock comes
    /// much sooner).
    pub idle_timeout: Duration,
    /// Time from accepting the connection until the client's SSH version line has arrived.
    pub handshake_timeout: Duration,
    /// Time from accepting the connection until the client has logged in.
    pub login_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_sessions: 64,
            connections_per_minute: 20,
            waiting_per_address: 3,
            idle_timeout: Duration::from_secs(30 * 60),
            handshake_timeout: Duration::from_secs(10),
            login_grace: Duration::from_secs(120),
        }
    }
}

impl Limits {
    /// Slots only staff who have logged in may use: a quarter of `max_sessions`, at least 4,
    /// but always leaving one to log in through.
    pub fn reserved_for_logged_in(&self) -> usize {
        (self.max_sessions / 4)
            .max(4)
            .min(self.max_sessions.saturating_sub(1))
    }

    /// Connections that may be open at once before logging in.
    pub fn waiting_limit(&self) -> usize {
        self.max_sessions
            .saturating_sub(self.reserved_for_logged_in())
            .max(1)
    }
}

const RATE_WINDOW: Duration = Duration::from_secs(60);

/// Why a connection was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    ServerFull,
    TooManyFromAddress,
    TooManyWaitingFromAddress,
    ShuttingDown,
}

/// How far a connection has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Has sent nothing yet; the first to go when a newcomer needs the room.
    Silent,
    /// Has spoken, not logged in yet.
    Waiting,
    LoggedIn,
}

struct Entry {
    address: IpAddr,
    stage: Stage,
    evict: Arc<Notify>,
}

#[derive(Default)]
struct GateState {
    next_id: u64,
    /// Open connections in the order they arrived.
    open: BTreeMap<u64, Entry>,
    recent: HashMap<IpAddr, VecDeque<Instant>>,
    closed: bool,
}

impl GateState {
    fn not_logged_in(&self) -> impl Iterator<Item = &Entry> {
        self.open
            .values()
            .filter(|entry| entry.stage != Stage::LoggedIn)
    }
}

/// Admits or refuses new connections; shared by the accept loop.
#[derive(Clone)]
pub struct ConnectionGate {
    limits: Limits,
    state: Arc<Mutex<GateState>>,
}

struct Slot {
    id: u64,
    state: Arc<Mutex<GateState>>,
    evict: Arc<Notify>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        lock(&self.state).open.remove(&self.id);
    }
}

/// One admitted connection; its place is freed when the last clone is dropped.
#[derive(Clone)]
pub struct Admission {
    slot: Arc<Slot>,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Admission")
    }
}

impl Admission {
    fn set_stage(&self, from: &[Stage], to: Stage) -> bool {
        let mut state = lock(&self.slot.state);
        match state.open.get_mut(&self.slot.id) {
            Some(entry) => {
                if from.contains(&entry.stage) {
                    entry.stage = to;
                }
                true
            }
            None => false,
        }
    }

    /// The client has sent its first bytes. `false` when the connection was already closed
    /// to make room for another.
    pub fn spoke(&self) -> bool {
        self.set_stage(&[Stage::Silent], Stage::Waiting)
    }

    /// The client has logged in: it no longer counts against the limits on waiting
    /// connections.
    pub fn logged_in(&self) {
        self.set_stage(&[Stage::Silent, Stage::Waiting], Stage::LoggedIn);
    }

    pub fn is_logged_in(&self) -> bool {
        lock(&self.slot.state)
            .open
            .get(&self.slot.id)
            .is_some_and(|entry| entry.stage == Stage::LoggedIn)
    }

    /// Resolves when this connection has been closed to make room for another.
    pub async fn evicted(&self) {
        self.slot.evict.notified().await;
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

    /// Decides on a new connection from `address` arriving at `now`. When the server is
    /// full, the oldest connection that has not sent a byte makes room (it is told through
    /// [`Admission::evicted`]); one that has spoken is never pushed out.
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
        let waiting_here = state
            .not_logged_in()
            .filter(|entry| entry.address == address)
            .count();
        if waiting_here >= self.limits.waiting_per_address {
            return Err(Refusal::TooManyWaitingFromAddress);
        }
        let full = state.open.len() >= self.limits.max_sessions
            || state.not_logged_in().count() >= self.limits.waiting_limit();
        if full {
            let oldest_silent = state
                .open
                .iter()
                .find(|(_, entry)| entry.stage == Stage::Silent)
                .map(|(id, _)| *id);
            let Some(entry) = oldest_silent.and_then(|id| state.open.remove(&id)) else {
                return Err(Refusal::ServerFull);
            };
            entry.evict.notify_one();
        }
        let id = state.next_id;
        state.next_id += 1;
        let evict = Arc::new(Notify::new());
        state.open.insert(
            id,
            Entry {
                address,
                stage: Stage::Silent,
                evict: evict.clone(),
            },
        );
        Ok(Admission {
            slot: Arc::new(Slot {
                id,
                state: self.state.clone(),
                evict,
            }),
        })
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        lock(&self.state).open.len()
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
            waiting_per_address: 100,
            ..Limits::default()
        })
    }

    fn address(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    /// Admitted and already past its greeting, so it cannot be pushed out.
    fn spoken(gate: &ConnectionGate, last: u8) -> Admission {
        let admission = gate.admit(address(last), Instant::now()).unwrap();
        assert!(admission.spoke());
        admission
    }

    #[test]
    fn at_most_max_sessions_at_once() {
        let gate = gate(2, 100);
        let one = spoken(&gate, 1);
        one.logged_in();
        let two = spoken(&gate, 2);
        two.logged_in();
        assert_eq!(
            gate.admit(address(3), Instant::now()).unwrap_err(),
            Refusal::ServerFull
        );
        drop(one);
        assert!(gate.admit(address(3), Instant::now()).is_ok());
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
            gate.admit(address(1), Instant::now()).unwrap_err(),
            Refusal::ShuttingDown
        );
    }

    #[test]
    fn the_reserve_is_a_quarter_at_least_four_and_never_every_slot() {
        let reserve = |max_sessions| {
            let limits = Limits {
                max_sessions,
                ..Limits::default()
            };
            (limits.reserved_for_logged_in(), limits.waiting_limit())
        };
        assert_eq!(reserve(64), (16, 48));
        assert_eq!(reserve(100), (25, 75));
        assert_eq!(reserve(10), (4, 6));
        assert_eq!(reserve(5), (4, 1));
        assert_eq!(reserve(1), (0, 1));
    }

    #[test]
    fn only_a_few_waiting_connections_per_address_and_logging_in_frees_the_place() {
        let gate = ConnectionGate::new(Limits::default());
        let now = Instant::now();
        let busy = address(7);
        let first = gate.admit(busy, now).unwrap();
        let _second = gate.admit(busy, now).unwrap();
        let _third = gate.admit(busy, now).unwrap();
        assert_eq!(
            gate.admit(busy, now).unwrap_err(),
            Refusal::TooManyWaitingFromAddress
        );
        assert!(gate.admit(address(8), now).is_ok());
        first.logged_in();
        assert!(gate.admit(busy, now).is_ok());
    }

    #[test]
    fn waiting_connections_leave_the_reserved_slots_to_staff_who_logged_in() {
        // 10 slots: 6 for waiting connections, 4 kept for staff who have logged in.
        let gate = gate(10, 100);
        let waiting: Vec<Admission> = (1..=6).map(|last| spoken(&gate, last)).collect();
        assert_eq!(
            gate.admit(address(20), Instant::now()).unwrap_err(),
            Refusal::ServerFull,
            "a seventh waiting connection would eat into the reserve"
        );
        // Staff who log in move into the reserve, and the waiting room has space again.
        for admission in &waiting {
            admission.logged_in();
        }
        let more: Vec<Admission> = (21..=24).map(|last| spoken(&gate, last)).collect();
        for admission in &more {
            admission.logged_in();
        }
        assert_eq!(gate.open_connections(), 10);
        assert_eq!(
            gate.admit(address(30), Instant::now()).unwrap_err(),
            Refusal::ServerFull
        );
    }

    #[test]
    fn a_newcomer_pushes_out_the_oldest_silent_connection_never_one_that_spoke() {
        let gate = gate(5, 100);
        // 5 slots: 1 for waiting connections.
        let silent = gate.admit(address(1), Instant::now()).unwrap();
        let newcomer = gate.admit(address(2), Instant::now()).unwrap();
        assert!(!silent.spoke(), "the silent one was closed to make room");
        assert!(newcomer.spoke());
        assert_eq!(gate.open_connections(), 1);
        assert_eq!(
            gate.admit(address(3), Instant::now()).unwrap_err(),
            Refusal::ServerFull,
            "one that has spoken keeps its place"
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), silent.evicted())
                .await
                .expect("the silent connection is told to go");
        });
        drop(silent);
        assert_eq!(
            gate.open_connections(),
            1,
            "its place was already given away"
        );
    }
}
