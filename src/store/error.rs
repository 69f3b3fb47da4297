use std::path::PathBuf;

/// What can go wrong opening or using the store; each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the data directory {0} does not exist; create a store there with `frontdesk init --data {0}` or pass the right --data"
    )]
    DataDirMissing(PathBuf),
    #[error(
        "the data directory {path} is not writable ({reason}); fix its permissions or choose another --data"
    )]
    DataDirNotWritable { path: PathBuf, reason: String },
    #[error("there is no store in {0}; create one with `frontdesk init` (or `frontdesk demo`)")]
    NotInitialised(PathBuf),
    #[error(
        "a store already exists in {0}; refusing to overwrite it (choose an empty --data directory)"
    )]
    AlreadyInitialised(PathBuf),
    #[error(
        "the store {0} is in use by another frontdesk process; close it (or connect to the running `frontdesk serve`) and try again"
    )]
    InUse(PathBuf),
    #[error("the store file is damaged ({0}); restore the latest backup with `frontdesk restore`")]
    Corrupt(String),
    /// The file could not be opened as a store at all: cut short, bits flipped, not a store.
    #[error(
        "the store file {path} is damaged ({detail}); move it aside and restore the latest backup into an empty data directory with `frontdesk restore BACKUP --data DIR`"
    )]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "the store was written by a newer frontdesk (schema {found}, this build understands up to {supported}); upgrade frontdesk to open it"
    )]
    NewerVersion { found: u32, supported: u32 },
    #[error("could not read or write the store: {0}")]
    Io(String),
    /// The disk (or this user's quota) has no room left. The store reopens itself once there
    /// is room again; nothing committed before is lost.
    #[error(
        "the disk is full: nothing of this change was saved; free space on the disk and try again"
    )]
    DiskFull,
    /// The disk refused a read or write for another reason. As with a full disk, the change
    /// under way was not saved and the store reopens itself at the next attempt.
    #[error(
        "the disk holding the store reported an error ({0}): nothing of this change was saved; check the disk and try again"
    )]
    StorageFailed(String),
    /// The PostgreSQL server refused or failed a step; the sentence says which and what to do.
    #[error("{0}")]
    Postgres(String),
    /// Another process changed what this write read before it could commit; nothing was
    /// saved, and the same change can simply be made again.
    #[error(
        "another site changed the same records at the same moment: nothing was saved; try again"
    )]
    WriteConflict,
    /// A PostgreSQL database that already holds a store (or other tables) was given to a
    /// command that needs an empty one.
    #[error(
        "the PostgreSQL database {0} is not empty; give `frontdesk migrate` or `init` a new, empty database"
    )]
    DatabaseNotEmpty(String),
}

impl From<redb::Error> for StoreError {
    fn from(err: redb::Error) -> Self {
        match err {
            redb::Error::DatabaseAlreadyOpen => {
                StoreError::Io("the store is already open in this process".to_owned())
            }
            redb::Error::Corrupted(detail) => StoreError::Corrupt(detail),
            redb::Error::UpgradeRequired(version) => StoreError::NewerVersion {
                found: u32::from(version),
                supported: 0,
            },
            redb::Error::Io(io) if super::file::is_disk_full(&io) => StoreError::DiskFull,
            redb::Error::Io(io) => StoreError::StorageFailed(io.to_string()),
            redb::Error::Backend(err) => StoreError::StorageFailed(err.to_string()),
            redb::Error::PreviousIo => {
                StoreError::StorageFailed("after an earlier failed read or write".to_owned())
            }
            redb::Error::DatabaseClosed => StoreError::StorageFailed(
                "the store was reopened after a disk error during this read".to_owned(),
            ),
            other => StoreError::Io(other.to_string()),
        }
    }
}

macro_rules! via_redb_error {
    ($($source:ty),*) => {$(
        impl From<$source> for StoreError {
            fn from(err: $source) -> Self {
                StoreError::from(redb::Error::from(err))
            }
        }
    )*};
}

via_redb_error!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::CompactionError
);
