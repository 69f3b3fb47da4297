//! The Today board and the booking dialogs, driven by key events: snapshots for both roles at
//! three sizes with bookings in every state, and the desk's flows checked against the service.

mod common;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use common::ui::Desk;
use common::*;
use crossterm::event::KeyCode;
use frontdesk::domain::catalog::{PaymentMethod, ServiceCategory};
use frontdesk::domain::money::Money;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    BayInput, BookingRequest, BookingView, CheckoutInput, LocalStart, MemberInput, ServiceInput,
    Session, VehicleInput,
};
use frontdesk::store::records::BookingState;

/// The frame's text with spaces removed: the test backend leaves a blank cell after each wide
/// character, so "王小明" reads "王 小 明" in the raw text.
fn flat(screen: &str) -> String {
    screen.chars().filter(|c| *c != ' ').collect()
}

struct Fixture {
    shop: Shop,
    exterior: RecordId,
    full: RecordId,
    bays: [RecordId; 3],
    /// 王小明 and John Smith, each with one car.
    wang: (RecordId, RecordId),
    john: (RecordId, RecordId),
}

/// Vancouver wall-clock time on Monday 2026-11-23 as an instant.
fn at(time: &str) -> DateTime<Utc> {
    let local = NaiveDateTime::parse_from_str(&format!("2026-11-23 {time}"), "%Y-%m-%d %H:%M")
        .expect("valid time");
    chrono_tz::America::Vancouver
        .from_local_datetime(&local)
        .single()
        .expect("unambiguous")
        .with_timezone(&Utc)
}

fn local(time: &str) -> LocalStart {
    LocalStart {
        local: NaiveDateTime::parse_from_str(&format!("2026-11-23 {time}"), "%Y-%m-%d %H:%M")
            .expect("valid time"),
        fold: None,
    }
}

impl Fixture {
    /// Two services, three bays (Bay 2 only does exterior washes) and two members, at the
    /// fixed clock (09:00 in Vancouver).
    fn new() -> Self {
        let shop = open_shop();
        let manager = shop.manager();
        let service = |name: &str, minutes: u32, price: i64, category| {
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
                .expect("service")
                .id
        };
        let exterior = service("Exterior wash", 30, 2000, ServiceCategory::Exterior);
        let full = service("Full service", 60, 4500, ServiceCategory::FullService);
        let bay = |name: &str, services: Vec<RecordId>| {
            shop.service
                .save_bay(
                    &manager,
                    BayInput {
                        id: None,
                        name: name.to_owned(),
                        services,
                        active: true,
                    },
                )
                .expect("bay")
                .id
        };
        let bays = [
            bay("Bay 1", vec![exterior, full]),
            bay("Bay 2", vec![exterior]),
            bay("Bay 3", vec![exterior, full]),
        ];
        let member = |name: &str, phone: &str, plate: &str| {
            let member = shop
                .service
                .create_member(
                    &manager,
                    MemberInput {
                        name: name.to_owned(),
                        phone: Some(phone.to_owned()),
                        ..MemberInput::default()
                    },
                )
                .expect("member");
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
                .expect("vehicle");
            (member.id, vehicle.id)
        };
        let wang = member("王小明", "+86 138 1234 5678", "苏A12345");
        let john = member("John Smith", "(604) 555-1234", "BC123AB");
        Self {
            shop,
            exterior,
            full,
            bays,
            wang,
            john,
        }
    }

    fn manager(&self) -> Session {
        self.shop.manager()
    }

    fn book(
        &self,
        session: &Session,
        service: RecordId,
        bay: usize,
        time: &str,
        customer: Option<(RecordId, RecordId)>,
    ) -> BookingView {
        self.shop
            .service
            .create_booking(
                session,
                BookingRequest {
                    member: customer.map(|c| c.0),
                    vehicle: customer.map(|c| c.1),
                    service,
                    bay: Some(self.bays[bay]),
                    start: local(time),
                },
            )
            .expect("booking")
    }

