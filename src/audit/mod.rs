//! The tamper-evident audit log's pure core: entries, their SHA-256 hash chain, and checkpoints.
//! Persistence lives in the store layer, which keeps [`encode`]d entries keyed by sequence number.

mod chain;
mod checkpoint;
mod entry;

pub use chain::{ChainProblem, GENESIS_HASH, VerifyReport, entry_hash, seal_next, verify_chain};
pub use checkpoint::{Checkpoint, ParseCheckpointError};
pub use entry::{
    Actor, AuditAction, AuditDraft, AuditEntry, AuditError, Origin, Outcome, ParseAuditActionError,
    StoredAuditEntry, decode, encode,
};
