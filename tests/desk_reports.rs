//! The back-office side of the desk through the service layer: end-of-day takings (own vs all,
//! plan and package sales, voids, clock-change days), the audit log viewer and chain check,
//! staff preferences, password resets and re-enabling, and marketing consents.
// Amounts are written as dollars_cents (150_00 is 150.00) so they read like the till.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::*;
use frontdesk::audit::Outcome;
use frontdesk::domain::catalog::{PaymentMethod, ServiceCategory};
use frontdesk::domain::money::Money;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    AuditFilter, AuditPage, CONSENT_POLICY_VERSION, CheckoutInput, CheckoutLine, ConsentPurpose,
    MemberInput, PackageSale, PlanSale, ServiceError, ServiceInput, Session, StaffPreferences,
    VehicleInput,
};
use frontdesk::store::ReadAccess;
use secrecy::{ExposeSecret, SecretString};

struct Desk {
    shop: Shop,
    manager: Session,
    exterior: RecordId,
    full: RecordId,
}

fn desk_at(now: Option<DateTime<Utc>>) -> Desk {
    let shop = open_shop();
    if let Some(now) = now {
        shop.clock.set(now);
    }
    let manager = shop.manager();
    let service = |name: &str, minutes, price, category| {
        shop.service
            .save_service(
                &manager,
                ServiceInput {
                    id: None,
                    name: name.to_owned(),
                    category,
                    duration_minutes: minutes,
                    price: Money::from_minor(price),
                    earns_points: true,
                    active: true,
                    tax_class: Default::default(),
                },
            )
            .unwrap()
            .id
    };
    let exterior = service("Exterior wash", 30, 2000, ServiceCategory::Exterior);
    let full = service("Full service", 60, 4500, ServiceCategory::FullService);
    Desk {
        shop,
        manager,
        exterior,
        full,
    }
}

fn local_day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap()
}

impl Desk {
    fn member_with_car(&self, name: &str, plate: &str) -> (RecordId, RecordId) {
        let member = self
            .shop
            .service
            .create_member(
                &self.manager,
                MemberInput {
                    name: name.to_owned(),
                    ..MemberInput::default()
                },
            )
            .unwrap();
        let vehicle = self
            .shop
            .service
            .add_vehicle(
                &self.manager,
                member.id,
                VehicleInput {
                    plate: plate.to_owned(),
                    kind: VehicleKind::Sedan,
                    make_model: None,
                    colour: None,
                },
            )
            .unwrap();
        (member.id, vehicle.id)
    }

    fn pay(
        &self,
        session: &Session,
        member: Option<RecordId>,
        service: RecordId,
        payment: PaymentMethod,
    ) -> RecordId {
        self.shop
            .service
            .checkout(
                session,
                CheckoutInput {
                    booking: None,
                    member,
                    vehicle: None,
                    lines: vec![CheckoutLine {
                        service,
                        quantity: 1,
                        price_override: None,
                    }],
                    discount: None,
                    adjustment_reason: None,
                    points: None,
                    payment,
                    tenders: Vec::new(),
                    tip: Default::default(),
                },
            )
            .unwrap()
            .visit
    }

    /// Every audit entry matching `filter`, newest first, read page by page.
    fn all_audit(&self, session: &Session, mut filter: AuditFilter) -> Vec<u64> {
        let mut seqs = Vec::new();
        loop {
            let AuditPage {
                entries,
                next_before,
            } = self.shop.service.audit_log(session, &filter).unwrap();
            seqs.extend(entries.iter().map(|e| e.seq));
            match next_before {
                Some(before) => filter.before_seq = Some(before),
                None => return seqs,
            }
        }
    }
}

fn today() -> NaiveDate {
    // The fixtures' clock starts on Monday 2026-11-23 at 09:00 in Vancouver.
    local_day(2026, 11, 23)
}

