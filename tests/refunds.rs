//! Refunds through the service: chosen lines, an amount, pieces that add up to the whole, the
//! limits, who may refund, points, plan and package uses, tax by name and receipt numbers.

mod common;
mod refund_fixture;

use common::{MANAGER, MANAGER_PASSWORD, audit_actions, phone_code};
use frontdesk::audit::AuditAction;
use frontdesk::domain::access::Operation;
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::money::Money;
use frontdesk::domain::refund::{RefundRequest, RefundedLine};
use frontdesk::domain::tax::{TaxClass, TaxSettings};
use frontdesk::ids::RecordId;
use frontdesk::service::{
    PackageSale, PlanSale, PointsUse, RefundInput, RefundReceipt, ServiceError, Session,
};
use frontdesk::store::ReadAccess;
use frontdesk::store::records::{ReceiptFor, VisitRecord};
use frontdesk::store::schema::VISITS;
use refund_fixture::{Till, bc_till, card, cash, put_service, till_with};
use secrecy::SecretString;

fn m(minor: i64) -> Money {
    Money::from_minor(minor)
}

fn lines(pairs: &[(u32, u32)]) -> RefundRequest {
    RefundRequest::Lines(
        pairs
            .iter()
            .map(|&(line, quantity)| RefundedLine { line, quantity })
            .collect(),
    )
}

fn input(visit: RecordId, request: RefundRequest) -> RefundInput {
    RefundInput {
        visit,
        request,
        reason: "customer unhappy with the wheels".to_owned(),
        to_method: None,
    }
}

impl Till {
    fn refund(&self, visit: RecordId, request: RefundRequest) -> RefundReceipt {
        self.refund_as(&self.manager, visit, request)
            .expect("refund")
    }

    fn refund_as(
        &self,
        session: &Session,
        visit: RecordId,
        request: RefundRequest,
    ) -> Result<RefundReceipt, ServiceError> {
        self.shop
            .service
            .refund_visit(session, input(visit, request))
    }

    fn visit(&self, visit: RecordId) -> VisitRecord {
        self.shop
            .service
            .store()
            .read()
            .unwrap()
            .get::<VisitRecord>(VISITS, visit, "visit")
            .unwrap()
            .unwrap()
    }

    fn receipts(&self) -> Vec<(u64, ReceiptFor)> {
        let mut out = Vec::new();
        self.shop
            .service
            .store()
            .read()
            .unwrap()
            .scan_receipts(&mut |number, bytes| {
                out.push((
                    number,
                    frontdesk::store::decode_record("receipt", bytes).unwrap(),
                ));
                true
            })
            .unwrap();
        out
    }

    fn spend(&self) -> i64 {
        let stats = self
            .shop
            .service
            .member_stats(&self.manager, self.member)
            .unwrap();
        stats.spend.total(self.shop.service.now())
    }
}

#[test]
fn a_line_refund_gives_back_the_line_with_its_own_taxes_and_a_numbered_receipt() {
    let till = bc_till();
    let paid = till.pay(
        &[(till.exterior, 2), (till.detail, 1)],
        vec![card()],
        None,
        0,
    );
    assert_eq!(paid.receipt_number, 1);
    // 129.50 + GST 6.48 + PST 6.27 (on the detail only).
    assert_eq!(paid.settlement.charged, m(14225));
    let refund = till.refund(paid.visit, lines(&[(0, 1)]));
    assert_eq!(refund.receipt_number, 2);
    assert_eq!(refund.given_back.net, m(2000));
    let taxes: Vec<(&str, Money)> = refund
        .given_back
        .taxes
        .iter()
        .map(|t| (t.name.as_str(), t.amount))
        .collect();
    assert_eq!(taxes, vec![("GST", m(100))], "no PST on an exterior wash");
    assert_eq!(refund.given_back.amount, m(2100));
    assert_eq!(refund.given_back.tenders[0].method, PaymentMethod::Card);
    assert!(refund.receipt.contains("REFUND"), "{}", refund.receipt);
    assert!(
        refund.receipt.contains("Refund of receipt"),
        "{}",
        refund.receipt
    );
    assert!(refund.receipt.contains("#1"), "{}", refund.receipt);
    assert!(refund.receipt.contains("GST"), "{}", refund.receipt);
    assert!(
        refund.receipt.contains("Exterior wash"),
        "{}",
        refund.receipt
    );
    assert!(!refund.receipt.contains("王"), "a receipt names no one");

    let stored = till.visit(paid.visit);
    assert_eq!(stored.refunds.len(), 1);
    let record = &stored.refunds[0];
    assert_eq!(record.receipt_number, 2);
    assert_eq!(record.reason, "customer unhappy with the wheels");
    assert_eq!(record.approved_by, None);
    assert_eq!(
        record.lines,
        vec![RefundedLine {
            line: 0,
            quantity: 1
        }]
    );
    let history = till
        .shop
        .service
        .member_visits(&till.manager, till.member)
        .unwrap();
    assert_eq!(history[0].refunded, m(2100));
    assert_eq!(
        till.receipts(),
        vec![
            (1, ReceiptFor::Visit(paid.visit)),
            (
                2,
                ReceiptFor::Refund {
                    visit: paid.visit,
                    refund: refund.refund
                }
            )
        ]
    );
    assert_eq!(
        audit_actions(till.shop.service.store())
            .iter()
            .filter(|a| **a == AuditAction::VisitRefunded)
            .count(),
        1
    );
}

