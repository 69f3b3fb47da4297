//! The pseudonymised analysis export (issue 13): one row per live member with a keyed
//! pseudonym, never an identifier; fresh pseudonyms per export unless a series is named; a
//! manager's after a fresh code, refused to a cashier with an audit entry; the command writes
//! a private file and never overwrites one unasked.

mod common;

use std::collections::HashSet;
use std::path::Path;

use common::binary::{printed, run_frontdesk};
use common::*;
use frontdesk::audit::{AuditAction, Outcome, decode};
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::private_file::Existing;
use frontdesk::service::{
    CheckoutInput, CheckoutLine, ConsentPurpose, MemberInput, PseudonymisedRequest, ServiceError,
    Session, VehicleInput,
};

struct Person {
    name: &'static str,
    phone: &'static str,
    email: &'static str,
    plate: &'static str,
    kind: VehicleKind,
    notes: &'static str,
    washes: u32,
    marketing: bool,
}

/// A small shop's members, one of them with a name and notes a spreadsheet would run as a
/// formula.
const PEOPLE: &[Person] = &[
    Person {
        name: "Alice Whitfield",
        phone: "6045550171",
        email: "alice.whitfield@example.com",
        plate: "ABC123",
        kind: VehicleKind::Sedan,
        notes: "Prefers hand dry",
        washes: 3,
        marketing: true,
    },
    Person {
        name: "王小明",
        phone: "13812345678",
        email: "xiaoming@example.cn",
        plate: "苏A12345",
        kind: VehicleKind::Suv,
        notes: "VIP",
        washes: 1,
        marketing: false,
    },
    Person {
        name: "=HYPERLINK(\"x\")",
        phone: "7785550199",
        email: "formula@example.com",
        plate: "ZZZ999",
        kind: VehicleKind::Van,
        notes: "@SUM(A1)",
        washes: 0,
        marketing: true,
    },
    Person {
        name: "Bob Tran",
        phone: "6045550333",
        email: "bob@example.org",
        plate: "DEF456",
        kind: VehicleKind::Pickup,
        notes: "",
        washes: 12,
        marketing: false,
    },
];

struct Fixture {
    shop: Shop,
    manager: Session,
    numbers: Vec<u64>,
    ids: Vec<RecordId>,
}

fn fixture() -> Fixture {
    let shop = open_shop();
    let manager = shop.manager();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let mut numbers = Vec::new();
    let mut ids = Vec::new();
    for person in PEOPLE {
        let member = shop
            .service
            .create_member(
                &manager,
                MemberInput {
                    name: person.name.to_owned(),
                    phone: Some(person.phone.to_owned()),
                    email: Some(person.email.to_owned()),
                    birthday: chrono::NaiveDate::from_ymd_opt(1990, 5, 17),
                    notes: (!person.notes.is_empty()).then(|| person.notes.to_owned()),
                },
            )
            .expect("member");
        let vehicle = shop
            .service
            .add_vehicle(
                &manager,
                member.id,
                VehicleInput {
                    plate: person.plate.to_owned(),
                    kind: person.kind,
                    make_model: None,
                    colour: None,
                },
            )
            .expect("vehicle");
        for _ in 0..person.washes {
            shop.service
                .checkout(
                    &manager,
                    CheckoutInput {
                        booking: None,
                        member: Some(member.id),
                        vehicle: Some(vehicle.id),
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
                    },
                )
                .expect("checkout");
        }
        if person.marketing {
            shop.service
                .set_consent(&manager, member.id, ConsentPurpose::Marketing, true)
                .expect("consent");
        }
        numbers.push(member.member_number);
        ids.push(member.id);
    }
    Fixture {
        shop,
        manager,
        numbers,
        ids,
    }
}

/// A manager session fresh from a step-up.
fn stepped_up(shop: &Shop, session: &Session) {
    shop.service
        .step_up(
            session,
            &phone_code(&shop.manager_secret, shop.clock.now_for_tests()),
        )
        .expect("step-up");
    shop.next_step();
}

