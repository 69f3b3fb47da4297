//! `frontdesk backup`: one consistent snapshot of every table, encrypted, in a file that
//! opens without the store — with a manager's password (plus their authenticator code or a
//! recovery code) — and reveals nothing personal without one.
//!
//! File layout (all integers little-endian):
//!
//! ```text
//! "FDBACKUP"  format version (u16)  header length (u32)  header (postcard, in the clear)
//! header checksum: SHA-256 of everything before it (format 2 on; format 1 has none)
//! chunk*      each: last-chunk flag (u8)  ciphertext length (u32)  ciphertext
//! ```
//!
//! The checksum needs no key, so a header damaged on disk (a flipped bit in a key wrap, say)
//! is reported as a damaged file before any credential is tried, not as a wrong password.
//! It does not stop deliberate alteration: the encryption's associated data does that.
//!
//! The header holds what opening needs and nothing personal: when the backup was made, its
//! schema version, the salt and nonce of the payload key, and copies of the managers' store-key
//! wraps (password and unused recovery codes) and sealed TOTP secrets, each under a salted tag
//! instead of the user name. The payload is STREAM-encrypted (see [`crate::vault::backup_stream`])
//! with the whole header as associated data, so any change to the header, a chunk, their order
//! or the end of the file fails to open. Decrypted, the payload is a run of records: per table
//! `T kind name`, then `R key value` per row, then `E rows`; and one closing `Z tables rows`.

use std::io::{ErrorKind, Read, Write};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use data_encoding::HEXLOWER;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::restore::{RestoreRequest, unlock_keyholder};
use super::{Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::clock::Clock;
use crate::domain::access::normalize_username;
use crate::domain::access::{Operation, Role};
use crate::entropy::Entropy;
use crate::ids::RecordId;
use crate::store::records::{StaffRecord, StoreKeyWrap};
use crate::store::schema::{AUDIT, BOOKINGS, MEMBERS, SCHEMA_VERSION, VISITS};
use crate::store::{RawRow, ReadAccess, ReadOnlyStore, SnapshotEvent, StoreReader, TableKind};
use crate::vault::backup_stream::{
    BACKUP_SALT_LEN, BackupKey, CHUNK_TAG_LEN, ChunkOpener, ChunkSealer, STREAM_NONCE_LEN,
    keyholder_tag,
};
use crate::vault::{Sealed, StoreKey, UnlockedVault};

const MAGIC: &[u8; 8] = b"FDBACKUP";
const FORMAT_VERSION: u16 = 2;
/// The first format, without the header checksum; still read.
const FORMAT_VERSION_UNCHECKED: u16 = 1;
const HEADER_CHECKSUM_LEN: usize = 32;
/// Plaintext bytes per sealed chunk: small enough to stream, large enough that the per-chunk
/// tag and framing cost nothing.
const CHUNK_LEN: usize = 64 * 1024;
/// The header is a few kilobytes even for many managers; anything larger is not a backup.
const MAX_HEADER_LEN: u32 = 1024 * 1024;
/// No stored row comes near this; a larger length means a damaged file, not a big record.
const MAX_FIELD_LEN: u32 = 64 * 1024 * 1024;

const TAG_TABLE: u8 = b'T';
const TAG_ROW: u8 = b'R';
const TAG_TABLE_END: u8 = b'E';
const TAG_FINISH: u8 = b'Z';

/// What can go wrong making, checking or restoring a backup, phrased for the person at the
/// terminal.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("This file is not a frontdesk backup; check the file name.")]
    NotABackup,
    #[error(
        "This backup was written in format {found}, which this version of frontdesk cannot read; restore it with a newer frontdesk."
    )]
    UnsupportedFormat { found: u16 },
    #[error(
        "This backup holds store schema {found}, newer than this frontdesk supports ({supported}); restore it with a newer frontdesk."
    )]
    NewerSchema { found: u32, supported: u32 },
    #[error(
        "The backup is damaged or was altered ({0}); nothing was restored. Use another copy of the backup."
    )]
    Damaged(&'static str),
    #[error(
        "The backup file ends early: it was cut off while being written or copied; nothing was restored. Use another copy of the backup."
    )]
    Truncated,
    /// Deliberately the same for an unknown user, a wrong password and a wrong code.
    #[error(
        "The user name, password or code does not open this backup; check them and try again (a manager's password with their authenticator code or one of their recovery codes)."
    )]
    WrongCredential,
    #[error(
        "A store already exists in {0}; restore only into an empty data directory (choose another --data DIR)."
    )]
    StoreExists(PathBuf),
    #[error(
        "{dir} is not empty (it holds {found}); restore only into an empty or new directory (choose another --data DIR)."
    )]
    DirectoryNotEmpty { dir: PathBuf, found: String },
    #[error(
        "The restored store failed its integrity check ({0}); nothing was restored. Use another copy of the backup."
    )]
    FailedVerification(String),
    #[error("Could not {doing}: {reason}. Check the disk and the file, then try again.")]
    Io { doing: &'static str, reason: String },
    /// The disk the backup goes to has no room (or this user's quota is used up).
    #[error(
        "The disk is full: the backup could not be written and no backup file was kept; free space on the disk (or choose another folder) and try again."
    )]
    DiskFull,
    #[error(
        "The erasure ledger {0} was altered or is damaged, so the erasures it lists cannot be trusted or re-applied; nothing was changed. Restore the ledger from another copy of the backup folder."
    )]
    LedgerAltered(PathBuf),
    #[error(
        "The erasure ledger {0} belongs to another shop's store; keep each shop's backups in a folder of their own and write this backup elsewhere."
    )]
    LedgerOfAnotherShop(PathBuf),
}