#[test]
fn a_cashier_sees_only_their_own_takings_and_a_manager_sees_everyone_by_staff() {
    let desk = desk_at(None);
    let secret = desk.shop.add_cashier(&desk.manager);
    let cashier = desk.shop.cashier(&secret);
    let (ana, ana_car) = desk.member_with_car("Ana Souza", "ANA 100");
    let (ravi, _) = desk.member_with_car("Ravi Patel", "RAV 200");

    desk.pay(&desk.manager, None, desk.exterior, PaymentMethod::Card);
    desk.pay(&cashier, Some(ravi), desk.full, PaymentMethod::Cash);
    let voided = desk.pay(&cashier, None, desk.exterior, PaymentMethod::Card);
    desk.shop
        .service
        .void_visit(&desk.manager, voided, "rang up twice")
        .unwrap();
    let plan = desk
        .shop
        .service
        .sell_plan(
            &cashier,
            PlanSale {
                member: ana,
                vehicle: ana_car,
                product: common::plan_product(
                    &desk.shop.service,
                    &desk.manager,
                    vec![desk.exterior],
                    1,
                    3999,
                    1,
                ),
                terms: 2,
                price_override: None,
                override_reason: None,
                payment: PaymentMethod::Card,
                tenders: Vec::new(),
            },
        )
        .unwrap();
    desk.shop
        .service
        .renew_plan(&cashier, plan.plan.id, 1, PaymentMethod::Mobile)
        .unwrap();
    desk.shop
        .service
        .sell_package(
            &desk.manager,
            PackageSale {
                member: ravi,
                product: common::package_product(
                    &desk.shop.service,
                    &desk.manager,
                    desk.full,
                    5,
                    20000,
                    None,
                ),
                price_override: None,
                override_reason: None,
                payment: PaymentMethod::Cash,
                tenders: Vec::new(),
            },
        )
        .unwrap();
    // A plan is bought with money, never with points or another plan.
    let refused = desk
        .shop
        .service
        .renew_plan(&cashier, plan.plan.id, 1, PaymentMethod::Points)
        .unwrap_err();
    assert!(
        matches!(refused, ServiceError::InvalidInput(_)),
        "{refused}"
    );

    let own = desk.shop.service.takings(&cashier, today()).unwrap();
    assert_eq!(own.only_staff.as_deref(), Some(CASHIER));
    assert!(own.by_staff.is_empty(), "a cashier sees no one else's line");
    assert_eq!(own.visits, 1);
    assert_eq!(own.voided.count, 1);
    assert_eq!(own.voided.amount, Money::from_minor(2000));
    assert_eq!(own.plan_sales.count, 2, "the sale and the renewal");
    assert_eq!(own.plan_sales.amount, Money::from_minor(3 * 3999));
    assert_eq!(own.package_sales.count, 0);
    assert_eq!(own.total, Money::from_minor(4500 + 3 * 3999));
    let methods: Vec<(PaymentMethod, u32, i64)> = own
        .by_payment
        .iter()
        .map(|m| (m.method, m.count, m.amount.minor_units()))
        .collect();
    assert_eq!(
        methods,
        [
            (PaymentMethod::Cash, 1, 4500),
            (PaymentMethod::Card, 1, 2 * 3999),
            (PaymentMethod::Mobile, 1, 3999),
        ]
    );

    let all = desk.shop.service.takings(&desk.manager, today()).unwrap();
    assert_eq!(all.only_staff, None);
    assert_eq!(all.visits, 2);
    assert_eq!(all.voided.count, 1, "the void is counted apart");
    assert_eq!(
        all.total,
        Money::from_minor(2000 + 4500 + 3 * 3999 + 20000),
        "voided visit excluded, plan and package sales included"
    );
    assert_eq!(all.package_sales.count, 1);
    assert_eq!(all.package_sales.by_payment[0].method, PaymentMethod::Cash);
    let lines: Vec<(&str, u32, i64, u32)> = all
        .by_staff
        .iter()
        .map(|s| {
            (
                s.username.as_str(),
                s.visits.count,
                s.total.minor_units(),
                s.voided.count,
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (CASHIER, 1, 4500 + 3 * 3999, 1),
            (MANAGER, 1, 2000 + 20000, 0),
        ]
    );
    // Nothing from yesterday or tomorrow.
    let tomorrow = desk
        .shop
        .service
        .takings(&desk.manager, today().succ_opt().unwrap())
        .unwrap();
    assert_eq!((tomorrow.visits, tomorrow.total), (0, Money::ZERO));

    let reads = desk.all_audit(
        &desk.manager,
        AuditFilter {
            action_prefix: Some("report.takings".into()),
            ..AuditFilter::default()
        },
    );
    assert_eq!(reads.len(), 3, "every report read is audited");
}

#[test]
fn a_day_runs_from_local_midnight_to_midnight_across_both_clock_changes() {
    // Vancouver: clocks spring forward on 2026-03-08 (a 23-hour day) and fall back on
    // 2026-11-01 (a 25-hour day).
    let desk = desk_at(Some(utc(2026, 3, 7, 20, 0)));
    let pay_at = |at: DateTime<Utc>| {
        desk.shop.clock.set(at);
        let manager = desk.shop.manager();
        desk.pay(&manager, None, desk.exterior, PaymentMethod::Cash);
    };
    pay_at(utc(2026, 3, 8, 7, 59)); // 2026-03-07 23:59 PST: the day before
    pay_at(utc(2026, 3, 8, 8, 0)); // 00:00 PST: the first moment
    pay_at(utc(2026, 3, 8, 10, 0)); // 03:00 PDT, just after the gap
    pay_at(utc(2026, 3, 9, 6, 59)); // 23:59 PDT: the last minute
    pay_at(utc(2026, 3, 9, 7, 0)); // 2026-03-09 00:00 PDT: the next day
    let manager = desk.shop.manager();
    let spring = desk
        .shop
        .service
        .takings(&manager, local_day(2026, 3, 8))
        .unwrap();
    assert_eq!(spring.to - spring.from, Duration::hours(23));
    assert_eq!(spring.from, utc(2026, 3, 8, 8, 0));
    assert_eq!(spring.visits, 3);

    pay_at(utc(2026, 11, 1, 6, 59)); // 2026-10-31 23:59 PDT: the day before
    pay_at(utc(2026, 11, 1, 7, 0)); // 00:00 PDT: the first moment
    pay_at(utc(2026, 11, 1, 8, 30)); // 01:30 PDT, the first time round
    pay_at(utc(2026, 11, 1, 9, 30)); // 01:30 PST, the second time round
    pay_at(utc(2026, 11, 2, 7, 59)); // 23:59 PST: the last minute
    pay_at(utc(2026, 11, 2, 8, 0)); // 2026-11-02 00:00 PST: the next day
    let manager = desk.shop.manager();
    let fall = desk
        .shop
        .service
        .takings(&manager, local_day(2026, 11, 1))
        .unwrap();
    assert_eq!(fall.to - fall.from, Duration::hours(25));
    assert_eq!(fall.visits, 4);
    assert_eq!(fall.total, Money::from_minor(4 * 2000));
    let before = desk
        .shop
        .service
        .takings(&manager, local_day(2026, 10, 31))
        .unwrap();
    assert_eq!(before.visits, 1);
    assert_eq!(before.to - before.from, Duration::hours(24));
}

#[test]
fn the_audit_log_pages_newest_first_and_filters_by_actor_action_outcome_object_and_time() {
    let desk = desk_at(None);
    let secret = desk.shop.add_cashier(&desk.manager);
    let cashier = desk.shop.cashier(&secret);
    let (member, _) = desk.member_with_car("Lena Berg", "LEN 555");
    desk.shop
        .service
        .open_member(&desk.manager, member)
        .unwrap();
    desk.shop.clock.advance(Duration::seconds(10));
    let denied_at = desk.shop.service.now();
    assert!(matches!(
        desk.shop.service.list_staff(&cashier),
        Err(ServiceError::Forbidden { .. })
    ));
    assert!(matches!(
        desk.shop
            .service
            .audit_log(&cashier, &AuditFilter::default()),
        Err(ServiceError::Forbidden { .. })
    ));
    desk.shop.clock.advance(Duration::seconds(10));
    desk.shop.service.open_member(&cashier, member).unwrap();

    // Paging: every entry exactly once, newest first, three at a time.
    let head: u64 = desk
        .shop
        .service
        .audit_checkpoint(&desk.manager)
        .unwrap()
        .split(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let first = desk
        .shop
        .service
        .audit_log(
            &desk.manager,
            &AuditFilter {
                limit: 3,
                ..AuditFilter::default()
            },
        )
        .unwrap();
    let seqs: Vec<u64> = first.entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [head, head - 1, head - 2]);
    assert_eq!(first.next_before, Some(head - 2));
    // The first page was audited once; scrolling on is not.
    let after_first: u64 = head + 1;
    let mut filter = AuditFilter {
        limit: 3,
        before_seq: first.next_before,
        ..AuditFilter::default()
    };
    let mut all = seqs.clone();
    while let Some(page) = filter
        .before_seq
        .map(|_| desk.shop.service.audit_log(&desk.manager, &filter).unwrap())
    {
        assert!(page.entries.len() <= 3);
        all.extend(page.entries.iter().map(|e| e.seq));
        filter.before_seq = page.next_before;
    }
    assert_eq!(all, (1..=head).rev().collect::<Vec<_>>());
    let checkpoint = desk.shop.service.audit_checkpoint(&cashier).unwrap();
    assert!(checkpoint.starts_with(&format!("{after_first}:")));

    let viewed = desk.shop.service.audit_log(
        &desk.manager,
        &AuditFilter {
            action_prefix: Some("audit.".into()),
            ..AuditFilter::default()
        },
    );
    let viewed = viewed.unwrap();
    assert_eq!(viewed.entries.len(), 1, "only the first page was audited");
    assert_eq!(viewed.entries[0].action, "audit.viewed");

    let only = |filter: AuditFilter| {
        desk.shop
            .service
            .audit_log(&desk.manager, &filter)
            .unwrap()
            .entries
    };
    let members = only(AuditFilter {
        action_prefix: Some("member.".into()),
        ..AuditFilter::default()
    });
    assert!(members.len() >= 3);
    assert!(members.iter().all(|e| e.action.starts_with("member.")));

    let denied = only(AuditFilter {
        outcome: Some(Outcome::Denied),
        ..AuditFilter::default()
    });
    assert_eq!(denied.len(), 2);
    assert!(
        denied.iter().all(|e| e.actor == CASHIER
            && e.action == "permission.denied"
            && e.outcome == "denied")
    );

    let by_cashier = only(AuditFilter {
        actor: Some("CASH".into()),
        ..AuditFilter::default()
    });
    assert!(!by_cashier.is_empty());
    assert!(by_cashier.iter().all(|e| e.actor == CASHIER));

    let opened = only(AuditFilter {
        object: Some(member.to_string().to_lowercase()),
        action_prefix: Some("member.opened".into()),
        ..AuditFilter::default()
    });
    assert_eq!(
        opened.iter().map(|e| e.actor.as_str()).collect::<Vec<_>>(),
        [CASHIER, MANAGER]
    );

    let window = only(AuditFilter {
        from: Some(denied_at),
        to: Some(denied_at + Duration::seconds(1)),
        ..AuditFilter::default()
    });
    assert_eq!(window.len(), 2);
    assert!(window.iter().all(|e| e.at == denied_at));

    let backwards = desk.shop.service.audit_log(
        &desk.manager,
        &AuditFilter {
            from: Some(denied_at),
            to: Some(denied_at),
            ..AuditFilter::default()
        },
    );
    assert!(matches!(backwards, Err(ServiceError::InvalidInput(_))));
}

#[test]
fn the_chain_check_finds_an_intact_log_intact_and_a_changed_entry_changed() {
    let desk = desk_at(None);
    desk.member_with_car("Sam Hill", "SAM 001");
    let before = desk.shop.service.audit_checkpoint(&desk.manager).unwrap();
    let report = desk.shop.service.verify_audit_chain(&desk.manager).unwrap();
    assert_eq!(report.problem, None);
    assert_eq!(report.checkpoint, before);
    assert!(before.starts_with(&format!("{}:", report.entries)));
    let (count, hex) = before.split_once(':').unwrap();
    assert_eq!(hex.len(), 64);
    // The check itself is audited, after it ran.
    let after = desk.shop.service.audit_checkpoint(&desk.manager).unwrap();
    assert!(after.starts_with(&format!("{}:", count.parse::<u64>().unwrap() + 1)));

    let mut writer = desk.shop.service.store().write().unwrap();
    let (_, third) = {
        let mut found = None;
        writer
            .scan_audit(3, &mut |seq, bytes| {
                found = Some((seq, bytes.to_vec()));
                false
            })
            .unwrap();
        found.unwrap()
    };
    writer
        .overwrite_audit_bytes_for_tests(2, Some(&third))
        .unwrap();
    writer.commit().unwrap();
    let damaged = desk.shop.service.verify_audit_chain(&desk.manager).unwrap();
    assert_eq!(damaged.entries, 1);
    assert!(damaged.problem.unwrap().contains("entry"));
}

#[test]
fn preferences_are_checked_and_belong_to_their_own_account() {
    let desk = desk_at(None);
    let secret = desk.shop.add_cashier(&desk.manager);
    let cashier = desk.shop.cashier(&secret);
    assert_eq!(
        desk.shop.service.my_preferences(&cashier).unwrap().language,
        None
    );
    desk.shop
        .service
        .set_my_preferences(
            &cashier,
            StaffPreferences {
                language: Some("zh-CN".into()),
                theme: Some("high-contrast".into()),
            },
        )
        .unwrap();
    for (language, theme) in [(Some("de"), None), (None, Some("Dark Mode"))] {
        let refused = desk
            .shop
            .service
            .set_my_preferences(
                &cashier,
                StaffPreferences {
                    language: language.map(str::to_owned),
                    theme: theme.map(str::to_owned),
                },
            )
            .unwrap_err();
        assert!(
            matches!(refused, ServiceError::InvalidInput(_)),
            "{refused}"
        );
    }
    let mine = desk.shop.service.my_preferences(&cashier).unwrap();
    assert_eq!(mine.language.as_deref(), Some("zh-CN"));
    assert_eq!(mine.theme.as_deref(), Some("high-contrast"));
    assert_eq!(
        desk.shop
            .service
            .my_preferences(&desk.manager)
            .unwrap()
            .theme,
        None,
        "the manager's own preferences are untouched"
    );
}

#[test]
fn a_reset_password_works_once_and_must_be_replaced_and_a_disabled_account_can_return() {
    let desk = desk_at(None);
    let secret = desk.shop.add_cashier(&desk.manager);
    let cashier = desk.shop.cashier(&secret);
    let cashier_id = desk.shop.service.session_info(&cashier).unwrap().staff_id;
    assert!(matches!(
        desk.shop.service.reset_staff_password(&cashier, cashier_id),
        Err(ServiceError::Forbidden { .. })
    ));
    // The step-up from login lasts five minutes; both sessions are kept from idling
    // meanwhile, so only the step-up has gone stale.
    desk.shop.service.list_staff(&desk.manager).unwrap();
    desk.shop.clock.advance(Duration::minutes(4));
    desk.shop.service.list_staff(&desk.manager).unwrap();
    desk.shop.service.my_preferences(&cashier).unwrap();
    assert!(matches!(
        desk.shop
            .service
            .reset_staff_password(&desk.manager, cashier_id),
        Err(ServiceError::StepUpRequired)
    ));
    let code = phone_code(&desk.shop.manager_secret, desk.shop.clock.now_for_tests());
    desk.shop.service.step_up(&desk.manager, &code).unwrap();
    desk.shop.next_step();

    let temporary = desk
        .shop
        .service
        .reset_staff_password(&desk.manager, cashier_id)
        .unwrap();
    assert!(!format!("{temporary:?}").contains(temporary.password.expose_secret()));
    assert_eq!(temporary.password.expose_secret().len(), 23);
    assert!(matches!(
        desk.shop.service.search_members(&cashier, "Ana"),
        Err(ServiceError::SessionEnded)
    ));
    let code = phone_code(&secret, desk.shop.clock.now_for_tests());
    assert!(matches!(
        desk.shop.login(CASHIER, CASHIER_PASSWORD, &code),
        Err(ServiceError::InvalidCredentials)
    ));
    desk.shop.next_step();
    // The reset voids the old authenticator too: the cashier enrols again.
    let chosen = SecretString::from("lantern orchard pebble drift".to_owned());
    let secret = desk.shop.enrol(
        CASHIER,
        temporary.password.expose_secret(),
        chosen.expose_secret(),
    );
    assert!(matches!(
        desk.shop
            .login(CASHIER, temporary.password.expose_secret(), ""),
        Err(ServiceError::InvalidCredentials)
    ));

    // Disabled, then enabled again: the account logs in with the password it had.
    desk.shop
        .service
        .disable_staff(&desk.manager, cashier_id)
        .unwrap();
    let code = phone_code(&secret, desk.shop.clock.now_for_tests());
    assert!(
        desk.shop
            .login(CASHIER, chosen.expose_secret(), &code)
            .is_err()
    );
    desk.shop.next_step();
    desk.shop
        .service
        .enable_staff(&desk.manager, cashier_id)
        .unwrap();
    assert!(matches!(
        desk.shop.service.enable_staff(&desk.manager, cashier_id),
        Err(ServiceError::InvalidInput(_))
    ));
    let code = phone_code(&secret, desk.shop.clock.now_for_tests());
    desk.shop
        .login(CASHIER, chosen.expose_secret(), &code)
        .unwrap();
    let actions: Vec<String> = desk
        .shop
        .service
        .audit_log(
            &desk.manager,
            &AuditFilter {
                object: Some(cashier_id.to_string()),
                action_prefix: Some("staff.".into()),
                ..AuditFilter::default()
            },
        )
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.action)
        .collect();
    for wanted in ["staff.password_reset", "staff.disabled", "staff.enabled"] {
        assert!(actions.iter().any(|a| a == wanted), "{wanted}: {actions:?}");
    }
}

