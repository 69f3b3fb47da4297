//! A customer's right to see their data (SPEC section 8): a manager, after a fresh code, gets
//! one member's complete data — and nothing about anyone else — as JSON or a printable report,
//! through the service and through `frontdesk access`; a cashier is refused and the refusal is
//! in the audit log.

mod common;

use std::path::Path;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use common::binary::{printed, run_frontdesk};
use common::*;
use frontdesk::audit::{AuditAction, AuditEntry, Outcome, decode};
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::refund::{RefundRequest, RefundedLine};
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::private_file::Existing;
use frontdesk::service::{
    BayInput, BookingRequest, CheckoutInput, CheckoutLine, ConsentPurpose, ExportFormat,
    LocalStart, MemberInput, PackageSale, PlanSale, RefundInput, ServiceError, Session,
    StaffPreferences, VehicleInput,
};

/// Two members a careless search would mix up: the same family name, phones one digit apart,
/// plates one digit apart, booked at the same time on neighbouring bays.
struct Person {
    name: &'static str,
    phone: &'static str,
    phone_stored: &'static str,
    email: &'static str,
    plate: &'static str,
    plate_stored: &'static str,
    notes: &'static str,
    birthday: (i32, u32, u32),
    cancel_reason: &'static str,
    points_reason: &'static str,
    refund_reason: &'static str,
}

const ALICE: Person = Person {
    name: "Alice Whitfield",
    phone: "604-555-0171",
    phone_stored: "6045550171",
    email: "alice.w@example.org",
    plate: "KXR 481",
    plate_stored: "KXR481",
    notes: "Likes the tyre shine",
    birthday: (1984, 6, 9),
    cancel_reason: "Alice phoned: car at the garage",
    points_reason: "Sorry for the long wait",
    refund_reason: "Streaks left on the bonnet",
};

const ALICIA: Person = Person {
    name: "Alicia Whitfield",
    phone: "604-555-0172",
    phone_stored: "6045550172",
    email: "alicia.w@example.org",
    plate: "KXR 482",
    plate_stored: "KXR482",
    notes: "Ask about the dent on the left door",
    birthday: (1986, 2, 17),
    cancel_reason: "Alicia is travelling",
    points_reason: "Birthday bonus for Alicia",
    refund_reason: "Alicia's mirror was missed",
};

struct Member {
    id: RecordId,
    number: u64,
    vehicle: RecordId,
}

struct Fixture {
    shop: Shop,
    manager: Session,
    cashier_secret: Vec<u8>,
    alice: Member,
    alicia: Member,
}

fn at(text: &str) -> LocalStart {
    LocalStart {
        local: NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("time"),
        fold: None,
    }
}

