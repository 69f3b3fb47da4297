use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::domain::catalog::{ServiceCategory, ServiceItem};
use crate::domain::checkout::{CheckoutRequest, Discount, LineRequest, Redemption, price_checkout};
use crate::domain::plans::{DEFAULT_WASHES_PER_DAY, Package, Plan, PlanStatus};
use crate::domain::tax::TaxRate;
use crate::domain::tender::{TenderRequest, settle};

const CAR: RecordId = RecordId::from_u128(100);
const PLAN: RecordId = RecordId::from_u128(300);
const PACKAGE: RecordId = RecordId::from_u128(400);
const REWARD: RecordId = RecordId::from_u128(500);
const CAD_CASH: Option<Money> = Some(Money::from_minor(5));

fn m(minor: i64) -> Money {
    Money::from_minor(minor)
}

fn service(id: u128, name: &str, price: i64, class: TaxClass) -> ServiceItem {
    ServiceItem {
        id: RecordId::from_u128(id),
        name: name.into(),
        category: ServiceCategory::Exterior,
        duration_minutes: 15,
        price: m(price),
        earns_points: true,
        active: true,
        tax_class: class,
    }
}

fn bc_taxes() -> TaxSettings {
    TaxSettings {
        prices_include_tax: false,
        taxes: vec![TaxRate::new("GST", 500), TaxRate::new("PST", 700)],
    }
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 14).unwrap()
}

fn request(lines: Vec<(ServiceItem, u32)>, tax: TaxSettings) -> CheckoutRequest {
    CheckoutRequest {
        lines: lines
            .into_iter()
            .map(|(service, quantity)| LineRequest {
                service,
                quantity,
                price_override: None,
            })
            .collect(),
        vehicle: Some(CAR),
        local_date: day(),
        plans: Vec::new(),
        packages: Vec::new(),
        discount: None,
        redemption: None,
        points_balance: 0,
        point_value: m(1),
        tax,
    }
}

fn card() -> TenderRequest {
    TenderRequest {
        method: PaymentMethod::Card,
        amount: None,
        tendered: None,
    }
}

fn cash() -> TenderRequest {
    TenderRequest {
        method: PaymentMethod::Cash,
        amount: None,
        tendered: None,
    }
}

/// A priced and settled visit with the classes its lines were taxed by.
struct Visit {
    priced: PricedCheckout,
    settlement: Settlement,
    earned: i64,
    redeemed: i64,
    taxed: Vec<Vec<bool>>,
    refunds: Vec<Refund>,
}

impl Visit {
    fn new(
        req: &CheckoutRequest,
        tenders: &[TenderRequest],
        tip: Money,
        cash_unit: Option<Money>,
    ) -> Self {
        let priced = price_checkout(req).unwrap();
        let settlement = settle(priced.amount_due, tip, tenders, cash_unit).unwrap();
        let classes: Vec<TaxClass> = priced
            .lines
            .iter()
            .map(|line| {
                req.lines
                    .iter()
                    .find(|l| l.service.id == line.service_id)
                    .map(|l| l.service.tax_class.clone())
                    .unwrap_or_default()
            })
            .collect();
        let taxed = line_taxes(&priced, &classes, &req.tax);
        Self {
            redeemed: priced.points_used,
            earned: priced.eligible_spend.minor_units() / 100,
            priced,
            settlement,
            taxed,
            refunds: Vec::new(),
        }
    }

    fn paid(&self) -> PaidVisit<'_> {
        PaidVisit {
            priced: &self.priced,
            settlement: &self.settlement,
            points_earned: self.earned,
            points_redeemed: self.redeemed,
        }
    }

    fn plan(&self, request: &RefundRequest, options: RefundOptions) -> Result<Refund, RefundError> {
        compute_refund(&self.paid(), &self.taxed, &self.refunds, request, options)
    }

    fn refund(&mut self, request: RefundRequest, options: RefundOptions) -> Refund {
        let refund = self.plan(&request, options).unwrap();
        self.refunds.push(refund.clone());
        refund
    }

    fn left(&self) -> Refundable {
        refundable(&self.paid(), &self.refunds).unwrap()
    }

    fn total<F: Fn(&Refund) -> i64>(&self, part: F) -> i64 {
        self.refunds.iter().map(part).sum()
    }

    fn tax_refunded(&self, name: &str) -> i64 {
        self.refunds
            .iter()
            .flat_map(|refund| &refund.taxes)
            .filter(|tax| tax.name == name)
            .map(|tax| tax.amount.minor_units())
            .sum()
    }
}

