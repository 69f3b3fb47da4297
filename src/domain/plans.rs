//! Unlimited monthly plans (one vehicle, a set of services, a daily cap) and prepaid packages
//! (N washes of one service), and when each covers a wash. Dates are shop-local calendar dates.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::field_error::FieldError;
use crate::domain::money::Money;
use crate::domain::tax::TaxClass;
use crate::ids::RecordId;

pub const DEFAULT_WASHES_PER_DAY: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PlanStatus {
    Active,
    Suspended,
    Cancelled,
}

impl PlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Active => "active",
            PlanStatus::Suspended => "suspended",
            PlanStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: RecordId,
    pub member: RecordId,
    pub vehicle: RecordId,
    pub services: Vec<RecordId>,
    /// The price-list product it was sold from; `None` for plans sold before the list existed.
    pub product: Option<RecordId>,
    /// The terms it was sold under, which renewals repeat whatever the list says now.
    pub months_per_term: u32,
    pub price_per_term: Money,
    pub tax_class: TaxClass,
    pub valid_from: NaiveDate,
    /// The last day the plan covers (inclusive), in the shop's local calendar.
    pub valid_until: NaiveDate,
    pub washes_per_day: u32,
    pub status: PlanStatus,
}

impl Plan {
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.services.is_empty() {
            return Err(FieldError::new(
                "services",
                "choose at least one service the plan covers",
            ));
        }
        if self.price_per_term.is_negative() {
            return Err(FieldError::new("price", "the price cannot be negative"));
        }
        if self.months_per_term == 0 {
            return Err(FieldError::new("months", "a term is at least 1 month"));
        }
        if self.valid_until < self.valid_from {
            return Err(FieldError::new(
                "valid_until",
                "the plan must end on or after the day it starts",
            ));
        }
        if self.washes_per_day == 0 {
            return Err(FieldError::new(
                "washes_per_day",
                "allow at least 1 wash a day",
            ));
        }
        Ok(())
    }
}

/// Why a plan does not pay for a wash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotCovered {
    #[error("the plan has been cancelled")]
    Cancelled,
    #[error("the plan is suspended; a manager can reactivate it")]
    Suspended,
    #[error("the plan is for another vehicle")]
    OtherVehicle,
    #[error("the plan starts on {starts}")]
    NotStarted { starts: NaiveDate },
    #[error("the plan expired on {ended}; renew it to use it again")]
    Expired { ended: NaiveDate },
    #[error("the plan does not include this service")]
    ServiceNotInPlan,
    #[error("the plan's {cap} wash(es) for today have been used")]
    DailyCapReached { cap: u32 },
}

/// Whether `plan` pays for one more wash of `service` on `vehicle` on `local_date`, given
/// `washes_used_today` already taken under it that day. Reasons are checked in the order a
/// cashier would explain them: plan state, vehicle, dates, service, daily cap.
pub fn plan_covers(
    plan: &Plan,
    vehicle: RecordId,
    service: RecordId,
    local_date: NaiveDate,
    washes_used_today: u32,
) -> Result<(), NotCovered> {
    match plan.status {
        PlanStatus::Cancelled => return Err(NotCovered::Cancelled),
        PlanStatus::Suspended => return Err(NotCovered::Suspended),
        PlanStatus::Active => {}
    }
    if plan.vehicle != vehicle {
        return Err(NotCovered::OtherVehicle);
    }
    if local_date < plan.valid_from {
        return Err(NotCovered::NotStarted {
            starts: plan.valid_from,
        });
    }
    if local_date > plan.valid_until {
        return Err(NotCovered::Expired {
            ended: plan.valid_until,
        });
    }
    if !plan.services.contains(&service) {
        return Err(NotCovered::ServiceNotInPlan);
    }
    if washes_used_today >= plan.washes_per_day {
        return Err(NotCovered::DailyCapReached {
            cap: plan.washes_per_day,
        });
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenewError {
    #[error("renew for at least 1 month")]
    NoMonths,
    #[error("a cancelled plan cannot be renewed; sell a new plan instead")]
    Cancelled,
    #[error(
        "the renewed plan would end beyond the calendar frontdesk supports; renew for fewer months"
    )]
    OutOfRange,
}

