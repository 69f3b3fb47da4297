//! The end-of-day takings report: what was taken on one shop-local day, by tender method and
//! by member of staff, from visits and from plan and package sales; the refunds given that day
//! apart from them; each tax by name; tips and cash rounding; and every drawer's count.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::audit::AuditAction;
use crate::domain::access::{Operation, Role};
use crate::domain::catalog::PaymentMethod;
use crate::domain::currency::Currency;
use crate::domain::money::Money;
use crate::domain::schedule::local_day_span;
use crate::domain::site::SiteIndex;
use crate::domain::tax::TaxAmount;
use crate::domain::tender::Settlement;
use crate::ids::RecordId;
use crate::service::drawer::{ShiftView, shifts_opened};
use crate::service::sites::{receipt_site, shift_site};
use crate::service::{Service, ServiceError, Session};
use crate::store::records::{ReceiptFor, RefundRecord, SaleRecord, VisitRecord};
use crate::store::schema::{SALES, VISITS};
use crate::store::{ReadAccess, decode_record};

/// How far a record's time may stray from the order it was committed in (ids are made just
/// before their transaction begins, and clocks step); searches by time look this much wider
/// and then check each record's own time.
pub(in crate::service) const CLOCK_SLACK: Duration = Duration::minutes(5);

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
    /// Tenders of this method (a bill split between card and cash counts once in each).
    pub count: u32,
    pub amount: Money,
}

/// Plan or package sales: in all, and by how they were paid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SalesTally {
    pub count: u32,
    /// What was charged for them, tax included.
    pub amount: Money,
    pub by_payment: Vec<MethodTally>,
}

/// One tax by name: what the day's bills charged, what its refunds gave back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxTally {
    pub name: String,
    pub collected: Money,
    pub refunded: Money,
    /// collected − refunded: what the shop owes for the day.
    pub net: Money,
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
    /// Refunds they gave that day.
    pub refunds: Tally,
    /// Tips on their visits; part of `visits`, owed to them.
    pub tips: Money,
    /// Visits and sales: what they took before refunds.
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
    /// Visits by tender method (the methods used that day, in the usual order). A visit that
    /// a plan, package or points covered whole counts once under that method, for nothing.
    pub visits_by_payment: Vec<MethodTally>,
    /// Everything taken, visits and sales together, by tender method: what the drawers and
    /// the card terminal should show. Cash is net of change.
    pub by_payment: Vec<MethodTally>,
    /// Everything taken: visits and plan and package sales, tax, tips and cash rounding
    /// included, before refunds.
    pub total: Money,
    /// Visits of the day voided since; not in any figure above.
    pub voided: Tally,
    /// Refunds given that day (of that day's visits or earlier ones); not taken off any figure
    /// above.
    pub refunds: Tally,
    /// The refunds by the method the money went back by.
    pub refunds_by_payment: Vec<MethodTally>,
    /// total − refunds.
    pub net_total: Money,
    /// Each tax by name, in the order first met.
    pub taxes: Vec<TaxTally>,
    /// Tips, never taxed; included in `total` and owed to staff (see `by_staff`).
    pub tips: Money,
    /// What rounding cash to the coin added (negative: took off), included in `total`.
    pub cash_rounding: Money,
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
    /// The drawers opened that day, oldest first (a cashier's: their own).
    pub drawers: Vec<ShiftView>,
}

fn money_error(err: crate::domain::money::MoneyError) -> ServiceError {
    ServiceError::invalid(err.to_string())
}

fn add_money(sum: &mut Money, amount: Money) -> Result<(), ServiceError> {
    *sum = sum.checked_add(amount).map_err(money_error)?;
    Ok(())
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
    refunds: Tally,
    tips: Money,
}

#[derive(Default)]
struct TaxSums {
    collected: Money,
    refunded: Money,
}