#[test]
fn consent_history_is_kept_and_the_latest_choice_per_purpose_wins() {
    let desk = desk_at(None);
    let secret = desk.shop.add_cashier(&desk.manager);
    let cashier = desk.shop.cashier(&secret);
    let (member, _) = desk.member_with_car("Mei Chen", "MEI 888");
    assert!(
        desk.shop
            .service
            .open_member(&desk.manager, member)
            .unwrap()
            .consents
            .is_empty()
    );
    let service = &desk.shop.service;
    service
        .set_consent(&desk.manager, member, ConsentPurpose::Marketing, true)
        .unwrap();
    service
        .set_consent(&desk.manager, member, ConsentPurpose::BirthdayOffers, true)
        .unwrap();
    desk.shop.clock.advance(Duration::minutes(1));
    let withdrawn_at = service.now();
    service
        .set_consent(&cashier, member, ConsentPurpose::Marketing, false)
        .unwrap();
    let detail = service.open_member(&cashier, member).unwrap();
    let current: Vec<(ConsentPurpose, bool, &str)> = detail
        .consents
        .iter()
        .map(|c| (c.purpose, c.granted, c.staff.as_str()))
        .collect();
    assert_eq!(
        current,
        [
            (ConsentPurpose::Marketing, false, CASHIER),
            (ConsentPurpose::BirthdayOffers, true, MANAGER),
        ]
    );
    assert_eq!(detail.consents[0].at, withdrawn_at);
    assert_eq!(detail.consents[0].policy_version, CONSENT_POLICY_VERSION);
    assert_eq!(
        service.member_consents(&cashier, member).unwrap(),
        detail.consents
    );

    let history = service.store().read().unwrap().consents(member).unwrap();
    assert_eq!(
        history.len(),
        3,
        "withdrawal appends; nothing is overwritten"
    );
    assert!(history[0].granted && !history[2].granted);

    assert!(matches!(
        service.set_consent(
            &desk.manager,
            RecordId::from_u128(12345),
            ConsentPurpose::Marketing,
            true
        ),
        Err(ServiceError::NotFound("member"))
    ));
    // The audit entry names the purpose, not the choice.
    let entries = service
        .audit_log(
            &desk.manager,
            &AuditFilter {
                action_prefix: Some("member.consent_changed".into()),
                ..AuditFilter::default()
            },
        )
        .unwrap()
        .entries;
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0].fields, ["consent.marketing"]);
    assert!(
        entries
            .iter()
            .all(|e| !format!("{e:?}").contains("granted") && !format!("{e:?}").contains("true"))
    );
}

