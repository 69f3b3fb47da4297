//! Retention (SPEC section 8, issue 13): members without a visit or booking for longer than
//! the period (default 36 months) are listed by a dry run and anonymised, like an erasure,
//! only when a manager applies the run; those with an active plan, a package with washes
//! left or positive points are listed apart and kept. A cashier is refused and audited.

mod common;

use chrono::{Duration, NaiveDate};
use common::*;
use frontdesk::audit::{AuditAction, decode};
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::retention::KeepReason;
use frontdesk::ids::RecordId;
use frontdesk::service::{GoneReason, MemberInput, MemberLookup, PackageSale, ServiceError};
use frontdesk::store::ReadAccess;

fn member(shop: &Shop, manager: &frontdesk::service::Session, name: &str) -> (RecordId, u64) {
    let detail = shop
        .service
        .create_member(
            manager,
            MemberInput {
                name: name.to_owned(),
                phone: None,
                email: None,
                birthday: NaiveDate::from_ymd_opt(1990, 1, 1),
                notes: Some("Retention test".to_owned()),
            },
        )
        .expect("member");
    (detail.id, detail.member_number)
}

#[test]
fn a_dry_run_lists_the_due_apart_from_the_kept_and_apply_anonymises_only_the_due() {
    let shop = open_shop();
    let manager = shop.manager();
    let cashier_secret = shop.add_cashier(&manager);
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let package_product = shop.package_product(&manager, wash, 5, 8000, None);
    let (idle, idle_number) = member(&shop, &manager, "Idle Ivy");
    let (with_points, _) = member(&shop, &manager, "Pointy Pat");
    let (with_package, _) = member(&shop, &manager, "Package Paula");
    shop.service
        .adjust_points(&manager, with_points, 40, "Welcome bonus")
        .expect("points");
    shop.service
        .sell_package(
            &manager,
            PackageSale {
                member: with_package,
                product: package_product,
                price_override: None,
                override_reason: None,
                payment: PaymentMethod::Card,
                tenders: Vec::new(),
            },
        )
        .expect("package");

    // Three years and a day later, one more member joins.
    shop.clock.advance(Duration::days(3 * 366 + 1));
    let manager = shop.manager();
    let (recent, _) = member(&shop, &manager, "Recent Rita");

    let report = shop.service.retention_report(&manager).expect("dry run");
    assert_eq!(report.months, 36);
    let due: Vec<RecordId> = report.due.iter().map(|c| c.member).collect();
    assert_eq!(due, vec![idle]);
    assert_eq!(report.due[0].member_number, idle_number);
    let kept: Vec<(RecordId, Vec<KeepReason>)> = report
        .kept
        .iter()
        .map(|c| (c.member, c.kept_because.clone()))
        .collect();
    assert!(kept.contains(&(with_points, vec![KeepReason::PointsBalance(40)])));
    assert!(kept.contains(&(with_package, vec![KeepReason::PackageWithWashes])));
    assert!(!kept.iter().any(|(id, _)| *id == recent));
    // A dry run changes nothing.
    assert!(shop.service.open_member(&manager, idle).is_ok());
    assert_eq!(shop.service.retention_due_count(&manager).unwrap(), 1);

    // A cashier may neither list nor apply; each refusal is audited.
    let cashier = shop.cashier(&cashier_secret);
    for refused in [
        shop.service.retention_report(&cashier).map(drop),
        shop.service.apply_retention(&cashier).map(drop),
    ] {
        assert!(
            matches!(
                refused,
                Err(ServiceError::Forbidden {
                    operation: "run_retention",
                    ..
                })
            ),
            "{refused:?}"
        );
    }

    let outcome = shop.service.apply_retention(&manager).expect("apply");
    assert_eq!(outcome.anonymised.len(), 1);
    assert_eq!(outcome.anonymised[0].reason, GoneReason::Retention);
    match shop
        .service
        .lookup_member_number(&manager, idle_number)
        .unwrap()
    {
        Some(MemberLookup::Gone(gone)) => assert_eq!(gone.reason, GoneReason::Retention),
        other => panic!("expected a tombstone, got {other:?}"),
    }
    for kept in [with_points, with_package, recent] {
        assert!(shop.service.open_member(&manager, kept).is_ok());
    }
    assert_eq!(shop.service.retention_due_count(&manager).unwrap(), 0);

    let reader = shop.service.store().read().unwrap();
    assert_eq!(
        reader.erasures().unwrap().len(),
        1,
        "in the erasure ledger too"
    );
    let entries: Vec<_> = reader
        .audit_stream()
        .unwrap()
        .map(|(_, bytes)| decode(&bytes).unwrap())
        .collect();
    let runs: Vec<_> = entries
        .iter()
        .filter(|e| e.action == AuditAction::RetentionRun)
        .filter_map(|e| e.detail.clone())
        .collect();
    assert!(
        runs.iter()
            .any(|d| d.starts_with("dry run, 36 months: 1 due, 2 kept")),
        "{runs:?}"
    );
    assert!(
        runs.iter()
            .any(|d| d.starts_with("applied, 36 months: 1 anonymised")),
        "{runs:?}"
    );
    assert!(entries.iter().any(|e| {
        e.action == AuditAction::MemberErased
            && e.detail
                .as_deref()
                .is_some_and(|d| d.starts_with("retention:"))
    }));
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.action == AuditAction::PermissionDenied
                && e.detail.as_deref() == Some("operation: run_retention"))
            .count(),
        2
    );
}

