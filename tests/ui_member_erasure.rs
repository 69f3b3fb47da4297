//! A member erased from the member screen: `E` (or the palette's "Erase this member for good")
//! shows a confirmation that says what will happen and asks the manager's fresh code; the
//! erasure receipt follows, and the member's number then leads to "erased". A cashier hears
//! the service's refusal, which is audited.

mod common;

use common::ui::Desk;
use common::*;
use crossterm::event::KeyCode;
use frontdesk::audit::AuditAction;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::service::{MemberInput, VehicleInput};

struct Counter {
    shop: Shop,
    cashier_secret: Vec<u8>,
}

fn counter(language: Option<&str>) -> Counter {
    let shop = open_shop();
    let manager = shop.manager();
    let cashier_secret = shop.add_cashier(&manager);
    let member = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "Alice Whitfield".to_owned(),
                phone: Some("6045550171".to_owned()),
                notes: Some("Likes the tyre shine".to_owned()),
                ..MemberInput::default()
            },
        )
        .expect("member");
    shop.service
        .add_vehicle(
            &manager,
            member.id,
            VehicleInput {
                plate: "KXR 481".to_owned(),
                kind: VehicleKind::Sedan,
                make_model: None,
                colour: None,
            },
        )
        .expect("vehicle");
    if let Some(language) = language {
        shop.set_language(&manager, language);
    }
    shop.service.logout(&manager).expect("logout");
    Counter {
        shop,
        cashier_secret,
    }
}

/// The member's screen, at 80×24.
fn open_member(desk: &mut Desk) {
    desk.resize(80, 24);
    desk.settle();
    desk.key(KeyCode::F(3));
    desk.type_text("100001");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", desk.screen());
}

fn fresh_code(shop: &Shop) -> String {
    phone_code(&shop.manager_secret, shop.clock.now_for_tests())
}

fn actions(shop: &Shop) -> Vec<AuditAction> {
    audit_actions(shop.service.store())
}

fn erase_in(language: Option<&str>, suffix: &str) {
    let counter = counter(language);
    let shop = &counter.shop;
    let mut desk = shop.manager_desk();
    open_member(&mut desk);
    desk.type_text("E");
    assert!(desk.app.has_overlay(), "{}", desk.screen());
    insta::assert_snapshot!(format!("confirm_80x24_{suffix}"), desk.screen());
    desk.type_text(&fresh_code(shop));
    desk.enter();
    assert_eq!(
        desk.app.screen_title(),
        "Erasure receipt",
        "{}",
        desk.screen()
    );
    insta::assert_snapshot!(format!("receipt_80x24_{suffix}"), desk.screen());
    let screen = desk.screen();
    for value in ["Alice", "Whitfield", "6045550171", "KXR", "tyre shine"] {
        assert!(!screen.contains(value), "{screen}");
    }
    assert!(actions(shop).contains(&AuditAction::MemberErased));

    // Back on the member screen: the tombstone.
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", desk.screen());
    insta::assert_snapshot!(format!("tombstone_80x24_{suffix}"), desk.screen());

    // The number typed in the member search leads to "erased", nothing else finds them.
    desk.esc();
    desk.key(KeyCode::F(3));
    desk.type_text("100001");
    insta::assert_snapshot!(format!("search_by_number_80x24_{suffix}"), desk.screen());
}

#[test]
fn a_manager_confirms_with_a_code_and_sees_the_receipt_and_the_tombstone() {
    erase_in(None, "en");
}

#[test]
fn the_same_in_chinese() {
    erase_in(Some("zh-CN"), "zh");
}

#[test]
fn a_wrong_code_erases_nothing() {
    let counter = counter(None);
    let mut desk = counter.shop.manager_desk();
    open_member(&mut desk);
    desk.type_text("E");
    desk.type_text("000000");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member");
    assert!(
        desk.screen().contains("That code is not right"),
        "{}",
        desk.screen()
    );
    assert!(!actions(&counter.shop).contains(&AuditAction::MemberErased));
}

#[test]
fn the_palette_offers_it_to_a_manager_only() {
    let counter = counter(None);
    let mut desk = counter.shop.manager_desk();
    open_member(&mut desk);
    desk.ctrl('k');
    desk.type_text("erase");
    let screen = desk.screen();
    assert!(screen.contains("Erase this member for good"), "{screen}");
    desk.enter();
    assert!(desk.app.has_overlay(), "the confirmation");
    assert!(
        desk.screen().contains("Erase member for good?"),
        "{}",
        desk.screen()
    );
    desk.esc();

    let mut desk = counter.shop.cashier_desk(&counter.cashier_secret);
    open_member(&mut desk);
    desk.ctrl('k');
    desk.type_text("erase");
    assert!(!desk.screen().contains("Erase this member for good"));
}

#[test]
fn a_cashier_pressing_the_key_is_refused_and_the_refusal_audited() {
    let counter = counter(None);
    let mut desk = counter.shop.cashier_desk(&counter.cashier_secret);
    open_member(&mut desk);
    desk.type_text("E");
    assert!(!desk.app.has_overlay(), "no confirmation for a cashier");
    assert_eq!(desk.app.screen_title(), "Member");
    let screen = desk.screen();
    assert!(screen.contains("Only a manager may do that"), "{screen}");
    insta::assert_snapshot!("cashier_refused_80x24_en", screen);
    let actions = actions(&counter.shop);
    assert_eq!(actions.last(), Some(&AuditAction::PermissionDenied));
    assert!(!actions.contains(&AuditAction::MemberErased));
}