fn lines(pairs: &[(u32, u32)]) -> RefundRequest {
    RefundRequest::Lines(
        pairs
            .iter()
            .map(|&(line, quantity)| RefundedLine { line, quantity })
            .collect(),
    )
}

fn by_card() -> RefundOptions {
    RefundOptions {
        to_method: None,
        cash_unit: CAD_CASH,
    }
}

/// A BC visit: two exterior washes (GST only) and a detail (GST and PST), paid by card.
fn bc_visit() -> Visit {
    let exterior = service(1, "Exterior", 2000, TaxClass::Only(vec!["GST".into()]));
    let detail = service(2, "Detail", 8950, TaxClass::Standard);
    let req = request(vec![(exterior, 2), (detail, 1)], bc_taxes());
    Visit::new(&req, &[card()], Money::ZERO, CAD_CASH)
}

#[test]
fn a_line_refund_gives_back_its_base_and_only_the_taxes_it_paid() {
    let mut visit = bc_visit();
    // GST 5% on 129.50 = 6.475 → 6.48; PST 7% on 89.50 = 6.265 → 6.27.
    assert_eq!(visit.priced.tax.taxes[0].amount, m(648));
    assert_eq!(visit.priced.tax.taxes[1].amount, m(627));
    assert_eq!(visit.taxed, vec![vec![true, false], vec![true, true]]);

    let refund = visit.refund(lines(&[(0, 1)]), by_card());
    assert_eq!(refund.net, m(2000));
    // floor(6.48 × 20.00 / 129.50) = 1.00; no PST on an exterior wash.
    assert_eq!(refund.taxes.len(), 1);
    assert_eq!(refund.taxes[0].name, "GST");
    assert_eq!(refund.taxes[0].amount, m(100));
    assert_eq!(refund.taxes[0].base, m(2000));
    assert_eq!(refund.amount, m(2100));
    assert_eq!(
        refund.tenders,
        vec![Tender {
            method: PaymentMethod::Card,
            amount: m(2100),
            tendered: None,
            change: Money::ZERO,
        }]
    );
    assert_eq!(
        refund.lines,
        vec![RefundedLine {
            line: 0,
            quantity: 1
        }]
    );

    let detail = visit.refund(lines(&[(1, 1)]), by_card());
    assert_eq!(detail.net, m(8950));
    let names: Vec<&str> = detail.taxes.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["GST", "PST"]);
    // floor(6.48 × 89.50 / 129.50) = 4.47; floor(6.27 × 89.50 / 89.50) = 6.27.
    assert_eq!(detail.taxes[0].amount, m(447));
    assert_eq!(detail.taxes[1].amount, m(627));

    // The last unit takes exactly what is left, including the GST lost to flooring.
    let last = visit.refund(lines(&[(0, 1)]), by_card());
    assert_eq!(last.net, m(2000));
    assert_eq!(last.taxes[0].amount, m(648 - 100 - 447));
    assert_eq!(
        visit.total(|r| r.amount.minor_units()),
        visit.settlement.charged.minor_units()
    );
    assert_eq!(visit.tax_refunded("GST"), 648);
    assert_eq!(visit.tax_refunded("PST"), 627);
    assert!(visit.left().is_finished());
    assert_eq!(
        visit.plan(&lines(&[(0, 1)]), by_card()),
        Err(RefundError::NothingLeft)
    );
}

#[test]
fn a_tax_inclusive_refund_gives_back_the_gross_with_the_tax_inside() {
    let vat = TaxSettings {
        prices_include_tax: true,
        taxes: vec![TaxRate::new("增值税", 600)],
    };
    let wash = service(1, "精洗", 10600, TaxClass::Standard);
    let mut visit = Visit::new(&request(vec![(wash, 2)], vat), &[card()], Money::ZERO, None);
    assert_eq!(visit.priced.tax.taxes[0].amount, m(1200));
    let refund = visit.refund(lines(&[(0, 1)]), RefundOptions::default());
    assert_eq!(refund.amount, m(10600));
    assert_eq!(refund.taxes[0].amount, m(600));
    assert_eq!(refund.net, m(10000));
    let receipt = refund_receipt_lines(&visit.priced, &refund).unwrap();
    assert_eq!(receipt[0].amount, m(10600), "tax included on the line");
}

