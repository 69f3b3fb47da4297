//! The demo shop's till: British Columbia's taxes (GST on everything, PST on detailing and
//! goods), cash rounded to the nickel, tips, a price list of plans and packages, and a cash
//! drawer shift per staff member per day. Bills are settled through the same
//! [`settle`] the counter uses, so `verify` finds every visit adding up.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::dice::Dice;
use super::shop::{DELUXE, DETAIL, EXPRESS, FULL, WAX};
use crate::domain::catalog::{PaymentMethod, ServiceItem};
use crate::domain::money::Money;
use crate::domain::price_list::{PackageProduct, PlanProduct};
use crate::domain::receipt::ReceiptLanguage;
use crate::domain::tax::{TaxClass, TaxRate, TaxSettings};
use crate::domain::tender::{Settlement, TenderRequest, settle};
use crate::ids::RecordId;
use crate::service::ServiceError;
use crate::store::records::TillSettings;

/// The float every demo drawer opens with.
pub(super) const FLOAT: Money = Money::from_minor(20_000);

fn bug(what: impl std::fmt::Display) -> ServiceError {
    ServiceError::invalid(format!(
        "the demo till made an inconsistent record ({what}); this is a bug, please report it"
    ))
}

pub(super) fn settings() -> TillSettings {
    TillSettings {
        tax: TaxSettings {
            prices_include_tax: false,
            taxes: vec![TaxRate::new("GST", 500), TaxRate::new("PST", 700)],
        },
        cash_unit: Some(Money::from_minor(5)),
        tips: true,
        receipt_language: ReceiptLanguage::English,
        print_command: None,
    }
}

/// Washes are services, taxed by GST alone; detailing and the air freshener (goods) also
/// carry PST.
pub(super) fn tax_services(services: &mut [ServiceItem]) {
    let gst_only = TaxClass::Only(vec!["GST".to_owned()]);
    for (index, service) in services.iter_mut().enumerate() {
        service.tax_class = if index == WAX || index == DETAIL || !service.earns_points {
            TaxClass::Standard
        } else {
            gst_only.clone()
        };
    }
}

/// Plan products: the plan covers the express and deluxe washes, sold by the month, the
/// quarter or the year.
pub(super) fn plan_products(
    dice: &Dice,
    created: DateTime<Utc>,
    services: &[ServiceItem],
) -> Result<Vec<PlanProduct>, ServiceError> {
    let covers = vec![services[EXPRESS].id, services[DELUXE].id];
    let gst_only = TaxClass::Only(vec!["GST".to_owned()]);
    [
        ("Unlimited monthly", 1, 3999),
        ("Unlimited 3 months", 3, 10_999),
        ("Unlimited 12 months", 12, 39_900),
    ]
    .into_iter()
    .map(|(name, months, price)| {
        let product = PlanProduct {
            id: RecordId::generate(created, dice.entropy())?,
            name: name.to_owned(),
            services: covers.clone(),
            months_per_term: months,
            price_per_term: Money::from_minor(price),
            washes_per_day: 1,
            tax_class: gst_only.clone(),
            active: true,
        };
        product.validate().map_err(bug)?;
        Ok(product)
    })
    .collect()
}

pub(super) fn package_products(
    dice: &Dice,
    created: DateTime<Utc>,
    services: &[ServiceItem],
) -> Result<Vec<PackageProduct>, ServiceError> {
    let gst_only = TaxClass::Only(vec!["GST".to_owned()]);
    [
        ("10 Express washes", EXPRESS, 10, 12_999, None),
        ("5 Full Service washes", FULL, 5, 19_999, Some(12)),
    ]
    .into_iter()
    .map(|(name, service, washes, price, valid_months)| {
        let product = PackageProduct {
            id: RecordId::generate(created, dice.entropy())?,
            name: name.to_owned(),
            service: services[service].id,
            washes,
            price: Money::from_minor(price),
            valid_months,
            tax_class: gst_only.clone(),
            active: true,
        };
        product.validate().map_err(bug)?;
        Ok(product)
    })
    .collect()
}

/// Who worked a drawer: the demo has one cashier and one manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Till {
    Cashier,
    Manager,
}

