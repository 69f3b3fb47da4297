//! Settings' Price list and Till sections driven by keys, as a manager at the counter would:
//! snapshots at 80×24 and 200×50 in English and 简体中文, the forms that add plans, packages
//! and taxes, the tax class of a service, and a cashier kept out.

mod common;

use common::ui::Desk;
use common::*;
use crossterm::event::KeyCode;
use frontdesk::domain::catalog::ServiceCategory;
use frontdesk::domain::money::Money;
use frontdesk::domain::price_list::{PackageProduct, PlanProduct, Product};
use frontdesk::domain::receipt::ReceiptLanguage;
use frontdesk::domain::tax::{TaxClass, TaxRate, TaxSettings};
use frontdesk::ids::RecordId;
use frontdesk::service::{BayInput, ServiceInput, Session, StaffPreferences};
use frontdesk::store::records::TillSettings;

const SETTINGS: KeyCode = KeyCode::F(6);
/// Tab presses from the first section (Shop) to each of these.
const TO_SERVICES: usize = 3;
const TO_PRICE_LIST: usize = 4;
const TO_TILL: usize = 5;

fn add_service(
    shop: &Shop,
    manager: &Session,
    name: &str,
    price: i64,
    tax_class: TaxClass,
) -> RecordId {
    shop.service
        .save_service(
            manager,
            ServiceInput {
                id: None,
                name: name.to_owned(),
                category: ServiceCategory::Exterior,
                duration_minutes: 30,
                price: Money::from_minor(price),
                earns_points: true,
                active: true,
                tax_class,
            },
        )
        .expect("service")
        .id
}

fn bc_till() -> TillSettings {
    TillSettings {
        tax: TaxSettings {
            prices_include_tax: false,
            taxes: vec![TaxRate::new("GST", 500), TaxRate::new("PST", 700)],
        },
        cash_unit: Some(Money::from_minor(5)),
        tips: true,
        receipt_language: ReceiptLanguage::English,
        print_command: Some("lp -d receipt".to_owned()),
    }
}

/// A British Columbia shop: GST and PST, cash rounded to 0.05, two services (the detail
/// charged PST only), a bay, two plans (one retired) and a package on the price list, and
/// the cashier's account.
fn bc_shop() -> (Shop, Vec<u8>) {
    let shop = open_shop();
    let manager = shop.manager();
    shop.service
        .update_till_settings(&manager, bc_till())
        .expect("till");
    let wash = add_service(&shop, &manager, "Exterior wash", 2000, TaxClass::Standard);
    let detail = add_service(
        &shop,
        &manager,
        "Hand detail",
        8950,
        TaxClass::Only(vec!["PST".to_owned()]),
    );
    shop.service
        .save_bay(
            &manager,
            BayInput {
                id: None,
                name: "Bay 1".to_owned(),
                services: vec![wash, detail],
                active: true,
            },
        )
        .expect("bay");
    let plans = [
        ("Unlimited basic", vec![wash], 1, 3999, 1, true),
        (
            "Unlimited everything",
            vec![wash, detail],
            12,
            59900,
            2,
            true,
        ),
        ("Summer special", vec![wash], 3, 9900, 1, false),
    ];
    for (name, services, months, price, washes_per_day, active) in plans {
        shop.service
            .save_product(
                &manager,
                Product::Plan(PlanProduct {
                    id: RecordId::NEW,
                    name: name.to_owned(),
                    services,
                    months_per_term: months,
                    price_per_term: Money::from_minor(price),
                    washes_per_day,
                    tax_class: TaxClass::Standard,
                    active,
                }),
            )
            .expect("plan");
    }
    shop.service
        .save_product(
            &manager,
            Product::Package(PackageProduct {
                id: RecordId::NEW,
                name: "Ten washes".to_owned(),
                service: wash,
                washes: 10,
                price: Money::from_minor(15000),
                valid_months: Some(12),
                tax_class: TaxClass::Only(vec!["GST".to_owned()]),
                active: true,
            }),
        )
        .expect("package");
    let secret = shop.add_cashier(&manager);
    (shop, secret)
}

fn chinese(shop: &Shop) {
    let manager = shop.manager();
    shop.service
        .set_my_preferences(
            &manager,
            StaffPreferences {
                language: Some("zh-CN".to_owned()),
                theme: None,
            },
        )
        .expect("preferences");
}

/// The manager's desk on the given settings section, `width`×`height`.
fn manager_at(shop: &Shop, tabs: usize, width: u16, height: u16) -> Desk {
    let mut desk = shop.manager_desk();
    desk.settle();
    desk.resize(width, height);
    desk.key(SETTINGS);
    assert_eq!(desk.app.screen_title(), "Settings");
    for _ in 0..tabs {
        desk.tab();
    }
    desk
}

