//! A customer's right to be forgotten (SPEC section 8): the member's data key is destroyed
//! with their record (crypto-shredding), the member becomes a tombstone that keeps only the
//! number, their vehicles and every blind-index entry go in the same write transaction, future
//! bookings are cancelled, and visits and the points ledger stay under the bare id for the
//! accounts. The erasure goes into the erasure ledger so a restore of an older backup erases
//! the member again. Retention anonymises the same way (reason `Retention`).
//!
//! Freed pages of the file still hold the old ciphertext until the file is compacted: the
//! erasure marks the store for compaction; `frontdesk erase` compacts at once, the counter
//! TUI when it closes (see [`Service::close`]).

use chrono::{DateTime, Utc};

use super::members::plate_tail_token;
use super::tombstones::GoneReason;
use super::{Caller, Service, ServiceError, Session};
use crate::audit::{AuditAction, AuditDraft};
use crate::domain::access::Operation;
use crate::ids::RecordId;
use crate::store::records::{
    BookingRecord, BookingState, ErasureRecord, MemberTombstone, TombstoneReason,
};
use crate::store::schema::{BOOKINGS, LEDGER, MEMBER_BOOKINGS, MEMBER_VISITS};
use crate::store::{ReadAccess, StoreWriter};
use crate::vault::UnlockedVault;

/// Stored as the reason of a booking cancelled because its member was erased, and in place
/// of any reason typed for the member's earlier cancellations (staff may have named them).
pub const ERASED_CANCEL_REASON: &str = "member erased";

/// What an erasure removed and kept, by field name and count, never a value: shown at the
/// desk, printed by the command, and (as its detail) in the audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureReceipt {
    pub member: RecordId,
    pub member_number: u64,
    pub at: DateTime<Utc>,
    pub reason: GoneReason,
    /// The personal fields destroyed with the member's key ("name", "phone", …).
    pub fields: Vec<&'static str>,
    /// Vehicles deleted with their sealed plates.
    pub vehicles_removed: u32,
    /// Blind-index entries (number, phone, email, plates) removed.
    pub index_entries_removed: u32,
    /// Future bookings cancelled.
    pub bookings_cancelled: u32,
    /// Reasons typed for the member's earlier cancellations, cleared.
    pub cancel_reasons_cleared: u32,
    /// Consent records removed.
    pub consents_removed: u32,
    /// Visits kept, under the member id only, for the accounts.
    pub visits_kept: u32,
    /// Points ledger entries kept, under the member id only.
    pub ledger_entries_kept: u32,
}

