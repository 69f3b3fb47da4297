//! A chain of shops on one PostgreSQL database: two processes (each a `Service` on its own
//! connection pool, as two sites' `frontdesk serve` are) writing at once, change news between
//! them, what a dump of the database shows, moving a store file up, and backups from and
//! into PostgreSQL. Each test reports itself skipped when no server is configured
//! (`FRONTDESK_TEST_POSTGRES`, which `.ci/run` sets).
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use common::pg::TestDatabase;
use common::*;
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::entropy::SeededEntropy;
use frontdesk::ids::RecordId;
use frontdesk::service::integrity::verify_store;
use frontdesk::service::{
    BayInput, CheckoutInput, CheckoutLine, LoginRequest, MemberInput, SecondFactor, Service,
    Session, VehicleInput,
};
use frontdesk::store::Store;
use secrecy::SecretString;

/// The usual shop, created on a fresh database.
fn shop_on(database: &TestDatabase) -> Shop {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::create_postgres(&database.address, dir.path()).expect("create store");
    open_shop_on(dir, store)
}

/// A second process on the same database: its own store handle, pool and name index.
fn another_site(shop: &Shop, database: &TestDatabase, seed: u64) -> (Arc<Service>, Session) {
    another_process_at(shop, database, seed, None)
}

/// A second process on the same database working at `site` (the first site for `None`).
fn another_process_at(
    shop: &Shop,
    database: &TestDatabase,
    seed: u64,
    site: Option<&str>,
) -> (Arc<Service>, Session) {
    let store = Store::open_postgres(&database.address, shop.dir.path()).expect("open store");
    let service = Arc::new(
        Service::new(
            store,
            shop.clock.clone(),
            Arc::new(SeededEntropy::new(seed)),
        )
        .at_site(site)
        .expect("the site is known"),
    );
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    let session = service
        .login(LoginRequest {
            username: MANAGER.to_owned(),
            password: SecretString::from(MANAGER_PASSWORD.to_owned()),
            second_factor: SecondFactor::Totp(code),
            origin: frontdesk::audit::Origin::Local,
            ssh_key: None,
        })
        .expect("manager login at the other site");
    shop.next_step();
    (service, session)
}

/// A shop on a fresh database with its manager, a wash in one bay and a member with a car.
struct Chain {
    database: TestDatabase,
    shop: Shop,
    manager: Session,
    wash: RecordId,
    member: RecordId,
    vehicle: RecordId,
}

fn chain(test: &str) -> Option<Chain> {
    let database = TestDatabase::create(test)?;
    let shop = shop_on(&database);
    let manager = shop.manager();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let (member, vehicle) = member_with_car(&shop.service, &manager, "Ada Lovelace", "ADA 001");
    Some(Chain {
        database,
        shop,
        manager,
        wash,
        member,
        vehicle,
    })
}

fn card_sale(member: RecordId, vehicle: RecordId, wash: RecordId) -> CheckoutInput {
    CheckoutInput {
        booking: None,
        member: Some(member),
        vehicle: Some(vehicle),
        lines: vec![CheckoutLine {
            service: wash,
            quantity: 1,
            price_override: None,
        }],
        discount: None,
        adjustment_reason: None,
        points: None,
        payment: PaymentMethod::Card,
        tenders: Vec::new(),
        tip: Default::default(),
    }
}

fn member_with_car(
    service: &Service,
    session: &Session,
    name: &str,
    plate: &str,
) -> (RecordId, RecordId) {
    let member = service
        .create_member(
            session,
            MemberInput {
                name: name.to_owned(),
                phone: Some("604 555 0199".to_owned()),
                ..MemberInput::default()
            },
        )
        .expect("member");
    let vehicle = service
        .add_vehicle(
            session,
            member.id,
            VehicleInput {
                plate: plate.to_owned(),
                kind: VehicleKind::Sedan,
                make_model: None,
                colour: None,
            },
        )
        .expect("vehicle");
    (member.id, vehicle.id)
}

#[test]
fn two_sites_checking_out_one_member_at_once_keep_balance_ledger_and_receipts_whole() {
    let Some(Chain {
        database,
        shop,
        manager,
        wash,
        member,
        vehicle,
    }) = chain("two_sites_checkout")
    else {
        return;
    };
    let (other, other_manager) = another_site(&shop, &database, 7);
    let rounds = 12;
    let sessions = [(&shop.service, &manager), (&other, &other_manager)];
    std::thread::scope(|scope| {
        for (service, session) in sessions {
            for _ in 0..2 {
                scope.spawn(move || {
                    for _ in 0..rounds {
                        service
                            .checkout(session, card_sale(member, vehicle, wash))
                            .expect("checkout at either site");
                    }
                });
            }
        }
    });
    drop(other);
    shop.service.wait_for_name_index();
    let mut store = reopen_store(shop.dir.path(), Some(&database));
    let report = verify_store(&mut store, None).expect("verify");
    assert!(report.is_ok(), "{:?}", report.lines());
    let counts = report.records.expect("records");
    assert_eq!(
        counts.till.receipts,
        4 * rounds as u64,
        "receipts 1..N without gaps"
    );
}