impl BackupError {
    pub(super) fn io_error(doing: &'static str) -> impl FnOnce(std::io::Error) -> BackupError {
        move |err| {
            if matches!(
                err.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            ) {
                BackupError::DiskFull
            } else {
                BackupError::Io {
                    doing,
                    reason: err.to_string(),
                }
            }
        }
    }
}

/// What a backup holds, as counted while writing it or while reading it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub created_at: DateTime<Utc>,
    pub schema_version: u32,
    pub tables: u32,
    pub rows: u64,
    pub members: u64,
    pub visits: u64,
    pub bookings: u64,
    pub audit_entries: u64,
    /// Size of the whole file.
    pub bytes: u64,
    /// SHA-256 of the whole file, so a copy can be checked against the audit entry.
    pub sha256: [u8; 32],
}

impl BackupSummary {
    pub fn sha256_hex(&self) -> String {
        HEXLOWER.encode(&self.sha256)
    }

    /// The same text goes into the audit entry and the command's output.
    pub fn describe(&self) -> String {
        format!(
            "{} members, {} visits, {} bookings, {} audit entries ({} rows in {} tables), {} bytes, SHA-256 {}",
            self.members,
            self.visits,
            self.bookings,
            self.audit_entries,
            self.rows,
            self.tables,
            self.bytes,
            self.sha256_hex()
        )
    }
}

/// One manager's ways into the backup: copies of the wraps in their staff record.
#[derive(Clone, Serialize, Deserialize)]
pub(super) struct Keyholder {
    pub staff_id: RecordId,
    pub username_tag: [u8; 32],
    pub password_wrap: StoreKeyWrap,
    pub totp_secret: Sealed,
    pub totp_last_used_step: Option<u64>,
    pub recovery_wraps: Vec<RecoveryWrap>,
}

impl std::fmt::Debug for Keyholder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyholder")
            .field("staff_id", &self.staff_id)
            .field("recovery_wraps", &self.recovery_wraps.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct RecoveryWrap {
    /// The code's position among the ten issued, which its wrap is bound to.
    pub index: u8,
    pub wrap: StoreKeyWrap,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct BackupHeader {
    pub created_at: DateTime<Utc>,
    pub schema_version: u32,
    pub salt: [u8; BACKUP_SALT_LEN],
    pub stream_nonce: [u8; STREAM_NONCE_LEN],
    pub keyholders: Vec<Keyholder>,
}

impl BackupHeader {
    pub fn keyholder(&self, username: &str) -> Option<&Keyholder> {
        let tag = keyholder_tag(&self.salt, username);
        self.keyholders.iter().find(|k| k.username_tag == tag)
    }
}

/// Counts every byte written and hashes it, for the summary.
struct DigestWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> DigestWriter<W> {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), BackupError> {
        self.inner
            .write_all(bytes)
            .map_err(BackupError::io_error("write the backup file"))?;
        self.hasher.update(bytes);
        self.bytes += bytes.len() as u64;
        Ok(())
    }
}

/// Frames plaintext into chunks and seals them as they fill.
struct PayloadWriter<W> {
    out: DigestWriter<W>,
    sealer: ChunkSealer,
    pending: Zeroizing<Vec<u8>>,
}

impl<W: Write> PayloadWriter<W> {
    fn push(&mut self, bytes: &[u8]) -> Result<(), BackupError> {
        self.pending.extend_from_slice(bytes);
        while self.pending.len() >= CHUNK_LEN {
            let sealed = self.sealer.seal_next(&self.pending[..CHUNK_LEN])?;
            write_chunk(&mut self.out, false, &sealed)?;
            self.pending.drain(..CHUNK_LEN);
        }
        Ok(())
    }

    fn push_field(&mut self, bytes: &[u8]) -> Result<(), BackupError> {
        let len = u32::try_from(bytes.len())
            .ok()
            .filter(|len| *len <= MAX_FIELD_LEN)
            .ok_or(BackupError::Damaged("a stored row is too large to back up"))?;
        self.push(&len.to_le_bytes())?;
        self.push(bytes)
    }

    fn finish(self) -> Result<DigestWriter<W>, BackupError> {
        let Self {
            mut out,
            sealer,
            pending,
        } = self;
        let sealed = sealer.seal_last(&pending)?;
        write_chunk(&mut out, true, &sealed)?;
        out.inner
            .flush()
            .map_err(BackupError::io_error("write the backup file"))?;
        Ok(out)
    }
}

fn write_chunk<W: Write>(
    out: &mut DigestWriter<W>,
    last: bool,
    sealed: &[u8],
) -> Result<(), BackupError> {
    let len = u32::try_from(sealed.len()).map_err(|_| BackupError::Damaged("chunk too large"))?;
    out.write_all(&[u8::from(last)])?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(sealed)
}

/// The clear prefix of the file: magic, version, header length and header. It is also the
/// associated data of every chunk.
fn encode_prefix(header: &BackupHeader) -> Result<Vec<u8>, BackupError> {
    let encoded = postcard::to_stdvec(header)
        .map_err(|_| BackupError::Damaged("the header could not be encoded"))?;
    let len = u32::try_from(encoded.len())
        .ok()
        .filter(|len| *len <= MAX_HEADER_LEN)
        .ok_or(BackupError::Damaged("the header is too large"))?;
    let mut prefix = Vec::with_capacity(MAGIC.len() + 6 + encoded.len());
    prefix.extend_from_slice(MAGIC);
    prefix.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    prefix.extend_from_slice(&len.to_le_bytes());
    prefix.extend_from_slice(&encoded);
    let checksum = Sha256::digest(&prefix);
    prefix.extend_from_slice(&checksum);
    Ok(prefix)
}

/// Reads exactly `buf.len()` bytes; the end of the file here means it was cut off.
fn read_exact_or_truncated(input: &mut impl Read, buf: &mut [u8]) -> Result<(), BackupError> {
    input.read_exact(buf).map_err(|err| {
        if err.kind() == ErrorKind::UnexpectedEof {
            BackupError::Truncated
        } else {
            BackupError::io_error("read the backup file")(err)
        }
    })
}

/// Counts and hashes every byte read, so the whole file's digest is known once it is read.
pub(super) struct DigestReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for DigestReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.hasher.update(&buf[..read]);
        self.bytes += read as u64;
        Ok(read)
    }
}