#[test]
fn an_amount_is_shared_over_the_net_and_taxes_left() {
    let mut visit = bc_visit();
    let refund = visit.refund(RefundRequest::Amount(m(5000)), by_card());
    assert_eq!(refund.amount, m(5000));
    assert!(refund.lines.is_empty());
    let tax_total: i64 = refund.taxes.iter().map(|t| t.amount.minor_units()).sum();
    assert_eq!(refund.net.minor_units() + tax_total, 5000);
    // 50.00 of 142.25 left: the net share is 129.50 × 50 / 142.25 = 45.518…
    assert!(
        (4551..=4552).contains(&refund.net.minor_units()),
        "{:?}",
        refund.net
    );
    assert!(refund.plan_uses_returned.is_empty());

    let most = visit.left().money_without_tip();
    assert_eq!(most, m(14225 - 5000));
    assert_eq!(
        visit.plan(&RefundRequest::Amount(m(9226)), by_card()),
        Err(RefundError::AmountTooLarge {
            asked: m(9226),
            most: m(9225)
        })
    );
    assert_eq!(
        visit.plan(&RefundRequest::Amount(Money::ZERO), by_card()),
        Err(RefundError::AmountNotPositive)
    );
    // The rest by amount takes everything left, to the unit.
    visit.refund(RefundRequest::Amount(most), by_card());
    assert_eq!(visit.total(|r| r.net.minor_units()), 12950);
    assert_eq!(visit.tax_refunded("GST"), 648);
    assert_eq!(visit.tax_refunded("PST"), 627);
    // Units remain, but no money: a later line refund gives back units only.
    let units_only = visit.refund(lines(&[(1, 1)]), by_card());
    assert_eq!(units_only.amount, Money::ZERO);
    assert_eq!(units_only.net, Money::ZERO);
}

#[test]
fn units_cannot_pass_what_was_sold_or_name_other_lines() {
    let mut visit = bc_visit();
    assert_eq!(
        visit.plan(&lines(&[(0, 3)]), by_card()),
        Err(RefundError::TooManyUnits {
            line: 1,
            asked: 3,
            left: 2
        })
    );
    assert_eq!(
        visit.plan(&lines(&[(0, 1), (0, 2)]), by_card()),
        Err(RefundError::TooManyUnits {
            line: 1,
            asked: 3,
            left: 2
        })
    );
    assert_eq!(
        visit.plan(&lines(&[(7, 1)]), by_card()),
        Err(RefundError::UnknownLine { line: 8 })
    );
    assert_eq!(
        visit.plan(&lines(&[(0, 0)]), by_card()),
        Err(RefundError::ZeroUnits { line: 1 })
    );
    assert_eq!(
        visit.plan(&lines(&[]), by_card()),
        Err(RefundError::NoLines)
    );
    visit.refund(lines(&[(0, 1)]), by_card());
    assert_eq!(
        visit.plan(&lines(&[(0, 2)]), by_card()),
        Err(RefundError::TooManyUnits {
            line: 1,
            asked: 2,
            left: 1
        })
    );
}

#[test]
fn the_tip_comes_back_only_with_the_whole_visit() {
    let wash = service(1, "Wash", 2000, TaxClass::Standard);
    let mut visit = Visit::new(
        &request(vec![(wash, 1)], bc_taxes()),
        &[card()],
        m(500),
        None,
    );
    assert_eq!(visit.settlement.charged, m(2740));
    let left = visit.left();
    assert_eq!(left.tip_left, m(500));
    assert_eq!(left.money_without_tip(), m(2240));
    let lines_refund = visit.refund(lines(&[(0, 1)]), RefundOptions::default());
    assert_eq!(lines_refund.amount, m(2240), "every unit, but not the tip");
    assert!(!visit.left().is_finished());
    assert!(matches!(
        visit.plan(&RefundRequest::Amount(m(1)), RefundOptions::default()),
        Err(RefundError::AmountTooLarge { .. })
    ));
    let tip = visit.refund(RefundRequest::Whole, RefundOptions::default());
    assert_eq!(tip.amount, m(500));
    assert!(tip.lines.is_empty());
    assert!(visit.left().is_finished());

    let wash = service(1, "Wash", 2000, TaxClass::Standard);
    let mut whole = Visit::new(
        &request(vec![(wash, 1)], bc_taxes()),
        &[card()],
        m(500),
        None,
    );
    let everything = whole.refund(RefundRequest::Whole, RefundOptions::default());
    assert_eq!(everything.amount, m(2740));
    assert_eq!(
        everything.lines,
        vec![RefundedLine {
            line: 0,
            quantity: 1
        }]
    );
}

