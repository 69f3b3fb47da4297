//! Anomaly alerts through the service: each rule fires on its scenario (and stays quiet just
//! below it), a busy ordinary day and a demo store raise none, alerts link to the audit
//! entries behind them, and only a manager lists or acknowledges them.

mod common;
mod refund_fixture;

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use common::*;
use frontdesk::audit::{AuditAction, Origin, decode};
use frontdesk::clock::ManualClock;
use frontdesk::domain::alerts::{AlertRule, AlertThresholds};
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::money::Money;
use frontdesk::domain::refund::RefundRequest;
use frontdesk::entropy::OsEntropy;
use frontdesk::service::{
    AlertDetail, AlertView, DemoOptions, LoginRequest, PlanSale, RefundInput, SecondFactor,
    Service, ServiceError, Session,
};
use frontdesk::store::Store;
use refund_fixture::{Till, bc_till, card};
use secrecy::SecretString;

fn open_alerts(shop: &Shop, manager: &Session) -> Vec<AlertView> {
    shop.service.alerts(manager, false).expect("alerts")
}

fn rules_of(alerts: &[AlertView]) -> Vec<AlertRule> {
    alerts.iter().map(|alert| alert.rule).collect()
}

fn pay_once(till: &Till) -> frontdesk::ids::RecordId {
    till.pay(&[(till.exterior, 1)], vec![card()], None, 0).visit
}

fn failed_login(shop: &Shop, username: &str, origin: Origin) {
    let result = shop.service.login(LoginRequest {
        username: username.to_owned(),
        password: SecretString::from("not the password at all".to_owned()),
        second_factor: SecondFactor::Totp("000000".to_owned()),
        origin,
        ssh_key: None,
    });
    assert!(result.is_err());
}

fn ssh_from(ip: &str, port: u16) -> Origin {
    Origin::Ssh {
        peer: format!("{ip}:{port}"),
    }
}

#[test]
fn many_record_openings_in_ten_minutes_raise_one_alert_naming_the_staff_member() {
    let till = bc_till();
    let shop = &till.shop;
    // 29 openings in ten minutes: below the default 30.
    for _ in 0..29 {
        shop.service
            .open_member(&till.manager, till.member)
            .expect("open");
        shop.clock.advance(Duration::seconds(20));
    }
    assert!(open_alerts(shop, &till.manager).is_empty());
    // Spread out, the same count never fires: the first of them have left the window.
    shop.clock.advance(Duration::minutes(4));
    shop.service
        .open_member(&till.manager, till.member)
        .expect("open");
    assert!(open_alerts(shop, &till.manager).is_empty());
    // A burst of 30 does, once, however many more follow within the window.
    for _ in 0..40 {
        shop.service
            .open_member(&till.manager, till.member)
            .expect("open");
        shop.clock.advance(Duration::seconds(5));
    }
    let alerts = open_alerts(shop, &till.manager);
    assert_eq!(rules_of(&alerts), vec![AlertRule::RecordAccessBurst]);
    let alert = &alerts[0];
    assert_eq!(alert.username.as_deref(), Some(MANAGER));
    assert_eq!(alert.audit_seqs.len(), 30);
    // The linked entries are the openings themselves.
    let entries = shop
        .service
        .alert_entries(&till.manager, alert.number)
        .expect("entries");
    assert_eq!(entries.len(), 30);
    assert!(entries.iter().all(|e| e.action == "member.opened"));
}

#[test]
fn a_manual_points_adjustment_above_the_size_raises_an_alert() {
    let till = bc_till();
    let service = &till.shop.service;
    service
        .adjust_points(&till.manager, till.member, 1_000, "welcome gift")
        .expect("adjust");
    service
        .adjust_points(&till.manager, till.member, -900, "correction")
        .expect("adjust");
    assert!(open_alerts(&till.shop, &till.manager).is_empty());
    service
        .adjust_points(&till.manager, till.member, 5_000, "typo of a zero")
        .expect("adjust");
    let alerts = open_alerts(&till.shop, &till.manager);
    assert_eq!(rules_of(&alerts), vec![AlertRule::LargePointsAdjustment]);
    assert_eq!(alerts[0].amount, Some(5_000));
}

