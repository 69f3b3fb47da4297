//! The checkout screen driven by keys: the bill from the catalog, plans and points applied,
//! discounts for managers only, taxes by name, the total before payment, payment by one method
//! or split with cash and change, then the receipt — with the service's records checked
//! afterwards.

mod common;

use chrono::NaiveDateTime;
use common::ui::Desk;
use common::{Shop, open_shop};
use crossterm::event::KeyCode;
use frontdesk::domain::catalog::{PaymentMethod, ServiceCategory};
use frontdesk::domain::money::Money;
use frontdesk::domain::receipt::ReceiptLanguage;
use frontdesk::domain::tax::{TaxClass, TaxRate, TaxSettings};
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    BayInput, BookingRequest, CheckoutInput, CheckoutLine, LocalStart, MemberInput, PlanSale,
    ServiceInput, Session, VehicleInput,
};
use frontdesk::store::records::{BookingState, TillSettings};
use frontdesk::ui::screens::checkout::CheckoutView;
use frontdesk::ui::{Effect, Event};

/// A shop with three services (names sort as Exterior, Full, 精洗), one bay for all of them,
/// a Chinese-named and a Latin-named member each with a car, and the manager's session.
struct Counter {
    shop: Shop,
    manager: Session,
    exterior: RecordId,
    full: RecordId,
    wang: RecordId,
    wang_car: RecordId,
    john: RecordId,
    john_car: RecordId,
}

fn counter() -> Counter {
    let shop = open_shop();
    let manager = shop.manager();
    let service = |name: &str, minutes: u32, price: i64, category: ServiceCategory| {
        shop.service
            .save_service(
                &manager,
                ServiceInput {
                    id: None,
                    name: name.to_owned(),
                    category,
                    duration_minutes: minutes,
                    price: Money::from_minor(price),
                    earns_points: true,
                    active: true,
                    tax_class: Default::default(),
                },
            )
            .unwrap()
            .id
    };
    let exterior = service("Exterior wash", 30, 2000, ServiceCategory::Exterior);
    let full = service("Full service", 60, 4500, ServiceCategory::FullService);
    let detail = service("精洗", 90, 8800, ServiceCategory::Detailing);
    shop.service
        .save_bay(
            &manager,
            BayInput {
                id: None,
                name: "Bay 1".to_owned(),
                services: vec![exterior, full, detail],
                active: true,
            },
        )
        .unwrap();
    let member_with_car = |name: &str, plate: &str| {
        let member = shop
            .service
            .create_member(
                &manager,
                MemberInput {
                    name: name.to_owned(),
                    ..MemberInput::default()
                },
            )
            .unwrap();
        let vehicle = shop
            .service
            .add_vehicle(
                &manager,
                member.id,
                VehicleInput {
                    plate: plate.to_owned(),
                    kind: VehicleKind::Sedan,
                    make_model: None,
                    colour: None,
                },
            )
            .unwrap();
        (member.id, vehicle.id)
    };
    let (wang, wang_car) = member_with_car("王小明", "苏A12345");
    let (john, john_car) = member_with_car("John Smith", "ABC 123");
    Counter {
        shop,
        manager,
        exterior,
        full,
        wang,
        wang_car,
        john,
        john_car,
    }
}

impl Counter {
    /// 王小明's full service at 10:00 today (09:00 now, 30 minutes' notice), checked in.
    fn checked_in_booking(&self) -> RecordId {
        let booking = self
            .shop
            .service
            .create_booking(
                &self.manager,
                BookingRequest {
                    member: Some(self.wang),
                    vehicle: Some(self.wang_car),
                    service: self.full,
                    bay: None,
                    start: LocalStart {
                        local: NaiveDateTime::parse_from_str("2026-11-23 10:00", "%Y-%m-%d %H:%M")
                            .unwrap(),
                        fold: None,
                    },
                },
            )
            .unwrap();
        self.shop
            .service
            .check_in(&self.manager, booking.id)
            .unwrap();
        booking.id
    }

    fn cashier_desk(&self) -> Desk {
        let secret = self.shop.add_cashier(&self.manager);
        self.shop.cashier_desk(&secret)
    }

    fn points(&self, member: RecordId) -> i64 {
        self.shop
            .service
            .member_points(&self.manager, member)
            .unwrap()
            .balance
    }
}

