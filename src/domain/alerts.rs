//! Anomaly alerts: the rules, their thresholds, and the small per-rule state they keep
//! (sliding windows per staff member, account or address; tallies per shift). Pure: the store
//! feeds each audit event through these as it is written and keeps the state beside it.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// What an alert is about. Stored by its code, so variants may be added or reordered freely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertRule {
    /// Many member records opened or exported by one staff member in a short time.
    RecordAccessBurst,
    /// A manual points adjustment larger than the threshold, either way.
    LargePointsAdjustment,
    /// Voids, refunds and discounts in one shift above a count or an amount.
    ShiftAdjustments,
    /// A plan or package sold at a price other than the price list's.
    OffListSale,
    /// A staff login while the shop is closed (beyond the grace either side of opening hours).
    LoginOutsideHours,
    /// Repeated failed logins for one account.
    FailedLoginsForAccount,
    /// Repeated failed logins from one SSH address.
    FailedLoginsFromAddress,
    /// A login over SSH refused because the account requires a key and none listed was proven.
    SshKeyMissing,
    /// No backup has been made for longer than the schedule allows.
    BackupOverdue,
    /// A backup run failed.
    BackupFailed,
    /// The audit hash chain did not verify.
    AuditChainCheckFailed,
}

impl AlertRule {
    pub const ALL: &'static [AlertRule] = &[
        AlertRule::RecordAccessBurst,
        AlertRule::LargePointsAdjustment,
        AlertRule::ShiftAdjustments,
        AlertRule::OffListSale,
        AlertRule::LoginOutsideHours,
        AlertRule::FailedLoginsForAccount,
        AlertRule::FailedLoginsFromAddress,
        AlertRule::SshKeyMissing,
        AlertRule::BackupOverdue,
        AlertRule::BackupFailed,
        AlertRule::AuditChainCheckFailed,
    ];

    /// The stable code stored and printed for scripts.
    pub const fn as_str(self) -> &'static str {
        match self {
            AlertRule::RecordAccessBurst => "record_access_burst",
            AlertRule::LargePointsAdjustment => "large_points_adjustment",
            AlertRule::ShiftAdjustments => "shift_adjustments",
            AlertRule::OffListSale => "off_list_sale",
            AlertRule::LoginOutsideHours => "login_outside_hours",
            AlertRule::FailedLoginsForAccount => "failed_logins_account",
            AlertRule::FailedLoginsFromAddress => "failed_logins_address",
            AlertRule::SshKeyMissing => "ssh_key_missing",
            AlertRule::BackupOverdue => "backup_overdue",
            AlertRule::BackupFailed => "backup_failed",
            AlertRule::AuditChainCheckFailed => "audit_chain_failed",
        }
    }

    /// A short English title; front ends translate it.
    pub const fn title(self) -> &'static str {
        match self {
            AlertRule::RecordAccessBurst => "Many records opened",
            AlertRule::LargePointsAdjustment => "Large points adjustment",
            AlertRule::ShiftAdjustments => "Voids/refunds/discounts",
            AlertRule::OffListSale => "Sold off the price list",
            AlertRule::LoginOutsideHours => "Login outside hours",
            AlertRule::FailedLoginsForAccount => "Repeated failed logins",
            AlertRule::FailedLoginsFromAddress => "Failed logins from an IP",
            AlertRule::SshKeyMissing => "Required SSH key missing",
            AlertRule::BackupOverdue => "Backup overdue",
            AlertRule::BackupFailed => "Backup failed",
            AlertRule::AuditChainCheckFailed => "Audit chain check failed",
        }
    }

    /// Rules raised by the application itself rather than by a staff member's actions.
    pub const fn is_system(self) -> bool {
        matches!(
            self,
            AlertRule::BackupOverdue | AlertRule::BackupFailed | AlertRule::AuditChainCheckFailed
        )
    }
}

impl std::fmt::Display for AlertRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a known alert rule")]
pub struct UnknownAlertRule(String);

impl std::str::FromStr for AlertRule {
    type Err = UnknownAlertRule;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        AlertRule::ALL
            .iter()
            .copied()
            .find(|rule| rule.as_str() == text.trim())
            .ok_or_else(|| UnknownAlertRule(text.chars().take(40).collect()))
    }
}

impl Serialize for AlertRule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AlertRule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        code.parse().map_err(serde::de::Error::custom)
    }
}

