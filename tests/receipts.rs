//! Receipts after the sale: gapless numbers across visits, sales and refunds (also under
//! parallel checkouts), reprints that read as the original, the shop's receipt language
//! whatever the staff member's, and printing through a real command or to a private file.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{Shop, audit_actions, open_shop};
use frontdesk::audit::AuditAction;
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::money::Money;
use frontdesk::domain::receipt::ReceiptLanguage;
use frontdesk::domain::tax::{TaxRate, TaxSettings};
use frontdesk::domain::tender::{Tender, TenderRequest};
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    CheckoutInput, CheckoutLine, MemberInput, PackageSale, PlanSale, PrintError, PrintOutcome,
    ReceiptFor, ServiceError, Session, StaffPreferences, VehicleInput,
};
use frontdesk::store::ReadAccess;
use frontdesk::store::records::{RefundRecord, RefundedLine, TillSettings, VisitRecord};
use frontdesk::store::schema::VISITS;

struct Counter {
    shop: Shop,
    manager: Session,
    wash: RecordId,
    member: RecordId,
    member_number: u64,
    car: RecordId,
}

fn counter() -> Counter {
    let shop = open_shop();
    let manager = shop.manager();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let member = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "王小明".to_owned(),
                ..MemberInput::default()
            },
        )
        .unwrap();
    let car = shop
        .service
        .add_vehicle(
            &manager,
            member.id,
            VehicleInput {
                plate: "ABC 123".to_owned(),
                kind: VehicleKind::Sedan,
                make_model: None,
                colour: None,
            },
        )
        .unwrap();
    Counter {
        member_number: member.member_number,
        member: member.id,
        car: car.id,
        shop,
        manager,
        wash,
    }
}

fn set_till(counter: &Counter, till: TillSettings) {
    counter
        .shop
        .service
        .update_till_settings(&counter.manager, till)
        .unwrap();
}

/// GST and PST on top, cash rounded to 0.05: a BC shop.
fn bc_till() -> TillSettings {
    TillSettings {
        tax: TaxSettings {
            prices_include_tax: false,
            taxes: vec![TaxRate::new("GST", 500), TaxRate::new("PST", 700)],
        },
        cash_unit: Some(Money::from_minor(5)),
        ..TillSettings::default()
    }
}

impl Counter {
    fn service(&self) -> &frontdesk::service::Service {
        &self.shop.service
    }

    fn wash_input(&self, member: Option<RecordId>) -> CheckoutInput {
        CheckoutInput {
            booking: None,
            member,
            vehicle: None,
            lines: vec![CheckoutLine {
                service: self.wash,
                quantity: 1,
                price_override: None,
            }],
            discount: None,
            adjustment_reason: None,
            points: None,
            payment: PaymentMethod::Card,
            tenders: Vec::new(),
            tip: Money::ZERO,
        }
    }

    /// A wash paid by card; returns the visit and its receipt text.
    fn visit(&self, session: &Session, member: Option<RecordId>) -> (RecordId, u64, String) {
        let paid = self
            .service()
            .checkout(session, self.wash_input(member))
            .unwrap();
        (paid.visit, paid.receipt_number, paid.receipt)
    }

    /// Stands in for the refund service (built beside this one): gives back the first line of
    /// `visit` by card, with its receipt number issued in the same transaction, as it will.
    fn record_refund(&self, visit: RecordId) -> u64 {
        let store = self.service().store();
        let mut writer = store.write().unwrap();
        let mut record: VisitRecord = writer.get(VISITS, visit, "visit").unwrap().unwrap();
        let refund = RecordId::from_u128(0x0190_0000_0000_0000_0000_0000_0000_0001);
        let number = writer
            .issue_receipt(&ReceiptFor::Refund { visit, refund })
            .unwrap();
        let line = &record.priced.lines[0];
        record.refunds.push(RefundRecord {
            id: refund,
            at: self.service().now(),
            by: record.staff,
            approved_by: None,
            reason: "scratched mirror".to_owned(),
            receipt_number: number,
            lines: vec![RefundedLine {
                line: 0,
                quantity: 1,
            }],
            net: line.amount,
            taxes: record.priced.tax.taxes.clone(),
            amount: record.settlement.charged,
            tenders: vec![Tender {
                method: PaymentMethod::Card,
                amount: record.settlement.charged,
                tendered: None,
                change: Money::ZERO,
            }],
            points_reversed: 0,
            points_restored: 0,
            plan_uses_returned: Vec::new(),
            package_uses_returned: Vec::new(),
            shift: None,
        });
        writer.put(VISITS, visit, &record).unwrap();
        writer.commit().unwrap();
        number
    }

