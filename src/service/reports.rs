//! The end-of-day takings report: what was taken on one shop-local day, by payment method and
//! by member of staff, from visits and from plan and package sales.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::{Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::domain::access::{Operation, Role};
use crate::domain::catalog::PaymentMethod;
use crate::domain::currency::Currency;
use crate::domain::money::Money;
use crate::domain::schedule::local_day_span;
use crate::ids::RecordId;
use crate::store::records::{SaleRecord, VisitRecord};
use crate::store::schema::{SALES, VISITS};
use crate::store::{ReadAccess, decode_record};

/// A number of transactions and the money they came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u32,
    pub amount: Money,
}

impl Tally {
    fn add(&mut self, amount: Money) -> Result<(), ServiceError> {
        self.count = self.count.saturating_add(1);
        self.amount = self.amount.checked_add(amount).map_err(money_error)?;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodTally {
    pub method: PaymentMethod,
    pub count: u32,
    pub amount: Money,
}

/// Plan or package sales: in all, and by how they were paid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SalesTally {
    pub count: u32,
    pub amount: Money,
    pub by_payment: Vec<MethodTally>,
}

/// One member of staff's share of the day (managers only see these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffTakings {
    pub staff_id: RecordId,
    pub username: String,
    /// Visits they checked out, voided ones excluded.
    pub visits: Tally,
    /// Plan and package sales and renewals they took.
    pub sales: Tally,
    /// Their visits that were voided later.
    pub voided: Tally,
    pub total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakingsReport {
    /// The shop-local day reported on.
    pub day: NaiveDate,
    /// The day's first instant and the next day's, in UTC: 23 or 25 hours apart when the
    /// clocks change that day.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub currency: Currency,
    /// `Some(username)` when the report covers only the caller's own takings (a cashier's).
    pub only_staff: Option<String>,
    /// Visits checked out, voided ones excluded.
    pub visits: u32,
    /// Visits by payment method (the methods used that day, in the usual order).
    pub visits_by_payment: Vec<MethodTally>,
    /// Everything taken, visits and sales together, by payment method: what the drawer and
    /// the card terminal should show.
    pub by_payment: Vec<MethodTally>,
    /// Everything taken: visits and plan and package sales.
    pub total: Money,
    /// Visits of the day voided since; not in any figure above.
    pub voided: Tally,
    /// Money given off by managers' discounts.
    pub discounts: Money,
    /// Visits with a discount or a price override.
    pub adjusted_visits: u32,
    /// Money taken off bills by redeeming points.
    pub points_value: Money,
    pub points_earned: i64,
    pub points_redeemed: i64,
    pub plan_sales: SalesTally,
    pub package_sales: SalesTally,
    /// Per member of staff, by user name; empty in a cashier's own report.
    pub by_staff: Vec<StaffTakings>,
}

fn money_error(err: crate::domain::money::MoneyError) -> ServiceError {
    ServiceError::invalid(err.to_string())
}

fn method_rows(tallies: &BTreeMap<usize, Tally>) -> Vec<MethodTally> {
    tallies
        .iter()
        .map(|(index, tally)| MethodTally {
            method: PaymentMethod::ALL[*index],
            count: tally.count,
            amount: tally.amount,
        })
        .collect()
}

fn method_index(method: PaymentMethod) -> usize {
    PaymentMethod::ALL
        .iter()
        .position(|m| *m == method)
        .unwrap_or(0)
}

#[derive(Default)]
struct StaffTally {
    visits: Tally,
    sales: Tally,
    voided: Tally,
}

/// Adds up a day's visits and sales. Pure, so the sums are tested without a store.
#[derive(Default)]
struct Totals {
    visits_by_payment: BTreeMap<usize, Tally>,
    by_payment: BTreeMap<usize, Tally>,
    total: Money,
    voided: Tally,
    discounts: Money,
    adjusted_visits: u32,
    points_value: Money,
    points_earned: i64,
    points_redeemed: i64,
    plans: (Tally, BTreeMap<usize, Tally>),
    packages: (Tally, BTreeMap<usize, Tally>),
    staff: BTreeMap<RecordId, StaffTally>,
}

impl Totals {
    fn add_visit(&mut self, visit: &VisitRecord) -> Result<(), ServiceError> {
        let staff = self.staff.entry(visit.staff).or_default();
        let amount = visit.priced.total;
        if visit.voided.is_some() {
            self.voided.add(amount)?;
            return staff.voided.add(amount);
        }
        staff.visits.add(amount)?;
        let method = method_index(visit.payment);
        self.visits_by_payment
            .entry(method)
            .or_default()
            .add(amount)?;
        self.by_payment.entry(method).or_default().add(amount)?;
        self.total = self.total.checked_add(amount).map_err(money_error)?;
        self.discounts = self
            .discounts
            .checked_add(visit.priced.discount)
            .map_err(money_error)?;
        if !visit.priced.discount.is_zero() || visit.priced.lines.iter().any(|l| l.overridden) {
            self.adjusted_visits += 1;
        }
        self.points_value = self
            .points_value
            .checked_add(visit.priced.points_value)
            .map_err(money_error)?;
        self.points_earned = self.points_earned.saturating_add(visit.points_earned);
        self.points_redeemed = self.points_redeemed.saturating_add(visit.points_redeemed);
        Ok(())
    }

