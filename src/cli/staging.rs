//! A new store is built beside where it will live and moved into place only once the person
//! at the terminal has everything needed to log in to it. A store whose manager never saw
//! their password, authenticator secret or recovery codes locks everyone out, and a store
//! left behind would also block the next `init`. So `init` and `demo` build in a private
//! directory inside the data directory (same file system, so the final move is a hard link
//! or rename), print the credentials, and only then commit; on any failure, or if the
//! command is cut short, the directory is removed and the data directory is as it was.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use super::CliError;
use crate::store::{Store, StoreError};

/// Scratch directory inside the data directory while a new store is being built.
const BUILD_DIR: &str = ".frontdesk-new-store";
const LOCK_FILE: &str = "build.lock";

fn io_error(what: &str, path: &Path, err: std::io::Error) -> CliError {
    CliError::new(format!(
        "could not {what} {} ({err}); check the data directory's permissions and free space",
        path.display()
    ))
}

/// A store under construction. Dropped without [`StagedStore::commit`], it leaves nothing
/// behind: its files go, and so does the data directory if this command created it.
pub(super) struct StagedStore {
    data: PathBuf,
    build: PathBuf,
    lock: Option<File>,
    created_data_dir: bool,
}

impl StagedStore {
    /// Claims the build directory in `data` (creating `data`, private to this user, when
    /// needed). Fails when `data` already holds a store or another command is building one.
    pub fn begin(data: &Path) -> Result<Self, CliError> {
        if Store::exists_in(data) {
            return Err(StoreError::AlreadyInitialised(data.to_path_buf()).into());
        }
        let created_data_dir = !data.exists();
        crate::store::ensure_private_dir(data)?;
        let mut staged = Self {
            data: data.to_path_buf(),
            build: data.join(BUILD_DIR),
            lock: None,
            created_data_dir,
        };
        crate::store::ensure_private_dir(&staged.build)?;
        let lock_path = staged.build.join(LOCK_FILE);
        let lock = File::create(&lock_path).map_err(|e| io_error("create", &lock_path, e))?;
        if lock.try_lock().is_err() {
            return Err(CliError::new(format!(
                "another frontdesk command is creating a store in {}; wait for it to finish",
                data.display()
            )));
        }
        staged.lock = Some(lock);
        clear_files(&staged.build)?;
        Ok(staged)
    }

    /// The private directory to build the store (and any scratch files) in.
    pub fn dir(&self) -> &Path {
        &self.build
    }

    /// Moves the finished store into the data directory. Never replaces a store that
    /// appeared there meanwhile: the link that puts it in place fails if the name is taken.
    pub fn commit(self) -> Result<(), CliError> {
        let built = Store::file_in(&self.build);
        let target = Store::file_in(&self.data);
        let appeared = || {
            CliError::new(format!(
                "another store appeared in {} while this one was being built; it was left as it is, and nothing printed above applies to it",
                self.data.display()
            ))
        };
        match fs::hard_link(&built, &target) {
            Ok(()) => {
                // Make the new name itself survive a power cut (the file's data already does).
                if let Ok(dir) = File::open(&self.data) {
                    let _ = dir.sync_all();
                }
                Ok(())
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Err(appeared()),
            // A file system without hard links: check, then rename.
            Err(_) if target.exists() => Err(appeared()),
            Err(_) => fs::rename(&built, &target)
                .map_err(|e| io_error("move the new store to", &target, e)),
        }
        // Dropping `self` removes the build directory, and with it the other link.
    }
}

impl Drop for StagedStore {
    fn drop(&mut self) {
        // Without the lock the build directory may be another command's: leave it alone.
        if let Some(lock) = self.lock.take() {
            let _ = clear_files(&self.build);
            drop(lock);
            let _ = fs::remove_file(self.build.join(LOCK_FILE));
            let _ = fs::remove_dir(&self.build);
        }
        if self.created_data_dir && !Store::exists_in(&self.data) {
            // Only succeeds while it is empty: never takes anything but what we made.
            let _ = fs::remove_dir(&self.data);
        }
    }
}

/// Removes the files in the build directory (an earlier, interrupted build's, or this one's),
/// keeping the lock.
fn clear_files(build: &Path) -> Result<(), CliError> {
    let entries = fs::read_dir(build).map_err(|e| io_error("read", build, e))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_name() == LOCK_FILE {
            continue;
        }
        if path.is_file() {
            fs::remove_file(&path).map_err(|e| io_error("remove", &path, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_committed_store_takes_its_place_and_the_build_directory_goes() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("shop");
        let staged = StagedStore::begin(&data).unwrap();
        fs::write(Store::file_in(staged.dir()), b"new store").unwrap();
        staged.commit().unwrap();
        assert_eq!(entries(&data), [crate::store::STORE_FILE_NAME]);
        assert_eq!(fs::read(Store::file_in(&data)).unwrap(), b"new store");
        let again = StagedStore::begin(&data).err().unwrap();
        assert!(again.0.contains("already exists"), "{again}");
    }

    #[test]
    fn a_store_that_appeared_meanwhile_is_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("shop");
        let staged = StagedStore::begin(&data).unwrap();
        fs::write(Store::file_in(staged.dir()), b"new store").unwrap();
        fs::write(Store::file_in(&data), b"their store").unwrap();
        let err = staged.commit().unwrap_err();
        assert!(err.0.contains("another store appeared"), "{err}");
        assert_eq!(fs::read(Store::file_in(&data)).unwrap(), b"their store");
        assert_eq!(entries(&data), [crate::store::STORE_FILE_NAME]);
    }

    #[test]
    fn an_abandoned_build_leaves_nothing_and_a_second_builder_is_turned_away() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("shop");
        let staged = StagedStore::begin(&data).unwrap();
        fs::write(Store::file_in(staged.dir()), b"half made").unwrap();
        let second = StagedStore::begin(&data).err().unwrap();
        assert!(second.0.contains("another frontdesk command"), "{second}");
        // The refused one touched nothing of the first one's.
        assert!(Store::file_in(staged.dir()).exists());
        drop(staged);
        assert!(!data.exists());

        // A data directory that was there before stays, with what else it holds.
        fs::create_dir(&data).unwrap();
        fs::write(data.join("notes.txt"), b"").unwrap();
        let staged = StagedStore::begin(&data).unwrap();
        fs::write(Store::file_in(staged.dir()), b"half made").unwrap();
        drop(staged);
        assert_eq!(entries(&data), ["notes.txt"]);
    }
}