    fn booking(&self, id: RecordId) -> BookingView {
        let manager = self.manager();
        self.shop
            .service
            .day_bookings(&manager, at("09:00").date_naive())
            .expect("day")
            .into_iter()
            .find(|b| b.id == id)
            .expect("booking on the day")
    }
}

/// The busy morning for the snapshots: bookings made at 09:00, then the clock at 10:00 with
/// one completed, one checked in, and the rest still to come. The desk then marks a no-show and
/// cancels one by keys, so every state is on the board.
struct Morning {
    fixture: Fixture,
    no_show: BookingView,
    cancel: BookingView,
}

fn morning() -> Morning {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    let (exterior, full) = (fixture.exterior, fixture.full);
    let done = fixture.book(&manager, full, 0, "09:45", Some(fixture.wang));
    let no_show = fixture.book(&manager, exterior, 1, "09:45", Some(fixture.john));
    let arrived = fixture.book(&manager, exterior, 2, "10:15", None);
    fixture.book(&manager, exterior, 1, "10:30", Some(fixture.wang));
    let cancel = fixture.book(&manager, full, 0, "11:00", Some(fixture.john));
    fixture.book(&manager, full, 2, "12:00", Some(fixture.john));
    fixture.book(&manager, exterior, 0, "14:30", None);
    fixture.shop.clock.set(at("10:00"));
    let manager = fixture.manager();
    let service = &fixture.shop.service;
    service.check_in(&manager, done.id).expect("check in");
    service
        .checkout(
            &manager,
            CheckoutInput {
                booking: Some(done.id),
                member: None,
                vehicle: None,
                lines: Vec::new(),
                discount: None,
                adjustment_reason: None,
                points: None,
                payment: PaymentMethod::Card,
                tenders: Vec::new(),
                tip: Default::default(),
            },
        )
        .expect("checkout");
    service.check_in(&manager, arrived.id).expect("check in");
    Morning {
        fixture,
        no_show,
        cancel,
    }
}

fn cashier_desk(fixture: &Fixture) -> Desk {
    let manager = fixture.manager();
    let secret = fixture.shop.add_cashier(&manager);
    fixture.shop.cashier_desk(&secret)
}

/// From the opening cursor (Bay 1, the row of "now"), marks John's 09:45 on Bay 2 as a no-show
/// and cancels his 11:00 on Bay 1, by keys.
fn close_two_by_keys(desk: &mut Desk, morning: &Morning) {
    desk.key(KeyCode::Char('l'));
    desk.key(KeyCode::Char('o'));
    assert!(desk.app.has_overlay(), "{}", desk.screen());
    desk.key(KeyCode::Char('y'));
    assert!(
        desk.app
            .notice_text()
            .is_some_and(|n| n.contains("no-show")),
        "{:?}",
        desk.app.notice_text()
    );
    // Bay 1 is free from 10:00, when its 09:45 car was paid for: down four slots to 11:00.
    desk.key(KeyCode::Char('h'));
    for _ in 0..4 {
        desk.key(KeyCode::Char('j'));
    }
    desk.key(KeyCode::Char('x'));
    desk.type_text("customer called");
    desk.enter();
    assert!(
        desk.app
            .notice_text()
            .is_some_and(|n| n.contains("cancelled")),
        "{:?}\n{}",
        desk.app.notice_text(),
        desk.screen()
    );
    let manager = morning.fixture.manager();
    let john = morning
        .fixture
        .shop
        .service
        .member_bookings(&manager, morning.fixture.john.0)
        .expect("john's bookings");
    let state = |id: RecordId| {
        john.iter()
            .find(|b| b.id == id)
            .map(|b| b.state.clone())
            .expect("booking")
    };
    assert!(matches!(
        state(morning.no_show.id),
        BookingState::NoShow { .. }
    ));
    assert!(matches!(
        state(morning.cancel.id),
        BookingState::Cancelled { ref reason, .. } if reason == "customer called"
    ));
    // Leave the cursor on a free slot so the snapshot shows the cells' own styles.
    desk.key(KeyCode::Char('l'));
    desk.key(KeyCode::Char('l'));
    desk.key(KeyCode::Char('j'));
}

