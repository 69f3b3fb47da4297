//! Cash-drawer shifts through the service layer: opening with a float, paid-outs and drops,
//! cash from checkouts, plan sales and refunds landing in the right drawer, closing with a
//! count and its over/short, one open drawer per person even when opened from many threads at
//! once, and who sees which drawers.
// Amounts are written as dollars_cents (150_00 is 150.00) so they read like the till.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use std::sync::Barrier;

use chrono::{Duration, NaiveDate};
use common::*;
use frontdesk::audit::AuditAction;
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::currency::Currency;
use frontdesk::domain::drawer::{CountLine, MovementKind, denominations};
use frontdesk::domain::money::Money;
use frontdesk::domain::tax::{TaxRate, TaxSettings};
use frontdesk::domain::tender::{Tender, TenderRequest};
use frontdesk::entropy::SeededEntropy;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    AuditFilter, CheckoutInput, CheckoutLine, MemberInput, PlanSale, ServiceError, Session,
    ShiftView, VehicleInput,
};
use frontdesk::store::ReadAccess;
use frontdesk::store::records::{ReceiptFor, RefundRecord, TillSettings, VisitRecord};
use frontdesk::store::schema::{SHIFTS, VISITS};

fn m(minor: i64) -> Money {
    Money::from_minor(minor)
}

/// A Vancouver shop with GST 5 % and PST 7 % on top, cash rounded to 0.05, tips on, one
/// 20.00 wash, and the cashier account.
struct Till {
    shop: Shop,
    manager: Session,
    cashier_secret: Vec<u8>,
    wash: RecordId,
}

fn bc_till() -> Till {
    let shop = open_shop();
    let manager = shop.manager();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    shop.service
        .update_till_settings(
            &manager,
            TillSettings {
                tax: TaxSettings {
                    prices_include_tax: false,
                    taxes: vec![TaxRate::new("GST", 500), TaxRate::new("PST", 700)],
                },
                cash_unit: Some(m(5)),
                tips: true,
                ..TillSettings::default()
            },
        )
        .expect("till settings");
    let cashier_secret = shop.add_cashier(&manager);
    Till {
        shop,
        manager,
        cashier_secret,
        wash,
    }
}

impl Till {
    fn cashier(&self) -> Session {
        self.shop.cashier(&self.cashier_secret)
    }

    fn staff_id(&self, session: &Session) -> RecordId {
        self.shop.service.session_info(session).unwrap().staff_id
    }

    /// One wash (22.40 with both taxes), paid by `tenders`.
    fn wash(&self, session: &Session, tenders: Vec<TenderRequest>, tip: i64) -> RecordId {
        self.shop
            .service
            .checkout(
                session,
                CheckoutInput {
                    booking: None,
                    member: None,
                    vehicle: None,
                    lines: vec![CheckoutLine {
                        service: self.wash,
                        quantity: 1,
                        price_override: None,
                    }],
                    discount: None,
                    adjustment_reason: None,
                    points: None,
                    payment: PaymentMethod::Cash,
                    tenders,
                    tip: m(tip),
                },
            )
            .expect("checkout")
            .visit
    }

    fn visit(&self, id: RecordId) -> VisitRecord {
        self.shop
            .service
            .store()
            .read()
            .unwrap()
            .get(VISITS, id, "visit")
            .unwrap()
            .unwrap()
    }

    /// Writes a cash refund of `amount` of `visit` the way the refund service records one: in
    /// the visit, with a receipt number from the same counter, in one transaction.
    fn refund_in_cash(
        &self,
        visit: RecordId,
        by: RecordId,
        shift: Option<RecordId>,
        amount: i64,
    ) -> RecordId {
        let now = self.shop.service.now();
        let id = RecordId::generate(now, &SeededEntropy::new(99)).unwrap();
        let mut writer = self.shop.service.store().write().unwrap();
        let mut record: VisitRecord = writer.get(VISITS, visit, "visit").unwrap().unwrap();
        let receipt_number = writer
            .issue_receipt(&ReceiptFor::Refund { visit, refund: id })
            .unwrap();
        record.refunds.push(RefundRecord {
            id,
            at: now,
            by,
            approved_by: None,
            reason: "wheel rims missed".into(),
            receipt_number,
            lines: Vec::new(),
            net: m(amount * 100 / 112),
            taxes: Vec::new(),
            amount: m(amount),
            tenders: vec![Tender {
                method: PaymentMethod::Cash,
                amount: m(amount),
                tendered: None,
                change: Money::ZERO,
            }],
            points_reversed: 0,
            points_restored: 0,
            plan_uses_returned: Vec::new(),
            package_uses_returned: Vec::new(),
            shift,
        });
        writer.put(VISITS, visit, &record).unwrap();
        writer.commit().unwrap();
        id
    }

