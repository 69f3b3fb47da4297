//! `frontdesk verify`: the store file's structure, the business invariants between tables,
//! and the audit log's hash chain. Read-only, and needs no login: nothing is decrypted.

use std::collections::HashSet;

use crate::audit::{Checkpoint, verify_chain};
use crate::domain::loyalty::{LedgerEntry, Wallet};
use crate::ids::RecordId;
use crate::store::records::{
    BookingRecord, MemberRecord, MemberStats, MemberTombstone, VehicleRecord,
};
use crate::store::schema::{BOOKINGS, MEMBER_STATS, MEMBER_TOMBSTONES, MEMBERS, STAFF, VEHICLES};
use crate::store::{
    ReadAccess, ReadOnlyStore, Sharing, Store, StoreError, StoreReader, decode_record,
};

/// The outcome of each check, in the order they ran.
#[derive(Debug)]
pub struct IntegrityReport {
    pub file: FileCheck,
    pub records: Result<RecordCounts, String>,
    pub audit_entries: u64,
    pub audit_head: Checkpoint,
    pub audit_problem: Option<String>,
}

/// redb's structural check of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileCheck {
    Ok,
    Damaged,
    /// The check repairs as it reads, so it cannot run while `frontdesk serve` or the counter
    /// screen has the file.
    SkippedWhileServed,
    /// Nor on a store this process may not write.
    SkippedReadOnly,
    /// A PostgreSQL store: the server checks its own pages.
    OnDatabase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordCounts {
    pub staff: u64,
    pub members: u64,
    pub vehicles: u64,
    pub bookings: u64,
    pub till: super::till_integrity::TillCounts,
}

impl IntegrityReport {
    pub fn is_ok(&self) -> bool {
        self.file != FileCheck::Damaged && self.records.is_ok() && self.audit_problem.is_none()
    }

    /// Human-readable lines, one per check, ending with the verdict.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![match self.file {
            FileCheck::Ok => "store file: OK".to_owned(),
            FileCheck::Damaged => {
                "store file: FAILED: redb's integrity check found damage; restore the latest backup"
                    .to_owned()
            }
            FileCheck::SkippedWhileServed => "store file: not checked while `frontdesk serve` or the counter screen has it open (records and the audit chain are checked below; close it for the full check)".to_owned(),
            FileCheck::OnDatabase => "store: a PostgreSQL database (the server checks its own pages; records and the audit chain are checked below)".to_owned(),
            FileCheck::SkippedReadOnly => "store file: not checked, because the store is read-only here and redb's check repairs as it reads (records and the audit chain are checked below; make the store writable for the full check)".to_owned(),
        }];
        lines.push(match &self.records {
            Ok(counts) => format!(
                "records: OK ({} staff, {} members, {} vehicles, {} bookings on bays; ledgers balance; {} visits, {} sales and {} refunds add up; receipts 1 to {} without gaps; {} closed drawers balance)",
                counts.staff,
                counts.members,
                counts.vehicles,
                counts.bookings,
                counts.till.visits,
                counts.till.sales,
                counts.till.refunds,
                counts.till.receipts,
                counts.till.closed_shifts
            ),
            Err(problem) => format!("records: FAILED: {problem}"),
        });
        lines.push(match &self.audit_problem {
            None => format!("audit log: OK ({} entries)", self.audit_entries),
            Some(problem) => format!("audit log: FAILED: {problem}"),
        });
        lines.push(format!("checkpoint: {}", self.audit_head));
        lines.push(if self.is_ok() {
            "verify: OK".to_owned()
        } else {
            "verify: FAILED".to_owned()
        });
        lines
    }
}

pub fn verify_store(
    store: &mut Store,
    checkpoint: Option<&Checkpoint>,
) -> Result<IntegrityReport, StoreError> {
    let file = if store.is_postgres() {
        FileCheck::OnDatabase
    } else if store.sharing() == Sharing::BesideServer {
        FileCheck::SkippedWhileServed
    } else if store.check_integrity()? {
        FileCheck::Ok
    } else {
        FileCheck::Damaged
    };
    verify_snapshot(file, store.read()?, checkpoint)
}

/// The same checks on a store opened read-only, without redb's structural check (which
/// writes); the file is left exactly as it was.
pub fn verify_read_only(
    store: &ReadOnlyStore,
    checkpoint: Option<&Checkpoint>,
) -> Result<IntegrityReport, StoreError> {
    verify_snapshot(FileCheck::SkippedReadOnly, store.read()?, checkpoint)
}

fn verify_snapshot(
    file: FileCheck,
    reader: StoreReader,
    checkpoint: Option<&Checkpoint>,
) -> Result<IntegrityReport, StoreError> {
    let records = check_records(&reader);
    let mut stream = reader.audit_stream()?;
    let report = verify_chain(&mut stream, checkpoint);
    if let Some(err) = stream.error() {
        return Err(err);
    }
    Ok(IntegrityReport {
        file,
        records,
        audit_entries: report.entries_checked,
        audit_head: report.head,
        audit_problem: report.problem.map(|problem| problem.to_string()),
    })
}

