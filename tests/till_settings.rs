//! The manager's till settings and price list through the service: taxes, cash rounding, tips,
//! receipt language and printer, plan and package products, and a tax class on every service.
//! Only a manager changes them; every change is audited with the fields it touched.

mod common;

use common::*;
use frontdesk::audit::{AuditAction, AuditEntry, Outcome};
use frontdesk::domain::access::Role;
use frontdesk::domain::catalog::ServiceCategory;
use frontdesk::domain::money::Money;
use frontdesk::domain::price_list::{PackageProduct, PlanProduct, Product};
use frontdesk::domain::receipt::ReceiptLanguage;
use frontdesk::domain::tax::{TaxClass, TaxRate, TaxSettings};
use frontdesk::ids::RecordId;
use frontdesk::service::{ServiceError, ServiceInput};
use frontdesk::store::records::TillSettings;

fn audit_entries(shop: &Shop) -> Vec<AuditEntry> {
    let reader = shop.service.store().read().expect("read");
    reader
        .audit_stream()
        .expect("audit stream")
        .map(|(_, bytes)| frontdesk::audit::decode(&bytes).expect("audit entry"))
        .collect()
}

fn last_entry(shop: &Shop, action: AuditAction) -> AuditEntry {
    audit_entries(shop)
        .into_iter()
        .rev()
        .find(|entry| entry.action == action)
        .unwrap_or_else(|| panic!("no {action:?} entry"))
}

/// GST 5 % on everything and PST 7 % on what names it: a British Columbia shop.
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

fn service_input(name: &str, tax_class: TaxClass) -> ServiceInput {
    ServiceInput {
        id: None,
        name: name.to_owned(),
        category: ServiceCategory::Detailing,
        duration_minutes: 60,
        price: Money::from_minor(8950),
        earns_points: true,
        active: true,
        tax_class,
    }
}

fn plan(name: &str, services: Vec<RecordId>) -> Product {
    Product::Plan(PlanProduct {
        id: RecordId::NEW,
        name: name.to_owned(),
        services,
        months_per_term: 1,
        price_per_term: Money::from_minor(3999),
        washes_per_day: 1,
        tax_class: TaxClass::Standard,
        active: true,
    })
}

fn package(name: &str, service: RecordId) -> Product {
    Product::Package(PackageProduct {
        id: RecordId::NEW,
        name: name.to_owned(),
        service,
        washes: 10,
        price: Money::from_minor(15000),
        valid_months: Some(12),
        tax_class: TaxClass::Exempt,
        active: true,
    })
}

fn is_invalid(result: Result<impl std::fmt::Debug, ServiceError>) -> String {
    match result {
        Err(ServiceError::InvalidInput(message)) => message,
        other => panic!("expected an invalid-input refusal, got {other:?}"),
    }
}

#[test]
fn a_manager_sets_up_the_till_and_each_change_is_audited_with_its_fields() {
    let shop = open_shop();
    let manager = shop.manager();
    assert_eq!(
        shop.service.till_settings().unwrap(),
        TillSettings::default()
    );

    shop.service
        .update_till_settings(&manager, bc_till())
        .expect("till settings");
    assert_eq!(shop.service.till_settings().unwrap(), bc_till());
    let entry = last_entry(&shop, AuditAction::SettingsChanged);
    assert_eq!(entry.outcome, Outcome::Ok);
    assert_eq!(
        entry.fields,
        [
            "taxes",
            "cash_rounding",
            "tips",
            "receipt_language",
            "print_command"
        ]
    );

    // A Shanghai shop: VAT inside the price, receipts in Chinese, no rounding, no printer.
    let shanghai = TillSettings {
        tax: TaxSettings {
            prices_include_tax: true,
            taxes: vec![TaxRate::new("增值税", 600)],
        },
        cash_unit: None,
        tips: false,
        receipt_language: ReceiptLanguage::SimplifiedChinese,
        print_command: Some("   ".to_owned()),
    };
    shop.service
        .update_till_settings(&manager, shanghai.clone())
        .expect("inclusive VAT");
    let stored = shop.service.till_settings().unwrap();
    assert_eq!(stored.tax, shanghai.tax);
    assert_eq!(stored.receipt_language, ReceiptLanguage::SimplifiedChinese);
    assert_eq!(
        stored.print_command, None,
        "a blank command saves text files"
    );
}

