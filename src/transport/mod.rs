//! Transports run the UI state machine on a real terminal: the local one here, SSH later.

pub mod local;