fn export(
    fixture: &Fixture,
    file: &str,
    request: &PseudonymisedRequest,
) -> (std::path::PathBuf, String) {
    let path = fixture.shop.dir.path().join(file);
    stepped_up(&fixture.shop, &fixture.manager);
    fixture
        .shop
        .service
        .export_pseudonymised(&fixture.manager, request, &path, Existing::Refuse)
        .expect("export");
    let text = std::fs::read_to_string(&path).expect("written");
    (path, text)
}

/// Rows as (pseudonym, the whole row), header dropped.
fn rows(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|record| {
            record
                .expect("a CSV row")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

fn pseudonyms(text: &str) -> Vec<String> {
    rows(text).into_iter().map(|row| row[0].clone()).collect()
}

#[test]
fn the_export_names_no_one_and_has_a_row_per_member() {
    let fixture = fixture();
    let (_, text) = export(&fixture, "all.csv", &PseudonymisedRequest::default());

    let header = text.lines().next().expect("a header");
    assert!(
        header.starts_with("pseudonym,tier,member_since,visits_2025_12,"),
        "{header}"
    );
    assert!(
        header.contains(
            ",visits_2026_11,spend_band,vehicle_types,consent_marketing,consent_birthday_offers"
        ),
        "{header}"
    );
    let rows = rows(&text);
    assert_eq!(rows.len(), PEOPLE.len());

    // No identifier of anyone, in any spelling the shop holds. The pseudonyms are left out of
    // the search (checked below to be hex digits only), so a digit run in one cannot pass for
    // a phone's last four.
    let mut without_pseudonyms = text.clone();
    for pseudonym in pseudonyms(&text) {
        without_pseudonyms = without_pseudonyms.replace(&pseudonym, "");
    }
    for (person, number) in PEOPLE.iter().zip(&fixture.numbers) {
        let mut needles = vec![
            person.name.to_owned(),
            person.phone.to_owned(),
            person.phone[person.phone.len() - 4..].to_owned(),
            person.email.to_owned(),
            person.plate.to_owned(),
            number.to_string(),
            "1990".to_owned(),
        ];
        if !person.notes.is_empty() {
            needles.push(person.notes.to_owned());
        }
        for needle in needles {
            assert!(
                !without_pseudonyms.contains(&needle),
                "{needle} is in the export:\n{text}"
            );
        }
    }
    for id in &fixture.ids {
        assert!(
            !without_pseudonyms.contains(&id.to_string()),
            "a record id is in the export"
        );
    }

    // Sorted by pseudonym; 32 hex digits each.
    let names = pseudonyms(&text);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(names.iter().all(|p| {
        p.len() == 32
            && p.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    }));

    // What the rows do say: November's visits, the spend bands, the kinds and consents.
    let mut seen: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|row| {
            let n = row.len();
            (
                row[n - 5].clone(), // November visits
                row[n - 4].clone(), // spend band
                row[n - 3].clone(), // vehicle kinds
                row[n - 2].clone(), // marketing consent
            )
        })
        .collect();
    seen.sort();
    let mut expected = vec![
        (
            "3".to_owned(),
            "50-199".to_owned(),
            "sedan".to_owned(),
            "yes".to_owned(),
        ),
        (
            "1".to_owned(),
            "<50".to_owned(),
            "suv".to_owned(),
            "no".to_owned(),
        ),
        (
            "0".to_owned(),
            "0".to_owned(),
            "van".to_owned(),
            "yes".to_owned(),
        ),
        (
            "12".to_owned(),
            "200-499".to_owned(),
            "pickup".to_owned(),
            "no".to_owned(),
        ),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    for row in &rows {
        assert_eq!(row[2], "2026-11", "member since");
        assert_eq!(
            row[3..row.len() - 5].iter().filter(|c| *c != "0").count(),
            0
        );
    }
}

#[test]
fn pseudonyms_link_only_within_a_series() {
    let fixture = fixture();
    let (_, first) = export(&fixture, "a.csv", &PseudonymisedRequest::default());
    let (_, second) = export(&fixture, "b.csv", &PseudonymisedRequest::default());
    let a: HashSet<String> = pseudonyms(&first).into_iter().collect();
    let b: HashSet<String> = pseudonyms(&second).into_iter().collect();
    assert!(a.is_disjoint(&b), "two default exports share a pseudonym");

    let series = PseudonymisedRequest {
        months: 3,
        series: Some("Monthly".to_owned()),
    };
    let (_, one) = export(&fixture, "s1.csv", &series);
    let (_, two) = export(&fixture, "s2.csv", &series);
    assert_eq!(pseudonyms(&one), pseudonyms(&two));
    assert!(
        one.lines()
            .next()
            .expect("header")
            .contains("visits_2026_09,visits_2026_10,visits_2026_11,spend_band")
    );
    let s: HashSet<String> = pseudonyms(&one).into_iter().collect();
    assert!(s.is_disjoint(&a) && s.is_disjoint(&b));
    let other = PseudonymisedRequest {
        months: 3,
        series: Some("quarterly".to_owned()),
    };
    let (_, three) = export(&fixture, "q.csv", &other);
    let q: HashSet<String> = pseudonyms(&three).into_iter().collect();
    assert!(q.is_disjoint(&s));

    // Audited: the series made once, each export with rows, months and linkability.
    let store = fixture.shop.service.store();
    let actions = audit_actions(store);
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == AuditAction::PseudonymSeriesCreated)
            .count(),
        2
    );
    let entries: Vec<_> = {
        let reader = store.read().expect("read");
        reader
            .audit_stream()
            .expect("audit")
            .map(|(_, bytes)| decode(&bytes).expect("entry"))
            .filter(|entry| entry.action == AuditAction::PseudonymisedExported)
            .collect()
    };
    assert_eq!(entries.len(), 5);
    let details: Vec<String> = entries
        .iter()
        .map(|entry| entry.detail.clone().unwrap_or_default())
        .collect();
    assert_eq!(details[0], "rows: 4; months: 12; linkable: no");
    assert_eq!(details[2], "rows: 4; months: 3; linkable: yes");
    assert!(entries[2].objects.contains(&"series:monthly".to_owned()));
    for entry in &entries {
        let written = format!("{entry:?}");
        for person in PEOPLE {
            assert!(!written.contains(person.phone) && !written.contains(person.plate));
        }
    }
}