/// Opens the checkout screen on top of Today, as Today's `c` does.
fn open(desk: &mut Desk, view: CheckoutView) {
    for effect in desk.app.push_view(Box::new(view)) {
        if let Effect::Run(task) = effect {
            desk.send(Event::Task(task.run()));
        }
    }
    desk.settle();
    assert_eq!(desk.app.screen_title(), "Checkout");
}

/// Moves the catalog selection to the `index`th service (by name) and adds it.
fn add_service(desk: &mut Desk, index: usize) {
    desk.key(KeyCode::Home);
    for _ in 0..index {
        desk.key(KeyCode::Down);
    }
    desk.type_text("a");
}

/// Ctrl-S opens the payment on the method chosen with `p`; Enter takes the whole amount due
/// that way (cash: exactly, no change).
fn take_payment(desk: &mut Desk, expect_total: &str, expect_method: &str) {
    desk.ctrl('s');
    let step = desk.screen();
    assert!(step.contains("Take payment"), "{step}");
    assert!(
        step.lines()
            .any(|l| l.contains("Amount due") && l.contains(expect_total)),
        "{step}"
    );
    assert!(step.contains(&format!("◂ {expect_method} ▸")), "{step}");
    desk.enter();
}

#[test]
fn snapshots_mask_the_member_for_the_cashier() {
    let counter = counter();
    let booking = counter.checked_in_booking();
    let mut manager = counter.shop.manager_desk();
    open(&mut manager, CheckoutView::new(Some(booking), None, None));
    let mut cashier = counter.cashier_desk();
    open(&mut cashier, CheckoutView::new(Some(booking), None, None));
    for (width, height) in [(100, 30), (80, 24), (200, 50)] {
        manager.resize(width, height);
        cashier.resize(width, height);
        let manager_screen = manager.screen();
        let cashier_screen = cashier.screen();
        assert!(manager_screen.contains("王小明"), "{manager_screen}");
        assert!(manager_screen.contains("苏A12345"), "{manager_screen}");
        assert!(!cashier_screen.contains("王小明"), "{cashier_screen}");
        assert!(cashier_screen.contains("王**"), "{cashier_screen}");
        assert!(!cashier_screen.contains("苏A12345"), "{cashier_screen}");
        assert!(
            cashier_screen.contains("45.00 CAD"),
            "the total before payment"
        );
        insta::assert_snapshot!(format!("manager_{width}x{height}"), manager_screen);
        insta::assert_snapshot!(format!("cashier_{width}x{height}"), cashier_screen);
    }
    // The privacy blank hides the name and plate too.
    cashier.ctrl('b');
    let blanked = cashier.screen();
    assert!(!blanked.contains("王**"), "{blanked}");
}

#[test]
fn a_checked_in_booking_is_paid_by_card_and_earns_points() {
    let counter = counter();
    let booking = counter.checked_in_booking();
    let mut desk = counter.cashier_desk();
    open(&mut desk, CheckoutView::new(Some(booking), None, None));
    let bill = desk.screen();
    assert!(bill.contains("Full service"), "the booked service: {bill}");
    assert!(
        bill.contains("+45"),
        "points to earn shown before payment: {bill}"
    );
    take_payment(&mut desk, "45.00 CAD", "Card");
    desk.resize(80, 24);
    let receipt = desk.screen();
    assert!(receipt.contains("TOTAL"), "{receipt}");
    assert!(receipt.contains("Paid by"), "{receipt}");
    assert!(receipt.contains("Member #"), "{receipt}");
    assert!(
        !receipt.contains("王"),
        "the receipt names no one: {receipt}"
    );
    insta::assert_snapshot!("receipt_80x24", receipt);

    assert_eq!(counter.points(counter.wang), 45);
    let visits = counter
        .shop
        .service
        .member_visits(&counter.manager, counter.wang)
        .unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].payment, PaymentMethod::Card);
    assert_eq!(visits[0].total, Money::from_minor(4500));
    let bookings = counter
        .shop
        .service
        .member_bookings(&counter.manager, counter.wang)
        .unwrap();
    assert!(matches!(bookings[0].state, BookingState::Completed { .. }));
    assert!(desk.effects.iter().any(|e| e == "broadcast"));

    desk.enter();
    assert_eq!(desk.app.screen_title(), "Today", "back where it came from");
}

