//! The backup schedule's clock: a thread in the counter process and in `frontdesk serve` that
//! asks the service every half minute whether a scheduled backup is due, and runs it there
//! (off every screen's thread). The service decides; this only keeps asking until stopped.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::audit::Origin;
use crate::service::{BackupProgress, Service};

/// How often the schedule is looked at; a daily backup may start this much after its time.
const CHECK_EVERY: Duration = Duration::from_secs(30);
/// `FRONTDESK_BACKUP_SCHEDULE=off` keeps this process from running scheduled backups, for
/// scripted runs of the binary (the schedule itself is still shown and kept).
const SWITCH_VARIABLE: &str = "FRONTDESK_BACKUP_SCHEDULE";

/// Runs while held; dropping it stops the thread and waits for a backup under way to finish.
pub struct BackupTimer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl BackupTimer {
    pub fn start(service: Arc<Service>, origin: Origin) -> BackupTimer {
        if std::env::var(SWITCH_VARIABLE).is_ok_and(|value| value == "off") {
            return BackupTimer {
                stop: None,
                thread: None,
            };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("backup-schedule".to_owned())
            .spawn(move || {
                let progress = BackupProgress::default();
                loop {
                    match stopped.recv_timeout(CHECK_EVERY) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                    // A failed run is recorded (status, audit entry) by the service itself; the
                    // next slot tries again.
                    let _ = service.run_scheduled_backup_if_due(origin.clone(), &progress);
                }
            })
            .ok();
        BackupTimer {
            stop: Some(stop),
            thread,
        }
    }
}

impl Drop for BackupTimer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