#[test]
fn a_manager_saves_plan_and_package_products_audited() {
    let shop = open_shop();
    let manager = shop.manager();
    shop.service
        .update_till_settings(&manager, bc_till())
        .unwrap();
    let wash = shop.exterior_wash_in_one_bay(&manager);

    let saved = shop
        .service
        .save_product(&manager, plan("Unlimited basic", vec![wash]))
        .expect("plan");
    assert_ne!(saved.id(), RecordId::NEW, "a new product gets its own id");
    let entry = last_entry(&shop, AuditAction::PriceListChanged);
    assert_eq!(entry.objects, [saved.id().to_string()]);
    assert_eq!(entry.fields, ["price_list"]);
    assert!(matches!(
        &entry.actor,
        frontdesk::audit::Actor::Staff { username, .. } if username == MANAGER
    ));

    let ten = shop
        .service
        .save_product(&manager, package("Ten washes", wash))
        .expect("package");
    let list = shop.service.price_list().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].name(), "Ten washes", "sorted by name");
    assert_eq!(list[1].name(), "Unlimited basic");

    // Retiring keeps the product on file, off sale.
    let Product::Package(mut retired) = ten.clone() else {
        panic!("a package");
    };
    retired.active = false;
    shop.service
        .save_product(&manager, Product::Package(retired))
        .expect("retire");
    let list = shop.service.price_list().unwrap();
    let stored = list.iter().find(|p| p.id() == ten.id()).expect("on file");
    assert!(!stored.active());
    let changes = audit_entries(&shop)
        .into_iter()
        .filter(|e| e.action == AuditAction::PriceListChanged)
        .count();
    assert_eq!(changes, 3);
}

#[test]
fn a_cashier_cannot_change_the_price_list_or_the_till() {
    let shop = open_shop();
    let manager = shop.manager();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&secret);
    let forbidden = |result: Result<(), ServiceError>| match result {
        Err(ServiceError::Forbidden {
            role: Role::Cashier,
            ..
        }) => {}
        other => panic!("expected a refusal, got {other:?}"),
    };

    forbidden(
        shop.service
            .save_product(&cashier, plan("Cheap plan", vec![wash]))
            .map(|_| ()),
    );
    forbidden(shop.service.update_till_settings(&cashier, bc_till()));
    forbidden(
        shop.service
            .save_service(&cashier, service_input("Detail", TaxClass::Exempt))
            .map(|_| ()),
    );
    assert!(!shop.service.can(
        &cashier,
        frontdesk::domain::access::Operation::ChangeSettings
    ));

    assert!(shop.service.price_list().unwrap().is_empty());
    assert_eq!(
        shop.service.till_settings().unwrap(),
        TillSettings::default()
    );
    let denials = audit_entries(&shop)
        .into_iter()
        .filter(|e| e.action == AuditAction::PermissionDenied && e.outcome == Outcome::Denied)
        .count();
    assert_eq!(denials, 3, "each refusal is audited");
}

#[test]
fn a_product_name_clash_is_refused_whatever_the_case() {
    let shop = open_shop();
    let manager = shop.manager();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let basic = shop
        .service
        .save_product(&manager, plan("Unlimited basic", vec![wash]))
        .unwrap();
    let message = is_invalid(
        shop.service
            .save_product(&manager, package("UNLIMITED BASIC", wash)),
    );
    assert!(message.contains("another product"), "{message}");
    let other = shop
        .service
        .save_product(&manager, package("Ten washes", wash))
        .unwrap();
    let renamed = match other {
        Product::Package(mut package) => {
            package.name = "unlimited basic".to_owned();
            Product::Package(package)
        }
        Product::Plan(_) => panic!("a package"),
    };
    is_invalid(shop.service.save_product(&manager, renamed));
    // Saving a product under its own name again is no clash.
    shop.service
        .save_product(&manager, basic)
        .expect("same product, same name");
    assert_eq!(shop.service.price_list().unwrap().len(), 2);
}