impl Counter {
    fn sell_john_a_plan(&self) {
        self.shop
            .service
            .sell_plan(
                &self.manager,
                PlanSale {
                    member: self.john,
                    vehicle: self.john_car,
                    product: common::plan_product(
                        &self.shop.service,
                        &self.manager,
                        vec![self.exterior],
                        1,
                        3999,
                        1,
                    ),
                    terms: 1,
                    price_override: None,
                    override_reason: None,
                    payment: PaymentMethod::Card,
                    tenders: Vec::new(),
                },
            )
            .unwrap();
    }
}

#[test]
fn a_plan_covers_the_wash_and_the_method_follows() {
    let counter = counter();
    counter.sell_john_a_plan();
    let mut desk = counter.shop.manager_desk();
    open(
        &mut desk,
        CheckoutView::new(None, Some(counter.john), Some(counter.john_car)),
    );
    add_service(&mut desk, 0);
    let screen = desk.screen();
    assert!(screen.contains("plan"), "the plan marker: {screen}");
    assert!(screen.contains("0.00 CAD"), "{screen}");
    // A second wash the same day is over the plan's daily cap and is charged.
    add_service(&mut desk, 0);
    let screen = desk.screen();
    assert!(screen.contains("20.00 CAD"), "{screen}");
    desk.type_text("d");
    take_payment(&mut desk, "0.00 CAD", "Plan");
    let visits = counter
        .shop
        .service
        .member_visits(&counter.manager, counter.john)
        .unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].total, Money::ZERO);
    assert_eq!(visits[0].payment, PaymentMethod::Plan);
}

#[test]
fn points_are_redeemed_and_refused_not_capped() {
    let counter = counter();
    counter
        .shop
        .service
        .adjust_points(&counter.manager, counter.john, 5000, "welcome bonus")
        .unwrap();
    let mut desk = counter.cashier_desk();
    open(
        &mut desk,
        CheckoutView::new(None, Some(counter.john), Some(counter.john_car)),
    );
    add_service(&mut desk, 0);
    desk.type_text("r");
    let form = desk.screen();
    assert!(form.contains("5000 points to spend"), "{form}");
    insta::assert_snapshot!("redeem_form_100x30", form);

    desk.type_text("6000");
    desk.enter();
    let refused = desk.screen();
    assert!(
        refused.contains("not enough"),
        "over the balance: {refused}"
    );
    for _ in 0..4 {
        desk.key(KeyCode::Backspace);
    }
    desk.type_text("2500");
    desk.enter();
    let refused = desk.screen();
    assert!(
        refused.contains("redeem at most 2000"),
        "over the total, refused rather than capped: {refused}"
    );
    for _ in 0..4 {
        desk.key(KeyCode::Backspace);
    }
    desk.type_text("300");
    desk.enter();
    let bill = desk.screen();
    assert!(bill.contains("Points (300)"), "{bill}");
    assert!(bill.contains("17.00 CAD"), "{bill}");
    take_payment(&mut desk, "17.00 CAD", "Card");
    assert_eq!(counter.points(counter.john), 5000 - 300 + 17);
}

#[test]
fn a_manager_discounts_with_a_reason() {
    let counter = counter();
    let mut desk = counter.shop.manager_desk();
    open(
        &mut desk,
        CheckoutView::new(None, Some(counter.john), Some(counter.john_car)),
    );
    add_service(&mut desk, 1);
    desk.type_text("%");
    desk.type_text("10");
    desk.enter();
    let needs_reason = desk.screen();
    assert!(
        needs_reason.contains("say why the price is changed"),
        "{needs_reason}"
    );
    // The refusal leaves the cursor in the reason field.
    desk.type_text("regular customer");
    desk.enter();
    let bill = desk.screen();
    assert!(bill.contains("-4.50"), "{bill}");
    assert!(bill.contains("40.50 CAD"), "{bill}");
    take_payment(&mut desk, "40.50 CAD", "Card");
    let visits = counter
        .shop
        .service
        .member_visits(&counter.manager, counter.john)
        .unwrap();
    assert_eq!(visits[0].total, Money::from_minor(4050));
}

