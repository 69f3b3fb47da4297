//! Reports through the service: over random seeded histories (checkouts by members and
//! walk-ins over several days, voids, refunds, package sales), every figure of a report equals
//! the same figure worked out naively from the stored visits and sales; the daily totals kept
//! as each was written equal ones rebuilt from scratch (what the schema 8 migration does); a
//! cashier's report is narrowed to their own takings of today; and the views are audited.

mod common;
mod refund_fixture;

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, Timelike};
use chrono_tz::Tz;
use common::{CASHIER, CASHIER_PASSWORD, ClockExt, audit_actions, phone_code};
use frontdesk::audit::AuditAction;
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::money::Money;
use frontdesk::domain::refund::RefundRequest;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    CheckoutInput, CheckoutLine, MemberInput, PackageSale, Period, RefundInput, ServiceError,
    VehicleInput,
};
use frontdesk::store::ReadAccess;
use frontdesk::store::records::{SaleKind, SaleRecord, VehicleRecord, VisitRecord};
use frontdesk::store::schema::{SALES, VEHICLES, VISITS};
use proptest::prelude::*;
use refund_fixture::{Till, bc_till};

#[derive(Debug, Clone)]
enum Step {
    /// Customer (0: walk-in, 1–3: a member), service (0–2), quantity, card or cash, tip.
    Checkout {
        customer: usize,
        service: usize,
        quantity: u32,
        by_card: bool,
        tip: i64,
    },
    Void(usize),
    Refund(usize),
    SellPackage(usize),
    /// Moves the clock on by this many minutes.
    Wait(i64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (0usize..4, 0usize..3, 1u32..3, any::<bool>(), prop_oneof![Just(0i64), Just(150i64)])
            .prop_map(|(customer, service, quantity, by_card, tip)| Step::Checkout {
                customer,
                service,
                quantity,
                by_card,
                tip,
            }),
        1 => (0usize..20).prop_map(Step::Void),
        1 => (0usize..20).prop_map(Step::Refund),
        1 => (1usize..4).prop_map(Step::SellPackage),
        2 => (10i64..2_000).prop_map(Step::Wait),
    ]
}

struct World {
    till: Till,
    members: Vec<RecordId>,
    vehicles: Vec<RecordId>,
    package: RecordId,
    visits: Vec<RecordId>,
}

fn world() -> World {
    let till = bc_till();
    let service = &till.shop.service;
    let mut members = vec![till.member];
    let mut vehicles = vec![till.car];
    for (name, plate, kind) in [
        ("Anna Lee", "KLM 456", VehicleKind::Suv),
        ("陈大文", "XYZ 789", VehicleKind::Van),
    ] {
        let member = service
            .create_member(
                &till.manager,
                MemberInput {
                    name: name.to_owned(),
                    ..MemberInput::default()
                },
            )
            .expect("member")
            .id;
        let car = service
            .add_vehicle(
                &till.manager,
                member,
                VehicleInput {
                    plate: plate.to_owned(),
                    kind,
                    make_model: None,
                    colour: None,
                },
            )
            .expect("vehicle")
            .id;
        members.push(member);
        vehicles.push(car);
    }
    let package = common::package_product(service, &till.manager, till.exterior, 5, 8000, None);
    World {
        till,
        members,
        vehicles,
        package,
        visits: Vec::new(),
    }
}

