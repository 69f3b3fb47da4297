//! Anomaly alerts as stored: the alert rows, the small per-rule state, and the evaluation that
//! runs inside every write transaction that appends an audit entry, so an alert commits with
//! the event that raised it. The rules themselves are in [`crate::domain::alerts`].

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use redb::{ReadableTable, TableHandle};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::codec::{decode, encode};
use super::postgres::tables as pgt;
use super::records::ScheduleSettings;
use super::schema::{ALERT_STATE, ALERTS, META_ALERT_COUNTS, META_ALERT_RULES, META_SCHEDULE};
use super::transactions::{Engine, ReadAccess, StoreReader, StoreWriter};
use crate::audit::{Actor, AuditAction, AuditEntry, Origin, Outcome};
use crate::domain::alerts::{
    AlertRule, AlertSignal, AlertThresholds, MAX_LINKED_ENTRIES, ShiftTally, SlidingWindow,
    peer_address,
};
use crate::domain::schedule::is_open_around;
use crate::ids::RecordId;

/// One raised alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRecord {
    /// 1, 2, … in the order raised; also the row key.
    pub number: u64,
    pub rule: AlertRule,
    pub raised_at: DateTime<Utc>,
    /// The staff member whose actions raised it, if any.
    pub staff: Option<RecordId>,
    pub username: Option<String>,
    /// What else it is about, never personal: an SSH address, or for a system alert the
    /// reason given (a backup folder, a chain problem).
    pub subject: Option<String>,
    /// How many events, and how much money or how many points, lie behind it.
    pub count: u32,
    pub amount: Option<i64>,
    /// The audit entries behind it, oldest first.
    pub audit_seqs: Vec<u64>,
    pub acknowledged: Option<AlertAck>,
}

/// A manager's acknowledgement, with the note they wrote (sanitised by the service).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertAck {
    pub by: RecordId,
    pub username: String,
    pub at: DateTime<Utc>,
    pub note: String,
}

/// The cheap counters every manager's screen polls: open alerts, and the newest number (so a
/// list on screen knows it is stale even when the open count is unchanged).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertCounts {
    pub open: u64,
    pub last_number: u64,
    /// Bumped by every raise and acknowledgement.
    pub changes: u64,
}

/// An alert about to be raised; the number and time are filled in by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    pub rule: AlertRule,
    pub staff: Option<(RecordId, String)>,
    pub subject: Option<String>,
    pub count: u32,
    pub amount: Option<i64>,
    pub audit_seqs: Vec<u64>,
}

/// Reads of alerts that both transaction kinds serve.
pub trait AlertReads {
    fn alert_counts(&self) -> Result<AlertCounts, StoreError>;
    fn alert_thresholds(&self) -> Result<AlertThresholds, StoreError>;
    fn alert(&self, number: u64) -> Result<Option<AlertRecord>, StoreError>;
    /// Alerts newest first, open ones only unless `all`; at most `limit`.
    fn alerts(&self, all: bool, limit: usize) -> Result<Vec<AlertRecord>, StoreError>;
}

