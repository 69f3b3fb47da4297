//! How many points a spend earns, which tier a member is in, and the rolling 12-month spend
//! that decides the tier. Integer maths only.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

use super::policy::{PointsPolicy, Tier};

/// Months of spend that count towards the tier, ending with the current month.
pub const ROLLING_MONTHS: i64 = 12;

/// `floor(floor(spend / earn unit) × multiplier / 100)`; zero for a zero or negative spend.
/// Saturates at `i64::MAX` instead of overflowing.
pub fn points_for(eligible_spend_minor: i64, tier: &Tier, policy: &PointsPolicy) -> i64 {
    let earn_unit = policy.earn_unit_minor();
    if eligible_spend_minor <= 0 || earn_unit <= 0 {
        return 0;
    }
    let base_points = i128::from(eligible_spend_minor / earn_unit);
    let scaled = base_points * i128::from(tier.multiplier_percent) / 100;
    i64::try_from(scaled).unwrap_or(i64::MAX)
}

/// The highest tier whose threshold is at or below the rolling spend (the base tier for a
/// negative spend).
pub fn tier_for(rolling_spend_minor: i64, policy: &PointsPolicy) -> &Tier {
    policy
        .tiers()
        .iter()
        .rev()
        .find(|tier| tier.min_rolling_spend_minor <= rolling_spend_minor)
        .unwrap_or_else(|| policy.base_tier())
}

/// One member's spend per calendar month, keyed `yyyymm`. Months are UTC calendar months, not
/// the shop's local months: a visit just after local midnight on the 1st may count for the
/// previous month, which only shifts which month ages out first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollingSpend {
    months: BTreeMap<u32, i64>,
}

impl RollingSpend {
    pub fn new() -> Self {
        Self::default()
    }

    /// The stored buckets, `yyyymm` → spend in minor units.
    pub fn months(&self) -> &BTreeMap<u32, i64> {
        &self.months
    }

    /// Counts a spend in the month of `at`; zero or negative amounts are ignored (a refund or
    /// void is a [`RollingSpend::subtract`]).
    pub fn add(&mut self, at: DateTime<Utc>, amount_minor: i64) {
        if amount_minor <= 0 {
            return;
        }
        let bucket = self.months.entry(month_key(at)).or_insert(0);
        *bucket = bucket.saturating_add(amount_minor);
    }

    /// Takes a voided spend back out of the month it was counted in. A month's total never goes
    /// below zero, and a month already pruned stays gone.
    pub fn subtract(&mut self, at: DateTime<Utc>, amount_minor: i64) {
        if amount_minor <= 0 {
            return;
        }
        let key = month_key(at);
        if let Some(bucket) = self.months.get_mut(&key) {
            *bucket = bucket.saturating_sub(amount_minor).max(0);
            if *bucket == 0 {
                self.months.remove(&key);
            }
        }
    }

    /// Adds another record's spend month by month (two records of one person merged).
    pub fn absorb(&mut self, other: &RollingSpend) {
        for (month, amount) in &other.months {
            let bucket = self.months.entry(*month).or_insert(0);
            *bucket = bucket.saturating_add(*amount);
        }
    }

    /// Spend in the 12 UTC calendar months ending with `now`'s month (the current, partial
    /// month included); later months are not counted.
    pub fn total(&self, now: DateTime<Utc>) -> i64 {
        let current = month_index(now);
        self.months
            .iter()
            .filter(|(key, _)| {
                let index = key_index(**key);
                index <= current && index > current - ROLLING_MONTHS
            })
            .fold(0i64, |sum, (_, amount)| sum.saturating_add(*amount))
    }

    /// Drops months that have left the window; they can never count again.
    pub fn prune(&mut self, now: DateTime<Utc>) {
        let oldest_kept = month_index(now) - ROLLING_MONTHS + 1;
        self.months.retain(|key, _| key_index(*key) >= oldest_kept);
    }
}

fn month_key(at: DateTime<Utc>) -> u32 {
    // Instants before year 0 do not occur at a front desk; they share bucket 0000-mm.
    let year = u32::try_from(at.year()).unwrap_or(0);
    year * 100 + at.month()
}