fn play(world: &mut World, steps: &[Step]) {
    let service = world.till.shop.service.clone();
    let services = [world.till.exterior, world.till.detail, world.till.vacuum];
    for step in steps {
        let manager = &world.till.manager;
        match step {
            Step::Checkout {
                customer,
                service: which,
                quantity,
                by_card,
                tip,
            } => {
                let (member, vehicle) = match customer {
                    0 => (None, None),
                    n => (Some(world.members[n - 1]), Some(world.vehicles[n - 1])),
                };
                let receipt = service
                    .checkout(
                        manager,
                        CheckoutInput {
                            booking: None,
                            member,
                            vehicle,
                            lines: vec![CheckoutLine {
                                service: services[*which],
                                quantity: *quantity,
                                price_override: None,
                            }],
                            discount: None,
                            adjustment_reason: None,
                            points: None,
                            // The whole bill by one method (nothing when a package covers it).
                            payment: if *by_card {
                                PaymentMethod::Card
                            } else {
                                PaymentMethod::Cash
                            },
                            tenders: Vec::new(),
                            tip: Money::from_minor(*tip),
                        },
                    )
                    .expect("checkout");
                world.visits.push(receipt.visit);
                // A wash takes a while: no two visits share a millisecond (and so their
                // order is the order of their time-ordered ids, as at a real counter).
                world.till.shop.clock.advance(Duration::minutes(3));
            }
            Step::Void(index) => {
                if let Some(visit) = world.visits.get(*index) {
                    // Refused for a visit already voided or refunded: the history just goes on.
                    let _ = service.void_visit(manager, *visit, "rang up twice");
                }
            }
            Step::Refund(index) => {
                if let Some(visit) = world.visits.get(*index) {
                    let _ = service.refund_visit(
                        manager,
                        RefundInput {
                            visit: *visit,
                            request: RefundRequest::Whole,
                            reason: "not happy".to_owned(),
                            to_method: None,
                        },
                    );
                }
            }
            Step::SellPackage(member) => {
                service
                    .sell_package(
                        manager,
                        PackageSale {
                            member: world.members[member - 1],
                            product: world.package,
                            price_override: None,
                            override_reason: None,
                            payment: PaymentMethod::Card,
                            tenders: Vec::new(),
                        },
                    )
                    .expect("package sale");
            }
            Step::Wait(minutes) => {
                world.till.shop.clock.advance(Duration::minutes(*minutes));
                // A session ends when idle that long: the manager logs in again.
                world.till.manager = world.till.shop.manager();
            }
        }
    }
}

/// A day's figures worked out the plain way, from the stored records.
#[derive(Debug, Default, PartialEq, Eq)]
struct Naive {
    visits: u32,
    new_members: u32,
    returning_members: u32,
    takings: i64,
    tips: i64,
    methods: BTreeMap<&'static str, i64>,
    refunds: (u32, i64),
    voided: (u32, i64),
    taxes: BTreeMap<String, i64>,
    hours: BTreeMap<u32, u32>,
    services: BTreeMap<u128, u32>,
    vehicles: BTreeMap<&'static str, u32>,
    packages: (u32, i64),
    points_earned: i64,
}

fn naive(world: &World, tz: Tz) -> BTreeMap<NaiveDate, Naive> {
    let reader = world.till.shop.service.store().read().expect("read");
    let mut visits: Vec<VisitRecord> = reader.all(VISITS, "visit").expect("visits");
    visits.sort_by_key(|v| v.id);
    let sales: Vec<SaleRecord> = reader.all(SALES, "sale").expect("sales");
    let mut days: BTreeMap<NaiveDate, Naive> = BTreeMap::new();
    let mut seen: HashMap<RecordId, ()> = HashMap::new();
    for visit in &visits {
        let date = visit.at.with_timezone(&tz).date_naive();
        let first = match visit.member {
            Some(member) => seen.insert(member, ()).is_none(),
            None => false,
        };
        for refund in &visit.refunds {
            let day = days
                .entry(refund.at.with_timezone(&tz).date_naive())
                .or_default();
            day.refunds.0 += 1;
            day.refunds.1 += refund.amount.minor_units();
            for tax in &refund.taxes {
                *day.taxes.entry(tax.name.clone()).or_default() -= tax.amount.minor_units();
            }
        }
        let day = days.entry(date).or_default();
        let charged = visit.settlement.charged.minor_units();
        if visit.voided.is_some() {
            day.voided.0 += 1;
            day.voided.1 += charged;
            continue;
        }
        day.visits += 1;
        match (visit.member, first) {
            (None, _) => {}
            (Some(_), true) => day.new_members += 1,
            (Some(_), false) => day.returning_members += 1,
        }
        day.takings += charged;
        day.tips += visit.settlement.tip.minor_units();
        for tender in &visit.settlement.tenders {
            *day.methods.entry(tender.method.as_str()).or_default() += tender.amount.minor_units();
        }
        for tax in &visit.priced.tax.taxes {
            *day.taxes.entry(tax.name.clone()).or_default() += tax.amount.minor_units();
        }
        *day.hours
            .entry(visit.at.with_timezone(&tz).hour())
            .or_default() += 1;
        for line in &visit.priced.lines {
            *day.services.entry(line.service_id.as_u128()).or_default() += line.quantity;
        }
        if let Some(vehicle) = visit.vehicle {
            let record: VehicleRecord = reader
                .get(VEHICLES, vehicle, "vehicle")
                .expect("read")
                .expect("vehicle");
            *day.vehicles.entry(record.kind.as_str()).or_default() += 1;
        }
        day.points_earned += visit.points_earned;
    }
    for sale in &sales {
        let day = days
            .entry(sale.at.with_timezone(&tz).date_naive())
            .or_default();
        let charged = sale.settlement.charged.minor_units();
        day.takings += charged;
        for tender in &sale.settlement.tenders {
            *day.methods.entry(tender.method.as_str()).or_default() += tender.amount.minor_units();
        }
        for tax in &sale.tax.taxes {
            *day.taxes.entry(tax.name.clone()).or_default() += tax.amount.minor_units();
        }
        if matches!(sale.kind, SaleKind::PackageSold { .. }) {
            day.packages.0 += 1;
            day.packages.1 += charged;
        }
    }
    days
}