#[test]
fn a_cashier_discount_is_refused_and_nothing_is_committed() {
    let counter = counter();
    let mut desk = counter.cashier_desk();
    open(
        &mut desk,
        CheckoutView::new(None, Some(counter.john), Some(counter.john_car)),
    );
    add_service(&mut desk, 1);
    // A manager's approval is asked for at once, before any of the form is filled in.
    desk.type_text("%");
    let screen = desk.screen();
    assert!(screen.contains("Approve a discount"), "{screen}");
    assert!(!screen.contains("Percent or amount"), "no form: {screen}");
    // No manager at hand: the cashier closes the dialog and the bill is as it was.
    desk.key(KeyCode::Esc);
    let screen = desk.screen();
    assert!(screen.contains("45.00 CAD"), "no discount kept: {screen}");
    assert!(!screen.contains("Discount  "), "{screen}");
    assert!(
        counter
            .shop
            .service
            .member_visits(&counter.manager, counter.john)
            .unwrap()
            .is_empty()
    );
    // Esc leaves without taking payment.
    desk.esc();
    assert_eq!(desk.app.screen_title(), "Today");
    assert!(
        counter
            .shop
            .service
            .member_visits(&counter.manager, counter.john)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_total_that_changed_after_the_confirmation_is_not_charged() {
    let counter = counter();
    counter.sell_john_a_plan();
    let mut desk = counter.cashier_desk();
    open(
        &mut desk,
        CheckoutView::new(None, Some(counter.john), Some(counter.john_car)),
    );
    add_service(&mut desk, 0);
    desk.ctrl('s');
    let step = desk.screen();
    assert!(step.contains("Nothing to pay; recorded as Plan."), "{step}");
    // Meanwhile another desk washes the same car under the plan: today's wash is used up.
    counter
        .shop
        .service
        .checkout(
            &counter.manager,
            CheckoutInput {
                booking: None,
                member: Some(counter.john),
                vehicle: Some(counter.john_car),
                lines: vec![CheckoutLine {
                    service: counter.exterior,
                    quantity: 1,
                    price_override: None,
                }],
                discount: None,
                adjustment_reason: None,
                points: None,
                payment: PaymentMethod::Plan,
                tenders: Vec::new(),
                tip: Default::default(),
            },
        )
        .unwrap();
    desk.enter();
    let screen = desk.screen();
    assert!(
        screen.contains("The total changed to 20.00 CAD"),
        "{screen}"
    );
    assert_eq!(desk.app.screen_title(), "Checkout");
    assert_eq!(
        counter
            .shop
            .service
            .member_visits(&counter.manager, counter.john)
            .unwrap()
            .len(),
        1,
        "only the other desk's visit"
    );
    // The bill now asks for money, so the method moved off Plan.
    take_payment(&mut desk, "20.00 CAD", "Cash");
}

impl Counter {
    /// A British Columbia till: GST 5 % on everything, PST 7 % on all but the full service,
    /// cash rounded to 0.05 CAD, tips taken, receipts in English.
    fn bc_till(&self) {
        self.shop
            .service
            .update_till_settings(
                &self.manager,
                TillSettings {
                    tax: TaxSettings {
                        prices_include_tax: false,
                        taxes: vec![TaxRate::new("GST", 500), TaxRate::new("PST", 700)],
                    },
                    cash_unit: Some(Money::from_minor(5)),
                    tips: true,
                    receipt_language: ReceiptLanguage::English,
                    print_command: None,
                },
            )
            .unwrap();
        common::set_tax_class(
            &self.shop.service,
            &self.manager,
            self.full,
            TaxClass::Only(vec!["GST".to_owned()]),
        );
    }
}

/// Whether a line of `screen` shows `label` with `value` beside it.
fn has_row(screen: &str, label: &str, value: &str) -> bool {
    screen
        .lines()
        .any(|l| l.contains(label) && l.contains(value))
}

/// John buys a full service (GST only) and a 精洗 (GST and PST): 133.00 + GST 6.65 + PST 6.16
/// = 145.81 CAD, plus a 2.00 tip. He pays 100.00 by card and hands over 50.00 cash for the
/// 47.81 left, which rounds to 47.80 (−0.01): 2.20 change. Snapshots the payment step and the
/// receipt at 80×24 and 200×50 under `who`.
fn split_payment(counter: &Counter, desk: &mut Desk, who: &str) {
    desk.resize(100, 30);
    open(
        desk,
        CheckoutView::new(None, Some(counter.john), Some(counter.john_car)),
    );
    add_service(desk, 1);
    add_service(desk, 2);
    let bill = desk.screen();
    assert!(has_row(&bill, "GST 5%", "6.65"), "{bill}");
    assert!(has_row(&bill, "PST 7%", "6.16"), "{bill}");
    assert!(has_row(&bill, "Total due", "145.81 CAD"), "{bill}");
    assert!(
        has_row(&bill, "Points to earn", "+133"),
        "points on the pre-tax amount: {bill}"
    );

    desk.ctrl('s');
    let step = desk.screen();
    assert!(has_row(&step, "Amount due", "145.81 CAD"), "{step}");
    assert!(
        step.contains("◂ Card ▸"),
        "the method chosen with p: {step}"
    );
    // The tip field, above the method; then the card's amount below it.
    desk.key(KeyCode::Up);
    desk.type_text("2");
    desk.key(KeyCode::Down);
    desk.key(KeyCode::Down);
    desk.type_text("100");
    let typing = desk.screen();
    assert!(
        has_row(&typing, "Left after this part", "47.81"),
        "{typing}"
    );
    desk.enter();
    let next = desk.screen();
    assert!(
        next.contains("Card 100.00 added; 47.81 CAD still due."),
        "{next}"
    );
    assert!(has_row(&next, "Card (added)", "100.00"), "{next}");
    assert!(next.contains("◂ Cash ▸"), "cash comes last: {next}");
    desk.type_text("50");
    for (width, height) in [(80, 24), (200, 50)] {
        desk.resize(width, height);
        let step = desk.screen();
        assert!(has_row(&step, "Still due", "47.81 CAD"), "{step}");
        assert!(has_row(&step, "Cash rounding", "-0.01"), "{step}");
        assert!(has_row(&step, "Cash due", "47.80"), "{step}");
        assert!(has_row(&step, "Handed over", "50.00"), "{step}");
        assert!(step.contains("Change to give"), "{step}");
        insta::assert_snapshot!(format!("split_{who}_payment_{width}x{height}"), step);
    }

    desk.enter();
    for (width, height) in [(80, 24), (200, 50)] {
        desk.resize(width, height);
        let receipt = desk.screen();
        assert!(receipt.contains("Receipt #"), "{receipt}");
        assert!(receipt.contains("Change to give"), "{receipt}");
        assert!(has_row(&receipt, "Total paid", "147.80 CAD"), "{receipt}");
        insta::assert_snapshot!(format!("split_{who}_receipt_{width}x{height}"), receipt);
    }
    // The whole receipt, as printed, at the tall size.
    let receipt = desk.screen();
    for (label, amount) in [
        ("GST 5%", "6.65"),
        ("PST 7%", "6.16"),
        ("Tip", "2.00"),
        ("Cash rounding", "-0.01"),
        ("TOTAL", "147.80 CAD"),
        ("Card", "100.00"),
        ("Cash", "47.80"),
        ("tendered", "50.00"),
        ("Change", "2.20"),
    ] {
        assert!(
            receipt
                .lines()
                .any(|l| l.contains(&format!(" {label} ")) && l.contains(amount)),
            "{label} {amount}:\n{receipt}"
        );
    }
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Today");
}

#[test]
fn a_split_payment_with_cash_change_and_rounding_for_the_manager() {
    let counter = counter();
    counter.bc_till();
    let mut desk = counter.shop.manager_desk();
    split_payment(&counter, &mut desk, "manager");
    let visits = counter
        .shop
        .service
        .member_visits(&counter.manager, counter.john)
        .unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].charged, Money::from_minor(14780));
    assert_eq!(visits[0].payment, PaymentMethod::Card, "the larger tender");
    assert_eq!(
        counter.points(counter.john),
        133,
        "earned before tax and tip"
    );
}