/// The plan extended by `months` calendar months, counted from its last day or from `today`,
/// whichever is later (so a lapsed plan does not renew into the past). The day of month is
/// kept and clamped to the target month's end (Jan 31 + 1 → Feb 28/29); a plan ending on the
/// last day of a month keeps ending on month ends (Feb 28 + 1 → Mar 31), so repeated renewals
/// do not drift. Only `valid_until` changes: the status is kept, and `valid_from` stays as sold.
pub fn renew(plan: &Plan, months: u32, today: NaiveDate) -> Result<Plan, RenewError> {
    if months == 0 {
        return Err(RenewError::NoMonths);
    }
    if plan.status == PlanStatus::Cancelled {
        return Err(RenewError::Cancelled);
    }
    let base = plan.valid_until.max(today);
    let valid_until = if is_last_day_of_month(base) {
        base.with_day(1)
            .and_then(|first| first.checked_add_months(Months::new(months.saturating_add(1))))
            .and_then(|first_after| first_after.pred_opt())
    } else {
        base.checked_add_months(Months::new(months))
    }
    .ok_or(RenewError::OutOfRange)?;
    Ok(Plan {
        valid_until,
        ..plan.clone()
    })
}

fn is_last_day_of_month(date: NaiveDate) -> bool {
    date.succ_opt()
        .is_none_or(|next| next.month() != date.month())
}

/// A prepaid bundle of washes of one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub id: RecordId,
    pub member: RecordId,
    pub service: RecordId,
    pub total: u32,
    pub remaining: u32,
    /// The last day it can be used (inclusive, shop-local); `None` never expires.
    pub expires_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the package has no washes left; sell a new package or take another payment")]
pub struct PackageEmpty;

impl Package {
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.total == 0 {
            return Err(FieldError::new("total", "a package holds at least 1 wash"));
        }
        if self.remaining > self.total {
            return Err(FieldError::new(
                "remaining",
                "a package cannot have more washes left than it was sold with",
            ));
        }
        Ok(())
    }

    /// Takes one wash; the caller stores the package afterwards.
    pub fn use_one(&mut self) -> Result<(), PackageEmpty> {
        self.remaining = self.remaining.checked_sub(1).ok_or(PackageEmpty)?;
        Ok(())
    }
}

