//! Two records of one person folded into one (SPEC section 8, correction): the survivor gets
//! everything the other had, balances still equal ledgers, lots keep their expiry dates, the
//! other number leads to the survivor; a cashier is refused in the service and audited; the
//! command line does the same.

mod common;

use chrono::{Duration, NaiveDateTime};
use common::binary::{printed, run_frontdesk};
use common::*;
use frontdesk::audit::{AuditAction, Outcome, decode};
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::member_merge::{ProfileChoice, ProfileField, Side};
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::service::integrity::verify_store;
use frontdesk::service::{
    BookingRequest, CheckoutInput, CheckoutLine, ConsentPurpose, LocalStart, MemberInput,
    MemberLookup, PackageSale, PlanSale, ServiceError, Session, VehicleInput,
};

struct Record {
    id: RecordId,
    number: u64,
}

struct Fixture {
    shop: Shop,
    manager: Session,
    cashier_secret: Vec<u8>,
    kept: Record,
    absorbed: Record,
}

fn at(text: &str) -> LocalStart {
    LocalStart {
        local: NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("time"),
        fold: None,
    }
}

/// One person registered twice: once with a phone and the family car, once (a year later)
/// with an email, the same car and a second one. Each record has a visit with points, a
/// manual adjustment, a plan, a package, a booking and a consent.
fn fixture() -> Fixture {
    let shop = open_shop();
    let manager = shop.manager();
    let cashier_secret = shop.add_cashier(&manager);
    let service = &shop.service;
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let plan_product = shop.plan_product(&manager, vec![wash], 1, 3900, 1);
    let package_product = shop.package_product(&manager, wash, 5, 8000, Some(12));
    let records = [
        (
            MemberInput {
                name: "Chen Wei".to_owned(),
                phone: Some("604-555-0188".to_owned()),
                email: None,
                birthday: None,
                notes: Some("Prefers bay 1".to_owned()),
            },
            vec!["KXR 481"],
            ("2026-11-23 10:00", "2026-12-07 10:00"),
            ConsentPurpose::Marketing,
        ),
        (
            MemberInput {
                name: "Wei Chen".to_owned(),
                phone: None,
                email: Some("chen.wei@example.org".to_owned()),
                birthday: chrono::NaiveDate::from_ymd_opt(1980, 5, 4),
                notes: None,
            },
            vec!["KXR 481", "BQZ 902"],
            ("2026-11-23 11:00", "2026-12-08 10:00"),
            ConsentPurpose::BirthdayOffers,
        ),
    ];
    let mut made = Vec::new();
    for (input, plates, (today, future), purpose) in records {
        let detail = service.create_member(&manager, input).expect("member");
        let mut vehicles = Vec::new();
        for plate in plates {
            vehicles.push(
                service
                    .add_vehicle_with(
                        &manager,
                        detail.id,
                        VehicleInput {
                            plate: plate.to_owned(),
                            kind: VehicleKind::Sedan,
                            make_model: None,
                            colour: None,
                        },
                        frontdesk::service::OnDuplicate::SaveAnyway,
                    )
                    .expect("vehicle")
                    .id,
            );
        }
        let book = |when: &str, vehicle: RecordId| {
            service
                .create_booking(
                    &manager,
                    BookingRequest {
                        member: Some(detail.id),
                        vehicle: Some(vehicle),
                        service: wash,
                        bay: None,
                        start: at(when),
                    },
                )
                .expect("booking")
                .id
        };
        let visit_booking = book(today, vehicles[0]);
        book(future, *vehicles.last().expect("a vehicle"));
        service.check_in(&manager, visit_booking).expect("check in");
        service
            .checkout(
                &manager,
                CheckoutInput {
                    booking: Some(visit_booking),
                    member: None,
                    vehicle: None,
                    lines: Vec::<CheckoutLine>::new(),
                    discount: None,
                    adjustment_reason: None,
                    points: None,
                    payment: PaymentMethod::Card,
                    tenders: Vec::new(),
                    tip: Default::default(),
                },
            )
            .expect("checkout");
        service
            .adjust_points(&manager, detail.id, 40, "Welcome bonus")
            .expect("points");
        service
            .sell_plan(
                &manager,
                PlanSale {
                    member: detail.id,
                    vehicle: *vehicles.last().expect("a vehicle"),
                    product: plan_product,
                    terms: 1,
                    price_override: None,
                    override_reason: None,
                    payment: PaymentMethod::Card,
                    tenders: Vec::new(),
                },
            )
            .expect("plan");
        service
            .sell_package(
                &manager,
                PackageSale {
                    member: detail.id,
                    product: package_product,
                    price_override: None,
                    override_reason: None,
                    payment: PaymentMethod::Cash,
                    tenders: Vec::new(),
                },
            )
            .expect("package");
        service
            .set_consent(&manager, detail.id, purpose, true)
            .expect("consent");
        made.push(Record {
            id: detail.id,
            number: detail.member_number,
        });
        shop.clock.advance(Duration::minutes(1));
    }
    let absorbed = made.pop().expect("second");
    let kept = made.pop().expect("first");
    Fixture {
        shop,
        manager,
        cashier_secret,
        kept,
        absorbed,
    }
}

