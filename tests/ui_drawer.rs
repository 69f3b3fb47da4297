//! The cash drawer and the end of day driven by keys, as a cashier (in English) and a manager
//! (in 简体中文) would: open with a float, record a paid-out and a drop, count note by note,
//! close, and read the day's report with its taxes and drawers. Snapshots at 80×24 and 200×50.
// Amounts are written as dollars_cents (150_00 is 150.00) so they read like the till.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use common::ui::Desk;
use common::*;
use crossterm::event::KeyCode;
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::drawer::MovementKind;
use frontdesk::domain::money::Money;
use frontdesk::domain::tax::{TaxRate, TaxSettings};
use frontdesk::domain::tender::TenderRequest;
use frontdesk::ids::RecordId;
use frontdesk::service::{CheckoutInput, CheckoutLine, Session, StaffPreferences};
use frontdesk::store::records::TillSettings;

const DRAWER: KeyCode = KeyCode::F(4);
const END_OF_DAY: KeyCode = KeyCode::F(8);

fn m(minor: i64) -> Money {
    Money::from_minor(minor)
}

/// A BC shop: GST 5 % and PST 7 % on top, cash rounded to 0.05, a 20.00 wash, the cashier.
fn bc_shop() -> (Shop, Session, Vec<u8>, RecordId) {
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
    let secret = shop.add_cashier(&manager);
    (shop, manager, secret, wash)
}

/// One wash, 22.40 with tax, paid by `tenders` (cash alone when empty).
fn wash(shop: &Shop, session: &Session, wash: RecordId, tenders: Vec<TenderRequest>) {
    shop.service
        .checkout(
            session,
            CheckoutInput {
                booking: None,
                member: None,
                vehicle: None,
                lines: vec![CheckoutLine {
                    service: wash,
                    quantity: 1,
                    price_override: None,
                }],
                discount: None,
                adjustment_reason: None,
                points: None,
                payment: PaymentMethod::Cash,
                tenders,
                tip: Money::ZERO,
            },
        )
        .expect("checkout");
}

fn snapshot_at(desk: &mut Desk, name: &str, width: u16, height: u16) -> String {
    desk.resize(width, height);
    let screen = desk.screen();
    insta::assert_snapshot!(name.to_owned(), screen);
    screen
}

/// From a fresh drawer screen: the float typed and Enter.
fn open_with_float(desk: &mut Desk, float: &str) {
    desk.type_text(float);
    desk.enter();
}

/// With the drawer open and the "Record" choice focused: a paid-out, then a drop.
fn pay_out_and_drop(desk: &mut Desk) {
    desk.tab();
    desk.type_text("12.50");
    desk.tab();
    desk.type_text("Window cleaner");
    desk.enter();
    // Back up to the choice and move it on to the drop.
    desk.key(KeyCode::BackTab);
    desk.key(KeyCode::Right);
    desk.tab();
    desk.type_text("100.00");
    desk.tab();
    desk.type_text("Midday drop");
    desk.enter();
}

/// From the choice: on to "Count and close", then the pieces, largest first, of each
/// denomination in `pieces` (CAD 100.00 … 0.05); zero leaves a line empty.
fn count(desk: &mut Desk, pieces: [u32; 10]) {
    // Focus is on the amount after the last record.
    desk.key(KeyCode::BackTab);
    desk.key(KeyCode::Right);
    // The choice of how to count, then the notes and coins.
    desk.tab();
    for n in pieces {
        desk.tab();
        if n > 0 {
            desk.type_text(&n.to_string());
        }
    }
}

