//! The demo shop itself: its catalog with Vancouver prices in CAD, its bays, its points policy
//! with rewards, and the calendar of hours it has been open, which places every invented
//! visit inside opening hours.

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::dice::Dice;
use crate::domain::catalog::{Bay, ServiceCategory, ServiceItem};
use crate::domain::loyalty::{PointsPolicy, PointsPolicySettings, Reward};
use crate::domain::money::Money;
use crate::domain::price_list::{PackageProduct, PlanProduct};
use crate::domain::schedule::{FoldChoice, OpeningHours, resolve_local};
use crate::ids::RecordId;
use crate::service::ServiceError;
use crate::store::records::TillSettings;

pub(super) const SHOP_NAME: &str = "Sparkle Demo Car Wash";
pub(super) const TIMEZONE: &str = "America/Vancouver";
pub(super) const CURRENCY: &str = "CAD";

/// Catalog positions, used by the history generator.
pub(super) const EXPRESS: usize = 0;
pub(super) const DELUXE: usize = 1;
pub(super) const INTERIOR: usize = 2;
pub(super) const FULL: usize = 3;
pub(super) const PREMIUM: usize = 4;
pub(super) const WAX: usize = 5;
pub(super) const DETAIL: usize = 6;

/// (name, category, minutes, price in cents, earns points)
const SERVICES: &[(&str, ServiceCategory, u32, i64, bool)] = &[
    (
        "Express Exterior",
        ServiceCategory::Exterior,
        15,
        1499,
        true,
    ),
    ("Deluxe Exterior", ServiceCategory::Exterior, 25, 2299, true),
    (
        "Interior Vacuum & Wipe",
        ServiceCategory::Interior,
        30,
        2999,
        true,
    ),
    (
        "Full Service Wash",
        ServiceCategory::FullService,
        45,
        4499,
        true,
    ),
    (
        "Premium Full Service",
        ServiceCategory::FullService,
        60,
        6999,
        true,
    ),
    (
        "Hand Wax & Polish",
        ServiceCategory::Detailing,
        90,
        12999,
        true,
    ),
    ("Full Detail", ServiceCategory::Detailing, 180, 27999, true),
    ("Tire Shine", ServiceCategory::AddOn, 5, 499, true),
    (
        "Rain Repellent Glass",
        ServiceCategory::AddOn,
        10,
        899,
        true,
    ),
    ("Pet Hair Removal", ServiceCategory::AddOn, 15, 1999, true),
    ("Air Freshener", ServiceCategory::AddOn, 5, 299, false),
];

/// What a walk-in asks for, by catalog position and weight.
pub(super) const WALK_IN_MIX: &[(usize, u32)] = &[
    (EXPRESS, 36),
    (DELUXE, 26),
    (INTERIOR, 9),
    (FULL, 16),
    (PREMIUM, 7),
    (WAX, 4),
    (DETAIL, 2),
];

/// Add-ons by catalog position and weight.
pub(super) const ADD_ONS: &[(usize, u32)] = &[(7, 45), (8, 25), (9, 15), (10, 15)];

/// (bay name, the services it does with how often each is booked there)
const BAYS: &[(&str, &[(usize, u32)])] = &[
    ("Tunnel 1", &[(EXPRESS, 60), (DELUXE, 40)]),
    ("Tunnel 2", &[(EXPRESS, 55), (DELUXE, 45)]),
    (
        "Hand Wash Bay 3",
        &[(INTERIOR, 25), (FULL, 50), (PREMIUM, 25)],
    ),
    (
        "Hand Wash Bay 4",
        &[(INTERIOR, 20), (FULL, 45), (PREMIUM, 25), (WAX, 10)],
    ),
    (
        "Detail Bay 5",
        &[(WAX, 40), (DETAIL, 35), (INTERIOR, 10), (PREMIUM, 15)],
    ),
];

/// The unlimited exterior plan: which services, and its monthly price in cents.
pub(super) const PLAN_SERVICES: &[usize] = &[EXPRESS, DELUXE];

pub(super) struct Shop {
    pub tz: Tz,
    pub services: Vec<ServiceItem>,
    pub bays: Vec<Bay>,
    /// Per bay, (catalog position, weight) of what is booked there.
    pub bay_mix: Vec<Vec<(usize, u32)>>,
    pub policy: PointsPolicy,
    /// (reward id, cost, catalog position) of the free-wash rewards.
    pub free_washes: Vec<(RecordId, i64, usize)>,
    pub till: TillSettings,
    pub plan_products: Vec<PlanProduct>,
    pub package_products: Vec<PackageProduct>,
}

fn bug(what: impl std::fmt::Display) -> ServiceError {
    ServiceError::invalid(format!(
        "the demo shop's {what} is invalid; this is a bug, please report it"
    ))
}

