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