/// The drawer shift a staff member worked on a shop day: opened at 07:30 local time, with an
/// id made from that instant, the staff member and the day, so every worker thread names the
/// same shift without talking to the others.
pub(super) fn shift_id(tz: Tz, till: Till, day: NaiveDate) -> Result<RecordId, ServiceError> {
    let opened = shift_opened(tz, day)?;
    let millis = u64::try_from(opened.timestamp_millis()).map_err(|_| bug("shift time"))?;
    let who = match till {
        Till::Cashier => 1u128,
        Till::Manager => 2u128,
    };
    let day_number = u128::try_from(day.num_days_from_ce()).map_err(|_| bug("shift day"))?;
    Ok(RecordId::from_u128(
        ulid::Ulid::from_parts(millis, (who << 64) | day_number).0,
    ))
}

/// The staff member and day a demo shift id was made from.
pub(super) fn shift_owner(id: RecordId) -> Option<(Till, NaiveDate)> {
    let random = ulid::Ulid(id.as_u128()).random();
    let till = match random >> 64 {
        1 => Till::Cashier,
        2 => Till::Manager,
        _ => return None,
    };
    let day = NaiveDate::from_num_days_from_ce_opt(i32::try_from(random & 0xFFFF_FFFF).ok()?)?;
    Some((till, day))
}

pub(super) fn shift_opened(tz: Tz, day: NaiveDate) -> Result<DateTime<Utc>, ServiceError> {
    local(tz, day, 7, 30)
}

pub(super) fn shift_closed(tz: Tz, day: NaiveDate) -> Result<DateTime<Utc>, ServiceError> {
    local(tz, day, 21, 30)
}

fn local(tz: Tz, day: NaiveDate, hour: u32, minute: u32) -> Result<DateTime<Utc>, ServiceError> {
    let time = day
        .and_hms_opt(hour, minute, 0)
        .ok_or_else(|| bug("shift time"))?;
    tz.from_local_datetime(&time)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| bug("shift time"))
}

/// How a customer pays `amount_due`: mostly card, then mobile and cash; now and then card and
/// cash together; cash often handed over as a round note; a tip on some card payments.
pub(super) fn pay(
    dice: &Dice,
    amount_due: Money,
    tips_allowed: bool,
) -> Result<Settlement, ServiceError> {
    let till = settings();
    if amount_due.is_zero() {
        return settle(amount_due, Money::ZERO, &[], till.cash_unit).map_err(bug);
    }
    let due = amount_due.minor_units();
    let roll = dice.below(100)?;
    let cash_handed = |dice: &Dice, cash: i64| -> Result<Option<Money>, ServiceError> {
        let rounded = (cash + 2) / 5 * 5;
        Ok(match dice.below(4)? {
            0 => None,
            1 => Some(Money::from_minor((rounded + 99) / 100 * 100)),
            2 => Some(Money::from_minor((rounded + 499) / 500 * 500)),
            _ => Some(Money::from_minor((rounded + 1999) / 2000 * 2000)),
        })
    };
    let (requests, tip) = match roll {
        0..=54 => {
            let tip = if tips_allowed && dice.chance(200)? {
                Money::from_minor(due * dice.between(10, 20)? / 100)
            } else {
                Money::ZERO
            };
            (vec![money_tender(PaymentMethod::Card, None)], tip)
        }
        55..=74 => (vec![money_tender(PaymentMethod::Mobile, None)], Money::ZERO),
        75..=94 => (
            vec![TenderRequest {
                method: PaymentMethod::Cash,
                amount: None,
                tendered: cash_handed(dice, due)?,
            }],
            Money::ZERO,
        ),
        _ if due > 2000 => {
            let card = Money::from_minor(dice.between(10, (due / 100 - 5).max(11))? * 100);
            let rest = due - card.minor_units();
            (
                vec![
                    money_tender(PaymentMethod::Card, Some(card)),
                    TenderRequest {
                        method: PaymentMethod::Cash,
                        amount: None,
                        tendered: cash_handed(dice, rest)?,
                    },
                ],
                Money::ZERO,
            )
        }
        _ => (vec![money_tender(PaymentMethod::Card, None)], Money::ZERO),
    };
    settle(amount_due, tip, &requests, till.cash_unit).map_err(bug)
}

fn money_tender(method: PaymentMethod, amount: Option<Money>) -> TenderRequest {
    TenderRequest {
        method,
        amount,
        tendered: None,
    }
}