/// Whether `package` can pay for a wash of `service` on `local_date`.
pub fn package_covers(package: &Package, service: RecordId, local_date: NaiveDate) -> bool {
    package.service == service
        && package.remaining > 0
        && package.expires_on.is_none_or(|last| local_date <= last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> RecordId {
        RecordId::from_u128(n)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    const CAR: RecordId = RecordId::from_u128(100);
    const WASH: RecordId = RecordId::from_u128(200);

    fn plan() -> Plan {
        Plan {
            id: id(1),
            member: id(2),
            vehicle: CAR,
            services: vec![WASH],
            product: None,
            months_per_term: 1,
            price_per_term: Money::from_minor(3999),
            tax_class: TaxClass::Standard,
            valid_from: date(2026, 1, 15),
            valid_until: date(2026, 2, 14),
            washes_per_day: DEFAULT_WASHES_PER_DAY,
            status: PlanStatus::Active,
        }
    }

    #[test]
    fn an_active_plan_covers_its_vehicle_and_services_within_its_dates() {
        let plan = plan();
        assert!(plan.validate().is_ok());
        assert_eq!(plan_covers(&plan, CAR, WASH, date(2026, 1, 15), 0), Ok(()));
        assert_eq!(plan_covers(&plan, CAR, WASH, date(2026, 2, 14), 0), Ok(()));
        assert_eq!(
            plan_covers(&plan, id(101), WASH, date(2026, 2, 1), 0),
            Err(NotCovered::OtherVehicle)
        );
        assert_eq!(
            plan_covers(&plan, CAR, id(201), date(2026, 2, 1), 0),
            Err(NotCovered::ServiceNotInPlan)
        );
        assert_eq!(
            plan_covers(&plan, CAR, WASH, date(2026, 1, 14), 0),
            Err(NotCovered::NotStarted {
                starts: date(2026, 1, 15)
            })
        );
        assert_eq!(
            plan_covers(&plan, CAR, WASH, date(2026, 2, 15), 0),
            Err(NotCovered::Expired {
                ended: date(2026, 2, 14)
            })
        );
    }

    #[test]
    fn the_daily_cap_and_plan_status_stop_coverage() {
        let mut plan = plan();
        let day = date(2026, 2, 1);
        assert_eq!(
            plan_covers(&plan, CAR, WASH, day, 1),
            Err(NotCovered::DailyCapReached { cap: 1 })
        );
        plan.washes_per_day = 2;
        assert_eq!(plan_covers(&plan, CAR, WASH, day, 1), Ok(()));
        plan.status = PlanStatus::Suspended;
        assert_eq!(
            plan_covers(&plan, CAR, WASH, day, 0),
            Err(NotCovered::Suspended)
        );
        plan.status = PlanStatus::Cancelled;
        assert_eq!(
            plan_covers(&plan, CAR, WASH, day, 0),
            Err(NotCovered::Cancelled)
        );
        assert!(
            NotCovered::DailyCapReached { cap: 2 }
                .to_string()
                .contains('2')
        );
    }

    #[test]
    fn plan_validation_names_the_bad_field() {
        let mut bad = plan();
        bad.washes_per_day = 0;
        assert_eq!(bad.validate().unwrap_err().field(), "washes_per_day");
        let mut bad = plan();
        bad.valid_until = date(2026, 1, 1);
        assert_eq!(bad.validate().unwrap_err().field(), "valid_until");
        let mut bad = plan();
        bad.services.clear();
        assert_eq!(bad.validate().unwrap_err().field(), "services");
    }

    #[test]
    fn renewal_extends_from_the_later_of_the_end_date_and_today() {
        let plan = plan();
        let early = renew(&plan, 1, date(2026, 2, 1)).unwrap();
        assert_eq!(early.valid_until, date(2026, 3, 14));
        assert_eq!(early.valid_from, plan.valid_from);
        let lapsed = renew(&plan, 2, date(2026, 3, 20)).unwrap();
        assert_eq!(lapsed.valid_until, date(2026, 5, 20));
        assert_eq!(renew(&plan, 0, date(2026, 2, 1)), Err(RenewError::NoMonths));
        let mut cancelled = plan.clone();
        cancelled.status = PlanStatus::Cancelled;
        assert_eq!(
            renew(&cancelled, 1, date(2026, 2, 1)),
            Err(RenewError::Cancelled)
        );
        let mut suspended = plan;
        suspended.status = PlanStatus::Suspended;
        assert_eq!(
            renew(&suspended, 1, date(2026, 2, 1)).unwrap().status,
            PlanStatus::Suspended
        );
    }

    #[test]
    fn renewal_clamps_to_month_end_without_drifting() {
        let mut plan = plan();
        plan.valid_until = date(2026, 1, 31);
        let feb = renew(&plan, 1, date(2026, 1, 1)).unwrap();
        assert_eq!(feb.valid_until, date(2026, 2, 28));
        let mar = renew(&feb, 1, date(2026, 1, 1)).unwrap();
        assert_eq!(mar.valid_until, date(2026, 3, 31));
        plan.valid_until = date(2027, 12, 31);
        assert_eq!(
            renew(&plan, 2, date(2026, 1, 1)).unwrap().valid_until,
            date(2028, 2, 29)
        );
        plan.valid_until = date(2026, 1, 30);
        assert_eq!(
            renew(&plan, 1, date(2026, 1, 1)).unwrap().valid_until,
            date(2026, 2, 28)
        );
        plan.valid_until = NaiveDate::MAX;
        assert_eq!(
            renew(&plan, 1, date(2026, 1, 1)),
            Err(RenewError::OutOfRange)
        );
        assert_eq!(
            renew(&plan, u32::MAX, date(2026, 1, 1)),
            Err(RenewError::OutOfRange)
        );
    }

    #[test]
    fn packages_cover_their_service_until_empty_or_expired() {
        let mut package = Package {
            id: id(5),
            member: id(2),
            service: WASH,
            total: 2,
            remaining: 2,
            expires_on: Some(date(2026, 6, 30)),
        };
        assert!(package.validate().is_ok());
        let day = date(2026, 6, 30);
        assert!(package_covers(&package, WASH, day));
        assert!(!package_covers(&package, id(201), day));
        assert!(!package_covers(&package, WASH, date(2026, 7, 1)));
        assert_eq!(package.use_one(), Ok(()));
        assert_eq!(package.use_one(), Ok(()));
        assert_eq!(package.remaining, 0);
        assert!(!package_covers(&package, WASH, day));
        assert_eq!(package.use_one(), Err(PackageEmpty));
        assert_eq!(package.remaining, 0);
        package.expires_on = None;
        package.remaining = 1;
        assert!(package_covers(&package, WASH, date(2099, 1, 1)));
        package.remaining = 3;
        assert_eq!(package.validate().unwrap_err().field(), "remaining");
    }
}
