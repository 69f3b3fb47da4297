//! The points ledger through the service layer: balances, history, manual adjustments and
//! expiry. Entries are only ever appended; the member's balance in [`MemberStats`] moves in
//! the same transaction, so it always equals the ledger sum.

use chrono::{DateTime, Utc};

use super::{Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::domain::access::Operation;
use crate::domain::alerts::AlertSignal;
use crate::domain::loyalty::{
    LedgerEntry, PointsPolicy, Wallet, plan_adjust, plan_expiry, tier_for,
};
use crate::domain::sanitize::sanitize_line;
use crate::ids::RecordId;
use crate::store::records::MemberStats;
use crate::store::schema::MEMBER_STATS;
use crate::store::{ReadAccess, StoreWriter};

/// A member's points as the desk shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsView {
    pub balance: i64,
    pub tier: String,
    pub rolling_spend_minor: i64,
    /// (expiry instant, points left), soonest first.
    pub lots: Vec<(DateTime<Utc>, i64)>,
    /// Newest first.
    pub entries: Vec<LedgerEntry>,
}

/// The member's ledger in the order it was written.
pub(super) fn ledger_of(
    reader: &impl ReadAccess,
    member: RecordId,
) -> Result<Vec<LedgerEntry>, ServiceError> {
    Ok(reader.ledger(member)?)
}

pub(super) fn wallet_of(
    reader: &impl ReadAccess,
    member: RecordId,
) -> Result<(Wallet, Vec<LedgerEntry>), ServiceError> {
    let entries = ledger_of(reader, member)?;
    let wallet = Wallet::replay(member, &entries).map_err(|e| {
        ServiceError::invalid(format!(
            "the points ledger of this member is inconsistent ({e}); run `frontdesk verify`"
        ))
    })?;
    Ok((wallet, entries))
}

pub(super) fn stats_of(
    reader: &impl ReadAccess,
    member: RecordId,
) -> Result<MemberStats, ServiceError> {
    Ok(reader
        .get(MEMBER_STATS, member, "member stats")?
        .unwrap_or_default())
}

/// Appends entries and moves the stored balance by their sum, in the caller's transaction.
pub(super) fn append_entries(
    writer: &mut StoreWriter,
    member: RecordId,
    stats: &mut MemberStats,
    entries: &[LedgerEntry],
) -> Result<(), ServiceError> {
    for entry in entries {
        writer.append_ledger(member, entry)?;
        stats.points_balance += entry.points;
    }
    Ok(())
}

impl Service {
    pub fn member_points(
        &self,
        session: &Session,
        member: RecordId,
    ) -> Result<PointsView, ServiceError> {
        self.authorize(session, Operation::OpenMember)?;
        let reader = self.store.read()?;
        reader
            .member(member)?
            .ok_or(ServiceError::NotFound("member"))?;
        let (wallet, mut entries) = wallet_of(&reader, member)?;
        let stats = stats_of(&reader, member)?;
        let policy: PointsPolicy = self.points_policy()?;
        let now = self.clock.now();
        let rolling = stats.spend.total(now);
        entries.reverse();
        Ok(PointsView {
            balance: wallet.balance(),
            tier: tier_for(rolling, &policy).name.clone(),
            rolling_spend_minor: rolling,
            lots: wallet
                .lots()
                .iter()
                .map(|lot| (lot.lot.expires_at, lot.remaining))
                .collect(),
            entries,
        })
    }

    /// A manual correction (manager only, with a reason): positive adds a lot, negative takes
    /// from the soonest-expiring lots and never below zero.
    pub fn adjust_points(
        &self,
        session: &Session,
        member: RecordId,
        delta: i64,
        reason: &str,
    ) -> Result<i64, ServiceError> {
        let caller = self.authorize(session, Operation::AdjustPoints)?;
        let reason = sanitize_line(reason);
        if reason.is_empty() {
            return Err(ServiceError::invalid(
                "say why the points are adjusted; the reason is kept with the entry",
            ));
        }
        let policy = self.points_policy()?;
        let now = self.clock.now();
        let mut draft = caller.draft(AuditAction::PointsAdjusted);
        draft.objects = vec![member.to_string()];
        draft.fields = vec!["points".into()];
        self.write_audited(
            |writer, _| {
                writer
                    .member(member)?
                    .ok_or(ServiceError::NotFound("member"))?;
                let (wallet, _) = wallet_of(writer, member)?;
                let mut stats = stats_of(writer, member)?;
                let entry =
                    plan_adjust(&wallet, delta, &reason, now, &policy, self.entropy.as_ref())
                        .map_err(|e| ServiceError::invalid(e.to_string()))?;
                append_entries(writer, member, &mut stats, std::slice::from_ref(&entry))?;
                writer.put(MEMBER_STATS, member, &stats)?;
                writer.note_for_alerts(AlertSignal::PointsAdjusted { points: delta });
                Ok(stats.points_balance)
            },
            draft,
        )
    }

    /// Expires every lot past its date for one member, in the caller's transaction; returns
    /// the points taken. Checkout runs this first so a redemption never uses expired points.
    pub(super) fn expire_member_points(
        &self,
        writer: &mut StoreWriter,
        member: RecordId,
        stats: &mut MemberStats,
        now: DateTime<Utc>,
    ) -> Result<i64, ServiceError> {
        let (wallet, _) = wallet_of(writer, member)?;
        let entries = plan_expiry(&wallet, now, self.entropy.as_ref())
            .map_err(|e| ServiceError::invalid(e.to_string()))?;
        append_entries(writer, member, stats, &entries)?;
        Ok(entries.iter().map(|e| -e.points).sum())
    }

    /// The expiry job over every member with points (manager, or the nightly run).
    pub fn run_points_expiry(&self, session: &Session) -> Result<i64, ServiceError> {
        let caller = self.authorize(session, Operation::RunMaintenance)?;
        let now = self.clock.now();
        let members: Vec<RecordId> = {
            let reader = self.store.read()?;
            let mut ids = Vec::new();
            reader.scan_by_id(MEMBER_STATS, &mut |id, bytes| {
                let stats: MemberStats = crate::store::decode_record("member stats", bytes)?;
                if stats.points_balance > 0 {
                    ids.push(RecordId::from_u128(id));
                }
                Ok(())
            })?;
            let mut due = Vec::new();
            for member in ids {
                if wallet_of(&reader, member)?.0.points_expiring_by(now) > 0 {
                    due.push(member);
                }
            }
            due
        };
        let mut expired_total = 0;
        for member in members {
            let mut draft = caller.draft(AuditAction::PointsExpired);
            draft.objects = vec![member.to_string()];
            let expired = self.write_audited(
                |writer, _| {
                    let mut stats = stats_of(writer, member)?;
                    let expired = self.expire_member_points(writer, member, &mut stats, now)?;
                    writer.put(MEMBER_STATS, member, &stats)?;
                    Ok(expired)
                },
                draft,
            )?;
            expired_total += expired;
        }
        Ok(expired_total)
    }
}
