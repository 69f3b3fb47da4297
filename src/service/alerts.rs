//! Anomaly alerts for managers: the list, the audit entries behind one alert, acknowledging
//! with a note, the rules' thresholds, and alerts the application raises itself (backups, the
//! audit chain). Rules are evaluated by the store as each audit entry is written.

use chrono::{DateTime, Utc};

use super::audit_log::{AuditEntryView, view_of};
use super::{Service, ServiceError, Session, system_draft};
use crate::audit::{AuditAction, Origin, Outcome, decode};
use crate::domain::access::{Operation, Rule};
use crate::domain::alerts::{AlertRule, AlertThresholds};
use crate::domain::sanitize_line;
use crate::store::alerts::{AlertAck, AlertReads, NewAlert};
use crate::store::{ReadAccess, Store, StoreError};

pub use crate::store::alerts::{AlertCounts, AlertRecord as AlertView};

/// Most alerts one listing returns.
pub const ALERT_LIST_LIMIT: usize = 500;
/// Longest acknowledgement note kept, in characters.
pub const ALERT_NOTE_MAX: usize = 300;

/// What a system alert says beyond its rule: a short non-personal reason, such as the backup
/// folder and the error, or the chain problem `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertDetail {
    pub reason: String,
}

impl AlertDetail {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

impl Service {
    /// Open alerts newest first, or every alert with `all` (manager).
    pub fn alerts(&self, session: &Session, all: bool) -> Result<Vec<AlertView>, ServiceError> {
        self.authorize(session, Operation::ViewAlerts)?;
        Ok(self.store.read()?.alerts(all, ALERT_LIST_LIMIT)?)
    }

    /// The audit entries an alert links to, oldest first (manager).
    pub fn alert_entries(
        &self,
        session: &Session,
        number: u64,
    ) -> Result<Vec<AuditEntryView>, ServiceError> {
        self.authorize(session, Operation::ViewAlerts)?;
        let reader = self.store.read()?;
        let alert = reader
            .alert(number)?
            .ok_or(ServiceError::NotFound("alert"))?;
        let mut entries = Vec::with_capacity(alert.audit_seqs.len());
        for seq in alert.audit_seqs {
            let mut found = None;
            reader.scan_audit(seq, &mut |at, bytes| {
                if at == seq {
                    found = decode(bytes).ok();
                }
                false
            })?;
            if let Some(entry) = found {
                entries.push(view_of(&entry));
            }
        }
        Ok(entries)
    }

    /// Acknowledges an open alert with a note saying what was found or done (manager). The
    /// acknowledgement is audited; the note is kept with the alert, not in the log.
    pub fn acknowledge_alert(
        &self,
        session: &Session,
        number: u64,
        note: &str,
    ) -> Result<AlertView, ServiceError> {
        let caller = self.authorize(session, Operation::AcknowledgeAlert)?;
        let note: String = sanitize_line(note).chars().take(ALERT_NOTE_MAX).collect();
        if note.is_empty() {
            return Err(ServiceError::invalid(
                "write a short note saying what you found or did; it is kept with the alert",
            ));
        }
        let now = self.clock.now();
        let mut draft = caller.draft(AuditAction::AlertAcknowledged);
        draft.objects = vec![format!("alert {number}")];
        draft.fields = vec!["note".to_owned()];
        self.write_audited(
            |writer, draft| {
                let current = writer
                    .alert(number)?
                    .ok_or(ServiceError::NotFound("alert"))?;
                if current.acknowledged.is_some() {
                    return Err(ServiceError::invalid(format!(
                        "alert {number} is already acknowledged; list all alerts to see the note"
                    )));
                }
                draft.add_detail(format!("rule: {}", current.rule));
                let ack = AlertAck {
                    by: caller.staff_id,
                    username: caller.username.clone(),
                    at: now,
                    note,
                };
                writer
                    .acknowledge_alert(number, ack)?
                    .ok_or(ServiceError::NotFound("alert"))
            },
            draft,
        )
    }

    /// The open-alert count for a manager's status bar; `None` for a cashier (who never sees
    /// alerts) or a session that is gone. One small read: front ends call it on every tick.
    pub fn alert_badge(&self, session: &Session) -> Option<AlertCounts> {
        let record = self.sessions.get(session)?;
        // A session that may only finish enrolling or change its password sees no alerts yet.
        if record.enrolment.is_some()
            || record.must_change_password
            || Operation::ViewAlerts.rule_for(record.role) != Rule::Allowed
        {
            return None;
        }
        self.store.read().ok()?.alert_counts().ok()
    }

