//! One shop-local day's figures, kept current in the same transaction as each visit, void,
//! refund and plan or package sale, so a report over any range reads one small row per day
//! instead of every visit. Pure: the store and service hand in what happened.

use serde::{Deserialize, Serialize};

use crate::domain::catalog::PaymentMethod;
use crate::domain::checkout::PricedCheckout;
use crate::domain::tax::TaxAmount;
use crate::domain::tender::{Settlement, Tender};
use crate::domain::vehicle::VehicleKind;
use crate::ids::RecordId;

/// A number of things and the money (minor units) they came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub count: u32,
    pub amount: i64,
}

impl Count {
    fn add(&mut self, amount: i64) {
        self.count = self.count.saturating_add(1);
        self.amount = self.amount.saturating_add(amount);
    }
}

/// Whose visit it was: nobody's on file, a member's first visit, or a returning member's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visitor {
    Walk,
    NewMember,
    ReturningMember,
}

/// A visit as the day's figures need it.
#[derive(Debug, Clone, Copy)]
pub struct VisitFacts<'a> {
    /// The shop-local hour (0–23) it was checked out in.
    pub hour: u32,
    pub visitor: Visitor,
    pub priced: &'a PricedCheckout,
    pub settlement: &'a Settlement,
    /// The method a bill nothing was paid on counts under (a plan, package or points).
    pub covered_by: PaymentMethod,
    /// The bay its booking held and for how many minutes.
    pub bay: Option<(RecordId, u32)>,
    pub vehicle: Option<VehicleKind>,
    pub points_earned: i64,
    pub points_redeemed: i64,
}

/// A plan or package sale as the day's figures need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaleType {
    PlanSold,
    PlanRenewed,
    PackageSold,
}

/// Takings by tender method, money only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodCount {
    pub method: Option<PaymentMethod>,
    pub count: u32,
    pub amount: i64,
}

/// One tax by name: what bills charged and refunds gave back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxCount {
    pub name: String,
    pub collected: i64,
    pub refunded: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BayCount {
    pub bay: u128,
    pub visits: u32,
    pub minutes: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCount {
    pub service: u128,
    pub quantity: u32,
    pub amount: i64,
}

/// The day's row. Counts of visits leave voided visits out (they are in `voided`); refunds
/// are counted on the day they were given, apart from the takings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayTotals {
    pub visits: u32,
    pub new_members: u32,
    pub returning_members: u32,
    /// Visits by shop-local hour of checkout.
    pub hours: [u32; 24],
    /// Visits and sales: everything charged, tips and rounding included, before refunds.
    pub takings: i64,
    pub visit_takings: i64,
    pub tips: i64,
    /// Tenders of visits and sales by method (a bill paid by nothing counts once, for 0).
    pub methods: Vec<MethodCount>,
    pub taxes: Vec<TaxCount>,
    pub refunds: Count,
    pub refund_methods: Vec<MethodCount>,
    pub voided: Count,
    pub bays: Vec<BayCount>,
    pub services: Vec<ServiceCount>,
    /// Visits by the kind of vehicle washed; visits with no vehicle are not counted.
    pub vehicles: Vec<(VehicleKind, u32)>,
    pub plans_sold: Count,
    pub plans_renewed: Count,
    pub packages_sold: Count,
    pub points_earned: i64,
    pub points_redeemed: i64,
}

/// +1 to add, −1 to take away.
type Sign = i64;

fn signed(count: u32, sign: Sign) -> u32 {
    if sign > 0 {
        count.saturating_add(1)
    } else {
        count.saturating_sub(1)
    }
}

fn method_entry(rows: &mut Vec<MethodCount>, method: PaymentMethod) -> &mut MethodCount {
    let index = match rows.iter().position(|r| r.method == Some(method)) {
        Some(index) => index,
        None => {
            rows.push(MethodCount {
                method: Some(method),
                ..MethodCount::default()
            });
            rows.len() - 1
        }
    };
    &mut rows[index]
}

fn tax_entry<'a>(rows: &'a mut Vec<TaxCount>, name: &str) -> &'a mut TaxCount {
    let index = match rows.iter().position(|r| r.name == name) {
        Some(index) => index,
        None => {
            rows.push(TaxCount {
                name: name.to_owned(),
                ..TaxCount::default()
            });
            rows.len() - 1
        }
    };
    &mut rows[index]
}

/// A bill's tenders by method; a bill nothing was paid on counts once under `covered_by`.
fn tally_tenders(
    rows: &mut Vec<MethodCount>,
    tenders: &[Tender],
    covered_by: PaymentMethod,
    sign: Sign,
) {
    if tenders.is_empty() {
        let row = method_entry(rows, covered_by);
        row.count = signed(row.count, sign);
    }
    for tender in tenders {
        let row = method_entry(rows, tender.method);
        row.count = signed(row.count, sign);
        row.amount = row
            .amount
            .saturating_add(sign.saturating_mul(tender.amount.minor_units()));
    }
}

