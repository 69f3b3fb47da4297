//! Two records of one person merged from the member screen: `M` (or the palette) asks for the
//! other record's number, shows both side by side, lets the manager pick each field, and
//! merges after a fresh code. A cashier hears the service's refusal.

mod common;

use common::ui::Desk;
use common::*;
use crossterm::event::KeyCode;
use frontdesk::audit::AuditAction;
use frontdesk::service::{MemberInput, MemberLookup};

struct Counter {
    shop: Shop,
    cashier_secret: Vec<u8>,
}

fn counter(language: Option<&str>) -> Counter {
    let shop = open_shop();
    let manager = shop.manager();
    let cashier_secret = shop.add_cashier(&manager);
    for input in [
        MemberInput {
            name: "Alice Whitfield".to_owned(),
            phone: Some("6045550171".to_owned()),
            ..MemberInput::default()
        },
        MemberInput {
            name: "Alice W".to_owned(),
            email: Some("alice.w@example.org".to_owned()),
            notes: Some("Came in as a walk-in".to_owned()),
            ..MemberInput::default()
        },
    ] {
        shop.service.create_member(&manager, input).expect("member");
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

fn open_member(desk: &mut Desk) {
    desk.resize(80, 24);
    desk.settle();
    desk.key(KeyCode::F(3));
    desk.type_text("100001");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", desk.screen());
}

fn last_actions(shop: &Shop, count: usize) -> Vec<AuditAction> {
    let all = audit_actions(shop.service.store());
    all[all.len() - count..].to_vec()
}

fn last_action(shop: &Shop) -> AuditAction {
    last_audit_action(shop.service.store())
}

#[test]
fn a_manager_compares_picks_and_merges_with_a_code() {
    let counter = counter(None);
    let shop = &counter.shop;
    let mut desk = shop.manager_desk();
    open_member(&mut desk);
    desk.type_text("M");
    assert_eq!(
        desk.app.screen_title(),
        "Merge members",
        "{}",
        desk.screen()
    );
    insta::assert_snapshot!("number_80x24_en", desk.screen());
    desk.type_text("100099");
    desk.enter();
    assert!(
        desk.screen().contains("no member number 100099"),
        "{}",
        desk.screen()
    );
    for _ in 0..6 {
        desk.key(KeyCode::Backspace);
    }
    desk.type_text("100002");
    desk.enter();
    insta::assert_snapshot!("compare_80x24_en", desk.screen());
    // The notes stay the kept member's (none): switch that row back.
    for _ in 0..4 {
        desk.key(KeyCode::Down);
    }
    desk.key(KeyCode::Left);
    desk.enter();
    assert!(desk.app.has_overlay(), "the code prompt: {}", desk.screen());
    shop.next_step();
    desk.type_text(&phone_code(
        &shop.manager_secret,
        shop.clock.now_for_tests(),
    ));
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", desk.screen());
    let screen = desk.screen();
    assert!(screen.contains("merged into 100001"), "{screen}");
    assert!(
        screen.contains("alice.w@example.org"),
        "the email came over: {screen}"
    );
    // The merge, then the merged record opened again on the member screen.
    assert_eq!(
        last_actions(shop, 2),
        [AuditAction::MemberMerged, AuditAction::MemberOpened]
    );
    // The old number names where the record went.
    desk.key(KeyCode::F(3));
    desk.ctrl('u');
    desk.type_text("100002");
    let screen = desk.screen();
    assert!(screen.contains("merged into #100001"), "{screen}");
    assert!(screen.contains("That record was merged"), "{screen}");
    shop.next_step();
    let manager = shop.manager();
    assert!(matches!(
        shop.service
            .lookup_member_number(&manager, 100002)
            .expect("lookup"),
        Some(MemberLookup::Gone(_))
    ));
}

#[test]
fn the_comparison_in_chinese() {
    let counter = counter(Some("zh-CN"));
    let mut desk = counter.shop.manager_desk();
    open_member(&mut desk);
    desk.type_text("M");
    desk.type_text("100002");
    desk.enter();
    insta::assert_snapshot!("compare_80x24_zh", desk.screen());
}

#[test]
fn the_palette_offers_it_to_a_manager_only_and_a_cashier_is_refused() {
    let counter = counter(None);
    let mut desk = counter.shop.manager_desk();
    open_member(&mut desk);
    desk.ctrl('k');
    desk.type_text("merge");
    assert!(
        desk.screen().contains("Merge another record"),
        "{}",
        desk.screen()
    );

    let mut desk = counter.shop.cashier_desk(&counter.cashier_secret);
    open_member(&mut desk);
    desk.ctrl('k');
    desk.type_text("merge");
    assert!(!desk.screen().contains("Merge another record"));
    desk.esc();
    desk.type_text("M");
    assert_eq!(desk.app.screen_title(), "Member");
    assert!(
        desk.screen().contains("Only a manager may do that"),
        "{}",
        desk.screen()
    );
    assert_eq!(last_action(&counter.shop), AuditAction::PermissionDenied);
}
