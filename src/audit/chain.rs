//! The SHA-256 hash chain: sealing a draft onto the head, and verifying a stored log against
//! itself and, optionally, a checkpoint kept elsewhere.

use std::fmt;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::checkpoint::Checkpoint;
use super::entry::{Actor, AuditDraft, AuditEntry, Origin, Outcome, decode};

/// The `prev_hash` of entry 1.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// Separates these hashes from any other SHA-256 use; bump the version if the encoding changes.
const DOMAIN: &[u8] = b"frontdesk-audit-v1\0";

/// Seals a draft as the entry after `prev` (`(seq, hash)` of the current head, `None` for an
/// empty log).
pub fn seal_next(
    prev: Option<(u64, [u8; 32])>,
    draft: AuditDraft,
    at: DateTime<Utc>,
) -> AuditEntry {
    let (seq, prev_hash) = match prev {
        // Saturating: a log of 2^64 entries cannot exist, and verify would report the repeat.
        Some((prev_seq, prev_hash)) => (prev_seq.saturating_add(1), prev_hash),
        None => (1, GENESIS_HASH),
    };
    let AuditDraft {
        actor,
        origin,
        action,
        outcome,
        objects,
        fields,
        detail,
        site,
    } = draft;
    let mut entry = AuditEntry {
        site,
        seq,
        at,
        actor,
        origin,
        action,
        outcome,
        objects,
        fields,
        detail,
        prev_hash,
        hash: [0; 32],
    };
    entry.hash = entry_hash(&entry);
    entry
}

/// SHA-256 over the entry's canonical encoding; every field but `hash` itself is covered.
pub fn entry_hash(entry: &AuditEntry) -> [u8; 32] {
    Sha256::digest(canonical_bytes(entry)).into()
}

/// An explicit, injective encoding: fixed-width integers, a tag byte for every enum, and a
/// length prefix on every string and list, so no two different entries share an encoding.
/// Deliberately independent of the storage format (postcard), which may change.
fn canonical_bytes(entry: &AuditEntry) -> Vec<u8> {
    let mut out = Canonical(Vec::with_capacity(256));
    out.0.extend_from_slice(DOMAIN);
    out.u64(entry.seq);
    out.i64(entry.at.timestamp());
    out.u32(entry.at.timestamp_subsec_nanos());
    match &entry.actor {
        Actor::Staff { staff_id, username } => {
            out.tag(1);
            out.0.extend_from_slice(&staff_id.to_bytes());
            out.str(username);
        }
        Actor::System => out.tag(2),
        Actor::Anonymous { attempted_username } => {
            out.tag(3);
            out.str(attempted_username);
        }
    }
    match &entry.origin {
        Origin::Local => out.tag(1),
        Origin::Ssh { peer } => {
            out.tag(2);
            out.str(peer);
        }
        Origin::Cli { command } => {
            out.tag(3);
            out.str(command);
        }
    }
    out.str(entry.action.as_str());
    out.tag(match entry.outcome {
        Outcome::Ok => 1,
        Outcome::Denied => 2,
        Outcome::Failed => 3,
    });
    out.list(&entry.objects);
    out.list(&entry.fields);
    match &entry.detail {
        None => out.tag(0),
        Some(detail) => {
            out.tag(1);
            out.str(detail);
        }
    }
    out.0.extend_from_slice(&entry.prev_hash);
    // The site only when it is not the first: a single shop's entries hash exactly as they
    // did before sites existed, so every existing chain still verifies.
    if entry.site != 0 {
        out.tag(SITE_TAG);
        out.0.extend_from_slice(&entry.site.to_be_bytes());
    }
    out.0
}

/// Marks the site appended after the previous hash in an entry of a chain's other site.
const SITE_TAG: u8 = 0x53;

struct Canonical(Vec<u8>);

impl Canonical {
    fn tag(&mut self, tag: u8) {
        self.0.push(tag);
    }

    fn u32(&mut self, value: u32) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }

    fn u64(&mut self, value: u64) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }

    fn i64(&mut self, value: i64) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }

    fn len(&mut self, len: usize) {
        // usize is at most 64 bits on every supported target, so this never saturates.
        self.u64(u64::try_from(len).unwrap_or(u64::MAX));
    }

    fn str(&mut self, text: &str) {
        self.len(text.len());
        self.0.extend_from_slice(text.as_bytes());
    }

    fn list(&mut self, items: &[String]) {
        self.len(items.len());
        for item in items {
            self.str(item);
        }
    }
}