impl Shop {
    pub fn new(dice: &Dice, created: DateTime<Utc>) -> Result<Self, ServiceError> {
        let tz: Tz = TIMEZONE.parse().map_err(|_| bug("time zone"))?;
        let mut services = Vec::with_capacity(SERVICES.len());
        for (name, category, minutes, price, earns) in SERVICES {
            let id = RecordId::generate(created, dice.entropy())?;
            services.push(
                ServiceItem::new(
                    id,
                    name,
                    *category,
                    *minutes,
                    Money::from_minor(*price),
                    *earns,
                    true,
                )
                .map_err(bug)?,
            );
        }
        super::till::tax_services(&mut services);
        let mut bays = Vec::with_capacity(BAYS.len());
        let mut bay_mix = Vec::with_capacity(BAYS.len());
        for (name, mix) in BAYS {
            let id = RecordId::generate(created, dice.entropy())?;
            // Add-ons are done in whichever bay the car is in, so every bay offers them; an
            // add-on booked or walked in on its own can then be placed like any wash.
            let serves = mix
                .iter()
                .chain(ADD_ONS)
                .map(|(s, _)| services[*s].id)
                .collect();
            bays.push(Bay::new(id, name, serves, true).map_err(bug)?);
            bay_mix.push(mix.to_vec());
        }
        let free_washes = vec![
            (RecordId::generate(created, dice.entropy())?, 600, EXPRESS),
            (RecordId::generate(created, dice.entropy())?, 900, DELUXE),
        ];
        let mut rewards: Vec<Reward> = free_washes
            .iter()
            .map(|(id, cost, service)| Reward {
                id: *id,
                name: format!("Free {}", services[*service].name),
                points_cost: *cost,
                service: Some(services[*service].id),
            })
            .collect();
        rewards.push(Reward {
            id: RecordId::generate(created, dice.entropy())?,
            name: "Microfibre towel".to_owned(),
            points_cost: 400,
            service: None,
        });
        let policy = PointsPolicySettings {
            rewards,
            ..PointsPolicySettings::default()
        }
        .validate()
        .map_err(bug)?;
        let plan_products = super::till::plan_products(dice, created, &services)?;
        let package_products = super::till::package_products(dice, created, &services)?;
        Ok(Self {
            tz,
            services,
            bays,
            bay_mix,
            policy,
            free_washes,
            till: super::till::settings(),
            plan_products,
            package_products,
        })
    }
}

/// The hours the shop has been open from `first` until `now`, laid end to end: "business
/// time" counts only open milliseconds, so a uniform draw of business time is a uniform draw
/// of a moment the shop was open.
pub(super) struct Calendar {
    tz: Tz,
    /// Open periods as Unix milliseconds, in order, the last cut at `now`.
    periods: Vec<(i64, i64)>,
    /// Business milliseconds before each period.
    before: Vec<i64>,
    total: i64,
}

/// A local wall-clock time as an instant; a repeated hour takes its earlier reading and a
/// skipped one (never inside opening hours) the moment after the gap.
pub(super) fn local_instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let local = date.and_time(time);
    resolve_local(tz, local, Some(FoldChoice::Earlier))
        .ok()
        .or_else(|| resolve_local(tz, local + Duration::hours(1), Some(FoldChoice::Earlier)).ok())
}

impl Calendar {
    pub fn new(tz: Tz, hours: &OpeningHours, first: NaiveDate, now: DateTime<Utc>) -> Self {
        let now_ms = now.timestamp_millis();
        let mut periods = Vec::new();
        let mut day = first;
        let last = now.with_timezone(&tz).date_naive();
        while day <= last {
            for period in hours.periods(day.weekday()) {
                let (Some(open), Some(close)) = (
                    local_instant(tz, day, period.open),
                    local_instant(tz, period.close_date(day), period.close),
                ) else {
                    continue;
                };
                let (open, close) = (open.timestamp_millis(), close.timestamp_millis());
                if open < now_ms && open < close {
                    periods.push((open, close.min(now_ms)));
                }
            }
            match day.checked_add_days(Days::new(1)) {
                Some(next) => day = next,
                None => break,
            }
        }
        let mut before = Vec::with_capacity(periods.len());
        let mut total = 0;
        for (open, close) in &periods {
            before.push(total);
            total += close - open;
        }
        Self {
            tz,
            periods,
            before,
            total,
        }
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// Business milliseconds from the first opening to `now`.
    pub fn total(&self) -> i64 {
        self.total
    }

    /// The instant (Unix ms) `business` open milliseconds after the first opening.
    pub fn instant(&self, business: i64) -> i64 {
        let business = business.clamp(0, self.total.max(1) - 1);
        let index = self.before.partition_point(|b| *b <= business).max(1) - 1;
        match self.periods.get(index) {
            Some((open, _)) => open + (business - self.before[index]),
            None => 0,
        }
    }

    /// The business time of an instant (Unix ms); a closed moment counts as the next opening.
    pub fn business(&self, ms: i64) -> i64 {
        let index = self.periods.partition_point(|(open, _)| *open <= ms);
        if index == 0 {
            return 0;
        }
        let (open, close) = self.periods[index - 1];
        self.before[index - 1] + (ms.min(close) - open)
    }
}

/// Unix milliseconds as an instant (the calendar only holds valid ones).
pub(super) fn at_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Timelike};

    #[test]
    fn the_shop_is_valid() {
        let dice = Dice::new(1, super::super::dice::Stream::Bookings);
        let created = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let shop = Shop::new(&dice, created).unwrap();
        assert_eq!(shop.services.len(), SERVICES.len());
        assert_eq!(shop.bays.len(), BAYS.len());
        assert_eq!(shop.policy.rewards().len(), 3);
        for service in &shop.services {
            assert!(
                shop.bays.iter().any(|bay| bay.serves(service.id)),
                "no bay does {}",
                service.name
            );
        }
    }

    #[test]
    fn business_time_lands_inside_opening_hours() {
        let tz: Tz = TIMEZONE.parse().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 3, 10, 20, 0, 0).unwrap();
        let first = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let calendar = Calendar::new(tz, &OpeningHours::standard(), first, now);
        // 1 Mar 2026 is a Sunday (9–17); the clocks change on 8 Mar.
        assert!(calendar.total() > 0);
        for step in 0..200 {
            let business = calendar.total() * step / 200;
            let ms = calendar.instant(business);
            let local = at_ms(ms).with_timezone(&tz);
            assert!((8..19).contains(&local.hour()), "{local}");
            assert_eq!(calendar.business(ms), business);
        }
        assert!(calendar.instant(calendar.total()) < now.timestamp_millis());
    }
}