#[test]
fn points_are_reversed_pro_rata_on_the_net_and_floored() {
    let wash = service(1, "Wash", 1000, TaxClass::Standard);
    let wax = service(2, "Wax", 3500, TaxClass::Standard);
    let mut visit = Visit::new(
        &request(vec![(wash, 1), (wax, 1)], TaxSettings::default()),
        &[card()],
        Money::ZERO,
        None,
    );
    visit.earned = 45;
    let refund = visit.refund(lines(&[(0, 1)]), RefundOptions::default());
    // floor(45 × 10.00 / 45.00) = 10.
    assert_eq!(refund.points_reversed, 10);
    let rest = visit.refund(lines(&[(1, 1)]), RefundOptions::default());
    assert_eq!(rest.points_reversed, 35);

    let wash = service(1, "Wash", 1000, TaxClass::Standard);
    let mut odd = Visit::new(
        &request(vec![(wash, 3)], TaxSettings::default()),
        &[card()],
        Money::ZERO,
        None,
    );
    odd.earned = 10;
    // floor(10 × 10/30) = 3, then floor(10 × 20/30) = 6 in total, then all 10.
    let reversed: Vec<i64> = (0..3)
        .map(|_| {
            odd.refund(lines(&[(0, 1)]), RefundOptions::default())
                .points_reversed
        })
        .collect();
    assert_eq!(reversed, vec![3, 3, 4]);
}

#[test]
fn redeemed_points_come_back_in_proportion_and_a_reward_with_its_unit() {
    let wash = service(1, "Wash", 1000, TaxClass::Standard);
    let wax = service(2, "Wax", 3000, TaxClass::Standard);
    let mut req = request(
        vec![(wash.clone(), 1), (wax.clone(), 1)],
        TaxSettings::default(),
    );
    req.points_balance = 1000;
    req.redemption = Some(Redemption::Points(400));
    let mut visit = Visit::new(&req, &[card()], Money::ZERO, None);
    assert_eq!(visit.priced.tax.net, m(3600));
    let refund = visit.refund(lines(&[(0, 1)]), RefundOptions::default());
    // The wash's base is 10.00 less its 1.00 share of the points: 9.00 of 36.00 → 100 points.
    assert_eq!(refund.net, m(900));
    assert_eq!(refund.points_restored, 100);
    let rest = visit.refund(lines(&[(1, 1)]), RefundOptions::default());
    assert_eq!(rest.points_restored, 300);

    let mut req = request(vec![(wash, 2), (wax, 1)], TaxSettings::default());
    req.points_balance = 1000;
    req.redemption = Some(Redemption::Reward {
        reward_id: REWARD,
        points_cost: 250,
        service: Some(RecordId::from_u128(1)),
    });
    let mut visit = Visit::new(&req, &[card()], Money::ZERO, None);
    let reward_line = visit
        .priced
        .lines
        .iter()
        .position(|line| line.covered_by == Some(Coverage::Reward(REWARD)))
        .unwrap() as u32;
    let paid_wax = visit.refund(lines(&[(2, 1)]), RefundOptions::default());
    assert_eq!(
        paid_wax.points_restored, 0,
        "the reward paid for a wash, not the wax"
    );
    let reward = visit.refund(lines(&[(reward_line, 1)]), RefundOptions::default());
    assert_eq!(reward.points_restored, 250);
    assert_eq!(reward.amount, Money::ZERO);
}

#[test]
fn plan_and_package_uses_come_back_with_their_units() {
    let wash = service(1, "Wash", 1500, TaxClass::Standard);
    let mut req = request(vec![(wash, 3)], TaxSettings::default());
    req.plans = vec![(
        Plan {
            id: PLAN,
            member: RecordId::from_u128(1),
            vehicle: CAR,
            services: vec![RecordId::from_u128(1)],
            product: None,
            months_per_term: 1,
            price_per_term: m(3999),
            tax_class: TaxClass::Standard,
            valid_from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            valid_until: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            washes_per_day: DEFAULT_WASHES_PER_DAY,
            status: PlanStatus::Active,
        },
        0,
    )];
    req.packages = vec![Package {
        id: PACKAGE,
        member: RecordId::from_u128(1),
        service: RecordId::from_u128(1),
        total: 10,
        remaining: 1,
        expires_on: None,
    }];
    let mut visit = Visit::new(&req, &[card()], Money::ZERO, None);
    assert_eq!(visit.priced.plan_uses, vec![PLAN]);
    assert_eq!(visit.priced.package_uses, vec![PACKAGE]);
    let plan_line = visit
        .priced
        .lines
        .iter()
        .position(|l| l.covered_by == Some(Coverage::Plan(PLAN)))
        .unwrap() as u32;
    let refund = visit.refund(lines(&[(plan_line, 1)]), RefundOptions::default());
    assert_eq!(refund.plan_uses_returned, vec![PLAN]);
    assert!(refund.package_uses_returned.is_empty());
    assert_eq!(refund.amount, Money::ZERO);
    let rest = visit.refund(RefundRequest::Whole, RefundOptions::default());
    assert_eq!(rest.package_uses_returned, vec![PACKAGE]);
    assert!(rest.plan_uses_returned.is_empty());
    assert_eq!(rest.amount, m(1500));
}

