//! The members screens driven by key events: search as you type, the member's tabs, the
//! create and edit forms, vehicles, points adjustments, and what a cashier may see and do.

mod common;

use std::cell::RefCell;

use chrono::{NaiveDate, NaiveDateTime};
use common::ui::{Desk, buffer_text};
use common::*;
use crossterm::event::KeyCode;
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::money::Money;
use frontdesk::domain::sanitize::is_unsafe_char;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    BookingRequest, CheckoutInput, CheckoutLine, ConsentPurpose, LocalStart, MemberDetail,
    MemberInput, PackageSale, PlanSale, Session, VehicleInput,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const WANG_NAME: &str = "王小明";
const WANG_PHONE: &str = "13812340142";
const WANG_PLATE: &str = "苏A12345";
const SMITH_NAME: &str = "John Smith";
const SMITH_PHONE: &str = "6045550142";
const SMITH_PLATE: &str = "ABC123";
const SMITH_EMAIL: &str = "john.smith@example.com";

/// A shop with a service, a bay, a cashier and two members who share the last four digits of
/// their phone numbers (so one search shows both), with a visit, a plan, a package, points, a
/// booking and a consent on the first.
struct Counter {
    shop: Shop,
    manager: Session,
    cashier_secret: Vec<u8>,
    wang: RecordId,
    smith: RecordId,
}

fn member(shop: &Shop, session: &Session, input: MemberInput, plate: &str) -> MemberDetail {
    let detail = shop.service.create_member(session, input).expect("member");
    shop.service
        .add_vehicle(
            session,
            detail.id,
            VehicleInput {
                plate: plate.to_owned(),
                kind: VehicleKind::Sedan,
                make_model: Some("Toyota Corolla".to_owned()),
                colour: Some("blue".to_owned()),
            },
        )
        .expect("vehicle");
    detail
}

fn counter() -> Counter {
    let shop = open_shop();
    let manager = shop.manager();
    let cashier_secret = shop.add_cashier(&manager);
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let wang = member(
        &shop,
        &manager,
        MemberInput {
            name: WANG_NAME.to_owned(),
            phone: Some(WANG_PHONE.to_owned()),
            email: Some("xiaoming@example.cn".to_owned()),
            birthday: NaiveDate::from_ymd_opt(1990, 11, 2),
            notes: Some("Prefers hand drying".to_owned()),
        },
        WANG_PLATE,
    );
    let smith = member(
        &shop,
        &manager,
        MemberInput {
            name: SMITH_NAME.to_owned(),
            phone: Some(SMITH_PHONE.to_owned()),
            email: Some(SMITH_EMAIL.to_owned()),
            birthday: NaiveDate::from_ymd_opt(1985, 3, 14),
            notes: None,
        },
        SMITH_PLATE,
    );
    let wang_car = wang_vehicle(&shop, &manager, wang.id);
    shop.service
        .checkout(
            &manager,
            CheckoutInput {
                booking: None,
                member: Some(wang.id),
                vehicle: Some(wang_car),
                lines: vec![CheckoutLine {
                    service: wash,
                    quantity: 2,
                    price_override: None,
                }],
                discount: None,
                adjustment_reason: None,
                points: None,
                payment: PaymentMethod::Card,
                tenders: Vec::new(),
                tip: Default::default(),
            },
        )
        .expect("checkout");
    shop.service
        .sell_plan(
            &manager,
            PlanSale {
                member: wang.id,
                vehicle: wang_car,
                product: common::plan_product(&shop.service, &manager, vec![wash], 1, 3900, 1),
                terms: 2,
                price_override: None,
                override_reason: None,
                payment: PaymentMethod::Card,
                tenders: Vec::new(),
            },
        )
        .expect("plan");
    shop.service
        .sell_package(
            &manager,
            PackageSale {
                member: wang.id,
                product: common::package_product(&shop.service, &manager, wash, 5, 9000, Some(6)),
                price_override: None,
                override_reason: None,
                payment: PaymentMethod::Cash,
                tenders: Vec::new(),
            },
        )
        .expect("package");
    shop.service
        .create_booking(
            &manager,
            BookingRequest {
                member: Some(wang.id),
                vehicle: Some(wang_car),
                service: wash,
                bay: None,
                start: LocalStart {
                    local: NaiveDateTime::parse_from_str("2026-11-24 10:00", "%Y-%m-%d %H:%M")
                        .expect("time"),
                    fold: None,
                },
            },
        )
        .expect("booking");
    shop.service
        .set_consent(&manager, wang.id, ConsentPurpose::Marketing, true)
        .expect("consent");
    shop.service.wait_for_name_index();
    Counter {
        shop,
        manager,
        cashier_secret,
        wang: wang.id,
        smith: smith.id,
    }
}