#[test]
fn a_member_added_at_one_site_is_found_by_name_at_the_other() {
    let Some(database) = TestDatabase::create("name_news") else {
        return;
    };
    let shop = shop_on(&database);
    let manager = shop.manager();
    let (other, other_manager) = another_site(&shop, &database, 11);
    other.follow_other_processes(Arc::new(|| {}));
    other.wait_for_name_index();
    let (member, _) = member_with_car(&shop.service, &manager, "Grace Hopper", "COBOL 1");
    // The news travels by NOTIFY; the deadline only bounds a broken listener.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = other
            .search_members(&other_manager, "hopper")
            .expect("search")
            .members
            .iter()
            .any(|summary| summary.id == member);
        if found {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the other site never heard of the new member"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_dump_of_the_database_holds_no_member_identifier_and_no_totp_secret() {
    let Some(database) = TestDatabase::create("dump") else {
        return;
    };
    let shop = shop_on(&database);
    let manager = shop.manager();
    let people = [
        (
            "Zhang Xiuying",
            "13812345678",
            "xiuying@example.cn",
            "沪A12345",
            "1984-02-29",
            "prefers hand dry",
        ),
        (
            "Margarethe Oduya",
            "6045550142",
            "m.oduya@example.com",
            "KXR 7731",
            "1990-07-14",
            "allergic to wax",
        ),
    ];
    for (name, phone, email, plate, birthday, notes) in people {
        let member = shop
            .service
            .create_member(
                &manager,
                MemberInput {
                    name: name.to_owned(),
                    phone: Some(phone.to_owned()),
                    email: Some(email.to_owned()),
                    birthday: NaiveDate::parse_from_str(birthday, "%Y-%m-%d").ok(),
                    notes: Some(notes.to_owned()),
                },
            )
            .expect("member");
        shop.service
            .add_vehicle(
                &manager,
                member.id,
                VehicleInput {
                    plate: plate.to_owned(),
                    kind: VehicleKind::Sedan,
                    make_model: None,
                    colour: None,
                },
            )
            .expect("vehicle");
    }
    let dump = bytes_at_rest(shop.dir.path(), Some(&database));
    let text = String::from_utf8_lossy(&dump).to_lowercase();
    assert!(text.contains("fd_members"), "the dump holds the data");
    let totp = data_encoding::BASE32_NOPAD
        .encode(&shop.manager_secret)
        .to_lowercase();
    for (name, phone, email, plate, birthday, notes) in people {
        let mut needles: Vec<String> = name.split(' ').map(str::to_lowercase).collect();
        needles.extend([
            phone.to_owned(),
            phone[phone.len() - 7..].to_owned(),
            email.to_lowercase(),
            plate.to_lowercase(),
            plate.replace(' ', "").to_lowercase(),
            birthday.to_owned(),
            notes.to_owned(),
        ]);
        for needle in needles {
            assert!(
                !text.contains(&needle),
                "`{needle}` is in the dump in clear"
            );
        }
    }
    assert!(
        !text.contains(&totp),
        "the manager's TOTP secret is in the dump"
    );
    // Hex-escaped bytea must not hide them either.
    let hex: String = "oduya".bytes().map(|b| format!("{b:02x}")).collect();
    assert!(!text.contains(&hex), "a name is in the dump as bytea hex");
}

#[test]
fn migrate_copies_a_store_file_up_and_leaves_it_untouched() {
    let Some(database) = TestDatabase::create("migrate") else {
        return;
    };
    let shop = open_shop();
    if shop.database.is_some() {
        return; // this test moves a store file; the run already puts shops on PostgreSQL
    }
    let manager = shop.manager();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let (member, vehicle) = member_with_car(&shop.service, &manager, "Ada Lovelace", "ADA 001");
    shop.service
        .checkout(&manager, card_sale(member, vehicle, wash))
        .expect("checkout");
    shop.service.wait_for_name_index();
    let dir = shop.dir;
    drop(shop.service);
    let file = Store::file_in(dir.path());
    let before = std::fs::read(&file).expect("store file");

    let out = binary::run_frontdesk(dir.path(), &["migrate", "--to", &database.address], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("verify: OK"), "{report}");
    assert!(
        std::fs::read(&file).expect("store file") == before,
        "the store file changed during the migration"
    );

    let mut moved = Store::open_postgres(&database.address, dir.path()).expect("open the copy");
    let source = frontdesk::store::ReadOnlyStore::open(dir.path()).expect("open the file");
    let on_postgres = verify_store(&mut moved, None).expect("verify the copy");
    let on_file =
        frontdesk::service::integrity::verify_read_only(&source, None).expect("verify the file");
    assert_eq!(
        on_postgres.audit_head, on_file.audit_head,
        "the same audit chain"
    );
    assert_eq!(
        on_postgres.records.ok(),
        on_file.records.ok(),
        "the same records"
    );
    drop((moved, source));

    // A second migration into the same database is refused and changes nothing there.
    let again = binary::run_frontdesk(dir.path(), &["migrate", "--to", &database.address], "");
    assert!(!again.status.success());
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(said.contains("is not empty"), "{said}");
    let mut still = Store::open_postgres(&database.address, dir.path()).expect("open the copy");
    assert!(verify_store(&mut still, None).expect("verify").is_ok());
}

#[test]
fn a_migration_into_a_database_holding_other_tables_leaves_it_as_it_was() {
    let Some(database) = TestDatabase::create("migrate_refused") else {
        return;
    };
    let mut client = database.client();
    client
        .batch_execute("CREATE TABLE invoices (id int); INSERT INTO invoices VALUES (1)")
        .expect("someone else's table");
    let dir = tempfile::tempdir().expect("temp dir");
    drop(Store::create(dir.path()).expect("store file"));
    let out = binary::run_frontdesk(dir.path(), &["migrate", "--to", &database.address], "");
    assert!(!out.status.success());
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(tables, 1, "only the table that was there before");
}

#[test]
fn a_backup_made_on_postgres_restores_into_a_store_file() {
    // The database lives to the end of the test: dropping it drops the shop's tables.
    let Some(Chain {
        database: _database,
        shop,
        manager,
        wash,
        member,
        vehicle,
    }) = chain("backup")
    else {
        return;
    };
    shop.service
        .checkout(&manager, card_sale(member, vehicle, wash))
        .expect("checkout");
    let backup = shop.dir.path().join("chain.fdbackup");
    let mut out = std::fs::File::create(&backup).expect("backup file");
    shop.service.backup(&manager, &mut out).expect("backup");
    drop(out);

    let target = tempfile::tempdir().expect("temp dir");
    let restored_dir = target.path().join("shop");
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    frontdesk::service::restore_backup_file(
        &backup,
        &restored_dir,
        frontdesk::service::RestoreRequest {
            username: MANAGER.to_owned(),
            password: SecretString::from(MANAGER_PASSWORD.to_owned()),
            second_factor: SecondFactor::Totp(code),
        },
        shop.clock.as_ref(),
    )
    .expect("restore into a store file");
    let mut restored = Store::open(&restored_dir).expect("restored store");
    let report = verify_store(&mut restored, None).expect("verify");
    assert!(report.is_ok(), "{:?}", report.lines());
    assert_eq!(report.records.expect("records").members, 1);
}

#[test]
fn a_backup_restores_into_an_empty_postgres_database_through_the_command() {
    let Some(source) = TestDatabase::create("restore_source") else {
        return;
    };
    let Some(target) = TestDatabase::create("restore_target") else {
        return;
    };
    let shop = shop_on(&source);
    let manager = shop.manager();
    member_with_car(&shop.service, &manager, "Ada Lovelace", "ADA 001");
    let backup = shop.dir.path().join("chain.fdbackup");
    let mut out = std::fs::File::create(&backup).expect("backup file");
    shop.service.backup(&manager, &mut out).expect("backup");
    drop(out);

    let data = tempfile::tempdir().expect("temp dir");
    std::fs::write(data.path().join(pg::ADDRESS_FILE), &target.address).expect("address");
    let stdin = format!("{MANAGER_PASSWORD}\n{}\n", shop.manager_recovery_codes[0]);
    let out = binary::run_frontdesk(
        data.path(),
        &[
            "restore",
            backup.to_str().expect("path"),
            "--user",
            MANAGER,
            "--password-stdin",
            "--recovery-code",
        ],
        &stdin,
    );
    assert!(out.status.success(), "{}", binary::printed(&out));
    assert!(binary::printed(&out).contains("the store verifies"));
    let mut restored = Store::open_postgres(&target.address, data.path()).expect("restored");
    let report = verify_store(&mut restored, None).expect("verify");
    assert!(report.is_ok(), "{:?}", report.lines());
    assert_eq!(report.records.expect("records").members, 1);
}

#[test]
fn init_starts_a_new_chain_in_an_empty_database_and_refuses_a_used_one() {
    let Some(database) = TestDatabase::create("init") else {
        return;
    };
    let data = tempfile::tempdir().expect("temp dir");
    std::fs::write(data.path().join(pg::ADDRESS_FILE), &database.address).expect("address");
    let args = [
        "init",
        "--shop",
        "Sparkle Chain",
        "--timezone",
        "America/Vancouver",
        "--currency",
        "CAD",
        "--manager",
        "owner",
        "--password-stdin",
    ];
    let out = binary::run_frontdesk(data.path(), &args, "wash bay sunrise copper kettle\n");
    assert!(out.status.success(), "{}", binary::printed(&out));
    assert!(!Store::exists_in(data.path()), "no store file was made");
    let again = binary::run_frontdesk(data.path(), &args, "wash bay sunrise copper kettle\n");
    assert!(!again.status.success());
    assert!(
        binary::printed(&again).contains("is not empty"),
        "{}",
        binary::printed(&again)
    );
}

#[test]
fn two_sites_booking_the_one_bay_for_the_same_slot_get_one_booking_between_them() {
    let Some(database) = TestDatabase::create("booking_race") else {
        return;
    };
    let shop = shop_on(&database);
    let manager = shop.manager();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let (other, other_manager) = another_site(&shop, &database, 13);
    let slot = frontdesk::service::LocalStart {
        local: chrono::NaiveDateTime::parse_from_str("2026-11-24 15:00", "%Y-%m-%d %H:%M")
            .expect("time"),
        fold: None,
    };
    let request = || frontdesk::service::BookingRequest {
        member: None,
        vehicle: None,
        service: wash,
        bay: None,
        start: slot,
    };
    let sessions = [(&shop.service, &manager), (&other, &other_manager)];
    let booked: usize = std::thread::scope(|scope| {
        let tries: Vec<_> = sessions
            .iter()
            .flat_map(|&(service, session)| {
                (0..4).map(move |_| scope.spawn(move || service.create_booking(session, request())))
            })
            .collect();
        tries
            .into_iter()
            .map(|attempt| attempt.join().expect("thread"))
            .filter(Result::is_ok)
            .count()
    });
    assert_eq!(
        booked, 1,
        "one bay, one slot: exactly one booking across both sites"
    );
    drop(other);
    let mut store = reopen_store(shop.dir.path(), Some(&database));
    let report = verify_store(&mut store, None).expect("verify");
    assert!(report.is_ok(), "{:?}", report.lines());
}

#[test]
fn two_sites_in_two_processes_number_their_receipts_each_from_one_without_gaps() {
    let Some(Chain {
        database,
        shop,
        manager,
        wash,
        member,
        vehicle,
    }) = chain("two_sites_receipts")
    else {
        return;
    };
    shop.service
        .add_site(&manager, "North")
        .expect("a second site");
    let (north, north_manager) = another_process_at(&shop, &database, 17, Some("North"));
    north
        .save_bay(
            &north_manager,
            BayInput {
                id: None,
                name: "North bay".to_owned(),
                services: vec![wash],
                active: true,
            },
        )
        .expect("North's own bay");
    let rounds = 8;
    let numbers: Vec<Vec<u64>> = std::thread::scope(|scope| {
        let sites = [(&shop.service, &manager), (&north, &north_manager)];
        let runs: Vec<_> = sites
            .iter()
            .map(|&(service, session)| {
                scope.spawn(move || {
                    (0..rounds)
                        .map(|_| {
                            service
                                .checkout(session, card_sale(member, vehicle, wash))
                                .expect("checkout")
                                .receipt_number
                        })
                        .collect::<Vec<u64>>()
                })
            })
            .collect();
        runs.into_iter()
            .map(|run| run.join().expect("thread"))
            .collect()
    });
    let expected: Vec<u64> = (1..=rounds).collect();
    assert_eq!(numbers[0], expected, "the first site counts 1, 2, 3, …");
    assert_eq!(numbers[1], expected, "North counts on its own from 1");
    drop(north);
    let mut store = reopen_store(shop.dir.path(), Some(&database));
    let report = verify_store(&mut store, None).expect("verify");
    assert!(report.is_ok(), "{:?}", report.lines());
}