#[test]
fn a_split_payment_with_cash_change_and_rounding_for_the_cashier() {
    let counter = counter();
    counter.bc_till();
    let mut desk = counter.cashier_desk();
    split_payment(&counter, &mut desk, "cashier");
    let visits = counter
        .shop
        .service
        .member_visits(&counter.manager, counter.john)
        .unwrap();
    assert_eq!(visits[0].charged, Money::from_minor(14780));
}

#[test]
fn wrong_amounts_are_explained_at_the_field_and_nothing_typed_is_lost() {
    let counter = counter();
    counter.bc_till();
    let mut desk = counter.cashier_desk();
    open(
        &mut desk,
        CheckoutView::new(None, Some(counter.john), Some(counter.john_car)),
    );
    // Full service, GST only: 45.00 + 2.25.
    add_service(&mut desk, 1);
    desk.ctrl('s');
    desk.tab();
    desk.type_text("50");
    desk.enter();
    let refused = desk.screen();
    assert!(
        refused.contains("At most 47.25 CAD") && refused.contains("More than the 47.25 CAD"),
        "{refused}"
    );
    assert!(
        has_row(&refused, "Amount", "50"),
        "what was typed stays: {refused}"
    );
    desk.key(KeyCode::Backspace);
    desk.key(KeyCode::Backspace);
    desk.type_text("20");
    desk.enter();
    let next = desk.screen();
    assert!(has_row(&next, "Still due", "27.25 CAD"), "{next}");

    // Taken off again with Delete on the method, then added back.
    desk.key(KeyCode::Up);
    desk.key(KeyCode::Delete);
    let removed = desk.screen();
    assert!(!removed.contains("Card (added)"), "{removed}");
    assert!(has_row(&removed, "Still due", "47.25 CAD"), "{removed}");
    desk.key(KeyCode::Left);
    desk.key(KeyCode::Left);
    assert!(desk.screen().contains("◂ Card ▸"), "{}", desk.screen());
    desk.key(KeyCode::Down);
    desk.type_text("20");
    desk.enter();
    assert!(desk.screen().contains("Card (added)"));

    desk.type_text("20");
    desk.enter();
    let short = desk.screen();
    assert!(
        short.contains("Take at least 27.25 CAD") && short.contains("Less than the 27.25 CAD"),
        "{short}"
    );
    assert!(has_row(&short, "Handed over", "20"), "{short}");
    desk.type_text("0");
    desk.enter();
    let receipt = desk.screen();
    assert!(receipt.contains("Payment taken."), "{receipt}");
    assert!(receipt.contains("Change to give"), "{receipt}");
    let visits = counter
        .shop
        .service
        .member_visits(&counter.manager, counter.john)
        .unwrap();
    assert_eq!(visits[0].charged, Money::from_minor(4725));
}

