//! Retention (SPEC section 8): members without a visit or booking for longer than the shop's
//! retention period are anonymised on a manager's confirmation — except those who still hold
//! something of value (an active plan, a package with washes left, a positive points balance),
//! who are listed apart so nobody loses what they paid for without a person deciding.

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::field_error::FieldError;
use crate::domain::plans::{Package, Plan, PlanStatus};

pub const DEFAULT_RETENTION_MONTHS: u32 = 36;
/// Long enough for any shop's accounting rules; beyond it the setting is a typo.
pub const MAX_RETENTION_MONTHS: u32 = 240;

/// How long a member may go without a visit or booking before retention anonymises them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    pub months: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            months: DEFAULT_RETENTION_MONTHS,
        }
    }
}

impl RetentionPolicy {
    pub fn new(months: u32) -> Result<Self, FieldError> {
        if !(1..=MAX_RETENTION_MONTHS).contains(&months) {
            return Err(FieldError::new(
                "retention_months",
                "the retention period is 1 to 240 months",
            ));
        }
        Ok(Self { months })
    }

    /// Activity before this instant is too old: `months` before `now`.
    pub fn cutoff(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now.checked_sub_months(Months::new(self.months))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// Whether a member last active at `last_activity` is past the period at `now`.
    pub fn is_due(self, last_activity: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        last_activity < self.cutoff(now)
    }
}

/// The latest of the member's creation, visits and booking starts: when they were last seen
/// or expected.
pub fn last_activity(
    created_at: DateTime<Utc>,
    last_visit: Option<DateTime<Utc>>,
    booking_starts: impl IntoIterator<Item = DateTime<Utc>>,
) -> DateTime<Utc> {
    booking_starts
        .into_iter()
        .chain(last_visit)
        .fold(created_at, DateTime::max)
}

/// Why a member past the period is kept rather than anonymised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepReason {
    ActivePlan,
    PackageWithWashes,
    PointsBalance(i64),
}

/// What the member still holds of value on `today` (shop-local).
pub fn reasons_to_keep(
    plans: &[Plan],
    packages: &[Package],
    points_balance: i64,
    today: NaiveDate,
) -> Vec<KeepReason> {
    let mut reasons = Vec::new();
    if plans
        .iter()
        .any(|plan| plan.status != PlanStatus::Cancelled && plan.valid_until >= today)
    {
        reasons.push(KeepReason::ActivePlan);
    }
    if packages
        .iter()
        .any(|p| p.remaining > 0 && p.expires_on.is_none_or(|last| today <= last))
    {
        reasons.push(KeepReason::PackageWithWashes);
    }
    if points_balance > 0 {
        reasons.push(KeepReason::PointsBalance(points_balance));
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::RecordId;
    use chrono::TimeZone;

    fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(year, month, day, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_member_is_due_only_after_the_whole_period_without_activity() {
        let policy = RetentionPolicy::default();
        let now = at(2026, 11, 23);
        assert!(policy.is_due(at(2023, 11, 22), now));
        assert!(!policy.is_due(at(2023, 11, 23), now));
        assert!(!policy.is_due(at(2025, 1, 1), now));
        let seen = last_activity(at(2020, 1, 1), Some(at(2022, 5, 1)), [at(2024, 2, 1)]);
        assert_eq!(seen, at(2024, 2, 1));
        assert_eq!(last_activity(at(2020, 1, 1), None, []), at(2020, 1, 1));
    }

    #[test]
    fn the_period_is_bounded() {
        assert!(RetentionPolicy::new(0).is_err());
        assert!(RetentionPolicy::new(241).is_err());
        assert_eq!(RetentionPolicy::new(12).unwrap().months, 12);
    }

    #[test]
    fn plans_packages_and_points_keep_a_member() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let package = Package {
            id: RecordId::from_u128(1),
            member: RecordId::from_u128(2),
            service: RecordId::from_u128(3),
            total: 5,
            remaining: 1,
            expires_on: None,
        };
        assert_eq!(
            reasons_to_keep(&[], std::slice::from_ref(&package), 10, today),
            vec![KeepReason::PackageWithWashes, KeepReason::PointsBalance(10)]
        );
        let used_up = Package {
            remaining: 0,
            ..package
        };
        assert!(reasons_to_keep(&[], &[used_up], 0, today).is_empty());
    }
}