fn clear_field(desk: &mut Desk) {
    desk.ctrl('u');
}

fn till(shop: &Shop) -> TillSettings {
    shop.service.till_settings().expect("till settings")
}

fn product_named(shop: &Shop, name: &str) -> Product {
    shop.service
        .price_list()
        .expect("price list")
        .into_iter()
        .find(|p| p.name() == name)
        .unwrap_or_else(|| panic!("{name} is on the price list"))
}

// ---- Snapshots ---------------------------------------------------------------------------

#[test]
fn price_list_snapshots_in_english_and_chinese() {
    let (shop, _) = bc_shop();
    let desk = manager_at(&shop, TO_PRICE_LIST, 200, 50);
    let screen = desk.screen();
    for shown in [
        "Unlimited basic",
        "1 mo, 1/day, Exterior wash",
        "12 mo, 2/day, every service",
        "599.00 CAD",
        "10 × Exterior wash, valid 12 mo",
        "GST",
    ] {
        assert!(screen.contains(shown), "{shown} missing:\n{screen}");
    }
    insta::assert_snapshot!("price_list_200x50", screen);
    let desk = manager_at(&shop, TO_PRICE_LIST, 80, 24);
    insta::assert_snapshot!("price_list_80x24", desk.screen());

    chinese(&shop);
    let desk = manager_at(&shop, TO_PRICE_LIST, 200, 50);
    let screen = desk.screen();
    assert!(screen.contains("价目表"), "{screen}");
    assert!(screen.contains("全部服务"), "{screen}");
    insta::assert_snapshot!("price_list_zh_200x50", screen);
    let desk = manager_at(&shop, TO_PRICE_LIST, 80, 24);
    insta::assert_snapshot!("price_list_zh_80x24", desk.screen());
}

#[test]
fn till_snapshots_in_english_and_chinese() {
    let (shop, _) = bc_shop();
    let desk = manager_at(&shop, TO_TILL, 200, 50);
    let screen = desk.screen();
    for shown in [
        "Prices include tax",
        "0.05 CAD",
        "lp -d receipt",
        "GST",
        "5 %",
        "PST",
        "7 %",
    ] {
        assert!(screen.contains(shown), "{shown} missing:\n{screen}");
    }
    insta::assert_snapshot!("till_200x50", screen);
    let desk = manager_at(&shop, TO_TILL, 80, 24);
    insta::assert_snapshot!("till_80x24", desk.screen());

    chinese(&shop);
    let desk = manager_at(&shop, TO_TILL, 200, 50);
    let screen = desk.screen();
    assert!(screen.contains("价格含税"), "{screen}");
    insta::assert_snapshot!("till_zh_200x50", screen);
    let desk = manager_at(&shop, TO_TILL, 80, 24);
    insta::assert_snapshot!("till_zh_80x24", desk.screen());
}

#[test]
fn the_forms_fit_80_by_24_in_both_languages() {
    let (shop, _) = bc_shop();
    let mut desk = manager_at(&shop, TO_PRICE_LIST, 80, 24);
    desk.key(KeyCode::Down); // Summer special, retired
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Plan");
    let screen = desk.screen();
    assert!(screen.contains("[x] Exterior wash"), "{screen}");
    assert!(screen.contains("[ ] Hand detail"), "{screen}");
    insta::assert_snapshot!("plan_form_80x24", screen);
    desk.esc();

    let mut desk = manager_at(&shop, TO_TILL, 80, 24);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Till");
    insta::assert_snapshot!("till_form_80x24", desk.screen());

    chinese(&shop);
    let mut desk = manager_at(&shop, TO_PRICE_LIST, 80, 24);
    desk.key(KeyCode::End); // Ten washes
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Package");
    insta::assert_snapshot!("package_form_zh_80x24", desk.screen());
}

#[test]
fn a_cashier_cannot_open_settings() {
    let (shop, secret) = bc_shop();
    let mut desk = shop.cashier_desk(&secret);
    desk.settle();
    desk.resize(80, 24);
    desk.key(SETTINGS);
    assert_eq!(desk.app.screen_title(), "Today");
    let screen = desk.screen();
    assert!(screen.contains("Only a manager may do that"), "{screen}");
    insta::assert_snapshot!("cashier_refused_settings_80x24", screen);
    // Nor through the command palette.
    desk.ctrl('k');
    desk.type_text("settings");
    desk.enter();
    assert_ne!(desk.app.screen_title(), "Settings");
    assert_eq!(till(&shop), bc_till());
}

