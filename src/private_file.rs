//! Files frontdesk writes for a person to keep (a backup now; exports and reports later): new,
//! private to this user, complete or absent, and never written through a link someone else
//! planted.
//!
//! The bytes go to `FILE.partial`, created exclusively (`O_CREAT | O_EXCL | O_NOFOLLOW`, mode
//! 0600): an existing partial file, link or not, is refused rather than opened. Committing
//! syncs the file, moves it to `FILE` and syncs the directory, so after a power cut there is
//! either the whole file or none. `FILE` itself is never opened: a link at that name is
//! refused, and an existing file is replaced (by rename, never by writing into it) only when
//! asked to.

use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// What to do when the destination already exists as a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Leave it alone and fail (the default).
    Refuse,
    /// Replace it with the new file (`--force`). A symbolic link is still refused.
    Replace,
}

#[derive(Debug, thiserror::Error)]
pub enum PrivateFileError {
    #[error("{0} already exists; choose another file name, or pass --force to replace it")]
    Exists(PathBuf),
    #[error(
        "{0} is a symbolic link; frontdesk does not write through links, even with --force. Give the real path of the file instead"
    )]
    Symlink(PathBuf),
    #[error("{0} is a directory; give a file name inside it instead")]
    Directory(PathBuf),
    #[error("{0} is not a folder; move it away so files can be saved there")]
    NotADirectory(PathBuf),
    #[error(
        "the directory {0} does not exist; create it first or choose another place for the file"
    )]
    NoDirectory(PathBuf),
    #[error(
        "{0} already exists: an earlier write was interrupted, or something else put it there. Check it, remove it, then try again"
    )]
    PartialExists(PathBuf),
    /// The folder went away (or was swapped for another) while the file was being written:
    /// the bytes went nowhere anyone can find, so nothing was saved.
    #[error(
        "the folder {0} disappeared while the file was being written (a USB stick unplugged or a share unmounted?), so nothing was saved there; reconnect it or choose another place, then try again"
    )]
    FolderVanished(PathBuf),
    #[error(
        "could not {doing} {path}: {reason}; check the directory's permissions and free space, then try again"
    )]
    Io {
        doing: &'static str,
        path: PathBuf,
        reason: String,
    },
}

impl PrivateFileError {
    fn io(doing: &'static str, path: &Path) -> impl FnOnce(io::Error) -> PrivateFileError {
        let path = path.to_path_buf();
        move |err| PrivateFileError::Io {
            doing,
            path,
            reason: err.to_string(),
        }
    }
}

/// A new private file being written; it takes its real name only at [`PrivateFile::commit`].
/// Dropped uncommitted, it removes its partial file.
#[derive(Debug)]
pub struct PrivateFile {
    file: File,
    partial: PathBuf,
    destination: PathBuf,
    existing: Existing,
    committed: bool,
}

/// `FILE.partial` beside the destination.
pub fn partial_path(destination: &Path) -> PathBuf {
    let mut name = destination
        .file_name()
        .map(|name| name.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    destination.with_file_name(name)
}

/// The directory the destination goes into (`.` for a bare file name).
fn directory_of(destination: &Path) -> PathBuf {
    match destination.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Refuses a destination that is a link or directory, or that exists when it may not.
fn check_name(destination: &Path, existing: Existing) -> Result<(), PrivateFileError> {
    match fs::symlink_metadata(destination) {
        Ok(meta) if meta.file_type().is_symlink() => {
            Err(PrivateFileError::Symlink(destination.to_path_buf()))
        }
        Ok(meta) if meta.is_dir() => Err(PrivateFileError::Directory(destination.to_path_buf())),
        Ok(_) if existing == Existing::Refuse => {
            Err(PrivateFileError::Exists(destination.to_path_buf()))
        }
        Ok(_) => Ok(()),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
        Err(err) => Err(PrivateFileError::io("look at", destination)(err)),
    }
}

/// Creates `path` new, never following a link at that name, readable only by this user.
fn create_exclusive(path: &Path) -> Result<File, PrivateFileError> {
    let mut options = OpenOptions::new();
    // Read too, so the writer can check what it wrote through the same descriptor.
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let file = options.open(path).map_err(|err| match err.kind() {
        ErrorKind::AlreadyExists => PrivateFileError::PartialExists(path.to_path_buf()),
        ErrorKind::NotFound => PrivateFileError::NoDirectory(directory_of(path)),
        _ => PrivateFileError::io("create", path)(err),
    })?;
    // The mode above is narrowed by the umask only; make it exactly owner read and write.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(PrivateFileError::io("restrict", path))?;
    }
    Ok(file)
}

/// Checks, before any work or any prompt, that a private file could be written at
/// `destination`: its directory exists and takes new files, the name is free (or may be
/// replaced) and no partial file is in the way. Creates and removes the partial file to know.
pub fn check_destination(destination: &Path, existing: Existing) -> Result<(), PrivateFileError> {
    check_name(destination, existing)?;
    let directory = directory_of(destination);
    if !directory.is_dir() {
        return Err(PrivateFileError::NoDirectory(directory));
    }
    let partial = partial_path(destination);
    drop(create_exclusive(&partial)?);
    fs::remove_file(&partial).map_err(PrivateFileError::io("remove", &partial))
}

/// Makes `dir` (one level, mode 0700) when it is missing, for files saved under the data
/// directory; an existing directory is left as it is, anything else at that name is refused.
pub fn create_private_dir(dir: &Path) -> Result<(), PrivateFileError> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(meta) if meta.file_type().is_symlink() => {
            Err(PrivateFileError::Symlink(dir.to_path_buf()))
        }
        Ok(_) => Err(PrivateFileError::NotADirectory(dir.to_path_buf())),
        Err(err) if err.kind() == ErrorKind::NotFound => {
            let mut builder = fs::DirBuilder::new();
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            match builder.create(dir) {
                Ok(()) => Ok(()),
                // Made meanwhile by someone else: as good, if it is a directory.
                Err(err) if err.kind() == ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
                Err(err) if err.kind() == ErrorKind::NotFound => {
                    Err(PrivateFileError::NoDirectory(directory_of(dir)))
                }
                Err(err) => Err(PrivateFileError::io("create the folder", dir)(err)),
            }
        }
        Err(err) => Err(PrivateFileError::io("look at", dir)(err)),
    }
}