#[test]
fn the_detail_shows_what_is_left_and_the_preview_is_what_the_refund_gives() {
    let till = bc_till();
    let paid = till.pay(
        &[(till.exterior, 2), (till.detail, 1)],
        vec![card()],
        None,
        0,
    );
    let detail = till
        .shop
        .service
        .visit_detail(&till.manager, paid.visit)
        .unwrap();
    assert_eq!(detail.receipt_number, Some(1));
    assert_eq!(detail.refundable, m(14225));
    assert_eq!(detail.lines.len(), 2);
    assert_eq!(detail.lines[0].units_left, 2);
    assert!(!detail.finished);

    let asked = input(paid.visit, RefundRequest::Amount(m(5000)));
    let preview = till
        .shop
        .service
        .preview_refund(&till.manager, &asked)
        .unwrap();
    let made = till
        .shop
        .service
        .refund_visit(&till.manager, asked)
        .unwrap();
    assert_eq!(preview.given_back, made.given_back);
    assert_eq!(made.given_back.amount, m(5000));
    let tax_total: i64 = made
        .given_back
        .taxes
        .iter()
        .map(|t| t.amount.minor_units())
        .sum();
    assert_eq!(made.given_back.net.minor_units() + tax_total, 5000);
    assert!(made.given_back.lines.is_empty());

    let detail = till
        .shop
        .service
        .visit_detail(&till.manager, paid.visit)
        .unwrap();
    assert_eq!(detail.refundable, m(14225 - 5000));
    assert_eq!(detail.refunded, m(5000));
    assert_eq!(detail.lines[0].units_left, 2, "an amount refunds no units");
}

#[test]
fn two_partial_refunds_then_the_rest_give_back_exactly_the_visit() {
    let till = bc_till();
    till.shop
        .service
        .adjust_points(&till.manager, till.member, 500, "welcome")
        .unwrap();
    let spend_before = till.spend();
    // 2 exterior + 1 vacuum = 52.50, less 3.00 in points; GST on the exteriors; cash with a
    // 5.00 tip and rounding to 0.05.
    let paid = till.pay(
        &[(till.exterior, 2), (till.vacuum, 1)],
        vec![cash(Some(10_000))],
        Some(PointsUse::Points(300)),
        500,
    );
    let charged = paid.settlement.charged;
    assert!(paid.points_earned > 0);
    assert_eq!(till.balance(), 500 - 300 + paid.points_earned);

    let first = till.refund(paid.visit, lines(&[(1, 1)]));
    let second = till.refund(paid.visit, RefundRequest::Amount(m(1000)));
    let rest = till.refund(paid.visit, RefundRequest::Whole);
    assert_eq!(
        (
            first.receipt_number,
            second.receipt_number,
            rest.receipt_number
        ),
        (2, 3, 4)
    );
    let refunds = [&first, &second, &rest];
    let total: i64 = refunds
        .iter()
        .map(|r| r.given_back.amount.minor_units())
        .sum();
    assert_eq!(
        total,
        charged.minor_units(),
        "every cent back, tip and rounding included"
    );
    let net: i64 = refunds.iter().map(|r| r.given_back.net.minor_units()).sum();
    assert_eq!(net, paid.priced.tax.net.minor_units());
    let gst: i64 = refunds
        .iter()
        .flat_map(|r| &r.given_back.taxes)
        .map(|t| t.amount.minor_units())
        .sum();
    assert_eq!(gst, paid.priced.tax.tax_total.minor_units());
    assert!(
        refunds
            .iter()
            .flat_map(|r| &r.given_back.tenders)
            .all(|t| t.method == PaymentMethod::Cash)
    );
    // The member is back where they were before the visit.
    assert_eq!(till.balance(), 500);
    assert_eq!(rest.points_balance, Some(500));
    assert_eq!(till.spend(), spend_before);
    let detail = till
        .shop
        .service
        .visit_detail(&till.manager, paid.visit)
        .unwrap();
    assert!(detail.finished);
    assert_eq!(detail.refunded, charged);
    // Every ledger entry of the refunds names the visit.
    let points = till
        .shop
        .service
        .member_points(&till.manager, till.member)
        .unwrap();
    assert!(
        points
            .entries
            .iter()
            .filter(|e| e.kind == frontdesk::domain::loyalty::EntryKind::Reverse)
            .all(|e| e.visit == Some(paid.visit))
    );
}