#[test]
fn formula_cells_are_neutralised() {
    let fixture = fixture();
    // A tier name a manager typed that a spreadsheet would run.
    let mut settings = fixture
        .shop
        .service
        .points_policy()
        .expect("policy")
        .settings();
    for (i, tier) in settings.tiers.iter_mut().enumerate() {
        tier.name = format!("=cmd|' /C calc'!A{i}");
    }
    fixture
        .shop
        .service
        .update_points_policy(&fixture.manager, settings)
        .expect("policy saved");
    let (_, text) = export(&fixture, "f.csv", &PseudonymisedRequest::default());
    for row in rows(&text) {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "{cell} would run as a formula"
            );
        }
    }
    assert!(text.contains("'=cmd"), "{text}");
}

#[test]
fn a_cashier_is_refused_and_the_refusal_audited() {
    let fixture = fixture();
    let secret = fixture.shop.add_cashier(&fixture.manager);
    let cashier = fixture.shop.cashier(&secret);
    let path = fixture.shop.dir.path().join("cashier.csv");
    let refused = fixture.shop.service.export_pseudonymised(
        &cashier,
        &PseudonymisedRequest::default(),
        &path,
        Existing::Refuse,
    );
    assert!(
        matches!(refused, Err(ServiceError::Forbidden { .. })),
        "{refused:?}"
    );
    assert!(!path.exists());
    let reader = fixture.shop.service.store().read().expect("read");
    let (_, bytes) = reader.audit_stream().expect("audit").last().expect("entry");
    let entry = decode(&bytes).expect("entry");
    assert_eq!(entry.action, AuditAction::PermissionDenied);
    assert_eq!(entry.outcome, Outcome::Denied);
    assert_eq!(
        entry.detail.as_deref(),
        Some("operation: export_pseudonymised")
    );

    // A manager whose last code is older than a few minutes is asked for a fresh one, and
    // nothing is written.
    let manager = fixture.shop.manager();
    fixture.shop.clock.advance(chrono::Duration::minutes(4));
    fixture
        .shop
        .service
        .search_members(&manager, "100001")
        .expect("still logged in");
    fixture.shop.clock.advance(chrono::Duration::minutes(2));
    let stale = fixture.shop.service.export_pseudonymised(
        &manager,
        &PseudonymisedRequest::default(),
        &path,
        Existing::Refuse,
    );
    assert!(
        matches!(stale, Err(ServiceError::StepUpRequired)),
        "{stale:?}"
    );
    assert!(!path.exists());
}

