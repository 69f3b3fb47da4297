//! A member's data exported from the member screen: `X` (or the palette's "Export this
//! member's data") asks the manager's fresh code, then the format and where to save it, and
//! the status line says where the file went. A cashier hears the service's refusal.

mod common;

use common::ui::Desk;
use common::*;
use crossterm::event::KeyCode;
use frontdesk::audit::AuditAction;
use frontdesk::service::MemberInput;

struct Counter {
    shop: Shop,
    cashier_secret: Vec<u8>,
}

fn counter(language: Option<&str>) -> Counter {
    let shop = open_shop();
    let manager = shop.manager();
    let cashier_secret = shop.add_cashier(&manager);
    shop.service
        .create_member(
            &manager,
            MemberInput {
                name: "Alice Whitfield".to_owned(),
                phone: Some("6045550171".to_owned()),
                ..MemberInput::default()
            },
        )
        .expect("member");
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

fn last_action(shop: &Shop) -> AuditAction {
    last_audit_action(shop.service.store())
}

#[test]
fn a_manager_confirms_with_a_code_then_chooses_format_and_file() {
    let counter = counter(None);
    let shop = &counter.shop;
    let mut desk = shop.manager_desk();
    open_member(&mut desk);
    desk.type_text("X");
    assert!(desk.app.has_overlay(), "{}", desk.screen());
    insta::assert_snapshot!("code_80x24_en", desk.screen());
    desk.type_text(&fresh_code(shop));
    desk.enter();
    assert_eq!(
        desk.app.screen_title(),
        "Export member data",
        "{}",
        desk.screen()
    );
    insta::assert_snapshot!("dialog_80x24_en", desk.screen());

    // A printable report instead: the suggested name follows the format.
    desk.key(KeyCode::Right);
    let screen = desk.screen();
    assert!(
        screen.contains("exports/member-100001-2026-11-23.txt"),
        "{screen}"
    );
    desk.key(KeyCode::Left);
    desk.key(KeyCode::Down);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", desk.screen());
    let path = shop
        .dir
        .path()
        .join("exports/member-100001-2026-11-23.json");
    let screen = desk.screen();
    assert!(screen.contains("saved as"), "{screen}");
    let written = std::fs::read_to_string(&path).expect("the file");
    assert!(written.contains("Alice Whitfield"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(last_action(shop), AuditAction::MemberExported);

    // The same name again is refused in the dialog, and the file is left as it was.
    shop.next_step();
    desk.type_text("X");
    desk.type_text(&fresh_code(shop));
    desk.enter();
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Export member data");
    let screen = desk.screen();
    assert!(screen.contains("already there"), "{screen}");
    assert_eq!(std::fs::read_to_string(&path).expect("file"), written);
}

#[test]
fn a_wrong_code_opens_nothing() {
    let counter = counter(None);
    let mut desk = counter.shop.manager_desk();
    open_member(&mut desk);
    desk.type_text("X");
    desk.type_text("000000");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member");
    let screen = desk.screen();
    assert!(screen.contains("That code is not right"), "{screen}");
    assert_eq!(last_action(&counter.shop), AuditAction::StepUpFailed);
}

#[test]
fn the_dialog_in_chinese() {
    let counter = counter(Some("zh-CN"));
    let shop = &counter.shop;
    let mut desk = shop.manager_desk();
    open_member(&mut desk);
    desk.type_text("X");
    insta::assert_snapshot!("code_80x24_zh", desk.screen());
    desk.type_text(&fresh_code(shop));
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Export member data");
    insta::assert_snapshot!("dialog_80x24_zh", desk.screen());
}

#[test]
fn the_palette_offers_it_to_a_manager_only() {
    let counter = counter(None);
    let mut desk = counter.shop.manager_desk();
    open_member(&mut desk);
    desk.ctrl('k');
    desk.type_text("export");
    let screen = desk.screen();
    assert!(screen.contains("Export this member's data"), "{screen}");
    desk.enter();
    assert!(desk.app.has_overlay(), "the code prompt");
    assert!(desk.screen().contains("Export member data?"));
    desk.esc();

    let mut desk = counter.shop.cashier_desk(&counter.cashier_secret);
    open_member(&mut desk);
    desk.ctrl('k');
    desk.type_text("export");
    assert!(!desk.screen().contains("Export this member's data"));
}

#[test]
fn a_cashier_pressing_the_key_hears_the_refusal() {
    let counter = counter(None);
    let mut desk = counter.shop.cashier_desk(&counter.cashier_secret);
    open_member(&mut desk);
    desk.type_text("X");
    assert!(!desk.app.has_overlay(), "no code is asked of a cashier");
    assert_eq!(desk.app.screen_title(), "Member");
    let screen = desk.screen();
    assert!(screen.contains("Only a manager may do that"), "{screen}");
    assert_eq!(last_action(&counter.shop), AuditAction::PermissionDenied);
}