fn snapshot_desk(manager: bool, width: u16, height: u16) -> String {
    let morning = morning();
    let mut desk = if manager {
        morning.fixture.shop.manager_desk()
    } else {
        cashier_desk(&morning.fixture)
    };
    close_two_by_keys(&mut desk, &morning);
    desk.resize(width, height);
    // The notice fades so the status line shows the keys.
    for _ in 0..20 {
        desk.tick();
    }
    desk.screen()
}

#[test]
fn today_for_the_cashier_at_100x30() {
    insta::assert_snapshot!(snapshot_desk(false, 100, 30));
}

#[test]
fn today_for_the_manager_at_100x30() {
    insta::assert_snapshot!(snapshot_desk(true, 100, 30));
}

#[test]
fn today_for_the_cashier_at_80x24() {
    insta::assert_snapshot!(snapshot_desk(false, 80, 24));
}

#[test]
fn today_for_the_manager_at_80x24() {
    insta::assert_snapshot!(snapshot_desk(true, 80, 24));
}

#[test]
fn today_for_the_cashier_at_200x50() {
    insta::assert_snapshot!(snapshot_desk(false, 200, 50));
}

#[test]
fn today_for_the_manager_at_200x50() {
    insta::assert_snapshot!(snapshot_desk(true, 200, 50));
}

#[test]
fn the_cashier_sees_masked_names_and_the_manager_full_ones() {
    let cashier = flat(&snapshot_desk(false, 200, 50));
    assert!(cashier.contains("王**"), "{cashier}");
    assert!(cashier.contains("JohnS."), "{cashier}");
    assert!(!cashier.contains("王小明"), "{cashier}");
    assert!(!cashier.contains("JohnSmith"), "{cashier}");
    let manager = flat(&snapshot_desk(true, 200, 50));
    assert!(manager.contains("王小明"), "{manager}");
    assert!(manager.contains("JohnSmith"), "{manager}");
}

#[test]
fn the_privacy_blank_hides_names_on_the_board() {
    let morning = morning();
    let mut desk = morning.fixture.shop.manager_desk();
    desk.resize(200, 50);
    assert!(flat(&desk.screen()).contains("王小明"));
    desk.ctrl('b');
    let screen = flat(&desk.screen());
    assert!(!screen.contains("王小明"), "{screen}");
    assert!(!screen.contains("JohnSmith"), "{screen}");
    assert!(screen.contains("••••••"), "{screen}");
}

#[test]
fn due_next_lists_the_booked_arrivals_in_time_order() {
    let morning = morning();
    let mut desk = morning.fixture.shop.manager_desk();
    desk.resize(200, 50);
    let screen = desk.screen();
    let panel: Vec<&str> = screen
        .lines()
        .skip_while(|line| !line.contains("Due next"))
        .collect();
    let text = panel.join("\n");
    let position = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} not in due next:\n{text}"))
    };
    // John's 09:45 has not arrived yet: it is late, and first.
    assert!(position("09:45 Bay 2") < position("10:30 Bay 2"), "{text}");
    assert!(position("10:30 Bay 2") < position("12:00 Bay 3"), "{text}");
    assert!(text.contains("late"), "{text}");
    // Completed and checked-in bookings are not due.
    assert!(!text.contains("09:45 Bay 1"), "{text}");
    assert!(!text.contains("10:15 Bay 3"), "{text}");
}