/// What the desk can see of one member, counted.
#[derive(Debug, PartialEq, Eq)]
struct Holdings {
    visits: usize,
    bookings: usize,
    plans: usize,
    packages: usize,
    ledger: usize,
    balance: i64,
    consents: usize,
}

fn holdings(fixture: &Fixture, member: RecordId) -> Holdings {
    let service = &fixture.shop.service;
    let manager = &fixture.manager;
    let points = service.member_points(manager, member).expect("points");
    let (plans, packages) = service.member_plans(manager, member).expect("plans");
    Holdings {
        visits: service
            .member_visits(manager, member)
            .expect("visits")
            .len(),
        bookings: service
            .member_bookings(manager, member)
            .expect("bookings")
            .len(),
        plans: plans.len(),
        packages: packages.len(),
        ledger: points.entries.len(),
        balance: points.balance,
        consents: service
            .member_consents(manager, member)
            .expect("consents")
            .iter()
            .filter(|consent| consent.granted)
            .count(),
    }
}

fn step_up(fixture: &Fixture) {
    fixture.shop.next_step();
    let code = phone_code(
        &fixture.shop.manager_secret,
        fixture.shop.clock.now_for_tests(),
    );
    fixture
        .shop
        .service
        .step_up(&fixture.manager, &code)
        .expect("step up");
}