#[test]
fn leaving_the_payment_step_charges_nothing() {
    let counter = counter();
    let mut desk = counter.cashier_desk();
    open(
        &mut desk,
        CheckoutView::new(None, Some(counter.john), Some(counter.john_car)),
    );
    add_service(&mut desk, 0);
    desk.ctrl('s');
    desk.tab();
    desk.type_text("5");
    desk.enter();
    assert!(desk.screen().contains("Card (added)"));
    desk.esc();
    let bill = desk.screen();
    assert!(
        bill.contains("Payment not taken; nothing was charged."),
        "{bill}"
    );
    assert_eq!(desk.app.screen_title(), "Checkout");
    assert!(
        counter
            .shop
            .service
            .member_visits(&counter.manager, counter.john)
            .unwrap()
            .is_empty()
    );
    // Tips are a field only where the shop takes them.
    desk.ctrl('s');
    assert!(!desk.screen().contains("Tip"), "{}", desk.screen());
}

/// A Shanghai shop (CNY): prices include 增值税 6 %, receipts in 简体中文.
fn shanghai() -> (Shop, Session, RecordId) {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = std::sync::Arc::new(frontdesk::clock::ManualClock::new(common::start_time()));
    let store = frontdesk::store::Store::create(dir.path()).expect("create store");
    let (service, credentials) = frontdesk::service::Service::initialise(
        store,
        clock.clone(),
        std::sync::Arc::new(frontdesk::entropy::SeededEntropy::new(42)),
        frontdesk::service::InitialSetup {
            shop_name: "闪亮洗车".to_owned(),
            timezone: "Asia/Shanghai".to_owned(),
            currency: "CNY".to_owned(),
            manager_username: common::MANAGER.to_owned(),
            manager_password: secrecy::SecretString::from(common::MANAGER_PASSWORD.to_owned()),
            demo: false,
        },
        frontdesk::audit::Origin::Local,
    )
    .expect("initialise");
    let shop = Shop {
        manager_secret: common::credentials_secret(&credentials),
        manager_recovery_codes: Vec::new(),
        dir,
        service: std::sync::Arc::new(service),
        clock,
        database: None,
    };
    let manager = shop.manager();
    let detail = shop
        .service
        .save_service(
            &manager,
            ServiceInput {
                id: None,
                name: "精洗".to_owned(),
                category: ServiceCategory::Detailing,
                duration_minutes: 90,
                price: Money::from_minor(10000),
                earns_points: true,
                active: true,
                tax_class: Default::default(),
            },
        )
        .unwrap()
        .id;
    shop.service
        .update_till_settings(
            &manager,
            TillSettings {
                tax: TaxSettings {
                    prices_include_tax: true,
                    taxes: vec![TaxRate::new("增值税", 600)],
                },
                cash_unit: None,
                tips: false,
                receipt_language: ReceiptLanguage::SimplifiedChinese,
                print_command: None,
            },
        )
        .unwrap();
    (shop, manager, detail)
}