impl DayTotals {
    /// A visit checked out this day.
    pub fn add_visit(&mut self, visit: &VisitFacts<'_>) {
        self.apply_visit(visit, 1);
    }

    /// A visit of this day voided (at any later time): out of every figure, into `voided`.
    pub fn void_visit(&mut self, visit: &VisitFacts<'_>) {
        self.apply_visit(visit, -1);
        self.voided.add(visit.settlement.charged.minor_units());
    }

    fn apply_visit(&mut self, visit: &VisitFacts<'_>, sign: Sign) {
        let charged = visit.settlement.charged.minor_units();
        self.visits = signed(self.visits, sign);
        match visit.visitor {
            Visitor::Walk => {}
            Visitor::NewMember => self.new_members = signed(self.new_members, sign),
            Visitor::ReturningMember => {
                self.returning_members = signed(self.returning_members, sign)
            }
        }
        if let Some(slot) = usize::try_from(visit.hour)
            .ok()
            .and_then(|h| self.hours.get_mut(h))
        {
            *slot = signed(*slot, sign);
        }
        self.takings = self.takings.saturating_add(sign.saturating_mul(charged));
        self.visit_takings = self
            .visit_takings
            .saturating_add(sign.saturating_mul(charged));
        self.tips = self
            .tips
            .saturating_add(sign.saturating_mul(visit.settlement.tip.minor_units()));
        tally_tenders(
            &mut self.methods,
            &visit.settlement.tenders,
            visit.covered_by,
            sign,
        );
        self.add_taxes(&visit.priced.tax.taxes, sign);
        if let Some((bay, minutes)) = visit.bay {
            let index = match self.bays.iter().position(|b| b.bay == bay.as_u128()) {
                Some(index) => index,
                None => {
                    self.bays.push(BayCount {
                        bay: bay.as_u128(),
                        ..BayCount::default()
                    });
                    self.bays.len() - 1
                }
            };
            let row = &mut self.bays[index];
            row.visits = signed(row.visits, sign);
            row.minutes = if sign > 0 {
                row.minutes.saturating_add(minutes)
            } else {
                row.minutes.saturating_sub(minutes)
            };
        }
        for line in &visit.priced.lines {
            let id = line.service_id.as_u128();
            let index = match self.services.iter().position(|s| s.service == id) {
                Some(index) => index,
                None => {
                    self.services.push(ServiceCount {
                        service: id,
                        ..ServiceCount::default()
                    });
                    self.services.len() - 1
                }
            };
            let row = &mut self.services[index];
            row.quantity = if sign > 0 {
                row.quantity.saturating_add(line.quantity)
            } else {
                row.quantity.saturating_sub(line.quantity)
            };
            row.amount = row
                .amount
                .saturating_add(sign.saturating_mul(line.amount.minor_units()));
        }
        if let Some(kind) = visit.vehicle {
            match self.vehicles.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, count)) => *count = signed(*count, sign),
                None if sign > 0 => self.vehicles.push((kind, 1)),
                None => {}
            }
        }
        self.points_earned = self
            .points_earned
            .saturating_add(sign.saturating_mul(visit.points_earned));
        self.points_redeemed = self
            .points_redeemed
            .saturating_add(sign.saturating_mul(visit.points_redeemed));
    }

    fn add_taxes(&mut self, taxes: &[TaxAmount], sign: Sign) {
        for tax in taxes {
            let row = tax_entry(&mut self.taxes, &tax.name);
            row.collected = row
                .collected
                .saturating_add(sign.saturating_mul(tax.amount.minor_units()));
        }
    }

    /// A plan or package sold or renewed this day.
    pub fn add_sale(
        &mut self,
        kind: SaleType,
        settlement: &Settlement,
        covered_by: PaymentMethod,
        taxes: &[TaxAmount],
    ) {
        let charged = settlement.charged.minor_units();
        self.takings = self.takings.saturating_add(charged);
        tally_tenders(&mut self.methods, &settlement.tenders, covered_by, 1);
        self.add_taxes(taxes, 1);
        match kind {
            SaleType::PlanSold => self.plans_sold.add(charged),
            SaleType::PlanRenewed => self.plans_renewed.add(charged),
            SaleType::PackageSold => self.packages_sold.add(charged),
        }
    }

    /// A refund given this day (of a visit of any day).
    pub fn add_refund(&mut self, amount: i64, tenders: &[Tender], taxes: &[TaxAmount]) {
        self.refunds.add(amount);
        for tender in tenders {
            let row = method_entry(&mut self.refund_methods, tender.method);
            row.count = row.count.saturating_add(1);
            row.amount = row.amount.saturating_add(tender.amount.minor_units());
        }
        for tax in taxes {
            let row = tax_entry(&mut self.taxes, &tax.name);
            row.refunded = row.refunded.saturating_add(tax.amount.minor_units());
        }
    }

    /// Nothing happened that day.
    pub fn is_empty(&self) -> bool {
        *self == DayTotals::default()
    }

    /// Adds another day's (or a set of days') figures into this one.
    pub fn absorb(&mut self, other: &DayTotals) {
        self.visits = self.visits.saturating_add(other.visits);
        self.new_members = self.new_members.saturating_add(other.new_members);
        self.returning_members = self
            .returning_members
            .saturating_add(other.returning_members);
        for (mine, theirs) in self.hours.iter_mut().zip(other.hours.iter()) {
            *mine = mine.saturating_add(*theirs);
        }
        self.takings = self.takings.saturating_add(other.takings);
        self.visit_takings = self.visit_takings.saturating_add(other.visit_takings);
        self.tips = self.tips.saturating_add(other.tips);
        for row in &other.methods {
            if let Some(method) = row.method {
                let mine = method_entry(&mut self.methods, method);
                mine.count = mine.count.saturating_add(row.count);
                mine.amount = mine.amount.saturating_add(row.amount);
            }
        }
        for row in &other.refund_methods {
            if let Some(method) = row.method {
                let mine = method_entry(&mut self.refund_methods, method);
                mine.count = mine.count.saturating_add(row.count);
                mine.amount = mine.amount.saturating_add(row.amount);
            }
        }
        for row in &other.taxes {
            let mine = tax_entry(&mut self.taxes, &row.name);
            mine.collected = mine.collected.saturating_add(row.collected);
            mine.refunded = mine.refunded.saturating_add(row.refunded);
        }
        for (mine, theirs) in [
            (&mut self.refunds, other.refunds),
            (&mut self.voided, other.voided),
            (&mut self.plans_sold, other.plans_sold),
            (&mut self.plans_renewed, other.plans_renewed),
            (&mut self.packages_sold, other.packages_sold),
        ] {
            mine.count = mine.count.saturating_add(theirs.count);
            mine.amount = mine.amount.saturating_add(theirs.amount);
        }
        for row in &other.bays {
            match self.bays.iter_mut().find(|b| b.bay == row.bay) {
                Some(mine) => {
                    mine.visits = mine.visits.saturating_add(row.visits);
                    mine.minutes = mine.minutes.saturating_add(row.minutes);
                }
                None => self.bays.push(*row),
            }
        }
        for row in &other.services {
            match self.services.iter_mut().find(|s| s.service == row.service) {
                Some(mine) => {
                    mine.quantity = mine.quantity.saturating_add(row.quantity);
                    mine.amount = mine.amount.saturating_add(row.amount);
                }
                None => self.services.push(*row),
            }
        }
        for (kind, count) in &other.vehicles {
            match self.vehicles.iter_mut().find(|(k, _)| k == kind) {
                Some((_, mine)) => *mine = mine.saturating_add(*count),
                None => self.vehicles.push((*kind, *count)),
            }
        }
        self.points_earned = self.points_earned.saturating_add(other.points_earned);
        self.points_redeemed = self.points_redeemed.saturating_add(other.points_redeemed);
    }

    /// Every figure in a canonical order (methods in [`PaymentMethod::ALL`] order, taxes and
    /// rows with nothing left dropped), so two rows built in different orders compare equal.
    pub fn normalised(mut self) -> DayTotals {
        let method_order = |m: &MethodCount| {
            m.method
                .and_then(|m| PaymentMethod::ALL.iter().position(|x| *x == m))
                .unwrap_or(usize::MAX)
        };
        self.methods.retain(|m| m.count != 0 || m.amount != 0);
        self.methods.sort_by_key(method_order);
        self.refund_methods
            .retain(|m| m.count != 0 || m.amount != 0);
        self.refund_methods.sort_by_key(method_order);
        self.taxes.retain(|t| t.collected != 0 || t.refunded != 0);
        self.taxes.sort_by(|a, b| a.name.cmp(&b.name));
        self.bays.retain(|b| b.visits != 0 || b.minutes != 0);
        self.bays.sort_by_key(|b| b.bay);
        self.services.retain(|s| s.quantity != 0 || s.amount != 0);
        self.services.sort_by_key(|s| s.service);
        self.vehicles.retain(|(_, c)| *c != 0);
        self.vehicles
            .sort_by_key(|(k, _)| VehicleKind::ALL.iter().position(|x| x == k));
        self
    }
}
