//! The header of a chain's counter names the site it works at (a single shop's does not):
//! snapshots at 80×24 for both roles, in English and Chinese.

mod common;

use std::sync::Arc;

use common::ui::{Desk, env_for};
use common::{CASHIER, CASHIER_PASSWORD, ClockExt, MANAGER, MANAGER_PASSWORD, Shop, phone_code};
use frontdesk::service::Service;
use frontdesk::ui::App;

/// The usual shop with a second site, North, and the cashier enrolled; the cashier's secret.
fn chain(language: Option<&str>) -> (Shop, Arc<Service>, Vec<u8>) {
    let shop = common::open_shop();
    let manager = shop.manager();
    shop.exterior_wash_in_one_bay(&manager);
    let secret = shop.add_cashier(&manager);
    shop.service.add_site(&manager, "North").unwrap();
    if let Some(language) = language {
        shop.set_language(&manager, language);
        let cashier = shop.cashier(&secret);
        shop.set_language(&cashier, language);
        shop.service.logout(&cashier).unwrap();
    }
    shop.service.logout(&manager).unwrap();
    let north = Arc::new(shop.service.sibling_at_site("North").unwrap());
    (shop, north, secret)
}

fn desk_at_north(
    shop: &Shop,
    north: &Arc<Service>,
    who: &str,
    password: &str,
    secret: &[u8],
) -> Desk {
    let mut desk = Desk::from_app(App::login(env_for(shop, None), north.clone()));
    desk.resize(80, 24);
    let code = phone_code(secret, shop.clock.now_for_tests());
    desk.log_in(who, password, &code);
    shop.next_step();
    assert!(desk.app.is_logged_in(), "login failed:\n{}", desk.screen());
    desk.settle();
    desk
}

fn header(desk: &Desk) -> String {
    desk.screen().lines().next().unwrap_or_default().to_owned()
}

#[test]
fn the_managers_header_names_the_site_at_80x24() {
    let (shop, north, _) = chain(None);
    let secret = shop.manager_secret.clone();
    let desk = desk_at_north(&shop, &north, MANAGER, MANAGER_PASSWORD, &secret);
    assert!(
        header(&desk).contains("Sparkle Car Wash · North"),
        "{}",
        header(&desk)
    );
    insta::assert_snapshot!(desk.screen());
}

#[test]
fn the_cashiers_header_names_the_site_at_80x24() {
    let (shop, north, secret) = chain(None);
    let desk = desk_at_north(&shop, &north, CASHIER, CASHIER_PASSWORD, &secret);
    assert!(header(&desk).contains("· North"), "{}", header(&desk));
    insta::assert_snapshot!(desk.screen());
}

#[test]
fn the_managers_header_names_the_site_in_chinese_at_80x24() {
    let (shop, north, _) = chain(Some("zh-CN"));
    let secret = shop.manager_secret.clone();
    let desk = desk_at_north(&shop, &north, MANAGER, MANAGER_PASSWORD, &secret);
    assert!(header(&desk).contains("· North"), "{}", header(&desk));
    insta::assert_snapshot!(desk.screen());
}

#[test]
fn the_cashiers_header_names_the_site_in_chinese_at_80x24() {
    let (shop, north, secret) = chain(Some("zh-CN"));
    let desk = desk_at_north(&shop, &north, CASHIER, CASHIER_PASSWORD, &secret);
    assert!(header(&desk).contains("· North"), "{}", header(&desk));
    insta::assert_snapshot!(desk.screen());
}

#[test]
fn the_first_sites_header_names_it_too_but_a_single_shops_does_not() {
    let (shop, _north, _) = chain(None);
    let desk = shop.manager_desk();
    assert!(
        header(&desk).contains("Sparkle Car Wash · Sparkle Car Wash"),
        "{}",
        header(&desk)
    );
    let single = common::open_shop();
    let desk = single.manager_desk();
    assert!(!header(&desk).contains('·'), "{}", header(&desk));
}
