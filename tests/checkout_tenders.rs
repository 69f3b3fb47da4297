//! Paying for a visit with several tenders, through the service: the tenders always add up to
//! what was charged, cash rounding touches only cash, the change is right, tips are refused
//! where the shop takes none, and points are earned on the amount before tax. The preview's
//! `settle` gives exactly what the checkout then records.

mod common;

use common::{Shop, open_shop};
use frontdesk::domain::catalog::{PaymentMethod, ServiceCategory};
use frontdesk::domain::money::Money;
use frontdesk::domain::receipt::ReceiptLanguage;
use frontdesk::domain::tax::{TaxClass, TaxRate, TaxSettings};
use frontdesk::domain::tender::{Settlement, TenderRequest};
use frontdesk::ids::RecordId;
use frontdesk::service::{
    CheckoutInput, CheckoutLine, MemberInput, ServiceError, ServiceInput, Session, SettleError,
};
use frontdesk::store::records::TillSettings;

struct Till {
    shop: Shop,
    manager: Session,
    /// 45.00, GST only.
    full: RecordId,
    /// 88.00, GST and PST.
    detail: RecordId,
    member: RecordId,
}

fn service(shop: &Shop, manager: &Session, name: &str, price: i64) -> RecordId {
    shop.service
        .save_service(
            manager,
            ServiceInput {
                id: None,
                name: name.to_owned(),
                category: ServiceCategory::Exterior,
                duration_minutes: 30,
                price: Money::from_minor(price),
                earns_points: true,
                active: true,
                tax_class: Default::default(),
            },
        )
        .unwrap()
        .id
}

/// A British Columbia till: GST 5 % on everything, PST 7 % on the detail only, cash rounded to
/// 0.05 CAD; tips as given.
fn bc_till(tips: bool) -> Till {
    let shop = open_shop();
    let manager = shop.manager();
    let full = service(&shop, &manager, "Full service", 4500);
    let detail = service(&shop, &manager, "Detail", 8800);
    shop.service
        .update_till_settings(
            &manager,
            TillSettings {
                tax: TaxSettings {
                    prices_include_tax: false,
                    taxes: vec![TaxRate::new("GST", 500), TaxRate::new("PST", 700)],
                },
                cash_unit: Some(Money::from_minor(5)),
                tips,
                receipt_language: ReceiptLanguage::English,
                print_command: None,
            },
        )
        .unwrap();
    common::set_tax_class(
        &shop.service,
        &manager,
        full,
        TaxClass::Only(vec!["GST".to_owned()]),
    );
    let member = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "Ada Lovelace".to_owned(),
                ..MemberInput::default()
            },
        )
        .unwrap()
        .id;
    Till {
        shop,
        manager,
        full,
        detail,
        member,
    }
}

fn m(minor: i64) -> Money {
    Money::from_minor(minor)
}

fn card(amount: Option<i64>) -> TenderRequest {
    TenderRequest {
        method: PaymentMethod::Card,
        amount: amount.map(m),
        tendered: None,
    }
}

fn mobile(amount: Option<i64>) -> TenderRequest {
    TenderRequest {
        method: PaymentMethod::Mobile,
        amount: amount.map(m),
        tendered: None,
    }
}

fn cash(tendered: Option<i64>) -> TenderRequest {
    TenderRequest {
        method: PaymentMethod::Cash,
        amount: None,
        tendered: tendered.map(m),
    }
}

impl Till {
    fn input(&self, services: &[RecordId], tenders: Vec<TenderRequest>, tip: i64) -> CheckoutInput {
        CheckoutInput {
            booking: None,
            member: Some(self.member),
            vehicle: None,
            lines: services
                .iter()
                .map(|service| CheckoutLine {
                    service: *service,
                    quantity: 1,
                    price_override: None,
                })
                .collect(),
            discount: None,
            adjustment_reason: None,
            points: None,
            payment: tenders
                .last()
                .map_or(PaymentMethod::Card, |tender| tender.method),
            tenders,
            tip: m(tip),
        }
    }
}