/// Cross-table invariants: every record decodes, vehicles belong to existing members,
/// and blind-index tokens point only at existing members.
fn check_records(reader: &crate::store::StoreReader) -> Result<RecordCounts, String> {
    let fail = |err: StoreError| err.to_string();
    let mut members = HashSet::new();
    reader
        .scan_by_id(MEMBERS, &mut |key, bytes| {
            let member: MemberRecord = decode_record("member", bytes)?;
            if member.id.as_u128() != key {
                return Err(StoreError::Corrupt(format!(
                    "member {} is stored under another id",
                    member.id
                )));
            }
            members.insert(key);
            Ok(())
        })
        .map_err(fail)?;
    let mut vehicles = 0u64;
    reader
        .scan_by_id(VEHICLES, &mut |_, bytes| {
            let vehicle: VehicleRecord = decode_record("vehicle", bytes)?;
            if !members.contains(&vehicle.member_id.as_u128()) {
                return Err(StoreError::Corrupt(format!(
                    "vehicle {} belongs to member {}, which does not exist",
                    vehicle.id, vehicle.member_id
                )));
            }
            vehicles += 1;
            Ok(())
        })
        .map_err(fail)?;
    for id in reader.indexed_member_ids().map_err(fail)? {
        if !members.contains(&id) {
            return Err(format!(
                "the search index points at member {}, which does not exist",
                crate::ids::RecordId::from_u128(id)
            ));
        }
    }
    // Members who are gone keep their statistics and ledger (for the accounts) but nothing
    // else: no record, no vehicle, no index entry.
    let mut gone = HashSet::new();
    reader
        .scan_by_id(MEMBER_TOMBSTONES, &mut |key, bytes| {
            let tombstone: MemberTombstone = decode_record("member tombstone", bytes)?;
            if tombstone.id.as_u128() != key || members.contains(&key) {
                return Err(StoreError::Corrupt(format!(
                    "member {} is both live and gone",
                    tombstone.id
                )));
            }
            gone.insert(key);
            Ok(())
        })
        .map_err(fail)?;
    check_ledgers(reader, &members, &gone)?;
    let bookings = check_bay_schedule(reader)?;
    let staff = reader.count(STAFF).map_err(fail)?;
    if staff == 0 {
        return Err("the store has no staff accounts".to_owned());
    }
    let till = super::till_integrity::check_till(reader)?;
    Ok(RecordCounts {
        staff,
        members: members.len() as u64,
        vehicles,
        bookings,
        till,
    })
}

/// Each member's points ledger replays cleanly and its sum equals the stored balance.
fn check_ledgers(
    reader: &crate::store::StoreReader,
    members: &HashSet<u128>,
    gone: &HashSet<u128>,
) -> Result<(), String> {
    let mut problem = None;
    reader
        .scan_by_id(MEMBER_STATS, &mut |key, bytes| {
            let member = RecordId::from_u128(key);
            if !members.contains(&key) && !gone.contains(&key) {
                problem = Some(format!(
                    "statistics exist for member {member}, which does not exist"
                ));
                return Ok(());
            }
            let stats: MemberStats = decode_record("member stats", bytes)?;
            let entries: Vec<LedgerEntry> = reader.ledger(member)?;
            let sum: i64 = entries.iter().map(|e| e.points).sum();
            match Wallet::replay(member, &entries) {
                Err(err) => {
                    problem = Some(format!(
                        "the points ledger of member {member} does not replay: {err}"
                    ))
                }
                Ok(wallet) if wallet.balance() != sum || sum != stats.points_balance => {
                    problem = Some(format!(
                        "member {member}'s points balance {} does not equal the ledger sum {sum}",
                        stats.points_balance
                    ))
                }
                Ok(_) => {}
            }
            Ok(())
        })
        .map_err(|err| err.to_string())?;
    problem.map_or(Ok(()), Err)
}

/// No two bookings holding the same bay overlap; returns how many hold a bay. A booking holds
/// its bay the way the scheduler sees it ([`super::bookings::held_by`], without the buffer): a
/// checked-out one only until its checkout, so the next car may take the bay at once.
fn check_bay_schedule(reader: &crate::store::StoreReader) -> Result<u64, String> {
    let fail = |err: StoreError| err.to_string();
    // The bay, and the booking holding it until the latest end so far.
    let mut previous: Option<(u128, RecordId, chrono::DateTime<chrono::Utc>)> = None;
    let mut count = 0;
    for (bay, _, booking_id) in reader.bay_holdings().map_err(fail)? {
        let booking: BookingRecord = reader
            .get(BOOKINGS, RecordId::from_u128(booking_id), "booking")
            .map_err(fail)?
            .ok_or_else(|| {
                format!(
                    "the bay schedule points at booking {}, which does not exist",
                    RecordId::from_u128(booking_id)
                )
            })?;
        if booking.bay.as_u128() != bay || !booking.state.holds_bay() {
            return Err(format!("booking {} holds a bay it should not", booking.id));
        }
        count += 1;
        // Seen as at its own start: a car still checked in holds at least its planned time.
        let Some(held) = super::bookings::held_by(&booking, 0, booking.start) else {
            continue;
        };
        match previous {
            Some((previous_bay, earlier, until)) if previous_bay == bay => {
                if until > held.start() {
                    return Err(format!(
                        "bookings {earlier} and {} overlap on the same bay",
                        booking.id
                    ));
                }
                if held.end() > until {
                    previous = Some((bay, booking.id, held.end()));
                }
            }
            _ => previous = Some((bay, booking.id, held.end())),
        }
    }
    Ok(count)
}