impl PrivateFile {
    /// Starts a new private file that will be named `destination` when committed.
    pub fn create(destination: &Path, existing: Existing) -> Result<PrivateFile, PrivateFileError> {
        check_name(destination, existing)?;
        let partial = partial_path(destination);
        let file = create_exclusive(&partial)?;
        Ok(PrivateFile {
            file,
            partial,
            destination: destination.to_path_buf(),
            existing,
            committed: false,
        })
    }

    /// Where the bytes are while the file is being written, for messages.
    pub fn partial(&self) -> &Path {
        &self.partial
    }

    pub fn destination(&self) -> &Path {
        &self.destination
    }

    /// The file as written so far, from its first byte, through the same open file: what is
    /// read back is what was written here, whatever happens to the name meanwhile.
    pub fn read_back(&mut self) -> Result<&File, PrivateFileError> {
        self.file
            .flush()
            .and_then(|()| self.file.seek(SeekFrom::Start(0)).map(|_| ()))
            .map_err(PrivateFileError::io("read back", &self.partial))?;
        Ok(&self.file)
    }

    /// Syncs the file, gives it its real name and syncs the directory.
    pub fn commit(mut self) -> Result<(), PrivateFileError> {
        self.file
            .sync_all()
            .map_err(PrivateFileError::io("write", &self.partial))?;
        if !self.partial_still_in_place() {
            return Err(PrivateFileError::FolderVanished(directory_of(
                &self.destination,
            )));
        }
        // Checked again now: the name may have become a link or a file while this one was
        // written. Neither rename nor link ever writes through a link at the destination.
        check_name(&self.destination, self.existing)?;
        match self.existing {
            Existing::Replace => fs::rename(&self.partial, &self.destination).map_err(
                PrivateFileError::io("rename the file to", &self.destination),
            )?,
            // A hard link fails if the name was taken meanwhile, where a rename would replace.
            Existing::Refuse => match fs::hard_link(&self.partial, &self.destination) {
                Ok(()) => fs::remove_file(&self.partial)
                    .map_err(PrivateFileError::io("remove", &self.partial))?,
                Err(err) if err.kind() == ErrorKind::AlreadyExists => {
                    return Err(PrivateFileError::Exists(self.destination.clone()));
                }
                // A file system without hard links: the check above has to do.
                Err(_) => fs::rename(&self.partial, &self.destination).map_err(
                    PrivateFileError::io("rename the file to", &self.destination),
                )?,
            },
        }
        self.committed = true;
        let directory = directory_of(&self.destination);
        File::open(&directory)
            .and_then(|dir| dir.sync_all())
            .map_err(PrivateFileError::io("sync the directory", &directory))?;
        Ok(())
    }
}

impl PrivateFile {
    /// Whether the partial name still leads to the file being written: not when its folder
    /// was removed (the open file lives on, nameless) or replaced by another.
    fn partial_still_in_place(&self) -> bool {
        let (Ok(named), Ok(open)) = (fs::symlink_metadata(&self.partial), self.file.metadata())
        else {
            return false;
        };
        same_file(&named, &open)
    }
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    a.is_file() && b.is_file()
}

impl Write for PrivateFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.file.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for PrivateFile {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the error that stopped the write matters more than the cleanup.
            let _ = fs::remove_file(&self.partial);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_new(destination: &Path, existing: Existing) -> Result<(), PrivateFileError> {
        let mut file = PrivateFile::create(destination, existing)?;
        file.write_all(b"new contents").unwrap();
        file.commit()
    }

