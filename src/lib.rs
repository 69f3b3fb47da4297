//! frontdesk: the front desk of a car wash, built around protecting customer data.
//!
//! Layers, one direction: [`domain`] (pure rules) → [`store`] (redb) and [`vault`] (keys,
//! encryption) → [`service`] (sessions, permissions, masking, audit: the only API front ends
//! call) → front ends ([`cli`] now, the terminal UI later).

pub mod clock;
pub mod entropy;
pub mod ids;
