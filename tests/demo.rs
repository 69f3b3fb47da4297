//! `frontdesk demo` through the real binary: what it prints, that the store verifies, that the
//! file holds none of the printed personal values, that a second run is refused, and — through
//! the library — that the printed logins work, the printed lookups find their members, the
//! points add up and the bays are never double-booked.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::secret_from_base32;
use frontdesk::audit::Origin;
use frontdesk::auth::totp::{TotpSecret, code_at};
use frontdesk::clock::{ManualClock, SystemClock};
use frontdesk::domain::money::Money;
use frontdesk::domain::phone::Phone;
use frontdesk::domain::plate::normalize_plate;
use frontdesk::entropy::OsEntropy;
use frontdesk::ids::RecordId;
use frontdesk::service::{DemoOptions, DemoReport, LoginRequest, SecondFactor, Service, Session};
use frontdesk::store::Store;
use secrecy::SecretString;

fn frontdesk(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("FRONTDESK_DATA")
        .stdin(Stdio::null())
        .output()
        .expect("binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

struct Login {
    username: String,
    password: String,
    secret: Vec<u8>,
}

struct Lookup {
    kind: String,
    query: String,
    member_number: u64,
}

fn field<'a>(line: &'a str, label: &str) -> Option<&'a str> {
    line.trim_start().strip_prefix(label).map(str::trim)
}

fn parse_logins(out: &str) -> Vec<Login> {
    let mut logins = Vec::new();
    let mut lines = out.lines();
    while let Some(line) = lines.next() {
        let Some(user) = field(line, "user:") else {
            continue;
        };
        let username = user.split_whitespace().next().unwrap().to_owned();
        let password = field(lines.next().unwrap(), "password:")
            .unwrap()
            .to_owned();
        let uri = field(lines.next().unwrap(), "otpauth URI:").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        let secret = field(lines.next().unwrap(), "base32 secret:").unwrap();
        logins.push(Login {
            username,
            password,
            secret: secret_from_base32(secret),
        });
    }
    logins
}