fn fixture() -> Fixture {
    let shop = open_shop();
    let manager = shop.manager();
    let cashier_secret = shop.add_cashier(&manager);
    let service = &shop.service;
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let bays = service.list_bays(&manager).expect("bays");
    let bay_1 = bays[0].id;
    let bay_2 = service
        .save_bay(
            &manager,
            BayInput {
                id: None,
                name: "Bay 2".to_owned(),
                services: vec![wash],
                active: true,
            },
        )
        .expect("bay 2")
        .id;
    let plan_product = shop.plan_product(&manager, vec![wash], 1, 3900, 1);
    let package_product = shop.package_product(&manager, wash, 5, 8000, Some(12));

    let mut made = Vec::new();
    for (person, bay) in [(&ALICE, bay_1), (&ALICIA, bay_2)] {
        let (year, month, day) = person.birthday;
        let detail = service
            .create_member(
                &manager,
                MemberInput {
                    name: person.name.to_owned(),
                    phone: Some(person.phone.to_owned()),
                    email: Some(person.email.to_owned()),
                    birthday: NaiveDate::from_ymd_opt(year, month, day),
                    notes: Some(person.notes.to_owned()),
                },
            )
            .expect("member");
        let vehicle = service
            .add_vehicle(
                &manager,
                detail.id,
                VehicleInput {
                    plate: person.plate.to_owned(),
                    kind: VehicleKind::Sedan,
                    make_model: Some("Volvo V60".to_owned()),
                    colour: Some("grey".to_owned()),
                },
            )
            .expect("vehicle")
            .id;
        let book = |when: &str| {
            service
                .create_booking(
                    &manager,
                    BookingRequest {
                        member: Some(detail.id),
                        vehicle: Some(vehicle),
                        service: wash,
                        bay: Some(bay),
                        start: at(when),
                    },
                )
                .expect("booking")
                .id
        };
        // Both booked for the same slot, each on their own bay; then both come in.
        let today = book("2026-11-23 10:00");
        let later = book("2026-11-30 11:00");
        book("2026-12-07 11:00");
        service
            .cancel_booking(&manager, later, person.cancel_reason)
            .expect("cancel");
        service.check_in(&manager, today).expect("check in");
        let visit = service
            .checkout(
                &manager,
                CheckoutInput {
                    booking: Some(today),
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
            .expect("checkout")
            .visit;
        service
            .refund_visit(
                &manager,
                RefundInput {
                    visit,
                    request: RefundRequest::Lines(vec![RefundedLine {
                        line: 0,
                        quantity: 1,
                    }]),
                    reason: person.refund_reason.to_owned(),
                    to_method: None,
                },
            )
            .expect("refund");
        service
            .adjust_points(&manager, detail.id, 25, person.points_reason)
            .expect("points");
        service
            .sell_plan(
                &manager,
                PlanSale {
                    member: detail.id,
                    vehicle,
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
            .set_consent(&manager, detail.id, ConsentPurpose::Marketing, true)
            .expect("consent");
        service
            .set_consent(&manager, detail.id, ConsentPurpose::Marketing, false)
            .expect("withdrawal");
        made.push(Member {
            id: detail.id,
            number: detail.member_number,
            vehicle,
        });
    }
    let alicia = made.pop().expect("alicia");
    let alice = made.pop().expect("alice");
    // Both records opened at the counter, by the manager and by the cashier.
    let cashier = shop.cashier(&cashier_secret);
    for member in [&alice, &alicia] {
        service.open_member(&manager, member.id).expect("open");
        service.open_member(&cashier, member.id).expect("open");
    }
    service.logout(&cashier).expect("logout");
    Fixture {
        shop,
        manager,
        cashier_secret,
        alice,
        alicia,
    }
}

fn audit_entries(fixture: &Fixture) -> Vec<AuditEntry> {
    let reader = fixture.shop.service.store().read().expect("read");
    reader
        .audit_stream()
        .expect("audit")
        .map(|(_, bytes)| decode(&bytes).expect("entry"))
        .collect()
}

/// Everything of `person` and `member` an export of them must hold, and an export of anyone
/// else must not.
fn traces(person: &Person, member: &Member) -> Vec<String> {
    vec![
        person.name.to_owned(),
        person.phone_stored.to_owned(),
        person.email.to_owned(),
        person.plate_stored.to_owned(),
        person.notes.to_owned(),
        person.cancel_reason.to_owned(),
        person.points_reason.to_owned(),
        person.refund_reason.to_owned(),
        member.id.to_string(),
        member.number.to_string(),
    ]
}

fn json_export(fixture: &Fixture, member: RecordId) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("member.json");
    fixture
        .shop
        .service
        .export_member_data(
            &fixture.manager,
            member,
            ExportFormat::Json,
            &path,
            Existing::Refuse,
        )
        .expect("export");
    std::fs::read_to_string(path).expect("read")
}

#[test]
fn the_export_holds_all_of_the_members_data_and_none_of_the_other_members() {
    let fixture = fixture();
    let text = json_export(&fixture, fixture.alice.id);
    for trace in traces(&ALICE, &fixture.alice) {
        assert!(text.contains(&trace), "missing {trace:?}:\n{text}");
    }
    assert!(text.contains("1984-06-09"), "birthday");
    for trace in traces(&ALICIA, &fixture.alicia) {
        assert!(
            !text.contains(&trace),
            "Alicia's {trace:?} in Alice's export"
        );
    }
    assert!(!text.contains("Alicia"), "Alicia's name in Alice's export");
    assert!(
        !text.contains("Bay 2"),
        "the neighbouring bay's booking is someone else's"
    );
    assert!(!text.contains(&fixture.alicia.vehicle.to_string()));
    for secret in ["password", "totp", "$argon2", "recovery"] {
        assert!(!text.to_lowercase().contains(secret), "{secret}");
    }

    let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(json["format"], "frontdesk.member_data");
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["shop"]["currency"], "CAD");
    let member = &json["member"];
    assert_eq!(member["name"], ALICE.name);
    assert_eq!(member["phone"], ALICE.phone_stored);
    assert_eq!(member["email"], ALICE.email);
    assert_eq!(member["birthday"], "1984-06-09");
    assert_eq!(member["notes"], ALICE.notes);
    assert_eq!(member["member_number"], fixture.alice.number);
    assert!(member["tier"].is_string());
    // Times in the shop's zone, with its offset.
    assert!(
        member["member_since"]
            .as_str()
            .is_some_and(|t| t.starts_with("2026-11-23T") && t.ends_with("-08:00")),
        "{}",
        member["member_since"]
    );
    assert_eq!(json["vehicles"][0]["plate"], ALICE.plate_stored);

    let visits = json["visits"].as_array().expect("visits");
    assert_eq!(visits.len(), 1);
    let visit = &visits[0];
    assert!(visit["receipt_number"].as_u64().is_some());
    assert_eq!(visit["vehicle_plate"], ALICE.plate_stored);
    assert_eq!(visit["lines"][0]["service"], "Exterior wash");
    assert_eq!(visit["charged"]["minor_units"], 2000);
    assert_eq!(visit["charged"]["text"], "20.00 CAD");
    assert_eq!(visit["payments"][0]["method"], "card");
    assert_eq!(visit["refunds"][0]["reason"], ALICE.refund_reason);
    assert_eq!(visit["refunds"][0]["amount"]["minor_units"], 2000);
    assert!(visit["refunds"][0]["receipt_number"].as_u64().is_some());

    let purchases = json["purchases"].as_array().expect("purchases");
    let kinds: Vec<&str> = purchases
        .iter()
        .filter_map(|p| p["kind"].as_str())
        .collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert!(kinds.contains(&"plan_sold") && kinds.contains(&"package_sold"));
    assert_eq!(json["plans"][0]["vehicle_plate"], ALICE.plate_stored);
    assert_eq!(json["plans"][0]["status"], "active");
    assert_eq!(json["packages"][0]["washes_remaining"], 5);

    let entries = json["points"]["entries"].as_array().expect("ledger");
    let kinds: Vec<&str> = entries.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert!(
        kinds.contains(&"earn") && kinds.contains(&"adjust"),
        "{kinds:?}"
    );
    assert!(!json["points"]["lots"].as_array().expect("lots").is_empty());

    let bookings = json["bookings"].as_array().expect("bookings");
    assert_eq!(bookings.len(), 3, "past and future");
    let states: Vec<&str> = bookings
        .iter()
        .filter_map(|b| b["state"].as_str())
        .collect();
    assert_eq!(states, ["booked", "cancelled", "completed"]);
    assert!(bookings.iter().all(|b| b["bay"] == "Bay 1"));

    let consents = json["consents"].as_array().expect("consents");
    assert_eq!(consents.len(), 2, "the grant and the withdrawal");
    assert_eq!(consents[0]["granted"], true);
    assert_eq!(consents[1]["granted"], false);
    assert_eq!(consents[1]["policy_version"], "2026-01");
    assert_eq!(consents[1]["recorded_by"], MANAGER);

    // Who opened the record: the manager and the cashier, each once, in order.
    let access = json["record_access"].as_array().expect("access");
    let who: Vec<(&str, &str)> = access
        .iter()
        .map(|a| {
            (
                a["staff"].as_str().unwrap_or_default(),
                a["action"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(who, [(MANAGER, "opened"), (CASHIER, "opened")]);
    assert_eq!(access[0]["origin"], "counter");
}

#[test]
fn the_export_is_audited_with_the_member_and_the_format_never_a_value() {
    let fixture = fixture();
    let text = json_export(&fixture, fixture.alice.id);
    let entry = audit_entries(&fixture).pop().expect("an entry");
    assert_eq!(entry.action, AuditAction::MemberExported);
    assert_eq!(entry.outcome, Outcome::Ok);
    assert_eq!(
        entry.objects,
        [
            fixture.alice.id.to_string(),
            format!("member:{}", fixture.alice.number)
        ]
    );
    assert!(entry.fields.contains(&"phone".to_owned()));
    assert_eq!(entry.detail.as_deref(), Some("format: json"));
    let stored = format!("{entry:?}");
    for trace in [
        ALICE.name,
        ALICE.phone_stored,
        ALICE.email,
        ALICE.plate_stored,
    ] {
        assert!(!stored.contains(trace), "{trace} in the audit log");
    }
    // The next export lists this one among the accesses.
    let again = json_export(&fixture, fixture.alice.id);
    assert_ne!(text, again);
    let json: serde_json::Value = serde_json::from_str(&again).expect("JSON");
    let access = json["record_access"].as_array().expect("access");
    assert_eq!(access.last().expect("entry")["action"], "exported");
}

#[test]
fn a_cashier_is_refused_and_the_refusal_is_audited() {
    let fixture = fixture();
    let cashier = fixture.shop.cashier(&fixture.cashier_secret);
    let service = &fixture.shop.service;
    let refused = service.member_access_report(&cashier, fixture.alice.id);
    assert!(
        matches!(refused, Err(ServiceError::Forbidden { .. })),
        "{refused:?}"
    );
    let entry = audit_entries(&fixture).pop().expect("an entry");
    assert_eq!(entry.action, AuditAction::PermissionDenied);
    assert_eq!(entry.outcome, Outcome::Denied);
    assert_eq!(
        entry.detail.as_deref(),
        Some("operation: export_member_data")
    );
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("alice.json");
    let refused = service.export_member_data(
        &cashier,
        fixture.alice.id,
        ExportFormat::Json,
        &path,
        Existing::Refuse,
    );
    assert!(matches!(refused, Err(ServiceError::Forbidden { .. })));
    assert!(!path.exists(), "nothing written");
    assert!(matches!(
        service.check_member_export(&cashier),
        Err(ServiceError::Forbidden { .. })
    ));
}

#[test]
fn a_manager_needs_a_fresh_code() {
    let fixture = fixture();
    let service = &fixture.shop.service;
    // The login's code was a step-up; six minutes later it no longer is. The session is kept
    // busy meanwhile so that it does not lock itself.
    for _ in 0..3 {
        fixture.shop.clock.advance(Duration::minutes(2));
        service
            .member_points(&fixture.manager, fixture.alice.id)
            .expect("still logged in");
    }
    let refused = service.member_access_report(&fixture.manager, fixture.alice.id);
    assert!(
        matches!(refused, Err(ServiceError::StepUpRequired)),
        "{refused:?}"
    );
    let code = phone_code(
        &fixture.shop.manager_secret,
        fixture.shop.clock.now_for_tests(),
    );
    service.step_up(&fixture.manager, &code).expect("step up");
    let report = service
        .member_access_report(&fixture.manager, fixture.alice.id)
        .expect("report");
    assert_eq!(report.member.member_number, fixture.alice.number);
    assert!(
        !format!("{report:?}").contains(ALICE.name),
        "Debug hides data"
    );
    let entry = audit_entries(&fixture).pop().expect("an entry");
    assert_eq!(entry.action, AuditAction::MemberExported);
    assert_eq!(entry.detail.as_deref(), Some("format: view"));
}

#[test]
fn the_text_report_is_in_the_managers_language() {
    let fixture = fixture();
    let service = &fixture.shop.service;
    let dir = tempfile::tempdir().expect("dir");
    let english = dir.path().join("alice.txt");
    service
        .export_member_data(
            &fixture.manager,
            fixture.alice.id,
            ExportFormat::Text,
            &english,
            Existing::Refuse,
        )
        .expect("export");
    let text = std::fs::read_to_string(&english).expect("read");
    assert!(
        text.starts_with("Personal data held about member"),
        "{text}"
    );
    assert!(text.contains(ALICE.name) && text.contains("20.00 CAD"));
    assert!(text.contains("WHO OPENED THIS RECORD"));
    assert!(!text.contains("Alicia"));
    // 09:00 in Vancouver, not 17:00 UTC.
    assert!(text.contains("2026-11-23 10:00"), "{text}");
    insta::assert_snapshot!("text_report_en", text);

    service
        .set_my_preferences(
            &fixture.manager,
            StaffPreferences {
                language: Some("zh-CN".to_owned()),
                theme: None,
            },
        )
        .expect("preferences");
    let chinese = dir.path().join("alice-zh.txt");
    service
        .export_member_data(
            &fixture.manager,
            fixture.alice.id,
            ExportFormat::Text,
            &chinese,
            Existing::Refuse,
        )
        .expect("export");
    let text = std::fs::read_to_string(&chinese).expect("read");
    assert!(text.starts_with("会员个人数据"), "{text}");
    assert!(text.contains("查看过此记录的员工") && text.contains(ALICE.name));
    insta::assert_snapshot!("text_report_zh", text);
}

#[test]
fn an_export_file_is_private_and_never_replaced_unasked() {
    let fixture = fixture();
    let service = &fixture.shop.service;
    let path = service.export_path(Path::new("exports/alice.json"));
    assert_eq!(path, fixture.shop.dir.path().join("exports/alice.json"));
    let written = service
        .export_member_data(
            &fixture.manager,
            fixture.alice.id,
            ExportFormat::Json,
            &path,
            Existing::Refuse,
        )
        .expect("export");
    assert_eq!(written.path, path);
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&service.exports_dir()), 0o700);
    let before = audit_entries(&fixture).len();
    let again = service.export_member_data(
        &fixture.manager,
        fixture.alice.id,
        ExportFormat::Json,
        &path,
        Existing::Refuse,
    );
    assert!(matches!(&again, Err(ServiceError::File(_))), "{again:?}");
    assert_eq!(
        audit_entries(&fixture).len(),
        before,
        "no export, no export entry"
    );
    assert!(
        ExportFormat::from_path(Path::new("alice.csv"))
            .unwrap_err()
            .to_string()
            .contains(".json or .txt")
    );
}

// ---- The command line ----

/// Runs `frontdesk access` as the manager with one of their recovery codes.
fn run_access(data: &Path, code: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["access"];
    all.extend_from_slice(args);
    all.extend(["--user", MANAGER, "--password-stdin", "--totp", code]);
    run_frontdesk(data, &all, &format!("{MANAGER_PASSWORD}\n"))
}

#[test]
fn the_command_writes_a_private_file_and_never_overwrites_unasked() {
    let fixture = fixture();
    fixture
        .shop
        .service
        .set_my_preferences(
            &fixture.manager,
            StaffPreferences {
                language: Some("zh-CN".to_owned()),
                theme: None,
            },
        )
        .expect("preferences");
    let alice = fixture.alice.number.to_string();
    let Fixture { shop, .. } = fixture;
    let Shop {
        dir,
        service,
        manager_recovery_codes: codes,
        ..
    } = shop;
    // The binary opens the store itself: this process lets go of it first.
    drop(service);
    let out_dir = tempfile::tempdir().expect("dir");
    let json = out_dir.path().join("alice.json");
    let json_text = json.to_str().expect("utf-8 path");

    let done = run_access(
        dir.path(),
        &codes[0],
        &["--member", &alice, "--out", json_text],
    );
    assert!(done.status.success(), "{}", printed(&done));
    assert!(printed(&done).contains("alice.json"), "{}", printed(&done));
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(&json).expect("written");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let written = std::fs::read_to_string(&json).expect("read");
    assert!(written.contains(ALICE.name) && !written.contains(ALICIA.name));

    let refused = run_access(
        dir.path(),
        &codes[1],
        &["--member", &alice, "--out", json_text],
    );
    assert!(!refused.status.success());
    let said = printed(&refused);
    assert!(
        said.contains("already exists") && said.contains("--force"),
        "{said}"
    );
    assert_eq!(std::fs::read_to_string(&json).expect("read"), written);

    // A refused destination spent no code: the same one works with --force.
    let forced = run_access(
        dir.path(),
        &codes[1],
        &["--member", &alice, "--out", json_text, "--force"],
    );
    assert!(forced.status.success(), "{}", printed(&forced));

    let report = out_dir.path().join("alice.txt");
    let done = run_access(
        dir.path(),
        &codes[2],
        &["--member", &alice, "--out", report.to_str().expect("utf-8")],
    );
    assert!(done.status.success(), "{}", printed(&done));
    let text = std::fs::read_to_string(&report).expect("read");
    assert!(text.starts_with("会员个人数据"), "{text}");
    assert!(text.contains(ALICE.name) && text.contains("姓名"));

    let csv = out_dir.path().join("alice.csv");
    let wrong = run_access(
        dir.path(),
        &codes[3],
        &["--member", &alice, "--out", csv.to_str().expect("utf-8")],
    );
    assert!(!wrong.status.success());
    assert!(
        printed(&wrong).contains(".json or .txt"),
        "{}",
        printed(&wrong)
    );
    assert!(!csv.exists());

    let nobody = run_access(
        dir.path(),
        &codes[3],
        &["--member", "999999", "--out", json_text, "--force"],
    );
    assert!(!nobody.status.success());
    assert!(
        printed(&nobody).contains("no member number 999999"),
        "{}",
        printed(&nobody)
    );
}