/// A plan or package sold at `at`, taxed and paid like a sale at the counter, into the drawer
/// of whoever sold it. The receipt number is given when the history is written in time order.
#[allow(clippy::too_many_arguments)] // the parts of one sale, each needed here
pub(super) fn sale_record(
    ctx: &super::Context<'_>,
    dice: &Dice,
    kind: crate::store::records::SaleKind,
    member: RecordId,
    product: RecordId,
    amount: Money,
    class: &TaxClass,
    at: DateTime<Utc>,
) -> Result<crate::store::records::SaleRecord, ServiceError> {
    let tax = crate::domain::tax::tax_invoice(
        &ctx.shop.till.tax,
        &[crate::domain::tax::TaxableLine {
            amount,
            class: class.clone(),
        }],
        Money::ZERO,
    )
    .map_err(bug)?;
    let till = if dice.chance(150)? {
        Till::Manager
    } else {
        Till::Cashier
    };
    // Plans and packages are paid by card, mobile or cash, never tipped.
    let settlement = pay(dice, tax.amount_due, false)?;
    let payment = settlement
        .tenders
        .iter()
        .max_by_key(|t| t.amount)
        .map_or(PaymentMethod::Card, |t| t.method);
    let day = at.with_timezone(&ctx.shop.tz).date_naive();
    Ok(crate::store::records::SaleRecord {
        id: RecordId::generate(at, dice.entropy())?,
        kind,
        member,
        amount,
        payment,
        staff: staff_of(ctx, till),
        at,
        product: Some(product),
        off_list_reason: None,
        approved_by: None,
        tax,
        settlement,
        receipt_number: None,
        shift: Some(shift_id(ctx.shop.tz, till, day)?),
    })
}

pub(super) fn staff_of(ctx: &super::Context<'_>, till: Till) -> RecordId {
    match till {
        Till::Cashier => ctx.cashier,
        Till::Manager => ctx.manager,
    }
}

/// A manager's refund, at the counter right after the visit, of the last line's one unit (or
/// a part of a one-line bill), back the way it was paid, into the visit's drawer. The receipt
/// number is given when the history is written.
pub(super) fn refund_part(
    ctx: &super::Context<'_>,
    dice: &Dice,
    visit: &crate::store::records::VisitRecord,
    shift: RecordId,
) -> Result<crate::store::records::RefundRecord, ServiceError> {
    use crate::domain::refund::{
        PaidVisit, RefundOptions, RefundRequest, RefundedLine, compute_refund, line_taxes,
    };
    let classes: Vec<TaxClass> = visit
        .priced
        .lines
        .iter()
        .map(|line| {
            ctx.shop
                .services
                .iter()
                .find(|service| service.id == line.service_id)
                .map(|service| service.tax_class.clone())
                .unwrap_or_default()
        })
        .collect();
    let taxed = line_taxes(&visit.priced, &classes, &ctx.shop.till.tax);
    let paid_lines: Vec<usize> = visit
        .priced
        .lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.covered_by.is_none() && !line.amount.is_zero())
        .map(|(index, _)| index)
        .collect();
    let request = match paid_lines.as_slice() {
        [.., last] if paid_lines.len() > 1 => RefundRequest::Lines(vec![RefundedLine {
            line: u32::try_from(*last).map_err(|_| bug("refund line"))?,
            quantity: 1,
        }]),
        _ => RefundRequest::Amount(Money::from_minor(
            (visit.settlement.charged.minor_units() / 4).max(1),
        )),
    };
    let refund = compute_refund(
        &PaidVisit {
            priced: &visit.priced,
            settlement: &visit.settlement,
            points_earned: visit.points_earned,
            points_redeemed: visit.points_redeemed,
        },
        &taxed,
        &[],
        &request,
        RefundOptions {
            to_method: None,
            cash_unit: ctx.shop.till.cash_unit,
        },
    )
    .map_err(bug)?;
    Ok(crate::store::records::RefundRecord {
        id: RecordId::generate(visit.at, dice.entropy())?,
        at: visit.at,
        by: ctx.manager,
        approved_by: None,
        reason: "Customer not satisfied with the wash".to_owned(),
        receipt_number: 0,
        lines: refund.lines,
        net: refund.net,
        taxes: refund.taxes,
        amount: refund.amount,
        tenders: refund.tenders,
        points_reversed: refund.points_reversed,
        points_restored: refund.points_restored,
        plan_uses_returned: refund.plan_uses_returned,
        package_uses_returned: refund.package_uses_returned,
        shift: Some(shift),
    })
}