fn wang_vehicle(shop: &Shop, session: &Session, wang: RecordId) -> RecordId {
    shop.service
        .open_member(session, wang)
        .expect("open")
        .vehicles[0]
        .id
}

impl Counter {
    fn manager_desk(&self) -> Desk {
        let mut desk = self.shop.manager_desk();
        desk.tick();
        desk
    }

    fn cashier_desk(&self) -> Desk {
        let mut desk = self.shop.cashier_desk(&self.cashier_secret);
        desk.tick();
        desk
    }

    fn detail(&self, member: RecordId) -> MemberDetail {
        self.shop
            .service
            .open_member(&self.manager, member)
            .expect("open")
    }

    fn balance(&self, member: RecordId) -> i64 {
        self.shop
            .service
            .member_points(&self.manager, member)
            .expect("points")
            .balance
    }
}

/// The members screen with `query` typed.
fn search(desk: &mut Desk, query: &str) {
    desk.key(KeyCode::F(3));
    assert_eq!(desk.app.screen_title(), "Members");
    desk.type_text(query);
}

/// Opens the first result of `query`.
fn open(desk: &mut Desk, query: &str) {
    search(desk, query);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", frame_text(desk));
}

/// The frame as a person reads it: a wide (CJK) character's second cell is not a space.
fn frame_text(desk: &Desk) -> String {
    let buffer = desk.buffer();
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
            line.push_str(symbol);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn assert_no_unsafe_cells(desk: &Desk) {
    let buffer = desk.buffer();
    for cell in buffer.content() {
        assert!(
            !cell.symbol().chars().any(is_unsafe_char),
            "unsafe character drawn:\n{}",
            buffer_text(&buffer)
        );
    }
}

// ---- Search ----

#[test]
fn search_results_line_up_cjk_and_latin_for_the_manager() {
    let counter = counter();
    let mut desk = counter.manager_desk();
    search(&mut desk, "0142");
    let screen = frame_text(&desk);
    assert!(
        screen.contains(WANG_NAME) && screen.contains(SMITH_NAME),
        "{screen}"
    );
    insta::assert_snapshot!("search_manager", screen);
}

#[test]
fn search_results_are_masked_for_the_cashier() {
    let counter = counter();
    let mut desk = counter.cashier_desk();
    search(&mut desk, "0142");
    let screen = frame_text(&desk);
    for secret in [
        WANG_NAME,
        WANG_PHONE,
        WANG_PLATE,
        SMITH_NAME,
        SMITH_PHONE,
        SMITH_PLATE,
    ] {
        assert!(!screen.contains(secret), "cashier sees {secret}:\n{screen}");
    }
    assert!(
        screen.contains("王**") && screen.contains("John S."),
        "{screen}"
    );
    insta::assert_snapshot!("search_cashier", screen);
}

#[test]
fn a_cashier_typing_into_a_hidden_surname_finds_nothing_and_is_told_why() {
    let counter = counter();
    let mut desk = counter.cashier_desk();
    search(&mut desk, "John Sm");
    let screen = frame_text(&desk);
    assert!(screen.contains("No member matches"), "{screen}");
    assert!(
        screen.contains("Names are found by a whole name, or by as much of one as you are shown."),
        "{screen}"
    );
    insta::assert_snapshot!("search_cashier_past_the_mask", screen);
    // What the mask shows still finds the member.
    desk.key(KeyCode::Backspace);
    assert!(
        frame_text(&desk).contains("John S."),
        "{}",
        frame_text(&desk)
    );
}

#[test]
fn search_at_the_smallest_and_a_large_terminal() {
    let counter = counter();
    let mut desk = counter.manager_desk();
    desk.resize(80, 24);
    search(&mut desk, "0142");
    insta::assert_snapshot!("search_80x24", frame_text(&desk));
    desk.resize(200, 50);
    insta::assert_snapshot!("search_200x50", frame_text(&desk));
}

#[test]
fn empty_search_explains_what_to_type_and_no_match_offers_a_new_member() {
    let counter = counter();
    let mut desk = counter.manager_desk();
    search(&mut desk, "");
    let screen = frame_text(&desk);
    assert!(
        screen.contains("phone number, its last 4 digits, a plate, a name or a member number"),
        "{screen}"
    );
    insta::assert_snapshot!("search_empty", screen);
    desk.type_text("Nobody");
    assert!(frame_text(&desk).contains("No member matches"));
    // Esc clears the query before it leaves the screen.
    desk.esc();
    assert_eq!(desk.app.screen_title(), "Members");
    assert!(!frame_text(&desk).contains("Nobody"));
}

#[test]
fn typing_a_phone_then_enter_opens_the_member() {
    let counter = counter();
    let mut desk = counter.manager_desk();
    search(&mut desk, SMITH_PHONE);
    assert!(frame_text(&desk).contains(SMITH_NAME));
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member");
    let screen = frame_text(&desk);
    assert!(
        screen.contains(SMITH_NAME) && screen.contains(SMITH_EMAIL),
        "{screen}"
    );
    // Back on the list, Down then Enter opens the other of the two results.
    desk.esc();
    desk.ctrl('u');
    desk.type_text("0142");
    desk.key(KeyCode::Down);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member");
}

// ---- Member detail ----

const TAB_NAMES: [&str; 7] = [
    "profile", "vehicles", "points", "plans", "visits", "bookings", "consents",
];

#[test]
fn every_tab_for_the_manager() {
    let counter = counter();
    let mut desk = counter.manager_desk();
    open(&mut desk, WANG_PHONE);
    for name in TAB_NAMES {
        insta::assert_snapshot!(format!("detail_manager_{name}"), frame_text(&desk));
        desk.tab();
    }
    assert!(frame_text(&desk).contains("Prefers hand drying"));
}

#[test]
fn every_tab_for_the_cashier_is_masked() {
    let counter = counter();
    let mut desk = counter.cashier_desk();
    open(&mut desk, WANG_PHONE);
    for name in TAB_NAMES {
        let screen = frame_text(&desk);
        for secret in [WANG_NAME, WANG_PHONE, WANG_PLATE, "xiaoming@", "1990-11-02"] {
            assert!(
                !screen.contains(secret),
                "cashier sees {secret} on {name}:\n{screen}"
            );
        }
        insta::assert_snapshot!(format!("detail_cashier_{name}"), screen);
        desk.tab();
    }
}

#[test]
fn detail_at_80x24() {
    let counter = counter();
    let mut desk = counter.manager_desk();
    desk.resize(80, 24);
    open(&mut desk, WANG_PHONE);
    insta::assert_snapshot!("detail_80x24_profile", frame_text(&desk));
    desk.key(KeyCode::Right);
    desk.key(KeyCode::Right);
    desk.key(KeyCode::Right);
    insta::assert_snapshot!("detail_80x24_plans", frame_text(&desk));
}

#[test]
fn privacy_blank_hides_the_member() {
    let counter = counter();
    let mut desk = counter.manager_desk();
    open(&mut desk, WANG_PHONE);
    desk.ctrl('b');
    let screen = frame_text(&desk);
    for secret in [WANG_NAME, WANG_PHONE, "xiaoming@", "Prefers hand drying"] {
        assert!(!screen.contains(secret), "{secret} shown:\n{screen}");
    }
    desk.tab();
    assert!(!frame_text(&desk).contains(WANG_PLATE));
    // The edit form holds the real values: it is not drawn while the blank is on.
    desk.key(KeyCode::Char('e'));
    let screen = frame_text(&desk);
    assert!(!screen.contains(WANG_PHONE) && screen.contains("Personal data is hidden"));
}

#[test]
fn a_manager_opening_a_member_is_audited_once() {
    let counter = counter();
    let mut desk = counter.manager_desk();
    let before = opened_entries(&counter);
    open(&mut desk, WANG_PHONE);
    // Moving about and coming back from a form does not open the record again.
    desk.tab();
    desk.key(KeyCode::Char('v'));
    desk.esc();
    desk.tab();
    assert_eq!(opened_entries(&counter), before + 1);
}

fn opened_entries(counter: &Counter) -> usize {
    use frontdesk::audit::{AuditAction, decode};
    counter
        .shop
        .service
        .store()
        .read()
        .expect("read")
        .audit_stream()
        .expect("audit")
        .filter(|(_, bytes)| decode(bytes).expect("entry").action == AuditAction::MemberOpened)
        .count()
}

// ---- Forms ----

#[test]
fn create_member_with_a_validation_error_then_a_fix() {
    let counter = counter();
    let mut desk = counter.manager_desk();
    search(&mut desk, "");
    desk.ctrl('n');
    assert_eq!(desk.app.screen_title(), "New member");
    insta::assert_snapshot!("form_new_member", frame_text(&desk));
    desk.type_text("欧阳娜娜");
    desk.enter();
    desk.type_text("12");
    // Enter moves through the fields; on the last one it saves.
    for _ in 0..6 {
        desk.enter();
    }
    assert_eq!(desk.app.screen_title(), "New member");
    let screen = frame_text(&desk);
    assert!(screen.contains("too few digits"), "{screen}");
    insta::assert_snapshot!("form_new_member_phone_error", screen);
    // Focus went to the phone field: replace it and save.
    desk.ctrl('u');
    desk.type_text("+86 139 1234 5678");
    for _ in 0..3 {
        desk.enter();
    }
    desk.type_text("VIP");
    desk.enter();
    desk.type_text("京B 88888");
    desk.enter();
    desk.key(KeyCode::Right);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", frame_text(&desk));
    let found = counter
        .shop
        .service
        .search_members(&counter.manager, "京B88888")
        .expect("search");
    assert_eq!(found.members.len(), 1);
    let detail = counter.detail(found.members[0].id);
    assert_eq!(detail.name.as_str(), "欧阳娜娜");
    assert_eq!(detail.vehicles.len(), 1);
    assert_eq!(detail.vehicles[0].kind, VehicleKind::Hatchback);
    assert_eq!(detail.notes.as_ref().map(|n| n.as_str()), Some("VIP"));
}

#[test]
fn a_bad_birthday_is_refused_next_to_the_field() {
    let counter = counter();
    let mut desk = counter.manager_desk();
    search(&mut desk, "");
    desk.ctrl('n');
    desk.type_text("Ana");
    for _ in 0..3 {
        desk.enter();
    }
    desk.type_text("2030-01-01");
    for _ in 0..4 {
        desk.enter();
    }
    let screen = frame_text(&desk);
    assert!(screen.contains("the date is in the future"), "{screen}");
    desk.ctrl('u');
    desk.type_text("17/04/1990");
    for _ in 0..4 {
        desk.enter();
    }
    assert!(frame_text(&desk).contains("YYYY-MM-DD, e.g. 1990-04-17"));
}

#[test]
fn manager_edits_contact_details() {
    let counter = counter();
    let mut desk = counter.manager_desk();
    open(&mut desk, SMITH_PHONE);
    desk.key(KeyCode::Char('e'));
    assert_eq!(desk.app.screen_title(), "Edit member");
    insta::assert_snapshot!("form_edit_manager", frame_text(&desk));
    desk.key(KeyCode::Down);
    desk.key(KeyCode::Down);
    desk.ctrl('u');
    desk.type_text("js@example.org");
    for _ in 0..3 {
        desk.enter();
    }
    assert_eq!(desk.app.screen_title(), "Member");
    assert!(frame_text(&desk).contains("js@example.org"));
    let detail = counter.detail(counter.smith);
    assert_eq!(
        detail.email.as_ref().map(|e| e.as_str()),
        Some("js@example.org")
    );
    assert_eq!(detail.name.as_str(), SMITH_NAME);
    assert!(detail.phone.is_some());
}

#[test]
fn cashier_edits_only_what_they_type() {
    let counter = counter();
    let mut desk = counter.cashier_desk();
    open(&mut desk, SMITH_PHONE);
    desk.key(KeyCode::Char('e'));
    let screen = frame_text(&desk);
    assert!(!screen.contains(SMITH_NAME) && !screen.contains(SMITH_EMAIL));
    assert!(screen.contains("John S."), "{screen}");
    insta::assert_snapshot!("form_edit_cashier", screen);
    desk.key(KeyCode::Down);
    desk.type_text("604 555 9999");
    for _ in 0..4 {
        desk.enter();
    }
    assert_eq!(desk.app.screen_title(), "Member", "{}", frame_text(&desk));
    let detail = counter.detail(counter.smith);
    assert_eq!(detail.name.as_str(), SMITH_NAME);
    assert_eq!(detail.email.as_ref().map(|e| e.as_str()), Some(SMITH_EMAIL));
    assert!(
        detail
            .phone
            .as_ref()
            .is_some_and(|p| p.as_str().contains("5559999"))
    );
    assert!(matches!(
        detail.birthday,
        Some(frontdesk::service::BirthdayView::Date(_))
    ));
}

#[test]
fn add_a_vehicle() {
    let counter = counter();
    let mut desk = counter.manager_desk();
    open(&mut desk, SMITH_PHONE);
    desk.key(KeyCode::Char('v'));
    assert_eq!(desk.app.screen_title(), "Add vehicle");
    insta::assert_snapshot!("form_add_vehicle", frame_text(&desk));
    desk.type_text("xyz 789");
    desk.enter();
    desk.key(KeyCode::Right);
    desk.key(KeyCode::Right);
    desk.enter();
    desk.type_text("Honda CR-V");
    desk.enter();
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member");
    let detail = counter.detail(counter.smith);
    assert_eq!(detail.vehicles.len(), 2);
    let added = &detail.vehicles[1];
    assert_eq!(added.plate.as_str(), "XYZ789");
    assert_eq!(added.kind, VehicleKind::Suv);
    desk.tab();
    assert!(frame_text(&desk).contains("XYZ789"));
}

#[test]
fn remove_a_vehicle_after_confirming() {
    let counter = counter();
    let mut desk = counter.manager_desk();
    open(&mut desk, SMITH_PHONE);
    desk.tab();
    desk.key(KeyCode::Char('d'));
    assert!(desk.app.has_overlay());
    desk.key(KeyCode::Char('y'));
    assert!(counter.detail(counter.smith).vehicles.is_empty());
    assert!(frame_text(&desk).contains("No vehicles yet"));
}

// ---- Points ----

#[test]
fn manager_adjusts_points_with_a_reason() {
    let counter = counter();
    let before = counter.balance(counter.wang);
    let mut desk = counter.manager_desk();
    open(&mut desk, WANG_PHONE);
    desk.key(KeyCode::Char('a'));
    assert_eq!(desk.app.screen_title(), "Adjust points");
    desk.type_text("25");
    desk.enter();
    // No reason: refused next to the field, nothing written.
    desk.enter();
    assert!(frame_text(&desk).contains("Give a reason"));
    assert_eq!(counter.balance(counter.wang), before);
    desk.type_text("Goodwill for a long wait");
    insta::assert_snapshot!("dialog_adjust_points", frame_text(&desk));
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member");
    assert_eq!(counter.balance(counter.wang), before + 25);
    desk.tab();
    desk.tab();
    assert!(frame_text(&desk).contains("Goodwill for a long wait"));
}

#[test]
fn cashier_adjusting_points_is_asked_for_a_manager_before_the_form() {
    let counter = counter();
    let before = counter.balance(counter.wang);
    let mut desk = counter.cashier_desk();
    open(&mut desk, WANG_PHONE);
    desk.key(KeyCode::Char('a'));
    // The approval dialog comes first (see tests/ui_approval.rs); cancelled, nothing opens.
    assert_eq!(desk.app.screen_title(), "Manager approval");
    desk.esc();
    assert_eq!(desk.app.screen_title(), "Member");
    assert_eq!(counter.balance(counter.wang), before);
    let refused = counter
        .shop
        .service
        .adjust_points(
            &counter.shop.cashier(&counter.cashier_secret),
            counter.wang,
            500,
            "friend",
        )
        .unwrap_err();
    assert!(refused.to_string().contains("ask a manager"), "{refused}");
    assert_eq!(counter.balance(counter.wang), before);
}

// ---- Plans, visits, consents ----

#[test]
fn manager_suspends_then_resumes_a_plan() {
    use frontdesk::domain::plans::PlanStatus;
    let counter = counter();
    let mut desk = counter.manager_desk();
    open(&mut desk, WANG_PHONE);
    desk.key(KeyCode::Char('u'));
    // Not on the plans tab: it moves there and says what to pick.
    assert!(frame_text(&desk).contains("Choose the plan"));
    desk.key(KeyCode::Char('u'));
    desk.key(KeyCode::Char('y'));
    let status = |counter: &Counter| {
        counter
            .shop
            .service
            .member_plans(&counter.manager, counter.wang)
            .expect("plans")
            .0[0]
            .status
    };
    assert_eq!(status(&counter), PlanStatus::Suspended);
    desk.key(KeyCode::Char('u'));
    desk.key(KeyCode::Char('y'));
    assert_eq!(status(&counter), PlanStatus::Active);
}

#[test]
fn renew_a_plan_from_the_plans_tab() {
    let counter = counter();
    let mut desk = counter.cashier_desk();
    open(&mut desk, WANG_PHONE);
    for _ in 0..3 {
        desk.tab();
    }
    desk.key(KeyCode::Char('p'));
    assert_eq!(desk.app.screen_title(), "Renew plan");
    desk.enter();
    desk.enter();
    let plans = counter
        .shop
        .service
        .member_plans(&counter.manager, counter.wang)
        .expect("plans")
        .0;
    assert_eq!(
        plans[0].valid_until,
        NaiveDate::from_ymd_opt(2027, 2, 22).unwrap()
    );
}

#[test]
fn cashier_sells_a_plan_and_a_package() {
    let counter = counter();
    let mut desk = counter.cashier_desk();
    open(&mut desk, SMITH_PHONE);
    desk.key(KeyCode::Char('p'));
    assert_eq!(desk.app.screen_title(), "Sell a monthly plan");
    // Vehicle, plan, then terms.
    desk.enter();
    desk.enter();
    desk.ctrl('u');
    desk.type_text("3");
    desk.enter();
    insta::assert_snapshot!("dialog_sell_plan", frame_text(&desk));
    // Payment, then the price: the list's (another needs a manager; see ui_approval.rs).
    desk.enter();
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", frame_text(&desk));
    let (plans, _) = counter
        .shop
        .service
        .member_plans(&counter.manager, counter.smith)
        .expect("plans");
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].price_per_term, Money::from_minor(3900));
    assert_eq!(
        plans[0].valid_until,
        NaiveDate::from_ymd_opt(2027, 2, 22).unwrap()
    );

    desk.key(KeyCode::Char('P'));
    assert_eq!(desk.app.screen_title(), "Sell a package");
    // Package, payment, then the price.
    desk.enter();
    desk.enter();
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", frame_text(&desk));
    let (_, packages) = counter
        .shop
        .service
        .member_plans(&counter.manager, counter.smith)
        .expect("plans");
    assert_eq!(packages.len(), 1);
    assert_eq!(packages[0].total, 5);
}

