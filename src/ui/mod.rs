//! The terminal UI as a transport-independent state machine: events in, effects out, and a
//! pure render of the state into a ratatui frame. The local terminal and SSH sessions both
//! drive this same [`App`].

pub mod actions;
pub mod app;
pub mod i18n;
pub mod keymap;
pub mod overlays;
pub mod screens;
pub mod tasks;
pub mod text;
pub mod theme;
pub mod view;
pub mod widgets;

pub use app::{App, AppEnv, Effect, Event, SshServerInfo};
