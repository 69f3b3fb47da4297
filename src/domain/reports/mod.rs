//! Reports over a range of shop-local days, built from the daily totals: pure functions, so
//! every figure is tested without a store.

pub mod day_totals;
pub mod period;

use chrono::{Datelike, Days, Months, NaiveDate};

pub use day_totals::{DayTotals, SaleType, VisitFacts, Visitor};
pub use period::{Period, PeriodError, PeriodKind, date_of_key, day_key};

/// The reports a manager can ask for; each is one section of [`RangeFigures`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportName {
    Takings,
    Visits,
    Hours,
    Bays,
    Services,
    Members,
    Frequency,
    Vehicles,
    Sales,
    Points,
    Comparison,
}

impl ReportName {
    pub const ALL: [ReportName; 11] = [
        ReportName::Takings,
        ReportName::Visits,
        ReportName::Hours,
        ReportName::Bays,
        ReportName::Services,
        ReportName::Members,
        ReportName::Frequency,
        ReportName::Vehicles,
        ReportName::Sales,
        ReportName::Points,
        ReportName::Comparison,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportName::Takings => "takings",
            ReportName::Visits => "visits",
            ReportName::Hours => "hours",
            ReportName::Bays => "bays",
            ReportName::Services => "services",
            ReportName::Members => "members",
            ReportName::Frequency => "frequency",
            ReportName::Vehicles => "vehicles",
            ReportName::Sales => "sales",
            ReportName::Points => "points",
            ReportName::Comparison => "comparison",
        }
    }

    pub fn parse(name: &str) -> Option<ReportName> {
        ReportName::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// The names, comma separated, for help and error messages.
    pub fn list() -> String {
        ReportName::ALL
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A range's figures: the days added up, and what needs the days apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeFigures {
    pub totals: DayTotals,
    /// Every date of the range with its visits and takings (zero on days with none).
    pub per_day: Vec<(NaiveDate, u32, i64)>,
    /// Visits by weekday (Monday first) and shop-local hour.
    pub hour_of_week: [[u32; 24]; 7],
}

/// Adds up the days of `period`; `day` gives a date's row (`None`: nothing happened).
pub fn range_figures<'a>(
    period: &Period,
    mut day: impl FnMut(NaiveDate) -> Option<&'a DayTotals>,
) -> RangeFigures {
    let mut figures = RangeFigures::default();
    for date in period.dates() {
        let Some(row) = day(date) else {
            figures.per_day.push((date, 0, 0));
            continue;
        };
        figures.totals.absorb(row);
        figures.per_day.push((date, row.visits, row.takings));
        let weekday = date.weekday().num_days_from_monday() as usize;
        if let Some(week_row) = figures.hour_of_week.get_mut(weekday) {
            for (slot, count) in week_row.iter_mut().zip(row.hours.iter()) {
                *slot = slot.saturating_add(*count);
            }
        }
    }
    figures.totals = std::mem::take(&mut figures.totals).normalised();
    figures
}

/// Members by how many visits they have made in all, in the buckets shown.
pub const FREQUENCY_BUCKETS: [(u32, u32); 6] =
    [(0, 0), (1, 1), (2, 3), (4, 6), (7, 12), (13, u32::MAX)];

/// The index in [`FREQUENCY_BUCKETS`] of a member with `visits` visits.
pub fn bucket_of(visits: u32) -> usize {
    FREQUENCY_BUCKETS
        .iter()
        .position(|(low, high)| *low <= visits && visits <= *high)
        .unwrap_or(FREQUENCY_BUCKETS.len() - 1)
}

/// How many members fall in each of [`FREQUENCY_BUCKETS`].
pub fn frequency_distribution(visit_counts: impl Iterator<Item = u32>) -> [u64; 6] {
    let mut buckets = [0u64; 6];
    for visits in visit_counts {
        buckets[bucket_of(visits)] += 1;
    }
    buckets
}

/// A bucket's label, `1`, `2–3` or `13+`.
pub fn bucket_label((low, high): (u32, u32)) -> String {
    if low == high {
        low.to_string()
    } else if high == u32::MAX {
        format!("{low}+")
    } else {
        format!("{low}-{high}")
    }
}

/// The days whose earned points expire in the 30 days from `today`, when points last
/// `expiry_months`: lots earned on these dates reach their end in that window.
pub fn expiring_earn_window(today: NaiveDate, expiry_months: u32) -> Option<Period> {
    let first = today.checked_sub_months(Months::new(expiry_months))?;
    let last = first.checked_add_days(Days::new(29))?;
    Some(Period {
        kind: PeriodKind::Custom,
        first,
        last,
    })
}

/// `part / whole` as tenths of a percent, 0 when there is no whole.
pub fn per_mille(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    part.saturating_mul(1000) / whole
}