/// The rules every settlement keeps, whatever the mix. Rounding needs cash asked for; a cash
/// remainder that rounds to nothing records no cash tender, yet keeps its rounding.
fn check_settlement(
    settlement: &Settlement,
    amount_due: Money,
    tip: Money,
    cash_unit: i64,
    cash_asked: bool,
) {
    if !cash_asked {
        assert!(
            settlement.cash_rounding.is_zero(),
            "no cash, no rounding: {settlement:?}"
        );
    }
    assert!(
        settlement.cash_rounding.minor_units().abs() * 2 <= cash_unit,
        "{settlement:?}"
    );
    let paid: i64 = settlement
        .tenders
        .iter()
        .map(|t| t.amount.minor_units())
        .sum();
    assert_eq!(paid, settlement.charged.minor_units(), "{settlement:?}");
    assert_eq!(
        settlement.charged.minor_units(),
        amount_due.minor_units() + tip.minor_units() + settlement.cash_rounding.minor_units(),
        "{settlement:?}"
    );
    let cash = settlement
        .tenders
        .iter()
        .find(|t| t.method == PaymentMethod::Cash);
    match cash {
        Some(cash) => {
            assert_eq!(cash.amount.minor_units() % cash_unit, 0, "{settlement:?}");
            let tendered = cash.tendered.expect("cash records what was handed over");
            assert_eq!(
                cash.change.minor_units(),
                tendered.minor_units() - cash.amount.minor_units(),
                "{settlement:?}"
            );
        }
        None => assert!(
            cash_asked || settlement.cash_rounding.is_zero(),
            "{settlement:?}"
        ),
    }
    for tender in &settlement.tenders {
        if tender.method != PaymentMethod::Cash {
            assert!(tender.tendered.is_none() && tender.change.is_zero());
        }
    }
}

#[test]
fn tenders_always_add_up_to_the_charge_and_rounding_touches_only_cash() {
    let till = bc_till(true);
    // Full service + detail: 133.00 + GST 6.65 + PST 6.16 = 145.81 CAD.
    let both = [till.full, till.detail];
    let cases: Vec<(Vec<TenderRequest>, i64, i64, i64)> = vec![
        // (tenders, tip, expected charge, expected change on the cash)
        (vec![card(None)], 0, 14581, 0),
        (vec![cash(None)], 0, 14580, 0),
        (vec![cash(Some(15000))], 0, 14580, 420),
        (vec![card(Some(10000)), cash(Some(5000))], 0, 14580, 420),
        (vec![card(Some(10000)), cash(Some(5000))], 200, 14780, 220),
        (vec![mobile(Some(4583)), cash(Some(10000))], 0, 14583, 0),
        (
            vec![card(Some(4000)), mobile(Some(3000)), card(None)],
            150,
            14731,
            0,
        ),
        (vec![mobile(Some(14579)), cash(Some(500))], 0, 14579, 500),
    ];
    for (tenders, tip, charged, change) in cases {
        let preview = till
            .shop
            .service
            .preview_checkout(&till.manager, &till.input(&both, Vec::new(), 0))
            .unwrap();
        assert_eq!(preview.amount_due(), m(14581));
        let foreseen = preview.settle(m(tip), &tenders).unwrap();
        let receipt = till
            .shop
            .service
            .checkout(&till.manager, till.input(&both, tenders.clone(), tip))
            .unwrap();
        assert_eq!(
            receipt.settlement, foreseen,
            "the preview settles exactly as the checkout: {tenders:?}"
        );
        let cash_asked = tenders.iter().any(|t| t.method == PaymentMethod::Cash);
        check_settlement(
            &receipt.settlement,
            receipt.priced.amount_due,
            m(tip),
            5,
            cash_asked,
        );
        assert_eq!(receipt.settlement.charged, m(charged), "{tenders:?}");
        let cash_change = receipt
            .settlement
            .tenders
            .iter()
            .find(|t| t.method == PaymentMethod::Cash)
            .map_or(0, |t| t.change.minor_units());
        assert_eq!(cash_change, change, "{tenders:?}");
        assert!(receipt.receipt.contains("GST 5%"), "{}", receipt.receipt);
    }
    // A remainder that rounds to nothing takes no cash: 145.79 by mobile leaves 0.02.
    let receipt = till
        .shop
        .service
        .checkout(
            &till.manager,
            till.input(&both, vec![mobile(Some(14579)), cash(None)], 0),
        )
        .unwrap();
    assert_eq!(receipt.settlement.tenders.len(), 1);
    assert_eq!(receipt.settlement.cash_rounding, m(-2));
    check_settlement(
        &receipt.settlement,
        receipt.priced.amount_due,
        Money::ZERO,
        5,
        true,
    );
}