// ---- The command line ----

fn run_export(data: &Path, code: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    all.extend(["--user", MANAGER, "--password-stdin", "--totp", code]);
    run_frontdesk(data, &all, &format!("{MANAGER_PASSWORD}\n"))
}

#[test]
fn the_command_writes_a_private_file_and_never_overwrites_unasked() {
    let Fixture { shop, .. } = fixture();
    let Shop {
        dir,
        service,
        manager_recovery_codes: codes,
        ..
    } = shop;
    // The binary opens the store itself: this process lets go of it first.
    drop(service);
    let out_dir = tempfile::tempdir().expect("dir");
    let csv_path = out_dir.path().join("analysis.csv");
    let csv_text = csv_path.to_str().expect("utf-8 path");

    let done = run_export(dir.path(), &codes[0], &["--pseudonymised", csv_text]);
    assert!(done.status.success(), "{}", printed(&done));
    let said = printed(&done);
    assert!(
        said.contains("4 members over 12 months") && said.contains("analysis.csv"),
        "{said}"
    );
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(&csv_path).expect("written");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let written = std::fs::read_to_string(&csv_path).expect("read");
    assert_eq!(rows(&written).len(), PEOPLE.len());

    let refused = run_export(dir.path(), &codes[1], &["--pseudonymised", csv_text]);
    assert!(!refused.status.success());
    let said = printed(&refused);
    assert!(
        said.contains("already exists") && said.contains("--force"),
        "{said}"
    );
    assert_eq!(std::fs::read_to_string(&csv_path).expect("read"), written);

    // A refused destination spent no code: the same one works with --force.
    let forced = run_export(
        dir.path(),
        &codes[1],
        &[
            "--pseudonymised",
            csv_text,
            "--force",
            "--series",
            "weekly",
            "--months",
            "2",
        ],
    );
    assert!(forced.status.success(), "{}", printed(&forced));
    assert!(
        printed(&forced).contains("new series `weekly`"),
        "{}",
        printed(&forced)
    );
    // The binary runs on the real clock: two month columns, whichever months they are.
    let again = std::fs::read_to_string(&csv_path).expect("read");
    let header = again.lines().next().expect("header");
    assert_eq!(header.matches(",visits_").count(), 2, "{header}");
    assert!(
        header.ends_with(",spend_band,vehicle_types,consent_marketing,consent_birthday_offers"),
        "{header}"
    );

    let wrong = run_export(dir.path(), &codes[2], &["--pseudonymised", "out.txt"]);
    assert!(!wrong.status.success());
    assert!(printed(&wrong).contains(".csv"), "{}", printed(&wrong));
    let months = run_export(
        dir.path(),
        &codes[2],
        &["--pseudonymised", csv_text, "--force", "--months", "0"],
    );
    assert!(!months.status.success());
    assert!(
        printed(&months).contains("1 to 60 months"),
        "{}",
        printed(&months)
    );
}
