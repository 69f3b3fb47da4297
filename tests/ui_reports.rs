//! The Reports screen driven by keys: each report as a chart and as numbers at 80×24 and
//! 200×50, for a manager in English and in 简体中文, and a cashier's report narrowed to their
//! own takings of today. Every snapshot is read by a person before it is accepted.

mod common;

use common::ui::Desk;
use common::*;
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::money::Money;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    CheckoutInput, CheckoutLine, MemberInput, ReportName, Session, StaffPreferences, VehicleInput,
};

/// A shop with a week of visits: members and walk-ins, cash and card, over several days and
/// hours, one void; and a cashier who took one wash today.
fn busy_shop() -> (Shop, Vec<u8>) {
    let shop = open_shop();
    let mut manager = shop.manager();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let member = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "Anna Lee".to_owned(),
                ..MemberInput::default()
            },
        )
        .expect("member")
        .id;
    let car = shop
        .service
        .add_vehicle(
            &manager,
            member,
            VehicleInput {
                plate: "KLM 456".to_owned(),
                kind: VehicleKind::Suv,
                make_model: None,
                colour: None,
            },
        )
        .expect("vehicle")
        .id;
    let secret = shop.add_cashier(&manager);
    let mut first = None;
    for day in 0..6 {
        for visit in 0..(day % 3 + 1) {
            let by_member = visit % 2 == 0;
            let id = checkout(
                &shop,
                &manager,
                wash,
                by_member.then_some((member, car)),
                if visit == 1 {
                    PaymentMethod::Cash
                } else {
                    PaymentMethod::Card
                },
            );
            first.get_or_insert(id);
            shop.clock.advance(chrono::Duration::minutes(95));
            manager = shop.manager();
        }
        shop.clock.advance(chrono::Duration::hours(20));
        // A session ends when idle that long: the manager logs in again the next morning.
        manager = shop.manager();
    }
    if let Some(visit) = first {
        shop.service
            .void_visit(&manager, visit, "rang up twice")
            .expect("void");
    }
    let code = phone_code(&secret, shop.clock.now_for_tests());
    let cashier = shop
        .login(CASHIER, CASHIER_PASSWORD, &code)
        .expect("cashier login");
    shop.next_step();
    checkout(&shop, &cashier, wash, None, PaymentMethod::Card);
    shop.service.logout(&cashier).expect("logout");
    (shop, secret)
}

fn checkout(
    shop: &Shop,
    session: &Session,
    wash: RecordId,
    member: Option<(RecordId, RecordId)>,
    payment: PaymentMethod,
) -> RecordId {
    shop.service
        .checkout(
            session,
            CheckoutInput {
                booking: None,
                member: member.map(|m| m.0),
                vehicle: member.map(|m| m.1),
                lines: vec![CheckoutLine {
                    service: wash,
                    quantity: 1,
                    price_override: None,
                }],
                discount: None,
                adjustment_reason: None,
                points: None,
                payment,
                tenders: Vec::new(),
                tip: Money::ZERO,
            },
        )
        .expect("checkout")
        .visit
}

fn in_chinese(shop: &Shop) {
    let manager = shop.manager();
    shop.service
        .set_my_preferences(
            &manager,
            StaffPreferences {
                language: Some("zh-CN".to_owned()),
                theme: None,
            },
        )
        .expect("language");
}

fn open_reports(desk: &mut Desk) {
    desk.ctrl('g');
    desk.settle();
    assert_eq!(desk.app.screen_title(), "Reports");
}

/// Every report of the week holding today, as a chart and as numbers, at both sizes.
fn every_report(desk: &mut Desk, lang: &str) {
    open_reports(desk);
    desk.type_text("w");
    desk.settle();
    for name in ReportName::ALL {
        for (width, height) in [(80, 24), (200, 50)] {
            desk.resize(width, height);
            insta::assert_snapshot!(
                format!("reports_{}_{width}x{height}_{lang}", name.as_str()),
                desk.screen()
            );
            desk.type_text("g");
            insta::assert_snapshot!(
                format!("reports_{}_numbers_{width}x{height}_{lang}", name.as_str()),
                desk.screen()
            );
            desk.type_text("g");
        }
        desk.tab();
    }
}

#[test]
fn a_manager_reads_every_report_in_english() {
    let (shop, _) = busy_shop();
    let mut desk = shop.manager_desk();
    every_report(&mut desk, "en");
}

#[test]
fn a_manager_reads_every_report_in_chinese() {
    let (shop, _) = busy_shop();
    in_chinese(&shop);
    let mut desk = shop.manager_desk();
    every_report(&mut desk, "zh");
}

#[test]
fn a_cashier_sees_only_their_own_takings_of_today() {
    let (shop, secret) = busy_shop();
    let mut desk = shop.cashier_desk(&secret);
    open_reports(&mut desk);
    // Asking for the month changes nothing: the service narrows it to today.
    desk.type_text("m");
    desk.settle();
    desk.resize(80, 24);
    let screen = desk.screen();
    insta::assert_snapshot!("reports_cashier_80x24_en", screen);
    assert!(
        screen.contains("Your own takings of today only (cashier)."),
        "{screen}"
    );
    desk.type_text("g");
    insta::assert_snapshot!("reports_cashier_numbers_80x24_en", desk.screen());
    // Export is a manager's: refused with the usual sentence.
    desk.type_text("e");
    assert!(
        desk.screen().contains("Only a manager may do that"),
        "{}",
        desk.screen()
    );
}

#[test]
fn a_manager_saves_a_report_as_csv_in_the_exports_folder() {
    let (shop, _) = busy_shop();
    let mut desk = shop.manager_desk();
    open_reports(&mut desk);
    desk.type_text("e");
    let exports = shop.dir.path().join("exports");
    let saved: Vec<_> = std::fs::read_dir(&exports)
        .expect("exports folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert!(saved[0].starts_with("report-takings-"), "{saved:?}");
    assert!(desk.screen().contains("Saved"), "{}", desk.screen());
    // The previous period comes from `[`, and `c` takes any range.
    desk.type_text("[");
    desk.settle();
    desk.type_text("c");
    desk.type_text("2026-01-01 2026-01-31");
    desk.enter();
    desk.settle();
    assert!(
        desk.screen().contains("2026-01-01 – 2026-01-31"),
        "{}",
        desk.screen()
    );
}