    /// The alert rules' thresholds (manager).
    pub fn alert_thresholds(&self, session: &Session) -> Result<AlertThresholds, ServiceError> {
        self.authorize(session, Operation::ViewAlerts)?;
        Ok(self.store.read()?.alert_thresholds()?)
    }

    /// Changes the alert rules' thresholds (manager, audited with the names of the ones that
    /// changed).
    pub fn set_alert_thresholds(
        &self,
        session: &Session,
        thresholds: AlertThresholds,
    ) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::ChangeSettings)?;
        thresholds
            .validate()
            .map_err(|err| ServiceError::invalid(err.to_string()))?;
        let current = self.store.read()?.alert_thresholds()?;
        let changed = changed_thresholds(&current, &thresholds);
        if changed.is_empty() {
            return Ok(());
        }
        let mut draft = caller.draft(AuditAction::SettingsChanged);
        draft.objects = vec!["alert_rules".to_owned()];
        draft.fields = changed.iter().map(|name| (*name).to_owned()).collect();
        self.write_audited(
            |writer, _| Ok(writer.put_alert_thresholds(&thresholds)?),
            draft,
        )
    }

    /// Raises an alert from the application itself (no staff member): a backup overdue or
    /// failed, or an audit chain that did not verify. Audited in the same transaction, and
    /// linked to that entry. Returns the alert's number.
    pub fn raise_system_alert(
        &self,
        rule: AlertRule,
        detail: AlertDetail,
    ) -> Result<u64, ServiceError> {
        Ok(raise_system_alert_in(
            &self.store,
            self.clock.now(),
            Origin::Local,
            rule,
            detail,
        )?)
    }
}

/// [`Service::raise_system_alert`] for commands that have a store but no service, such as
/// `frontdesk verify`.
pub fn raise_system_alert_in(
    store: &Store,
    now: DateTime<Utc>,
    origin: Origin,
    rule: AlertRule,
    detail: AlertDetail,
) -> Result<u64, StoreError> {
    if !rule.is_system() {
        return Err(StoreError::Io(format!(
            "`{rule}` is raised by the rules as staff work, not by the application"
        )));
    }
    let reason: String = sanitize_line(&detail.reason).chars().take(200).collect();
    let mut draft = system_draft(origin, AuditAction::AlertRaised);
    draft.objects = vec![rule.as_str().to_owned()];
    draft.outcome = Outcome::Failed;
    if !reason.is_empty() {
        draft.detail = Some(reason.clone());
    }
    let mut writer = store.write()?;
    let entry = writer.append_audit(draft, now)?;
    let number = writer.raise_alert(
        NewAlert {
            rule,
            staff: None,
            subject: (!reason.is_empty()).then_some(reason),
            count: 1,
            amount: None,
            audit_seqs: vec![entry.seq],
        },
        now,
    )?;
    writer.commit()?;
    Ok(number)
}

/// The names of the thresholds that differ, for the audit entry.
fn changed_thresholds(old: &AlertThresholds, new: &AlertThresholds) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut check = |differs: bool, name: &'static str| {
        if differs {
            changed.push(name);
        }
    };
    check(old.access_count != new.access_count, "access_count");
    check(
        old.access_window_minutes != new.access_window_minutes,
        "access_window_minutes",
    );
    check(
        old.points_adjustment != new.points_adjustment,
        "points_adjustment",
    );
    check(
        old.shift_adjustment_count != new.shift_adjustment_count,
        "shift_adjustment_count",
    );
    check(
        old.shift_adjustment_minor != new.shift_adjustment_minor,
        "shift_adjustment_amount",
    );
    check(old.off_list_sales != new.off_list_sales, "off_list_sales");
    check(old.outside_hours != new.outside_hours, "outside_hours");
    check(
        old.outside_hours_grace_minutes != new.outside_hours_grace_minutes,
        "outside_hours_grace_minutes",
    );
    check(
        old.failed_login_count != new.failed_login_count,
        "failed_login_count",
    );
    check(
        old.failed_login_window_minutes != new.failed_login_window_minutes,
        "failed_login_window_minutes",
    );
    changed
}