#[test]
fn a_refund_cannot_pass_what_was_paid() {
    let till = bc_till();
    let paid = till.pay(&[(till.exterior, 2)], vec![card()], None, 0);
    let too_many = till.refund_as(&till.manager, paid.visit, lines(&[(0, 3)]));
    assert!(
        matches!(&too_many, Err(ServiceError::InvalidInput(message)) if message.contains("only 2")),
        "{too_many:?}"
    );
    let too_much = till.refund_as(&till.manager, paid.visit, RefundRequest::Amount(m(4201)));
    assert!(
        matches!(too_much, Err(ServiceError::InvalidInput(_))),
        "{too_much:?}"
    );
    let no_line = till.refund_as(&till.manager, paid.visit, lines(&[(5, 1)]));
    assert!(matches!(no_line, Err(ServiceError::InvalidInput(_))));

    till.refund(paid.visit, RefundRequest::Amount(m(4200)));
    let again = till.refund_as(&till.manager, paid.visit, RefundRequest::Amount(m(1)));
    assert!(
        matches!(again, Err(ServiceError::InvalidInput(_))),
        "{again:?}"
    );
    // Units are still there (an amount refunds no units), but no money.
    let units = till.refund(paid.visit, lines(&[(0, 2)]));
    assert_eq!(units.given_back.amount, Money::ZERO);
    let nothing = till.refund_as(&till.manager, paid.visit, RefundRequest::Whole);
    assert!(
        matches!(&nothing, Err(ServiceError::InvalidInput(message)) if message.contains("already been refunded")),
        "{nothing:?}"
    );
    let total: i64 = till
        .visit(paid.visit)
        .refunds
        .iter()
        .map(|r| r.amount.minor_units())
        .sum();
    assert_eq!(total, 4200);
    // Failed refunds used no receipt number.
    let numbers: Vec<u64> = till.receipts().into_iter().map(|(n, _)| n).collect();
    assert_eq!(numbers, vec![1, 2, 3]);
}

#[test]
fn a_reason_is_required_and_voids_and_refunds_exclude_each_other() {
    let till = bc_till();
    let paid = till.pay(&[(till.exterior, 1)], vec![card()], None, 0);
    let mut no_reason = input(paid.visit, RefundRequest::Whole);
    no_reason.reason = "   ".to_owned();
    assert!(matches!(
        till.shop.service.refund_visit(&till.manager, no_reason),
        Err(ServiceError::InvalidInput(_))
    ));
    till.refund(paid.visit, lines(&[(0, 1)]));
    let void = till
        .shop
        .service
        .void_visit(&till.manager, paid.visit, "mistake");
    assert!(
        matches!(void, Err(ServiceError::InvalidInput(_))),
        "{void:?}"
    );

    let voided = till.pay(&[(till.exterior, 1)], vec![card()], None, 0);
    till.shop
        .service
        .void_visit(&till.manager, voided.visit, "rang up twice")
        .unwrap();
    let refused = till.refund_as(&till.manager, voided.visit, RefundRequest::Whole);
    assert!(
        matches!(&refused, Err(ServiceError::InvalidInput(message)) if message.contains("voided")),
        "{refused:?}"
    );
    assert!(
        till.shop
            .service
            .visit_detail(&till.manager, voided.visit)
            .unwrap()
            .finished
    );
}