#[test]
fn voids_and_refunds_above_the_count_in_one_shift_raise_one_alert() {
    let till = bc_till();
    let service = &till.shop.service;
    service
        .open_shift(&till.manager, Money::from_minor(10_000))
        .expect("open drawer");
    for _ in 0..3 {
        let visit = pay_once(&till);
        service
            .void_visit(&till.manager, visit, "rang up twice")
            .expect("void");
    }
    for _ in 0..2 {
        let visit = pay_once(&till);
        service
            .refund_visit(
                &till.manager,
                RefundInput {
                    visit,
                    request: RefundRequest::Amount(Money::from_minor(500)),
                    reason: "wheels missed".to_owned(),
                    to_method: None,
                },
            )
            .expect("refund");
    }
    // Five is the default allowance per shift.
    assert!(open_alerts(&till.shop, &till.manager).is_empty());
    for _ in 0..3 {
        let visit = pay_once(&till);
        service
            .void_visit(&till.manager, visit, "rang up twice")
            .expect("void");
    }
    let alerts = open_alerts(&till.shop, &till.manager);
    assert_eq!(rules_of(&alerts), vec![AlertRule::ShiftAdjustments]);
    assert_eq!(alerts[0].count, 6);
    assert_eq!(alerts[0].audit_seqs.len(), 6);
}

#[test]
fn a_large_total_of_refunds_in_one_shift_raises_an_alert() {
    let till = bc_till();
    let service = &till.shop.service;
    // 2 × (89.50 + GST 4.48 + PST 6.27) = 200.50: above the 200.00 default.
    for _ in 0..2 {
        let visit = till.pay(&[(till.detail, 1)], vec![card()], None, 0).visit;
        assert!(open_alerts(&till.shop, &till.manager).is_empty());
        service
            .void_visit(&till.manager, visit, "wrong car")
            .expect("void");
    }
    let alerts = open_alerts(&till.shop, &till.manager);
    assert_eq!(rules_of(&alerts), vec![AlertRule::ShiftAdjustments]);
    assert_eq!(alerts[0].amount, Some(2 * 10_025));
}

#[test]
fn a_plan_sold_off_the_price_list_raises_an_alert_and_one_at_list_price_does_not() {
    let till = bc_till();
    let shop = &till.shop;
    let product = shop.plan_product(&till.manager, vec![till.exterior], 1, 3_999, 1);
    let sale = |price: Option<i64>| PlanSale {
        member: till.member,
        vehicle: till.car,
        product,
        terms: 1,
        price_override: price.map(Money::from_minor),
        override_reason: price.map(|_| "friend of the owner".to_owned()),
        payment: PaymentMethod::Card,
        tenders: Vec::new(),
    };
    shop.service
        .sell_plan(&till.manager, sale(None))
        .expect("list price");
    assert!(open_alerts(shop, &till.manager).is_empty());
    let other = till.shop.service.create_member(
        &till.manager,
        frontdesk::service::MemberInput {
            name: "Sam Lee".to_owned(),
            ..Default::default()
        },
    );
    let other = other.expect("member").id;
    let car = shop
        .service
        .add_vehicle(
            &till.manager,
            other,
            frontdesk::service::VehicleInput {
                plate: "XYZ 789".to_owned(),
                kind: frontdesk::domain::vehicle::VehicleKind::Sedan,
                make_model: None,
                colour: None,
            },
        )
        .expect("car")
        .id;
    shop.service
        .sell_plan(
            &till.manager,
            PlanSale {
                member: other,
                vehicle: car,
                ..sale(Some(1_000))
            },
        )
        .expect("off-list sale");
    let alerts = open_alerts(shop, &till.manager);
    assert_eq!(rules_of(&alerts), vec![AlertRule::OffListSale]);
    assert_eq!(alerts[0].username.as_deref(), Some(MANAGER));
}

#[test]
fn a_login_while_the_shop_is_closed_raises_an_alert_and_one_in_hours_does_not() {
    let shop = open_shop();
    // 09:00 on a Monday in Vancouver: open.
    let manager = shop.manager();
    assert!(open_alerts(&shop, &manager).is_empty());
    // 03:00 the next night: closed (08:00–19:00, an hour's grace either side).
    shop.clock.set(
        Utc.with_ymd_and_hms(2026, 11, 24, 11, 0, 0)
            .single()
            .unwrap(),
    );
    let night = shop.manager();
    let alerts = open_alerts(&shop, &night);
    assert_eq!(rules_of(&alerts), vec![AlertRule::LoginOutsideHours]);
    assert_eq!(alerts[0].username.as_deref(), Some(MANAGER));
    // Logging in again the same night adds no second alert.
    shop.clock.advance(Duration::minutes(10));
    let again = shop.manager();
    assert_eq!(open_alerts(&shop, &again).len(), 1);
}