#[test]
fn walk_in_for_a_member_found_by_number_takes_a_bay_now() {
    let fixture = Fixture::new();
    let mut desk = fixture.shop.manager_desk();
    desk.key(KeyCode::Char('w'));
    assert_eq!(desk.app.screen_title(), "Walk-in");
    let manager = fixture.manager();
    let number = fixture
        .shop
        .service
        .member_card(&manager, fixture.john.0)
        .expect("card")
        .label
        .member_number;
    desk.tab();
    desk.type_text(&number.to_string());
    let screen = flat(&desk.screen());
    assert!(screen.contains("JohnSmith"), "{screen}");
    assert!(screen.contains("BC123AB"), "{screen}");
    desk.enter();
    desk.ctrl('s');
    let notice = desk.app.notice_text().unwrap_or_default().to_owned();
    assert!(notice.starts_with("Walk-in: Bay "), "{notice}");
    assert!(notice.ends_with(" now (Exterior wash)."), "{notice}");
    assert_eq!(desk.app.screen_title(), "Today");
    let today = fixture
        .shop
        .service
        .day_bookings(&manager, at("09:00").date_naive())
        .expect("day");
    let walk_in = today.iter().find(|b| b.walk_in).expect("the walk-in");
    assert_eq!(walk_in.member, Some(fixture.john.0));
    assert_eq!(walk_in.vehicle, Some(fixture.john.1));
    assert!(matches!(walk_in.state, BookingState::CheckedIn { .. }));
}

#[test]
fn a_walk_in_when_every_bay_is_busy_is_told_when_one_frees_up() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    for _ in 0..3 {
        fixture
            .shop
            .service
            .walk_in(&manager, None, None, fixture.full)
            .expect("walk-in");
    }
    let mut desk = fixture.shop.manager_desk();
    desk.key(KeyCode::Char('w'));
    desk.enter();
    let notice = desk.app.notice_text().unwrap_or_default().to_owned();
    // Three cars since 09:00:30 hold every bay for an hour; Bay 2 does exterior washes only
    // and so is the one free: this exterior wash still goes in now.
    assert!(notice.contains("Bay 2 now"), "{notice}");
    desk.key(KeyCode::Char('w'));
    desk.enter();
    let notice = desk.app.notice_text().unwrap_or_default().to_owned();
    assert!(notice.contains(" at "), "{notice}");
    assert!(!notice.contains(" now"), "{notice}");
}

#[test]
fn booking_through_the_editor_with_first_free_slot() {
    let fixture = Fixture::new();
    let mut desk = fixture.shop.manager_desk();
    desk.key(KeyCode::Char('n'));
    assert_eq!(desk.app.screen_title(), "New booking");
    // Wang by the last four digits of the phone.
    desk.type_text("5678");
    assert!(flat(&desk.screen()).contains("王小明"), "{}", desk.screen());
    desk.enter();
    // Customer, vehicle, service: the full service.
    desk.key(KeyCode::Down);
    desk.key(KeyCode::Down);
    desk.key(KeyCode::Right);
    desk.key(KeyCode::F(4));
    let screen = desk.screen();
    // 09:01 plus 30 minutes' notice, on the 15-minute grid; a bay that does full services.
    assert!(screen.contains("First free slot: Bay "), "{screen}");
    assert!(screen.contains("at 2026-11-23 09:45."), "{screen}");
    assert!(!screen.contains("Bay 2 at"), "{screen}");
    desk.ctrl('s');
    let notice = desk.app.notice_text().unwrap_or_default().to_owned();
    assert!(notice.contains("Booked: Full service on Bay "), "{notice}");
    assert_eq!(desk.app.screen_title(), "Today");
    let manager = fixture.manager();
    let booked = fixture
        .shop
        .service
        .member_bookings(&manager, fixture.wang.0)
        .expect("bookings");
    assert_eq!(booked.len(), 1);
    assert_eq!(booked[0].start, at("09:45"));
    assert_eq!(booked[0].service, fixture.full);
    assert_eq!(booked[0].vehicle, Some(fixture.wang.1));
}

#[test]
fn new_booking_from_a_free_slot_starts_there() {
    let fixture = Fixture::new();
    let mut desk = fixture.shop.manager_desk();
    // From 09:00 on Bay 1: four slots down is 10:00; then Bay 2.
    for _ in 0..4 {
        desk.key(KeyCode::Char('j'));
    }
    desk.key(KeyCode::Char('l'));
    desk.enter();
    assert_eq!(desk.app.screen_title(), "New booking");
    let screen = desk.screen();
    assert!(screen.contains("10:00"), "{screen}");
    assert!(screen.contains("◂ Bay 2 ▸"), "{screen}");
    desk.ctrl('s');
    let manager = fixture.manager();
    let day = fixture
        .shop
        .service
        .day_bookings(&manager, at("09:00").date_naive())
        .expect("day");
    assert_eq!(day.len(), 1);
    assert_eq!(day[0].start, at("10:00"));
    assert_eq!(day[0].bay, fixture.bays[1]);
    assert_eq!(day[0].member, None);
}