/// Adds up a day's visits, sales and refunds. Pure, so the sums are tested without a store.
#[derive(Default)]
struct Totals {
    visits_by_payment: BTreeMap<usize, Tally>,
    by_payment: BTreeMap<usize, Tally>,
    total: Money,
    voided: Tally,
    refunds: Tally,
    refunds_by_payment: BTreeMap<usize, Tally>,
    taxes: Vec<(String, TaxSums)>,
    tips: Money,
    cash_rounding: Money,
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
    fn tax(&mut self, name: &str) -> &mut TaxSums {
        let index = match self.taxes.iter().position(|(n, _)| n == name) {
            Some(index) => index,
            None => {
                self.taxes.push((name.to_owned(), TaxSums::default()));
                self.taxes.len() - 1
            }
        };
        &mut self.taxes[index].1
    }

    fn collect_taxes(&mut self, taxes: &[TaxAmount]) -> Result<(), ServiceError> {
        for tax in taxes {
            add_money(&mut self.tax(&tax.name).collected, tax.amount)?;
        }
        Ok(())
    }

    /// A bill's total and cash rounding into the day's.
    fn add_bill(&mut self, settlement: &Settlement) -> Result<(), ServiceError> {
        add_money(&mut self.total, settlement.charged)?;
        add_money(&mut self.cash_rounding, settlement.cash_rounding)
    }

    fn add_visit(&mut self, visit: &VisitRecord) -> Result<(), ServiceError> {
        let charged = visit.settlement.charged;
        if visit.voided.is_some() {
            self.voided.add(charged)?;
            return self
                .staff
                .entry(visit.staff)
                .or_default()
                .voided
                .add(charged);
        }
        tally_tenders(
            &visit.settlement,
            visit.payment,
            &mut [&mut self.by_payment, &mut self.visits_by_payment],
        )?;
        self.add_bill(&visit.settlement)?;
        let staff = self.staff.entry(visit.staff).or_default();
        staff.visits.add(charged)?;
        add_money(&mut staff.tips, visit.settlement.tip)?;
        add_money(&mut self.tips, visit.settlement.tip)?;
        self.collect_taxes(&visit.priced.tax.taxes)?;
        add_money(&mut self.discounts, visit.priced.discount)?;
        if !visit.priced.discount.is_zero() || visit.priced.lines.iter().any(|l| l.overridden) {
            self.adjusted_visits += 1;
        }
        add_money(&mut self.points_value, visit.priced.points_value)?;
        self.points_earned = self.points_earned.saturating_add(visit.points_earned);
        self.points_redeemed = self.points_redeemed.saturating_add(visit.points_redeemed);
        Ok(())
    }

    fn add_sale(&mut self, sale: &SaleRecord) -> Result<(), ServiceError> {
        let charged = sale.settlement.charged;
        self.staff
            .entry(sale.staff)
            .or_default()
            .sales
            .add(charged)?;
        let (kind, kind_by_payment) = if sale.kind.is_plan() {
            (&mut self.plans.0, &mut self.plans.1)
        } else {
            (&mut self.packages.0, &mut self.packages.1)
        };
        kind.add(charged)?;
        tally_tenders(
            &sale.settlement,
            sale.payment,
            &mut [&mut self.by_payment, kind_by_payment],
        )?;
        self.add_bill(&sale.settlement)?;
        self.collect_taxes(&sale.tax.taxes)
    }

    fn add_refund(&mut self, refund: &RefundRecord) -> Result<(), ServiceError> {
        self.refunds.add(refund.amount)?;
        self.staff
            .entry(refund.by)
            .or_default()
            .refunds
            .add(refund.amount)?;
        for tender in &refund.tenders {
            self.refunds_by_payment
                .entry(method_index(tender.method))
                .or_default()
                .add(tender.amount)?;
        }
        for tax in &refund.taxes {
            add_money(&mut self.tax(&tax.name).refunded, tax.amount)?;
        }
        Ok(())
    }

    fn visits(&self) -> u32 {
        self.staff.values().map(|t| t.visits.count).sum()
    }

    fn tax_rows(&self) -> Result<Vec<TaxTally>, ServiceError> {
        self.taxes
            .iter()
            .map(|(name, sums)| {
                Ok(TaxTally {
                    name: name.clone(),
                    collected: sums.collected,
                    refunded: sums.refunded,
                    net: sums
                        .collected
                        .checked_sub(sums.refunded)
                        .map_err(money_error)?,
                })
            })
            .collect()
    }
}