fn parse_lookups(out: &str) -> Vec<Lookup> {
    let section = out.split("Sample lookups").nth(1).expect("lookups printed");
    let mut lookups = Vec::new();
    for line in section.lines().skip(1) {
        let Some((left, number)) = line.rsplit_once("(member #") else {
            break;
        };
        let (kind, query) = left.trim().split_once(':').unwrap();
        lookups.push(Lookup {
            kind: kind.to_owned(),
            query: query.trim().to_owned(),
            member_number: number.trim_end_matches(')').parse().unwrap(),
        });
    }
    lookups
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn log_in(service: &Service, login: &Login) -> Session {
    let secret = TotpSecret::from_bytes(&login.secret).unwrap();
    let code = code_at(&secret, Utc::now().timestamp() as u64);
    service
        .login(LoginRequest {
            username: login.username.clone(),
            password: SecretString::from(login.password.clone()),
            second_factor: SecondFactor::Totp(code),
            origin: Origin::Local,
            ssh_key: None,
        })
        .expect("the printed login works")
}

/// Adds one minor unit to the total of the first visit on a receipt (and takes it off again
/// on a second call), writing straight into the file as a tampering hand or a bug would.
fn alter_one_visit_total(data: &Path) -> RecordId {
    use frontdesk::store::records::{ReceiptFor, VisitRecord};
    use frontdesk::store::schema::{RECEIPTS, VISITS};
    use frontdesk::store::{decode_record, encode_record};
    use redb::{ReadableDatabase, ReadableTable};
    let db = redb::Database::open(Store::file_in(data)).unwrap();
    let visit = {
        let tx = db.begin_read().unwrap();
        let receipts = tx.open_table(RECEIPTS).unwrap();
        (1..)
            .map(|n: u64| receipts.get(n).unwrap().expect("a receipt"))
            .find_map(
                |bytes| match decode_record::<ReceiptFor>("receipt", bytes.value()) {
                    Ok(ReceiptFor::Visit(visit)) => Some(visit),
                    _ => None,
                },
            )
            .unwrap()
    };
    let tx = db.begin_write().unwrap();
    {
        let mut visits = tx.open_table(VISITS).unwrap();
        let mut record: VisitRecord = {
            let bytes = visits.get(visit.as_u128()).unwrap().unwrap();
            decode_record("visit", bytes.value()).unwrap()
        };
        let nudge = if record.priced.total.minor_units() % 2 == 0 {
            1
        } else {
            -1
        };
        record.priced.total = Money::from_minor(record.priced.total.minor_units() + nudge);
        let _ = visits
            .insert(visit.as_u128(), encode_record(&record).unwrap().as_slice())
            .unwrap();
    }
    tx.commit().unwrap();
    visit
}

#[test]
fn demo_store_prints_working_logins_and_lookups_and_keeps_them_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let output = frontdesk(&data, &["demo", "--members", "300", "--seed", "7"]);
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    assert!(out.contains("300 members"), "{out}");
    assert!(out.contains("Seed: 7"), "{out}");
    assert!(out.contains("frontdesk --data"), "{out}");
    assert!(
        output.stderr.is_empty(),
        "no progress for a small run: {out}"
    );
    let logins = parse_logins(&out);
    let names: Vec<&str> = logins.iter().map(|l| l.username.as_str()).collect();
    assert_eq!(names, ["manager", "cashier"], "{out}");
    let lookups = parse_lookups(&out);
    let kinds: Vec<&str> = lookups.iter().map(|l| l.kind.as_str()).collect();
    for kind in [
        "phone",
        "last 4",
        "plate",
        "name",
        "pinyin",
        "initials",
        "plate tail",
    ] {
        assert!(
            kinds.contains(&kind),
            "{kind} missing from {kinds:?}\n{out}"
        );
    }
    // Only the finished store is left behind: no scratch files.
    let entries: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["frontdesk.redb"]);

    let verify = frontdesk(&data, &["verify"]);
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(text(&verify).contains("records: OK (2 staff, 300 members"));
    assert!(text(&verify).contains("without gaps"), "{}", text(&verify));

    // One stored total altered by a cent: verify names the visit.
    let altered = alter_one_visit_total(&data);
    let verify = frontdesk(&data, &["verify"]);
    assert!(!verify.status.success(), "{}", text(&verify));
    assert!(
        text(&verify).contains(&format!("visit {altered}")),
        "{}",
        text(&verify)
    );
    alter_one_visit_total(&data);

    // Nothing printed about a customer is in the file as plaintext. (The last four digits
    // alone are not checked: any four digits also occur in timestamps and ciphertext; the
    // full number they come from is.)
    let bytes = std::fs::read(Store::file_in(&data)).unwrap();
    for lookup in &lookups {
        let mut forms = vec![lookup.query.clone()];
        match lookup.kind.as_str() {
            "phone" => forms.push(Phone::parse(&lookup.query).unwrap().national().to_owned()),
            "plate" => forms.push(normalize_plate(&lookup.query).unwrap()),
            // Pinyin keys live only in the in-memory name index (initials are too short to
            // tell from ciphertext bytes).
            "pinyin" => forms = vec![lookup.query.replace(' ', "")],
            // The whole name: a single word such as `Brown` may also be a car's colour, which
            // is not personal data and is stored as it is.
            "name" => {}
            _ => forms.clear(),
        }
        for form in forms.iter().filter(|f| f.chars().count() >= 3) {
            assert!(
                !contains(&bytes, form),
                "{} `{form}` is in the file",
                lookup.kind
            );
        }
    }
    for login in &logins {
        assert!(!contains(&bytes, &login.password));
    }

    // The same seed on the same day makes the same members and history (keys and logins stay
    // fresh). Should the shop's midnight fall between two runs, a third one makes a pair
    // built on one day.
    let seed_line = |out: &str| -> String {
        out.lines()
            .find(|l| l.starts_with("Seed:"))
            .expect("seed printed")
            .to_owned()
    };
    let twin_run = |name: &str| -> String {
        let output = frontdesk(
            &dir.path().join(name),
            &["demo", "--members", "300", "--seed", "7"],
        );
        assert!(output.status.success(), "{}", text(&output));
        text(&output)
    };
    let mut repeat = twin_run("twin");
    let mut out = out;
    if seed_line(&repeat) != seed_line(&out) {
        out = std::mem::replace(&mut repeat, twin_run("triplet"));
    }
    assert_eq!(seed_line(&repeat), seed_line(&out));
    let data_lines = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.starts_with("Data:") || l.starts_with("      "))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(data_lines(&repeat), data_lines(&out));
    let lookup_lines = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.contains("(member #"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(lookup_lines(&repeat), lookup_lines(&out));
    assert_ne!(parse_logins(&repeat)[0].password, logins[0].password);

    // A second demo on the same directory is refused and leaves the store alone.
    let again = frontdesk(&data, &["demo", "--members", "5"]);
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));
    assert_eq!(std::fs::read(Store::file_in(&data)).unwrap(), bytes);

    let service = Service::new(
        Store::open(&data).unwrap(),
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
    );
    assert!(service.settings().unwrap().demo);
    let session = log_in(&service, &logins[0]);
    service.wait_for_name_index();

    // Every printed lookup finds the member it names.
    let mut sampled = BTreeMap::new();
    for lookup in &lookups {
        let results = service.search_members(&session, &lookup.query).unwrap();
        let found = results
            .members
            .iter()
            .find(|m| m.member_number == lookup.member_number);
        let found = found.unwrap_or_else(|| {
            panic!(
                "{} lookup did not find member #{}",
                lookup.kind, lookup.member_number
            )
        });
        sampled.insert(found.member_number, found.id);
    }
    // …and so does each member number, for a spread of members.
    for number in (100_001..=100_300).step_by(23) {
        let results = service
            .search_members(&session, &number.to_string())
            .unwrap();
        assert_eq!(results.members.len(), 1, "member #{number}");
        sampled.insert(number, results.members[0].id);
    }

    // Points: the balance is the ledger sum and the stored figure; visits are all there.
    let mut with_history = 0;
    for (number, member) in &sampled {
        let points = service.member_points(&session, *member).unwrap();
        let ledger_sum: i64 = points.entries.iter().map(|e| e.points).sum();
        assert_eq!(points.balance, ledger_sum, "member #{number}");
        let stats = service.member_stats(&session, *member).unwrap();
        assert_eq!(stats.points_balance, ledger_sum, "member #{number}");
        let visits = service.member_visits(&session, *member).unwrap();
        assert_eq!(stats.visits as usize, visits.len(), "member #{number}");
        assert!(!visits.is_empty(), "member #{number} has no visits");
        if points.entries.len() > 1 {
            with_history += 1;
        }
    }
    assert!(with_history > 5, "{with_history}");

    // The bays around today are busy but never double-booked.
    let today = Utc::now().date_naive();
    let mut bookings = 0;
    for offset in -3..=3 {
        let day = today + Duration::days(offset);
        let mut by_bay: BTreeMap<_, Vec<_>> = BTreeMap::new();
        for booking in service.day_bookings(&session, day).unwrap() {
            by_bay.entry(booking.bay).or_default().push(booking);
        }
        for (_, mut list) in by_bay {
            bookings += list.len();
            list.sort_by_key(|b| b.start);
            for pair in list.windows(2) {
                assert!(pair[0].end <= pair[1].start, "overlap on {day}");
            }
        }
    }
    assert!(bookings > 0);

    // The cashier's login works too, and sees customers masked.
    let cashier = log_in(&service, &logins[1]);
    let name = lookups.iter().find(|l| l.kind == "name").unwrap();
    let results = service.search_members(&cashier, &name.query).unwrap();
    assert!(results.members.iter().all(|m| m.masked));
}