#[test]
fn manager_voids_a_visit_with_a_reason() {
    let counter = counter();
    let mut desk = counter.manager_desk();
    open(&mut desk, WANG_PHONE);
    for _ in 0..4 {
        desk.tab();
    }
    desk.key(KeyCode::Char('V'));
    assert!(desk.app.has_overlay());
    desk.type_text("Charged twice");
    desk.enter();
    let visits = counter
        .shop
        .service
        .member_visits(&counter.manager, counter.wang)
        .expect("visits");
    assert!(visits[0].voided);
    assert!(frame_text(&desk).contains("[void]"));
}

#[test]
fn consent_withdrawal_is_recorded() {
    let counter = counter();
    let mut desk = counter.cashier_desk();
    open(&mut desk, WANG_PHONE);
    desk.key(KeyCode::Char('s'));
    desk.key(KeyCode::Char('s'));
    assert!(desk.app.has_overlay());
    desk.key(KeyCode::Char('y'));
    let consents = counter
        .shop
        .service
        .member_consents(&counter.manager, counter.wang)
        .expect("consents");
    assert_eq!(consents[0].purpose, ConsentPurpose::Marketing);
    assert!(!consents[0].granted);
    assert!(frame_text(&desk).contains("withdrawn"));
}

// ---- Hostile names ----