macro_rules! impl_alert_reads {
    ($transaction:ty) => {
        impl AlertReads for $transaction {
            fn alert_counts(&self) -> Result<AlertCounts, StoreError> {
                Ok(self.meta_record(META_ALERT_COUNTS)?.unwrap_or_default())
            }

            fn alert_thresholds(&self) -> Result<AlertThresholds, StoreError> {
                Ok(self.meta_record(META_ALERT_RULES)?.unwrap_or_default())
            }

            fn alert(&self, number: u64) -> Result<Option<AlertRecord>, StoreError> {
                let bytes = match self.engine() {
                    Engine::Redb(tx) => {
                        let table = tx.open_table(ALERTS)?;
                        table.get(number)?.map(|value| value.value().to_vec())
                    }
                    Engine::Postgres(pg) => pg.get(ALERTS.name(), &pgt::u64_key(number))?,
                };
                bytes.map(|bytes| decode("alert", &bytes)).transpose()
            }

            fn alerts(&self, all: bool, limit: usize) -> Result<Vec<AlertRecord>, StoreError> {
                let mut found = Vec::new();
                // Newest first; acknowledged ones are passed over when only open ones are
                // asked for (a shop acknowledges a handful a week).
                let mut keep = |value: &[u8]| -> Result<bool, StoreError> {
                    if found.len() >= limit {
                        return Ok(false);
                    }
                    let record: AlertRecord = decode("alert", value)?;
                    if all || record.acknowledged.is_none() {
                        found.push(record);
                    }
                    Ok(found.len() < limit)
                };
                match self.engine() {
                    Engine::Redb(tx) => {
                        let table = tx.open_table(ALERTS)?;
                        for item in table.iter()?.rev() {
                            let (_, value) = item?;
                            if !keep(value.value())? {
                                break;
                            }
                        }
                    }
                    Engine::Postgres(pg) => {
                        pg.scan(ALERTS.name(), None, None, true, &mut |_, value| keep(value))?
                    }
                }
                Ok(found)
            }
        }
    };
}

impl_alert_reads!(StoreReader);
impl_alert_reads!(StoreWriter);

impl StoreWriter {
    /// Keeps a fact about the change being written for the rules to see when its audit entry
    /// is appended (amounts and the like that the entry itself does not carry).
    pub fn note_for_alerts(&mut self, signal: AlertSignal) {
        self.alert_signals.push(signal);
    }

    pub fn put_alert_thresholds(&mut self, thresholds: &AlertThresholds) -> Result<(), StoreError> {
        self.put_meta_record(META_ALERT_RULES, thresholds)
    }

    /// Inserts a new alert row and counts it open; returns its number.
    pub fn raise_alert(&mut self, alert: NewAlert, at: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut counts = self.alert_counts()?;
        counts.last_number += 1;
        counts.open += 1;
        counts.changes += 1;
        let (staff, username) = match alert.staff {
            Some((id, name)) => (Some(id), Some(name)),
            None => (None, None),
        };
        let mut audit_seqs = alert.audit_seqs;
        audit_seqs.truncate(MAX_LINKED_ENTRIES);
        let record = AlertRecord {
            number: counts.last_number,
            rule: alert.rule,
            raised_at: at,
            staff,
            username,
            subject: alert.subject,
            count: alert.count,
            amount: alert.amount,
            audit_seqs,
            acknowledged: None,
        };
        self.put_alert(&record)?;
        self.put_meta_record(META_ALERT_COUNTS, &counts)?;
        Ok(record.number)
    }

    /// Marks an open alert acknowledged; `Ok(None)` when there is no such alert, and the
    /// record unchanged when it was already acknowledged.
    pub fn acknowledge_alert(
        &mut self,
        number: u64,
        ack: AlertAck,
    ) -> Result<Option<AlertRecord>, StoreError> {
        let Some(mut record) = self.alert(number)? else {
            return Ok(None);
        };
        if record.acknowledged.is_some() {
            return Ok(Some(record));
        }
        record.acknowledged = Some(ack);
        self.put_alert(&record)?;
        let mut counts = self.alert_counts()?;
        counts.open = counts.open.saturating_sub(1);
        counts.changes += 1;
        self.put_meta_record(META_ALERT_COUNTS, &counts)?;
        Ok(Some(record))
    }

    fn put_alert(&mut self, record: &AlertRecord) -> Result<(), StoreError> {
        let bytes = encode(record)?;
        self.put_by_number(ALERTS, record.number, &bytes)
    }

    fn alert_state<T: for<'de> Deserialize<'de> + Default>(
        &self,
        key: &str,
    ) -> Result<T, StoreError> {
        Ok(self
            .bytes_by_name(ALERT_STATE, key)?
            .map(|bytes| decode("alert state", &bytes))
            .transpose()?
            .unwrap_or_default())
    }

