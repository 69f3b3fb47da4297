//! Reusable pieces of screens: text fields, forms, tables, dialogs and the QR code.

pub mod enrolment;
pub mod form;
pub mod hints;
pub mod input;
pub mod receipt_pane;
pub mod strength;
pub mod surface;
pub mod table;
