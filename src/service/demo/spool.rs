//! An external sort for the tables whose keys arrive in random order (visits by id, blind-index
//! tokens, plan usage): generator threads append rows to bucket files, and the writer later
//! loads each bucket, sorts it and inserts it in key order, which keeps redb's B-tree writes
//! sequential. Bucket `b` holds only keys below those of bucket `b + 1`, so sorted buckets in
//! order are the whole table in order. The files hold no personal field in plaintext (visit
//! records and keyed tokens only) and live in the build directory, removed afterwards.

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::service::ServiceError;
use crate::store::StoreError;

fn io_error(what: &str, path: &Path, err: std::io::Error) -> ServiceError {
    ServiceError::Store(StoreError::Io(format!(
        "could not {what} the demo's scratch file {} ({err}); check free disk space",
        path.display()
    )))
}

/// The shape of one spooled table: a name for its files, a fixed key length (big-endian, so
/// byte order is key order) and how many buckets it is split into.
#[derive(Debug, Clone, Copy)]
pub(super) struct SpoolKind {
    pub name: &'static str,
    pub key_len: usize,
    pub buckets: usize,
}

fn bucket_path(dir: &Path, kind: SpoolKind, bucket: usize, writer: usize) -> PathBuf {
    dir.join(format!("{}-{bucket:03}-{writer}.spool", kind.name))
}

/// One generator thread's files for one kind, opened on first use.
pub(super) struct SpoolWriter {
    dir: PathBuf,
    kind: SpoolKind,
    writer: usize,
    files: Vec<Option<BufWriter<File>>>,
}

impl SpoolWriter {
    pub fn new(dir: &Path, kind: SpoolKind, writer: usize) -> Self {
        Self {
            dir: dir.to_path_buf(),
            kind,
            writer,
            files: (0..kind.buckets).map(|_| None).collect(),
        }
    }

    pub fn push(&mut self, bucket: usize, key: &[u8], value: &[u8]) -> Result<(), ServiceError> {
        debug_assert_eq!(key.len(), self.kind.key_len);
        let bucket = bucket.min(self.kind.buckets.saturating_sub(1));
        let path = bucket_path(&self.dir, self.kind, bucket, self.writer);
        let file = match &mut self.files[bucket] {
            Some(file) => file,
            slot => {
                let created = File::create(&path).map_err(|e| io_error("create", &path, e))?;
                slot.insert(BufWriter::with_capacity(64 * 1024, created))
            }
        };
        let len = u32::try_from(value.len()).map_err(|_| {
            ServiceError::Store(StoreError::Io("a demo record is too large".to_owned()))
        })?;
        file.write_all(key)
            .and_then(|()| file.write_all(&len.to_le_bytes()))
            .and_then(|()| file.write_all(value))
            .map_err(|e| io_error("write", &path, e))
    }

    /// Flushes every open file; call once the thread is done.
    pub fn finish(mut self) -> Result<(), ServiceError> {
        for (bucket, file) in self.files.iter_mut().enumerate() {
            if let Some(file) = file {
                let path = bucket_path(&self.dir, self.kind, bucket, self.writer);
                file.flush().map_err(|e| io_error("write", &path, e))?;
            }
        }
        Ok(())
    }
}

/// Called with each spooled row's key and value, in key order.
pub(super) type RowSink<'a> = dyn FnMut(&[u8], &[u8]) -> Result<(), ServiceError> + 'a;

/// Loads bucket `bucket` of `kind` from every writer's file, sorts it by key and calls
/// `row(key, value)` for each row in key order; the files are deleted afterwards.
pub(super) fn drain_bucket(
    dir: &Path,
    kind: SpoolKind,
    writers: usize,
    bucket: usize,
    row: &mut RowSink<'_>,
) -> Result<usize, ServiceError> {
    let mut bytes = Vec::new();
    let mut paths = Vec::new();
    for writer in 0..writers {
        let path = bucket_path(dir, kind, bucket, writer);
        match File::open(&path) {
            Ok(mut file) => {
                file.read_to_end(&mut bytes)
                    .map_err(|e| io_error("read", &path, e))?;
                paths.push(path);
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(io_error("open", &path, err)),
        }
    }
    let key_len = kind.key_len;
    let corrupt = || {
        ServiceError::Store(StoreError::Io(
            "a demo scratch file was cut short; run `frontdesk demo` again".to_owned(),
        ))
    };
    let mut offsets = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let len_at = at + key_len;
        let len_bytes: [u8; 4] = bytes
            .get(len_at..len_at + 4)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(corrupt)?;
        let end = len_at + 4 + u32::from_le_bytes(len_bytes) as usize;
        if end > bytes.len() {
            return Err(corrupt());
        }
        offsets.push(at);
        at = end;
    }
    offsets.sort_unstable_by(|a, b| bytes[*a..*a + key_len].cmp(&bytes[*b..*b + key_len]));
    for &start in &offsets {
        let len_at = start + key_len;
        let mut len = [0u8; 4];
        len.copy_from_slice(&bytes[len_at..len_at + 4]);
        let value_at = len_at + 4;
        row(
            &bytes[start..len_at],
            &bytes[value_at..value_at + u32::from_le_bytes(len) as usize],
        )?;
    }
    for path in paths {
        let _ = fs::remove_file(path);
    }
    Ok(offsets.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_come_back_sorted_across_writers() {
        let dir = tempfile::tempdir().unwrap();
        let kind = SpoolKind {
            name: "t",
            key_len: 2,
            buckets: 2,
        };
        let mut a = SpoolWriter::new(dir.path(), kind, 0);
        let mut b = SpoolWriter::new(dir.path(), kind, 1);
        a.push(0, &[0, 9], b"nine").unwrap();
        b.push(0, &[0, 1], b"").unwrap();
        a.push(1, &[5, 0], b"x").unwrap();
        b.push(0, &[0, 4], b"four").unwrap();
        a.finish().unwrap();
        b.finish().unwrap();
        let mut seen = Vec::new();
        let count = drain_bucket(dir.path(), kind, 2, 0, &mut |k, v| {
            seen.push((k.to_vec(), v.to_vec()));
            Ok(())
        })
        .unwrap();
        assert_eq!(count, 3);
        assert_eq!(
            seen,
            vec![
                (vec![0, 1], b"".to_vec()),
                (vec![0, 4], b"four".to_vec()),
                (vec![0, 9], b"nine".to_vec())
            ]
        );
        assert_eq!(
            drain_bucket(dir.path(), kind, 2, 1, &mut |_, _| Ok(())).unwrap(),
            1
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