    fn put_alert_state<T: Serialize>(&mut self, key: &str, state: &T) -> Result<(), StoreError> {
        let bytes = encode(state)?;
        self.put_named(ALERT_STATE, key, &bytes)
    }

    fn drop_alert_state(&mut self, key: &str) -> Result<(), StoreError> {
        self.remove_named(ALERT_STATE, key)
    }

    /// Runs the rules over one newly sealed entry, with what the service noted for it.
    pub(super) fn evaluate_alerts(&mut self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut signals = std::mem::take(&mut self.alert_signals);
        signals.extend(signals_of(entry));
        if signals.is_empty() {
            return Ok(());
        }
        let rules = self.alert_thresholds()?;
        let staff = match &entry.actor {
            Actor::Staff { staff_id, username } => Some((*staff_id, username.clone())),
            _ => None,
        };
        for signal in signals {
            self.apply_signal(entry, staff.clone(), &rules, signal)?;
        }
        Ok(())
    }

    /// Advances one window; raises when it fires.
    fn window_hit(
        &mut self,
        key: &str,
        entry: &AuditEntry,
        limit: u32,
        window: chrono::TimeDelta,
    ) -> Result<Option<Vec<u64>>, StoreError> {
        let mut state: SlidingWindow = self.alert_state(key)?;
        let fired = state.hit(entry.at, entry.seq, limit, window);
        self.put_alert_state(key, &state)?;
        Ok(fired)
    }

    fn apply_signal(
        &mut self,
        entry: &AuditEntry,
        staff: Option<(RecordId, String)>,
        rules: &AlertThresholds,
        signal: AlertSignal,
    ) -> Result<(), StoreError> {
        let at = entry.at;
        let alert = |rule, seqs: Vec<u64>| NewAlert {
            rule,
            staff: staff.clone(),
            subject: None,
            count: u32::try_from(seqs.len()).unwrap_or(u32::MAX),
            amount: None,
            audit_seqs: seqs,
        };
        let staff_key = staff.as_ref().map(|(id, _)| id.to_string());
        match signal {
            AlertSignal::RecordAccess => {
                let Some(key) = staff_key else { return Ok(()) };
                if let Some(seqs) = self.window_hit(
                    &format!("access:{key}"),
                    entry,
                    rules.access_count,
                    rules.access_window(),
                )? {
                    self.raise_alert(alert(AlertRule::RecordAccessBurst, seqs), at)?;
                }
            }
            AlertSignal::FailedLogin { account, address } => {
                if let Some(account) = account
                    && let Some(seqs) = self.window_hit(
                        &format!("failed_account:{account}"),
                        entry,
                        rules.failed_login_count,
                        rules.failed_login_window(),
                    )?
                {
                    let mut new = alert(AlertRule::FailedLoginsForAccount, seqs);
                    new.subject = Some(account);
                    self.raise_alert(new, at)?;
                }
                if let Some(address) = address
                    && let Some(seqs) = self.window_hit(
                        &format!("failed_address:{address}"),
                        entry,
                        rules.failed_login_count,
                        rules.failed_login_window(),
                    )?
                {
                    let mut new = alert(AlertRule::FailedLoginsFromAddress, seqs);
                    new.staff = None;
                    new.subject = Some(address);
                    self.raise_alert(new, at)?;
                }
            }
            AlertSignal::LoginSucceeded => {
                let Some(key) = staff_key else { return Ok(()) };
                if !rules.outside_hours || self.shop_open_around(at, rules)? {
                    return Ok(());
                }
                // One alert per staff member per stretch of grace, however often they log in.
                let window = rules.outside_hours_grace().max(chrono::TimeDelta::hours(1));
                if let Some(seqs) = self.window_hit(&format!("hours:{key}"), entry, 1, window)? {
                    self.raise_alert(alert(AlertRule::LoginOutsideHours, seqs), at)?;
                }
            }
            AlertSignal::PointsAdjusted { points } => {
                let limit = i64::from(rules.points_adjustment);
                if limit > 0 && points.saturating_abs() > limit {
                    let mut new = alert(AlertRule::LargePointsAdjustment, vec![entry.seq]);
                    new.amount = Some(points);
                    self.raise_alert(new, at)?;
                }
            }
            AlertSignal::ShiftAdjustment { amount_minor } => {
                let Some((staff_id, _)) = &staff else {
                    return Ok(());
                };
                let key = match self.open_shift_id(*staff_id)? {
                    Some(shift) => format!("shift:{shift}"),
                    None => format!("day:{staff_id}:{}", self.local_date(at)?),
                };
                let mut tally: ShiftTally = self.alert_state(&key)?;
                let fired = tally.add(
                    entry.seq,
                    amount_minor,
                    rules.shift_adjustment_count,
                    rules.shift_adjustment_minor,
                );
                self.put_alert_state(&key, &tally)?;
                if let Some(seqs) = fired {
                    let mut new = alert(AlertRule::ShiftAdjustments, seqs);
                    new.count = tally.count;
                    new.amount = Some(tally.amount_minor);
                    self.raise_alert(new, at)?;
                }
            }
            AlertSignal::OffListSale => {
                if rules.off_list_sales {
                    self.raise_alert(alert(AlertRule::OffListSale, vec![entry.seq]), at)?;
                }
            }
            AlertSignal::SshKeyMissing => {
                let key = staff_key.unwrap_or_default();
                let window = rules.failed_login_window();
                if let Some(seqs) = self.window_hit(&format!("ssh_key:{key}"), entry, 1, window)? {
                    let mut new = alert(AlertRule::SshKeyMissing, seqs);
                    new.subject = match &entry.origin {
                        Origin::Ssh { peer } => Some(peer_address(peer)),
                        _ => None,
                    };
                    self.raise_alert(new, at)?;
                }
            }
            AlertSignal::ShiftClosed => {
                if let Some(shift) = entry.objects.first() {
                    self.drop_alert_state(&format!("shift:{shift}"))?;
                }
            }
        }
        Ok(())
    }