#[test]
fn the_survivor_gets_everything_and_balances_still_equal_ledgers() {
    let fixture = fixture();
    let service = &fixture.shop.service;
    let before_kept = holdings(&fixture, fixture.kept.id);
    let before_absorbed = holdings(&fixture, fixture.absorbed.id);
    assert!(before_kept.balance > 0 && before_absorbed.balance > 0);
    let absorbed_lots = service
        .member_points(&fixture.manager, fixture.absorbed.id)
        .expect("points")
        .lots;

    let preview = service
        .merge_preview(&fixture.manager, fixture.kept.id, fixture.absorbed.id)
        .expect("preview");
    assert_eq!(preview.suggested.name, Side::Kept);
    assert_eq!(preview.suggested.email, Side::Absorbed, "a gap is filled");
    assert_eq!(preview.suggested.birthday, Side::Absorbed);
    assert_eq!(preview.suggested.phone, Side::Kept);
    assert!(
        !format!("{preview:?}").contains("Chen Wei"),
        "Debug hides names"
    );
    let mut choice = preview.suggested;
    choice.set(ProfileField::Name, Side::Absorbed);

    let receipt = service
        .merge_members(
            &fixture.manager,
            fixture.kept.id,
            fixture.absorbed.id,
            choice,
        )
        .expect("merge");
    assert_eq!(receipt.vehicles_joined, 1, "KXR 481 was on both");
    assert_eq!(receipt.vehicles_moved, 1);

    let after = holdings(&fixture, fixture.kept.id);
    assert_eq!(after.visits, before_kept.visits + before_absorbed.visits);
    assert_eq!(
        after.bookings,
        before_kept.bookings + before_absorbed.bookings
    );
    assert_eq!(after.plans, before_kept.plans + before_absorbed.plans);
    assert_eq!(
        after.packages,
        before_kept.packages + before_absorbed.packages
    );
    assert_eq!(after.ledger, before_kept.ledger + before_absorbed.ledger);
    assert_eq!(after.balance, before_kept.balance + before_absorbed.balance);
    assert_eq!(after.consents, 2, "both purposes granted");
    assert_eq!(receipt.points_balance, after.balance);
    let lots = service
        .member_points(&fixture.manager, fixture.kept.id)
        .expect("points")
        .lots;
    for lot in absorbed_lots {
        assert!(lots.contains(&lot), "lot {lot:?} kept with its expiry");
    }

    // The profile as picked: the other name, the kept phone, the other email and birthday.
    let detail = service
        .open_member(&fixture.manager, fixture.kept.id)
        .expect("open");
    assert_eq!(detail.name.as_str(), "Wei Chen");
    assert!(detail.phone.is_some() && detail.email.is_some() && detail.birthday.is_some());
    assert_eq!(detail.vehicles.len(), 2);

    // Searches lead to the survivor only; the absorbed number names where it went.
    for query in ["chen.wei@example.org", "BQZ902", "KXR481", "0188"] {
        let found = service
            .search_members(&fixture.manager, query)
            .expect("search");
        let ids: Vec<RecordId> = found.members.iter().map(|m| m.id).collect();
        assert_eq!(ids, vec![fixture.kept.id], "{query}");
    }
    match service
        .lookup_member_number(&fixture.manager, fixture.absorbed.number)
        .expect("lookup")
    {
        Some(MemberLookup::Gone(gone)) => assert!(
            matches!(gone.reason, frontdesk::service::GoneReason::MergedInto { survivor_number: Some(n), .. } if n == fixture.kept.number)
        ),
        other => panic!("expected a tombstone, got {other:?}"),
    }
    assert!(matches!(
        service.open_member(&fixture.manager, fixture.absorbed.id),
        Err(ServiceError::NotFound(_))
    ));
    let again = service.merge_members(
        &fixture.manager,
        fixture.kept.id,
        fixture.absorbed.id,
        ProfileChoice::default(),
    );
    assert!(
        again
            .as_ref()
            .is_err_and(|err| err.to_string().contains("merged into")),
        "{again:?}"
    );

    // The audit entry names ids and fields, never values.
    let entry = {
        let reader = service.store().read().expect("read");
        reader
            .audit_stream()
            .expect("audit")
            .map(|(_, bytes)| decode(&bytes).expect("entry"))
            .filter(|entry| entry.action == AuditAction::MemberMerged)
            .last()
            .expect("a merge entry")
    };
    assert!(entry.objects.contains(&fixture.absorbed.id.to_string()));
    assert_eq!(entry.fields, vec!["name", "email", "birthday"]);
    assert!(!format!("{entry:?}").contains("Wei Chen"));

    // Every invariant of the file still holds.
    let Fixture { shop, .. } = fixture;
    let Shop {
        dir,
        service,
        database,
        ..
    } = shop;
    drop(service);
    let mut store = reopen_store(dir.path(), database.as_ref());
    let report = verify_store(&mut store, None).expect("verify");
    assert!(report.is_ok(), "{:?}", report.lines());
}

#[test]
fn a_cashier_is_refused_in_the_service_and_the_refusal_is_audited() {
    let fixture = fixture();
    let service = &fixture.shop.service;
    let cashier = fixture.shop.cashier(&fixture.cashier_secret);
    let preview = service.merge_preview(&cashier, fixture.kept.id, fixture.absorbed.id);
    assert!(
        matches!(preview, Err(ServiceError::Forbidden { .. })),
        "{preview:?}"
    );
    let merge = service.merge_members(
        &cashier,
        fixture.kept.id,
        fixture.absorbed.id,
        ProfileChoice::default(),
    );
    assert!(
        matches!(merge, Err(ServiceError::Forbidden { .. })),
        "{merge:?}"
    );
    let reader = service.store().read().expect("read");
    let denied: Vec<_> = reader
        .audit_stream()
        .expect("audit")
        .map(|(_, bytes)| decode(&bytes).expect("entry"))
        .filter(|entry| entry.outcome == Outcome::Denied)
        .collect();
    assert!(denied.len() >= 2, "{denied:?}");
    drop(reader);
    assert!(
        service
            .open_member(&fixture.manager, fixture.absorbed.id)
            .is_ok()
    );
}