#[test]
fn the_editor_refuses_a_skipped_time_and_asks_about_a_repeated_one() {
    let fixture = Fixture::new();
    let mut desk = fixture.shop.manager_desk();
    desk.key(KeyCode::Char('n'));
    // To the date field: lookup, customer, vehicle, service, date.
    for _ in 0..4 {
        desk.tab();
    }
    desk.ctrl('u');
    desk.type_text("2027-03-14");
    desk.tab();
    desk.type_text("02:30");
    let screen = desk.screen();
    assert!(screen.contains("does not exist"), "{screen}");
    // Back over the time: 2026-11-01 01:30 happened twice in Vancouver.
    desk.key(KeyCode::BackTab);
    desk.ctrl('u');
    desk.type_text("2026-11-01");
    desk.tab();
    desk.ctrl('u');
    desk.type_text("01:30");
    let screen = desk.screen();
    assert!(screen.contains("Which one"), "{screen}");
    desk.ctrl('s');
    let screen = desk.screen();
    assert!(screen.contains("happens twice"), "{screen}");
    assert!(screen.contains("PDT"), "{screen}");
    // The refusal put the cursor on the choice.
    desk.key(KeyCode::Right);
    let screen = desk.screen();
    assert!(
        screen.contains("01:30 PDT (UTC−07:00), the first time"),
        "{screen}"
    );
}

#[test]
fn moving_a_booking_in_the_grid() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    let booking = fixture.book(&manager, fixture.exterior, 0, "10:00", Some(fixture.wang));
    let mut desk = fixture.shop.manager_desk();
    for _ in 0..4 {
        desk.key(KeyCode::Char('j'));
    }
    desk.key(KeyCode::Char('m'));
    assert!(desk.screen().contains("Moving"), "{}", desk.screen());
    // An hour later, two bays to the right.
    for _ in 0..4 {
        desk.key(KeyCode::Char('j'));
    }
    desk.key(KeyCode::Char('l'));
    desk.key(KeyCode::Char('l'));
    // Esc first: nothing moves.
    desk.esc();
    assert_eq!(fixture.booking(booking.id).start, at("10:00"));
    desk.key(KeyCode::Char('m'));
    for _ in 0..4 {
        desk.key(KeyCode::Char('j'));
    }
    desk.key(KeyCode::Char('l'));
    desk.key(KeyCode::Char('l'));
    desk.enter();
    let notice = desk.app.notice_text().unwrap_or_default().to_owned();
    assert!(notice.contains("Moved to Bay 3"), "{notice}");
    let moved = fixture.booking(booking.id);
    assert_eq!(moved.start, at("11:00"));
    assert_eq!(moved.bay, fixture.bays[2]);
}

#[test]
fn a_full_service_being_moved_skips_the_bay_that_cannot_do_it() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    let booking = fixture.book(&manager, fixture.full, 0, "10:00", None);
    let mut desk = fixture.shop.manager_desk();
    for _ in 0..4 {
        desk.key(KeyCode::Char('j'));
    }
    desk.key(KeyCode::Char('m'));
    desk.key(KeyCode::Char('l'));
    desk.enter();
    let moved = fixture.booking(booking.id);
    assert_eq!(
        moved.bay, fixture.bays[2],
        "Bay 2 does not do full services"
    );
}

