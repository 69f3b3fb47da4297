//! Retention runs (SPEC section 8): the members with no visit or booking for longer than the
//! shop's retention period (default 36 months), as a dry run; and, on a manager's
//! confirmation, their anonymisation — exactly like an erasure, with reason `Retention`.
//! Members who still hold an active plan, a package with washes left or a positive points
//! balance are listed apart and never anonymised by a run.

use chrono::{DateTime, Utc};

use super::erasure::ErasureReceipt;
use super::points::stats_of;
use super::{Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::domain::access::Operation;
use crate::domain::plans::{Package, Plan};
use crate::domain::retention::{KeepReason, RetentionPolicy, last_activity, reasons_to_keep};
use crate::ids::RecordId;
use crate::store::records::{BookingRecord, MemberRecord, TombstoneReason};
use crate::store::schema::{
    BOOKINGS, MEMBER_BOOKINGS, MEMBER_PACKAGES, MEMBER_PLANS, MEMBERS, META_RETENTION, PACKAGES,
    PLANS,
};
use crate::store::{ReadAccess, StoreReader, decode_record};

/// A member past the retention period: their number and when they were last active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionCandidate {
    pub member: RecordId,
    pub member_number: u64,
    pub last_activity: DateTime<Utc>,
    /// Empty for a member the run anonymises; why they are kept otherwise.
    pub kept_because: Vec<KeepReason>,
}

/// What a retention run finds (a dry run changes nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionReport {
    pub months: u32,
    /// Activity before this instant is past the period.
    pub cutoff: DateTime<Utc>,
    /// Anonymised by `--apply`, oldest activity first.
    pub due: Vec<RetentionCandidate>,
    /// Past the period but holding something of value: listed, never anonymised by a run.
    pub kept: Vec<RetentionCandidate>,
}

/// What an applied run did.
#[derive(Debug, Clone)]
pub struct RetentionOutcome {
    pub report: RetentionReport,
    pub anonymised: Vec<ErasureReceipt>,
}

impl Service {
    /// The shop's retention period (the default until a manager sets one).
    pub fn retention_policy(&self) -> Result<RetentionPolicy, ServiceError> {
        Ok(self
            .store
            .read()?
            .meta_record::<RetentionPolicy>(META_RETENTION)?
            .unwrap_or_default())
    }

    /// Sets the retention period (managers), audited as a settings change.
    pub fn set_retention_months(
        &self,
        session: &Session,
        months: u32,
    ) -> Result<RetentionPolicy, ServiceError> {
        let caller = self.authorize(session, Operation::ChangeSettings)?;
        let policy =
            RetentionPolicy::new(months).map_err(|err| ServiceError::invalid(err.to_string()))?;
        let mut draft = caller.draft(AuditAction::SettingsChanged);
        draft.fields = vec!["retention_months".to_owned()];
        self.write_audited(
            |writer, _| Ok(writer.put_meta_record(META_RETENTION, &policy)?),
            draft,
        )?;
        Ok(policy)
    }

    /// The members past the retention period, changing nothing: a manager after a fresh
    /// code. Audited as a dry run with the counts.
    pub fn retention_report(&self, session: &Session) -> Result<RetentionReport, ServiceError> {
        let caller = self.authorize(session, Operation::RunRetention)?;
        let report = self.find_retention(&self.store.read()?)?;
        let mut draft = caller.draft(AuditAction::RetentionRun);
        draft.detail = Some(format!(
            "dry run, {} months: {} due, {} kept",
            report.months,
            report.due.len(),
            report.kept.len()
        ));
        self.audit_alone(draft)?;
        Ok(report)
    }

    /// How many members a retention run would anonymise now, for the manager's end-of-day
    /// screen (a count, nothing personal, so no fresh code is needed).
    pub fn retention_due_count(&self, session: &Session) -> Result<usize, ServiceError> {
        self.authorize(session, Operation::ViewStaff)?;
        Ok(self.find_retention(&self.store.read()?)?.due.len())
    }

    /// Anonymises every member due (not those kept), each exactly like an erasure with
    /// reason `Retention` and its own audit entry, then audits the run's counts.
    pub fn apply_retention(&self, session: &Session) -> Result<RetentionOutcome, ServiceError> {
        let caller = self.authorize(session, Operation::RunRetention)?;
        let report = self.find_retention(&self.store.read()?)?;
        let mut anonymised = Vec::with_capacity(report.due.len());
        for candidate in &report.due {
            // Looked at again inside the erasure's own transaction would be best; a member
            // seen meanwhile is caught on the next run's dry list instead.
            match self.erase_as(&caller, candidate.member, TombstoneReason::Retention) {
                Ok(receipt) => anonymised.push(receipt),
                Err(ServiceError::NotFound(_)) => {}
                Err(other) => return Err(other),
            }
        }
        if !anonymised.is_empty() {
            // The first anonymisation dropped the saved name index; save it once, without
            // them (best effort: without it the next unlock rebuilds from the members).
            let _ = self.save_name_index();
        }
        let mut draft = caller.draft(AuditAction::RetentionRun);
        draft.detail = Some(format!(
            "applied, {} months: {} anonymised, {} kept",
            report.months,
            anonymised.len(),
            report.kept.len()
        ));
        self.audit_alone(draft)?;
        Ok(RetentionOutcome { report, anonymised })
    }

    fn find_retention(&self, reader: &StoreReader) -> Result<RetentionReport, ServiceError> {
        let policy: RetentionPolicy = reader.meta_record(META_RETENTION)?.unwrap_or_default();
        let now = self.clock.now();
        let today = self.today();
        let cutoff = policy.cutoff(now);
        let mut members: Vec<MemberRecord> = Vec::new();
        reader.scan_by_id(MEMBERS, &mut |_, bytes| {
            let member: MemberRecord = decode_record("member", bytes)?;
            // A member created after the cutoff cannot be due; skip their other reads.
            if member.created_at < cutoff {
                members.push(member);
            }
            Ok(())
        })?;
        let mut due = Vec::new();
        let mut kept = Vec::new();
        for member in members {
            let stats = stats_of(reader, member.id)?;
            let bookings: Vec<BookingRecord> =
                reader.get_linked(MEMBER_BOOKINGS, BOOKINGS, member.id, "booking")?;
            let seen = last_activity(
                member.created_at,
                stats.last_visit_at,
                bookings.iter().map(|b| b.start),
            );
            if !policy.is_due(seen, now) {
                continue;
            }
            let plans: Vec<Plan> = reader.get_linked(MEMBER_PLANS, PLANS, member.id, "plan")?;
            let packages: Vec<Package> =
                reader.get_linked(MEMBER_PACKAGES, PACKAGES, member.id, "package")?;
            let reasons = reasons_to_keep(&plans, &packages, stats.points_balance, today);
            let candidate = RetentionCandidate {
                member: member.id,
                member_number: member.member_number,
                last_activity: seen,
                kept_because: reasons,
            };
            if candidate.kept_because.is_empty() {
                due.push(candidate);
            } else {
                kept.push(candidate);
            }
        }
        due.sort_by_key(|c| (c.last_activity, c.member_number));
        kept.sort_by_key(|c| (c.last_activity, c.member_number));
        Ok(RetentionReport {
            months: policy.months,
            cutoff,
            due,
            kept,
        })
    }
}
