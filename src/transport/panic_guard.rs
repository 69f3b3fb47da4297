//! One panic hook for the whole process. A panic on the counter terminal's thread restores
//! that terminal before the message is printed; a panic in an SSH session is that session's
//! business (it restores its client's terminal and closes), so its message must not be
//! printed over the counter screen.

use std::cell::Cell;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    static ROLE: Cell<ThreadRole> = const { Cell::new(ThreadRole::Other) };
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ThreadRole {
    LocalTerminal,
    SshSession,
    Other,
}

/// Set while the counter terminal is in raw mode on this process's own tty.
static LOCAL_TERMINAL_ACTIVE: AtomicBool = AtomicBool::new(false);

/// Installs the hook once; later calls do nothing.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            match ROLE.with(Cell::get) {
                ThreadRole::LocalTerminal => {
                    LOCAL_TERMINAL_ACTIVE.store(false, Ordering::SeqCst);
                    super::local::restore_terminal();
                    previous(info);
                }
                // The session tells its own client; printing here would draw over the counter.
                ThreadRole::SshSession if LOCAL_TERMINAL_ACTIVE.load(Ordering::SeqCst) => {}
                _ => previous(info),
            }
        }));
    });
}

/// The calling thread draws the counter terminal.
pub fn mark_local_terminal_thread() {
    ROLE.with(|role| role.set(ThreadRole::LocalTerminal));
    LOCAL_TERMINAL_ACTIVE.store(true, Ordering::SeqCst);
}

/// The counter terminal is back in normal mode.
pub fn local_terminal_released() {
    LOCAL_TERMINAL_ACTIVE.store(false, Ordering::SeqCst);
}

/// The calling thread runs one SSH session.
pub fn mark_ssh_session_thread() {
    ROLE.with(|role| role.set(ThreadRole::SshSession));
}
