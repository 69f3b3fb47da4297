//! Pure domain rules: roles and permissions, currencies, vehicle kinds, and the validation,
//! normalisation and masking of customer personal fields. No I/O, storage, crypto or terminal code.

pub mod access;
pub mod alerts;
pub mod analysis_export;
pub mod backup_schedule;
pub mod catalog;
pub mod checkout;
pub mod currency;
pub mod drawer;
pub mod email;
pub mod field_error;
pub mod loyalty;
pub mod masking;
pub mod member_import;
pub mod member_merge;
pub mod money;
pub mod name;
pub mod password_policy;
pub mod phone;
pub mod plans;
pub mod plate;
pub mod price_list;
pub mod receipt;
pub mod refund;
pub mod reports;
pub mod retention;
pub mod sanitize;
pub mod schedule;
pub mod site;
pub mod tax;
pub mod tender;
pub mod vehicle;

pub use email::normalize_email;
pub use field_error::FieldError;
pub use masking::{birthday_this_month, mask_email, mask_name, mask_phone, mask_plate};
pub use name::{fold, fold_query, is_cjk, normalize_name, search_tokens};
pub use password_policy::{PasswordRejected, Strength, check_new_password, strength};
pub use phone::Phone;
pub use plate::normalize_plate;
pub use sanitize::{is_unsafe_char, sanitize_line, sanitize_multiline};
