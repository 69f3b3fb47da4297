//! The checkout screen driven by keys: the bill from the catalog, plans and points applied,
//! discounts for managers only, the total before payment, then the receipt — with the
//! service's records checked afterwards.

mod common;

use chrono::NaiveDateTime;
use common::ui::Desk;
use common::{Shop, open_shop};
use crossterm::event::KeyCode;
use frontdesk::domain::catalog::{PaymentMethod, ServiceCategory};
use frontdesk::domain::money::Money;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    BayInput, BookingRequest, CheckoutInput, CheckoutLine, LocalStart, MemberInput, PlanSale,
    ServiceInput, Session, VehicleInput,
};
use frontdesk::store::records::BookingState;
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

/// Ctrl-S, then Enter on the confirmation showing the total and method.
fn take_payment(desk: &mut Desk, expect_total: &str, expect_method: &str) {
    desk.ctrl('s');
    let prompt = desk.screen();
    assert!(
        prompt.contains(&format!(
            "Total due {expect_total}, paid by {expect_method}"
        )),
        "{prompt}"
    );
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
    desk.type_text("%");
    desk.type_text("10");
    desk.tab();
    desk.type_text("friend of mine");
    desk.enter();
    let screen = desk.screen();
    assert!(
        screen.contains("Only a manager may do that; ask a manager."),
        "{screen}"
    );
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
    assert!(desk.screen().contains("Total due 0.00 CAD, paid by Plan"));
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