/// The rules' thresholds, a manager's setting. A count or size of 0 turns its rule off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertThresholds {
    /// Record openings or exports by one staff member within `access_window_minutes`.
    pub access_count: u32,
    pub access_window_minutes: u32,
    /// A manual points adjustment of more than this many points (either way).
    pub points_adjustment: u32,
    /// Voids, refunds and discounts in one shift: more than this many…
    pub shift_adjustment_count: u32,
    /// …or more than this much money in total (minor units of the shop's currency).
    pub shift_adjustment_minor: i64,
    /// Whether any plan or package sold off the price list raises an alert.
    pub off_list_sales: bool,
    /// Whether logins while the shop is closed raise an alert, and the minutes either side of
    /// opening hours that still count as open.
    pub outside_hours: bool,
    pub outside_hours_grace_minutes: u32,
    /// Failed logins for one account, or from one SSH address, within the window.
    pub failed_login_count: u32,
    pub failed_login_window_minutes: u32,
}

impl Default for AlertThresholds {
    fn default() -> Self {
        Self {
            access_count: 30,
            access_window_minutes: 10,
            points_adjustment: 1_000,
            shift_adjustment_count: 5,
            shift_adjustment_minor: 20_000,
            off_list_sales: true,
            outside_hours: true,
            outside_hours_grace_minutes: 60,
            failed_login_count: 5,
            failed_login_window_minutes: 15,
        }
    }
}

/// Why a threshold setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    #[error("{what} must be between {min} and {max}")]
    OutOfRange {
        what: &'static str,
        min: i64,
        max: i64,
    },
}

impl AlertThresholds {
    /// Keeps every window and count within what the stored state is sized for.
    pub fn validate(&self) -> Result<(), ThresholdError> {
        let checks: [(&'static str, i64, i64, i64); 8] = [
            ("record openings", i64::from(self.access_count), 0, 500),
            (
                "the record-openings window (minutes)",
                i64::from(self.access_window_minutes),
                1,
                24 * 60,
            ),
            (
                "the points adjustment size",
                i64::from(self.points_adjustment),
                0,
                10_000_000,
            ),
            (
                "voids, refunds and discounts per shift",
                i64::from(self.shift_adjustment_count),
                0,
                500,
            ),
            (
                "the amount per shift",
                self.shift_adjustment_minor,
                0,
                1_000_000_000,
            ),
            (
                "the grace around opening hours (minutes)",
                i64::from(self.outside_hours_grace_minutes),
                0,
                12 * 60,
            ),
            ("failed logins", i64::from(self.failed_login_count), 0, 500),
            (
                "the failed-login window (minutes)",
                i64::from(self.failed_login_window_minutes),
                1,
                24 * 60,
            ),
        ];
        for (what, value, min, max) in checks {
            if !(min..=max).contains(&value) {
                return Err(ThresholdError::OutOfRange { what, min, max });
            }
        }
        Ok(())
    }

    pub fn access_window(&self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.access_window_minutes))
    }

    pub fn failed_login_window(&self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.failed_login_window_minutes))
    }

    pub fn outside_hours_grace(&self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.outside_hours_grace_minutes))
    }
}

/// Recent events of one kind for one key (a staff member, an account, an address): fires once
/// when `limit` of them fall within the window, then stays quiet for a window's length.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlidingWindow {
    /// (time, audit sequence number), oldest first; at most `limit` kept.
    hits: Vec<(DateTime<Utc>, u64)>,
    quiet_until: Option<DateTime<Utc>>,
}

impl SlidingWindow {
    /// Records one event; returns the audit entries behind the alert when this one crosses the
    /// threshold. A `limit` of 0 never fires.
    pub fn hit(
        &mut self,
        at: DateTime<Utc>,
        seq: u64,
        limit: u32,
        window: TimeDelta,
    ) -> Option<Vec<u64>> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        self.hits.retain(|(when, _)| *when > at - window);
        self.hits.push((at, seq));
        if self.hits.len() > limit.max(1) {
            let excess = self.hits.len() - limit.max(1);
            self.hits.drain(..excess);
        }
        let quiet = self.quiet_until.is_some_and(|until| at < until);
        if limit == 0 || quiet || self.hits.len() < limit {
            return None;
        }
        self.quiet_until = Some(at + window);
        Some(self.hits.iter().map(|(_, seq)| *seq).collect())
    }

    /// Whether nothing in it can matter any more at `now` (so its row may be dropped).
    pub fn is_stale(&self, now: DateTime<Utc>, window: TimeDelta) -> bool {
        self.hits.iter().all(|(when, _)| *when <= now - window)
            && self.quiet_until.is_none_or(|until| until <= now)
    }
}

/// Most audit entries an alert links to; the rest are found by time and staff member.
pub const MAX_LINKED_ENTRIES: usize = 50;

/// Voids, refunds and discounts in one shift; fires once per shift.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftTally {
    pub count: u32,
    pub amount_minor: i64,
    seqs: Vec<u64>,
    fired: bool,
}

