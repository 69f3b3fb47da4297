//! The sessions of one process and the news they share: a change to the store made in one
//! session reaches every other session at once, and a shutdown reaches all of them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// What the hub tells a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubSignal {
    /// Another session changed the store; reload what is on screen.
    StoreChanged,
    /// The server is stopping; say so and close.
    Shutdown,
}

type Notify = Box<dyn Fn(HubSignal) + Send + Sync>;

#[derive(Default)]
struct Subscribers {
    next_id: u64,
    notify: HashMap<u64, Notify>,
    shutting_down: bool,
}

/// Shared by the local terminal and every SSH session of a `frontdesk serve` process.
#[derive(Default, Clone)]
pub struct Hub {
    subscribers: Arc<Mutex<Subscribers>>,
}

/// A session's place on the hub; dropping it leaves.
pub struct Subscription {
    id: u64,
    hub: Hub,
}

impl Subscription {
    /// Tells every *other* session that the store changed.
    pub fn store_changed(&self) {
        self.hub.send(Some(self.id), HubSignal::StoreChanged);
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.lock().notify.remove(&self.id);
    }
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Subscribers> {
        // A session that panicked while notifying cannot leave the map half-changed.
        self.subscribers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Joins the hub. `notify` runs on the sender's thread, so it must only hand the signal
    /// on (a channel send), never block. Joining after shutdown gets `Shutdown` at once.
    pub fn subscribe(&self, notify: impl Fn(HubSignal) + Send + Sync + 'static) -> Subscription {
        let mut subscribers = self.lock();
        let id = subscribers.next_id;
        subscribers.next_id += 1;
        if subscribers.shutting_down {
            notify(HubSignal::Shutdown);
        }
        subscribers.notify.insert(id, Box::new(notify));
        Subscription {
            id,
            hub: self.clone(),
        }
    }

    /// Tells every session that another process (another site) changed the store.
    pub fn store_changed_elsewhere(&self) {
        self.send(None, HubSignal::StoreChanged);
    }

    /// Tells every session that the server is stopping.
    pub fn shutdown(&self) {
        let mut subscribers = self.lock();
        subscribers.shutting_down = true;
        for notify in subscribers.notify.values() {
            notify(HubSignal::Shutdown);
        }
    }

    pub fn is_shutting_down(&self) -> bool {
        self.lock().shutting_down
    }

    /// How many sessions are on the hub.
    pub fn sessions(&self) -> usize {
        self.lock().notify.len()
    }

    fn send(&self, except: Option<u64>, signal: HubSignal) {
        let subscribers = self.lock();
        for (id, notify) in &subscribers.notify {
            if Some(*id) != except {
                notify(signal.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn a_change_reaches_every_other_session_but_not_its_sender() {
        let hub = Hub::new();
        let (to_a, from_a) = mpsc::channel();
        let (to_b, from_b) = mpsc::channel();
        let a = hub.subscribe(move |signal| {
            let _ = to_a.send(signal);
        });
        let _b = hub.subscribe(move |signal| {
            let _ = to_b.send(signal);
        });
        a.store_changed();
        assert_eq!(from_b.try_recv(), Ok(HubSignal::StoreChanged));
        assert!(from_a.try_recv().is_err());
        assert_eq!(hub.sessions(), 2);
        drop(a);
        assert_eq!(hub.sessions(), 1);
    }

    #[test]
    fn shutdown_reaches_everyone_including_late_joiners() {
        let hub = Hub::new();
        let (to_a, from_a) = mpsc::channel();
        let _a = hub.subscribe(move |signal| {
            let _ = to_a.send(signal);
        });
        hub.shutdown();
        assert_eq!(from_a.try_recv(), Ok(HubSignal::Shutdown));
        let (to_late, from_late) = mpsc::channel();
        let _late = hub.subscribe(move |signal| {
            let _ = to_late.send(signal);
        });
        assert_eq!(from_late.try_recv(), Ok(HubSignal::Shutdown));
        assert!(hub.is_shutting_down());
    }
}