/// One bill's tenders into each of `totals` by method. A bill nothing was paid on (a plan,
/// package or points covered it) counts once under `covered_by`, for nothing.
fn tally_tenders(
    settlement: &Settlement,
    covered_by: PaymentMethod,
    totals: &mut [&mut BTreeMap<usize, Tally>],
) -> Result<(), ServiceError> {
    if settlement.tenders.is_empty() {
        for by_method in totals.iter_mut() {
            by_method
                .entry(method_index(covered_by))
                .or_default()
                .add(Money::ZERO)?;
        }
    }
    for tender in &settlement.tenders {
        for by_method in totals.iter_mut() {
            by_method
                .entry(method_index(tender.method))
                .or_default()
                .add(tender.amount)?;
        }
    }
    Ok(())
}

fn sales_tally((tally, by_payment): &(Tally, BTreeMap<usize, Tally>)) -> SalesTally {
    SalesTally {
        count: tally.count,
        amount: tally.amount,
        by_payment: method_rows(by_payment),
    }
}

/// The lowest time-ordered id of a record created at or after `at`.
pub(in crate::service) fn first_id_at(at: DateTime<Utc>) -> u128 {
    let millis = u128::try_from(at.timestamp_millis()).unwrap_or(0);
    millis << 80
}

/// The creation time, in Unix milliseconds, that a time-ordered id carries.
fn id_millis(id: RecordId) -> i64 {
    i64::try_from(id.as_u128() >> 80).unwrap_or(i64::MAX)
}

/// When receipt `number` was issued (as Unix milliseconds) and, for a refund's receipt, the
/// refund itself.
fn issued<R: ReadAccess + ?Sized>(
    reader: &R,
    site: SiteIndex,
    number: u64,
) -> Result<Option<(i64, Option<RefundRecord>)>, ServiceError> {
    let Some(bytes) = reader.receipt_bytes_at(site, number)? else {
        return Ok(None);
    };
    Ok(Some(
        match decode_record::<ReceiptFor>("receipt", &bytes)? {
            ReceiptFor::Visit(id) | ReceiptFor::Sale(id) => (id_millis(id), None),
            ReceiptFor::Refund { visit, refund } => {
                let found = reader
                    .get::<VisitRecord>(VISITS, visit, "visit")?
                    .and_then(|v| v.refunds.into_iter().find(|r| r.id == refund));
                match found {
                    Some(record) => (record.at.timestamp_millis(), Some(record)),
                    None => (id_millis(refund), None),
                }
            }
        },
    ))
}

