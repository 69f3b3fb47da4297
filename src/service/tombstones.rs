//! Members who are gone — erased, anonymised by retention, or merged into another — as the
//! front ends see them: the number and why, never a name. Every screen that shows a member
//! by id asks here when the member's own record is missing.

use chrono::{DateTime, Utc};

use super::{Service, ServiceError, Session};
use crate::domain::access::Operation;
use crate::ids::RecordId;
use crate::store::ReadAccess;
use crate::store::records::{MemberTombstone, TombstoneReason};
use crate::vault::BlindIndexKind;

/// Why a member is gone, as a front end words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoneReason {
    Erased,
    Retention,
    MergedInto {
        survivor: RecordId,
        /// The surviving member's number, when they are still a live member.
        survivor_number: Option<u64>,
    },
}

/// A member who is gone: their number stays findable so a card or an old receipt still
/// leads somewhere ("#1042 erased", "#1042 merged into #77").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TombstoneView {
    pub member: RecordId,
    pub member_number: u64,
    pub reason: GoneReason,
    pub at: DateTime<Utc>,
}

/// What a member number leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberLookup {
    Live(RecordId),
    Gone(TombstoneView),
}

pub(super) fn tombstone_view(
    reader: &impl ReadAccess,
    tombstone: &MemberTombstone,
) -> Result<TombstoneView, ServiceError> {
    let reason = match tombstone.reason {
        TombstoneReason::Erased => GoneReason::Erased,
        TombstoneReason::Retention => GoneReason::Retention,
        TombstoneReason::MergedInto { survivor } => GoneReason::MergedInto {
            survivor,
            survivor_number: reader.member(survivor)?.map(|m| m.member_number),
        },
    };
    Ok(TombstoneView {
        member: tombstone.id,
        member_number: tombstone.member_number,
        reason,
        at: tombstone.at,
    })
}

impl Service {
    /// The tombstone of a member who is gone; `None` for a live (or never existing) member.
    /// Any staff may see it: it holds a number and a reason, nothing personal.
    pub fn member_tombstone(
        &self,
        session: &Session,
        member: RecordId,
    ) -> Result<Option<TombstoneView>, ServiceError> {
        self.authorize(session, Operation::SearchMembers)?;
        let reader = self.store.read()?;
        reader
            .member_tombstone(member)?
            .map(|tombstone| tombstone_view(&reader, &tombstone))
            .transpose()
    }

    /// What a member number leads to: a live member, or the tombstone of one who is gone.
    pub fn lookup_member_number(
        &self,
        session: &Session,
        number: u64,
    ) -> Result<Option<MemberLookup>, ServiceError> {
        self.authorize(session, Operation::SearchMembers)?;
        let vault = self.unlocked_vault()?;
        let reader = self.store.read()?;
        let token = vault.blind_index(BlindIndexKind::MemberNumber, &number.to_string());
        for id in reader.ids_for_token(&token.to_bytes())? {
            if reader
                .member(id)?
                .is_some_and(|member| member.member_number == number)
            {
                return Ok(Some(MemberLookup::Live(id)));
            }
        }
        reader
            .member_tombstone_by_number(number)?
            .map(|tombstone| tombstone_view(&reader, &tombstone).map(MemberLookup::Gone))
            .transpose()
    }
}

/// The sentence a command line prints for a member number that leads to a tombstone.
pub fn gone_sentence(gone: &TombstoneView) -> String {
    let date = gone.at.format("%Y-%m-%d");
    match gone.reason {
        GoneReason::Erased => format!(
            "member number {} was erased on {date}; their personal data no longer exists",
            gone.member_number
        ),
        GoneReason::Retention => format!(
            "member number {} was anonymised on {date} after a long time without a visit; their personal data no longer exists",
            gone.member_number
        ),
        GoneReason::MergedInto {
            survivor_number: Some(survivor),
            ..
        } => format!(
            "member number {} was merged into member number {survivor} on {date}; use {survivor}",
            gone.member_number
        ),
        GoneReason::MergedInto {
            survivor_number: None,
            ..
        } => format!(
            "member number {} was merged into another member on {date}, who is gone too",
            gone.member_number
        ),
    }
}