#[test]
fn a_cashier_is_refused_until_a_manager_approves_at_the_counter() {
    let till = bc_till();
    let paid = till.pay(&[(till.exterior, 2)], vec![card()], None, 0);
    let secret = till.shop.add_cashier(&till.manager);
    let cashier = till.shop.cashier(&secret);
    assert!(!till.shop.service.can(&cashier, Operation::RefundVisit));
    let refused = till.refund_as(&cashier, paid.visit, lines(&[(0, 1)]));
    assert!(
        matches!(refused, Err(ServiceError::Forbidden { .. })),
        "{refused:?}"
    );
    // The cashier may still look at what is left, to tell the customer.
    assert!(till.shop.service.visit_detail(&cashier, paid.visit).is_ok());
    assert!(
        audit_actions(till.shop.service.store()).contains(&AuditAction::PermissionDenied),
        "the refusal is audited"
    );

    let code = phone_code(&till.shop.manager_secret, till.shop.service.now());
    till.shop
        .service
        .approve(
            &cashier,
            Operation::RefundVisit,
            MANAGER,
            &SecretString::from(MANAGER_PASSWORD.to_owned()),
            &code,
        )
        .expect("approval");
    assert!(till.shop.service.can(&cashier, Operation::RefundVisit));
    let approved = till
        .refund_as(&cashier, paid.visit, lines(&[(0, 1)]))
        .unwrap();
    let record = till.visit(paid.visit).refunds[0].clone();
    let manager_id = till
        .shop
        .service
        .session_info(&till.manager)
        .unwrap()
        .staff_id;
    let cashier_id = till.shop.service.session_info(&cashier).unwrap().staff_id;
    assert_eq!(record.approved_by, Some(manager_id));
    assert_eq!(record.by, cashier_id);
    assert_eq!(approved.receipt_number, 2);
    // The approval was for one refund.
    assert!(!till.shop.service.can(&cashier, Operation::RefundVisit));
    assert!(matches!(
        till.refund_as(&cashier, paid.visit, lines(&[(0, 1)])),
        Err(ServiceError::Forbidden { .. })
    ));
}

#[test]
fn earned_points_are_reversed_pro_rata_and_floored() {
    let till = till_with(TaxSettings::default(), Default::default());
    let wash = put_service(&till.shop, "Wash", 1250, TaxClass::Standard);
    let wax = put_service(&till.shop, "Wax", 2000, TaxClass::Standard);
    let paid = till.pay(&[(wash, 1), (wax, 1)], vec![card()], None, 0);
    assert_eq!(paid.points_earned, 32);
    let refund = till.refund(paid.visit, lines(&[(0, 1)]));
    // floor(32 × 12.50 / 32.50) = floor(12.3…) = 12.
    assert_eq!(refund.given_back.points_reversed, 12);
    assert_eq!(till.balance(), 20);
    let rest = till.refund(paid.visit, lines(&[(1, 1)]));
    assert_eq!(rest.given_back.points_reversed, 20);
    assert_eq!(till.balance(), 0);
}

#[test]
fn redeemed_points_are_given_back_in_proportion() {
    let till = till_with(TaxSettings::default(), Default::default());
    let wash = put_service(&till.shop, "Wash", 1000, TaxClass::Standard);
    let wax = put_service(&till.shop, "Wax", 3000, TaxClass::Standard);
    till.shop
        .service
        .adjust_points(&till.manager, till.member, 1000, "welcome")
        .unwrap();
    let paid = till.pay(
        &[(wash, 1), (wax, 1)],
        vec![card()],
        Some(PointsUse::Points(400)),
        0,
    );
    let refund = till.refund(paid.visit, lines(&[(0, 1)]));
    // The wash's share of the net: 9.00 of 36.00 → a quarter of the 400 points.
    assert_eq!(refund.given_back.points_restored, 100);
    assert_eq!(
        refund.given_back.points_reversed,
        paid.points_earned / 4,
        "earned points go the same way"
    );
}