#[test]
fn money_goes_back_to_card_first_then_cash_within_what_each_paid() {
    let wash = service(1, "Wash", 3000, TaxClass::Exempt);
    let split = [
        TenderRequest {
            method: PaymentMethod::Card,
            amount: Some(m(1000)),
            tendered: None,
        },
        cash(),
    ];
    let mut visit = Visit::new(
        &request(vec![(wash, 3)], bc_taxes()),
        &split,
        Money::ZERO,
        CAD_CASH,
    );
    let first = visit.refund(lines(&[(0, 1)]), by_card());
    assert_eq!(
        first
            .tenders
            .iter()
            .map(|t| (t.method, t.amount))
            .collect::<Vec<_>>(),
        vec![
            (PaymentMethod::Card, m(1000)),
            (PaymentMethod::Cash, m(2000))
        ]
    );
    let second = visit.refund(lines(&[(0, 1)]), by_card());
    assert_eq!(
        second
            .tenders
            .iter()
            .map(|t| (t.method, t.amount))
            .collect::<Vec<_>>(),
        vec![(PaymentMethod::Cash, m(3000))]
    );
    assert_eq!(
        visit.plan(
            &lines(&[(0, 1)]),
            RefundOptions {
                to_method: Some(PaymentMethod::Card),
                cash_unit: CAD_CASH
            }
        ),
        Err(RefundError::MethodShort {
            method: PaymentMethod::Card,
            most: Money::ZERO
        })
    );
    assert_eq!(
        visit.plan(
            &lines(&[(0, 1)]),
            RefundOptions {
                to_method: Some(PaymentMethod::Points),
                cash_unit: CAD_CASH
            }
        ),
        Err(RefundError::NotAMoneyMethod {
            method: PaymentMethod::Points
        })
    );

    // A manager may give a card payment back in cash.
    let wash = service(1, "Wash", 3000, TaxClass::Exempt);
    let mut by_card_visit = Visit::new(
        &request(vec![(wash, 1)], bc_taxes()),
        &[card()],
        Money::ZERO,
        CAD_CASH,
    );
    let in_cash = by_card_visit.refund(
        lines(&[(0, 1)]),
        RefundOptions {
            to_method: Some(PaymentMethod::Cash),
            cash_unit: CAD_CASH,
        },
    );
    assert_eq!(in_cash.tenders[0].method, PaymentMethod::Cash);
    assert_eq!(in_cash.tenders[0].tendered, Some(m(3000)));
    assert_eq!(in_cash.amount, m(3000));
}

#[test]
fn a_partial_cash_refund_rounds_to_the_coin_and_the_last_takes_the_rest() {
    // 3 × 4.71 exempt = 14.13, paid in cash: 14.15 (rounding +0.02).
    let wash = service(1, "Wash", 471, TaxClass::Exempt);
    let mut visit = Visit::new(
        &request(vec![(wash, 3)], bc_taxes()),
        &[cash()],
        Money::ZERO,
        CAD_CASH,
    );
    assert_eq!(visit.settlement.charged, m(1415));
    let first = visit.refund(lines(&[(0, 1)]), by_card());
    assert_eq!(first.net, m(471));
    assert_eq!(first.amount, m(470), "4.71 rounds to 4.70 in coins");
    assert_eq!(first.tenders[0].amount, m(470));
    let second = visit.refund(lines(&[(0, 1)]), by_card());
    assert_eq!(second.amount, m(470));
    let last = visit.refund(lines(&[(0, 1)]), by_card());
    assert_eq!(last.amount, m(475), "the rest, with the visit's rounding");
    assert_eq!(visit.total(|r| r.amount.minor_units()), 1415);
    assert_eq!(visit.total(|r| r.net.minor_units()), 1413);
}