#[test]
fn repeated_failed_logins_for_one_account_raise_an_alert() {
    let shop = open_shop();
    for _ in 0..4 {
        failed_login(&shop, MANAGER, Origin::Local);
        shop.clock.advance(Duration::minutes(1));
    }
    let manager = shop.manager();
    assert!(open_alerts(&shop, &manager).is_empty());
    failed_login(&shop, MANAGER, Origin::Local);
    let alerts = open_alerts(&shop, &manager);
    assert_eq!(rules_of(&alerts), vec![AlertRule::FailedLoginsForAccount]);
    assert_eq!(alerts[0].subject.as_deref(), Some(MANAGER));
}

#[test]
fn failed_logins_from_one_ssh_address_under_many_names_raise_an_alert() {
    let shop = open_shop();
    let names = ["admin", "root", "owner", "test", "guest"];
    for (port, name) in names.iter().take(4).enumerate() {
        failed_login(&shop, name, ssh_from("198.51.100.9", 40_000 + port as u16));
    }
    // Other addresses do not add up with it.
    failed_login(&shop, "admin", ssh_from("198.51.100.10", 40_100));
    let manager = shop.manager();
    assert!(open_alerts(&shop, &manager).is_empty());
    failed_login(&shop, names[4], ssh_from("198.51.100.9", 40_200));
    let alerts = open_alerts(&shop, &manager);
    assert_eq!(rules_of(&alerts), vec![AlertRule::FailedLoginsFromAddress]);
    assert_eq!(alerts[0].subject.as_deref(), Some("198.51.100.9"));
    assert_eq!(alerts[0].username, None);
}

#[test]
fn a_login_over_ssh_without_the_required_key_raises_an_alert() {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use russh::keys::{Algorithm, PrivateKey};
    let shop = open_shop();
    let manager = shop.manager();
    let me = shop.service.session_info(&manager).unwrap().staff_id;
    let key = PrivateKey::random(&mut ChaCha20Rng::seed_from_u64(3), Algorithm::Ed25519).unwrap();
    let line = key.public_key().to_openssh().unwrap();
    shop.service
        .add_staff_ssh_key(&manager, me, &line)
        .expect("add key");
    shop.service
        .set_staff_ssh_key_required(&manager, me, true)
        .expect("require key");
    // Over SSH with password and code right but no key.
    let refused = shop.service.login(LoginRequest {
        username: MANAGER.to_owned(),
        password: SecretString::from(MANAGER_PASSWORD.to_owned()),
        second_factor: SecondFactor::Totp(phone_code(
            &shop.manager_secret,
            shop.clock.now_for_tests(),
        )),
        origin: ssh_from("203.0.113.7", 50_022),
        ssh_key: None,
    });
    assert!(refused.is_err());
    shop.next_step();
    let alerts = open_alerts(&shop, &manager);
    assert_eq!(rules_of(&alerts), vec![AlertRule::SshKeyMissing]);
    assert_eq!(alerts[0].subject.as_deref(), Some("203.0.113.7"));
    assert_eq!(alerts[0].username.as_deref(), Some(MANAGER));
}

#[test]
fn system_alerts_carry_their_reason_and_their_own_audit_entry() {
    let shop = open_shop();
    let manager = shop.manager();
    for rule in [AlertRule::BackupOverdue, AlertRule::BackupFailed] {
        shop.service
            .raise_system_alert(rule, AlertDetail::new("folder /mnt/usb is full"))
            .expect("raise");
    }
    let refused = shop.service.raise_system_alert(
        AlertRule::RecordAccessBurst,
        AlertDetail::new("not a system rule"),
    );
    assert!(refused.is_err());
    let alerts = open_alerts(&shop, &manager);
    assert_eq!(
        rules_of(&alerts),
        vec![AlertRule::BackupFailed, AlertRule::BackupOverdue],
        "newest first"
    );
    assert_eq!(alerts[0].username, None);
    assert_eq!(
        alerts[0].subject.as_deref(),
        Some("folder /mnt/usb is full")
    );
    let entries = shop
        .service
        .alert_entries(&manager, alerts[0].number)
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "alert.raised");
    assert_eq!(entries[0].objects, vec!["backup_failed".to_owned()]);
}