#[test]
fn plan_and_package_uses_come_back_with_their_lines() {
    let till = bc_till();
    let plan_product = till
        .shop
        .plan_product(&till.manager, vec![till.exterior], 1, 3999, 1);
    till.shop
        .service
        .sell_plan(
            &till.manager,
            PlanSale {
                member: till.member,
                vehicle: till.car,
                product: plan_product,
                terms: 1,
                price_override: None,
                override_reason: None,
                payment: PaymentMethod::Card,
                tenders: Vec::new(),
            },
        )
        .unwrap();
    let package_product = till
        .shop
        .package_product(&till.manager, till.detail, 5, 30000, None);
    till.shop
        .service
        .sell_package(
            &till.manager,
            PackageSale {
                member: till.member,
                product: package_product,
                price_override: None,
                override_reason: None,
                payment: PaymentMethod::Card,
                tenders: Vec::new(),
            },
        )
        .unwrap();
    let paid = till.pay(&[(till.exterior, 1), (till.detail, 1)], vec![], None, 0);
    assert_eq!(
        paid.priced.amount_due,
        Money::ZERO,
        "plan and package cover both"
    );
    let packages = || {
        till.shop
            .service
            .member_plans(&till.manager, till.member)
            .unwrap()
            .1
    };
    assert_eq!(packages()[0].remaining, 4);
    // Today's plan wash is used: a second exterior would be charged.
    let second = till.pay(&[(till.exterior, 1)], vec![card()], None, 0);
    assert_eq!(second.priced.amount_due, m(2100));

    let refund = till.refund(paid.visit, lines(&[(0, 1), (1, 1)]));
    assert_eq!(refund.given_back.amount, Money::ZERO);
    assert_eq!(refund.given_back.plan_uses_returned.len(), 1);
    assert_eq!(refund.given_back.package_uses_returned.len(), 1);
    assert_eq!(packages()[0].remaining, 5);
    let again = till.pay(&[(till.exterior, 1)], vec![], None, 0);
    assert_eq!(
        again.priced.amount_due,
        Money::ZERO,
        "the plan covers today's wash again"
    );
    // Receipts run on through sales, visits and refunds without a gap.
    let kinds: Vec<&str> = till
        .receipts()
        .iter()
        .map(|(_, what)| match what {
            ReceiptFor::Visit(_) => "visit",
            ReceiptFor::Refund { .. } => "refund",
            ReceiptFor::Sale(_) => "sale",
        })
        .collect();
    assert_eq!(
        kinds,
        vec!["sale", "sale", "visit", "visit", "refund", "visit"]
    );
    let numbers: Vec<u64> = till.receipts().into_iter().map(|(n, _)| n).collect();
    assert_eq!(numbers, vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(refund.receipt_number, 5);
}

#[test]
fn money_goes_back_to_card_first_and_a_manager_may_choose_cash() {
    let till = bc_till();
    let split = vec![
        frontdesk::domain::tender::TenderRequest {
            method: PaymentMethod::Card,
            amount: Some(m(1000)),
            tendered: None,
        },
        cash(Some(5000)),
    ];
    let paid = till.pay(&[(till.exterior, 2)], split, None, 0);
    assert_eq!(paid.settlement.charged, m(4200));
    let first = till.refund(paid.visit, lines(&[(0, 1)]));
    let methods: Vec<(PaymentMethod, Money)> = first
        .given_back
        .tenders
        .iter()
        .map(|t| (t.method, t.amount))
        .collect();
    assert_eq!(
        methods,
        vec![
            (PaymentMethod::Card, m(1000)),
            (PaymentMethod::Cash, m(1100))
        ]
    );
    let mut to_card = input(paid.visit, lines(&[(0, 1)]));
    to_card.to_method = Some(PaymentMethod::Card);
    assert!(matches!(
        till.shop.service.refund_visit(&till.manager, to_card),
        Err(ServiceError::InvalidInput(_))
    ));

    let by_card = till.pay(&[(till.exterior, 1)], vec![card()], None, 0);
    let mut in_cash = input(by_card.visit, RefundRequest::Whole);
    in_cash.to_method = Some(PaymentMethod::Cash);
    let refund = till
        .shop
        .service
        .refund_visit(&till.manager, in_cash)
        .unwrap();
    assert_eq!(refund.given_back.tenders.len(), 1);
    assert_eq!(refund.given_back.tenders[0].method, PaymentMethod::Cash);
    assert_eq!(refund.given_back.amount, m(2100));
}