#[test]
fn taxes_whose_classes_changed_are_shared_over_the_whole_visit() {
    let visit = bc_visit();
    let exterior_is_now_standard = [TaxClass::Standard, TaxClass::Standard];
    let taxed = line_taxes(&visit.priced, &exterior_is_now_standard, &bc_taxes());
    // GST still reproduces its base (it applied to both); PST no longer does.
    assert_eq!(taxed, vec![vec![true, true], vec![true, true]]);
    let renamed = TaxSettings {
        prices_include_tax: false,
        taxes: vec![TaxRate::new("TPS", 500)],
    };
    let taxed = line_taxes(&visit.priced, &exterior_is_now_standard, &renamed);
    assert_eq!(taxed, vec![vec![true, true], vec![true, true]]);
    let taxed = line_taxes(
        &visit.priced,
        &[TaxClass::Only(vec!["gst".into()]), TaxClass::Standard],
        &bc_taxes(),
    );
    assert_eq!(taxed, vec![vec![true, false], vec![true, true]]);
}

#[test]
fn receipt_lines_add_up_to_the_refunded_base() {
    let mut visit = bc_visit();
    let refund = visit.refund(lines(&[(0, 2), (1, 1)]), by_card());
    let receipt = refund_receipt_lines(&visit.priced, &refund).unwrap();
    assert_eq!(receipt.len(), 2);
    assert_eq!(receipt[0].name, "Exterior");
    assert_eq!(receipt[0].quantity, 2);
    let sum: i64 = receipt.iter().map(|l| l.amount.minor_units()).sum();
    assert_eq!(sum, refund.net.minor_units());
}

#[test]
fn earlier_refunds_that_do_not_fit_are_reported() {
    let visit = bc_visit();
    let too_much = Refund {
        lines: Vec::new(),
        net: m(99_999),
        taxes: Vec::new(),
        amount: m(99_999),
        tenders: Vec::new(),
        points_reversed: 0,
        points_restored: 0,
        plan_uses_returned: Vec::new(),
        package_uses_returned: Vec::new(),
    };
    assert!(matches!(
        refundable(&visit.paid(), &[too_much]),
        Err(RefundError::Inconsistent { .. })
    ));
}

// Property tests over visits priced and settled by the real rules.

#[derive(Debug, Clone)]
struct Scenario {
    prices: Vec<(i64, u32, u8)>,
    inclusive: bool,
    rates: (u32, u32),
    discount: Option<u32>,
    points: i64,
    card_part: Option<i64>,
    cash_unit: bool,
    tip: i64,
    earned: i64,
    package: u32,
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone)]
enum Piece {
    Lines(Vec<(usize, u32)>),
    Amount(u16),
    Whole,
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        3 => proptest::collection::vec((0usize..6, 1u32..3), 1..3).prop_map(Piece::Lines),
        2 => (1u16..=1000).prop_map(Piece::Amount),
        1 => Just(Piece::Whole),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        proptest::collection::vec((0i64..20_000, 1u32..4, 0u8..4), 1..4),
        any::<bool>(),
        (0u32..=2_000, 0u32..=1_500),
        proptest::option::of(1u32..=100),
        0i64..3_000,
        proptest::option::of(0i64..20_000),
        any::<bool>(),
        0i64..1_000,
        0i64..500,
        0u32..3,
        proptest::collection::vec(piece(), 0..6),
    )
        .prop_map(
            |(
                prices,
                inclusive,
                rates,
                discount,
                points,
                card_part,
                cash_unit,
                tip,
                earned,
                package,
                pieces,
            )| {
                Scenario {
                    prices,
                    inclusive,
                    rates,
                    discount,
                    points,
                    card_part,
                    cash_unit,
                    tip,
                    earned,
                    package,
                    pieces,
                }
            },
        )
}

fn class_of(code: u8) -> TaxClass {
    match code {
        0 => TaxClass::Standard,
        1 => TaxClass::Exempt,
        2 => TaxClass::Only(vec!["GST".into()]),
        _ => TaxClass::Only(vec!["PST".into()]),
    }
}