#[test]
fn bad_tax_settings_are_refused_and_nothing_changes() {
    let shop = open_shop();
    let manager = shop.manager();
    shop.service
        .update_till_settings(&manager, bc_till())
        .unwrap();
    let with_taxes = |taxes: Vec<TaxRate>| TillSettings {
        tax: TaxSettings {
            prices_include_tax: false,
            taxes,
        },
        ..bc_till()
    };
    let cases = [
        (
            with_taxes(vec![
                TaxRate::new("A", 100),
                TaxRate::new("B", 100),
                TaxRate::new("C", 100),
                TaxRate::new("D", 100),
                TaxRate::new("E", 100),
            ]),
            "at most 4 taxes",
        ),
        (
            with_taxes(vec![TaxRate::new("GST", 500), TaxRate::new("gst", 700)]),
            "same name",
        ),
        (with_taxes(vec![TaxRate::new("GST", 10_001)]), "rate"),
        (with_taxes(vec![TaxRate::new("Standard", 500)]), "standard"),
        (with_taxes(vec![TaxRate::new("GST+PST", 500)]), "+"),
        (with_taxes(vec![TaxRate::new("  ", 500)]), "name"),
        (
            TillSettings {
                cash_unit: Some(Money::from_minor(10_001)),
                ..bc_till()
            },
            "smallest coin",
        ),
        (
            TillSettings {
                print_command: Some("x".repeat(201)),
                ..bc_till()
            },
            "print command",
        ),
    ];
    for (settings, words) in cases {
        let message = is_invalid(shop.service.update_till_settings(&manager, settings));
        assert!(message.contains(words), "{message} should say {words}");
        assert_eq!(shop.service.till_settings().unwrap(), bc_till());
    }
}

#[test]
fn a_service_carries_a_tax_class_naming_only_the_shops_taxes() {
    let shop = open_shop();
    let manager = shop.manager();

    // With no taxes set up, a class can name none.
    let message = is_invalid(shop.service.save_service(
        &manager,
        service_input("Detail", TaxClass::Only(vec!["PST".to_owned()])),
    ));
    assert!(message.contains("no taxes"), "{message}");

    shop.service
        .update_till_settings(&manager, bc_till())
        .unwrap();
    let detail = shop
        .service
        .save_service(
            &manager,
            service_input("Detail", TaxClass::Only(vec!["pst".to_owned()])),
        )
        .expect("PST only");
    assert_eq!(
        detail.tax_class,
        TaxClass::Only(vec!["PST".to_owned()]),
        "kept in the shop's spelling"
    );
    let entry = last_entry(&shop, AuditAction::ServiceChanged);
    assert!(entry.fields.iter().any(|field| field == "tax_class"));

    let both = shop
        .service
        .save_service(
            &manager,
            service_input(
                "Full detail",
                TaxClass::Only(vec!["PST".to_owned(), "GST".to_owned()]),
            ),
        )
        .expect("every tax");
    assert_eq!(
        both.tax_class,
        TaxClass::Standard,
        "naming every tax is standard"
    );

    let message = is_invalid(shop.service.save_service(
        &manager,
        service_input("Interior", TaxClass::Only(vec!["HST".to_owned()])),
    ));
    assert!(message.contains("HST"), "{message}");
    assert!(
        message.contains("GST, PST"),
        "names the known taxes: {message}"
    );

    let exempt = shop
        .service
        .save_service(&manager, service_input("Charity wash", TaxClass::Exempt))
        .expect("exempt");
    let stored = shop
        .service
        .list_services(&manager)
        .unwrap()
        .into_iter()
        .find(|s| s.id == exempt.id)
        .expect("stored");
    assert_eq!(stored.tax_class, TaxClass::Exempt);
    assert_eq!(shop.service.list_services(&manager).unwrap().len(), 3);
}

#[test]
fn a_product_may_only_name_the_shops_taxes() {
    let shop = open_shop();
    let manager = shop.manager();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let mut gst_package = package("Ten washes", wash);
    if let Product::Package(package) = &mut gst_package {
        package.tax_class = TaxClass::Only(vec!["gst".to_owned()]);
    }
    let message = is_invalid(shop.service.save_product(&manager, gst_package.clone()));
    assert!(message.contains("no taxes"), "{message}");
    shop.service
        .update_till_settings(&manager, bc_till())
        .unwrap();
    let saved = shop.service.save_product(&manager, gst_package).unwrap();
    match saved {
        // Stored in the shop's own spelling.
        Product::Package(package) => {
            assert_eq!(package.tax_class, TaxClass::Only(vec!["GST".to_owned()]))
        }
        Product::Plan(_) => panic!("a package"),
    }
}
