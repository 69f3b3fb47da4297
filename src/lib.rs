//! frontdesk: the front desk of a car wash, built around protecting customer data.
//!
//! Layers, one direction: [`domain`] (pure rules) → [`store`] (redb) and [`vault`] (keys,
//! encryption) → [`service`] (sessions, permissions, masking, audit: the only API front ends
//! call) → front ends ([`cli`] now, the terminal UI later).

pub mod clock;
pub mod entropy;
#[doc(hidden)]
pub mod fuzzing;
pub mod ids;
pub mod private_file;

pub mod audit;
pub mod auth;
pub mod cli;
pub mod domain;
pub mod service;
pub mod store;
pub mod transport;
pub mod ui;
pub mod vault;
