//! The refund dialog driven by keys from a member's visit history: the form, what would come
//! back, then the refund receipt — at 80×24 and 200×50, in English and 简体中文 — and the
//! cashier told at once that refunds need a manager.

mod common;
mod refund_fixture;

use common::ui::Desk;
use crossterm::event::KeyCode;
use frontdesk::domain::money::Money;
use frontdesk::domain::receipt::ReceiptLanguage;
use frontdesk::domain::tax::{TaxRate, TaxSettings};
use frontdesk::ids::RecordId;
use frontdesk::service::StaffPreferences;
use frontdesk::ui::screens::member::MemberView;
use frontdesk::ui::{Effect, Event};
use refund_fixture::{Till, bc_till, card, till_with};

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

/// Opens the member on the Visits tab with the first (newest) visit selected.
fn visits_tab(desk: &mut Desk, member: RecordId) {
    for effect in desk.app.push_view(Box::new(MemberView::new(member))) {
        if let Effect::Run(task) = effect {
            desk.send(Event::Task(task.run()));
        }
    }
    desk.settle();
    for _ in 0..4 {
        desk.tab();
    }
}

fn snapshot_at_both_sizes(desk: &mut Desk, name: &str) {
    for (width, height) in SIZES {
        desk.resize(width, height);
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), desk.screen());
    }
    desk.resize(100, 30);
}

fn chinese(till: &Till) {
    till.shop
        .service
        .set_my_preferences(
            &till.manager,
            StaffPreferences {
                language: Some("zh-CN".to_owned()),
                theme: None,
            },
        )
        .expect("preferences");
}

#[test]
fn the_manager_refunds_a_line_and_gets_the_receipt() {
    let till = bc_till();
    let paid = till.pay(
        &[(till.exterior, 2), (till.detail, 1)],
        vec![card()],
        None,
        0,
    );
    let mut desk = till.shop.manager_desk();
    visits_tab(&mut desk, till.member);
    desk.type_text("R");
    assert_eq!(desk.app.screen_title(), "Refund a visit");
    snapshot_at_both_sizes(&mut desk, "form");

    // Enter moves down the rows; a reason is needed before the review.
    desk.enter();
    desk.type_text("1");
    desk.enter();
    desk.enter();
    desk.enter();
    desk.enter();
    assert!(
        desk.screen()
            .contains("Give a reason; it is kept with the refund."),
        "{}",
        desk.screen()
    );
    desk.type_text("wheels missed");
    desk.enter();
    let review = desk.screen();
    assert!(review.contains("This refund gives back:"), "{review}");
    assert!(review.contains("GST 5%"), "{review}");
    assert!(
        !review.contains("PST"),
        "no PST on an exterior wash: {review}"
    );
    assert!(review.contains("21.00 CAD"), "{review}");
    snapshot_at_both_sizes(&mut desk, "review");

    // Esc goes back to change it, keeping what was typed.
    desk.esc();
    assert!(desk.screen().contains("wheels missed"));
    desk.enter();
    desk.enter();
    let receipt = desk.screen();
    assert!(receipt.contains("Refund made."), "{receipt}");
    assert!(receipt.contains("REFUND"), "{receipt}");
    assert!(
        !receipt.contains("王"),
        "the receipt names no one: {receipt}"
    );
    snapshot_at_both_sizes(&mut desk, "receipt");

    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member");
    let history = desk.screen();
    assert!(history.contains("[refunded 21.00]"), "{history}");
    let visits = till
        .shop
        .service
        .member_visits(&till.manager, till.member)
        .unwrap();
    assert_eq!(visits[0].id, paid.visit);
    assert_eq!(visits[0].refunded, Money::from_minor(2100));
}

#[test]
fn a_chinese_screen_refunds_an_amount_with_tax_included() {
    let till = till_with(
        TaxSettings {
            prices_include_tax: true,
            taxes: vec![TaxRate::new("增值税", 600)],
        },
        ReceiptLanguage::SimplifiedChinese,
    );
    till.pay(
        &[(till.detail, 1), (till.exterior, 1)],
        vec![card()],
        None,
        0,
    );
    chinese(&till);
    let mut desk = till.shop.manager_desk();
    visits_tab(&mut desk, till.member);
    desk.type_text("R");
    // The first row chooses what to refund: an amount.
    desk.key(KeyCode::Right);
    desk.enter();
    desk.type_text("30.00");
    desk.enter();
    desk.key(KeyCode::Right); // all in cash
    desk.enter();
    desk.type_text("洗车不干净");
    snapshot_at_both_sizes(&mut desk, "zh_form");
    desk.enter();
    let review = desk.screen();
    assert!(review.contains("本次退款退还"), "{review}");
    assert!(review.contains("含 增值税 6%"), "{review}");
    snapshot_at_both_sizes(&mut desk, "zh_review");
    desk.enter();
    let receipt = desk.screen();
    assert!(receipt.contains("退款"), "{receipt}");
    assert!(receipt.contains("30.00"), "{receipt}");
    snapshot_at_both_sizes(&mut desk, "zh_receipt");
}

#[test]
fn a_cashier_is_asked_for_a_manager_before_any_refund_form() {
    let till = bc_till();
    till.pay(&[(till.exterior, 1)], vec![card()], None, 0);
    let secret = till.shop.add_cashier(&till.manager);
    let mut desk = till.shop.cashier_desk(&secret);
    visits_tab(&mut desk, till.member);
    desk.type_text("R");
    // The manager's approval comes first; no refund form is open behind it.
    assert_eq!(desk.app.screen_title(), "Manager approval");
    let screen = desk.screen();
    assert!(screen.contains("Approve a refund"), "{screen}");
}

#[test]
fn too_many_units_are_refused_in_the_dialog_and_nothing_is_refunded() {
    let till = bc_till();
    let paid = till.pay(&[(till.exterior, 2)], vec![card()], None, 0);
    let mut desk = till.shop.manager_desk();
    visits_tab(&mut desk, till.member);
    desk.type_text("R");
    desk.enter();
    desk.type_text("3");
    desk.enter();
    desk.enter();
    desk.type_text("duplicate");
    desk.enter();
    let screen = desk.screen();
    assert!(screen.contains("only 2 unit(s) left"), "{screen}");
    assert_eq!(desk.app.screen_title(), "Refund a visit");
    let detail = till
        .shop
        .service
        .visit_detail(&till.manager, paid.visit)
        .unwrap();
    assert_eq!(detail.refunded, Money::ZERO);
}