// ---- Price list --------------------------------------------------------------------------

#[test]
fn a_manager_adds_a_plan_and_a_package_from_the_forms() {
    let (shop, _) = bc_shop();
    let mut desk = manager_at(&shop, TO_PRICE_LIST, 100, 30);
    desk.type_text("n");
    assert_eq!(desk.app.screen_title(), "New plan");
    desk.type_text("Weekday plan");
    desk.tab();
    desk.type_text("24.5");
    desk.tab();
    clear_field(&mut desk);
    desk.type_text("0");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "New plan", "0 months stays");
    assert!(
        desk.screen().contains("1 to 24 months"),
        "{}",
        desk.screen()
    );
    clear_field(&mut desk);
    desk.type_text("1");
    desk.tab(); // washes a day
    desk.tab(); // tax class
    desk.type_text("HST");
    desk.enter();
    assert!(
        desk.screen()
            .contains("`HST` is not one of this shop's taxes"),
        "{}",
        desk.screen()
    );
    clear_field(&mut desk);
    desk.type_text("gst");
    desk.tab(); // in use
    desk.tab(); // covers: every service → the ticked ones
    desk.key(KeyCode::Right);
    desk.tab(); // [x] Exterior wash
    desk.tab(); // [x] Hand detail → clear it
    desk.key(KeyCode::Right);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Settings", "{}", desk.screen());
    let Product::Plan(plan) = product_named(&shop, "Weekday plan") else {
        panic!("a plan");
    };
    assert_eq!(plan.price_per_term, Money::from_minor(2450));
    assert_eq!(plan.months_per_term, 1);
    assert_eq!(plan.tax_class, TaxClass::Only(vec!["GST".to_owned()]));
    assert_eq!(plan.services.len(), 1);
    assert!(desk.screen().contains("Weekday plan"));

    // `n` in the Packages section adds a package.
    desk.key(KeyCode::End);
    desk.type_text("n");
    assert_eq!(desk.app.screen_title(), "New package");
    desk.type_text("Five details");
    desk.tab(); // service: Exterior wash → Hand detail
    desk.key(KeyCode::Right);
    desk.tab();
    clear_field(&mut desk);
    desk.type_text("5");
    desk.tab();
    desk.type_text("400");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Settings", "{}", desk.screen());
    let Product::Package(package) = product_named(&shop, "Five details") else {
        panic!("a package");
    };
    assert_eq!(package.washes, 5);
    assert_eq!(package.price, Money::from_minor(40000));
    assert_eq!(package.valid_months, None, "empty means no expiry");
    assert_eq!(package.tax_class, TaxClass::Standard);
    assert!(desk.screen().contains("no expiry"), "{}", desk.screen());
}

#[test]
fn a_clashing_name_stays_in_the_form() {
    let (shop, _) = bc_shop();
    let mut desk = manager_at(&shop, TO_PRICE_LIST, 100, 30);
    desk.type_text("n");
    desk.type_text("unlimited BASIC");
    desk.tab();
    desk.type_text("10");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "New plan");
    assert!(
        desk.screen()
            .contains("another product on the price list has this name"),
        "{}",
        desk.screen()
    );
    assert_eq!(shop.service.price_list().expect("list").len(), 4);
}

#[test]
fn retiring_a_product_keeps_it_on_file() {
    let (shop, _) = bc_shop();
    let mut desk = manager_at(&shop, TO_PRICE_LIST, 100, 30);
    // Plans by name: Summer special (retired), Unlimited basic, Unlimited everything.
    desk.key(KeyCode::Down);
    desk.key(KeyCode::Down);
    desk.type_text("d");
    assert!(
        desk.screen().contains("Stop selling Unlimited basic?"),
        "{}",
        desk.screen()
    );
    desk.type_text("y");
    assert!(!product_named(&shop, "Unlimited basic").active());
    assert_eq!(shop.service.price_list().expect("list").len(), 4);
    desk.key(KeyCode::Up);
    desk.type_text("d");
    assert!(
        desk.screen().contains("already retired"),
        "{}",
        desk.screen()
    );
}

// ---- Till --------------------------------------------------------------------------------