    fn plan_in_cash(&self, session: &Session) -> Money {
        let member = self
            .shop
            .service
            .create_member(
                session,
                MemberInput {
                    name: "Ana Souza".to_owned(),
                    ..MemberInput::default()
                },
            )
            .unwrap();
        let vehicle = self
            .shop
            .service
            .add_vehicle(
                session,
                member.id,
                VehicleInput {
                    plate: "ANA 100".to_owned(),
                    kind: frontdesk::domain::vehicle::VehicleKind::Sedan,
                    make_model: None,
                    colour: None,
                },
            )
            .unwrap();
        let product = self
            .shop
            .plan_product(&self.manager, vec![self.wash], 1, 3999, 1);
        self.shop
            .service
            .sell_plan(
                session,
                PlanSale {
                    member: member.id,
                    vehicle: vehicle.id,
                    product,
                    terms: 1,
                    price_override: None,
                    override_reason: None,
                    payment: PaymentMethod::Cash,
                    tenders: Vec::new(),
                },
            )
            .unwrap()
            .receipt
            .charged
    }
}

fn cash(tendered: Option<i64>) -> TenderRequest {
    TenderRequest {
        method: PaymentMethod::Cash,
        amount: None,
        tendered: tendered.map(m),
    }
}

fn card(amount: Option<i64>) -> TenderRequest {
    TenderRequest {
        method: PaymentMethod::Card,
        amount: amount.map(m),
        tendered: None,
    }
}

