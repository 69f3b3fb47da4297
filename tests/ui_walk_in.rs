//! The walk-in dialog opens on a service some bay can do, and says so when no bay does any.

mod common;

use common::*;
use crossterm::event::KeyCode;
use frontdesk::domain::catalog::ServiceCategory;
use frontdesk::domain::money::Money;
use frontdesk::ids::RecordId;
use frontdesk::service::{BayInput, ServiceInput, Session, StaffPreferences};

fn add_service(shop: &Shop, manager: &Session, name: &str, category: ServiceCategory) -> RecordId {
    shop.service
        .save_service(
            manager,
            ServiceInput {
                id: None,
                name: name.to_owned(),
                category,
                duration_minutes: 15,
                price: Money::from_minor(500),
                earns_points: true,
                active: true,
                tax_class: Default::default(),
            },
        )
        .expect("service")
        .id
}

/// "Air freshener" sorts first and no bay does it; "Exterior wash" is done in Bay 1.
fn shop_with_an_unplaceable_first_service() -> Shop {
    let shop = open_shop();
    let manager = shop.manager();
    add_service(&shop, &manager, "Air freshener", ServiceCategory::AddOn);
    let wash = add_service(&shop, &manager, "Exterior wash", ServiceCategory::Exterior);
    shop.service
        .save_bay(
            &manager,
            BayInput {
                id: None,
                name: "Bay 1".to_owned(),
                services: vec![wash],
                active: true,
            },
        )
        .expect("bay");
    shop
}

#[test]
fn the_walk_in_dialog_opens_on_a_service_a_bay_can_do() {
    let shop = shop_with_an_unplaceable_first_service();
    let secret = shop.add_cashier(&shop.manager());
    let mut desk = shop.cashier_desk(&secret);
    desk.resize(80, 24);
    desk.settle();
    desk.key(KeyCode::Char('w'));
    assert_eq!(desk.app.screen_title(), "Walk-in");
    let screen = desk.screen();
    assert!(screen.contains("◂ Exterior wash (15 min) ▸"), "{screen}");
    insta::assert_snapshot!("walk_in_first_placeable_80x24", screen);
    // Taking the bay straight away places the car.
    desk.ctrl('s');
    let notice = desk.app.notice_text().unwrap_or_default().to_owned();
    assert_eq!(notice, "Walk-in: Bay 1 now (Exterior wash).");
}

#[test]
fn the_walk_in_dialog_says_when_no_bay_does_any_service() {
    let shop = open_shop();
    let manager = shop.manager();
    add_service(&shop, &manager, "Air freshener", ServiceCategory::AddOn);
    let secret = shop.add_cashier(&manager);
    let session = shop.cashier(&secret);
    shop.service
        .set_my_preferences(
            &session,
            StaffPreferences {
                language: Some("zh-CN".to_owned()),
                theme: None,
            },
        )
        .expect("preferences");
    shop.service.logout(&session).expect("logout");
    let mut desk = shop.cashier_desk(&secret);
    desk.resize(80, 24);
    desk.settle();
    desk.key(KeyCode::Char('w'));
    let screen = desk.screen();
    let flat: String = screen.chars().filter(|c| *c != ' ').collect();
    assert!(
        flat.contains("还没有工位能做这些服务；请看设置。"),
        "{screen}"
    );
    insta::assert_snapshot!("walk_in_no_bay_zh_80x24", screen);
}