#[test]
fn a_manager_changes_rounding_tips_language_and_printer() {
    let (shop, _) = bc_shop();
    let mut desk = manager_at(&shop, TO_TILL, 100, 30);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Till");
    desk.key(KeyCode::Right); // prices include tax: yes
    desk.tab();
    clear_field(&mut desk);
    desk.type_text("-0.05");
    desk.enter();
    assert!(
        desk.screen().contains("Enter the smallest coin"),
        "{}",
        desk.screen()
    );
    clear_field(&mut desk);
    desk.tab(); // tips: yes → no
    desk.key(KeyCode::Right);
    desk.tab(); // receipt language → 简体中文
    desk.key(KeyCode::Right);
    desk.tab();
    clear_field(&mut desk);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Settings", "{}", desk.screen());
    let saved = till(&shop);
    assert!(saved.tax.prices_include_tax);
    assert_eq!(saved.cash_unit, None);
    assert!(!saved.tips);
    assert_eq!(saved.receipt_language, ReceiptLanguage::SimplifiedChinese);
    assert_eq!(saved.print_command, None);
    let screen = desk.screen();
    assert!(screen.contains("简体中文"), "{screen}");
    assert!(
        screen.contains("receipts are saved as text files"),
        "{screen}"
    );
}

#[test]
fn taxes_are_added_with_percentages_and_checked() {
    let shop = open_shop();
    let manager = shop.manager();
    add_service(&shop, &manager, "Exterior wash", 2000, TaxClass::Standard);
    let mut desk = manager_at(&shop, TO_TILL, 100, 30);
    assert!(desk.screen().contains("No taxes; n adds one."));
    desk.type_text("n");
    assert_eq!(desk.app.screen_title(), "New tax");
    desk.type_text("GST");
    desk.tab();
    desk.type_text("7.125");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "New tax");
    assert!(
        desk.screen().contains("Enter a percentage from 0 to 100"),
        "{}",
        desk.screen()
    );
    clear_field(&mut desk);
    desk.type_text("5");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Settings", "{}", desk.screen());
    desk.type_text("n");
    desk.type_text("gst");
    desk.tab();
    desk.type_text("7");
    desk.enter();
    assert!(desk.screen().contains("same name"), "{}", desk.screen());
    clear_field(&mut desk);
    desk.type_text("PST");
    desk.tab();
    clear_field(&mut desk);
    desk.type_text("0.6");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Settings", "{}", desk.screen());
    assert_eq!(
        till(&shop).tax.taxes,
        vec![TaxRate::new("GST", 500), TaxRate::new("PST", 60)]
    );
    assert!(desk.screen().contains("0.6 %"), "{}", desk.screen());
}

#[test]
fn a_tax_a_service_names_cannot_be_removed_or_renamed() {
    let (shop, _) = bc_shop();
    let mut desk = manager_at(&shop, TO_TILL, 100, 30);
    desk.key(KeyCode::End); // PST, named by Hand detail
    desk.type_text("d");
    assert!(
        desk.screen()
            .contains("Hand detail name PST in their tax class"),
        "{}",
        desk.screen()
    );
    assert_eq!(till(&shop).tax.taxes.len(), 2);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Tax");
    clear_field(&mut desk);
    desk.type_text("BC PST");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Tax");
    assert!(desk.screen().contains("Hand detail"), "{}", desk.screen());
    desk.esc();
    // GST is named only by the package, so the same holds for it.
    desk.key(KeyCode::Up);
    desk.type_text("d");
    assert!(desk.screen().contains("Ten washes"), "{}", desk.screen());
    assert_eq!(till(&shop), bc_till());
}

#[test]
fn a_tax_nobody_names_is_removed() {
    let shop = open_shop();
    let manager = shop.manager();
    shop.service
        .update_till_settings(&manager, bc_till())
        .expect("till");
    let mut desk = manager_at(&shop, TO_TILL, 100, 30);
    desk.key(KeyCode::End); // PST
    desk.type_text("d");
    desk.type_text("y");
    assert_eq!(till(&shop).tax.taxes, vec![TaxRate::new("GST", 500)]);
}

// ---- Services ----------------------------------------------------------------------------

#[test]
fn the_service_editor_sets_a_tax_class() {
    let (shop, _) = bc_shop();
    let mut desk = manager_at(&shop, TO_SERVICES, 100, 30);
    let screen = desk.screen();
    assert!(screen.contains("standard"), "{screen}");
    desk.enter(); // Exterior wash
    assert_eq!(desk.app.screen_title(), "Service");
    for _ in 0..4 {
        desk.tab();
    }
    clear_field(&mut desk);
    desk.type_text("gst, hst");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Service");
    assert!(desk.screen().contains("`hst`"), "{}", desk.screen());
    clear_field(&mut desk);
    desk.type_text("exempt");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Settings", "{}", desk.screen());
    let manager = shop.manager();
    let exterior = shop
        .service
        .list_services(&manager)
        .expect("services")
        .into_iter()
        .find(|s| s.name == "Exterior wash")
        .expect("exterior");
    assert_eq!(exterior.tax_class, TaxClass::Exempt);
    assert!(desk.screen().contains("exempt"));
}
