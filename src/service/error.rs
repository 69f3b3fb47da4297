use crate::auth::throttle::Throttled;
use crate::domain::access::Role;
use crate::entropy::EntropyError;
use crate::store::StoreError;
use crate::vault::VaultError;

/// Everything a front end can be told by the service. Messages are shown to staff as they
/// are: one sentence, what went wrong and what to do; never a personal value or a secret.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Deliberately the same for an unknown user, a wrong password and a wrong code.
    #[error(
        "Login failed: the user name, password or code is not right. Check them and try again."
    )]
    InvalidCredentials,
    #[error("{0}")]
    Throttled(#[from] Throttled),
    #[error("Your session has ended; log in again.")]
    SessionEnded,
    #[error("The screen is locked; unlock it with your password.")]
    SessionLocked,
    #[error("A {role} may not {operation}; ask a manager.")]
    Forbidden { role: Role, operation: &'static str },
    #[error("This needs a fresh authenticator code; enter one to confirm it is you.")]
    StepUpRequired,
    #[error("Choose a new password first: the one you were given was temporary.")]
    PasswordChangeRequired,
    #[error(
        "Finish setting up your login first: choose your password and set up your authenticator."
    )]
    EnrolmentRequired,
    #[error(
        "That code did not match. Check that the phone's clock is set automatically (Settings, Date & time: automatic), then type the newest code the app shows."
    )]
    EnrolmentCodeMismatch,
    #[error("The store is locked until a staff member logs in.")]
    StoreLocked,
    #[error("{0}")]
    InvalidInput(String),
    #[error("The new password is not acceptable: {0}")]
    WeakPassword(String),
    #[error("There is no {0} with that id; it may have been removed. Search again.")]
    NotFound(&'static str),
    /// A phone, email or plate typed is already on another member; the report names them,
    /// masked for the caller's role. Saving anyway is `OnDuplicate::SaveAnyway`.
    #[error("{0}")]
    DuplicateMember(Box<crate::service::DuplicateReport>),
    #[error("The user name `{0}` is already taken; choose another.")]
    UsernameTaken(String),
    /// Nothing of the change was saved; the store reopens itself once there is room.
    #[error(
        "The disk is full: nothing of this change was saved; free space on the disk and try again."
    )]
    DiskFull,
    /// The account is limited to other sites of the chain.
    #[error(
        "This account may not log in at {here}; it works at {allowed}. Log in there, or ask a manager to add this site to the account."
    )]
    WrongSite { here: String, allowed: String },
    #[error("{0}")]
    Store(StoreError),
    #[error("{0}")]
    Vault(#[from] VaultError),
    #[error("{0}")]
    Entropy(#[from] EntropyError),
    #[error("{0}")]
    Backup(#[from] crate::service::backup::BackupError),
    #[error("Security check failed: {0}")]
    Credential(String),
    /// A file made for a person to keep (an export) could not be written; nothing was left.
    #[error("{0}")]
    File(#[from] crate::private_file::PrivateFileError),
}

impl ServiceError {
    pub fn invalid(message: impl Into<String>) -> Self {
        ServiceError::InvalidInput(message.into())
    }

    /// The disk under the store failed (or is full): nothing was saved, and trying again later
    /// may work. Never a verdict on what the person typed.
    pub fn is_storage_failure(&self) -> bool {
        matches!(
            self,
            ServiceError::DiskFull | ServiceError::Store(StoreError::StorageFailed(_))
        )
    }
}

impl From<StoreError> for ServiceError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::DiskFull => ServiceError::DiskFull,
            other => ServiceError::Store(other),
        }
    }
}