    #[test]
    fn the_partial_file_sits_beside_the_destination() {
        assert_eq!(
            partial_path(Path::new("/backups/shop.fdb")),
            PathBuf::from("/backups/shop.fdb.partial")
        );
        assert_eq!(directory_of(Path::new("shop.fdb")), PathBuf::from("."));
    }

    #[test]
    fn a_new_file_is_private_complete_and_leaves_no_partial() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.bin");
        let mut file = PrivateFile::create(&out, Existing::Refuse).unwrap();
        file.write_all(b"hello").unwrap();
        let mut read = String::new();
        io::Read::read_to_string(&mut file.read_back().unwrap(), &mut read).unwrap();
        assert_eq!(read, "hello");
        assert!(!out.exists(), "the real name appears only on commit");
        file.commit().unwrap();
        assert_eq!(fs::read(&out).unwrap(), b"hello");
        assert!(!partial_path(&out).exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&out).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn an_uncommitted_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.bin");
        let mut file = PrivateFile::create(&out, Existing::Refuse).unwrap();
        file.write_all(b"half").unwrap();
        drop(file);
        assert!(!out.exists());
        assert!(!partial_path(&out).exists());
    }

    #[test]
    fn an_existing_file_is_kept_unless_replacing_is_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.bin");
        fs::write(&out, b"old").unwrap();
        let refused = write_new(&out, Existing::Refuse).unwrap_err();
        assert!(matches!(refused, PrivateFileError::Exists(_)), "{refused}");
        assert!(refused.to_string().contains("--force"));
        assert_eq!(fs::read(&out).unwrap(), b"old");
        assert!(matches!(
            check_destination(&out, Existing::Refuse),
            Err(PrivateFileError::Exists(_))
        ));
        write_new(&out, Existing::Replace).unwrap();
        assert_eq!(fs::read(&out).unwrap(), b"new contents");
    }

    #[test]
    fn a_name_taken_while_writing_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.bin");
        let mut file = PrivateFile::create(&out, Existing::Refuse).unwrap();
        file.write_all(b"mine").unwrap();
        fs::write(&out, b"theirs").unwrap();
        assert!(matches!(file.commit(), Err(PrivateFileError::Exists(_))));
        assert_eq!(fs::read(&out).unwrap(), b"theirs");
        assert!(!partial_path(&out).exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_partial_link_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, b"precious").unwrap();
        let out = dir.path().join("out.bin");
        std::os::unix::fs::symlink(&victim, partial_path(&out)).unwrap();
        for existing in [Existing::Refuse, Existing::Replace] {
            let err = write_new(&out, existing).unwrap_err();
            assert!(matches!(err, PrivateFileError::PartialExists(_)), "{err}");
            assert!(
                matches!(
                    check_destination(&out, existing),
                    Err(PrivateFileError::PartialExists(_))
                ),
                "checked before any work"
            );
        }
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(!out.exists());
        // A dangling link is refused as well, and nothing is created at its target.
        let nowhere = dir.path().join("nowhere.txt");
        fs::remove_file(partial_path(&out)).unwrap();
        std::os::unix::fs::symlink(&nowhere, partial_path(&out)).unwrap();
        assert!(write_new(&out, Existing::Replace).is_err());
        assert!(!nowhere.exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_destination_is_refused_even_when_replacing() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, b"precious").unwrap();
        let out = dir.path().join("out.bin");
        std::os::unix::fs::symlink(&victim, &out).unwrap();
        for existing in [Existing::Refuse, Existing::Replace] {
            let err = write_new(&out, existing).unwrap_err();
            assert!(matches!(err, PrivateFileError::Symlink(_)), "{err}");
        }
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(fs::symlink_metadata(&out).unwrap().file_type().is_symlink());
        assert!(!partial_path(&out).exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_private_folder_is_made_once_and_only_where_nothing_else_is() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let exports = dir.path().join("exports");
        create_private_dir(&exports).unwrap();
        let mode = fs::metadata(&exports).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        create_private_dir(&exports).unwrap();
        let file = dir.path().join("taken");
        fs::write(&file, b"x").unwrap();
        assert!(matches!(
            create_private_dir(&file),
            Err(PrivateFileError::NotADirectory(_))
        ));
        assert!(matches!(
            create_private_dir(&dir.path().join("no/such")),
            Err(PrivateFileError::NoDirectory(_))
        ));
    }

    #[test]
    fn a_missing_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("no-such-dir").join("out.bin");
        let err = check_destination(&out, Existing::Refuse).unwrap_err();
        assert!(matches!(err, PrivateFileError::NoDirectory(_)), "{err}");
        assert!(err.to_string().contains("no-such-dir"), "{err}");
        let err = write_new(&out, Existing::Refuse).unwrap_err();
        assert!(matches!(err, PrivateFileError::NoDirectory(_)), "{err}");
    }
}