#[test]
fn a_booking_or_a_visit_counts_as_activity_and_the_period_is_a_setting() {
    let shop = open_shop();
    let manager = shop.manager();
    let (member_id, _) = member(&shop, &manager, "Booked Bella");
    assert_eq!(shop.service.retention_policy().unwrap().months, 36);
    let refused = shop.service.set_retention_months(&manager, 0).unwrap_err();
    assert!(refused.to_string().contains("1 to 240"), "{refused}");
    shop.service.set_retention_months(&manager, 12).unwrap();
    assert_eq!(shop.service.retention_policy().unwrap().months, 12);

    shop.clock.advance(Duration::days(370));
    let manager = shop.manager();
    assert_eq!(shop.service.retention_due_count(&manager).unwrap(), 1);
    let report = shop.service.retention_report(&manager).unwrap();
    assert_eq!(report.due[0].member, member_id);
    assert_eq!(report.months, 12);
}

#[test]
fn the_manager_sees_the_count_due_at_the_end_of_day() {
    use crossterm::event::KeyCode;
    use frontdesk::service::StaffPreferences;
    for (language, suffix) in [(None, "en"), (Some("zh-CN"), "zh")] {
        let shop = open_shop();
        let manager = shop.manager();
        member(&shop, &manager, "Idle Ivy");
        member(&shop, &manager, "Idle Ike");
        if let Some(language) = language {
            shop.service
                .set_my_preferences(
                    &manager,
                    StaffPreferences {
                        language: Some(language.to_owned()),
                        theme: None,
                    },
                )
                .expect("preferences");
        }
        shop.service.logout(&manager).expect("logout");
        shop.clock.advance(Duration::days(3 * 366 + 1));
        let mut desk = shop.manager_desk();
        desk.resize(80, 24);
        desk.settle();
        desk.key(KeyCode::F(8));
        desk.settle();
        let screen = desk.screen();
        insta::assert_snapshot!(format!("end_of_day_retention_80x24_{suffix}"), screen);
        if suffix == "en" {
            assert!(
                screen.contains("Retention: 2 members due for anonymisation"),
                "{screen}"
            );
        }
    }
}

#[test]
fn the_binary_lists_a_dry_run() {
    use common::binary::{INIT_ARGS, SCRIPT_PASSWORD, printed, run_frontdesk};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop");
    let init = run_frontdesk(&data, INIT_ARGS, &format!("{SCRIPT_PASSWORD}\n"));
    assert!(init.status.success(), "{}", printed(&init));
    let secret = secret_from_base32(
        printed(&init)
            .lines()
            .find(|l| l.starts_with("base32 secret:"))
            .expect("secret printed")
            .trim_start_matches("base32 secret:"),
    );
    let code = phone_code(
        &secret,
        frontdesk::clock::Clock::now(&frontdesk::clock::SystemClock),
    );
    let args = [
        "retention",
        "--user",
        "owner",
        "--password-stdin",
        "--totp",
        &code,
    ];
    let done = run_frontdesk(&data, &args, &format!("{SCRIPT_PASSWORD}\n"));
    let text = printed(&done);
    assert!(done.status.success(), "{text}");
    assert!(text.contains("Retention period: 36 months"), "{text}");
    assert!(text.contains("No member is due"), "{text}");
    let help = run_frontdesk(&data, &["retention", "--help"], "");
    assert!(printed(&help).contains("--apply"), "{}", printed(&help));
}
