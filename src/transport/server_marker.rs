//! Files in the data directory that say "frontdesk serve is running here" or "the counter
//! screen is open here", each held under an OS lock for as long as its process lives. They
//! keep a second server or counter off the same store, let a plain `frontdesk` say how to
//! connect instead of failing on a locked file, and tell one-off commands (`backup`) that they
//! may share the file with the process holding it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const MARKER_FILE_NAME: &str = "serve.lock";
const COUNTER_MARKER_FILE_NAME: &str = "counter.lock";

#[derive(Debug, thiserror::Error)]
pub enum MarkerError {
    #[error(
        "frontdesk serve is already running on this data directory ({0}); stop it first, or connect to it with ssh"
    )]
    AlreadyServing(String),
    #[error("cannot write {path}: {reason}; check the data directory's permissions")]
    Io { path: PathBuf, reason: String },
}

/// What a running server says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningServer {
    pub pid: u32,
    /// The address it listens on, as given (`0.0.0.0:2222`).
    pub listen: String,
    pub host_key_fingerprint: String,
}

impl RunningServer {
    /// The port clients use, when the address names one.
    pub fn port(&self) -> Option<u16> {
        self.listen.rsplit(':').next()?.parse().ok()
    }

    fn to_text(&self) -> String {
        format!(
            "pid={}\nlisten={}\nfingerprint={}\n",
            self.pid, self.listen, self.host_key_fingerprint
        )
    }

    fn from_text(text: &str) -> Option<RunningServer> {
        let field = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
                .map(str::to_owned)
        };
        Some(RunningServer {
            pid: field("pid")?.parse().ok()?,
            listen: field("listen")?,
            host_key_fingerprint: field("fingerprint")?,
        })
    }
}

impl std::fmt::Display for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {}, listening on {}", self.pid, self.listen)
    }
}

/// Held by the running server; the lock goes with the process, even after a crash.
#[derive(Debug)]
pub struct ServerMarker {
    _file: File,
    path: PathBuf,
}

impl ServerMarker {
    fn path_in(data_dir: &Path) -> PathBuf {
        data_dir.join(MARKER_FILE_NAME)
    }

    /// Claims the data directory for this server.
    pub fn claim(
        data_dir: &Path,
        listen: &str,
        host_key_fingerprint: &str,
    ) -> Result<ServerMarker, MarkerError> {
        let path = Self::path_in(data_dir);
        let io = |err: std::io::Error| MarkerError::Io {
            path: path.clone(),
            reason: err.to_string(),
        };
        let mut file = match lock_marker(&path)? {
            Ok(file) => file,
            Err(mut held) => {
                let mut text = String::new();
                let _ = held.read_to_string(&mut text);
                let running = RunningServer::from_text(&text)
                    .map(|server| server.to_string())
                    .unwrap_or_else(|| "starting".to_owned());
                return Err(MarkerError::AlreadyServing(running));
            }
        };
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        let me = RunningServer {
            pid: std::process::id(),
            listen: listen.to_owned(),
            host_key_fingerprint: host_key_fingerprint.to_owned(),
        };
        file.write_all(me.to_text().as_bytes()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(ServerMarker { _file: file, path })
    }

    /// What a running server wrote about itself, or `None` when no server holds the lock.
    pub fn running(data_dir: &Path) -> Option<RunningServer> {
        let mut file = File::open(Self::path_in(data_dir)).ok()?;
        match file.try_lock_shared() {
            Ok(()) => None,
            Err(_) => {
                let mut text = String::new();
                file.read_to_string(&mut text).ok()?;
                RunningServer::from_text(&text)
            }
        }
    }
}

/// Opens (creating) the marker at `path` and takes its lock: `Ok(file)` locked, or `Err(file)`
/// when another process holds it (to read what it wrote).
fn lock_marker(path: &Path) -> Result<Result<File, File>, MarkerError> {
    let io = |err: std::io::Error| MarkerError::Io {
        path: path.to_path_buf(),
        reason: err.to_string(),
    };
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => Ok(Ok(file)),
        Err(TryLockError::WouldBlock) => Ok(Err(file)),
        Err(TryLockError::Error(err)) => Err(io(err)),
    }
}

/// Held by the counter screen while it has the store open (shared, so that `frontdesk backup`
/// can take a consistent snapshot beside it); the lock goes with the process.
#[derive(Debug)]
pub struct CounterMarker {
    _file: File,
    path: PathBuf,
}

impl CounterMarker {
    /// Claims the data directory for this counter; `None` when another counter holds it.
    pub fn claim(data_dir: &Path) -> Result<Option<CounterMarker>, MarkerError> {
        let path = data_dir.join(COUNTER_MARKER_FILE_NAME);
        let io = |err: std::io::Error| MarkerError::Io {
            path: path.clone(),
            reason: err.to_string(),
        };
        let Ok(mut file) = lock_marker(&path)? else {
            return Ok(None);
        };
        file.set_len(0).map_err(io)?;
        file.write_all(format!("pid={}\n", std::process::id()).as_bytes())
            .map_err(io)?;
        Ok(Some(CounterMarker { _file: file, path }))
    }

    /// Whether a counter screen holds the data directory now.
    pub fn running(data_dir: &Path) -> bool {
        File::open(data_dir.join(COUNTER_MARKER_FILE_NAME))
            .is_ok_and(|file| file.try_lock_shared().is_err())
    }
}

impl Drop for CounterMarker {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for ServerMarker {
    fn drop(&mut self) {
        // The lock is what matters; removing the file just leaves the directory tidy.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_server_per_data_directory_and_others_can_see_it() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(ServerMarker::running(dir.path()), None);
        let marker = ServerMarker::claim(dir.path(), "127.0.0.1:2222", "SHA256:abc").unwrap();
        let seen = ServerMarker::running(dir.path()).unwrap();
        assert_eq!(seen.listen, "127.0.0.1:2222");
        assert_eq!(seen.port(), Some(2222));
        assert_eq!(seen.host_key_fingerprint, "SHA256:abc");
        assert_eq!(seen.pid, std::process::id());
        let second = ServerMarker::claim(dir.path(), "127.0.0.1:2223", "SHA256:abc");
        assert!(matches!(second, Err(MarkerError::AlreadyServing(text)) if text.contains("2222")));
        drop(marker);
        assert_eq!(ServerMarker::running(dir.path()), None);
        assert!(ServerMarker::claim(dir.path(), "[::1]:2224", "SHA256:abc").is_ok());
    }

    #[test]
    fn one_counter_per_data_directory_and_commands_can_see_it() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!CounterMarker::running(dir.path()));
        let marker = CounterMarker::claim(dir.path()).unwrap().unwrap();
        assert!(CounterMarker::running(dir.path()));
        assert!(CounterMarker::claim(dir.path()).unwrap().is_none());
        drop(marker);
        assert!(!CounterMarker::running(dir.path()));
    }
}