#[test]
fn new_debug_output_reveals_no_personal_value_or_secret() {
    let desk = desk_at(None);
    let (member, _) = desk.member_with_car("Zhang Wei", "ZW 1234");
    desk.shop
        .service
        .set_consent(&desk.manager, member, ConsentPurpose::Marketing, true)
        .unwrap();
    let detail = desk
        .shop
        .service
        .open_member(&desk.manager, member)
        .unwrap();
    let shown = format!("{detail:?}");
    assert!(
        !shown.contains("Zhang") && !shown.contains("ZW 1234"),
        "{shown}"
    );
    assert!(shown.contains("Marketing"));

    desk.shop.create_cashier(&desk.manager);
    let staff = desk.shop.service.list_staff(&desk.manager).unwrap();
    let cashier_id = staff.iter().find(|s| s.username == CASHIER).unwrap().id;
    let temporary = desk
        .shop
        .service
        .reset_staff_password(&desk.manager, cashier_id)
        .unwrap();
    assert!(!format!("{temporary:?}").contains(temporary.password.expose_secret()));

    let report = desk.shop.service.takings(&desk.manager, today()).unwrap();
    let page = desk
        .shop
        .service
        .audit_log(&desk.manager, &AuditFilter::default())
        .unwrap();
    for text in [format!("{report:?}"), format!("{page:?}")] {
        assert!(!text.contains("Zhang") && !text.contains("ZW 1234"));
        assert!(!text.contains(temporary.password.expose_secret()));
        assert!(!text.contains(MANAGER_PASSWORD));
    }
}