fn month_index(at: DateTime<Utc>) -> i64 {
    key_index(month_key(at))
}

fn key_index(key: u32) -> i64 {
    i64::from(key / 100) * 12 + i64::from(key % 100) - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(year, month, day, 12, 0, 0)
            .single()
            .unwrap()
    }

    fn tier(percent: u32) -> Tier {
        Tier {
            name: "T".to_owned(),
            min_rolling_spend_minor: 0,
            multiplier_percent: percent,
        }
    }

    #[test]
    fn points_floor_the_spend_then_floor_the_multiplier() {
        let policy = PointsPolicy::default();
        assert_eq!(points_for(1299, &tier(150), &policy), 18);
        assert_eq!(points_for(700, &tier(125), &policy), 8);
        assert_eq!(points_for(799, &tier(125), &policy), 8);
        assert_eq!(points_for(1299, &tier(100), &policy), 12);
        assert_eq!(points_for(99, &tier(150), &policy), 0);
        assert_eq!(points_for(100, &tier(150), &policy), 1);
        assert_eq!(points_for(0, &tier(150), &policy), 0);
        assert_eq!(points_for(-5000, &tier(150), &policy), 0);
        assert_eq!(
            points_for(i64::MAX, &tier(1000), &policy),
            i64::MAX / 100 * 10
        );
        assert_eq!(points_for(i64::MAX, &tier(u32::MAX), &policy), i64::MAX);
    }

    #[test]
    fn tier_is_the_highest_threshold_reached() {
        let policy = PointsPolicy::default();
        assert_eq!(tier_for(-1, &policy).name, "Member");
        assert_eq!(tier_for(0, &policy).name, "Member");
        assert_eq!(tier_for(49_999, &policy).name, "Member");
        assert_eq!(tier_for(50_000, &policy).name, "Silver");
        assert_eq!(tier_for(149_999, &policy).name, "Silver");
        assert_eq!(tier_for(150_000, &policy).name, "Gold");
        assert_eq!(tier_for(i64::MAX, &policy).name, "Gold");
    }

    #[test]
    fn rolling_spend_counts_the_twelve_months_ending_now() {
        let mut spend = RollingSpend::new();
        spend.add(at(2025, 3, 31), 1_000); // 13 months before 2026-04: outside
        spend.add(at(2025, 5, 1), 2_000); // 11 months before: inside
        spend.add(at(2026, 4, 2), 3_000); // this month: inside
        spend.add(at(2026, 4, 20), 4_000);
        spend.add(at(2026, 5, 1), 5_000); // after now's month: not counted yet
        spend.add(at(2026, 4, 2), 0);
        spend.add(at(2026, 4, 2), -50);
        let now = at(2026, 4, 15);
        assert_eq!(spend.total(now), 9_000);
        assert_eq!(spend.months().get(&202604), Some(&7_000));

        spend.add(at(2025, 4, 30), 500); // the window is May 2025 ..= April 2026
        assert_eq!(spend.total(now), 9_000);

        spend.prune(now);
        assert_eq!(
            spend.months().keys().copied().collect::<Vec<_>>(),
            vec![202505, 202604, 202605]
        );
        assert_eq!(spend.total(now), 9_000);
    }

    #[test]
    fn a_void_takes_spend_back_without_going_negative() {
        let mut spend = RollingSpend::new();
        spend.add(at(2026, 1, 10), 5_000);
        spend.subtract(at(2026, 1, 20), 2_000);
        assert_eq!(spend.total(at(2026, 2, 1)), 3_000);
        spend.subtract(at(2026, 1, 20), 9_000);
        assert_eq!(spend.total(at(2026, 2, 1)), 0);
        assert!(spend.months().is_empty());
        spend.subtract(at(2024, 1, 1), 100); // a pruned month stays gone
        assert!(spend.months().is_empty());
    }

    #[test]
    fn the_window_crosses_year_boundaries() {
        let mut spend = RollingSpend::new();
        spend.add(at(2025, 2, 1), 100);
        spend.add(at(2025, 1, 31), 10);
        assert_eq!(spend.total(at(2026, 1, 1)), 100);
        assert_eq!(spend.total(at(2025, 12, 31)), 110);
    }
}