/// The same figures read from a report over `period`.
fn reported(world: &World, period: Period) -> Naive {
    let report = world
        .till
        .shop
        .service
        .range_report(&world.till.manager, period)
        .expect("report");
    let t = &report.figures.totals;
    let mut hours = BTreeMap::new();
    for (hour, count) in t.hours.iter().enumerate() {
        if *count > 0 {
            hours.insert(u32::try_from(hour).unwrap(), *count);
        }
    }
    // The hour-of-week grid adds up to the same hours.
    let grid: u32 = report.figures.hour_of_week.iter().flatten().sum();
    assert_eq!(grid, t.visits);
    let per_day: u32 = report.figures.per_day.iter().map(|(_, v, _)| *v).sum();
    assert_eq!(per_day, t.visits);
    Naive {
        visits: t.visits,
        new_members: t.new_members,
        returning_members: t.returning_members,
        takings: t.takings,
        tips: t.tips,
        methods: t
            .methods
            .iter()
            .filter(|m| m.amount != 0)
            .map(|m| (m.method.unwrap().as_str(), m.amount))
            .collect(),
        refunds: (t.refunds.count, t.refunds.amount),
        voided: (t.voided.count, t.voided.amount),
        taxes: t
            .taxes
            .iter()
            .map(|x| (x.name.clone(), x.collected - x.refunded))
            .filter(|(_, v)| *v != 0)
            .collect(),
        hours,
        services: t.services.iter().map(|s| (s.service, s.quantity)).collect(),
        vehicles: t.vehicles.iter().map(|(k, n)| (k.as_str(), *n)).collect(),
        packages: (t.packages_sold.count, t.packages_sold.amount),
        points_earned: t.points_earned,
    }
}