/// A backup whose clear header has been read; the payload follows.
pub(super) struct BackupFile<R> {
    pub header: BackupHeader,
    prefix: Vec<u8>,
    input: DigestReader<R>,
}

impl<R: Read> BackupFile<R> {
    pub fn read_header(input: R) -> Result<Self, BackupError> {
        let mut input = DigestReader {
            inner: input,
            hasher: Sha256::new(),
            bytes: 0,
        };
        let mut fixed = [0u8; 14];
        input.read_exact(&mut fixed).map_err(|err| {
            if err.kind() == ErrorKind::UnexpectedEof {
                BackupError::NotABackup
            } else {
                BackupError::io_error("read the backup file")(err)
            }
        })?;
        if &fixed[..8] != MAGIC {
            return Err(BackupError::NotABackup);
        }
        let version = u16::from_le_bytes([fixed[8], fixed[9]]);
        if version != FORMAT_VERSION && version != FORMAT_VERSION_UNCHECKED {
            return Err(BackupError::UnsupportedFormat { found: version });
        }
        let len = u32::from_le_bytes([fixed[10], fixed[11], fixed[12], fixed[13]]);
        if len > MAX_HEADER_LEN {
            return Err(BackupError::Damaged("the header length is impossible"));
        }
        let mut encoded = vec![0u8; len as usize];
        read_exact_or_truncated(&mut input, &mut encoded)?;
        let mut prefix = fixed.to_vec();
        prefix.extend_from_slice(&encoded);
        if version == FORMAT_VERSION {
            let mut checksum = [0u8; HEADER_CHECKSUM_LEN];
            read_exact_or_truncated(&mut input, &mut checksum)?;
            if Sha256::digest(&prefix).as_slice() != checksum.as_slice() {
                return Err(BackupError::Damaged("the header's checksum does not match"));
            }
            prefix.extend_from_slice(&checksum);
        }
        let header: BackupHeader = postcard::from_bytes(&encoded)
            .map_err(|_| BackupError::Damaged("the header does not decode"))?;
        if header.schema_version > SCHEMA_VERSION {
            return Err(BackupError::NewerSchema {
                found: header.schema_version,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(Self {
            header,
            prefix,
            input,
        })
    }

    /// Starts decrypting the payload; `store_key` must be the one the backup was made under.
    pub fn open_payload(self, store_key: &StoreKey) -> PayloadReader<R> {
        let key = BackupKey::derive(store_key, &self.header.salt);
        PayloadReader {
            opener: Some(ChunkOpener::new(
                &key,
                &self.header.stream_nonce,
                self.prefix,
            )),
            header: self.header,
            input: self.input,
            chunk: Zeroizing::new(Vec::new()),
            position: 0,
        }
    }
}

/// One item of the decrypted payload.
#[derive(Debug)]
pub(super) enum PayloadItem {
    TableStart { name: String, kind: TableKind },
    Row { key: Vec<u8>, value: Vec<u8> },
    TableEnd { rows: u64 },
    Finish { tables: u32, rows: u64 },
}

/// Decrypts chunks as the items in them are read.
pub(super) struct PayloadReader<R> {
    pub header: BackupHeader,
    input: DigestReader<R>,
    /// `None` once the last chunk has been opened.
    opener: Option<ChunkOpener>,
    chunk: Zeroizing<Vec<u8>>,
    position: usize,
}

impl<R: Read> PayloadReader<R> {
    /// Opens the next chunk; `false` once the last one has been used up.
    fn next_chunk(&mut self) -> Result<bool, BackupError> {
        let Some(mut opener) = self.opener.take() else {
            return Ok(false);
        };
        let mut frame = [0u8; 5];
        read_exact_or_truncated(&mut self.input, &mut frame)?;
        let last = match frame[0] {
            0 => false,
            1 => true,
            _ => return Err(BackupError::Damaged("a chunk has an unknown marker")),
        };
        let len = u32::from_le_bytes([frame[1], frame[2], frame[3], frame[4]]) as usize;
        if !(CHUNK_TAG_LEN..=CHUNK_LEN + CHUNK_TAG_LEN).contains(&len) {
            return Err(BackupError::Damaged("a chunk has an impossible length"));
        }
        let mut sealed = vec![0u8; len];
        read_exact_or_truncated(&mut self.input, &mut sealed)?;
        let opened = if last {
            opener.open_last(&sealed)
        } else {
            let opened = opener.open_next(&sealed);
            self.opener = Some(opener);
            opened
        };
        self.chunk =
            opened.map_err(|_| BackupError::Damaged("a part of the file does not decrypt"))?;
        self.position = 0;
        Ok(true)
    }

    fn read_bytes(&mut self, mut out: &mut [u8]) -> Result<(), BackupError> {
        while !out.is_empty() {
            if self.position == self.chunk.len() {
                if !self.next_chunk()? {
                    return Err(BackupError::Damaged("the payload ends inside a record"));
                }
                continue;
            }
            let available = (self.chunk.len() - self.position).min(out.len());
            out[..available].copy_from_slice(&self.chunk[self.position..self.position + available]);
            self.position += available;
            out = &mut out[available..];
        }
        Ok(())
    }

    fn read_u8(&mut self) -> Result<u8, BackupError> {
        let mut byte = [0u8; 1];
        self.read_bytes(&mut byte)?;
        Ok(byte[0])
    }

    fn read_u32(&mut self) -> Result<u32, BackupError> {
        let mut bytes = [0u8; 4];
        self.read_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn read_u64(&mut self) -> Result<u64, BackupError> {
        let mut bytes = [0u8; 8];
        self.read_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn read_field(&mut self) -> Result<Vec<u8>, BackupError> {
        let len = self.read_u32()?;
        if len > MAX_FIELD_LEN {
            return Err(BackupError::Damaged("a row has an impossible length"));
        }
        let mut field = vec![0u8; len as usize];
        self.read_bytes(&mut field)?;
        Ok(field)
    }

    pub fn next_item(&mut self) -> Result<PayloadItem, BackupError> {
        match self.read_u8()? {
            TAG_TABLE => {
                let kind = TableKind::from_byte(self.read_u8()?)
                    .ok_or(BackupError::Damaged("a table has an unknown kind"))?;
                let len = self.read_u8()?;
                let mut name = vec![0u8; usize::from(len)];
                self.read_bytes(&mut name)?;
                let name = String::from_utf8(name)
                    .map_err(|_| BackupError::Damaged("a table name is not text"))?;
                Ok(PayloadItem::TableStart { name, kind })
            }
            TAG_ROW => Ok(PayloadItem::Row {
                key: self.read_field()?,
                value: self.read_field()?,
            }),
            TAG_TABLE_END => Ok(PayloadItem::TableEnd {
                rows: self.read_u64()?,
            }),
            TAG_FINISH => Ok(PayloadItem::Finish {
                tables: self.read_u32()?,
                rows: self.read_u64()?,
            }),
            _ => Err(BackupError::Damaged("the payload has an unknown record")),
        }
    }

    /// After the closing record: nothing may follow it, inside the payload or after the last
    /// chunk. Returns the whole file's size and SHA-256.
    pub fn finish(mut self) -> Result<(u64, [u8; 32]), BackupError> {
        loop {
            if self.position != self.chunk.len() {
                return Err(BackupError::Damaged("data follows the end of the payload"));
            }
            if !self.next_chunk()? {
                break;
            }
        }
        let mut probe = [0u8; 1];
        let trailing = self
            .input
            .read(&mut probe)
            .map_err(BackupError::io_error("read the backup file"))?;
        if trailing != 0 {
            return Err(BackupError::Damaged("bytes follow the last chunk"));
        }
        Ok((self.input.bytes, self.input.hasher.finalize().into()))
    }
}

/// Counts what the summary reports while the payload is written or read.
#[derive(Default)]
struct Tally {
    tables: u32,
    rows: u64,
    members: u64,
    visits: u64,
    bookings: u64,
    audit_entries: u64,
}

impl Tally {
    fn table(&mut self, name: &str, rows: u64) {
        use redb::TableHandle;
        self.tables += 1;
        self.rows += rows;
        if name == MEMBERS.name() {
            self.members = rows;
        } else if name == VISITS.name() {
            self.visits = rows;
        } else if name == BOOKINGS.name() {
            self.bookings = rows;
        } else if name == AUDIT.name() {
            self.audit_entries = rows;
        }
    }

    fn summary(self, header: &BackupHeader, bytes: u64, sha256: [u8; 32]) -> BackupSummary {
        BackupSummary {
            created_at: header.created_at,
            schema_version: header.schema_version,
            tables: self.tables,
            rows: self.rows,
            members: self.members,
            visits: self.visits,
            bookings: self.bookings,
            audit_entries: self.audit_entries,
            bytes,
            sha256,
        }
    }
}

/// Reads the whole payload, handing each complete table's rows to `load` in batches, and
/// checks every count the backup states about itself.
pub(super) fn read_payload<R: Read>(
    mut payload: PayloadReader<R>,
    mut load: impl FnMut(&str, TableKind, &[RawRow]) -> Result<(), ServiceError>,
) -> Result<BackupSummary, ServiceError> {
    /// Rows handed over at once: bounded memory, few table opens.
    const BATCH_ROWS: usize = 4096;
    let mut tally = Tally::default();
    let mut current: Option<(String, TableKind, u64)> = None;
    let mut batch: Vec<RawRow> = Vec::new();
    loop {
        match payload.next_item()? {
            PayloadItem::TableStart { name, kind } => {
                if current.is_some() {
                    return Err(BackupError::Damaged("a table starts inside another").into());
                }
                current = Some((name, kind, 0));
            }
            PayloadItem::Row { key, value } => {
                let Some((name, kind, count)) = current.as_mut() else {
                    return Err(BackupError::Damaged("a row lies outside any table").into());
                };
                batch.push((key, value));
                *count += 1;
                if batch.len() >= BATCH_ROWS {
                    load(name, *kind, &batch)?;
                    batch.clear();
                }
            }
            PayloadItem::TableEnd { rows } => {
                let Some((name, kind, count)) = current.take() else {
                    return Err(BackupError::Damaged("a table ends that never started").into());
                };
                if rows != count {
                    return Err(BackupError::Damaged("a table's row count does not match").into());
                }
                load(&name, kind, &batch)?;
                batch.clear();
                tally.table(&name, rows);
            }
            PayloadItem::Finish { tables, rows } => {
                if current.is_some() || tables != tally.tables || rows != tally.rows {
                    return Err(BackupError::Damaged("the closing counts do not match").into());
                }
                break;
            }
        }
    }
    let header = payload.header.clone();
    let (bytes, sha256) = payload.finish()?;
    Ok(tally.summary(&header, bytes, sha256))
}

/// Fuzzing entry point (the `record_decode` target, replayed by `tests/fuzz_corpora.rs`):
/// `data` read as a whole backup file without a key (only the clear header is reachable),
/// then as the decrypted payload of a well-formed file sealed under a fixed key. Either way
/// the answer is an error or a summary; a panic or a length taken on trust is a bug.
#[doc(hidden)]
pub fn read_backup_bytes_for_fuzzing(data: &[u8]) {
    let _ = BackupFile::read_header(data);
    let header = BackupHeader {
        created_at: DateTime::UNIX_EPOCH,
        schema_version: SCHEMA_VERSION,
        salt: [3; BACKUP_SALT_LEN],
        stream_nonce: [4; STREAM_NONCE_LEN],
        keyholders: Vec::new(),
    };
    let store_key = StoreKey::from_bytes(Zeroizing::new([5; 32]));
    let key = BackupKey::derive(&store_key, &header.salt);
    let mut file = Vec::new();
    let sealed = encode_prefix(&header).and_then(|prefix| {
        let mut out = DigestWriter {
            inner: &mut file,
            hasher: Sha256::new(),
            bytes: 0,
        };
        out.write_all(&prefix)?;
        let mut payload = PayloadWriter {
            out,
            sealer: ChunkSealer::new(&key, &header.stream_nonce, prefix),
            pending: Zeroizing::new(Vec::new()),
        };
        payload.push(data)?;
        payload.finish().map(|_| ())
    });
    assert!(sealed.is_ok(), "sealing a payload in memory cannot fail");
    let opened = BackupFile::read_header(file.as_slice());
    assert!(opened.is_ok(), "a header this build wrote must read back");
    if let Ok(opened) = opened {
        let _ = read_payload(opened.open_payload(&store_key), |_, _, _| Ok(()));
    }
}

/// One manager's ways into the backup, copied from their staff record; `None` for anyone
/// who cannot open backups (not a manager, or disabled).
pub(super) fn keyholder(staff: StaffRecord, username_tag: [u8; 32]) -> Option<Keyholder> {
    if staff.role != Role::Manager || staff.disabled {
        return None;
    }
    Some(Keyholder {
        staff_id: staff.id,
        username_tag,
        password_wrap: staff.store_key_wrap,
        totp_secret: staff.totp.sealed_secret,
        totp_last_used_step: staff.totp.last_used_step,
        recovery_wraps: staff
            .recovery_codes
            .into_iter()
            .enumerate()
            .filter(|(_, code)| code.used_at.is_none())
            .filter_map(|(index, code)| {
                Some(RecoveryWrap {
                    index: u8::try_from(index).ok()?,
                    wrap: code.store_key_wrap,
                })
            })
            .collect(),
    })
}

/// Writes the whole backup of `snapshot`, sealed under `store_key`, to `out`.
pub(super) fn write_backup(
    snapshot: &StoreReader,
    store_key: &StoreKey,
    created_at: DateTime<Utc>,
    entropy: &dyn Entropy,
    out: &mut impl Write,
) -> Result<BackupSummary, ServiceError> {
    let salt = entropy.array::<BACKUP_SALT_LEN>()?;
    let keyholders = snapshot
        .all_staff()?
        .into_iter()
        .filter_map(|staff| {
            let tag = keyholder_tag(&salt, &staff.username);
            keyholder(staff, tag)
        })
        .collect();
    let header = BackupHeader {
        created_at,
        schema_version: SCHEMA_VERSION,
        salt,
        stream_nonce: entropy.array::<STREAM_NONCE_LEN>()?,
        keyholders,
    };
    let prefix = encode_prefix(&header)?;
    let mut out = DigestWriter {
        inner: out,
        hasher: Sha256::new(),
        bytes: 0,
    };
    out.write_all(&prefix)?;
    let key = BackupKey::derive(store_key, &header.salt);
    let mut payload = PayloadWriter {
        out,
        sealer: ChunkSealer::new(&key, &header.stream_nonce, prefix),
        pending: Zeroizing::new(Vec::with_capacity(CHUNK_LEN * 2)),
    };
    let mut tally = Tally::default();
    let mut table_name = String::new();
    snapshot.export_tables(&mut |event| -> Result<(), ServiceError> {
        match event {
            SnapshotEvent::TableStart { name, kind } => {
                let len = u8::try_from(name.len())
                    .map_err(|_| BackupError::Damaged("a table name is too long"))?;
                payload.push(&[TAG_TABLE, kind.as_byte(), len])?;
                payload.push(name.as_bytes())?;
                table_name = name.to_owned();
            }
            SnapshotEvent::Row { key, value } => {
                payload.push(&[TAG_ROW])?;
                payload.push_field(key)?;
                payload.push_field(value)?;
            }
            SnapshotEvent::TableEnd { rows } => {
                payload.push(&[TAG_TABLE_END])?;
                payload.push(&rows.to_le_bytes())?;
                tally.table(&table_name, rows);
            }
        }
        Ok(())
    })?;
    payload.push(&[TAG_FINISH])?;
    payload.push(&tally.tables.to_le_bytes())?;
    payload.push(&tally.rows.to_le_bytes())?;
    let out = payload.finish()?;
    Ok(tally.summary(&header, out.bytes, out.hasher.finalize().into()))
}

/// Reads a whole backup back with `store_key`, returning what it holds.
pub(super) fn check_backup_with(
    store_key: &StoreKey,
    input: &mut impl Read,
) -> Result<BackupSummary, ServiceError> {
    let file = BackupFile::read_header(input)?;
    read_payload(file.open_payload(store_key), |_, _, _| Ok(()))
}

impl Service {
    /// Writes an encrypted backup of the whole store to `out`, from one read transaction: a
    /// consistent snapshot, however busy other sessions are meanwhile. Managers only. The
    /// audit entry records the counts and the file's SHA-256, never where it was written.
    pub fn backup(
        &self,
        session: &Session,
        out: &mut impl Write,
    ) -> Result<BackupSummary, ServiceError> {
        let caller = self.authorize(session, Operation::MakeBackup)?;
        let vault = self.unlocked_vault()?;
        let snapshot = self.store.read()?;
        let summary = write_backup(
            &snapshot,
            vault.store_key(),
            self.clock.now(),
            self.entropy.as_ref(),
            out,
        )?;
        drop(snapshot);
        let mut draft = caller.draft(AuditAction::BackupCreated);
        draft.detail = Some(summary.describe());
        self.audit_alone(draft)?;
        Ok(summary)
    }

    /// Merges the store's erasure ledger into the ledger file beside the backup at `backup`
    /// (see [`super::erasure_ledger`]) and returns how many erasures that file now lists.
    pub fn write_erasure_ledger(
        &self,
        session: &Session,
        backup: &std::path::Path,
    ) -> Result<usize, ServiceError> {
        self.authorize(session, Operation::MakeBackup)?;
        let vault = self.unlocked_vault()?;
        let entries = self.store.read()?.erasures()?;
        super::erasure_ledger::write_beside(backup, vault.store_key(), &entries)
    }

    /// Refuses `backup`'s folder when its erasure ledger is another shop's (or was altered),
    /// before the backup is written there.
    pub fn check_backup_folder(
        &self,
        session: &Session,
        backup: &std::path::Path,
    ) -> Result<(), ServiceError> {
        self.authorize(session, Operation::MakeBackup)?;
        let vault = self.unlocked_vault()?;
        super::erasure_ledger::check_beside(backup, vault.store_key())
    }

    /// Reads a backup back and decrypts every chunk with this store's key, returning what it
    /// holds; the backup command compares it with what it wrote before calling it done.
    pub fn check_backup(
        &self,
        session: &Session,
        input: &mut impl Read,
    ) -> Result<BackupSummary, ServiceError> {
        self.authorize(session, Operation::MakeBackup)?;
        let vault = self.unlocked_vault()?;
        check_backup_with(vault.store_key(), input)
    }
}

/// Backups of a store this process may not write (a read-only file or file system). A
/// manager proves who they are as for a restore, against their wraps in the store; since
/// nothing can be written, neither that login nor the backup is recorded in the audit log,
/// and an authenticator code is not marked as used.
pub struct ReadOnlyBackup<'a> {
    store: &'a ReadOnlyStore,
    vault: UnlockedVault,
    clock: &'a dyn Clock,
    entropy: &'a dyn Entropy,
}

impl std::fmt::Debug for ReadOnlyBackup<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOnlyBackup").finish_non_exhaustive()
    }
}

impl<'a> ReadOnlyBackup<'a> {
    /// Checks a manager's password and second factor against the store; every failure is
    /// the same [`ServiceError::InvalidCredentials`].
    pub fn unlock(
        store: &'a ReadOnlyStore,
        request: &RestoreRequest,
        clock: &'a dyn Clock,
        entropy: &'a dyn Entropy,
    ) -> Result<Self, ServiceError> {
        let username = normalize_username(&request.username).ok();
        let holder = store
            .read()?
            .all_staff()?
            .into_iter()
            .filter(|staff| Some(&staff.username) == username.as_ref())
            .find_map(|staff| keyholder(staff, [0; 32]));
        let vault = match unlock_keyholder(holder.as_ref(), request, clock.now()) {
            Ok((vault, _)) => vault,
            Err(ServiceError::Backup(BackupError::WrongCredential)) => {
                return Err(ServiceError::InvalidCredentials);
            }
            Err(other) => return Err(other),
        };
        Ok(Self {
            store,
            vault,
            clock,
            entropy,
        })
    }

    pub fn backup(&self, out: &mut impl Write) -> Result<BackupSummary, ServiceError> {
        let snapshot = self.store.read()?;
        write_backup(
            &snapshot,
            self.vault.store_key(),
            self.clock.now(),
            self.entropy,
            out,
        )
    }

    pub fn check_backup(&self, input: &mut impl Read) -> Result<BackupSummary, ServiceError> {
        check_backup_with(self.vault.store_key(), input)
    }

    /// See [`Service::check_backup_folder`].
    pub fn check_backup_folder(&self, backup: &std::path::Path) -> Result<(), ServiceError> {
        super::erasure_ledger::check_beside(backup, self.vault.store_key())
    }

    /// See [`Service::write_erasure_ledger`].
    pub fn write_erasure_ledger(&self, backup: &std::path::Path) -> Result<usize, ServiceError> {
        // A read-only store made before erasure existed has no ledger table: nothing to add
        // (a merge never drops what the folder's ledger already lists).
        let entries = self.store.read()?.erasures().unwrap_or_default();
        super::erasure_ledger::write_beside(backup, self.vault.store_key(), &entries)
    }
}

impl From<crate::vault::VaultError> for BackupError {
    fn from(_: crate::vault::VaultError) -> Self {
        BackupError::Damaged("sealing failed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> BackupHeader {
        BackupHeader {
            created_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            schema_version: SCHEMA_VERSION,
            salt: [3; BACKUP_SALT_LEN],
            stream_nonce: [4; STREAM_NONCE_LEN],
            keyholders: Vec::new(),
        }
    }

    fn store_key() -> StoreKey {
        StoreKey::from_bytes(Zeroizing::new([5; 32]))
    }

    /// A payload of `rows` rows of `size` bytes in one table, sealed as `backup` would.
    fn file_with(rows: usize, size: usize) -> Vec<u8> {
        file_after(encode_prefix(&header()).unwrap(), rows, size)
    }

    /// The same payload after a given clear prefix.
    fn file_after(prefix: Vec<u8>, rows: usize, size: usize) -> Vec<u8> {
        let header = header();
        let mut file = Vec::new();
        let mut out = DigestWriter {
            inner: &mut file,
            hasher: Sha256::new(),
            bytes: 0,
        };
        out.write_all(&prefix).unwrap();
        let key = BackupKey::derive(&store_key(), &header.salt);
        let mut payload = PayloadWriter {
            out,
            sealer: ChunkSealer::new(&key, &header.stream_nonce, prefix),
            pending: Zeroizing::new(Vec::new()),
        };
        payload.push(&[TAG_TABLE, 0, 6]).unwrap();
        payload.push(b"visits").unwrap();
        for row in 0..rows {
            payload.push(&[TAG_ROW]).unwrap();
            payload.push_field(&(row as u128).to_le_bytes()).unwrap();
            payload.push_field(&vec![7u8; size]).unwrap();
        }
        payload.push(&[TAG_TABLE_END]).unwrap();
        payload.push(&(rows as u64).to_le_bytes()).unwrap();
        payload.push(&[TAG_FINISH]).unwrap();
        payload.push(&1u32.to_le_bytes()).unwrap();
        payload.push(&(rows as u64).to_le_bytes()).unwrap();
        payload.finish().unwrap();
        file
    }

    fn read(file: &[u8]) -> Result<BackupSummary, ServiceError> {
        let opened = BackupFile::read_header(file).map_err(ServiceError::from)?;
        read_payload(opened.open_payload(&store_key()), |_, _, _| Ok(()))
    }

    #[test]
    fn a_multi_chunk_payload_reads_back_with_its_counts_and_digest() {
        let file = file_with(100, 2000);
        assert!(file.len() > 3 * CHUNK_LEN);
        let summary = read(&file).unwrap();
        assert_eq!(
            (summary.tables, summary.rows, summary.visits),
            (1, 100, 100)
        );
        assert_eq!(summary.bytes, file.len() as u64);
        assert_eq!(summary.sha256, <[u8; 32]>::from(Sha256::digest(&file)));
    }

    #[test]
    fn a_payload_ending_on_a_chunk_boundary_still_has_a_last_chunk() {
        // One row whose value makes the payload exactly one chunk: 56 bytes of framing.
        let file = file_with(1, CHUNK_LEN - 56);
        let prefix_len = encode_prefix(&header()).unwrap().len();
        let empty_last_chunk = 5 + CHUNK_TAG_LEN;
        assert_eq!(
            file.len(),
            prefix_len + 5 + CHUNK_LEN + CHUNK_TAG_LEN + empty_last_chunk
        );
        read(&file).unwrap();
    }

    #[test]
    fn every_flipped_byte_and_every_cut_is_refused() {
        let file = file_with(40, 3000);
        let step = file.len() / 97;
        for at in (0..file.len()).step_by(step.max(1)) {
            let mut altered = file.clone();
            altered[at] ^= 0x01;
            assert!(read(&altered).is_err(), "flip at {at}");
            assert!(read(&file[..at]).is_err(), "cut at {at}");
        }
        let mut longer = file.clone();
        longer.push(0);
        assert!(read(&longer).is_err());
    }

    #[test]
    fn a_cut_at_a_chunk_boundary_reads_as_truncated() {
        let file = file_with(40, 3000);
        let prefix_len = encode_prefix(&header()).unwrap().len();
        let boundary = prefix_len + 5 + CHUNK_LEN + CHUNK_TAG_LEN;
        let err = read(&file[..boundary]).unwrap_err();
        assert!(
            matches!(err, ServiceError::Backup(BackupError::Truncated)),
            "{err}"
        );
    }

    #[test]
    fn other_files_and_formats_are_named_as_such() {
        assert!(matches!(
            BackupFile::read_header(&b"SQLite format 3\0"[..]),
            Err(BackupError::NotABackup)
        ));
        let mut file = file_with(1, 1);
        file[8] = 9;
        assert!(matches!(
            BackupFile::read_header(&file[..]),
            Err(BackupError::UnsupportedFormat { found: 9 })
        ));
    }

    #[test]
    fn a_damaged_header_is_named_damaged_before_any_key_is_tried() {
        let file = file_with(1, 10);
        let header_len = u32::from_le_bytes(file[10..14].try_into().unwrap()) as usize;
        for at in [
            14,
            14 + header_len / 2,
            14 + header_len - 1,
            14 + header_len + 5,
        ] {
            let mut altered = file.clone();
            altered[at] ^= 0x01;
            let err = BackupFile::read_header(&altered[..]).err();
            assert!(
                matches!(
                    err,
                    Some(BackupError::Damaged("the header's checksum does not match"))
                ),
                "flip at {at}: {err:?}"
            );
        }
    }

    #[test]
    fn a_format_1_backup_without_the_header_checksum_still_reads() {
        let prefix = encode_prefix(&header()).unwrap();
        let mut unchecked = prefix[..prefix.len() - HEADER_CHECKSUM_LEN].to_vec();
        unchecked[8..10].copy_from_slice(&FORMAT_VERSION_UNCHECKED.to_le_bytes());
        let file = file_after(unchecked, 3, 100);
        assert_eq!(read(&file).unwrap().rows, 3);
    }

    #[test]
    fn the_header_debug_shows_no_wraps_or_secrets() {
        let holder = Keyholder {
            staff_id: RecordId::from_u128(1),
            username_tag: [0xAA; 32],
            password_wrap: StoreKeyWrap {
                salt: [0xBB; 16],
                params: crate::store::records::KdfParams {
                    memory_kib: 1,
                    iterations: 1,
                    parallelism: 1,
                },
                sealed: Sealed {
                    nonce: [0xCC; 24],
                    ciphertext: vec![0xDD; 48],
                },
            },
            totp_secret: Sealed {
                nonce: [0xEE; 24],
                ciphertext: vec![0xFF; 36],
            },
            totp_last_used_step: None,
            recovery_wraps: Vec::new(),
        };
        let text = format!("{holder:?}");
        for secret in ["170", "187", "204", "221", "238", "255", "aa", "AA"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