#[test]
fn the_day_shows_tenders_taxes_by_name_tips_by_staff_cash_rounding_and_each_drawer() {
    use frontdesk::domain::tax::{TaxRate, TaxSettings};
    use frontdesk::domain::tender::TenderRequest;
    use frontdesk::store::records::TillSettings;
    let m = Money::from_minor;
    let desk = desk_at(None);
    let service = &desk.shop.service;
    service
        .update_till_settings(
            &desk.manager,
            TillSettings {
                tax: TaxSettings {
                    prices_include_tax: false,
                    taxes: vec![TaxRate::new("GST", 500), TaxRate::new("PST", 700)],
                },
                cash_unit: Some(m(5)),
                tips: true,
                ..TillSettings::default()
            },
        )
        .unwrap();
    let secret = desk.shop.add_cashier(&desk.manager);
    let cashier = desk.shop.cashier(&secret);
    service.open_shift(&cashier, m(100_00)).unwrap();
    let bill = |session: &Session, wash: RecordId, tenders: Vec<TenderRequest>, tip: i64| {
        service
            .checkout(
                session,
                CheckoutInput {
                    booking: None,
                    member: None,
                    vehicle: None,
                    lines: vec![CheckoutLine {
                        service: wash,
                        quantity: 1,
                        price_override: None,
                    }],
                    discount: None,
                    adjustment_reason: None,
                    points: None,
                    payment: PaymentMethod::Cash,
                    tenders,
                    tip: m(tip),
                },
            )
            .unwrap()
    };
    // 20.00 + GST 1.00 + PST 1.40 + a 2.00 tip = 24.40: 10.03 by card, 14.37 in cash
    // rounded down to 14.35.
    let split = bill(
        &cashier,
        desk.exterior,
        vec![
            TenderRequest {
                method: PaymentMethod::Card,
                amount: Some(m(10_03)),
                tendered: None,
            },
            TenderRequest {
                method: PaymentMethod::Cash,
                amount: None,
                tendered: Some(m(20_00)),
            },
        ],
        2_00,
    );
    assert_eq!(split.settlement.charged, m(24_38));
    // 45.00 + 2.25 + 3.15 = 50.40 in cash, by the manager (no drawer open).
    bill(&desk.manager, desk.full, Vec::new(), 0);
    let (member, _) = desk.member_with_car("Ravi Patel", "RAV 200");
    let package = service
        .sell_package(
            &cashier,
            PackageSale {
                member,
                product: common::package_product(
                    service,
                    &desk.manager,
                    desk.full,
                    5,
                    200_00,
                    None,
                ),
                price_override: None,
                override_reason: None,
                payment: PaymentMethod::Cash,
                tenders: Vec::new(),
            },
        )
        .unwrap();
    assert_eq!(package.receipt.charged, m(224_00));
    let closed = service
        .close_shift(&cashier, m(100_00 + 14_35 + 224_00), Vec::new())
        .unwrap();
    assert_eq!(closed.over_short, Some(Money::ZERO));

    let all = service.takings(&desk.manager, today()).unwrap();
    let methods: Vec<(PaymentMethod, u32, i64)> = all
        .by_payment
        .iter()
        .map(|t| (t.method, t.count, t.amount.minor_units()))
        .collect();
    assert_eq!(
        methods,
        [
            (PaymentMethod::Cash, 3, 14_35 + 50_40 + 224_00),
            (PaymentMethod::Card, 1, 10_03),
        ]
    );
    assert_eq!(all.total, m(24_38 + 50_40 + 224_00));
    assert_eq!(all.net_total, all.total, "no refunds today");
    assert_eq!(all.tips, m(2_00));
    assert_eq!(all.cash_rounding, m(-2));
    assert_eq!(all.package_sales.amount, m(224_00));
    let taxes: Vec<(&str, i64, i64)> = all
        .taxes
        .iter()
        .map(|t| {
            (
                t.name.as_str(),
                t.collected.minor_units(),
                t.net.minor_units(),
            )
        })
        .collect();
    assert_eq!(
        taxes,
        [
            ("GST", 1_00 + 2_25 + 10_00, 1_00 + 2_25 + 10_00),
            ("PST", 1_40 + 3_15 + 14_00, 1_40 + 3_15 + 14_00),
        ]
    );
    let tips: Vec<(&str, i64)> = all
        .by_staff
        .iter()
        .map(|s| (s.username.as_str(), s.tips.minor_units()))
        .collect();
    assert_eq!(tips, [(CASHIER, 2_00), (MANAGER, 0)]);
    assert_eq!(all.drawers.len(), 1);
    let drawer = &all.drawers[0];
    assert_eq!(drawer.staff, CASHIER);
    assert_eq!(
        (drawer.float, drawer.cash_sales, drawer.expected),
        (m(100_00), m(14_35 + 224_00), m(338_35))
    );
    assert_eq!(drawer.counted, Some(m(338_35)));

    let own = service.takings(&cashier, today()).unwrap();
    assert_eq!(own.total, m(24_38 + 224_00));
    assert_eq!(own.taxes[0].collected, m(1_00 + 10_00));
    assert_eq!(own.tips, m(2_00));
    assert_eq!(own.drawers.len(), 1);
}