/// Several naive days added into one.
fn add_up<'a>(days: impl Iterator<Item = &'a Naive>) -> Naive {
    let mut sum = Naive::default();
    for day in days {
        sum.visits += day.visits;
        sum.new_members += day.new_members;
        sum.returning_members += day.returning_members;
        sum.takings += day.takings;
        sum.tips += day.tips;
        for (k, v) in &day.methods {
            *sum.methods.entry(k).or_default() += v;
        }
        sum.refunds.0 += day.refunds.0;
        sum.refunds.1 += day.refunds.1;
        sum.voided.0 += day.voided.0;
        sum.voided.1 += day.voided.1;
        for (k, v) in &day.taxes {
            *sum.taxes.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &day.hours {
            *sum.hours.entry(*k).or_default() += v;
        }
        for (k, v) in &day.services {
            *sum.services.entry(*k).or_default() += v;
        }
        for (k, v) in &day.vehicles {
            *sum.vehicles.entry(k).or_default() += v;
        }
        sum.packages.0 += day.packages.0;
        sum.packages.1 += day.packages.1;
        sum.points_earned += day.points_earned;
    }
    sum.methods.retain(|_, v| *v != 0);
    sum.taxes.retain(|_, v| *v != 0);
    sum
}

fn shop_zone() -> Tz {
    "America/Vancouver".parse().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn every_figure_equals_the_stored_visits_added_up_naively(
        steps in prop::collection::vec(step(), 5..30)
    ) {
        let mut world = world();
        play(&mut world, &steps);
        let tz = shop_zone();
        let days = naive(&world, tz);
        let (Some(first), Some(last)) = (days.keys().next().copied(), days.keys().last().copied())
        else {
            return Ok(());
        };
        // The whole history as one range, and each day alone.
        let whole = Period::custom(first, last).unwrap();
        prop_assert_eq!(reported(&world, whole), add_up(days.values()));
        for (date, day) in &days {
            prop_assert_eq!(&reported(&world, Period::day(*date)), &add_up(std::iter::once(day)));
        }
        // The comparison reads the period just before: here nothing.
        let report = world.till.shop.service.range_report(&world.till.manager, whole).unwrap();
        prop_assert_eq!(report.previous_summary.unwrap().visits, 0);

        // What each write added equals what a rebuild from the records gives.
        let kept = world.till.shop.service.stored_report_days().unwrap();
        let mut writer = world.till.shop.service.store().write().unwrap();
        writer.rebuild_daily_totals().unwrap();
        writer.commit().unwrap();
        let rebuilt = world.till.shop.service.stored_report_days().unwrap();
        let normal = |rows: Vec<(NaiveDate, frontdesk::service::DayTotals)>| -> Vec<_> {
            rows.into_iter()
                .map(|(d, t)| (d, t.normalised()))
                .filter(|(_, t)| !t.is_empty())
                .collect()
        };
        prop_assert_eq!(normal(kept), normal(rebuilt));
    }
}

#[test]
fn a_cashier_sees_only_their_own_takings_of_today() {
    let mut world = world();
    let secret = world.till.shop.add_cashier(&world.till.manager);
    // The manager takes two visits, the cashier one.
    play(
        &mut world,
        &[
            Step::Checkout {
                customer: 1,
                service: 0,
                quantity: 1,
                by_card: true,
                tip: 0,
            },
            Step::Checkout {
                customer: 0,
                service: 1,
                quantity: 1,
                by_card: false,
                tip: 0,
            },
        ],
    );
    let code = phone_code(&secret, world.till.shop.clock.now_for_tests());
    let cashier = world
        .till
        .shop
        .login(CASHIER, CASHIER_PASSWORD, &code)
        .expect("cashier login");
    world.till.shop.next_step();
    let service = world.till.shop.service.clone();
    service
        .checkout(
            &cashier,
            CheckoutInput {
                booking: None,
                member: None,
                vehicle: None,
                lines: vec![CheckoutLine {
                    service: world.till.vacuum,
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
        .expect("cashier checkout");
    let tz = shop_zone();
    let today = world
        .till
        .shop
        .clock
        .now_for_tests()
        .with_timezone(&tz)
        .date_naive();
    let asked = Period::month(today).unwrap();
    let own = service
        .range_report(&cashier, asked)
        .expect("cashier report");
    assert_eq!(own.period, Period::day(today), "narrowed to today");
    assert_eq!(own.asked, Some(asked));
    assert_eq!(own.only_staff.as_deref(), Some(CASHIER));
    assert_eq!(own.figures.totals.visits, 1);
    assert_eq!(own.figures.totals.takings, 1250);
    assert!(own.members.is_none(), "no figures about all members");
    let all = service
        .range_report(&world.till.manager, asked)
        .expect("manager report");
    assert_eq!(all.figures.totals.visits, 3);
    assert!(all.members.is_some());
    assert_eq!(last_report_action(&world), AuditAction::ReportViewed);
    // Exporting is the manager's: refused and audited for the cashier.
    let path = world.till.shop.dir.path().join("own.csv");
    let refused = service.export_report(
        &cashier,
        &own,
        frontdesk::service::ReportName::Takings,
        &path,
        frontdesk::private_file::Existing::Refuse,
    );
    assert!(matches!(refused, Err(ServiceError::Forbidden { .. })));
    assert!(!path.exists());
    assert_eq!(last_report_action(&world), AuditAction::PermissionDenied);
}

fn last_report_action(world: &World) -> AuditAction {
    *audit_actions(world.till.shop.service.store())
        .last()
        .expect("an audit entry")
}

#[test]
fn a_managers_export_is_a_private_csv_with_inert_cells_and_is_audited() {
    let mut world = world();
    play(
        &mut world,
        &[Step::Checkout {
            customer: 2,
            service: 0,
            quantity: 2,
            by_card: true,
            tip: 150,
        }],
    );
    let service = world.till.shop.service.clone();
    let tz = shop_zone();
    let today = world
        .till
        .shop
        .clock
        .now_for_tests()
        .with_timezone(&tz)
        .date_naive();
    let report = service
        .range_report(&world.till.manager, Period::week(today).unwrap())
        .unwrap();
    let path = world.till.shop.dir.path().join("takings.csv");
    service
        .export_report(
            &world.till.manager,
            &report,
            frontdesk::service::ReportName::Takings,
            &path,
            frontdesk::private_file::Existing::Refuse,
        )
        .expect("export");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("Payment,Count,Amount\n"), "{text}");
    assert!(text.contains("card,1,"), "{text}");
    // A negative amount is neutralised, like every cell that could start a formula.
    assert!(
        !text
            .lines()
            .any(|l| l.split(',').any(|c| c.starts_with('-'))),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert_eq!(last_report_action(&world), AuditAction::ReportExported);
    // Never over an existing file without being asked.
    let again = service.export_report(
        &world.till.manager,
        &report,
        frontdesk::service::ReportName::Takings,
        &path,
        frontdesk::private_file::Existing::Refuse,
    );
    assert!(again.is_err());
}

#[test]
fn opening_a_schema_7_store_builds_the_daily_totals_from_its_visits() {
    if common::pg::shop_on_postgres() {
        eprintln!(
            "skipped: this test rewrites a store file as schema 7, and this run's shops are on PostgreSQL"
        );
        return;
    }
    let mut world = world();
    play(
        &mut world,
        &[
            Step::Checkout {
                customer: 1,
                service: 0,
                quantity: 1,
                by_card: true,
                tip: 0,
            },
            Step::Wait(1_500),
            Step::Checkout {
                customer: 1,
                service: 1,
                quantity: 1,
                by_card: false,
                tip: 150,
            },
            Step::Refund(1),
            Step::SellPackage(2),
            Step::Checkout {
                customer: 0,
                service: 2,
                quantity: 2,
                by_card: true,
                tip: 0,
            },
            Step::Void(2),
        ],
    );
    let kept = world.till.shop.service.stored_report_days().unwrap();
    assert!(kept.len() >= 2);
    let World { till, .. } = world;
    let Till { shop, .. } = till;
    let common::Shop {
        dir,
        service,
        clock,
        ..
    } = shop;
    drop(service);
    // Make the file look like schema 7: no daily totals, version 7.
    {
        let db = redb::Database::open(frontdesk::store::Store::file_in(dir.path())).unwrap();
        let tx = db.begin_write().unwrap();
        tx.delete_table(frontdesk::store::schema::DAILY_TOTALS)
            .unwrap();
        tx.open_table(frontdesk::store::schema::META)
            .unwrap()
            .insert(
                frontdesk::store::schema::META_SCHEMA_VERSION,
                7u32.to_le_bytes().as_slice(),
            )
            .unwrap();
        tx.commit().unwrap();
    }
    let store = frontdesk::store::Store::open(dir.path()).expect("migrated");
    let service = frontdesk::service::Service::new(
        store,
        clock,
        std::sync::Arc::new(frontdesk::entropy::SeededEntropy::new(7)),
    );
    let normal = |rows: Vec<(NaiveDate, frontdesk::service::DayTotals)>| -> Vec<_> {
        rows.into_iter().map(|(d, t)| (d, t.normalised())).collect()
    };
    assert_eq!(normal(service.stored_report_days().unwrap()), normal(kept));
}

#[test]
fn the_command_line_prints_a_report_and_writes_it_as_csv() {
    let mut world = world();
    play(
        &mut world,
        &[
            Step::Checkout {
                customer: 1,
                service: 0,
                quantity: 1,
                by_card: true,
                tip: 0,
            },
            Step::Checkout {
                customer: 0,
                service: 2,
                quantity: 1,
                by_card: false,
                tip: 0,
            },
        ],
    );
    let tz = shop_zone();
    let today = world
        .till
        .shop
        .clock
        .now_for_tests()
        .with_timezone(&tz)
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let World { till, .. } = world;
    let Till { shop, .. } = till;
    let common::Shop {
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
    let shown = run(
        &["report", "services", "--from", &today, "--to", &today],
        &manager_recovery_codes[0],
    );
    let text = common::binary::printed(&shown);
    assert!(shown.status.success(), "{text}");
    let out = String::from_utf8_lossy(&shown.stdout);
    assert!(out.contains("Exterior wash"), "{out}");
    assert!(out.contains("Vacuum"), "{out}");

    let csv = dir.path().join("visits.csv");
    let csv_text = csv.display().to_string();
    let written = run(
        &[
            "report", "visits", "--from", &today, "--to", &today, "--csv", &csv_text,
        ],
        &manager_recovery_codes[1],
    );
    assert!(
        written.status.success(),
        "{}",
        common::binary::printed(&written)
    );
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(rows.lines().next(), Some("Date,Visits,Takings"));
    assert!(rows.contains(&format!("{today},2,")), "{rows}");

    // An unknown report is one clear sentence and a failure.
    let wrong = run(
        &["report", "profits", "--from", &today, "--to", &today],
        &manager_recovery_codes[2],
    );
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("there is no report called `profits`"),
        "{}",
        common::binary::printed(&wrong)
    );
}