/// The change from `before` to `now` in tenths of a percent; `None` when `before` is zero.
pub fn change_per_mille(now: i64, before: i64) -> Option<i64> {
    if before == 0 {
        return None;
    }
    Some(now.saturating_sub(before).saturating_mul(1000) / before.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::PaymentMethod;
    use crate::domain::checkout::PricedCheckout;
    use crate::domain::money::Money;
    use crate::domain::tender::{Settlement, Tender};
    use crate::domain::vehicle::VehicleKind;
    use crate::ids::RecordId;

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, d).unwrap()
    }

    fn settlement(amount: i64, method: PaymentMethod) -> Settlement {
        Settlement {
            tenders: vec![Tender {
                method,
                amount: Money::from_minor(amount),
                tendered: None,
                change: Money::ZERO,
            }],
            charged: Money::from_minor(amount),
            ..Settlement::default()
        }
    }

    fn priced() -> PricedCheckout {
        PricedCheckout {
            lines: Vec::new(),
            subtotal: Money::ZERO,
            discount: Money::ZERO,
            points_used: 0,
            points_value: Money::ZERO,
            total: Money::ZERO,
            tax: Default::default(),
            amount_due: Money::ZERO,
            eligible_spend: Money::ZERO,
            plan_uses: Vec::new(),
            package_uses: Vec::new(),
        }
    }

    #[test]
    fn a_void_takes_the_visit_out_of_every_figure_and_counts_it_apart() {
        let priced = priced();
        let paid = settlement(2500, PaymentMethod::Card);
        let visit = VisitFacts {
            hour: 9,
            visitor: Visitor::NewMember,
            priced: &priced,
            settlement: &paid,
            covered_by: PaymentMethod::Card,
            bay: Some((RecordId::from_u128(7), 30)),
            vehicle: Some(VehicleKind::Suv),
            points_earned: 25,
            points_redeemed: 0,
        };
        let mut day = DayTotals::default();
        day.add_visit(&visit);
        day.add_visit(&VisitFacts {
            visitor: Visitor::ReturningMember,
            hour: 17,
            ..visit
        });
        day.void_visit(&visit);
        let day = day.normalised();
        assert_eq!(day.visits, 1);
        assert_eq!(day.new_members, 0);
        assert_eq!(day.returning_members, 1);
        assert_eq!(day.hours[9], 0);
        assert_eq!(day.hours[17], 1);
        assert_eq!(day.takings, 2500);
        assert_eq!(day.voided.count, 1);
        assert_eq!(day.voided.amount, 2500);
        assert_eq!(day.bays[0].minutes, 30);
        assert_eq!(day.vehicles, vec![(VehicleKind::Suv, 1)]);
        assert_eq!(day.points_earned, 25);
    }

    #[test]
    fn a_range_adds_its_days_and_lays_hours_out_by_weekday() {
        let priced = priced();
        let paid = settlement(1000, PaymentMethod::Cash);
        let mut monday = DayTotals::default();
        monday.add_visit(&VisitFacts {
            hour: 10,
            visitor: Visitor::Walk,
            priced: &priced,
            settlement: &paid,
            covered_by: PaymentMethod::Cash,
            bay: None,
            vehicle: None,
            points_earned: 0,
            points_redeemed: 0,
        });
        monday.add_sale(SaleType::PlanSold, &paid, PaymentMethod::Cash, &[]);
        monday.add_refund(300, &paid.tenders, &[]);
        let week = Period::week(date(13)).unwrap();
        let figures = range_figures(&week, |d| (d == date(11)).then_some(&monday));
        assert_eq!(figures.per_day.len(), 7);
        assert_eq!(figures.per_day[0], (date(11), 1, 2000));
        assert_eq!(figures.hour_of_week[0][10], 1);
        assert_eq!(figures.totals.takings, 2000);
        assert_eq!(figures.totals.methods[0].amount, 2000);
        assert_eq!(figures.totals.refunds.amount, 300);
        assert_eq!(figures.totals.plans_sold.count, 1);
    }

    #[test]
    fn frequency_buckets_and_changes() {
        assert_eq!(
            frequency_distribution([0, 1, 2, 3, 5, 12, 40].into_iter()),
            [1, 1, 2, 1, 1, 1]
        );
        assert_eq!(bucket_label(FREQUENCY_BUCKETS[2]), "2-3");
        assert_eq!(bucket_label(FREQUENCY_BUCKETS[5]), "13+");
        assert_eq!(change_per_mille(150, 100), Some(500));
        assert_eq!(change_per_mille(5, 0), None);
        assert_eq!(per_mille(1, 3), 333);
        let window = expiring_earn_window(date(20), 12).unwrap();
        assert_eq!(window.first, NaiveDate::from_ymd_opt(2025, 5, 20).unwrap());
        assert_eq!(window.days(), 30);
        assert_eq!(ReportName::parse("Takings"), Some(ReportName::Takings));
    }
}
