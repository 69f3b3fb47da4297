//! Staff authentication primitives: password hashing, TOTP, recovery codes, SSH public keys,
//! login throttling and session timing. Pure logic over injected entropy and instants; storage is the caller's.

pub mod password;
pub mod recovery;
pub mod session_rules;
pub mod ssh_key;
pub mod throttle;
pub mod totp;

pub use password::{
    PasswordError, PasswordParams, Verification, burn_equivalent_time, derive_key_encryption_key,
    hash_password, verify_password,
};
pub use recovery::{
    RECOVERY_CODE_COUNT, RecoveryCode, generate_recovery_codes, hash_recovery_code,
    normalize_recovery_code, verify_recovery_code,
};
pub use session_rules::{ABSOLUTE_LIMIT, DEFAULT_IDLE_LIMIT, SessionClock, SessionState};
pub use throttle::{LoginThrottle, Throttled};
pub use totp::{
    CodeCheck, Enrolment, TotpError, TotpSecret, code_at, enrolment, qr_half_blocks, verify_code,
};