    fn issued(&self) -> BTreeMap<u64, ReceiptFor> {
        let reader = self.service().store().read().unwrap();
        let mut issued = BTreeMap::new();
        reader
            .scan_receipts(&mut |number, bytes| {
                let of: ReceiptFor = frontdesk::store::decode_record("receipt", bytes).unwrap();
                assert!(issued.insert(number, of).is_none(), "{number} twice");
                true
            })
            .unwrap();
        issued
    }
}

/// Every line of `text` but those starting (after spaces) with one of `leaving_out`.
fn lines_without(text: &str, leaving_out: &[&str]) -> Vec<String> {
    text.lines()
        .filter(|line| !leaving_out.iter().any(|l| line.trim_start().starts_with(l)))
        .map(str::to_owned)
        .collect()
}

#[test]
fn numbers_run_without_gaps_across_visits_sales_and_refunds() {
    let counter = counter();
    set_till(&counter, bc_till());
    let manager = &counter.manager;
    let service = counter.service();
    let (guest_visit, first, _) = counter.visit(manager, None);
    assert_eq!(first, 1);
    let plan_product = counter
        .shop
        .plan_product(manager, vec![counter.wash], 1, 3999, 1);
    let sold = service
        .sell_plan(
            manager,
            PlanSale {
                member: counter.member,
                vehicle: counter.car,
                product: plan_product,
                terms: 2,
                price_override: None,
                override_reason: None,
                payment: PaymentMethod::Card,
                tenders: Vec::new(),
            },
        )
        .unwrap();
    assert_eq!(sold.receipt.receipt_number, 2);
    let package_product = counter
        .shop
        .package_product(manager, counter.wash, 10, 15000, Some(6));
    let package = service
        .sell_package(
            manager,
            PackageSale {
                member: counter.member,
                product: package_product,
                price_override: None,
                override_reason: None,
                payment: PaymentMethod::Mobile,
                tenders: Vec::new(),
            },
        )
        .unwrap();
    assert_eq!(package.receipt.receipt_number, 3);
    assert_eq!(counter.record_refund(guest_visit), 4);
    let (member_visit, fifth, _) = counter.visit(manager, Some(counter.member));
    assert_eq!(fifth, 5);
    let renewed = service
        .renew_plan(manager, sold.plan.id, 1, PaymentMethod::Cash)
        .unwrap();
    assert_eq!(renewed.receipt.receipt_number, 6);

    let issued = counter.issued();
    assert_eq!(
        issued.keys().copied().collect::<Vec<_>>(),
        (1..=6).collect::<Vec<_>>()
    );
    assert_eq!(issued[&1], ReceiptFor::Visit(guest_visit));
    assert!(matches!(issued[&2], ReceiptFor::Sale(_)));
    assert!(matches!(issued[&4], ReceiptFor::Refund { visit, .. } if visit == guest_visit));
    assert_eq!(issued[&5], ReceiptFor::Visit(member_visit));

    assert_eq!(
        service.receipts_for_visit(manager, guest_visit).unwrap(),
        vec![1, 4]
    );
    assert_eq!(
        service.receipts_for_visit(manager, member_visit).unwrap(),
        vec![5]
    );
    for number in 1..=6 {
        let receipt = service.receipt(manager, number).unwrap();
        assert_eq!(receipt.number, number);
        assert_eq!(receipt.of, issued[&number]);
        assert!(
            receipt.text.contains(&format!("Receipt #{number}")),
            "{}",
            receipt.text
        );
    }
    let refund = service.receipt(manager, 4).unwrap().text;
    assert!(
        refund.contains("REFUND") && refund.contains("Refund of receipt"),
        "{refund}"
    );
    assert!(
        refund.contains("#1"),
        "names the visit's receipt:\n{refund}"
    );
    match service.receipt(manager, 7) {
        Err(ServiceError::InvalidInput(message)) => {
            assert!(message.contains("1 to 6"), "{message}")
        }
        other => panic!("receipt 7 does not exist: {other:?}"),
    }
}