    fn add_sale(&mut self, sale: &SaleRecord) -> Result<(), ServiceError> {
        self.staff
            .entry(sale.staff)
            .or_default()
            .sales
            .add(sale.amount)?;
        let method = method_index(sale.payment);
        self.by_payment
            .entry(method)
            .or_default()
            .add(sale.amount)?;
        self.total = self.total.checked_add(sale.amount).map_err(money_error)?;
        let (tally, by_payment) = if sale.kind.is_plan() {
            &mut self.plans
        } else {
            &mut self.packages
        };
        tally.add(sale.amount)?;
        by_payment.entry(method).or_default().add(sale.amount)
    }

    fn visits(&self) -> u32 {
        self.visits_by_payment.values().map(|t| t.count).sum()
    }
}

fn sales_tally((tally, by_payment): &(Tally, BTreeMap<usize, Tally>)) -> SalesTally {
    SalesTally {
        count: tally.count,
        amount: tally.amount,
        by_payment: method_rows(by_payment),
    }
}

/// The lowest time-ordered id of a record created at or after `at`.
fn first_id_at(at: DateTime<Utc>) -> u128 {
    let millis = u128::try_from(at.timestamp_millis()).unwrap_or(0);
    millis << 80
}

impl Service {
    /// The takings of one shop-local day. A manager sees the whole shop with a line per member
    /// of staff; a cashier sees only what they took themselves (SPEC section 2).
    pub fn takings(
        &self,
        session: &Session,
        day: NaiveDate,
    ) -> Result<TakingsReport, ServiceError> {
        let caller = self.authorize(session, Operation::ViewTakings)?;
        let settings = self.settings()?;
        let tz = self.shop_zone()?;
        let (from, to) = local_day_span(tz, day)
            .ok_or_else(|| ServiceError::invalid("that day is out of range; choose another"))?;
        let only = match caller.role {
            Role::Manager => None,
            Role::Cashier => Some(caller.staff_id),
        };
        let ours = |staff: RecordId, at: DateTime<Utc>| {
            only.is_none_or(|me| me == staff) && at >= from && at < to
        };
        let mut totals = Totals::default();
        let reader = self.store.read()?;
        // Ids carry their creation time, so the day's records are one id range; the times
        // are still checked, since a record's time and its id's could differ by a clock step.
        let (low, high) = (first_id_at(from), first_id_at(to));
        let mut failure = None;
        reader.scan_id_range(VISITS, low, high, &mut |_, bytes| {
            let visit: VisitRecord = decode_record("visit", bytes)?;
            if ours(visit.staff, visit.at)
                && let Err(err) = totals.add_visit(&visit)
            {
                failure.get_or_insert(err);
            }
            Ok(())
        })?;
        reader.scan_id_range(SALES, low, high, &mut |_, bytes| {
            let sale: SaleRecord = decode_record("sale", bytes)?;
            if ours(sale.staff, sale.at)
                && let Err(err) = totals.add_sale(&sale)
            {
                failure.get_or_insert(err);
            }
            Ok(())
        })?;
        if let Some(err) = failure {
            return Err(err);
        }
        let mut by_staff = Vec::new();
        if only.is_none() {
            for (staff_id, tally) in &totals.staff {
                let username = reader
                    .staff(*staff_id)?
                    .map_or_else(|| staff_id.to_string(), |s| s.username);
                by_staff.push(StaffTakings {
                    staff_id: *staff_id,
                    username,
                    visits: tally.visits,
                    sales: tally.sales,
                    voided: tally.voided,
                    total: tally
                        .visits
                        .amount
                        .checked_add(tally.sales.amount)
                        .map_err(money_error)?,
                });
            }
            by_staff.sort_by(|a, b| a.username.cmp(&b.username));
        }
        drop(reader);
        let mut draft = caller.draft(AuditAction::TakingsViewed);
        draft.detail = Some(format!(
            "day: {day}, scope: {}",
            if only.is_some() { "own" } else { "all staff" }
        ));
        self.audit_alone(draft)?;
        Ok(TakingsReport {
            day,
            from,
            to,
            currency: settings.currency,
            only_staff: only.map(|_| caller.username.clone()),
            visits: totals.visits(),
            visits_by_payment: method_rows(&totals.visits_by_payment),
            by_payment: method_rows(&totals.by_payment),
            total: totals.total,
            voided: totals.voided,
            discounts: totals.discounts,
            adjusted_visits: totals.adjusted_visits,
            points_value: totals.points_value,
            points_earned: totals.points_earned,
            points_redeemed: totals.points_redeemed,
            plan_sales: sales_tally(&totals.plans),
            package_sales: sales_tally(&totals.packages),
            by_staff,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checkout::PricedCheckout;
    use crate::store::records::{SaleKind, VoidRecord};
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 18, 0, 0).single().unwrap()
    }

    fn visit(staff: u128, total: i64, payment: PaymentMethod, voided: bool) -> VisitRecord {
        VisitRecord {
            id: RecordId::from_u128(1),
            member: None,
            vehicle: None,
            booking: None,
            at: at(),
            staff: RecordId::from_u128(staff),
            priced: PricedCheckout {
                lines: Vec::new(),
                subtotal: Money::from_minor(total.saturating_add(100)),
                discount: Money::from_minor(100),
                points_used: 0,
                points_value: Money::ZERO,
                total: Money::from_minor(total),
                tax: Default::default(),
                amount_due: Money::from_minor(total),
                eligible_spend: Money::from_minor(total),
                plan_uses: Vec::new(),
                package_uses: Vec::new(),
            },
            payment,
            settlement: crate::domain::tender::Settlement {
                tenders: vec![crate::domain::tender::Tender {
                    method: payment,
                    amount: Money::from_minor(total),
                    tendered: None,
                    change: Money::ZERO,
                }],
                charged: Money::from_minor(total),
                ..Default::default()
            },
            receipt_number: Some(1),
            shift: None,
            approved_by: None,
            refunds: Vec::new(),
            adjustment_reason: Some("regular".into()),
            points_earned: 3,
            points_redeemed: 0,
            voided: voided.then(|| VoidRecord {
                at: at(),
                by: RecordId::from_u128(9),
                reason: "mistake".into(),
            }),
        }
    }

    fn sale(staff: u128, amount: i64, kind: SaleKind, payment: PaymentMethod) -> SaleRecord {
        SaleRecord {
            id: RecordId::from_u128(2),
            kind,
            member: RecordId::from_u128(3),
            amount: Money::from_minor(amount),
            payment,
            staff: RecordId::from_u128(staff),
            at: at(),
            product: None,
            off_list_reason: None,
            approved_by: None,
            tax: Default::default(),
            settlement: crate::domain::tender::Settlement {
                tenders: vec![crate::domain::tender::Tender {
                    method: payment,
                    amount: Money::from_minor(amount),
                    tendered: None,
                    change: Money::ZERO,
                }],
                charged: Money::from_minor(amount),
                ..Default::default()
            },
            receipt_number: Some(2),
            shift: None,
        }
    }

    #[test]
    fn voids_are_counted_apart_and_sales_join_the_payment_totals() {
        let mut totals = Totals::default();
        totals
            .add_visit(&visit(1, 2000, PaymentMethod::Card, false))
            .unwrap();
        totals
            .add_visit(&visit(1, 500, PaymentMethod::Cash, false))
            .unwrap();
        totals
            .add_visit(&visit(2, 4500, PaymentMethod::Card, true))
            .unwrap();
        let plan = SaleKind::PlanSold {
            plan: RecordId::from_u128(5),
        };
        let package = SaleKind::PackageSold {
            package: RecordId::from_u128(6),
        };
        totals
            .add_sale(&sale(2, 3999, plan, PaymentMethod::Cash))
            .unwrap();
        totals
            .add_sale(&sale(1, 8000, package, PaymentMethod::Card))
            .unwrap();
        assert_eq!(totals.visits(), 2);
        assert_eq!(totals.total, Money::from_minor(2000 + 500 + 3999 + 8000));
        assert_eq!(
            totals.voided,
            Tally {
                count: 1,
                amount: Money::from_minor(4500)
            }
        );
        assert_eq!(totals.discounts, Money::from_minor(200));
        assert_eq!(totals.adjusted_visits, 2);
        assert_eq!(totals.points_earned, 6);
        let all = method_rows(&totals.by_payment);
        assert_eq!(all[0].method, PaymentMethod::Cash);
        assert_eq!(all[0].amount, Money::from_minor(500 + 3999));
        assert_eq!(all[1].method, PaymentMethod::Card);
        assert_eq!(all[1].count, 2);
        assert_eq!(sales_tally(&totals.plans).amount, Money::from_minor(3999));
        assert_eq!(
            sales_tally(&totals.packages).by_payment[0].method,
            PaymentMethod::Card
        );
        let staff2 = &totals.staff[&RecordId::from_u128(2)];
        assert_eq!(staff2.voided.count, 1);
        assert_eq!(staff2.sales.amount, Money::from_minor(3999));
        assert_eq!(staff2.visits.count, 0);
    }

    #[test]
    fn an_overflowing_sum_is_an_error_not_a_wrap() {
        let mut totals = Totals::default();
        totals
            .add_visit(&visit(1, i64::MAX, PaymentMethod::Card, false))
            .unwrap();
        assert!(
            totals
                .add_visit(&visit(1, 1, PaymentMethod::Card, false))
                .is_err()
        );
    }

    #[test]
    fn the_id_range_starts_at_the_millisecond() {
        let id = RecordId::generate(at(), &crate::entropy::SeededEntropy::new(3)).unwrap();
        assert!(first_id_at(at()) <= id.as_u128());
        assert!(id.as_u128() < first_id_at(at() + chrono::Duration::milliseconds(1)));
    }
}