/// A 300-member demo with seed 7, built through the library at `at` on a fixed clock, in a
/// store and scratch directory of its own.
fn library_demo(at: DateTime<Utc>) -> DemoReport {
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("scratch");
    std::fs::create_dir(&scratch).unwrap();
    Service::create_demo(
        Store::create(dir.path()).unwrap(),
        Arc::new(ManualClock::new(at)),
        Arc::new(OsEntropy),
        &DemoOptions {
            members: 300,
            seed: Some(7),
        },
        &scratch,
        &mut |_| {},
    )
    .unwrap()
}

fn lookup_rows(report: &DemoReport) -> Vec<(&'static str, String, u64)> {
    report
        .lookups
        .iter()
        .map(|l| (l.kind.as_str(), l.query.clone(), l.member_number))
        .collect()
}

#[test]
fn the_same_seed_on_the_same_day_makes_the_same_data_whatever_the_hour() {
    // 10 March 2026 in the shop's zone: before opening, mid-morning with the bays busy, and
    // late in the evening.
    let at = |hour, minute, second| {
        chrono_tz::America::Vancouver
            .with_ymd_and_hms(2026, 3, 10, hour, minute, second)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    };
    let early = library_demo(at(6, 0, 0));
    let morning = library_demo(at(10, 31, 7));
    let evening = library_demo(at(23, 59, 59));
    let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
    for report in [&early, &morning, &evening] {
        assert_eq!(report.data_date, day);
        assert_eq!(report.seed, 7);
        assert_eq!(report.counts, morning.counts);
        assert_eq!(lookup_rows(report), lookup_rows(&morning));
    }
    assert_eq!(morning.counts.members, 300);
    assert!(morning.counts.visits > 1000, "{:?}", morning.counts);
    assert!(morning.counts.bookings > 0, "{:?}", morning.counts);
    // Keys and logins are fresh every time all the same.
    assert_ne!(
        morning.logins[0]
            .credentials
            .enrolment
            .secret_base32
            .as_str(),
        evening.logins[0]
            .credentials
            .enrolment
            .secret_base32
            .as_str()
    );
}

#[test]
fn every_demo_service_has_a_bay_that_does_it() {
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
            members: 20,
            seed: Some(7),
        },
        &scratch,
        &mut |_| {},
    )
    .unwrap();
    let store = Store::open(dir.path()).unwrap();
    let reader = store.read().unwrap();
    use frontdesk::domain::catalog::{Bay, ServiceItem};
    use frontdesk::store::ReadAccess;
    use frontdesk::store::schema::{BAYS, SERVICES};
    let services: Vec<ServiceItem> = reader.all(SERVICES, "service").unwrap();
    let bays: Vec<Bay> = reader.all(BAYS, "bay").unwrap();
    assert!(!services.is_empty() && !bays.is_empty());
    // A walk-in can be placed for whatever service the desk picks, add-ons included.
    let unplaceable: Vec<&str> = services
        .iter()
        .filter(|service| !bays.iter().any(|bay| bay.serves(service.id)))
        .map(|service| service.name.as_str())
        .collect();
    assert!(unplaceable.is_empty(), "no bay does {unplaceable:?}");
}