/// The first thing found wrong with a stored log, naming the exact sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChainProblem {
    #[error("audit entry {seq} cannot be read (its stored bytes are damaged)")]
    Undecodable { seq: u64 },
    #[error(
        "the audit entry stored as number {key} says it is entry {seq} (entries were moved or swapped)"
    )]
    KeyMismatch { key: u64, seq: u64 },
    #[error(
        "audit entry {expected} is missing and the log continues at {found} (entries were deleted or inserted)"
    )]
    Gap { expected: u64, found: u64 },
    #[error(
        "audit entry {seq} does not follow on from the entry before it (entries were inserted, deleted or reordered)"
    )]
    BrokenLink { seq: u64 },
    #[error("audit entry {seq} was changed after it was written (its hash does not match)")]
    HashMismatch { seq: u64 },
    #[error(
        "the audit log has only {actual_count} entries but the checkpoint covers {checkpoint_count} (entries were removed from the end)"
    )]
    Truncated {
        checkpoint_count: u64,
        actual_count: u64,
    },
    #[error("{}", checkpoint_mismatch_sentence(*.seq))]
    CheckpointMismatch { seq: u64 },
}

fn checkpoint_mismatch_sentence(seq: u64) -> String {
    if seq == 0 {
        "the checkpoint is for an empty audit log but its hash is not all zeros (check that it was copied correctly)".to_owned()
    } else {
        format!(
            "audit entry {seq} does not match the checkpoint (the history up to the checkpoint was rewritten, or the checkpoint was copied wrongly)"
        )
    }
}

/// What [`verify_chain`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries that were read and found intact, from entry 1 up to the first problem.
    pub entries_checked: u64,
    /// Count and head hash of the intact prefix: the whole log when there is no problem, so
    /// this is the checkpoint to show at end of day.
    pub head: Checkpoint,
    pub problem: Option<ChainProblem>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            None => write!(
                f,
                "audit log intact: {} entries, checkpoint {}",
                self.entries_checked, self.head
            ),
            Some(problem) => write!(
                f,
                "audit log damaged: {problem}; the first {} entries are intact",
                self.entries_checked
            ),
        }
    }
}