impl ErasureReceipt {
    /// The same words for the audit entry and the command's output: names and counts only.
    pub fn describe(&self) -> String {
        format!(
            "fields destroyed: {}; vehicles removed: {}; index entries removed: {}; future bookings cancelled: {}; cancel reasons cleared: {}; consents removed: {}; kept for the accounts: {} visits, {} ledger entries",
            self.fields.join(", "),
            self.vehicles_removed,
            self.index_entries_removed,
            self.bookings_cancelled,
            self.cancel_reasons_cleared,
            self.consents_removed,
            self.visits_kept,
            self.ledger_entries_kept,
        )
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Erases `member` inside `writer`: deletes the record (its sealed fields and wrapped key),
/// vehicles, blind-index entries and consents, cancels future bookings (appending a
/// `booking.cancelled` entry for each from `booking_draft`), leaves a tombstone and a ledger
/// line. The caller appends the `member.erased` entry and commits.
pub(super) fn erase_in(
    writer: &mut StoreWriter,
    vault: &UnlockedVault,
    member: RecordId,
    reason: TombstoneReason,
    now: DateTime<Utc>,
    booking_draft: &dyn Fn(RecordId) -> AuditDraft,
) -> Result<ErasureReceipt, ServiceError> {
    let record = writer
        .member(member)?
        .ok_or(ServiceError::NotFound("member"))?;
    let mut fields = vec!["name"];
    for (present, field) in [
        (record.phone.is_some(), "phone"),
        (record.email.is_some(), "email"),
        (record.birthday.is_some(), "birthday"),
        (record.notes.is_some(), "notes"),
    ] {
        if present {
            fields.push(field);
        }
    }
    let mut index_entries = 0usize;
    for token in &record.index_tokens {
        writer.remove_index_token(token, member)?;
        index_entries += 1;
    }
    // Plate tokens sit on the vehicles; the tail token is derived from the plate, which the
    // member's key still opens at this point (it is destroyed below with the record).
    let key = vault.unwrap_member_key(&record.wrapped_key, member).ok();
    let vehicles = writer.vehicles_of(member)?;
    let mut tails = Vec::new();
    for vehicle in &vehicles {
        writer.remove_index_token(&vehicle.plate_token, member)?;
        index_entries += 1;
        if let Some(key) = &key
            && let Ok(plate) = Service::open_plate(key, vehicle)
            && let Some(tail) = plate_tail_token(vault, &plate)
            && !tails.contains(&tail)
        {
            tails.push(tail);
        }
        writer.delete_vehicle(vehicle)?;
    }
    for tail in &tails {
        writer.remove_index_token(tail, member)?;
        index_entries += 1;
    }
    if !fields.contains(&"plate") && !vehicles.is_empty() {
        fields.push("plate");
    }
    let mut cancelled = 0usize;
    let mut cleared = 0usize;
    for booking_id in writer.linked_ids(MEMBER_BOOKINGS, member)? {
        let Some(mut booking) = writer.get::<BookingRecord>(BOOKINGS, booking_id, "booking")?
        else {
            continue;
        };
        match &booking.state {
            BookingState::Booked if booking.start >= now => {
                writer.release_bay(booking.bay, booking.start.timestamp_millis())?;
                booking.state = BookingState::Cancelled {
                    at: now,
                    reason: ERASED_CANCEL_REASON.to_owned(),
                };
                booking.updated_at = now;
                writer.put(BOOKINGS, booking_id, &booking)?;
                writer.append_audit(booking_draft(booking_id), now)?;
                cancelled += 1;
            }
            BookingState::Cancelled { at, reason } if reason != ERASED_CANCEL_REASON => {
                booking.state = BookingState::Cancelled {
                    at: *at,
                    reason: ERASED_CANCEL_REASON.to_owned(),
                };
                writer.put(BOOKINGS, booking_id, &booking)?;
                cleared += 1;
            }
            _ => {}
        }
    }
    let consents = writer.delete_consents(member)?;
    writer.delete_member(member)?;
    // The saved name index holds this member's name: it goes in the same transaction, and a
    // fresh one is saved from memory once the member has left the index.
    writer.drop_name_snapshot()?;
    writer.put_member_tombstone(&MemberTombstone {
        id: member,
        member_number: record.member_number,
        reason,
        at: now,
        member_since: record.created_at,
    })?;
    writer.record_erasure(&ErasureRecord { member, at: now })?;
    let visits = writer.linked_ids(MEMBER_VISITS, member)?.len();
    let ledger = writer.appended_bytes(LEDGER, member)?.len();
    Ok(ErasureReceipt {
        member,
        member_number: record.member_number,
        at: now,
        reason: match reason {
            TombstoneReason::Retention => GoneReason::Retention,
            _ => GoneReason::Erased,
        },
        fields,
        vehicles_removed: count(vehicles.len()),
        index_entries_removed: count(index_entries),
        bookings_cancelled: count(cancelled),
        cancel_reasons_cleared: count(cleared),
        consents_removed: u32::try_from(consents).unwrap_or(u32::MAX),
        visits_kept: count(visits),
        ledger_entries_kept: count(ledger),
    })
}

/// The `member.erased` entry for a finished erasure: ids, field names and counts.
pub(super) fn erased_draft(mut draft: AuditDraft, receipt: &ErasureReceipt) -> AuditDraft {
    draft.objects = vec![
        receipt.member.to_string(),
        format!("member:{}", receipt.member_number),
    ];
    draft.fields = receipt.fields.iter().map(|f| (*f).to_owned()).collect();
    let why = match receipt.reason {
        GoneReason::Retention => "retention",
        _ => "request",
    };
    draft.detail = Some(format!("{why}: {}", receipt.describe()));
    draft
}

impl Service {
    /// Whether this session may erase members now (a manager within a few minutes of a fresh
    /// code). A refusal by role is audited, as the erasure's own would be.
    pub fn check_member_erasure(&self, session: &Session) -> Result<(), ServiceError> {
        self.authorize(session, Operation::EraseMember).map(drop)
    }

    /// Erases one member for good, for a manager after a fresh code: see the module notes.
    /// The member, their cancelled bookings and the erasure are audited in the same
    /// transaction as the change; the receipt says what went, by name and count.
    pub fn erase_member(
        &self,
        session: &Session,
        member: RecordId,
    ) -> Result<ErasureReceipt, ServiceError> {
        let caller = self.authorize(session, Operation::EraseMember)?;
        self.erase_as(&caller, member, TombstoneReason::Erased)
    }

    pub(super) fn erase_as(
        &self,
        caller: &Caller,
        member: RecordId,
        reason: TombstoneReason,
    ) -> Result<ErasureReceipt, ServiceError> {
        let vault = self.unlocked_vault()?;
        let now = self.clock.now();
        let mut writer = self.store.write()?;
        if writer.member(member)?.is_none() {
            return Err(match writer.member_tombstone(member)? {
                Some(tombstone) => ServiceError::invalid(super::tombstones::gone_sentence(
                    &super::tombstones::tombstone_view(&writer, &tombstone)?,
                )),
                None => ServiceError::NotFound("member"),
            });
        }
        let booking_draft = |booking: RecordId| {
            let mut draft = caller.draft(AuditAction::BookingCancelled);
            draft.objects = vec![booking.to_string()];
            draft.fields = vec!["state".to_owned()];
            draft.detail = Some(ERASED_CANCEL_REASON.to_owned());
            draft
        };
        let receipt = erase_in(&mut writer, &vault, member, reason, now, &booking_draft)?;
        writer.mark_compaction_due()?;
        writer.append_audit(
            erased_draft(caller.draft(AuditAction::MemberErased), &receipt),
            now,
        )?;
        writer.commit()?;
        self.names.remove(member);
        // Best effort: without a snapshot the next unlock rebuilds the index from the members.
        // A retention run saves once after its last anonymisation instead of after each.
        if !matches!(reason, TombstoneReason::Retention) {
            let _ = self
                .names
                .save(&self.store, &vault, super::snapshot_entropy().as_ref());
        }
        Ok(receipt)
    }
}