#[test]
fn eight_parallel_checkouts_use_every_number_exactly_once() {
    let counter = counter();
    let service = counter.shop.service.clone();
    let input = Arc::new(counter.wash_input(None));
    let session = Arc::new(counter.manager.clone());
    let per_thread = 5;
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let service = service.clone();
            let input = input.clone();
            let session = session.clone();
            std::thread::spawn(move || {
                (0..per_thread)
                    .map(|_| {
                        let paid = service.checkout(&session, (*input).clone()).unwrap();
                        (paid.receipt_number, paid.visit)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut numbers: Vec<(u64, RecordId)> = threads
        .into_iter()
        .flat_map(|thread| thread.join().unwrap())
        .collect();
    numbers.sort();
    let total = 8 * per_thread;
    assert_eq!(
        numbers.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        (1..=total).collect::<Vec<_>>()
    );
    let issued = counter.issued();
    assert_eq!(issued.len() as u64, total);
    for (number, visit) in numbers {
        assert_eq!(issued[&number], ReceiptFor::Visit(visit));
    }
}

#[test]
fn a_reprint_reads_as_the_original_apart_from_its_mark_and_the_balance() {
    let counter = counter();
    set_till(&counter, bc_till());
    let manager = &counter.manager;
    let service = counter.service();
    // A member's visit paid part by card and the rest in cash, with change and rounding.
    let mut input = counter.wash_input(Some(counter.member));
    input.tenders = vec![
        TenderRequest {
            method: PaymentMethod::Card,
            amount: Some(Money::from_minor(1002)),
            tendered: None,
        },
        TenderRequest {
            method: PaymentMethod::Cash,
            amount: None,
            tendered: Some(Money::from_minor(2000)),
        },
    ];
    let paid = service.checkout(manager, input).unwrap();
    let original = paid.receipt;
    assert!(original.contains("Points balance"), "{original}");
    assert!(original.contains("Cash rounding") && original.contains("Change"));
    let reprint = service.receipt(manager, paid.receipt_number).unwrap();
    assert_eq!(reprint.of, ReceiptFor::Visit(paid.visit));
    assert!(reprint.text.contains("*** REPRINT ***"), "{}", reprint.text);
    assert!(!reprint.text.contains("Points balance"));
    assert_eq!(
        lines_without(&reprint.text, &["*** REPRINT ***"]),
        lines_without(&original, &["Points balance"]),
        "\noriginal:\n{original}\nreprint:\n{}",
        reprint.text
    );
    assert!(
        reprint
            .text
            .contains(&format!("Member #{}", counter.member_number))
    );
    assert!(
        !reprint.text.contains("王小明"),
        "a receipt names no customer"
    );

    // Plan and package sales, and a renewal after another renewal, read the same again too.
    let plan_product = counter
        .shop
        .plan_product(manager, vec![counter.wash], 3, 9999, 1);
    let sold = service
        .sell_plan(
            manager,
            PlanSale {
                member: counter.member,
                vehicle: counter.car,
                product: plan_product,
                terms: 2,
                price_override: None,
                override_reason: None,
                payment: PaymentMethod::Card,
                tenders: Vec::new(),
            },
        )
        .unwrap();
    let first_renewal = service
        .renew_plan(manager, sold.plan.id, 1, PaymentMethod::Card)
        .unwrap();
    let second_renewal = service
        .renew_plan(manager, sold.plan.id, 2, PaymentMethod::Mobile)
        .unwrap();
    let package_product = counter
        .shop
        .package_product(manager, counter.wash, 10, 15000, Some(6));
    let package = service
        .sell_package(
            manager,
            PackageSale {
                member: counter.member,
                product: package_product,
                price_override: None,
                override_reason: None,
                payment: PaymentMethod::Card,
                tenders: Vec::new(),
            },
        )
        .unwrap();
    for sale in [
        &sold.receipt,
        &first_renewal.receipt,
        &second_renewal.receipt,
        &package.receipt,
    ] {
        let reprint = service.receipt(manager, sale.receipt_number).unwrap();
        assert_eq!(reprint.of, ReceiptFor::Sale(sale.sale));
        assert_eq!(
            lines_without(&reprint.text, &["*** REPRINT ***"]),
            lines_without(&sale.text, &[]),
            "\noriginal:\n{}\nreprint:\n{}",
            sale.text,
            reprint.text
        );
    }
    let receipt_views = audit_actions(service.store())
        .into_iter()
        .filter(|action| *action == AuditAction::ReceiptPrinted)
        .count();
    assert_eq!(receipt_views, 5, "each receipt shown is audited");
}

#[test]
fn the_receipt_language_is_the_shops_whatever_the_staff_member_reads() {
    let counter = counter();
    let cashier_secret = counter.shop.add_cashier(&counter.manager);
    let cashier = counter.shop.cashier(&cashier_secret);
    let service = counter.service();
    service
        .set_my_preferences(
            &cashier,
            StaffPreferences {
                language: Some("zh-CN".to_owned()),
                theme: None,
            },
        )
        .unwrap();
    let (_, english_number, _) = counter.visit(&cashier, Some(counter.member));
    let english = service.receipt(&cashier, english_number).unwrap();
    assert_eq!(english.language, ReceiptLanguage::English);
    assert!(english.text.contains("REPRINT") && english.text.contains("TOTAL"));
    assert!(!english.text.contains("合计"), "{}", english.text);

    set_till(
        &counter,
        TillSettings {
            tax: TaxSettings {
                prices_include_tax: true,
                taxes: vec![TaxRate::new("增值税", 600)],
            },
            receipt_language: ReceiptLanguage::SimplifiedChinese,
            ..TillSettings::default()
        },
    );
    // The manager reads English; the receipt follows the shop's setting.
    let manager_language = service.my_preferences(&counter.manager).unwrap().language;
    assert_ne!(manager_language.as_deref(), Some("zh-CN"));
    let (_, chinese_number, original) = counter.visit(&counter.manager, Some(counter.member));
    let chinese = service.receipt(&counter.manager, chinese_number).unwrap();
    assert_eq!(chinese.language, ReceiptLanguage::SimplifiedChinese);
    for word in ["重印", "合计", "收据 #", "会员 #", "含 增值税 6%"] {
        assert!(chinese.text.contains(word), "{word} in\n{}", chinese.text);
    }
    assert!(!chinese.text.contains("TOTAL"));
    assert_eq!(
        lines_without(&chinese.text, &["*** 重印 ***"]),
        lines_without(&original, &["积分余额"])
    );
    // Receipts issued before the change are shown in the language set now.
    let again = service.receipt(&cashier, english_number).unwrap();
    assert!(again.text.contains("合计"), "{}", again.text);
}

#[test]
fn printing_through_a_real_command_hands_it_the_receipt() {
    let counter = counter();
    let (_, number, _) = counter.visit(&counter.manager, None);
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("printed.txt");
    set_till(
        &counter,
        TillSettings {
            print_command: Some(format!("tee {}", out.display())),
            ..TillSettings::default()
        },
    );
    let outcome = counter
        .service()
        .print_receipt(&counter.manager, number)
        .unwrap();
    assert_eq!(
        outcome,
        PrintOutcome::Printed {
            number,
            program: "tee".to_owned()
        }
    );
    let printed = std::fs::read_to_string(&out).unwrap();
    let shown = counter.service().receipt(&counter.manager, number).unwrap();
    assert_eq!(printed, shown.text);
    assert!(printed.contains("*** REPRINT ***"));
}

#[test]
fn a_failing_print_command_says_why_and_loses_nothing() {
    let counter = counter();
    let cashier_secret = counter.shop.add_cashier(&counter.manager);
    let cashier = counter.shop.cashier(&cashier_secret);
    let (_, number, _) = counter.visit(&cashier, None);
    set_till(
        &counter,
        TillSettings {
            print_command: Some("false".to_owned()),
            ..TillSettings::default()
        },
    );
    let outcome = counter.service().print_receipt(&cashier, number).unwrap();
    let PrintOutcome::Failed {
        number: failed,
        error,
    } = &outcome
    else {
        panic!("`false` printed: {outcome:?}");
    };
    assert_eq!(*failed, number);
    assert!(
        matches!(error, PrintError::Failed { program, status, .. }
            if program == "false" && status.contains('1')),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("`false` failed"), "{message}");
    assert!(message.contains("print it again"), "{message}");
    assert!(!outcome.is_done());

    // A printer that is not there at all says so too.
    set_till(
        &counter,
        TillSettings {
            print_command: Some("/nonexistent/lp -d receipt".to_owned()),
            ..TillSettings::default()
        },
    );
    let outcome = counter.service().print_receipt(&cashier, number).unwrap();
    assert!(
        matches!(&outcome, PrintOutcome::Failed { error: PrintError::Start { program, .. }, .. }
            if program == "/nonexistent/lp"),
        "{outcome:?}"
    );

    // Fixed: the same receipt prints.
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("printed.txt");
    set_till(
        &counter,
        TillSettings {
            print_command: Some(format!("tee {}", out.display())),
            ..TillSettings::default()
        },
    );
    assert!(
        counter
            .service()
            .print_receipt(&cashier, number)
            .unwrap()
            .is_done()
    );
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains(&format!("Receipt #{number}"))
    );
    let reader = counter.service().store().read().unwrap();
    let mut outcomes = Vec::new();
    for (_, bytes) in reader.audit_stream().unwrap() {
        let entry = frontdesk::audit::decode(&bytes).unwrap();
        if entry.action == AuditAction::ReceiptPrinted {
            outcomes.push(entry.outcome.as_str());
        }
    }
    assert_eq!(outcomes, ["failed", "failed", "ok"]);
}

#[test]
fn without_a_print_command_the_receipt_is_saved_privately_once() {
    let counter = counter();
    let (_, number, _) = counter.visit(&counter.manager, None);
    let outcome = counter
        .service()
        .print_receipt(&counter.manager, number)
        .unwrap();
    let expected = counter
        .shop
        .dir
        .path()
        .join("receipts")
        .join(format!("receipt-{number:06}.txt"));
    assert_eq!(
        outcome,
        PrintOutcome::Saved {
            number,
            path: expected.clone()
        }
    );
    let saved = std::fs::read_to_string(&expected).unwrap();
    assert!(saved.contains("*** REPRINT ***") && saved.contains("Receipt #1"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&expected).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(expected.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o077, 0, "the receipts folder is private");
    }
    // Printing it again refuses to overwrite, and says where the first copy is.
    std::fs::write(&expected, "kept as it was").unwrap();
    let again = counter
        .service()
        .print_receipt(&counter.manager, number)
        .unwrap();
    match again {
        PrintOutcome::Failed {
            error: PrintError::AlreadySaved { path, .. },
            ..
        } => assert_eq!(path, expected),
        other => panic!("overwrote a saved receipt: {other:?}"),
    }
    assert_eq!(
        std::fs::read_to_string(&expected).unwrap(),
        "kept as it was"
    );
}

#[test]
fn the_command_line_prints_any_receipt_for_a_logged_in_staff_member() {
    let counter = counter();
    set_till(&counter, bc_till());
    let (_, number, _) = counter.visit(&counter.manager, Some(counter.member));
    let expected = counter
        .service()
        .receipt(&counter.manager, number)
        .unwrap()
        .text;
    let Counter { shop, .. } = counter;
    let Shop {
        dir,
        service,
        manager_recovery_codes,
        ..
    } = shop;
    // The binary opens the store itself: this process lets go of it first.
    drop(service);
    let password = format!("{}\n", common::MANAGER_PASSWORD);
    let run = |args: &[&str], code: &str| {
        let mut all = args.to_vec();
        all.extend([
            "--user",
            common::MANAGER,
            "--password-stdin",
            "--totp",
            code,
        ]);
        common::binary::run_frontdesk(dir.path(), &all, &password)
    };
    let number_text = number.to_string();
    let shown = run(&["receipt", &number_text], &manager_recovery_codes[0]);
    assert!(
        shown.status.success(),
        "{}",
        common::binary::printed(&shown)
    );
    assert_eq!(String::from_utf8_lossy(&shown.stdout), expected);

    let printed = run(
        &["receipt", &number_text, "--print"],
        &manager_recovery_codes[1],
    );
    assert!(
        printed.status.success(),
        "{}",
        common::binary::printed(&printed)
    );
    assert_eq!(String::from_utf8_lossy(&printed.stdout), expected);
    let told = String::from_utf8_lossy(&printed.stderr);
    assert!(told.contains("saved as"), "{told}");
    let saved = dir
        .path()
        .join("receipts")
        .join(format!("receipt-{number:06}.txt"));
    assert_eq!(std::fs::read_to_string(saved).unwrap(), expected);

    let missing = run(&["receipt", "99"], &manager_recovery_codes[2]);
    assert!(!missing.status.success());
    let said = common::binary::printed(&missing);
    assert!(said.contains("there is no receipt 99"), "{said}");
    assert!(missing.stdout.is_empty());
}