#[test]
fn cancelling_asks_for_a_reason_and_the_service_shows_it_cancelled() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    let booking = fixture.book(&manager, fixture.exterior, 0, "10:00", Some(fixture.john));
    let mut desk = fixture.shop.manager_desk();
    for _ in 0..4 {
        desk.key(KeyCode::Char('j'));
    }
    desk.key(KeyCode::Char('x'));
    assert!(desk.app.has_overlay());
    // No reason: the prompt stays.
    desk.enter();
    assert!(desk.app.has_overlay());
    desk.type_text("car broke down");
    desk.enter();
    assert!(!desk.app.has_overlay());
    let bookings = fixture
        .shop
        .service
        .member_bookings(&manager, fixture.john.0)
        .expect("bookings");
    assert!(matches!(
        &bookings[0].state,
        BookingState::Cancelled { reason, .. } if reason == "car broke down"
    ));
    assert_eq!(bookings[0].id, booking.id);
    // Still on the board, marked cancelled.
    let screen = desk.screen();
    assert!(screen.contains("✗ Exterior wash"), "{screen}");
    assert!(screen.contains("car broke down"), "{screen}");
}

#[test]
fn checking_in_the_selected_booking() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    let booking = fixture.book(&manager, fixture.exterior, 1, "10:00", None);
    let mut desk = fixture.shop.manager_desk();
    for _ in 0..4 {
        desk.key(KeyCode::Char('j'));
    }
    desk.key(KeyCode::Char('l'));
    desk.key(KeyCode::Char('i'));
    assert!(matches!(
        fixture.booking(booking.id).state,
        BookingState::CheckedIn { .. }
    ));
    assert!(
        desk.screen().contains("● Exterior wash"),
        "{}",
        desk.screen()
    );
}

#[test]
fn a_no_show_before_the_start_time_is_refused_with_the_service_message() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    let booking = fixture.book(&manager, fixture.exterior, 0, "10:00", None);
    let mut desk = fixture.shop.manager_desk();
    for _ in 0..4 {
        desk.key(KeyCode::Char('j'));
    }
    desk.key(KeyCode::Char('o'));
    desk.key(KeyCode::Char('y'));
    let notice = desk.app.notice_text().unwrap_or_default().to_owned();
    assert!(notice.contains("has not started yet"), "{notice}");
    assert_eq!(fixture.booking(booking.id).state, BookingState::Booked);
}

#[test]
fn day_navigation_and_find_member() {
    let fixture = Fixture::new();
    let mut desk = fixture.shop.manager_desk();
    assert!(desk.screen().contains("Monday 2026-11-23"));
    desk.key(KeyCode::Char(']'));
    assert!(
        desk.screen().contains("Tuesday 2026-11-24"),
        "{}",
        desk.screen()
    );
    desk.key(KeyCode::Char('['));
    desk.key(KeyCode::Char('['));
    assert!(
        desk.screen().contains("Sunday 2026-11-22"),
        "{}",
        desk.screen()
    );
    desk.key(KeyCode::Char('t'));
    assert!(desk.screen().contains("Monday 2026-11-23 (today)"));
    desk.key(KeyCode::Char('/'));
    assert_eq!(desk.app.screen_title(), "Members");
}

#[test]
fn checkout_opens_for_the_selected_booking() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    fixture.book(&manager, fixture.exterior, 0, "10:00", None);
    let mut desk = fixture.shop.manager_desk();
    for _ in 0..4 {
        desk.key(KeyCode::Char('j'));
    }
    desk.key(KeyCode::Char('c'));
    assert_eq!(desk.app.screen_title(), "Checkout");
}

/// The walk-in dialog with John found by his member number.
fn walk_in_dialog(manager: bool) -> String {
    let fixture = Fixture::new();
    let mut desk = if manager {
        fixture.shop.manager_desk()
    } else {
        cashier_desk(&fixture)
    };
    desk.resize(80, 24);
    desk.key(KeyCode::Char('w'));
    desk.tab();
    desk.type_text("100002");
    desk.screen()
}

#[test]
fn walk_in_dialog_for_the_cashier() {
    insta::assert_snapshot!(walk_in_dialog(false));
}

#[test]
fn walk_in_dialog_for_the_manager() {
    insta::assert_snapshot!(walk_in_dialog(true));
}

/// The booking editor for 王小明 after "first free slot".
fn booking_editor(manager: bool) -> String {
    let fixture = Fixture::new();
    let mut desk = if manager {
        fixture.shop.manager_desk()
    } else {
        cashier_desk(&fixture)
    };
    desk.resize(80, 24);
    desk.key(KeyCode::Char('n'));
    desk.type_text("5678");
    desk.enter();
    desk.key(KeyCode::F(4));
    desk.screen()
}

