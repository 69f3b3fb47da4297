//! The pseudonymised export from the Members screen: Ctrl-T (or the palette's "Pseudonymised
//! export of all members") asks the manager's fresh code, then the months, whether the
//! pseudonyms are shared with a series, and where to save; the status line says where the
//! file went. A cashier hears the service's refusal.

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
    for (name, phone) in [
        ("Alice Whitfield", "6045550171"),
        ("Bob Tran", "6045550333"),
    ] {
        shop.service
            .create_member(
                &manager,
                MemberInput {
                    name: name.to_owned(),
                    phone: Some(phone.to_owned()),
                    ..MemberInput::default()
                },
            )
            .expect("member");
    }
    if let Some(language) = language {
        shop.set_language(&manager, language);
    }
    shop.service.logout(&manager).expect("logout");
    Counter {
        shop,
        cashier_secret,
    }
}

/// The Members screen, at 80×24.
fn open_members(desk: &mut Desk) {
    desk.resize(80, 24);
    desk.settle();
    desk.key(KeyCode::F(3));
    assert_eq!(desk.app.screen_title(), "Members", "{}", desk.screen());
}

fn fresh_code(shop: &Shop) -> String {
    phone_code(&shop.manager_secret, shop.clock.now_for_tests())
}

fn last_action(shop: &Shop) -> AuditAction {
    last_audit_action(shop.service.store())
}

#[test]
fn a_manager_confirms_with_a_code_then_chooses_and_saves() {
    let counter = counter(None);
    let shop = &counter.shop;
    let mut desk = shop.manager_desk();
    open_members(&mut desk);
    desk.ctrl('t');
    assert!(desk.app.has_overlay(), "{}", desk.screen());
    assert!(
        desk.screen().contains("Pseudonymised export?"),
        "{}",
        desk.screen()
    );
    desk.type_text(&fresh_code(shop));
    desk.enter();
    assert_eq!(
        desk.app.screen_title(),
        "Pseudonymised export",
        "{}",
        desk.screen()
    );
    insta::assert_snapshot!("dialog_80x24_en", desk.screen());

    // Months: a bad number is refused in the dialog.
    desk.key(KeyCode::Backspace);
    desk.key(KeyCode::Backspace);
    desk.type_text("0");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Pseudonymised export");
    assert!(desk.screen().contains("from 1 to 60"), "{}", desk.screen());
    desk.key(KeyCode::Backspace);
    desk.type_text("3");
    // Shared with the "monthly" series.
    desk.key(KeyCode::Down);
    desk.key(KeyCode::Right);
    desk.key(KeyCode::Down);
    desk.key(KeyCode::Down);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Members", "{}", desk.screen());
    let screen = desk.screen();
    assert!(screen.contains("2 members written to"), "{screen}");
    let path = shop.dir.path().join("exports/pseudonymised-2026-11-23.csv");
    let written = std::fs::read_to_string(&path).expect("the file");
    assert!(
        written.starts_with(
            "pseudonym,tier,member_since,visits_2026_09,visits_2026_10,visits_2026_11,"
        )
    );
    assert!(!written.contains("Alice") && !written.contains("6045550171"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(last_action(shop), AuditAction::PseudonymisedExported);

    // The same name again is refused in the dialog, and the file is left as it was.
    shop.next_step();
    desk.ctrl('t');
    desk.type_text(&fresh_code(shop));
    desk.enter();
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Pseudonymised export");
    assert!(desk.screen().contains("already there"), "{}", desk.screen());
    assert_eq!(std::fs::read_to_string(&path).expect("file"), written);
}

#[test]
fn the_dialog_in_chinese() {
    let counter = counter(Some("zh-CN"));
    let shop = &counter.shop;
    let mut desk = shop.manager_desk();
    open_members(&mut desk);
    desk.ctrl('t');
    insta::assert_snapshot!("code_80x24_zh", desk.screen());
    desk.type_text(&fresh_code(shop));
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Pseudonymised export");
    insta::assert_snapshot!("dialog_80x24_zh", desk.screen());
}

#[test]
fn a_wrong_code_opens_nothing() {
    let counter = counter(None);
    let mut desk = counter.shop.manager_desk();
    open_members(&mut desk);
    desk.ctrl('t');
    desk.type_text("000000");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Members");
    assert!(
        desk.screen().contains("That code is not right"),
        "{}",
        desk.screen()
    );
    assert_eq!(last_action(&counter.shop), AuditAction::StepUpFailed);
}

#[test]
fn the_palette_offers_it_to_a_manager_only() {
    let counter = counter(None);
    let mut desk = counter.shop.manager_desk();
    open_members(&mut desk);
    desk.ctrl('k');
    desk.type_text("pseudonym");
    let screen = desk.screen();
    assert!(screen.contains("Pseudonymised export"), "{screen}");
    desk.enter();
    assert!(desk.app.has_overlay(), "the code prompt");
    assert!(
        desk.screen().contains("Pseudonymised export?"),
        "{}",
        desk.screen()
    );
    desk.esc();

    let mut desk = counter.shop.cashier_desk(&counter.cashier_secret);
    open_members(&mut desk);
    desk.ctrl('k');
    desk.type_text("pseudonym");
    assert!(!desk.screen().contains("Pseudonymised export"));
}

#[test]
fn a_cashier_pressing_the_key_hears_the_refusal() {
    let counter = counter(None);
    let mut desk = counter.shop.cashier_desk(&counter.cashier_secret);
    open_members(&mut desk);
    desk.ctrl('t');
    assert!(!desk.app.has_overlay(), "no code is asked of a cashier");
    assert_eq!(desk.app.screen_title(), "Members");
    assert!(
        desk.screen().contains("Only a manager may do that"),
        "{}",
        desk.screen()
    );
    assert_eq!(last_action(&counter.shop), AuditAction::PermissionDenied);
}