/// Verifies stored entries, given as `(key, bytes)` in key order, against each other and, when
/// given, a checkpoint taken earlier (which may be older than the log's current head).
/// Stops at the first problem.
pub fn verify_chain<I>(entries: I, checkpoint: Option<&Checkpoint>) -> VerifyReport
where
    I: IntoIterator<Item = (u64, Vec<u8>)>,
{
    let mut head = Checkpoint::EMPTY;
    let fail = |head: Checkpoint, problem: ChainProblem| VerifyReport {
        entries_checked: head.count,
        head,
        problem: Some(problem),
    };
    if let Some(checkpoint) = checkpoint
        && checkpoint.count == 0
        && checkpoint.head != GENESIS_HASH
    {
        return fail(head, ChainProblem::CheckpointMismatch { seq: 0 });
    }
    for (key, bytes) in entries {
        let expected = head.count.saturating_add(1);
        if key != expected {
            return fail(
                head,
                ChainProblem::Gap {
                    expected,
                    found: key,
                },
            );
        }
        let Ok(entry) = decode(&bytes) else {
            return fail(head, ChainProblem::Undecodable { seq: key });
        };
        if entry.seq != key {
            return fail(
                head,
                ChainProblem::KeyMismatch {
                    key,
                    seq: entry.seq,
                },
            );
        }
        // Self-consistency first: an entry whose own hash is wrong was edited; a consistent
        // entry that does not link up was inserted, removed around, or moved.
        if entry_hash(&entry) != entry.hash {
            return fail(head, ChainProblem::HashMismatch { seq: key });
        }
        if entry.prev_hash != head.head {
            return fail(head, ChainProblem::BrokenLink { seq: key });
        }
        if let Some(checkpoint) = checkpoint
            && checkpoint.count == key
            && checkpoint.head != entry.hash
        {
            return fail(head, ChainProblem::CheckpointMismatch { seq: key });
        }
        head = Checkpoint {
            count: key,
            head: entry.hash,
        };
    }
    if let Some(checkpoint) = checkpoint
        && checkpoint.count > head.count
    {
        return fail(
            head,
            ChainProblem::Truncated {
                checkpoint_count: checkpoint.count,
                actual_count: head.count,
            },
        );
    }
    VerifyReport {
        entries_checked: head.count,
        head,
        problem: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::entry::{AuditAction, encode};
    use crate::ids::RecordId;
    use chrono::TimeZone;
    use proptest::prelude::*;

    type Stored = Vec<(u64, Vec<u8>)>;

    fn instant(offset_secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_767_225_600 + offset_secs, 500)
            .single()
            .unwrap()
    }

    fn draft(i: u64) -> AuditDraft {
        let actor = match i % 3 {
            0 => Actor::Staff {
                staff_id: RecordId::from_u128(u128::from(i) + 1000),
                username: format!("staff{i}"),
            },
            1 => Actor::System,
            _ => Actor::Anonymous {
                attempted_username: format!("who{i}"),
            },
        };
        let origin = match i % 3 {
            0 => Origin::Local,
            1 => Origin::Ssh {
                peer: format!("10.0.0.{i}:2222"),
            },
            _ => Origin::Cli {
                command: "verify".into(),
            },
        };
        let action = AuditAction::ALL[usize::try_from(i).unwrap() % AuditAction::ALL.len()];
        let mut draft = AuditDraft::new(actor, origin, action, Outcome::Ok)
            .with_object(format!("M-{}", 1000 + i))
            .with_field("phone");
        if i.is_multiple_of(2) {
            draft = draft.with_detail("permission: manage_staff");
        }
        draft
    }

    fn build_entries(len: u64) -> Vec<AuditEntry> {
        let mut entries: Vec<AuditEntry> = Vec::new();
        for i in 0..len {
            let prev = entries.last().map(|e| (e.seq, e.hash));
            let at = instant(i64::try_from(i).unwrap() * 60);
            entries.push(seal_next(prev, draft(i), at));
        }
        entries
    }

    fn store(entries: &[AuditEntry]) -> Stored {
        entries.iter().map(|e| (e.seq, encode(e))).collect()
    }

    fn chain(len: u64) -> Stored {
        store(&build_entries(len))
    }

    fn head_of(stored: &Stored) -> Checkpoint {
        let (seq, bytes) = stored.last().unwrap();
        Checkpoint {
            count: *seq,
            head: decode(bytes).unwrap().hash,
        }
    }

    fn problem(stored: Stored, checkpoint: Option<&Checkpoint>) -> Option<ChainProblem> {
        verify_chain(stored, checkpoint).problem
    }

    #[test]
    fn intact_chain_verifies_and_reports_its_head() {
        let stored = chain(10);
        let head = head_of(&stored);
        let report = verify_chain(stored.clone(), None);
        assert!(report.is_ok(), "{report}");
        assert_eq!(report.entries_checked, 10);
        assert_eq!(report.head, head);
        assert!(verify_chain(stored, Some(&head)).is_ok());
        assert!(
            report
                .to_string()
                .starts_with("audit log intact: 10 entries")
        );
    }

    #[test]
    fn empty_log_verifies_against_the_empty_checkpoint_only() {
        let report = verify_chain(Vec::new(), Some(&Checkpoint::EMPTY));
        assert!(report.is_ok());
        assert_eq!(report.head, Checkpoint::EMPTY);
        let wrong = Checkpoint {
            count: 0,
            head: [1; 32],
        };
        assert_eq!(
            problem(Vec::new(), Some(&wrong)),
            Some(ChainProblem::CheckpointMismatch { seq: 0 })
        );
    }

    #[test]
    fn sealing_links_each_entry_to_the_previous_one() {
        let entries = build_entries(3);
        assert_eq!(entries[0].seq, 1);
        assert_eq!(entries[0].prev_hash, GENESIS_HASH);
        assert_eq!(entries[1].prev_hash, entries[0].hash);
        assert_eq!(entries[2].seq, 3);
        assert_eq!(entry_hash(&entries[2]), entries[2].hash);
    }

    #[test]
    fn a_first_site_entry_hashes_as_before_and_another_sites_site_is_covered() {
        let first = seal_next(None, draft(0), instant(0));
        // The hash this entry had before sites existed, pinned: old chains still verify.
        let hex: String = first.hash.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "8971414dfc1816841ef3e770d35446618ecae15916a31ec8f43e01c58249e4c8"
        );
        let mut at_north = draft(0);
        at_north.site = 1;
        let north = seal_next(None, at_north, instant(0));
        assert_eq!(north.site, 1);
        assert_ne!(north.hash, first.hash);
        assert_eq!(entry_hash(&north), north.hash);
        let moved = AuditEntry {
            site: 2,
            ..north.clone()
        };
        assert_ne!(entry_hash(&moved), north.hash, "the site is under the hash");
        let back = crate::audit::decode(&crate::audit::encode(&north)).unwrap();
        assert_eq!(back, north);
    }

    #[test]
    fn canonical_encoding_separates_adjacent_variable_fields() {
        let base = seal_next(None, draft(0), instant(0));
        let variant = |f: &dyn Fn(&mut AuditEntry)| {
            let mut entry = base.clone();
            f(&mut entry);
            entry_hash(&entry)
        };
        let a = variant(&|e| {
            e.objects = vec!["ab".into(), "c".into()];
            e.fields = vec![];
        });
        let b = variant(&|e| {
            e.objects = vec!["a".into(), "bc".into()];
            e.fields = vec![];
        });
        let c = variant(&|e| {
            e.objects = vec!["abc".into()];
            e.fields = vec![];
        });
        let d = variant(&|e| {
            e.objects = vec![];
            e.fields = vec!["abc".into()];
        });
        let none = variant(&|e| e.detail = None);
        let empty = variant(&|e| e.detail = Some(String::new()));
        let later = variant(&|e| e.at = instant(0) + chrono::Duration::nanoseconds(1));
        let hashes = [a, b, c, d, none, empty, later, base.hash];
        for (i, x) in hashes.iter().enumerate() {
            for y in &hashes[i + 1..] {
                assert_ne!(x, y);
            }
        }
    }

    #[test]
    fn flipping_any_byte_of_any_sampled_entry_is_caught() {
        let stored = chain(10);
        let head = head_of(&stored);
        for index in [0usize, 4, 9] {
            for byte in 0..stored[index].1.len() {
                for mask in [0x01u8, 0x80, 0xff] {
                    let mut tampered = stored.clone();
                    tampered[index].1[byte] ^= mask;
                    let seq = tampered[index].0;
                    for checkpoint in [None, Some(&head)] {
                        let found = problem(tampered.clone(), checkpoint);
                        assert!(
                            matches!(
                                found,
                                Some(ChainProblem::Undecodable { seq: s }
                                    | ChainProblem::HashMismatch { seq: s }
                                    | ChainProblem::BrokenLink { seq: s }
                                    | ChainProblem::KeyMismatch { key: s, .. })
                                    if s == seq
                            ),
                            "entry {seq} byte {byte} mask {mask:#x}: {found:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn changed_entry_is_reported_as_changed() {
        let mut entries = build_entries(10);
        entries[4].objects = vec!["M-9999".into()];
        let found = problem(store(&entries), None);
        assert_eq!(found, Some(ChainProblem::HashMismatch { seq: 5 }));
        assert_eq!(
            found.unwrap().to_string(),
            "audit entry 5 was changed after it was written (its hash does not match)"
        );
    }

    #[test]
    fn deleted_middle_entry_is_a_gap() {
        let mut stored = chain(10);
        stored.remove(4);
        assert_eq!(
            problem(stored, None),
            Some(ChainProblem::Gap {
                expected: 5,
                found: 6
            })
        );
    }

    #[test]
    fn deleted_middle_entry_with_renumbering_is_a_broken_link() {
        // An attacker who re-keys later entries still cannot make them link up.
        let mut entries = build_entries(10);
        entries.remove(4);
        for entry in &mut entries[4..] {
            entry.seq -= 1;
            entry.hash = entry_hash(entry);
        }
        assert_eq!(
            problem(store(&entries), None),
            Some(ChainProblem::BrokenLink { seq: 5 })
        );
    }

    #[test]
    fn deleted_last_entry_is_caught_only_with_an_earlier_checkpoint() {
        let mut stored = chain(10);
        let checkpoint = head_of(&stored);
        stored.pop();
        let report = verify_chain(stored.clone(), None);
        assert!(report.is_ok());
        assert_eq!(report.entries_checked, 9);
        let found = problem(stored, Some(&checkpoint));
        assert_eq!(
            found,
            Some(ChainProblem::Truncated {
                checkpoint_count: 10,
                actual_count: 9
            })
        );
    }

    #[test]
    fn swapped_entries_are_caught() {
        let mut stored = chain(10);
        let third = stored[2].1.clone();
        stored[2].1 = stored[6].1.clone();
        stored[6].1 = third;
        assert_eq!(
            problem(stored, None),
            Some(ChainProblem::KeyMismatch { key: 3, seq: 7 })
        );
    }

    #[test]
    fn reordered_and_resealed_entries_break_the_link() {
        let mut entries = build_entries(10);
        entries.swap(2, 6);
        entries[2].seq = 3;
        entries[6].seq = 7;
        for index in [2, 6] {
            entries[index].hash = entry_hash(&entries[index]);
        }
        assert_eq!(
            problem(store(&entries), None),
            Some(ChainProblem::BrokenLink { seq: 3 })
        );
    }

    #[test]
    fn inserted_forged_entry_is_caught() {
        let entries = build_entries(10);
        // A forged, internally consistent entry placed after entry 5, later entries shifted up.
        let forged = seal_next(
            Some((entries[4].seq, entries[4].hash)),
            draft(99),
            instant(299),
        );
        let mut stored: Stored = entries[..5].iter().map(|e| (e.seq, encode(e))).collect();
        stored.push((6, encode(&forged)));
        stored.extend(entries[5..].iter().map(|e| (e.seq + 1, encode(e))));
        assert_eq!(
            problem(stored, None),
            Some(ChainProblem::KeyMismatch { key: 7, seq: 6 })
        );

        // Forged entry appended beyond the real head with a made-up link.
        let mut stored = store(&entries);
        let tail = seal_next(Some((10, [7; 32])), draft(100), instant(900));
        stored.push((11, encode(&tail)));
        assert_eq!(
            problem(stored, None),
            Some(ChainProblem::BrokenLink { seq: 11 })
        );
    }

    #[test]
    fn rewritten_history_is_caught_by_the_checkpoint() {
        // Without a secret key anyone can re-seal a whole chain; only a checkpoint kept
        // elsewhere reveals it.
        let original = build_entries(10);
        let checkpoint = Checkpoint {
            count: 6,
            head: original[5].hash,
        };
        let mut rewritten: Vec<AuditEntry> = Vec::new();
        for (i, entry) in original.iter().enumerate() {
            let mut d = draft(u64::try_from(i).unwrap());
            if i == 2 {
                d.objects = vec!["M-0".into()];
            }
            let prev = rewritten.last().map(|e| (e.seq, e.hash));
            rewritten.push(seal_next(prev, d, entry.at));
        }
        let stored = store(&rewritten);
        assert!(verify_chain(stored.clone(), None).is_ok());
        assert_eq!(
            problem(stored, Some(&checkpoint)),
            Some(ChainProblem::CheckpointMismatch { seq: 6 })
        );
    }

    #[test]
    fn earlier_checkpoint_still_verifies_after_the_log_grows() {
        let entries = build_entries(12);
        let checkpoint = Checkpoint {
            count: 7,
            head: entries[6].hash,
        };
        let report = verify_chain(store(&entries), Some(&checkpoint));
        assert!(report.is_ok(), "{report}");
        assert_eq!(report.head.count, 12);
        assert_eq!(report.head.head, entries[11].hash);
    }

    #[test]
    fn wrong_checkpoint_hash_is_caught() {
        let stored = chain(10);
        let mut checkpoint = head_of(&stored);
        checkpoint.head[31] ^= 1;
        let report = verify_chain(stored, Some(&checkpoint));
        assert_eq!(
            report.problem,
            Some(ChainProblem::CheckpointMismatch { seq: 10 })
        );
        assert_eq!(report.entries_checked, 9);
    }

    #[test]
    fn report_head_covers_the_intact_prefix_when_damaged() {
        let mut stored = chain(10);
        stored[5].1[3] ^= 0xff;
        let report = verify_chain(stored, None);
        assert!(!report.is_ok());
        assert_eq!(report.entries_checked, 5);
        assert_eq!(report.head.count, 5);
        assert!(
            report
                .to_string()
                .contains("the first 5 entries are intact")
        );
    }

    #[test]
    fn every_problem_reads_as_one_sentence_naming_the_entry() {
        let problems = [
            ChainProblem::Undecodable { seq: 42 },
            ChainProblem::KeyMismatch { key: 42, seq: 43 },
            ChainProblem::Gap {
                expected: 42,
                found: 44,
            },
            ChainProblem::BrokenLink { seq: 42 },
            ChainProblem::HashMismatch { seq: 42 },
            ChainProblem::Truncated {
                checkpoint_count: 50,
                actual_count: 42,
            },
            ChainProblem::CheckpointMismatch { seq: 42 },
        ];
        for problem in problems {
            let text = problem.to_string();
            assert!(text.contains("42"), "{text}");
            assert!(!text.contains('\n') && !text.ends_with('.'), "{text}");
        }
    }

    #[derive(Debug, Clone)]
    enum Mutation {
        FlipByte { entry: usize, byte: usize, mask: u8 },
        Delete { entry: usize },
        Swap { a: usize, b: usize },
        TruncateBelowCheckpoint { keep: usize },
    }

    fn random_draft() -> impl Strategy<Value = AuditDraft> {
        let actor = prop_oneof![
            (any::<u128>(), "[a-z]{0,8}").prop_map(|(id, username)| Actor::Staff {
                staff_id: RecordId::from_u128(id),
                username,
            }),
            Just(Actor::System),
            ".{0,6}".prop_map(|attempted_username| Actor::Anonymous { attempted_username }),
        ];
        let origin = prop_oneof![
            Just(Origin::Local),
            "[0-9.:]{0,12}".prop_map(|peer| Origin::Ssh { peer }),
            "[a-z]{0,6}".prop_map(|command| Origin::Cli { command }),
        ];
        let outcome = prop_oneof![
            Just(Outcome::Ok),
            Just(Outcome::Denied),
            Just(Outcome::Failed)
        ];
        (
            actor,
            origin,
            0..AuditAction::ALL.len(),
            outcome,
            proptest::collection::vec("[A-Z0-9-]{0,6}", 0..3),
            proptest::collection::vec("[a-z_]{0,6}", 0..3),
            proptest::option::of("[a-z :]{0,10}"),
        )
            .prop_map(
                |(actor, origin, action, outcome, objects, fields, detail)| AuditDraft {
                    actor,
                    origin,
                    action: AuditAction::ALL[action],
                    outcome,
                    objects,
                    fields,
                    detail,
                    site: 0,
                },
            )
    }

    fn random_case() -> impl Strategy<Value = (Vec<AuditDraft>, Vec<i64>, Mutation, bool)> {
        (2usize..12).prop_flat_map(|len| {
            let mutation = prop_oneof![
                (0..len, any::<prop::sample::Index>(), 1u8..=255).prop_map(
                    |(entry, byte, mask)| Mutation::FlipByte {
                        entry,
                        byte: byte.index(usize::MAX),
                        mask
                    }
                ),
                (0..len).prop_map(|entry| Mutation::Delete { entry }),
                (0..len, 0..len)
                    .prop_filter("distinct entries", |(a, b)| a != b)
                    .prop_map(|(a, b)| Mutation::Swap { a, b }),
                (0..len).prop_map(|keep| Mutation::TruncateBelowCheckpoint { keep }),
            ];
            (
                proptest::collection::vec(random_draft(), len),
                proptest::collection::vec(-1_000_000_000i64..4_000_000_000, len),
                mutation,
                any::<bool>(),
            )
        })
    }

    proptest! {
        #[test]
        fn no_single_mutation_ever_verifies((drafts, times, mutation, with_checkpoint) in random_case()) {
            let mut entries: Vec<AuditEntry> = Vec::new();
            for (draft, secs) in drafts.into_iter().zip(times) {
                let prev = entries.last().map(|e| (e.seq, e.hash));
                let at = DateTime::from_timestamp(secs, 0).unwrap();
                entries.push(seal_next(prev, draft, at));
            }
            let mut stored = store(&entries);
            prop_assert!(verify_chain(stored.clone(), None).is_ok());
            let full_head = head_of(&stored);
            let last = stored.len() - 1;
            // Removing entries from the end is only detectable against a checkpoint.
            let needs_checkpoint = match &mutation {
                Mutation::Delete { entry } => *entry == last,
                Mutation::TruncateBelowCheckpoint { .. } => true,
                _ => false,
            };
            let checkpoint = (with_checkpoint || needs_checkpoint).then_some(full_head);
            match mutation {
                Mutation::FlipByte { entry, byte, mask } => {
                    let bytes = &mut stored[entry].1;
                    let at = byte % bytes.len();
                    bytes[at] ^= mask;
                }
                Mutation::Delete { entry } => {
                    stored.remove(entry);
                }
                Mutation::Swap { a, b } => {
                    let first = stored[a].1.clone();
                    stored[a].1 = stored[b].1.clone();
                    stored[b].1 = first;
                }
                Mutation::TruncateBelowCheckpoint { keep } => stored.truncate(keep),
            }
            let report = verify_chain(stored, checkpoint.as_ref());
            prop_assert!(!report.is_ok(), "mutation went unnoticed: {report}");
        }
    }
}