    fn shop_zone(&self) -> Result<Tz, StoreError> {
        Ok(self
            .settings()?
            .and_then(|settings| settings.timezone.parse().ok())
            .unwrap_or(chrono_tz::UTC))
    }

    fn local_date(&self, at: DateTime<Utc>) -> Result<chrono::NaiveDate, StoreError> {
        Ok(at.with_timezone(&self.shop_zone()?).date_naive())
    }

    fn shop_open_around(
        &self,
        at: DateTime<Utc>,
        rules: &AlertThresholds,
    ) -> Result<bool, StoreError> {
        let schedule: ScheduleSettings = self.meta_record(META_SCHEDULE)?.unwrap_or_default();
        Ok(is_open_around(
            &schedule.hours,
            &schedule.closures,
            self.shop_zone()?,
            at,
            rules.outside_hours_grace(),
        ))
    }
}

/// What an entry means for the rules by its action alone.
fn signals_of(entry: &AuditEntry) -> Vec<AlertSignal> {
    let address = match &entry.origin {
        Origin::Ssh { peer } => Some(peer_address(peer)),
        _ => None,
    };
    match (entry.action, entry.outcome) {
        (AuditAction::MemberOpened | AuditAction::MemberExported, Outcome::Ok) => {
            vec![AlertSignal::RecordAccess]
        }
        (AuditAction::LoginFailed | AuditAction::LoginThrottled, _) => {
            let account = match &entry.actor {
                Actor::Staff { username, .. } => Some(username.clone()),
                _ => None,
            };
            vec![AlertSignal::FailedLogin { account, address }]
        }
        (AuditAction::LoginSucceeded, Outcome::Ok) => vec![AlertSignal::LoginSucceeded],
        (AuditAction::ShiftClosed, Outcome::Ok) => vec![AlertSignal::ShiftClosed],
        _ => Vec::new(),
    }
}