#[test]
fn wrong_tenders_are_refused_and_nothing_is_recorded() {
    let till = bc_till(true);
    let both = [till.full, till.detail];
    let preview = till
        .shop
        .service
        .preview_checkout(&till.manager, &till.input(&both, Vec::new(), 0))
        .unwrap();
    for (tenders, tip) in [
        (vec![card(Some(20000))], 0),
        (vec![cash(Some(10000))], 0),
        (vec![cash(None), card(None)], 0),
        (vec![card(Some(1000))], 0),
        (vec![card(None)], -100),
    ] {
        assert!(preview.settle(m(tip), &tenders).is_err(), "{tenders:?}");
        let refused = till
            .shop
            .service
            .checkout(&till.manager, till.input(&both, tenders.clone(), tip));
        assert!(
            matches!(refused, Err(ServiceError::InvalidInput(_))),
            "{tenders:?}: {refused:?}"
        );
    }
    assert!(
        till.shop
            .service
            .member_visits(&till.manager, till.member)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn tips_are_refused_when_the_shop_takes_none() {
    let till = bc_till(false);
    let input = till.input(&[till.full], vec![card(None)], 300);
    let preview = till
        .shop
        .service
        .preview_checkout(&till.manager, &input)
        .unwrap();
    assert!(!preview.takes_tips);
    assert_eq!(
        preview.settle(m(300), &input.tenders),
        Err(SettleError::TipsOff)
    );
    let refused = till.shop.service.checkout(&till.manager, input);
    match refused {
        Err(ServiceError::InvalidInput(message)) => {
            assert!(message.contains("does not take tips"), "{message}")
        }
        other => panic!("a tip where the shop takes none: {other:?}"),
    }
    assert!(
        till.shop
            .service
            .member_visits(&till.manager, till.member)
            .unwrap()
            .is_empty()
    );
    // Without the tip the same payment goes through.
    let receipt = till
        .shop
        .service
        .checkout(&till.manager, till.input(&[till.full], vec![card(None)], 0))
        .unwrap();
    assert_eq!(receipt.settlement.charged, m(4725));
}

#[test]
fn points_are_earned_on_the_amount_before_tax_and_tip() {
    let till = bc_till(true);
    // 45.00 + GST 2.25, a 5.00 tip, paid in cash: 52.25 charged, 45 points.
    let input = till.input(&[till.full], vec![cash(Some(6000))], 500);
    let preview = till
        .shop
        .service
        .preview_checkout(&till.manager, &input)
        .unwrap();
    assert_eq!(preview.amount_due(), m(4725));
    assert_eq!(preview.tax().net, m(4500));
    assert_eq!(preview.points_to_earn, 45);
    let receipt = till.shop.service.checkout(&till.manager, input).unwrap();
    assert_eq!(receipt.points_earned, 45);
    assert_eq!(receipt.points_balance, Some(45));
    assert_eq!(receipt.settlement.charged, m(5225));
    assert_eq!(receipt.settlement.tenders[0].change, m(775));
    let visits = till
        .shop
        .service
        .member_visits(&till.manager, till.member)
        .unwrap();
    assert_eq!(visits[0].points_earned, 45);
    assert_eq!(visits[0].charged, m(5225));
}

#[test]
fn a_previewed_discount_leaves_the_managers_approval_for_the_checkout() {
    use common::{ClockExt, MANAGER, MANAGER_PASSWORD, phone_code};
    use frontdesk::domain::access::Operation;
    use frontdesk::domain::checkout::Discount;

    let till = bc_till(false);
    let secret = till.shop.add_cashier(&till.manager);
    let cashier = till.shop.cashier(&secret);
    let mut input = till.input(&[till.full], vec![card(None)], 0);
    input.discount = Some(Discount::Percent(10));
    input.adjustment_reason = Some("regular customer".to_owned());
    assert!(!till.shop.service.can(&cashier, Operation::OverridePrice));
    assert!(matches!(
        till.shop.service.preview_checkout(&cashier, &input),
        Err(ServiceError::Forbidden { .. })
    ));

    let code = phone_code(&till.shop.manager_secret, till.shop.clock.now_for_tests());
    till.shop
        .service
        .approve(
            &cashier,
            Operation::OverridePrice,
            MANAGER,
            &secrecy::SecretString::from(MANAGER_PASSWORD.to_owned()),
            &code,
        )
        .unwrap();
    // Repricing the bill as the cashier builds it only looks at the approval.
    for _ in 0..3 {
        let preview = till
            .shop
            .service
            .preview_checkout(&cashier, &input)
            .unwrap();
        assert_eq!(preview.priced.discount, m(450));
    }
    assert!(till.shop.service.can(&cashier, Operation::OverridePrice));
    let receipt = till.shop.service.checkout(&cashier, input.clone()).unwrap();
    // 40.50 + GST 2.03 (2.025 rounded half up).
    assert_eq!(receipt.settlement.charged, m(4253));
    // Used once, by the checkout.
    assert!(!till.shop.service.can(&cashier, Operation::OverridePrice));
    assert!(matches!(
        till.shop.service.preview_checkout(&cashier, &input),
        Err(ServiceError::Forbidden { .. })
    ));
}