impl ShiftTally {
    /// Adds one adjustment of `amount_minor`; returns the entries behind the alert when the
    /// count or the amount first goes above its threshold (0 turns that half off).
    pub fn add(
        &mut self,
        seq: u64,
        amount_minor: i64,
        count_limit: u32,
        amount_limit: i64,
    ) -> Option<Vec<u64>> {
        self.count = self.count.saturating_add(1);
        self.amount_minor = self
            .amount_minor
            .saturating_add(amount_minor.saturating_abs());
        if self.seqs.len() < MAX_LINKED_ENTRIES {
            self.seqs.push(seq);
        }
        let over_count = count_limit > 0 && self.count > count_limit;
        let over_amount = amount_limit > 0 && self.amount_minor > amount_limit;
        if self.fired || !(over_count || over_amount) {
            return None;
        }
        self.fired = true;
        Some(self.seqs.clone())
    }
}

/// What one audit event means for the rules; the store derives it from the entry and from
/// facts the service noted in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertSignal {
    /// A member record opened or exported.
    RecordAccess,
    /// A failed or throttled login; `address` is the SSH peer's IP without its port.
    FailedLogin {
        account: Option<String>,
        address: Option<String>,
    },
    LoginSucceeded,
    PointsAdjusted {
        points: i64,
    },
    /// A void, refund or discount of this much money.
    ShiftAdjustment {
        amount_minor: i64,
    },
    OffListSale,
    SshKeyMissing,
    ShiftClosed,
}

/// The IP of an SSH peer written as `ip:port` (`[v6]:port` for IPv6), so every connection
/// from one machine counts together.
pub fn peer_address(peer: &str) -> String {
    if let Some(rest) = peer.strip_prefix('[')
        && let Some((ip, _)) = rest.split_once(']')
    {
        return ip.to_owned();
    }
    match peer.rsplit_once(':') {
        Some((ip, port)) if !ip.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            ip.to_owned()
        }
        _ => peer.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap() + TimeDelta::minutes(minute)
    }

    #[test]
    fn a_window_fires_once_when_the_limit_falls_inside_it() {
        let mut window = SlidingWindow::default();
        let ten = TimeDelta::minutes(10);
        for seq in 1..=2 {
            assert_eq!(window.hit(at(seq as i64), seq, 3, ten), None);
        }
        assert_eq!(window.hit(at(3), 3, 3, ten), Some(vec![1, 2, 3]));
        // Still crowded, but quiet for a window's length.
        assert_eq!(window.hit(at(4), 4, 3, ten), None);
        assert_eq!(window.hit(at(12), 5, 3, ten), None);
        // A window after the alert, the crowd still there raises the next one.
        assert_eq!(window.hit(at(13), 6, 3, ten), Some(vec![4, 5, 6]));
    }

    #[test]
    fn events_spread_wider_than_the_window_never_fire() {
        let mut window = SlidingWindow::default();
        for seq in 0..20u64 {
            let fired = window.hit(at(seq as i64 * 6), seq, 3, TimeDelta::minutes(10));
            assert_eq!(fired, None);
        }
        assert!(window.is_stale(at(200), TimeDelta::minutes(10)));
    }

    #[test]
    fn a_limit_of_zero_turns_the_rule_off() {
        let mut window = SlidingWindow::default();
        for seq in 0..5 {
            assert_eq!(window.hit(at(0), seq, 0, TimeDelta::minutes(10)), None);
        }
    }

    #[test]
    fn a_shift_fires_once_on_count_or_amount() {
        let mut tally = ShiftTally::default();
        assert_eq!(tally.add(1, 100, 2, 0), None);
        assert_eq!(tally.add(2, 100, 2, 0), None);
        assert_eq!(tally.add(3, 100, 2, 0), Some(vec![1, 2, 3]));
        assert_eq!(tally.add(4, 100, 2, 0), None);
        let mut tally = ShiftTally::default();
        assert_eq!(tally.add(9, -5_000, 0, 4_000), Some(vec![9]));
    }

    #[test]
    fn peer_addresses_lose_their_port() {
        assert_eq!(peer_address("203.0.113.7:52311"), "203.0.113.7");
        assert_eq!(peer_address("[2001:db8::1]:22"), "2001:db8::1");
        assert_eq!(peer_address("2001:db8::1"), "2001:db8::1");
    }

    #[test]
    fn rules_round_trip_by_code_and_defaults_validate() {
        for rule in AlertRule::ALL {
            assert_eq!(rule.as_str().parse::<AlertRule>(), Ok(*rule));
        }
        assert!(AlertThresholds::default().validate().is_ok());
        let bad = AlertThresholds {
            access_window_minutes: 0,
            ..AlertThresholds::default()
        };
        assert!(bad.validate().is_err());
    }
}
