//! The app frame: login, lock, help, palette, privacy blank, minimum size, themes.

mod common;

use common::ui::Desk;
use common::{ClockExt, MANAGER, MANAGER_PASSWORD, open_shop, phone_code};

#[test]
fn wrong_code_gives_the_common_message_and_keeps_the_user_name() {
    let shop = open_shop();
    let mut desk = Desk::at_login(&shop);
    desk.log_in(MANAGER, MANAGER_PASSWORD, "000000");
    assert!(!desk.app.is_logged_in());
    let screen = desk.screen();
    assert!(screen.contains("Login failed"), "{screen}");
    assert!(screen.contains(MANAGER));
    assert!(!screen.contains(MANAGER_PASSWORD));
}

#[test]
fn manager_logs_in_and_locks() {
    let shop = open_shop();
    let mut desk = shop.manager_desk();
    assert_eq!(desk.app.screen_title(), "Today");
    desk.ctrl('l');
    assert!(desk.app.is_locked());
    desk.type_text(MANAGER_PASSWORD);
    desk.enter();
    assert!(!desk.app.is_locked(), "{}", desk.screen());
    let _ = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
}

#[test]
fn too_small_a_window_says_so() {
    let shop = open_shop();
    let mut desk = Desk::at_login(&shop);
    desk.resize(60, 20);
    assert!(desk.screen().contains("too small (60×20)"));
}

#[test]
fn language_and_theme_follow_the_staff_member() {
    use crossterm::event::KeyCode;
    let shop = open_shop();
    let mut desk = shop.manager_desk();
    desk.key(KeyCode::F(9));
    assert_eq!(desk.app.screen_title(), "Preferences");
    desk.key(KeyCode::Right); // 简体中文
    desk.tab();
    desk.key(KeyCode::Right); // light
    desk.enter();
    assert_eq!(
        desk.app.language(),
        frontdesk::ui::i18n::Language::SimplifiedChinese
    );
    assert_eq!(desk.app.theme().name, "light");
    assert!(desk.screen().contains("经理"), "{}", desk.screen());
    desk.ctrl('x');
    assert!(!desk.app.is_logged_in());
    assert_eq!(desk.app.language(), frontdesk::ui::i18n::Language::English);
    let again = shop.manager_desk();
    assert_eq!(
        again.app.language(),
        frontdesk::ui::i18n::Language::SimplifiedChinese
    );
    assert_eq!(again.app.theme().name, "light");
}

#[test]
fn help_lists_this_screens_keys_and_the_palette_runs_actions() {
    let shop = open_shop();
    let mut desk = shop.manager_desk();
    desk.resize(200, 80);
    desk.type_text("?");
    assert!(desk.app.has_overlay());
    let help = desk.screen();
    assert!(help.contains("Walk-in: next free bay now"), "{help}");
    assert!(help.contains("Find any action by name"), "{help}");
    desk.esc();
    assert!(!desk.app.has_overlay());
    desk.ctrl('k');
    desk.type_text("audit log");
    let palette = desk.screen();
    assert!(palette.contains("Audit log"), "{palette}");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Audit log");
    desk.esc();
    assert_eq!(desk.app.screen_title(), "Today");
}

#[test]
fn privacy_blank_toggles_and_shows_in_the_header() {
    let shop = open_shop();
    let mut desk = shop.manager_desk();
    desk.ctrl('b');
    assert!(desk.app.privacy_blank());
    assert!(desk.screen().contains("PRIVACY"));
    desk.ctrl('b');
    assert!(!desk.app.privacy_blank());
}

#[test]
fn mono_theme_keeps_the_selection_visible_without_colour() {
    use ratatui::style::{Color, Modifier};
    let shop = open_shop();
    let mut desk = Desk::from_app(frontdesk::ui::App::login(
        common::ui::env_for(&shop, Some("mono")),
        shop.service.clone(),
    ));
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    desk.log_in(MANAGER, MANAGER_PASSWORD, &code);
    desk.ctrl('k');
    let buffer = desk.buffer();
    let mut reversed = 0;
    for cell in buffer.content() {
        assert!(matches!(cell.fg, Color::Reset), "mono draws no colour");
        assert!(matches!(cell.bg, Color::Reset), "mono draws no colour");
        if cell.modifier.contains(Modifier::REVERSED) {
            reversed += 1;
        }
    }
    assert!(
        reversed > 0,
        "the selected palette row is drawn in reverse video"
    );
}