/// Prices and settles the scenario's visit; `None` when the real rules refuse it.
fn build(scenario: &Scenario) -> Option<(Visit, Option<Money>)> {
    let services: Vec<(ServiceItem, u32)> = scenario
        .prices
        .iter()
        .enumerate()
        .map(|(index, (price, quantity, class))| {
            (
                service(
                    index as u128 + 1,
                    &format!("S{index}"),
                    *price,
                    class_of(*class),
                ),
                *quantity,
            )
        })
        .collect();
    let mut req = request(
        services,
        TaxSettings {
            prices_include_tax: scenario.inclusive,
            taxes: vec![
                TaxRate::new("GST", scenario.rates.0),
                TaxRate::new("PST", scenario.rates.1),
            ],
        },
    );
    req.discount = scenario.discount.map(Discount::Percent);
    if scenario.points > 0 {
        req.points_balance = scenario.points;
        req.redemption = Some(Redemption::Points(scenario.points));
    }
    if scenario.package > 0 {
        req.packages = vec![Package {
            id: PACKAGE,
            member: RecordId::from_u128(1),
            service: RecordId::from_u128(1),
            total: 10,
            remaining: scenario.package,
            expires_on: None,
        }];
    }
    let priced = price_checkout(&req).ok()?;
    let cash_unit = scenario.cash_unit.then_some(m(5));
    let due = priced.amount_due.minor_units() + scenario.tip;
    let mut tenders = Vec::new();
    if let Some(card_part) = scenario.card_part
        && card_part > 0
        && card_part < due
    {
        tenders.push(TenderRequest {
            method: PaymentMethod::Card,
            amount: Some(m(card_part)),
            tendered: None,
        });
    }
    if due > 0 {
        tenders.push(cash());
    }
    let mut visit = Visit::new(&req, &tenders, m(scenario.tip), cash_unit);
    visit.earned = scenario.earned.min(priced.eligible_spend.minor_units());
    Some((visit, cash_unit))
}

fn request_for(piece: &Piece, left: &Refundable) -> RefundRequest {
    match piece {
        Piece::Lines(asked) => {
            let count = left.units_left.len();
            RefundRequest::Lines(
                asked
                    .iter()
                    .map(|&(line, quantity)| RefundedLine {
                        line: (line % count) as u32,
                        quantity,
                    })
                    .collect(),
            )
        }
        Piece::Amount(per_mille) => {
            RefundRequest::Amount(m(left.money_without_tip().minor_units()
                * i64::from(*per_mille)
                / 1000))
        }
        Piece::Whole => RefundRequest::Whole,
    }
}

fn check_refund(refund: &Refund) -> Result<(), TestCaseError> {
    let tenders: i64 = refund.tenders.iter().map(|t| t.amount.minor_units()).sum();
    prop_assert_eq!(
        tenders,
        refund.amount.minor_units(),
        "tenders add up to the amount"
    );
    prop_assert!(refund.tenders.iter().all(|t| t.amount.minor_units() > 0));
    prop_assert!(!refund.net.is_negative() && !refund.amount.is_negative());
    prop_assert!(refund.taxes.iter().all(|t| !t.amount.is_negative()));
    prop_assert!(refund.points_reversed >= 0 && refund.points_restored >= 0);
    Ok(())
}

