//! Transports run the UI state machine on a real terminal: the counter's own terminal, and
//! one session per SSH client under `frontdesk serve`, sharing news through the hub.

pub mod backup_timer;
pub mod hub;
pub mod local;
pub mod panic_guard;
pub mod server_marker;
pub mod ssh;