#[test]
fn booking_editor_for_the_cashier() {
    insta::assert_snapshot!(booking_editor(false));
}

#[test]
fn booking_editor_for_the_manager() {
    insta::assert_snapshot!(booking_editor(true));
}

/// Enter on a booked appointment opens it to move it to another time or bay.
fn reschedule_editor(manager: bool) -> String {
    let fixture = Fixture::new();
    let session = fixture.manager();
    fixture.book(&session, fixture.exterior, 0, "10:00", Some(fixture.john));
    let mut desk = if manager {
        fixture.shop.manager_desk()
    } else {
        cashier_desk(&fixture)
    };
    desk.resize(100, 30);
    for _ in 0..4 {
        desk.key(KeyCode::Char('j'));
    }
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Move booking");
    desk.screen()
}

#[test]
fn reschedule_editor_for_the_cashier() {
    insta::assert_snapshot!(reschedule_editor(false));
}

#[test]
fn reschedule_editor_for_the_manager() {
    insta::assert_snapshot!(reschedule_editor(true));
}

/// The night the clocks go back in a shop open from midnight: 01:00–01:45 comes twice, each
/// reading labelled with its offset so the two rows can be told apart.
fn fall_back_night(width: u16, height: u16) -> String {
    use frontdesk::domain::schedule::{BookingRules, FoldChoice, OpeningHours};
    use frontdesk::store::records::ScheduleSettings;
    let fixture = Fixture::new();
    // Saturday 2027-11-06 10:00 PDT, the day before the clocks go back (the clock only moves
    // forward: a login code is never accepted twice).
    fixture
        .shop
        .clock
        .set(Utc.with_ymd_and_hms(2027, 11, 6, 17, 0, 0).unwrap());
    let manager = fixture.manager();
    let night = vec![(
        chrono::NaiveTime::MIN,
        chrono::NaiveTime::from_hms_opt(6, 0, 0).expect("06:00"),
    )];
    fixture
        .shop
        .service
        .update_schedule(
            &manager,
            ScheduleSettings {
                hours: OpeningHours::new(std::array::from_fn(|_| night.clone())).expect("hours"),
                closures: Vec::new(),
                rules: BookingRules::default(),
            },
        )
        .expect("open at night");
    for (fold, bay) in [(FoldChoice::Earlier, 0), (FoldChoice::Later, 2)] {
        fixture
            .shop
            .service
            .create_booking(
                &manager,
                BookingRequest {
                    member: None,
                    vehicle: None,
                    service: fixture.exterior,
                    bay: Some(fixture.bays[bay]),
                    start: LocalStart {
                        local: NaiveDateTime::parse_from_str("2027-11-07 01:15", "%Y-%m-%d %H:%M")
                            .expect("valid time"),
                        fold: Some(fold),
                    },
                },
            )
            .expect("booking in the repeated hour");
    }
    let mut desk = fixture.shop.manager_desk();
    desk.resize(width, height);
    desk.key(KeyCode::Char(']'));
    for _ in 0..20 {
        desk.tick();
    }
    desk.screen()
}

