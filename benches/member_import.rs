//! How long a shop's customer list takes to import: a generated CSV of 100,000 members (set
//! FRONTDESK_BENCH_IMPORT_ROWS for another size) with phones, half with emails, most with a
//! plate, some with birthdays, notes, consents and opening points — read, checked in a dry run
//! and imported into a fresh store, each step timed once (it is one long operation, not a hot
//! path to sample). It also times sealing 100,000 more audit entries on their own, what the
//! import's per-member `member.created` entries cost.
//!
//! `cargo bench --bench member_import` (a release build). Writes the CSV to a temporary
//! directory; FRONTDESK_BENCH_IMPORT_CSV=PATH keeps a copy there to try `frontdesk import` on.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use frontdesk::audit::{Actor, AuditAction, AuditDraft, Origin, Outcome};
use frontdesk::auth::totp::{TotpSecret, code_at};
use frontdesk::clock::{Clock, ManualClock};
use frontdesk::entropy::OsEntropy;
use frontdesk::service::{ImportRequest, InitialSetup, LoginRequest, SecondFactor, Service};
use frontdesk::store::schema::MEMBERS;
use frontdesk::store::{ReadAccess, Store};
use secrecy::SecretString;

const PASSWORD: &str = "bench marks the wash bay";
const SURNAMES: [&str; 8] = ["王", "李", "张", "刘", "陈", "欧阳", "Smith", "Garcia"];
const GIVEN: [&str; 8] = ["伟", "娜", "小明", "静", "华", "娜娜", "John", "Maria"];
const KINDS: [&str; 5] = ["sedan", "suv", "轿车", "van", ""];

/// Row `n` of the generated file: every phone and plate different, the rest varied.
fn row(n: usize, csv: &mut String) {
    let surname = SURNAMES[n % SURNAMES.len()];
    let given = GIVEN[(n / 8) % GIVEN.len()];
    let name = if surname.is_ascii() {
        format!("{given} {surname}{n}")
    } else {
        format!("{surname}{given}")
    };
    let email = if n.is_multiple_of(2) {
        format!("member{n}@example.com")
    } else {
        String::new()
    };
    let (plate, kind) = if n % 5 == 4 {
        (String::new(), "")
    } else {
        (format!("苏A{n:06}"), KINDS[n % KINDS.len()])
    };
    let birthday = if n.is_multiple_of(3) {
        format!("19{:02}-{:02}-{:02}", 50 + n % 50, 1 + n % 12, 1 + n % 28)
    } else {
        String::new()
    };
    let points = if n.is_multiple_of(4) {
        (n % 5000).to_string()
    } else {
        String::new()
    };
    let notes = if n.is_multiple_of(10) {
        "Prefers the hand dry"
    } else {
        ""
    };
    let consent = ["yes", "no", "", "是"][n % 4];
    let _ = writeln!(
        csv,
        "{name},138{n:08},{email},{plate},{kind},{birthday},{points},{notes},{consent},{consent}"
    );
}

fn main() {
    let rows: usize = std::env::var("FRONTDESK_BENCH_IMPORT_ROWS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(100_000);
    let mut csv = String::from(
        "name,phone,email,plate,vehicle type,birthday,points,notes,marketing,birthday offers\n",
    );
    for n in 0..rows {
        row(n, &mut csv);
    }
    if let Ok(path) = std::env::var("FRONTDESK_BENCH_IMPORT_CSV") {
        std::fs::write(&path, &csv).expect("write the CSV copy");
        println!("CSV written to {path}");
    }
    println!(
        "{rows} rows, {:.1} MiB of CSV",
        csv.len() as f64 / 1024.0 / 1024.0
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 17, 0, 0)
            .single()
            .expect("instant"),
    ));
    let (service, credentials) = Service::initialise(
        Store::create(dir.path()).expect("store"),
        clock.clone(),
        Arc::new(OsEntropy),
        InitialSetup {
            shop_name: "Bench Wash".to_owned(),
            timezone: "Asia/Shanghai".to_owned(),
            currency: "CNY".to_owned(),
            manager_username: "manager".to_owned(),
            manager_password: SecretString::from(PASSWORD.to_owned()),
            demo: true,
        },
        Origin::Local,
    )
    .expect("initialise");
    let secret_bytes = data_encoding::BASE32_NOPAD
        .decode(credentials.enrolment.secret_base32.as_bytes())
        .expect("base32");
    let secret = TotpSecret::from_bytes(&secret_bytes).expect("secret");
    clock.advance(Duration::seconds(30));
    let session = service
        .login(LoginRequest {
            username: "manager".to_owned(),
            password: SecretString::from(PASSWORD.to_owned()),
            second_factor: SecondFactor::Totp(code_at(&secret, clock.now().timestamp() as u64)),
            origin: Origin::Local,
            ssh_key: None,
        })
        .expect("login");
    service.wait_for_name_index();

    let started = Instant::now();
    let file = service
        .read_member_file(csv.as_bytes(), None)
        .expect("readable");
    println!("read and check the file:   {:>8.2?}", started.elapsed());
    assert!(file.is_clean(), "{:?}", file.problems().first());

    let started = Instant::now();
    let dry = service
        .import_members(
            &session,
            ImportRequest {
                rows: file,
                dry_run: true,
            },
        )
        .expect("dry run");
    println!("dry run (store lookups):   {:>8.2?}", started.elapsed());
    assert!(dry.is_clean());

    let whole = Instant::now();
    let file = service
        .read_member_file(csv.as_bytes(), None)
        .expect("readable");
    let started = Instant::now();
    let report = service
        .import_members(
            &session,
            ImportRequest {
                rows: file,
                dry_run: false,
            },
        )
        .expect("import");
    println!("import (one transaction):  {:>8.2?}", started.elapsed());
    println!("read + import, end to end: {:>8.2?}", whole.elapsed());
    let count = service
        .store()
        .read()
        .expect("read")
        .count(MEMBERS)
        .expect("count");
    println!(
        "{} members ({} vehicles, {} opening points) as #{:?}; {count} in the store",
        report.members, report.vehicles, report.points_total, report.created
    );
    assert_eq!(count, rows as u64);

    // What the per-member creation entries inside the import cost, measured on their own.
    let started = Instant::now();
    let mut writer = service.store().write().expect("writer");
    for n in 0..rows {
        let mut draft = AuditDraft::new(
            Actor::System,
            Origin::Local,
            AuditAction::MemberCreated,
            Outcome::Ok,
        );
        draft.objects = vec![format!("member:{}", 100_001 + n)];
        draft.fields = vec!["name".to_owned(), "phone".to_owned()];
        writer.append_audit(draft, clock.now()).expect("audit");
    }
    drop(writer);
    println!(
        "({rows} audit entries alone, as the import's per-member ones: {:.2?}; not kept)",
        started.elapsed()
    );
}
