//! Checkout and visits: pricing from the catalog with plans, packages and points applied,
//! then the visit, its ledger entries, the member's statistics, plan and package use and the
//! booking's completion — all in one transaction with its audit entry. Voids undo the same.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::points::{append_entries, stats_of, wallet_of};
use super::{Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::domain::access::Operation;
use crate::domain::alerts::AlertSignal;
use crate::domain::catalog::{PaymentMethod, ServiceItem};
use crate::domain::checkout::{
    CheckoutRequest, Discount, LineRequest, PricedCheckout, Redemption, price_checkout,
};
use crate::domain::loyalty::{
    EntryKind, LedgerEntry, plan_earn, plan_redeem, plan_void, points_for, tier_for,
};
use crate::domain::money::Money;
use crate::domain::plans::{Package, Plan, PlanStatus};
use crate::domain::receipt::{PointsSummary, ReceiptHeader, visit_receipt};
use crate::domain::sanitize::sanitize_line;
use crate::domain::schedule::format_local;
use crate::domain::tender::{Settlement, TenderRequest, settle};
use crate::ids::RecordId;
use crate::store::ReadAccess;
use crate::store::daily_totals;
use crate::store::records::{
    BookingRecord, BookingState, MemberStats, ReceiptFor, VisitRecord, VoidRecord,
};
use crate::store::schema::{
    BOOKINGS, MEMBER_PACKAGES, MEMBER_PLANS, MEMBER_STATS, MEMBER_VISITS, PACKAGES, PLANS,
    SERVICES, VEHICLE_VISITS, VISITS,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutLine {
    pub service: RecordId,
    pub quantity: u32,
    /// Manager only, with a reason.
    pub price_override: Option<Money>,
}

/// How the customer wants to use points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointsUse {
    /// A reward from the catalog in the points policy.
    Reward(RecordId),
    /// Points taken off the bill at the policy's point value.
    Points(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutInput {
    /// The booking being completed; `None` for a sale without one.
    pub booking: Option<RecordId>,
    pub member: Option<RecordId>,
    pub vehicle: Option<RecordId>,
    /// Empty with a booking: the booked service, once.
    pub lines: Vec<CheckoutLine>,
    /// Manager only, with a reason.
    pub discount: Option<Discount>,
    pub adjustment_reason: Option<String>,
    pub points: Option<PointsUse>,
    /// How the customer pays when `tenders` is empty: the whole amount, exactly, by this one
    /// method (or nothing to pay when a plan, package or points cover the visit).
    pub payment: PaymentMethod,
    /// Several tenders, cash last, with the cash handed over; empty means `payment` alone.
    pub tenders: Vec<TenderRequest>,
    /// Only when the shop takes tips; never taxed and earning no points.
    pub tip: Money,
}

#[derive(Debug, Clone)]
pub struct CheckoutReceipt {
    pub visit: RecordId,
    pub receipt_number: u64,
    pub priced: PricedCheckout,
    pub settlement: Settlement,
    pub points_earned: i64,
    /// The member's balance afterwards; `None` for a guest.
    pub points_balance: Option<i64>,
    /// Plain text to print or show; no personal field beyond the member number.
    pub receipt: String,
}

/// One row of visit history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitView {
    pub id: RecordId,
    pub at: DateTime<Utc>,
    pub at_local: String,
    pub member: Option<RecordId>,
    pub vehicle: Option<RecordId>,
    pub services: Vec<String>,
    pub total: Money,
    /// What the customer was charged: tax added on top, tip and cash rounding included.
    pub charged: Money,
    pub payment: PaymentMethod,
    pub receipt_number: Option<u64>,
    pub points_earned: i64,
    pub points_redeemed: i64,
    pub voided: bool,
    /// Money given back by refunds so far.
    pub refunded: Money,
}

/// The one method a history list shows: the tender that took the most, or what covered the
/// visit when nothing was paid.
pub(super) fn main_method(
    priced: &PricedCheckout,
    settlement: &Settlement,
    requested: PaymentMethod,
) -> PaymentMethod {
    if let Some(tender) = settlement.tenders.iter().max_by_key(|t| t.amount) {
        return tender.method;
    }
    if !priced.plan_uses.is_empty() {
        PaymentMethod::Plan
    } else if !priced.package_uses.is_empty() {
        PaymentMethod::Package
    } else if priced.points_used > 0 {
        PaymentMethod::Points
    } else {
        requested
    }
}

/// A shop-local day as the number stored in the plan-usage table.
pub(super) fn day_key(date: NaiveDate) -> u32 {
    let year = u32::try_from(date.year()).unwrap_or(0);
    year * 10_000 + date.month() * 100 + date.day()
}

fn count_by_id(ids: &[RecordId]) -> BTreeMap<RecordId, u32> {
    let mut counts = BTreeMap::new();
    for id in ids {
        *counts.entry(*id).or_insert(0) += 1;
    }
    counts
}

fn invalid(err: impl std::fmt::Display) -> ServiceError {
    ServiceError::invalid(err.to_string())
}

impl Service {
    pub(super) fn local_date(&self, at: DateTime<Utc>) -> Result<NaiveDate, ServiceError> {
        Ok(at.with_timezone(&self.shop_zone()?).date_naive())
    }

    /// Takes payment for a visit. Prices come from the catalog; an override or discount needs
    /// a manager and a reason.
    pub fn checkout(
        &self,
        session: &Session,
        input: CheckoutInput,
    ) -> Result<CheckoutReceipt, ServiceError> {
        let caller = self.authorize(session, Operation::Checkout)?;
        let adjusts =
            input.discount.is_some() || input.lines.iter().any(|l| l.price_override.is_some());
        let adjustment_reason = input
            .adjustment_reason
            .as_deref()
            .map(sanitize_line)
            .filter(|r| !r.is_empty());
        // An adjustment is done under the caller that may adjust: the manager themself, or the
        // cashier with a manager's approval, which this call uses up.
        let caller = if adjusts {
            // The form is checked before a cashier's one-use approval is spent on it; someone
            // who may not adjust at all is refused (and audited) by `authorize` whatever the form.
            if adjustment_reason.is_none() && self.can(session, Operation::OverridePrice) {
                return Err(ServiceError::invalid(
                    "say why the price is changed; the reason is kept with the visit",
                ));
            }
            let adjusting = self.authorize(session, Operation::OverridePrice)?;
            if adjustment_reason.is_none() {
                return Err(ServiceError::invalid(
                    "say why the price is changed; the reason is kept with the visit",
                ));
            }
            adjusting
        } else {
            caller
        };
        let now = self.clock.now();
        let tz = self.shop_zone()?;
        let settings = self.settings()?;
        let till = self.till_settings()?;
        if input.tip.is_negative() || (!input.tip.is_zero() && !till.tips) {
            return Err(ServiceError::invalid(if input.tip.is_negative() {
                "a tip cannot be negative"
            } else {
                "this shop does not take tips; a manager can turn tips on in settings"
            }));
        }
        let GatheredCheckout {
            booking,
            member,
            vehicle,
            lines,
            plans,
            packages,
            member_number,
            local_date,
            policy,
            redemption,
            ..
        } = self.gather_checkout(&input, now)?;
        let visit_id = RecordId::generate(now, self.entropy.as_ref())?;
        let mut draft = caller.draft(AuditAction::VisitCheckedOut);
        draft.objects = [
            Some(visit_id),
            member,
            vehicle,
            booking.as_ref().map(|b| b.id),
        ]
        .into_iter()
        .flatten()
        .map(|id| id.to_string())
        .collect();
        if adjusts {
            draft.fields = vec!["price_override".into()];
        }
        let outcome = self.write_audited(
            |writer, _| {
                let mut stats = match member {
                    Some(member) => stats_of(writer, member)?,
                    None => MemberStats::default(),
                };
                let mut points_balance = 0;
                if let Some(member) = member {
                    self.expire_member_points(writer, member, &mut stats, now)?;
                    points_balance = wallet_of(writer, member)?.0.available(now);
                }
                let request = CheckoutRequest {
                    lines,
                    vehicle,
                    local_date,
                    plans,
                    packages: packages.clone(),
                    discount: input.discount,
                    redemption,
                    points_balance,
                    point_value: Money::from_minor(policy.point_value_minor()),
                    tax: till.tax.clone(),
                };
                let priced = price_checkout(&request).map_err(invalid)?;
                if adjusts {
                    writer.note_for_alerts(AlertSignal::ShiftAdjustment {
                        amount_minor: priced.discount.minor_units(),
                    });
                }
                let requests = if !input.tenders.is_empty() {
                    input.tenders.clone()
                } else if priced.amount_due.is_zero() && input.tip.is_zero() {
                    Vec::new()
                } else {
                    vec![TenderRequest {
                        method: input.payment,
                        amount: None,
                        tendered: None,
                    }]
                };
                let settlement = settle(priced.amount_due, input.tip, &requests, till.cash_unit)
                    .map_err(invalid)?;
                let mut earned = 0;
                let mut redeemed = 0;
                if let Some(member) = member {
                    let mut entries: Vec<LedgerEntry> = Vec::new();
                    if priced.points_used > 0 {
                        let (wallet, _) = wallet_of(writer, member)?;
                        entries.push(
                            plan_redeem(
                                &wallet,
                                priced.points_used,
                                Some(visit_id),
                                now,
                                self.entropy.as_ref(),
                            )
                            .map_err(invalid)?,
                        );
                        redeemed = priced.points_used;
                    }
                    let tier = tier_for(stats.spend.total(now), &policy);
                    earned = points_for(priced.eligible_spend.minor_units(), tier, &policy);
                    if earned > 0 {
                        entries.push(
                            plan_earn(
                                member,
                                earned,
                                Some(visit_id),
                                now,
                                &policy,
                                self.entropy.as_ref(),
                            )
                            .map_err(invalid)?,
                        );
                    }
                    append_entries(writer, member, &mut stats, &entries)?;
                    stats.visits += 1;
                    stats.last_visit_at = Some(now);
                    stats.spend.add(now, priced.tax.net.minor_units());
                    stats.spend.prune(now);
                    writer.put(MEMBER_STATS, member, &stats)?;
                    writer.link(MEMBER_VISITS, member, visit_id)?;
                }
                for (plan, uses) in count_by_id(&priced.plan_uses) {
                    let used = writer.plan_usage(plan, day_key(local_date))?;
                    writer.set_plan_usage(plan, day_key(local_date), used + uses)?;
                }
                for (package_id, uses) in count_by_id(&priced.package_uses) {
                    let mut package = writer
                        .get::<Package>(PACKAGES, package_id, "package")?
                        .ok_or(ServiceError::NotFound("package"))?;
                    for _ in 0..uses {
                        package.use_one().map_err(invalid)?;
                    }
                    writer.put(PACKAGES, package_id, &package)?;
                }
                if let Some(mut booking) = booking.clone() {
                    booking.state = BookingState::Completed { visit: visit_id };
                    booking.updated_at = now;
                    writer.put(BOOKINGS, booking.id, &booking)?;
                }
                if let Some(vehicle) = vehicle {
                    writer.link(VEHICLE_VISITS, vehicle, visit_id)?;
                }
                let receipt_number =
                    writer.issue_receipt_at(self.site, &ReceiptFor::Visit(visit_id))?;
                let shift = self.site_shift(writer, caller.staff_id)?;
                let visit = VisitRecord {
                    id: visit_id,
                    member,
                    vehicle,
                    booking: booking.as_ref().map(|b| b.id),
                    at: now,
                    staff: caller.staff_id,
                    payment: main_method(&priced, &settlement, input.payment),
                    priced: priced.clone(),
                    settlement: settlement.clone(),
                    receipt_number: Some(receipt_number),
                    shift,
                    adjustment_reason: adjustment_reason.clone(),
                    approved_by: caller.approver_id(),
                    points_earned: earned,
                    points_redeemed: redeemed,
                    voided: None,
                    refunds: Vec::new(),
                };
                writer.put(VISITS, visit_id, &visit)?;
                daily_totals::record_visit(writer, tz, &visit)?;
                Ok((
                    priced,
                    settlement,
                    receipt_number,
                    earned,
                    member.map(|_| stats.points_balance),
                ))
            },
            draft,
        )?;
        let (priced, settlement, receipt_number, earned, balance) = outcome;
        let receipt = visit_receipt(
            &ReceiptHeader {
                shop_name: &settings.shop_name,
                currency: &settings.currency,
                when_local: &format_local(tz, now),
                number: Some(receipt_number),
                member_number,
                language: till.receipt_language,
                reprint: false,
            },
            &priced,
            &settlement,
            balance.map(|balance_after| PointsSummary {
                used: priced.points_used,
                earned,
                balance_after,
            }),
        );
        Ok(CheckoutReceipt {
            visit: visit_id,
            receipt_number,
            priced,
            settlement,
            points_earned: earned,
            points_balance: balance,
            receipt,
        })
    }

    /// Voids a visit (manager, with a reason): its earned points are reversed, redeemed points
    /// restored, plan and package use given back, and the member's statistics corrected.
    pub fn void_visit(
        &self,
        session: &Session,
        visit: RecordId,
        reason: &str,
    ) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::VoidVisit)?;
        let reason = sanitize_line(reason);
        if reason.is_empty() {
            return Err(ServiceError::invalid(
                "say why the visit is voided; the reason is kept with it",
            ));
        }
        let now = self.clock.now();
        let tz = self.shop_zone()?;
        let mut draft = caller.draft(AuditAction::VisitVoided);
        draft.objects = vec![visit.to_string()];
        self.write_audited(
            |writer, draft| {
                let mut record = writer
                    .get::<VisitRecord>(VISITS, visit, "visit")?
                    .ok_or(ServiceError::NotFound("visit"))?;
                if record.voided.is_some() {
                    return Err(ServiceError::invalid("this visit is already voided"));
                }
                if !record.refunds.is_empty() {
                    return Err(ServiceError::invalid(
                        "this visit has refunds; refund what is left instead of voiding it",
                    ));
                }
                if let Some(member) = record.member {
                    draft.objects.push(member.to_string());
                    let (wallet, entries) = wallet_of(writer, member)?;
                    let visit_entries: Vec<LedgerEntry> = entries
                        .into_iter()
                        .filter(|e| {
                            e.visit == Some(visit)
                                && matches!(e.kind, EntryKind::Earn | EntryKind::Redeem)
                        })
                        .collect();
                    let reversals = if visit_entries.is_empty() {
                        Vec::new()
                    } else {
                        plan_void(&wallet, &visit_entries, now, self.entropy.as_ref())
                            .map_err(invalid)?
                    };
                    let mut stats = stats_of(writer, member)?;
                    append_entries(writer, member, &mut stats, &reversals)?;
                    stats.visits = stats.visits.saturating_sub(1);
                    stats
                        .spend
                        .subtract(record.at, record.priced.tax.net.minor_units());
                    writer.put(MEMBER_STATS, member, &stats)?;
                }
                let day = day_key(record.at.with_timezone(&tz).date_naive());
                for (plan, uses) in count_by_id(&record.priced.plan_uses) {
                    let used = writer.plan_usage(plan, day)?;
                    writer.set_plan_usage(plan, day, used.saturating_sub(uses))?;
                }
                for (package_id, uses) in count_by_id(&record.priced.package_uses) {
                    if let Some(mut package) =
                        writer.get::<Package>(PACKAGES, package_id, "package")?
                    {
                        package.remaining = (package.remaining + uses).min(package.total);
                        writer.put(PACKAGES, package_id, &package)?;
                    }
                }
                writer.note_for_alerts(AlertSignal::ShiftAdjustment {
                    amount_minor: record.priced.amount_due.minor_units(),
                });
                record.voided = Some(VoidRecord {
                    at: now,
                    by: caller.staff_id,
                    reason: reason.chars().take(200).collect(),
                });
                writer.put(VISITS, visit, &record)?;
                daily_totals::record_void(writer, tz, &record)?;
                Ok(())
            },
            draft,
        )
    }

    fn visit_views(&self, mut visits: Vec<VisitRecord>) -> Result<Vec<VisitView>, ServiceError> {
        let tz = self.shop_zone()?;
        visits.sort_by_key(|v| std::cmp::Reverse(v.at));
        Ok(visits
            .into_iter()
            .map(|visit| VisitView {
                id: visit.id,
                at: visit.at,
                at_local: format_local(tz, visit.at),
                member: visit.member,
                vehicle: visit.vehicle,
                services: visit.priced.lines.iter().map(|l| l.name.clone()).collect(),
                total: visit.priced.total,
                charged: visit.settlement.charged,
                payment: visit.payment,
                receipt_number: visit.receipt_number,
                points_earned: visit.points_earned,
                points_redeemed: visit.points_redeemed,
                voided: visit.voided.is_some(),
                refunded: Money::from_minor(
                    visit.refunds.iter().map(|r| r.amount.minor_units()).sum(),
                ),
            })
            .collect())
    }

    /// A member's visits, newest first.
    pub fn member_visits(
        &self,
        session: &Session,
        member: RecordId,
    ) -> Result<Vec<VisitView>, ServiceError> {
        self.authorize(session, Operation::OpenMember)?;
        let visits = self
            .store
            .read()?
            .get_linked(MEMBER_VISITS, VISITS, member, "visit")?;
        self.visit_views(visits)
    }

    /// A vehicle's visits, newest first.
    pub fn vehicle_visits(
        &self,
        session: &Session,
        vehicle: RecordId,
    ) -> Result<Vec<VisitView>, ServiceError> {
        self.authorize(session, Operation::OpenMember)?;
        let visits = self
            .store
            .read()?
            .get_linked(VEHICLE_VISITS, VISITS, vehicle, "visit")?;
        self.visit_views(visits)
    }

    /// The member's visit count, last visit and rolling 12-month spend.
    pub fn member_stats(
        &self,
        session: &Session,
        member: RecordId,
    ) -> Result<MemberStats, ServiceError> {
        self.authorize(session, Operation::OpenMember)?;
        stats_of(&self.store.read()?, member)
    }
}