#[test]
fn a_tax_inclusive_receipt_in_chinese_whatever_the_screen_language() {
    let (shop, manager, _) = shanghai();
    // The manager's screen is in English; the receipt follows the till, in Chinese.
    let mut desk = shop.manager_desk();
    open(&mut desk, CheckoutView::new(None, None, None));
    add_service(&mut desk, 0);
    let bill = desk.screen();
    assert!(has_row(&bill, "incl. 增值税 6%", "5.66"), "{bill}");
    assert!(has_row(&bill, "Total due", "100.00 CNY"), "{bill}");
    desk.key(KeyCode::Char('p'));
    desk.key(KeyCode::Char('p'));
    desk.ctrl('s');
    assert!(desk.screen().contains("◂ Cash ▸"), "{}", desk.screen());
    desk.type_text("200");
    desk.enter();
    desk.resize(80, 24);
    let receipt = desk.screen();
    for (label, amount) in [
        ("含 增值税 6%", "5.66"),
        ("合计", "100.00 CNY"),
        ("现金", "100.00"),
        ("实收", "200.00"),
        ("找零", "100.00"),
    ] {
        assert!(
            receipt
                .lines()
                .any(|l| l.contains(label) && l.contains(amount)),
            "{label} {amount}:\n{receipt}"
        );
    }
    assert!(
        receipt.contains("Payment taken."),
        "the screen stays English: {receipt}"
    );
    insta::assert_snapshot!("inclusive_manager_en_receipt_80x24", receipt);

    // The cashier works in 简体中文: the bill, the payment and the summary follow the screen.
    let secret = shop.add_cashier(&manager);
    let session = shop.cashier(&secret);
    shop.service
        .set_my_preferences(
            &session,
            frontdesk::service::StaffPreferences {
                language: Some("zh-CN".to_owned()),
                theme: None,
            },
        )
        .unwrap();
    shop.service.logout(&session).unwrap();
    let mut desk = shop.cashier_desk(&secret);
    open(&mut desk, CheckoutView::new(None, None, None));
    add_service(&mut desk, 0);
    for (width, height) in [(80, 24), (200, 50)] {
        desk.resize(width, height);
        let bill = desk.screen();
        assert!(has_row(&bill, "含 增值税 6%", "5.66"), "{bill}");
        insta::assert_snapshot!(format!("inclusive_cashier_zh_bill_{width}x{height}"), bill);
    }
    desk.key(KeyCode::Char('p'));
    desk.key(KeyCode::Char('p'));
    desk.ctrl('s');
    desk.type_text("120");
    for (width, height) in [(80, 24), (200, 50)] {
        desk.resize(width, height);
        let step = desk.screen();
        assert!(step.contains("应找零"), "{step}");
        insta::assert_snapshot!(
            format!("inclusive_cashier_zh_payment_{width}x{height}"),
            step
        );
    }
    desk.enter();
    for (width, height) in [(80, 24), (200, 50)] {
        desk.resize(width, height);
        let receipt = desk.screen();
        assert!(receipt.contains("收据 #2"), "{receipt}");
        assert!(
            receipt
                .lines()
                .any(|l| l.contains("找零") && l.contains("20.00")),
            "{receipt}"
        );
        insta::assert_snapshot!(
            format!("inclusive_cashier_zh_receipt_{width}x{height}"),
            receipt
        );
    }
}