fn hostile_name() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\u{1b}[2J".to_owned()),
        Just("\u{1b}]0;pwned\u{7}".to_owned()),
        Just("\u{202e}".to_owned()),
        Just("\u{2066}".to_owned()),
        Just("\u{200b}".to_owned()),
        Just("\u{feff}".to_owned()),
        Just("\u{0}".to_owned()),
        Just("\r\n".to_owned()),
        Just("\t".to_owned()),
        "[a-zA-Z]{1,4}",
        "[王李张欧阳]{1,2}",
    ];
    proptest::collection::vec(piece, 1..8).prop_map(|pieces| format!("N{}", pieces.concat()))
}

#[test]
fn hostile_names_render_inert() {
    let counter = counter();
    let desk = RefCell::new(counter.manager_desk());
    search(&mut desk.borrow_mut(), "");
    let mut runner = TestRunner::new(Config {
        cases: 16,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&hostile_name(), |name| {
            let created = counter
                .shop
                .service
                .create_member(
                    &counter.manager,
                    MemberInput {
                        name,
                        ..MemberInput::default()
                    },
                )
                .expect("a name with a letter is accepted");
            let mut desk = desk.borrow_mut();
            desk.ctrl('u');
            let number = format!("#{}", created.member_number);
            desk.type_text(&number);
            let listed = frame_text(&desk).contains(&number);
            prop_assert!(listed, "member {} not listed", number);
            assert_no_unsafe_cells(&desk);
            desk.enter();
            prop_assert_eq!(desk.app.screen_title(), "Member");
            assert_no_unsafe_cells(&desk);
            desk.esc();
            Ok(())
        })
        .expect("every hostile name renders inert");
}