/// What pricing a checkout needs from the store, gathered the same way for taking payment
/// and for the preview, so the two can never price differently.
pub(super) struct GatheredCheckout {
    pub booking: Option<BookingRecord>,
    pub member: Option<RecordId>,
    pub vehicle: Option<RecordId>,
    /// The lines asked for: the booked service once when the input named none.
    pub wanted: Vec<CheckoutLine>,
    pub lines: Vec<LineRequest>,
    pub plans: Vec<(Plan, u32)>,
    pub packages: Vec<Package>,
    pub member_number: Option<u64>,
    pub local_date: NaiveDate,
    pub policy: crate::domain::loyalty::PointsPolicy,
    pub redemption: Option<Redemption>,
}

impl Service {
    /// Reads the booking, customer, catalog lines, active plans with the day's use, packages
    /// and the redemption for `input`, refusing what checkout refuses.
    pub(super) fn gather_checkout(
        &self,
        input: &CheckoutInput,
        now: DateTime<Utc>,
    ) -> Result<GatheredCheckout, ServiceError> {
        let local_date = self.local_date(now)?;
        let reader = self.store.read()?;
        let booking = match input.booking {
            Some(id) => {
                let booking = reader
                    .get::<BookingRecord>(BOOKINGS, id, "booking")?
                    .ok_or(ServiceError::NotFound("booking"))?;
                if !matches!(
                    booking.state,
                    BookingState::Booked | BookingState::CheckedIn { .. }
                ) {
                    return Err(ServiceError::invalid(format!(
                        "this booking is {} and cannot be checked out",
                        booking.state.as_str()
                    )));
                }
                super::bookings::ensure_today(
                    self.shop_zone()?,
                    &booking,
                    now,
                    "check out on its day or move it",
                )?;
                Some(booking)
            }
            None => None,
        };
        let member = input.member.or(booking.as_ref().and_then(|b| b.member));
        let vehicle = input.vehicle.or(booking.as_ref().and_then(|b| b.vehicle));
        drop(reader);
        self.check_customer(member, vehicle)?;
        if input.points.is_some() && member.is_none() {
            return Err(ServiceError::invalid(
                "points can only be used by a member; find the member first",
            ));
        }
        let wanted = if input.lines.is_empty() {
            match &booking {
                Some(booking) => vec![CheckoutLine {
                    service: booking.service,
                    quantity: 1,
                    price_override: None,
                }],
                None => {
                    return Err(ServiceError::invalid(
                        "add at least one service to the bill",
                    ));
                }
            }
        } else {
            input.lines.clone()
        };
        let policy = self.points_policy()?;
        let reader = self.store.read()?;
        let mut lines = Vec::with_capacity(wanted.len());
        for line in &wanted {
            let service = reader
                .get::<ServiceItem>(SERVICES, line.service, "service")?
                .ok_or(ServiceError::NotFound("service"))?;
            lines.push(LineRequest {
                service,
                quantity: line.quantity,
                price_override: line.price_override,
            });
        }
        let (plans, packages) = match member {
            Some(member) => {
                let plans: Vec<Plan> = reader.get_linked(MEMBER_PLANS, PLANS, member, "plan")?;
                let mut with_usage = Vec::new();
                for plan in plans.into_iter().filter(|p| p.status == PlanStatus::Active) {
                    let used = reader.plan_usage(plan.id, day_key(local_date))?;
                    with_usage.push((plan, used));
                }
                let packages: Vec<Package> =
                    reader.get_linked(MEMBER_PACKAGES, PACKAGES, member, "package")?;
                (with_usage, packages)
            }
            None => (Vec::new(), Vec::new()),
        };
        let member_number = match member {
            Some(id) => reader.member_number_of(id)?,
            None => None,
        };
        drop(reader);
        let redemption = match input.points {
            Some(PointsUse::Reward(id)) => {
                let reward = policy.reward(id).ok_or(ServiceError::NotFound("reward"))?;
                Some(Redemption::Reward {
                    reward_id: reward.id,
                    points_cost: reward.points_cost,
                    service: reward.service,
                })
            }
            Some(PointsUse::Points(points)) => Some(Redemption::Points(points)),
            None => None,
        };
        Ok(GatheredCheckout {
            booking,
            member,
            vehicle,
            wanted,
            lines,
            plans,
            packages,
            member_number,
            local_date,
            policy,
            redemption,
        })
    }
}