#[test]
fn a_broken_audit_chain_found_by_the_check_raises_an_alert() {
    let shop = open_shop();
    let manager = shop.manager();
    let verified = shop.service.verify_audit_chain(&manager).unwrap();
    assert!(verified.problem.is_none());
    assert!(open_alerts(&shop, &manager).is_empty());
    // Someone edits entry 2 behind the application's back.
    {
        let reader = shop.service.store().read().unwrap();
        let mut stream = reader.audit_stream().unwrap();
        let (seq, bytes) = stream.nth(1).unwrap();
        drop(stream);
        drop(reader);
        let mut entry = decode(&bytes).unwrap();
        entry.detail = Some("edited".to_owned());
        let mut writer = shop.service.store().write().unwrap();
        writer
            .overwrite_audit_bytes_for_tests(seq, Some(&frontdesk::audit::encode(&entry)))
            .unwrap();
        writer.commit().unwrap();
    }
    let verified = shop.service.verify_audit_chain(&manager).unwrap();
    assert!(verified.problem.is_some());
    let alerts = open_alerts(&shop, &manager);
    assert_eq!(rules_of(&alerts), vec![AlertRule::AuditChainCheckFailed]);
}

#[test]
fn a_manager_acknowledges_with_a_note_that_is_audited_without_its_text() {
    let shop = open_shop();
    let manager = shop.manager();
    let number = shop
        .service
        .raise_system_alert(AlertRule::BackupFailed, AlertDetail::new("disk full"))
        .unwrap();
    assert_eq!(shop.service.alert_badge(&manager).unwrap().open, 1);
    let empty = shop
        .service
        .acknowledge_alert(&manager, number, "  \u{202e} ");
    assert!(matches!(empty, Err(ServiceError::InvalidInput(_))));
    let acked = shop
        .service
        .acknowledge_alert(&manager, number, "Swapped the USB stick\u{7}; next run OK")
        .expect("ack");
    let ack = acked.acknowledged.expect("acknowledged");
    assert_eq!(ack.note, "Swapped the USB stick; next run OK");
    assert_eq!(ack.username, MANAGER);
    let entry = last_audit_entry(&shop);
    assert_eq!(entry.action, AuditAction::AlertAcknowledged);
    assert_eq!(entry.objects, vec![format!("alert {number}")]);
    assert_eq!(entry.fields, vec!["note".to_owned()]);
    assert!(
        !format!("{entry:?}").contains("USB"),
        "the note stays out of the log"
    );
    assert_eq!(shop.service.alert_badge(&manager).unwrap().open, 0);
    assert!(open_alerts(&shop, &manager).is_empty());
    assert_eq!(shop.service.alerts(&manager, true).unwrap().len(), 1);
    let twice = shop.service.acknowledge_alert(&manager, number, "again");
    assert!(matches!(twice, Err(ServiceError::InvalidInput(_))));
}

fn last_audit_entry(shop: &Shop) -> frontdesk::audit::AuditEntry {
    let reader = shop.service.store().read().unwrap();
    let (_, bytes) = reader.audit_stream().unwrap().last().unwrap();
    decode(&bytes).unwrap()
}

#[test]
fn a_cashier_never_sees_or_acknowledges_alerts_and_each_refusal_is_audited() {
    let shop = open_shop();
    let manager = shop.manager();
    let number = shop
        .service
        .raise_system_alert(
            AlertRule::BackupOverdue,
            AlertDetail::new("no backup in 2 days"),
        )
        .unwrap();
    let secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&secret);
    assert_eq!(shop.service.alert_badge(&cashier), None);
    assert!(matches!(
        shop.service.alerts(&cashier, false),
        Err(ServiceError::Forbidden { .. })
    ));
    let entry = last_audit_entry(&shop);
    assert_eq!(entry.action, AuditAction::PermissionDenied);
    assert_eq!(entry.detail.as_deref(), Some("operation: view_alerts"));
    assert!(matches!(
        shop.service.acknowledge_alert(&cashier, number, "seen it"),
        Err(ServiceError::Forbidden { .. })
    ));
    let entry = last_audit_entry(&shop);
    assert_eq!(entry.action, AuditAction::PermissionDenied);
    assert_eq!(
        entry.detail.as_deref(),
        Some("operation: acknowledge_alert")
    );
    assert!(matches!(
        shop.service.alert_entries(&cashier, number),
        Err(ServiceError::Forbidden { .. })
    ));
    assert_eq!(open_alerts(&shop, &manager).len(), 1);
}

