//! Pricing a visit: catalog lines, plans and packages applied automatically, a discount, points
//! or a reward redeemed, and the spend that earns points. Who may discount is the service's call.

use std::cmp::Reverse;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::catalog::ServiceItem;
use crate::domain::money::{Money, MoneyError};
use crate::domain::plans::{Package, Plan, package_covers, plan_covers};
use crate::domain::sanitize::sanitize_line;
use crate::domain::tax::{InvoiceTax, TaxError, TaxSettings, TaxableLine, tax_invoice};
use crate::ids::RecordId;

/// The most units of one service on one line; a real visit never comes near it, and it keeps a
/// mistyped quantity from producing absurd totals.
pub const MAX_QUANTITY: u32 = 999;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineRequest {
    pub service: ServiceItem,
    pub quantity: u32,
    /// A manager-set unit price replacing the catalog price.
    pub price_override: Option<Money>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Discount {
    /// 1 to 100 percent of the subtotal, rounded half away from zero to a minor unit.
    Percent(u32),
    Amount(Money),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Redemption {
    /// A catalog reward bought with points. With a service, it pays for one unit of that
    /// service in the basket; without one (a gift), it only spends the points.
    Reward {
        reward_id: RecordId,
        points_cost: i64,
        service: Option<RecordId>,
    },
    /// Points spent as money off, at the shop's point value.
    Points(i64),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutRequest {
    pub lines: Vec<LineRequest>,
    /// The vehicle being washed; plans apply only when it is known.
    pub vehicle: Option<RecordId>,
    pub local_date: NaiveDate,
    /// The member's plans, each with the washes already taken under it on `local_date`.
    pub plans: Vec<(Plan, u32)>,
    pub packages: Vec<Package>,
    pub discount: Option<Discount>,
    pub redemption: Option<Redemption>,
    pub points_balance: i64,
    /// What one point is worth when redeemed as money off.
    pub point_value: Money,
    pub tax: TaxSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Coverage {
    Plan(RecordId),
    Package(RecordId),
    Reward(RecordId),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedLine {
    pub service_id: RecordId,
    /// The catalog name, sanitised.
    pub name: String,
    pub quantity: u32,
    pub unit_price: Money,
    /// The unit price differs from the catalog price because of a manager's override.
    pub overridden: bool,
    pub covered_by: Option<Coverage>,
    /// `unit_price × quantity`, or zero when covered.
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedCheckout {
    /// In request order. A requested line is split when only some of its units are covered:
    /// one line per plan, package or reward that covers units, then the units paid for.
    pub lines: Vec<PricedLine>,
    /// The sum of the line amounts (covered units count zero).
    pub subtotal: Money,
    pub discount: Money,
    /// Points spent: a `Points` redemption or a reward's cost.
    pub points_used: i64,
    /// Money taken off the total by a `Points` redemption; a reward's value is its covered line.
    pub points_value: Money,
    /// `subtotal - discount - points_value`, never negative: what the customer pays at list
    /// prices, before any tax added on top (tax-inclusive shops: tax included).
    pub total: Money,
    /// Each tax by name on the reduced total, and the pre-tax amount.
    pub tax: InvoiceTax,
    /// What the customer owes: `total` plus tax added on top (equal to `total` when prices
    /// include tax or there is none). Tenders settle this.
    pub amount_due: Money,
    /// The spend that earns points; see [`price_checkout`].
    pub eligible_spend: Money,
    /// One entry per wash taken under a plan (an id repeats for several washes), so the caller
    /// can count the day's washes.
    pub plan_uses: Vec<RecordId>,
    /// One entry per wash taken from a package, so the caller calls `use_one` that many times.
    pub package_uses: Vec<RecordId>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckoutError {
    #[error("the basket is empty; add at least one service")]
    EmptyBasket,
    #[error("the quantity of {service} must be 1 to {MAX_QUANTITY}")]
    BadQuantity { service: String },
    #[error("{service} is no longer offered; choose an active service")]
    InactiveService { service: String },
    #[error("the price of {service} cannot be negative; enter 0 to give it free")]
    NegativePrice { service: String },
    #[error("a percentage discount must be 1 to 100 percent, not {percent}")]
    BadPercent { percent: u32 },
    #[error("a discount must be more than zero; remove it instead")]
    DiscountNotPositive,
    #[error("the discount is more than the amount due; enter at most the subtotal")]
    DiscountExceedsSubtotal { discount: Money, subtotal: Money },
    #[error("redeem at least 1 point")]
    PointsNotPositive,
    #[error("the reward must cost at least 1 point; check the reward's settings")]
    RewardCostNotPositive,
    #[error("the member has {balance} points, not enough to redeem {requested}")]
    InsufficientPoints { requested: i64, balance: i64 },
    #[error("points have no cash value set; a manager can set the point value in settings")]
    PointValueNotSet,
    #[error(
        "{requested} points are worth more than is left to pay; redeem at most {max_usable} points"
    )]
    PointsExceedTotal { requested: i64, max_usable: i64 },
    #[error(
        "the reward is for a service that is not in the basket or is already covered by a plan or package; add the service or choose another reward"
    )]
    RewardServiceNotInBasket,
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error(transparent)]
    Tax(#[from] TaxError),
}

/// Prices a visit.
///
/// Coverage, most expensive units first (so a capped plan pays for the dearest wash): active
/// plans for the visit's vehicle, each up to its daily cap, in the order given; then packages
/// for the service, soonest-expiring first, one wash per unit; then a reward pays one remaining
/// unit of its service. Then the discount comes off the subtotal, then a points redemption,
/// which must fit within both the balance and what is left to pay (refused, never capped).
///
/// Tax comes last, on what is left after the discount and points (see [`tax_invoice`]).
///
/// Earned points must not be paid for with discounts, points or tax, so the eligible spend is
/// the pre-tax amount paid in proportion to the point-earning lines:
/// `eligible = floor(net × earning_line_amounts / subtotal)` in integer maths (zero when the
/// subtotal is zero). It never exceeds the net, nor the earning lines' own amounts.
pub fn price_checkout(req: &CheckoutRequest) -> Result<PricedCheckout, CheckoutError> {
    if req.lines.is_empty() {
        return Err(CheckoutError::EmptyBasket);
    }
    let mut unit_prices = Vec::with_capacity(req.lines.len());
    for line in &req.lines {
        let service = || sanitize_line(&line.service.name);
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            return Err(CheckoutError::BadQuantity { service: service() });
        }
        if !line.service.active {
            return Err(CheckoutError::InactiveService { service: service() });
        }
        let unit_price = line.price_override.unwrap_or(line.service.price);
        if unit_price.is_negative() {
            return Err(CheckoutError::NegativePrice { service: service() });
        }
        unit_prices.push(unit_price);
    }

    let mut uncovered: Vec<u32> = req.lines.iter().map(|line| line.quantity).collect();
    let mut covered: Vec<Vec<(Coverage, u32)>> = vec![Vec::new(); req.lines.len()];
    let mut dearest_first: Vec<usize> = (0..req.lines.len()).collect();
    dearest_first.sort_by_key(|&index| Reverse(unit_prices[index]));

    let mut plan_uses = Vec::new();
    if let Some(vehicle) = req.vehicle {
        let mut used_today: Vec<u32> = req.plans.iter().map(|(_, used)| *used).collect();
        for &index in &dearest_first {
            let service = req.lines[index].service.id;
            for (plan_index, (plan, _)) in req.plans.iter().enumerate() {
                let used = used_today[plan_index];
                if uncovered[index] == 0
                    || plan_covers(plan, vehicle, service, req.local_date, used).is_err()
                {
                    continue;
                }
                let units = uncovered[index].min(plan.washes_per_day.saturating_sub(used));
                used_today[plan_index] = used + units;
                uncovered[index] -= units;
                covered[index].push((Coverage::Plan(plan.id), units));
                plan_uses.extend(std::iter::repeat_n(plan.id, units as usize));
            }
        }
    }

    let mut package_uses = Vec::new();
    let mut package_left: Vec<u32> = req.packages.iter().map(|p| p.remaining).collect();
    let mut soonest_expiring: Vec<usize> = (0..req.packages.len()).collect();
    soonest_expiring.sort_by_key(|&k| {
        let expires = req.packages[k].expires_on;
        (expires.is_none(), expires)
    });
    for &index in &dearest_first {
        let service = req.lines[index].service.id;
        for &package_index in &soonest_expiring {
            let package = &req.packages[package_index];
            if uncovered[index] == 0
                || package_left[package_index] == 0
                || !package_covers(package, service, req.local_date)
            {
                continue;
            }
            let units = uncovered[index].min(package_left[package_index]);
            package_left[package_index] -= units;
            uncovered[index] -= units;
            covered[index].push((Coverage::Package(package.id), units));
            package_uses.extend(std::iter::repeat_n(package.id, units as usize));
        }
    }

    let mut points_used = 0;
    if let Some(Redemption::Reward {
        reward_id,
        points_cost,
        service,
    }) = req.redemption
    {
        if points_cost <= 0 {
            return Err(CheckoutError::RewardCostNotPositive);
        }
        check_balance(points_cost, req.points_balance)?;
        if let Some(service) = service {
            let index = dearest_first
                .iter()
                .copied()
                .find(|&i| req.lines[i].service.id == service && uncovered[i] > 0)
                .ok_or(CheckoutError::RewardServiceNotInBasket)?;
            uncovered[index] -= 1;
            covered[index].push((Coverage::Reward(reward_id), 1));
        }
        points_used = points_cost;
    }

    let mut lines = Vec::new();
    let mut subtotal = Money::ZERO;
    let mut earning_amount = Money::ZERO;
    for (index, line) in req.lines.iter().enumerate() {
        let unit_price = unit_prices[index];
        let priced = |quantity: u32, covered_by: Option<Coverage>, amount: Money| PricedLine {
            service_id: line.service.id,
            name: sanitize_line(&line.service.name),
            quantity,
            unit_price,
            overridden: unit_price != line.service.price,
            covered_by,
            amount,
        };
        for &(coverage, units) in &covered[index] {
            lines.push(priced(units, Some(coverage), Money::ZERO));
        }
        if uncovered[index] > 0 {
            let amount = unit_price.checked_mul(uncovered[index])?;
            subtotal = subtotal.checked_add(amount)?;
            if line.service.earns_points {
                earning_amount = earning_amount.checked_add(amount)?;
            }
            lines.push(priced(uncovered[index], None, amount));
        }
    }

    let discount = match req.discount {
        None => Money::ZERO,
        Some(Discount::Percent(percent)) => {
            if !(1..=100).contains(&percent) {
                return Err(CheckoutError::BadPercent { percent });
            }
            subtotal.percent_of(percent)?
        }
        Some(Discount::Amount(amount)) => {
            if amount <= Money::ZERO {
                return Err(CheckoutError::DiscountNotPositive);
            }
            if amount > subtotal {
                return Err(CheckoutError::DiscountExceedsSubtotal {
                    discount: amount,
                    subtotal,
                });
            }
            amount
        }
    };
    let after_discount = subtotal.checked_sub(discount)?;

    let mut points_value = Money::ZERO;
    if let Some(Redemption::Points(requested)) = req.redemption {
        if requested <= 0 {
            return Err(CheckoutError::PointsNotPositive);
        }
        check_balance(requested, req.points_balance)?;
        let per_point = req.point_value.minor_units();
        if per_point <= 0 {
            return Err(CheckoutError::PointValueNotSet);
        }
        let max_usable = after_discount.minor_units() / per_point;
        let value = per_point
            .checked_mul(requested)
            .map(Money::from_minor)
            .filter(|value| *value <= after_discount)
            .ok_or(CheckoutError::PointsExceedTotal {
                requested,
                max_usable,
            })?;
        points_used = requested;
        points_value = value;
    }
    let total = after_discount.checked_sub(points_value)?;
    let taxable: Vec<TaxableLine> = lines
        .iter()
        .map(|line| TaxableLine {
            amount: line.amount,
            class: req
                .lines
                .iter()
                .find(|requested| requested.service.id == line.service_id)
                .map(|requested| requested.service.tax_class.clone())
                .unwrap_or_default(),
        })
        .collect();
    let tax = tax_invoice(&req.tax, &taxable, discount.checked_add(points_value)?)?;
    let amount_due = tax.amount_due;
    let net = tax.net;

    let eligible_spend = if subtotal.is_zero() {
        Money::ZERO
    } else {
        let proportional = i128::from(net.minor_units()) * i128::from(earning_amount.minor_units())
            / i128::from(subtotal.minor_units());
        // 0 ≤ net ≤ subtotal and 0 ≤ earning ≤ subtotal, so this lies within 0..=net.
        Money::from_minor(
            i64::try_from(proportional.max(0)).map_err(|_| MoneyError::Overflow {
                operation: "work out the spend that earns points for",
            })?,
        )
    };

    Ok(PricedCheckout {
        lines,
        subtotal,
        discount,
        points_used,
        points_value,
        total,
        tax,
        amount_due,
        eligible_spend,
        plan_uses,
        package_uses,
    })
}

fn check_balance(requested: i64, balance: i64) -> Result<(), CheckoutError> {
    if requested > balance {
        return Err(CheckoutError::InsufficientPoints { requested, balance });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::ServiceCategory;
    use crate::domain::plans::{DEFAULT_WASHES_PER_DAY, PlanStatus};

    const CAR: RecordId = RecordId::from_u128(100);
    const OTHER_CAR: RecordId = RecordId::from_u128(101);
    const BASIC: RecordId = RecordId::from_u128(200);
    const DELUXE: RecordId = RecordId::from_u128(201);
    const WAX: RecordId = RecordId::from_u128(202);
    const PLAN: RecordId = RecordId::from_u128(300);
    const PACKAGE: RecordId = RecordId::from_u128(400);
    const REWARD: RecordId = RecordId::from_u128(500);

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 14).unwrap()
    }

    fn money(minor: i64) -> Money {
        Money::from_minor(minor)
    }

    fn service(id: RecordId, name: &str, price: i64, earns_points: bool) -> ServiceItem {
        ServiceItem {
            id,
            name: name.into(),
            category: ServiceCategory::Exterior,
            duration_minutes: 15,
            price: money(price),
            earns_points,
            active: true,
            tax_class: Default::default(),
        }
    }

    fn basic() -> ServiceItem {
        service(BASIC, "Basic wash", 1250, true)
    }

    fn deluxe() -> ServiceItem {
        service(DELUXE, "Deluxe wash", 2000, true)
    }

    fn wax() -> ServiceItem {
        service(WAX, "Hand wax", 1500, false)
    }

    fn line(service: ServiceItem, quantity: u32) -> LineRequest {
        LineRequest {
            service,
            quantity,
            price_override: None,
        }
    }

    fn request(lines: Vec<LineRequest>) -> CheckoutRequest {
        CheckoutRequest {
            lines,
            vehicle: Some(CAR),
            local_date: day(),
            plans: Vec::new(),
            packages: Vec::new(),
            discount: None,
            redemption: None,
            points_balance: 0,
            point_value: money(1),
            tax: TaxSettings::default(),
        }
    }

    fn plan(services: Vec<RecordId>) -> Plan {
        Plan {
            id: PLAN,
            member: RecordId::from_u128(1),
            vehicle: CAR,
            services,
            product: None,
            months_per_term: 1,
            price_per_term: money(3999),
            tax_class: Default::default(),
            valid_from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            valid_until: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            washes_per_day: DEFAULT_WASHES_PER_DAY,
            status: PlanStatus::Active,
        }
    }

    fn package(remaining: u32) -> Package {
        Package {
            id: PACKAGE,
            member: RecordId::from_u128(1),
            service: BASIC,
            total: 10,
            remaining,
            expires_on: None,
        }
    }

    fn price(req: &CheckoutRequest) -> PricedCheckout {
        price_checkout(req).unwrap()
    }

    #[test]
    fn catalog_lines_add_up_and_all_earn() {
        let priced = price(&request(vec![line(basic(), 2), line(wax(), 1)]));
        assert_eq!(priced.lines.len(), 2);
        assert_eq!(priced.lines[0].amount, money(2500));
        assert_eq!(priced.lines[0].unit_price, money(1250));
        assert!(!priced.lines[0].overridden);
        assert_eq!(priced.subtotal, money(4000));
        assert_eq!(priced.total, money(4000));
        assert_eq!(priced.discount, Money::ZERO);
        assert_eq!(priced.eligible_spend, money(2500), "wax earns no points");
        assert!(priced.plan_uses.is_empty() && priced.package_uses.is_empty());
    }

    #[test]
    fn an_active_plan_covers_its_services_for_its_vehicle() {
        let mut req = request(vec![line(basic(), 1), line(wax(), 1)]);
        req.plans = vec![(plan(vec![BASIC]), 0)];
        let priced = price(&req);
        assert_eq!(priced.lines[0].covered_by, Some(Coverage::Plan(PLAN)));
        assert_eq!(priced.lines[0].amount, Money::ZERO);
        assert_eq!(priced.total, money(1500));
        assert_eq!(priced.plan_uses, vec![PLAN]);

        req.vehicle = Some(OTHER_CAR);
        assert!(price(&req).plan_uses.is_empty());
        req.vehicle = None;
        assert_eq!(price(&req).total, money(2750));
    }

    #[test]
    fn the_plan_daily_cap_counts_earlier_washes_and_this_basket() {
        let mut req = request(vec![line(basic(), 1)]);
        req.plans = vec![(plan(vec![BASIC]), 1)];
        let priced = price(&req);
        assert_eq!(
            priced.total,
            money(1250),
            "today's one wash was already used"
        );
        assert!(priced.plan_uses.is_empty());

        let mut capped = plan(vec![BASIC, DELUXE]);
        capped.washes_per_day = 2;
        let mut req = request(vec![line(basic(), 2), line(deluxe(), 1)]);
        req.plans = vec![(capped, 0)];
        let priced = price(&req);
        // The two covered washes go to the dearest units: the deluxe, then one basic.
        assert_eq!(priced.plan_uses, vec![PLAN, PLAN]);
        assert_eq!(priced.total, money(1250));
        let quantities: Vec<_> = priced
            .lines
            .iter()
            .map(|l| (l.service_id, l.quantity, l.covered_by, l.amount))
            .collect();
        assert_eq!(
            quantities,
            vec![
                (BASIC, 1, Some(Coverage::Plan(PLAN)), Money::ZERO),
                (BASIC, 1, None, money(1250)),
                (DELUXE, 1, Some(Coverage::Plan(PLAN)), Money::ZERO),
            ]
        );
    }

    #[test]
    fn expired_suspended_or_unstarted_plans_are_not_applied() {
        for adjust in [
            (|p: &mut Plan| p.status = PlanStatus::Suspended) as fn(&mut Plan),
            |p| p.status = PlanStatus::Cancelled,
            |p| p.valid_until = NaiveDate::from_ymd_opt(2026, 3, 13).unwrap(),
            |p| p.valid_from = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap(),
        ] {
            let mut stale = plan(vec![BASIC]);
            adjust(&mut stale);
            let mut req = request(vec![line(basic(), 1)]);
            req.plans = vec![(stale, 0)];
            let priced = price(&req);
            assert_eq!(priced.total, money(1250));
            assert!(priced.plan_uses.is_empty());
        }
    }

    #[test]
    fn packages_cover_one_wash_per_unit_after_plans() {
        let mut req = request(vec![line(basic(), 3)]);
        req.plans = vec![(plan(vec![BASIC]), 0)];
        req.packages = vec![package(1)];
        let priced = price(&req);
        assert_eq!(priced.plan_uses, vec![PLAN]);
        assert_eq!(priced.package_uses, vec![PACKAGE]);
        assert_eq!(priced.total, money(1250));
        assert_eq!(priced.lines.len(), 3);
        assert_eq!(priced.lines[1].covered_by, Some(Coverage::Package(PACKAGE)));

        let mut req = request(vec![line(basic(), 2)]);
        req.packages = vec![package(5)];
        let priced = price(&req);
        assert_eq!(priced.package_uses, vec![PACKAGE, PACKAGE]);
        assert_eq!(priced.total, Money::ZERO);
        assert_eq!(priced.lines.len(), 1);
        assert_eq!(priced.lines[0].quantity, 2);

        req.packages = vec![package(0)];
        assert_eq!(price(&req).total, money(2500));
    }

    #[test]
    fn the_soonest_expiring_package_is_used_first_and_expired_ones_not_at_all() {
        let expiring = |id: u128, on: Option<(i32, u32, u32)>| Package {
            id: RecordId::from_u128(id),
            expires_on: on.map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap()),
            ..package(1)
        };
        let mut req = request(vec![line(basic(), 1)]);
        req.packages = vec![
            expiring(1, None),
            expiring(2, Some((2026, 3, 13))),
            expiring(3, Some((2026, 9, 1))),
            expiring(4, Some((2026, 4, 1))),
        ];
        assert_eq!(price(&req).package_uses, vec![RecordId::from_u128(4)]);
    }

    #[test]
    fn a_reward_covers_one_unit_of_its_service() {
        let mut req = request(vec![line(basic(), 2), line(wax(), 1)]);
        req.points_balance = 500;
        req.redemption = Some(Redemption::Reward {
            reward_id: REWARD,
            points_cost: 300,
            service: Some(BASIC),
        });
        let priced = price(&req);
        assert_eq!(priced.lines[0].covered_by, Some(Coverage::Reward(REWARD)));
        assert_eq!(priced.lines[0].quantity, 1);
        assert_eq!(priced.total, money(2750));
        assert_eq!(priced.points_used, 300);
        assert_eq!(priced.points_value, Money::ZERO);

        req.redemption = Some(Redemption::Reward {
            reward_id: REWARD,
            points_cost: 300,
            service: Some(DELUXE),
        });
        assert_eq!(
            price_checkout(&req),
            Err(CheckoutError::RewardServiceNotInBasket)
        );
        req.redemption = Some(Redemption::Reward {
            reward_id: REWARD,
            points_cost: 600,
            service: Some(BASIC),
        });
        assert_eq!(
            price_checkout(&req),
            Err(CheckoutError::InsufficientPoints {
                requested: 600,
                balance: 500
            })
        );
        req.redemption = Some(Redemption::Reward {
            reward_id: REWARD,
            points_cost: 100,
            service: None,
        });
        let gift = price(&req);
        assert_eq!((gift.total, gift.points_used), (money(4000), 100));
    }

    #[test]
    fn a_reward_does_not_take_a_unit_a_plan_already_covers() {
        let mut req = request(vec![line(basic(), 1)]);
        req.plans = vec![(plan(vec![BASIC]), 0)];
        req.points_balance = 500;
        req.redemption = Some(Redemption::Reward {
            reward_id: REWARD,
            points_cost: 300,
            service: Some(BASIC),
        });
        assert_eq!(
            price_checkout(&req),
            Err(CheckoutError::RewardServiceNotInBasket)
        );
    }

    #[test]
    fn points_come_off_the_total_within_the_balance_and_the_amount_due() {
        let mut req = request(vec![line(basic(), 1)]);
        req.point_value = money(5);
        req.points_balance = 1000;
        req.redemption = Some(Redemption::Points(100));
        let priced = price(&req);
        assert_eq!(priced.points_used, 100);
        assert_eq!(priced.points_value, money(500));
        assert_eq!(priced.total, money(750));

        req.redemption = Some(Redemption::Points(250));
        let all = price(&req);
        assert_eq!(all.total, Money::ZERO);
        assert_eq!(all.eligible_spend, Money::ZERO);

        req.redemption = Some(Redemption::Points(251));
        let error = price_checkout(&req).unwrap_err();
        assert_eq!(
            error,
            CheckoutError::PointsExceedTotal {
                requested: 251,
                max_usable: 250
            }
        );
        assert!(error.to_string().contains("at most 250 points"), "{error}");

        req.points_balance = 99;
        req.redemption = Some(Redemption::Points(100));
        assert_eq!(
            price_checkout(&req),
            Err(CheckoutError::InsufficientPoints {
                requested: 100,
                balance: 99
            })
        );
        req.redemption = Some(Redemption::Points(0));
        assert_eq!(price_checkout(&req), Err(CheckoutError::PointsNotPositive));
        req.redemption = Some(Redemption::Points(-5));
        assert_eq!(price_checkout(&req), Err(CheckoutError::PointsNotPositive));
        req.redemption = Some(Redemption::Points(10));
        req.point_value = Money::ZERO;
        assert_eq!(price_checkout(&req), Err(CheckoutError::PointValueNotSet));
    }

    #[test]
    fn points_count_against_the_total_after_the_discount() {
        let mut req = request(vec![line(basic(), 1)]);
        req.point_value = money(1);
        req.points_balance = 10_000;
        req.discount = Some(Discount::Amount(money(1000)));
        req.redemption = Some(Redemption::Points(251));
        assert_eq!(
            price_checkout(&req),
            Err(CheckoutError::PointsExceedTotal {
                requested: 251,
                max_usable: 250
            })
        );
        req.redemption = Some(Redemption::Points(250));
        assert_eq!(price(&req).total, Money::ZERO);
        req.redemption = Some(Redemption::Points(i64::MAX / 2));
        req.points_balance = i64::MAX;
        req.point_value = money(10);
        assert!(matches!(
            price_checkout(&req),
            Err(CheckoutError::PointsExceedTotal { .. })
        ));
    }

    #[test]
    fn discounts_by_percent_round_half_up_and_by_amount_stay_within_the_subtotal() {
        let mut req = request(vec![line(service(BASIC, "Odd", 1005, true), 1)]);
        req.discount = Some(Discount::Percent(10));
        let priced = price(&req);
        assert_eq!(priced.discount, money(101), "100.5 rounds up");
        assert_eq!(priced.total, money(904));

        req.discount = Some(Discount::Percent(100));
        let free = price(&req);
        assert_eq!(free.discount, money(1005));
        assert_eq!(free.total, Money::ZERO);
        assert_eq!(free.eligible_spend, Money::ZERO);

        for percent in [0, 101] {
            req.discount = Some(Discount::Percent(percent));
            assert_eq!(
                price_checkout(&req),
                Err(CheckoutError::BadPercent { percent })
            );
        }
        req.discount = Some(Discount::Amount(money(1005)));
        assert_eq!(price(&req).total, Money::ZERO);
        req.discount = Some(Discount::Amount(money(1006)));
        assert!(matches!(
            price_checkout(&req),
            Err(CheckoutError::DiscountExceedsSubtotal { .. })
        ));
        for bad in [0, -1] {
            req.discount = Some(Discount::Amount(money(bad)));
            assert_eq!(
                price_checkout(&req),
                Err(CheckoutError::DiscountNotPositive)
            );
        }
    }

    #[test]
    fn eligible_spend_is_the_paid_share_of_earning_lines_rounded_down() {
        // Subtotal 27.50 of which 12.50 earns; 10% off leaves 24.75 paid.
        // 2475 × 1250 / 2750 = 1125 exactly.
        let mut req = request(vec![line(basic(), 1), line(wax(), 1)]);
        req.discount = Some(Discount::Percent(10));
        let priced = price(&req);
        assert_eq!(priced.total, money(2475));
        assert_eq!(priced.eligible_spend, money(1125));

        // 3 points off: 2472 × 1250 / 2750 = 1123.6… → 1123.
        req.points_balance = 3;
        req.redemption = Some(Redemption::Points(3));
        let priced = price(&req);
        assert_eq!(priced.total, money(2472));
        assert_eq!(priced.eligible_spend, money(1123));
    }

    #[test]
    fn a_price_override_replaces_the_catalog_price() {
        let mut req = request(vec![LineRequest {
            price_override: Some(money(900)),
            ..line(basic(), 2)
        }]);
        let priced = price(&req);
        assert!(priced.lines[0].overridden);
        assert_eq!(priced.lines[0].unit_price, money(900));
        assert_eq!(priced.total, money(1800));

        req.lines[0].price_override = Some(money(1250));
        assert!(!price(&req).lines[0].overridden, "same as the catalog");
        req.lines[0].price_override = Some(money(-1));
        assert!(matches!(
            price_checkout(&req),
            Err(CheckoutError::NegativePrice { .. })
        ));
    }

    #[test]
    fn bad_baskets_are_refused() {
        assert_eq!(
            price_checkout(&request(Vec::new())),
            Err(CheckoutError::EmptyBasket)
        );
        for quantity in [0, MAX_QUANTITY + 1] {
            let error = price_checkout(&request(vec![line(basic(), quantity)])).unwrap_err();
            assert_eq!(
                error,
                CheckoutError::BadQuantity {
                    service: "Basic wash".into()
                }
            );
        }
        let mut retired = basic();
        retired.active = false;
        assert!(matches!(
            price_checkout(&request(vec![line(retired, 1)])),
            Err(CheckoutError::InactiveService { .. })
        ));
        let huge = service(BASIC, "Gold", i64::MAX / 2, true);
        assert!(matches!(
            price_checkout(&request(vec![line(huge.clone(), 3)])),
            Err(CheckoutError::Money(MoneyError::Overflow { .. }))
        ));
        assert!(matches!(
            price_checkout(&request(vec![line(huge.clone(), 1), line(huge, 2)])),
            Err(CheckoutError::Money(MoneyError::Overflow { .. }))
        ));
    }

    #[test]
    fn names_are_sanitised_on_priced_lines_and_in_errors() {
        let nasty = service(BASIC, "Wash\u{1B}[2J\u{202E}", 100, true);
        let priced = price(&request(vec![line(nasty.clone(), 1)]));
        assert_eq!(priced.lines[0].name, "Wash[2J");
        let error = price_checkout(&request(vec![line(nasty, 0)]))
            .unwrap_err()
            .to_string();
        assert!(!error.contains('\u{1B}'), "{error}");
    }

    #[test]
    fn large_but_valid_amounts_do_not_overflow_the_earning_share() {
        let big = service(BASIC, "Fleet", i64::MAX / 4, true);
        let mut req = request(vec![line(big, 2), line(wax(), 1)]);
        req.discount = Some(Discount::Percent(50));
        let priced = price(&req);
        assert!(priced.eligible_spend <= priced.total);
        assert!(priced.eligible_spend > Money::ZERO);
    }
}
