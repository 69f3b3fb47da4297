//! The import screen: Ctrl-F on the members screen (a manager), a path, the first rows as they
//! will be stored with the report, the problems by line, and "import" only after the manager's
//! fresh code. A cashier gets the service's refusal, which is audited.
//!
//! Paths are relative to the package root (where the tests run), so the snapshots do not
//! depend on where the repository is checked out.

mod common;

use common::ui::Desk;
use common::*;
use crossterm::event::KeyCode;
use frontdesk::audit::AuditAction;
use frontdesk::service::StaffPreferences;
use frontdesk::store::ReadAccess;
use frontdesk::store::schema::MEMBERS;

const EXAMPLE: &str = "tests/fixtures/import/members.csv";
const ONE_BAD_ROW: &str = "tests/fixtures/import/one_bad_row.csv";

fn members(shop: &Shop) -> u64 {
    shop.service.store().read().unwrap().count(MEMBERS).unwrap()
}

/// A manager's desk at 80×24 on the import screen, in `language` when given.
fn import_screen(shop: &Shop, language: Option<&str>) -> Desk {
    if let Some(language) = language {
        let manager = shop.manager();
        shop.service
            .set_my_preferences(
                &manager,
                StaffPreferences {
                    language: Some(language.to_owned()),
                    theme: None,
                },
            )
            .unwrap();
    }
    let mut desk = shop.manager_desk();
    desk.resize(80, 24);
    desk.settle();
    desk.key(KeyCode::F(3));
    desk.ctrl('f');
    assert_eq!(desk.app.screen_title(), "Import members");
    desk
}

fn check(desk: &mut Desk, path: &str) {
    desk.type_text(path);
    desk.enter();
    assert!(!desk.app.is_busy());
}

#[test]
fn the_preview_shows_the_rows_as_stored_and_imports_after_a_fresh_code() {
    let shop = open_shop();
    let mut desk = import_screen(&shop, None);
    insta::assert_snapshot!("import_empty_80x24_en", desk.screen());
    check(&mut desk, EXAMPLE);
    let screen = desk.screen();
    insta::assert_snapshot!("import_preview_80x24_en", screen);
    assert!(screen.contains("5 rows read (UTF-8): 5 members, 4 vehicles, 1630 opening points"));
    assert!(
        screen.contains("苏A12345"),
        "the manager sees plates in full"
    );
    assert_eq!(members(&shop), 0, "a check writes nothing");

    desk.enter();
    assert!(desk.app.has_overlay(), "the import asks for a code first");
    desk.type_text("000000");
    desk.enter();
    assert_eq!(
        desk.app.notice_text(),
        Some("That code is not right; nothing was changed. Try the next code.")
    );
    assert_eq!(members(&shop), 0);

    desk.enter();
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    desk.type_text(&code);
    desk.enter();
    assert_eq!(
        desk.app.notice_text(),
        Some("Imported 5 members, numbers #100001 to #100005.")
    );
    assert_eq!(members(&shop), 5);
    assert!(
        desk.screen()
            .contains("Imported: member numbers #100001 to #100005.")
    );
    // Enter again only checks the file again: every row is now a member already.
    desk.enter();
    assert!(
        desk.screen()
            .contains("Line 2: the phone is already on member #100001")
    );
    assert_eq!(members(&shop), 5);
}

#[test]
fn the_preview_in_chinese() {
    let shop = open_shop();
    let mut desk = import_screen(&shop, Some("zh-CN"));
    insta::assert_snapshot!("import_empty_80x24_zh", desk.screen());
    check(&mut desk, EXAMPLE);
    insta::assert_snapshot!("import_preview_80x24_zh", desk.screen());
}

#[test]
fn problems_are_listed_by_line_and_nothing_can_be_imported() {
    let shop = open_shop();
    let mut desk = import_screen(&shop, None);
    check(&mut desk, ONE_BAD_ROW);
    let screen = desk.screen();
    insta::assert_snapshot!("import_problems_80x24_en", screen);
    assert!(screen.contains("Line 4: phone: too few digits"));
    // Enter checks again rather than importing; no code is asked.
    desk.enter();
    assert!(!desk.app.has_overlay());
    assert_eq!(members(&shop), 0);

    desk.key(KeyCode::Backspace);
    desk.type_text("x");
    desk.enter();
    assert!(desk.screen().contains("cannot read the file"));
}

#[test]
fn a_cashier_is_refused_the_import_screen_and_the_refusal_is_audited() {
    let shop = open_shop();
    let manager = shop.manager();
    let secret = shop.add_cashier(&manager);
    let mut desk = shop.cashier_desk(&secret);
    desk.resize(80, 24);
    desk.settle();
    desk.key(KeyCode::F(3));
    desk.ctrl('f');
    assert_eq!(desk.app.screen_title(), "Members");
    assert_eq!(
        desk.app.notice_text(),
        Some("Only a manager may do that; ask a manager.")
    );
    let actions = audit_actions(shop.service.store());
    assert_eq!(actions.last(), Some(&AuditAction::PermissionDenied));
    // Not offered in the cashier's palette either.
    desk.ctrl('k');
    desk.type_text("import");
    assert!(!desk.screen().contains("Import members from a file"));
}