#[test]
fn thresholds_are_a_manager_setting_and_take_effect_at_once() {
    let till = bc_till();
    let service = &till.shop.service;
    let mut rules = service.alert_thresholds(&till.manager).unwrap();
    assert_eq!(rules, AlertThresholds::default());
    rules.points_adjustment = 100;
    service
        .set_alert_thresholds(&till.manager, rules.clone())
        .expect("save");
    assert_eq!(
        last_audit_entry(&till.shop).fields,
        vec!["points_adjustment".to_owned()]
    );
    service
        .adjust_points(&till.manager, till.member, 150, "goodwill")
        .unwrap();
    assert_eq!(
        rules_of(&open_alerts(&till.shop, &till.manager)),
        vec![AlertRule::LargePointsAdjustment]
    );
    rules.access_window_minutes = 0;
    assert!(service.set_alert_thresholds(&till.manager, rules).is_err());
}

/// A busy ordinary day: the manager and a cashier log in, open the drawer, serve eighty
/// customers (opening a member's record for most), void one mistaken sale, refund one wash,
/// give a few small point adjustments, sell a plan at list price, mistype a password once,
/// and close the drawer. Nothing in it is unusual, so no alert.
#[test]
fn a_busy_ordinary_day_raises_no_alert() {
    let till = bc_till();
    let shop = &till.shop;
    let service = &shop.service;
    let secret = shop.add_cashier(&till.manager);
    // 08:05 local (16:05 UTC) on a Tuesday.
    shop.clock.set(
        Utc.with_ymd_and_hms(2026, 11, 24, 16, 5, 0)
            .single()
            .unwrap(),
    );
    failed_login(shop, CASHIER, Origin::Local);
    let cashier = shop.cashier(&secret);
    let manager = shop.manager();
    service
        .open_shift(&cashier, Money::from_minor(15_000))
        .expect("drawer");
    let product = shop.plan_product(&manager, vec![till.exterior], 1, 3_999, 1);
    for customer in 0..80 {
        // A customer every four minutes, from eight till half past one.
        shop.clock.advance(Duration::minutes(4));
        service.open_member(&manager, till.member).expect("open");
        let visit = service
            .checkout(
                &cashier,
                frontdesk::service::CheckoutInput {
                    booking: None,
                    member: Some(till.member),
                    vehicle: Some(till.car),
                    lines: vec![frontdesk::service::CheckoutLine {
                        service: till.exterior,
                        quantity: 1,
                        price_override: None,
                    }],
                    discount: None,
                    adjustment_reason: None,
                    points: None,
                    payment: PaymentMethod::Card,
                    tenders: Vec::new(),
                    tip: Money::ZERO,
                },
            )
            .expect("checkout")
            .visit;
        match customer {
            10 => service
                .void_visit(&manager, visit, "rang up twice")
                .expect("void"),
            40 => {
                service
                    .refund_visit(
                        &manager,
                        RefundInput {
                            visit,
                            request: RefundRequest::Amount(Money::from_minor(1_000)),
                            reason: "missed a spot".to_owned(),
                            to_method: None,
                        },
                    )
                    .expect("refund");
            }
            20 | 50 | 70 => {
                service
                    .adjust_points(&manager, till.member, 50, "birthday")
                    .expect("adjust");
            }
            60 => {
                service
                    .sell_plan(
                        &cashier,
                        PlanSale {
                            member: till.member,
                            vehicle: till.car,
                            product,
                            terms: 1,
                            price_override: None,
                            override_reason: None,
                            payment: PaymentMethod::Card,
                            tenders: Vec::new(),
                        },
                    )
                    .expect("plan at list price");
            }
            _ => {}
        }
    }
    service
        .close_shift(&cashier, Money::from_minor(15_000), Vec::new())
        .expect("close drawer");
    assert_eq!(service.alerts(&manager, true).unwrap(), Vec::new());
    assert_eq!(service.alert_badge(&manager).unwrap().open, 0);
}

#[test]
fn a_demo_store_raises_no_alert() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("scratch");
    std::fs::create_dir(&scratch).unwrap();
    let at = Utc
        .with_ymd_and_hms(2026, 3, 10, 18, 0, 0)
        .single()
        .unwrap();
    Service::create_demo(
        Store::create(dir.path()).unwrap(),
        Arc::new(ManualClock::new(at)),
        Arc::new(OsEntropy),
        &DemoOptions {
            members: 60,
            seed: Some(5),
        },
        &scratch,
        &mut |_| {},
    )
    .unwrap();
    let store = Store::open(dir.path()).unwrap();
    use frontdesk::store::alerts::AlertReads;
    let reader = store.read().unwrap();
    assert_eq!(reader.alerts(true, 100).unwrap(), Vec::new());
    assert_eq!(reader.alert_counts().unwrap().open, 0);
}