/// A count of `total` in CAD notes and coins, largest first.
fn count_of(total: Money) -> Vec<CountLine> {
    let mut left = total.minor_units();
    let mut lines = Vec::new();
    for denomination in denominations(&Currency::from_code("CAD").unwrap()) {
        let pieces = left / denomination.minor_units();
        if pieces > 0 {
            lines.push(CountLine {
                denomination,
                count: u32::try_from(pieces).unwrap(),
            });
            left -= pieces * denomination.minor_units();
        }
    }
    assert_eq!(left, 0, "CAD counts go down to 0.05");
    lines
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

#[test]
fn a_shift_takes_its_own_cash_pays_out_drops_and_closes_with_its_over_short() {
    let till = bc_till();
    let service = &till.shop.service;
    let cashier = till.cashier();
    let cashier_id = till.staff_id(&cashier);
    assert_eq!(service.current_shift(&cashier).unwrap(), None);

    let opened = service.open_shift(&cashier, m(150_00)).unwrap();
    assert!(opened.is_open());
    assert_eq!(opened.staff, CASHIER);
    assert_eq!((opened.float, opened.expected), (m(150_00), m(150_00)));
    assert_eq!((opened.counted, opened.over_short), (None, None));

    // 22.40: 10.03 by card, the 12.37 left rounds to 12.35 in cash, 20.00 handed over.
    let split = till.wash(&cashier, vec![card(Some(10_03)), cash(Some(20_00))], 0);
    let split_visit = till.visit(split);
    assert_eq!(
        split_visit.shift,
        Some(opened.id),
        "cash goes to the open drawer"
    );
    assert_eq!(split_visit.settlement.cash_taken(), m(12_35));
    assert_eq!(split_visit.settlement.tenders[1].change, m(7_65));
    // Card only: nothing for the drawer. Cash with a 2.00 tip: 24.40 stays in the drawer.
    till.wash(&cashier, vec![card(None)], 0);
    let tipped = till.wash(&cashier, vec![cash(Some(30_00))], 2_00);
    assert_eq!(till.visit(tipped).settlement.cash_taken(), m(24_40));
    // A voided cash visit never stayed in the drawer.
    let voided = till.wash(&cashier, vec![cash(None)], 0);
    service
        .void_visit(&till.manager, voided, "rang up twice")
        .unwrap();
    // The manager has no drawer open: their cash is in no shift.
    let managers = till.wash(&till.manager, vec![cash(None)], 0);
    assert_eq!(till.visit(managers).shift, None);
    let plan_charged = till.plan_in_cash(&cashier);
    assert_eq!(plan_charged.minor_units() % 5, 0, "cash rounds to 0.05");

    let after_paid_out = service
        .record_drawer_movement(&cashier, MovementKind::PaidOut, m(12_50), "Window cleaner")
        .unwrap();
    assert_eq!(after_paid_out.paid_outs, m(12_50));
    service
        .record_drawer_movement(&cashier, MovementKind::Drop, m(100_00), "Midday drop")
        .unwrap();
    till.refund_in_cash(split, cashier_id, Some(opened.id), 5_60);
    // A refund from another drawer (or none) is not this drawer's.
    till.refund_in_cash(tipped, till.staff_id(&till.manager), None, 1_00);

    let cash_sales = m(12_35 + 24_40 + plan_charged.minor_units());
    let expected = m(150_00 + 12_35 + 24_40 + plan_charged.minor_units() - 5_60 - 12_50 - 100_00);
    let now = service.current_shift(&cashier).unwrap().unwrap();
    assert_eq!(
        (now.cash_sales, now.cash_refunds, now.paid_outs, now.drops),
        (cash_sales, m(5_60), m(12_50), m(100_00))
    );
    assert_eq!(now.expected, expected);
    assert_eq!(now.movements.len(), 2);
    assert_eq!(now.movements[0].reason, "Window cleaner");

    // Five cents short, counted note by note.
    let counted = m(expected.minor_units() - 5);
    let closed = service
        .close_shift(&cashier, counted, count_of(counted))
        .unwrap();
    assert!(!closed.is_open());
    assert_eq!(closed.expected, expected);
    assert_eq!(closed.counted, Some(counted));
    assert_eq!(closed.over_short, Some(m(-5)));
    assert_eq!(closed.count_lines, count_of(counted));
    assert_eq!(service.current_shift(&cashier).unwrap(), None);

    // Closed means closed: no more movements, and later cash is in no drawer.
    let refused = service
        .record_drawer_movement(&cashier, MovementKind::Drop, m(10_00), "Late drop")
        .unwrap_err();
    assert!(refused.to_string().contains("no drawer open"), "{refused}");
    let later = till.wash(&cashier, vec![cash(None)], 0);
    assert_eq!(till.visit(later).shift, None);
    let again = service.shifts_on(&cashier, today()).unwrap();
    assert_eq!(
        again,
        vec![closed.clone()],
        "a closed shift keeps its count"
    );

    // Audited with amounts, never the reasons typed.
    let actions = audit_actions(service.store());
    for wanted in [
        AuditAction::ShiftOpened,
        AuditAction::DrawerMovement,
        AuditAction::ShiftClosed,
    ] {
        assert!(actions.contains(&wanted), "{wanted:?}");
    }
    let entries = service
        .audit_log(
            &till.manager,
            &AuditFilter {
                action_prefix: Some("drawer.".into()),
                ..AuditFilter::default()
            },
        )
        .unwrap()
        .entries;
    assert_eq!(entries.len(), 4);
    let text = format!("{entries:?}");
    assert!(!text.contains("Window cleaner") && !text.contains("Midday"));
    assert!(text.contains("paid-out: 1250"), "{text}");
    assert!(text.contains("over/short: -5"), "{text}");
}

#[test]
fn eight_threads_opening_one_persons_drawer_at_once_open_exactly_one() {
    let till = bc_till();
    let cashier = till.cashier();
    let service = &till.shop.service;
    let barrier = Barrier::new(8);
    let results: Vec<Result<ShiftView, ServiceError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (barrier, cashier) = (&barrier, cashier.clone());
                scope.spawn(move || {
                    barrier.wait();
                    service.open_shift(&cashier, m(100_00 + i))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let opened: Vec<&ShiftView> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(opened.len(), 1, "{results:?}");
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            refused.to_string().contains("already have a drawer open"),
            "{refused}"
        );
    }
    let reader = service.store().read().unwrap();
    assert_eq!(reader.count(SHIFTS).unwrap(), 1);
    assert_eq!(
        reader.open_shift_id(till.staff_id(&cashier)).unwrap(),
        Some(opened[0].id)
    );
    drop(reader);
    assert_eq!(
        service.current_shift(&cashier).unwrap().unwrap().id,
        opened[0].id
    );
    // Another person's drawer is their own.
    let managers = service.open_shift(&till.manager, m(50_00)).unwrap();
    assert_ne!(managers.id, opened[0].id);
}

#[test]
fn a_cashier_sees_only_their_own_drawers_and_a_manager_sees_every_drawer() {
    let till = bc_till();
    let service = &till.shop.service;
    let cashier = till.cashier();
    let mine = service.open_shift(&cashier, m(100_00)).unwrap();
    let managers = service.open_shift(&till.manager, m(200_00)).unwrap();
    till.wash(&cashier, vec![cash(None)], 0);
    till.wash(&till.manager, vec![cash(None)], 0);

    let seen: Vec<RecordId> = service
        .shifts_on(&cashier, today())
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(seen, [mine.id]);
    let all = service.shifts_on(&till.manager, today()).unwrap();
    assert_eq!(
        all.iter().map(|s| s.id).collect::<Vec<_>>(),
        [mine.id, managers.id]
    );
    assert!(all.iter().all(|s| s.cash_sales == m(22_40)));
    assert!(
        service
            .shifts_on(&till.manager, today().succ_opt().unwrap())
            .unwrap()
            .is_empty()
    );

    let own = service.takings(&cashier, today()).unwrap();
    assert_eq!(
        own.drawers.iter().map(|s| s.id).collect::<Vec<_>>(),
        [mine.id]
    );
    let everyone = service.takings(&till.manager, today()).unwrap();
    assert_eq!(everyone.drawers.len(), 2);
    assert_eq!(everyone.drawers[1].staff, MANAGER);
    assert_eq!(everyone.drawers[1].expected, m(222_40));
}

#[test]
fn a_refund_of_yesterdays_visit_comes_out_of_todays_drawer() {
    let till = bc_till();
    let service = &till.shop.service;
    let cashier = till.cashier();
    let cashier_id = till.staff_id(&cashier);
    let yesterday = till.wash(&cashier, vec![cash(None)], 0);
    // Many receipts later, the next day.
    for _ in 0..9 {
        till.wash(&cashier, vec![card(None)], 0);
    }
    till.shop.clock.advance(Duration::hours(24));
    let cashier = till.cashier();
    let shift = service.open_shift(&cashier, m(100_00)).unwrap();
    till.wash(&cashier, vec![cash(None)], 0);
    till.refund_in_cash(yesterday, cashier_id, Some(shift.id), 22_40);
    let closed = service
        .close_shift(&cashier, m(100_00), Vec::new())
        .unwrap();
    assert_eq!(closed.cash_sales, m(22_40));
    assert_eq!(closed.cash_refunds, m(22_40));
    assert_eq!(closed.expected, m(100_00));
    assert_eq!(closed.over_short, Some(Money::ZERO));
    assert!(closed.count_lines.is_empty(), "counted as one total");

    // The refund is in the day it was given, apart from the takings.
    let manager = till.shop.manager();
    let day_two = service
        .takings(&manager, today().succ_opt().unwrap())
        .unwrap();
    assert_eq!(day_two.refunds.count, 1);
    assert_eq!(day_two.refunds.amount, m(22_40));
    assert_eq!(day_two.total, m(22_40));
    assert_eq!(day_two.net_total, Money::ZERO);
    let day_one = service.takings(&manager, today()).unwrap();
    assert_eq!(day_one.refunds.count, 0);
    assert_eq!(day_one.total, m(10 * 22_40));
}

#[test]
fn drawer_mistakes_are_refused_and_change_nothing() {
    let till = bc_till();
    let service = &till.shop.service;
    let cashier = till.cashier();
    let negative = service.open_shift(&cashier, m(-1)).unwrap_err();
    assert!(
        matches!(negative, ServiceError::InvalidInput(_)),
        "{negative}"
    );
    let none = service.close_shift(&cashier, m(0), Vec::new()).unwrap_err();
    assert!(none.to_string().contains("no drawer open"), "{none}");

    service.open_shift(&cashier, m(100_00)).unwrap();
    let twice = service.open_shift(&cashier, m(100_00)).unwrap_err();
    assert!(
        twice
            .to_string()
            .starts_with("you already have a drawer open since 2026-11-23 09:0"),
        "{twice}"
    );
    for (kind, amount, reason) in [
        (MovementKind::PaidOut, 0, "Soap"),
        (MovementKind::Drop, 10_00, "  \u{200B} "),
        (MovementKind::PaidOut, 10_00, &*"x".repeat(81)),
    ] {
        let refused = service
            .record_drawer_movement(&cashier, kind, m(amount), reason)
            .unwrap_err();
        assert!(
            matches!(refused, ServiceError::InvalidInput(_)),
            "{refused}"
        );
    }
    let mismatch = service
        .close_shift(&cashier, m(100_00), count_of(m(99_95)))
        .unwrap_err();
    assert!(mismatch.to_string().contains("do not add up"), "{mismatch}");
    let still = service.current_shift(&cashier).unwrap().unwrap();
    assert!(still.is_open());
    assert!(still.movements.is_empty());
    let closed = service
        .close_shift(&cashier, m(100_10), Vec::new())
        .unwrap();
    assert_eq!(closed.over_short, Some(m(10)), "ten cents over");
}