/// The refunds given from `from` until `to` (`None`: until now), found through the receipts:
/// every refund has one, and receipt numbers follow the order sales and refunds were
/// committed, so a binary search finds the first receipt of the span and the refunds of
/// earlier visits are found without reading the visits in between.
pub(in crate::service) fn refunds_between<R: ReadAccess + ?Sized>(
    reader: &R,
    from: DateTime<Utc>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<RefundRecord>, ServiceError> {
    let mut refunds = Vec::new();
    for site in crate::service::sites::chain_site_indexes(reader)? {
        refunds.extend(refunds_between_at(reader, site, from, to)?);
    }
    Ok(refunds)
}

/// [`refunds_between`] among the receipts of one site of the chain.
fn refunds_between_at<R: ReadAccess + ?Sized>(
    reader: &R,
    site: SiteIndex,
    from: DateTime<Utc>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<RefundRecord>, ServiceError> {
    let next = reader.next_receipt_number_at(site)?;
    let early = (from - CLOCK_SLACK).timestamp_millis();
    let late = to.map_or(i64::MAX, |to| (to + CLOCK_SLACK).timestamp_millis());
    // The first receipt issued at or after `early`, give or take the slack.
    let (mut low, mut high) = (1u64, next);
    while low < high {
        let middle = low + (high - low) / 2;
        match issued(reader, site, middle)? {
            Some((at, _)) if at < early => low = middle + 1,
            _ => high = middle,
        }
    }
    let mut refunds = Vec::new();
    for number in low..next {
        let Some((at, refund)) = issued(reader, site, number)? else {
            continue;
        };
        if at >= late {
            break;
        }
        if let Some(refund) = refund
            && refund.at >= from
            && to.is_none_or(|to| refund.at < to)
        {
            refunds.push(refund);
        }
    }
    Ok(refunds)
}

impl Service {
    /// The takings of one shop-local day at this site. A manager sees the whole site with a
    /// line per member of staff and every drawer; a cashier sees only what they took and gave
    /// back themselves, and their own drawers (SPEC section 2).
    pub fn takings(
        &self,
        session: &Session,
        day: NaiveDate,
    ) -> Result<TakingsReport, ServiceError> {
        self.takings_in(session, day, false)
    }

    /// The takings of one shop-local day at every site of the chain (a manager's).
    pub fn chain_takings(
        &self,
        session: &Session,
        day: NaiveDate,
    ) -> Result<TakingsReport, ServiceError> {
        self.takings_in(session, day, true)
    }

    fn takings_in(
        &self,
        session: &Session,
        day: NaiveDate,
        all_sites: bool,
    ) -> Result<TakingsReport, ServiceError> {
        let caller = self.authorize(session, Operation::ViewTakings)?;
        if all_sites && caller.role != Role::Manager {
            return Err(ServiceError::invalid(
                "The takings of every site are for a manager; your own takings here are on the end-of-day screen.",
            ));
        }
        let site = (!all_sites).then_some(self.site);
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
        // At one site, a visit or sale is counted where its receipt was issued.
        let here = |number: Option<u64>, what: ReceiptFor| -> Result<bool, ServiceError> {
            Ok(match site {
                None => true,
                Some(site) => receipt_site(&reader, number, &what)? == site,
            })
        };
        reader.scan_id_range(VISITS, low, high, &mut |_, bytes| {
            let visit: VisitRecord = decode_record("visit", bytes)?;
            if ours(visit.staff, visit.at) {
                let counted =
                    here(visit.receipt_number, ReceiptFor::Visit(visit.id)).and_then(|here| {
                        if here {
                            totals.add_visit(&visit)
                        } else {
                            Ok(())
                        }
                    });
                if let Err(err) = counted {
                    failure.get_or_insert(err);
                }
            }
            Ok(())
        })?;
        reader.scan_id_range(SALES, low, high, &mut |_, bytes| {
            let sale: SaleRecord = decode_record("sale", bytes)?;
            if ours(sale.staff, sale.at) {
                let counted = here(sale.receipt_number, ReceiptFor::Sale(sale.id))
                    .and_then(|here| if here { totals.add_sale(&sale) } else { Ok(()) });
                if let Err(err) = counted {
                    failure.get_or_insert(err);
                }
            }
            Ok(())
        })?;
        if let Some(err) = failure {
            return Err(err);
        }
        let refunds = match site {
            None => refunds_between(&reader, from, Some(to))?,
            Some(site) => refunds_between_at(&reader, site, from, Some(to))?,
        };
        for refund in refunds {
            if ours(refund.by, refund.at) {
                totals.add_refund(&refund)?;
            }
        }
        let mut drawers = shifts_opened(&reader, from, to, only)?;
        if let Some(site) = site {
            let mut kept = Vec::new();
            for drawer in drawers {
                if shift_site(&reader, drawer.id)? == site {
                    kept.push(drawer);
                }
            }
            drawers = kept;
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
                    refunds: tally.refunds,
                    tips: tally.tips,
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
            refunds: totals.refunds,
            refunds_by_payment: method_rows(&totals.refunds_by_payment),
            net_total: totals
                .total
                .checked_sub(totals.refunds.amount)
                .map_err(money_error)?,
            taxes: totals.tax_rows()?,
            tips: totals.tips,
            cash_rounding: totals.cash_rounding,
            discounts: totals.discounts,
            adjusted_visits: totals.adjusted_visits,
            points_value: totals.points_value,
            points_earned: totals.points_earned,
            points_redeemed: totals.points_redeemed,
            plan_sales: sales_tally(&totals.plans),
            package_sales: sales_tally(&totals.packages),
            by_staff,
            drawers,
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

    fn tax(name: &str, amount: i64) -> TaxAmount {
        TaxAmount {
            name: name.to_owned(),
            basis_points: 500,
            base: Money::from_minor(amount * 20),
            amount: Money::from_minor(amount),
        }
    }

    fn tender(method: PaymentMethod, amount: i64) -> crate::domain::tender::Tender {
        crate::domain::tender::Tender {
            method,
            amount: Money::from_minor(amount),
            tendered: None,
            change: Money::ZERO,
        }
    }

    #[test]
    fn split_tenders_taxes_tips_rounding_and_refunds_are_each_added_up_apart() {
        let mut totals = Totals::default();
        // 20.00 + GST 1.00 + PST 1.40 = 22.40, tip 2.00: 10.00 by card, 14.40 rounded to
        // 14.40 in cash; then 1.02 of cash rounding on a second, cash-only bill.
        let mut split = visit(1, 2000, PaymentMethod::Card, false);
        split.priced.tax.taxes = vec![tax("GST", 100), tax("PST", 140)];
        split.settlement = Settlement {
            tenders: vec![
                tender(PaymentMethod::Card, 1000),
                tender(PaymentMethod::Cash, 1440),
            ],
            tip: Money::from_minor(200),
            cash_rounding: Money::ZERO,
            charged: Money::from_minor(2440),
        };
        totals.add_visit(&split).unwrap();
        let mut rounded = visit(2, 1048, PaymentMethod::Cash, false);
        rounded.priced.tax.taxes = vec![tax("GST", 48)];
        rounded.settlement = Settlement {
            tenders: vec![tender(PaymentMethod::Cash, 1050)],
            tip: Money::ZERO,
            cash_rounding: Money::from_minor(2),
            charged: Money::from_minor(1050),
        };
        totals.add_visit(&rounded).unwrap();
        // A plan covered this one whole: counted, for nothing.
        let mut covered = visit(2, 0, PaymentMethod::Plan, false);
        covered.settlement = Settlement::default();
        totals.add_visit(&covered).unwrap();
        totals
            .add_refund(&RefundRecord {
                id: RecordId::from_u128(40),
                at: at(),
                by: RecordId::from_u128(9),
                approved_by: None,
                reason: "scratched mirror".into(),
                receipt_number: 9,
                lines: Vec::new(),
                net: Money::from_minor(500),
                taxes: vec![tax("GST", 25), tax("PST", 35)],
                amount: Money::from_minor(560),
                tenders: vec![tender(PaymentMethod::Cash, 560)],
                points_reversed: 0,
                points_restored: 0,
                plan_uses_returned: Vec::new(),
                package_uses_returned: Vec::new(),
                shift: None,
            })
            .unwrap();

        let rows: Vec<(PaymentMethod, u32, i64)> = method_rows(&totals.by_payment)
            .iter()
            .map(|m| (m.method, m.count, m.amount.minor_units()))
            .collect();
        assert_eq!(
            rows,
            [
                (PaymentMethod::Cash, 2, 1440 + 1050),
                (PaymentMethod::Card, 1, 1000),
                (PaymentMethod::Plan, 1, 0),
            ]
        );
        assert_eq!(totals.visits(), 3);
        assert_eq!(totals.total, Money::from_minor(2440 + 1050));
        assert_eq!(totals.tips, Money::from_minor(200));
        assert_eq!(
            totals.staff[&RecordId::from_u128(1)].tips,
            Money::from_minor(200)
        );
        assert_eq!(totals.cash_rounding, Money::from_minor(2));
        assert_eq!(
            totals.refunds,
            Tally {
                count: 1,
                amount: Money::from_minor(560)
            }
        );
        assert_eq!(
            method_rows(&totals.refunds_by_payment)[0].amount,
            Money::from_minor(560)
        );
        assert_eq!(totals.staff[&RecordId::from_u128(9)].refunds.count, 1);
        let taxes: Vec<(String, i64, i64, i64)> = totals
            .tax_rows()
            .unwrap()
            .into_iter()
            .map(|t| {
                (
                    t.name,
                    t.collected.minor_units(),
                    t.refunded.minor_units(),
                    t.net.minor_units(),
                )
            })
            .collect();
        assert_eq!(
            taxes,
            [
                ("GST".to_owned(), 148, 25, 123),
                ("PST".to_owned(), 140, 35, 105),
            ]
        );
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
