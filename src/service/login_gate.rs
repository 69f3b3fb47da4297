//! At most one credential check in flight per typed account name in this process.
//!
//! The throttle already counts every attempt before its argon2 work, in the transaction that
//! checks the limit; the gate adds that parallel attempts on one name queue behind each
//! other, so each sees the outcome of the one before (a consumed code, a delay that began).

use std::collections::HashSet;
use std::sync::{Condvar, Mutex, MutexGuard};

#[derive(Default)]
pub(super) struct LoginGate {
    in_flight: Mutex<HashSet<String>>,
    released: Condvar,
}

/// Holds the name's place until dropped.
pub(super) struct GatePass<'a> {
    gate: &'a LoginGate,
    key: String,
}

impl LoginGate {
    /// Waits until no other check for `key` is in flight, then holds the name.
    pub(super) fn enter(&self, key: &str) -> GatePass<'_> {
        let mut in_flight = self.lock();
        while in_flight.contains(key) {
            in_flight = self
                .released
                .wait(in_flight)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        in_flight.insert(key.to_owned());
        GatePass {
            gate: self,
            key: key.to_owned(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashSet<String>> {
        self.in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for GatePass<'_> {
    fn drop(&mut self) {
        self.gate.lock().remove(&self.key);
        self.gate.released.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};

    #[test]
    fn one_holder_per_name_while_other_names_pass() {
        let gate = Arc::new(LoginGate::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let most_inside = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(8));
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let (gate, inside, most_inside, start) = (
                    Arc::clone(&gate),
                    Arc::clone(&inside),
                    Arc::clone(&most_inside),
                    Arc::clone(&start),
                );
                std::thread::spawn(move || {
                    start.wait();
                    for _ in 0..200 {
                        let _pass = gate.enter("owner");
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most_inside.fetch_max(now, Ordering::SeqCst);
                        // Another name is never held up by this one.
                        drop(gate.enter("cashier"));
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        assert_eq!(most_inside.load(Ordering::SeqCst), 1);
        assert!(gate.lock().is_empty());
    }
}