#[test]
fn a_manager_needs_a_fresh_code() {
    let fixture = fixture();
    let service = &fixture.shop.service;
    for _ in 0..3 {
        fixture.shop.clock.advance(Duration::minutes(2));
        service
            .member_points(&fixture.manager, fixture.kept.id)
            .expect("still logged in");
    }
    let refused = service.merge_members(
        &fixture.manager,
        fixture.kept.id,
        fixture.absorbed.id,
        ProfileChoice::default(),
    );
    assert!(
        matches!(refused, Err(ServiceError::StepUpRequired)),
        "{refused:?}"
    );
    step_up(&fixture);
    service
        .merge_members(
            &fixture.manager,
            fixture.kept.id,
            fixture.absorbed.id,
            ProfileChoice::default(),
        )
        .expect("merge after a fresh code");
}

#[test]
fn the_command_line_merges_and_prints_no_personal_value() {
    let fixture = fixture();
    let kept = fixture.kept.number.to_string();
    let absorbed = fixture.absorbed.number.to_string();
    let Fixture { shop, .. } = fixture;
    let Shop {
        dir,
        service,
        manager_recovery_codes: codes,
        ..
    } = shop;
    drop(service);
    let run = |code: &str, extra: &[&str]| {
        let mut all = vec!["merge", "--keep", &kept, "--absorb", &absorbed];
        all.extend_from_slice(extra);
        all.extend(["--user", MANAGER, "--password-stdin", "--totp", code]);
        run_frontdesk(dir.path(), &all, &format!("{MANAGER_PASSWORD}\n"))
    };
    let wrong = run(&codes[0], &["--from-absorbed", "address", "--yes"]);
    assert!(!wrong.status.success());
    assert!(
        printed(&wrong).contains("not a profile field"),
        "{}",
        printed(&wrong)
    );

    let done = run(&codes[0], &["--from-absorbed", "name,email", "--yes"]);
    let said = printed(&done);
    assert!(done.status.success(), "{said}");
    assert!(
        said.contains(&format!("Merged member {absorbed} into member {kept}")),
        "{said}"
    );
    for value in [
        "Chen Wei",
        "Wei Chen",
        "chen.wei@example.org",
        "5550188",
        "KXR",
    ] {
        assert!(!said.contains(value), "{value} printed: {said}");
    }
    let again = run(&codes[1], &["--yes"]);
    assert!(!again.status.success());
    assert!(
        printed(&again).contains("merged into"),
        "{}",
        printed(&again)
    );
}

#[test]
fn two_managers_merging_the_pair_both_ways_at_once_leave_one_member() {
    let fixture = fixture();
    let service = &fixture.shop.service;
    let (a, b) = (fixture.kept.id, fixture.absorbed.id);
    let barrier = std::sync::Barrier::new(2);
    let results: Vec<Result<_, ServiceError>> = std::thread::scope(|scope| {
        let one = scope.spawn(|| {
            barrier.wait();
            service.merge_members(&fixture.manager, a, b, ProfileChoice::default())
        });
        let other = scope.spawn(|| {
            barrier.wait();
            service.merge_members(&fixture.manager, b, a, ProfileChoice::default())
        });
        vec![one.join().expect("thread"), other.join().expect("thread")]
    });
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let survivor = results
        .iter()
        .find_map(|r| r.as_ref().ok())
        .expect("one merge")
        .kept;
    let total = holdings(&fixture, survivor);
    assert_eq!(total.visits, 2);
    let Fixture { shop, .. } = fixture;
    let Shop {
        dir,
        service,
        database,
        ..
    } = shop;
    drop(service);
    let mut store = reopen_store(dir.path(), database.as_ref());
    let report = verify_store(&mut store, None).expect("verify");
    assert!(report.is_ok(), "{:?}", report.lines());
}