#[test]
fn a_cashier_opens_records_counts_and_closes_their_drawer() {
    let (shop, _, secret, service_id) = bc_shop();
    let mut desk = shop.cashier_desk(&secret);
    desk.key(DRAWER);
    assert_eq!(desk.app.screen_title(), "Cash drawer");
    let screen = desk.screen();
    assert!(screen.contains("Your drawer is closed."), "{screen}");
    assert!(screen.contains("Float"), "{screen}");

    open_with_float(&mut desk, "150.00");
    assert_eq!(
        desk.app.notice_text(),
        Some("Drawer open with a float of 150.00 CAD.")
    );
    // A cash wash at the counter (22.40) and a card one, from another window of the same login.
    let counter = shop.cashier(&secret);
    wash(&shop, &counter, service_id, Vec::new());
    wash(
        &shop,
        &counter,
        service_id,
        vec![TenderRequest {
            method: PaymentMethod::Card,
            amount: None,
            tendered: None,
        }],
    );
    pay_out_and_drop(&mut desk);
    assert_eq!(desk.app.notice_text(), Some("Drop of 100.00 CAD recorded."));
    let open = snapshot_at(&mut desk, "drawer_open_cashier_80x24", 80, 24);
    // 150.00 + 22.40 − 12.50 − 100.00.
    assert!(open.contains("59.90"), "{open}");
    assert!(open.contains("Window clean"), "{open}");
    snapshot_at(&mut desk, "drawer_open_cashier_200x50", 200, 50);

    // Five cents short: 50 + 5 + 2×2 + 3×0.25 + 0.10 = 59.85.
    count(&mut desk, [0, 1, 0, 0, 1, 2, 0, 3, 1, 0]);
    let counting = snapshot_at(&mut desk, "drawer_count_cashier_80x24", 80, 24);
    assert!(counting.contains("59.85 CAD"), "{counting}");
    snapshot_at(&mut desk, "drawer_count_cashier_200x50", 200, 50);

    desk.enter();
    assert!(desk.app.has_overlay(), "closing asks first");
    assert!(desk.screen().contains("Close the drawer?"));
    desk.enter();
    assert_eq!(
        desk.app.notice_text(),
        Some("Drawer closed: expected 59.90 CAD, counted 59.85 CAD, -0.05 CAD (short).")
    );
    let closed = snapshot_at(&mut desk, "drawer_closed_cashier_80x24", 80, 24);
    assert!(closed.contains("-0.05 CAD (short)"), "{closed}");
    assert!(closed.contains("Your drawer is closed."), "{closed}");
    snapshot_at(&mut desk, "drawer_closed_cashier_200x50", 200, 50);
    assert_eq!(
        shop.service.current_shift(&counter).unwrap(),
        None,
        "the service agrees the drawer is closed"
    );

    // The day's report: the cashier's own takings, taxes and drawer.
    desk.key(END_OF_DAY);
    let report = snapshot_at(&mut desk, "end_of_day_drawer_cashier_80x24", 80, 24);
    assert!(
        report.contains("Your own takings only (cashier)."),
        "{report}"
    );
    assert!(report.contains("GST"), "{report}");
    assert!(report.contains("PgDn more"), "{report}");
    // The rest of the taxes and the drawer are further down.
    desk.key(KeyCode::PageDown);
    let scrolled = snapshot_at(
        &mut desk,
        "end_of_day_drawer_cashier_80x24_scrolled",
        80,
        24,
    );
    assert!(scrolled.contains("PST"), "{scrolled}");
    assert!(scrolled.contains("Drawers"), "{scrolled}");
    assert!(scrolled.contains("-0.05"), "{scrolled}");
}

#[test]
fn a_manager_runs_their_own_drawer_in_chinese_and_sees_everyones() {
    let (shop, manager, secret, service_id) = bc_shop();
    shop.service
        .set_my_preferences(
            &manager,
            StaffPreferences {
                language: Some("zh-CN".to_owned()),
                theme: None,
            },
        )
        .unwrap();
    // The cashier's drawer, run through the service: 100.00 float, one cash wash, closed even.
    let cashier = shop.cashier(&secret);
    shop.service.open_shift(&cashier, m(100_00)).unwrap();
    wash(&shop, &cashier, service_id, Vec::new());
    shop.service
        .record_drawer_movement(&cashier, MovementKind::PaidOut, m(5_00), "Coffee filters")
        .unwrap();
    shop.service
        .close_shift(&cashier, m(117_40), Vec::new())
        .unwrap();

    let mut desk = shop.manager_desk();
    desk.key(DRAWER);
    assert_eq!(desk.app.screen_title(), "Cash drawer");
    assert!(desk.screen().contains("钱箱"), "{}", desk.screen());
    open_with_float(&mut desk, "200.00");
    wash(&shop, &manager, service_id, Vec::new());
    pay_out_and_drop(&mut desk);
    let open = snapshot_at(&mut desk, "drawer_open_manager_zh_80x24", 80, 24);
    // 200.00 + 22.40 − 12.50 − 100.00.
    assert!(open.contains("109.90"), "{open}");
    let wide = snapshot_at(&mut desk, "drawer_open_manager_zh_200x50", 200, 50);
    assert!(wide.contains("今天的钱箱：全部员工"), "{wide}");
    assert!(wide.contains("cashier"), "{wide}");

    // Ten cents over: 100 + 10 − 0.10 … counted as 110.00.
    count(&mut desk, [1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    snapshot_at(&mut desk, "drawer_count_manager_zh_80x24", 80, 24);
    snapshot_at(&mut desk, "drawer_count_manager_zh_200x50", 200, 50);
    desk.enter();
    desk.enter();
    let closed = snapshot_at(&mut desk, "drawer_closed_manager_zh_80x24", 80, 24);
    assert!(closed.contains("+0.10 CAD (长款)"), "{closed}");
    snapshot_at(&mut desk, "drawer_closed_manager_zh_200x50", 200, 50);

    desk.key(END_OF_DAY);
    let report = snapshot_at(&mut desk, "end_of_day_drawer_manager_zh_200x50", 200, 50);
    assert!(report.contains("GST") && report.contains("PST"), "{report}");
    assert!(report.contains("钱箱"), "{report}");
    assert!(
        report.contains("cashier") && report.contains("manager"),
        "{report}"
    );
}