fn check_within(visit: &Visit) -> Result<(), TestCaseError> {
    let charged = visit.settlement.charged.minor_units();
    prop_assert!(
        visit.total(|r| r.amount.minor_units()) <= charged,
        "never past what was paid"
    );
    prop_assert!(visit.total(|r| r.net.minor_units()) <= visit.priced.tax.net.minor_units());
    for tax in &visit.priced.tax.taxes {
        prop_assert!(visit.tax_refunded(&tax.name) <= tax.amount.minor_units());
    }
    for (index, line) in visit.priced.lines.iter().enumerate() {
        let refunded: u32 = visit
            .refunds
            .iter()
            .flat_map(|r| &r.lines)
            .filter(|l| l.line as usize == index)
            .map(|l| l.quantity)
            .sum();
        prop_assert!(refunded <= line.quantity);
    }
    prop_assert!(visit.total(|r| r.points_reversed) <= visit.earned);
    prop_assert!(visit.total(|r| r.points_restored) <= visit.redeemed);
    for (method, paid) in visit.settlement.by_method() {
        let sent: i64 = visit
            .refunds
            .iter()
            .flat_map(|r| &r.tenders)
            .filter(|t| t.method == method)
            .map(|t| t.amount.minor_units())
            .sum();
        prop_assert!(
            sent <= paid.minor_units(),
            "{method} got back more than it paid"
        );
    }
    prop_assert!(refundable(&visit.paid(), &visit.refunds).is_ok());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any pieces, then the whole of what is left: the customer is back exactly where they
    /// were — every minor unit, every tax, every point and every use.
    #[test]
    fn refunding_everything_in_pieces_gives_back_exactly_the_visit(scenario in scenario()) {
        let Some((mut visit, cash_unit)) = build(&scenario) else {
            return Ok(());
        };
        let options = RefundOptions { to_method: None, cash_unit };
        for piece in &scenario.pieces {
            let left = visit.left();
            if left.is_finished() {
                break;
            }
            let request = request_for(piece, &left);
            if let Ok(refund) = visit.plan(&request, options) {
                check_refund(&refund)?;
                visit.refunds.push(refund);
            }
            check_within(&visit)?;
        }
        if !visit.left().is_finished() {
            let rest = visit.plan(&RefundRequest::Whole, options);
            prop_assert!(rest.is_ok(), "the rest can always be refunded: {:?}", rest);
            let rest = rest.unwrap();
            check_refund(&rest)?;
            visit.refunds.push(rest);
        }
        prop_assert!(visit.left().is_finished());
        prop_assert_eq!(visit.total(|r| r.amount.minor_units()), visit.settlement.charged.minor_units());
        prop_assert_eq!(visit.total(|r| r.net.minor_units()), visit.priced.tax.net.minor_units());
        for tax in &visit.priced.tax.taxes {
            prop_assert_eq!(visit.tax_refunded(&tax.name), tax.amount.minor_units(), "tax {}", tax.name);
        }
        prop_assert_eq!(visit.total(|r| r.points_reversed), visit.earned);
        prop_assert_eq!(visit.total(|r| r.points_restored), visit.redeemed);
        let mut plan_uses: Vec<RecordId> = visit.refunds.iter().flat_map(|r| r.plan_uses_returned.clone()).collect();
        let mut package_uses: Vec<RecordId> = visit.refunds.iter().flat_map(|r| r.package_uses_returned.clone()).collect();
        plan_uses.sort();
        package_uses.sort();
        prop_assert_eq!(plan_uses, visit.priced.plan_uses.clone());
        prop_assert_eq!(package_uses, visit.priced.package_uses.clone());
        for refund in &visit.refunds {
            let receipt = refund_receipt_lines(&visit.priced, refund).unwrap();
            prop_assert_eq!(receipt.len(), refund.lines.len());
        }
    }

    /// Refunding every unit in pieces, without asking for the whole, gives back everything
    /// but the tip.
    #[test]
    fn refunding_every_unit_gives_back_all_but_the_tip(scenario in scenario()) {
        let Some((mut visit, cash_unit)) = build(&scenario) else {
            return Ok(());
        };
        let options = RefundOptions { to_method: None, cash_unit };
        for (index, line) in visit.priced.lines.clone().iter().enumerate() {
            for _ in 0..line.quantity {
                let refund = visit.plan(&lines(&[(index as u32, 1)]), options);
                prop_assert!(refund.is_ok(), "{:?}", refund);
                let refund = refund.unwrap();
                check_refund(&refund)?;
                visit.refunds.push(refund);
                check_within(&visit)?;
            }
        }
        let tip = visit.settlement.tip.minor_units();
        let charged = visit.settlement.charged.minor_units();
        prop_assert_eq!(visit.total(|r| r.amount.minor_units()), (charged - tip).max(0));
        prop_assert_eq!(visit.total(|r| r.points_reversed), visit.earned);
        prop_assert_eq!(visit.total(|r| r.points_restored), visit.redeemed);
        prop_assert_eq!(visit.total(|r| r.net.minor_units()), visit.priced.tax.net.minor_units());
    }

    /// Whatever is asked, in any order and to any method, no refund passes what was paid.
    #[test]
    fn refunds_never_pass_what_was_paid(scenario in scenario(), to_cash in proptest::collection::vec(any::<bool>(), 6)) {
        let Some((mut visit, cash_unit)) = build(&scenario) else {
            return Ok(());
        };
        for (piece, to_cash) in scenario.pieces.iter().zip(to_cash) {
            let left = visit.left();
            if left.is_finished() {
                prop_assert_eq!(visit.plan(&RefundRequest::Whole, RefundOptions::default()), Err(RefundError::NothingLeft));
                break;
            }
            let mut request = request_for(piece, &left);
            if let RefundRequest::Amount(amount) = &mut request {
                *amount = m(amount.minor_units() * 2);
            }
            let options = RefundOptions {
                to_method: to_cash.then_some(PaymentMethod::Cash),
                cash_unit,
            };
            if let Ok(refund) = visit.plan(&request, options) {
                check_refund(&refund)?;
                visit.refunds.push(refund);
            }
            let charged = visit.settlement.charged.minor_units();
            prop_assert!(visit.total(|r| r.amount.minor_units()) <= charged);
            prop_assert!(visit.total(|r| r.net.minor_units()) <= visit.priced.tax.net.minor_units());
        }
    }
}