#[test]
fn the_repeated_autumn_hour_is_labelled_with_its_offset() {
    let screen = fall_back_night(80, 24);
    for label in ["01:00 PDT", "01:15 PDT", "01:00 PST", "01:15 PST"] {
        assert_eq!(screen.matches(label).count(), 1, "{label}\n{screen}");
    }
    // Hours outside the repeated one keep their plain labels.
    assert!(screen.contains("00:00 "), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn the_repeated_autumn_hour_at_200x50() {
    insta::assert_snapshot!(fall_back_night(200, 50));
}

/// A refusal names the bay, the held time in the way and where it is free, wrapped so nothing
/// is cut off at 80 columns.
#[test]
fn the_editor_shows_a_taken_bay_with_free_alternatives_in_full_at_80x24() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    fixture.book(&manager, fixture.exterior, 0, "10:00", None);
    let mut desk = fixture.shop.manager_desk();
    desk.resize(80, 24);
    // From 09:00 on Bay 1 down to 10:45: the booking and its buffer row are stepped over.
    for _ in 0..6 {
        desk.key(KeyCode::Char('j'));
    }
    assert!(
        desk.screen()
            .contains("Bay 1 is free at 10:45, until 19:00"),
        "{}",
        desk.screen()
    );
    desk.key(KeyCode::Char('n'));
    assert_eq!(desk.app.screen_title(), "New booking");
    // Another desk takes that slot first.
    fixture.book(&manager, fixture.exterior, 0, "10:45", None);
    desk.ctrl('s');
    let screen = desk.screen();
    assert_eq!(desk.app.screen_title(), "New booking", "{screen}");
    let text = flat(&screen);
    assert!(
        text.contains("Bay1isbusy10:45–11:20(with5minutesbetweencars);"),
        "{screen}"
    );
    assert!(text.contains("free:Bay2at10:45"), "{screen}");
    assert!(text.contains("Bay1at11:30"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn a_refused_move_says_why_in_full_and_stays_in_move_mode() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    fixture.book(&manager, fixture.exterior, 0, "10:00", None);
    let later = fixture.book(&manager, fixture.exterior, 1, "11:00", None);
    let mut desk = fixture.shop.manager_desk();
    desk.resize(80, 24);
    desk.key(KeyCode::Char('l'));
    for _ in 0..8 {
        desk.key(KeyCode::Char('j'));
    }
    desk.key(KeyCode::Char('m'));
    for _ in 0..3 {
        desk.key(KeyCode::Char('k'));
    }
    desk.key(KeyCode::Char('h'));
    desk.enter();
    let screen = desk.screen();
    assert!(screen.contains("Moving"), "{screen}");
    let text = flat(&screen);
    assert!(
        text.contains("Bay1isbusy10:00–10:35(with5minutesbetweencars);"),
        "{screen}"
    );
    assert!(text.contains("Bay1at10:45"), "{screen}");
    assert_eq!(fixture.booking(later.id).start, at("11:00"));
    insta::assert_snapshot!(screen);
}

/// `]` to tomorrow, then `i` and `c` on a booking there: both refused with the service's reason,
/// whole on the status line at 80 columns.
#[test]
fn another_days_booking_cannot_be_checked_in_or_paid_today() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    let tomorrow = fixture
        .shop
        .service
        .create_booking(
            &manager,
            BookingRequest {
                member: None,
                vehicle: None,
                service: fixture.exterior,
                bay: Some(fixture.bays[0]),
                start: LocalStart {
                    local: NaiveDateTime::parse_from_str("2026-11-24 10:00", "%Y-%m-%d %H:%M")
                        .expect("valid time"),
                    fold: None,
                },
            },
        )
        .expect("tomorrow");
    let mut desk = fixture.shop.manager_desk();
    desk.resize(80, 24);
    desk.key(KeyCode::Char(']'));
    // From 08:00 down to the 10:00 booking.
    for _ in 0..8 {
        desk.key(KeyCode::Char('j'));
    }
    desk.key(KeyCode::Char('i'));
    let screen = desk.screen();
    assert!(
        screen
            .contains("that booking is for 2026-11-24, not today; check in on its day or move it"),
        "{screen}"
    );
    // The checkout screen opens on it and shows the refusal in place of a bill, wrapped.
    desk.key(KeyCode::Char('c'));
    let screen = desk.screen();
    assert_eq!(desk.app.screen_title(), "Checkout");
    assert!(
        screen.contains("that booking is for 2026-11-24, not today; check")
            && screen.contains("out on its day or move it"),
        "{screen}"
    );
    let manager = fixture.manager();
    let state = fixture
        .shop
        .service
        .day_bookings(&manager, tomorrow.start.date_naive())
        .expect("day")
        .into_iter()
        .find(|b| b.id == tomorrow.id)
        .map(|b| b.state);
    assert_eq!(state, Some(BookingState::Booked));
}
