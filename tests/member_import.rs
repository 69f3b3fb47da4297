//! Bringing a shop's customer list in: all or nothing, problems named by the file's line,
//! GB18030 files from Chinese Excel, duplicates in the file and against the store, opening
//! points as one lot each, formula cells made harmless, a cashier refused (and audited), and
//! `frontdesk import --dry-run` writing nothing — through the service and the real binary.

mod common;

use std::path::{Path, PathBuf};

use common::binary::{INIT_ARGS, SCRIPT_PASSWORD, printed, run_frontdesk};
use common::*;
use frontdesk::audit::{AuditAction, AuditEntry, Outcome, decode};
use frontdesk::domain::loyalty::EntryKind;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::service::{
    BirthdayView, CONSENT_POLICY_VERSION, ConsentPurpose, FileEncoding, IMPORT_POINTS_REASON,
    ImportReport, ImportRequest, MemberDetail, MemberInput, ServiceError, Session, UniqueField,
};
use frontdesk::store::ReadAccess;
use frontdesk::store::Store;
use frontdesk::store::schema::MEMBERS;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture")
}

fn import(shop: &Shop, session: &Session, bytes: &[u8], dry_run: bool) -> ImportReport {
    let rows = shop
        .service
        .read_member_file(bytes, None)
        .expect("a readable member file");
    shop.service
        .import_members(session, ImportRequest { rows, dry_run })
        .expect("import report")
}

fn member_count(store: &Store) -> u64 {
    store.read().unwrap().count(MEMBERS).unwrap()
}

fn audit_entries(store: &Store) -> Vec<AuditEntry> {
    store
        .read()
        .unwrap()
        .audit_stream()
        .unwrap()
        .map(|(_, bytes)| decode(&bytes).unwrap())
        .collect()
}

/// The one member a manager's search finds for `query`, opened.
fn find(shop: &Shop, manager: &Session, query: &str) -> MemberDetail {
    let found = shop.service.search_members(manager, query).unwrap().members;
    assert_eq!(found.len(), 1, "{query}: {} found", found.len());
    shop.service.open_member(manager, found[0].id).unwrap()
}

#[test]
fn the_documented_example_imports_every_field_as_the_member_form_would() {
    let shop = open_shop();
    let manager = shop.manager();
    let report = import(&shop, &manager, &fixture_bytes("members.csv"), false);
    assert!(report.is_clean(), "{:?}", report.problem_lines());
    assert_eq!(report.encoding, FileEncoding::Utf8);
    assert_eq!((report.rows_read, report.members), (5, 5));
    assert_eq!(report.vehicles, 4);
    assert_eq!(report.consents, 7);
    assert_eq!(report.points_total, 1200 + 350 + 80);
    assert_eq!(report.created, Some((100_001, 100_005)));
    assert_eq!(member_count(shop.service.store()), 5);

    shop.service.wait_for_name_index();
    let zhang = find(&shop, &manager, "张伟");
    assert_eq!(zhang.member_number, 100_003);
    assert_eq!(zhang.phone.as_ref().unwrap().as_str(), "13812345678");
    assert_eq!(
        zhang.email.as_ref().unwrap().as_str(),
        "zhang.wei@example.cn"
    );
    assert_eq!(
        zhang.birthday,
        Some(BirthdayView::Date(
            chrono::NaiveDate::from_ymd_opt(1990, 5, 17).unwrap()
        ))
    );
    assert_eq!(
        zhang.notes.as_ref().unwrap().as_str(),
        "Ceramic coating 2025-10\nAsk before using the tyre shine"
    );
    assert_eq!(zhang.vehicles.len(), 1);
    assert_eq!(zhang.vehicles[0].plate.as_str(), "苏A12345");
    assert_eq!(zhang.vehicles[0].kind, VehicleKind::Suv);
    let consents: Vec<(ConsentPurpose, bool, &str)> = zhang
        .consents
        .iter()
        .map(|c| (c.purpose, c.granted, c.policy_version.as_str()))
        .collect();
    assert_eq!(
        consents,
        vec![
            (ConsentPurpose::Marketing, true, CONSENT_POLICY_VERSION),
            (
                ConsentPurpose::BirthdayOffers,
                false,
                CONSENT_POLICY_VERSION
            ),
        ]
    );
    assert_eq!(zhang.consents[0].staff, MANAGER);

    // Found the ways the desk finds people: phone, last four, plate without its province,
    // email, member number.
    assert_eq!(
        find(&shop, &manager, "6045550101").name.as_str(),
        "John Smith"
    );
    assert_eq!(find(&shop, &manager, "0105").name.as_str(), "Priya Patel");
    assert_eq!(find(&shop, &manager, "AF0236").name.as_str(), "Li Na");
    assert_eq!(
        find(&shop, &manager, "maria@example.com").name.as_str(),
        "Maria Garcia"
    );
    assert_eq!(find(&shop, &manager, "100004").name.as_str(), "Li Na");
    let li = find(&shop, &manager, "Li Na");
    assert_eq!(li.vehicles[0].kind, VehicleKind::Sedan);
    assert!(li.consents.is_empty(), "never asked, so nothing recorded");

    // One audit entry for the file, naming the member numbers and the file's hash.
    let entries = audit_entries(shop.service.store());
    let imported: Vec<&AuditEntry> = entries
        .iter()
        .filter(|e| e.action == AuditAction::MembersImported)
        .collect();
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0].outcome, Outcome::Ok);
    assert_eq!(imported[0].objects, vec!["member:100001", "member:100005"]);
    let detail = imported[0].detail.as_deref().unwrap();
    assert!(detail.contains(&report.sha256_hex), "{detail}");
    assert!(detail.contains("5 members"), "{detail}");
    assert!(
        !detail.contains("Smith") && !detail.contains("604"),
        "{detail}"
    );
    assert!(imported[0].fields.contains(&"phone".to_owned()));
    // And, as for a member registered at the desk, one creation entry per member (fields
    // named, no values) and one per vehicle.
    let created: Vec<&AuditEntry> = entries
        .iter()
        .filter(|e| e.action == AuditAction::MemberCreated)
        .collect();
    assert_eq!(created.len(), 5);
    assert_eq!(created[2].objects[1], "member:100003");
    assert_eq!(
        created[2].fields,
        vec!["name", "phone", "email", "birthday", "notes"]
    );
    assert_eq!(created[3].fields, vec!["name", "phone"]);
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.action == AuditAction::VehicleAdded)
            .count(),
        4
    );
}

#[test]
fn one_bad_row_writes_nothing_and_names_its_line() {
    let shop = open_shop();
    let manager = shop.manager();
    let before = audit_entries(shop.service.store()).len();
    let report = import(&shop, &manager, &fixture_bytes("one_bad_row.csv"), false);
    assert!(!report.is_clean());
    assert_eq!(report.created, None);
    assert_eq!(report.rows_read, 4);
    assert_eq!(report.rows_valid, 3);
    let [problem] = report.invalid.as_slice() else {
        panic!("{:?}", report.invalid)
    };
    assert_eq!(problem.line, 4);
    let reasons = problem.reasons.join("; ");
    for field in ["phone:", "email:", "points:"] {
        assert!(reasons.contains(field), "{reasons}");
    }
    assert!(
        !reasons.contains("carol@") && !reasons.contains("-40"),
        "{reasons}"
    );
    assert_eq!(
        report.problem_lines()[0].1.split(':').next(),
        Some("line 4")
    );
    assert_eq!(member_count(shop.service.store()), 0);

    // The refusal itself is audited, without values; nothing else was written.
    let entries = audit_entries(shop.service.store());
    assert_eq!(entries.len(), before + 1);
    let last = entries.last().unwrap();
    assert_eq!(
        (last.action, last.outcome),
        (AuditAction::MembersImported, Outcome::Failed)
    );
    assert!(last.detail.as_deref().unwrap().contains("nothing written"));
}

#[test]
fn a_gb18030_file_from_chinese_excel_imports_with_the_right_names() {
    let shop = open_shop();
    let manager = shop.manager();
    let bytes = fixture_bytes("members_gb18030.csv");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the fixture is GB18030"
    );
    let report = import(&shop, &manager, &bytes, false);
    assert!(report.is_clean(), "{:?}", report.problem_lines());
    assert_eq!(report.encoding, FileEncoding::Gb18030);
    assert_eq!(report.members, 3);

    shop.service.wait_for_name_index();
    let ouyang = find(&shop, &manager, "13812340001");
    assert_eq!(ouyang.name.as_str(), "欧阳娜娜");
    assert_eq!(ouyang.notes.as_ref().unwrap().as_str(), "喜欢手工擦干");
    assert_eq!(ouyang.vehicles[0].plate.as_str(), "粤B12345");
    assert_eq!(ouyang.vehicles[0].kind, VehicleKind::Sedan);
    assert_eq!(find(&shop, &manager, "欧阳").name.as_str(), "欧阳娜娜");
    assert_eq!(
        find(&shop, &manager, "王小明").vehicles[0].kind,
        VehicleKind::Suv
    );
    assert_eq!(find(&shop, &manager, "李华").member_number, 100_003);

    // Forcing the wrong encoding is refused with what to do, not imported as garbage.
    let refused = shop
        .service
        .read_member_file(&bytes, Some(FileEncoding::Utf8))
        .unwrap_err();
    assert!(
        refused.to_string().contains("--encoding gb18030"),
        "{refused}"
    );
}

#[test]
fn duplicates_in_the_file_and_against_the_store_are_reported_and_nothing_written() {
    let shop = open_shop();
    let manager = shop.manager();
    let existing = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "Existing Customer".to_owned(),
                phone: Some("604 555 0199".to_owned()),
                ..MemberInput::default()
            },
        )
        .unwrap();
    let file = "name,phone,email,plate\n\
                Ann Lee,604 555 0001,ann@example.com,AAA111\n\
                Returning,+1 604 555 0199,,\n\
                Ann's sister,604 555 0003,ANN@example.com,\n\
                Third,604 555 0004,,aaa 111\n";
    for dry_run in [true, false] {
        let report = import(&shop, &manager, file.as_bytes(), dry_run);
        assert!(!report.is_clean());
        let in_file: Vec<(UniqueField, u64, u64)> = report
            .file_duplicates
            .iter()
            .map(|d| (d.field, d.line, d.first_line))
            .collect();
        assert_eq!(
            in_file,
            vec![(UniqueField::Email, 4, 2), (UniqueField::Plate, 5, 2)]
        );
        if dry_run {
            // The dry run checks the store too; the real import stops at the file's own
            // problems before it reaches the store.
            let [store] = report.store_duplicates.as_slice() else {
                panic!("{:?}", report.store_duplicates)
            };
            assert_eq!(
                (store.line, store.field, store.member_number),
                (3, UniqueField::Phone, existing.member_number)
            );
            assert_eq!(
                store.to_string(),
                format!(
                    "line 3: the phone is already on member #{}; leave the row out, or add what is new to that member",
                    existing.member_number
                )
            );
        }
        assert_eq!(member_count(shop.service.store()), 1);
    }

    // A file clean in itself is still refused over a member already in the store.
    let report = import(
        &shop,
        &manager,
        b"name,phone\nNew One,604 555 0100\nReturning,604-555-0199\n",
        false,
    );
    assert_eq!(report.store_duplicates.len(), 1);
    assert_eq!(report.store_duplicates[0].line, 3);
    assert_eq!(report.created, None);
    assert_eq!(member_count(shop.service.store()), 1);
}

#[test]
fn opening_points_are_one_import_lot_per_member_and_the_balance_is_the_ledger() {
    let shop = open_shop();
    let manager = shop.manager();
    let report = import(
        &shop,
        &manager,
        b"name,phone,points\nAnn,604 555 0001,1500\nBob,604 555 0002,0\nCy,604 555 0003,7\n",
        false,
    );
    assert_eq!(report.points_total, 1507);
    for (phone, points) in [("6045550001", 1500), ("6045550002", 0), ("6045550003", 7)] {
        let member = find(&shop, &manager, phone);
        let view = shop.service.member_points(&manager, member.id).unwrap();
        assert_eq!(view.balance, points);
        assert_eq!(
            view.balance,
            view.entries.iter().map(|e| e.points).sum::<i64>()
        );
        if points == 0 {
            assert!(view.entries.is_empty() && view.lots.is_empty());
            continue;
        }
        let [entry] = view.entries.as_slice() else {
            panic!("{:?}", view.entries)
        };
        assert_eq!(entry.kind, EntryKind::Adjust);
        assert_eq!(entry.reason.as_deref(), Some(IMPORT_POINTS_REASON));
        assert_eq!(view.lots.len(), 1);
        assert_eq!(view.lots[0].1, points);
    }
}

#[test]
fn formula_cells_are_stored_sanitised_and_harmless() {
    let shop = open_shop();
    let manager = shop.manager();
    let file = "name,phone,notes\n\
                \"=cmd|' /C calc'!A0\",604 555 0001,\"@SUM(1+1)\u{1b}[31m red\u{202e}\"\n\
                \"+HYPERLINK(\"\"http://x\"\")\u{200b}\",604 555 0002,-2+3\n";
    let report = import(&shop, &manager, file.as_bytes(), false);
    assert!(report.is_clean(), "{:?}", report.problem_lines());
    let first = find(&shop, &manager, "6045550001");
    assert_eq!(first.name.as_str(), "'=cmd|' /C calc'!A0");
    assert_eq!(first.notes.as_ref().unwrap().as_str(), "'@SUM(1+1)[31m red");
    let second = find(&shop, &manager, "6045550002");
    assert_eq!(second.name.as_str(), "'+HYPERLINK(\"http://x\")");
    assert_eq!(second.notes.as_ref().unwrap().as_str(), "'-2+3");
    for text in [first.name.as_str(), first.notes.as_ref().unwrap().as_str()] {
        assert!(
            !text.chars().any(frontdesk::domain::is_unsafe_char),
            "{text:?}"
        );
    }
}

#[test]
fn a_cashier_is_refused_and_the_refusal_is_audited() {
    let shop = open_shop();
    let manager = shop.manager();
    let secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&secret);
    for dry_run in [true, false] {
        let rows = shop
            .service
            .read_member_file(&fixture_bytes("members.csv"), None)
            .unwrap();
        let refused = shop
            .service
            .import_members(&cashier, ImportRequest { rows, dry_run })
            .unwrap_err();
        assert!(
            matches!(refused, ServiceError::Forbidden { .. }),
            "{refused}"
        );
    }
    assert!(matches!(
        shop.service.may_import_members(&cashier),
        Err(ServiceError::Forbidden { .. })
    ));
    let denied: Vec<String> = audit_entries(shop.service.store())
        .into_iter()
        .filter(|e| e.action == AuditAction::PermissionDenied)
        .filter_map(|e| e.detail)
        .collect();
    assert_eq!(
        denied,
        vec![
            "operation: preview_member_import",
            "operation: import_members",
            "operation: preview_member_import",
        ]
    );
    assert_eq!(member_count(shop.service.store()), 0);
}

#[test]
fn the_import_needs_a_fresh_code_and_the_dry_run_does_not() {
    let shop = open_shop();
    let manager = shop.manager();
    let bytes = fixture_bytes("members.csv");
    // Six minutes after the login's code, with work in between (no idle lock).
    shop.clock.advance(chrono::Duration::minutes(3));
    import(&shop, &manager, &bytes, true);
    shop.clock.advance(chrono::Duration::minutes(3));
    let dry = import(&shop, &manager, &bytes, true);
    assert!(dry.is_clean() && dry.created.is_none());
    assert_eq!(dry.preview.len(), 5);
    assert_eq!(dry.preview[2].name.as_str(), "张伟");
    assert_eq!(dry.preview[2].plate.as_ref().unwrap().as_str(), "苏A12345");
    let rows = shop.service.read_member_file(&bytes, None).unwrap();
    let refused = shop
        .service
        .import_members(
            &manager,
            ImportRequest {
                rows,
                dry_run: false,
            },
        )
        .unwrap_err();
    assert!(matches!(refused, ServiceError::StepUpRequired), "{refused}");
    assert_eq!(member_count(shop.service.store()), 0);

    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    shop.service.step_up(&manager, &code).unwrap();
    let report = import(&shop, &manager, &bytes, false);
    assert_eq!(report.created, Some((100_001, 100_005)));
}

/// A shop made by `frontdesk init`, with the owner's recovery codes (one per login).
fn init_shop() -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop");
    let init = run_frontdesk(&data, INIT_ARGS, &format!("{SCRIPT_PASSWORD}\n"));
    assert!(init.status.success(), "{}", printed(&init));
    let codes: Vec<String> = printed(&init)
        .lines()
        .map(str::trim)
        .filter(|line| line.len() == 19 && line.matches('-').count() == 3)
        .map(str::to_owned)
        .collect();
    assert_eq!(codes.len(), 10);
    (dir, data, codes)
}

fn cli_import(data: &Path, file: &Path, extra: &[&str], code: &str) -> std::process::Output {
    let mut args = vec![
        "import",
        file.to_str().unwrap(),
        "--user",
        "owner",
        "--password-stdin",
        "--totp",
        code,
    ];
    args.extend_from_slice(extra);
    run_frontdesk(data, &args, &format!("{SCRIPT_PASSWORD}\n"))
}

#[test]
fn the_command_line_dry_run_writes_nothing_and_a_bad_file_fails_plainly() {
    let (_dir, data, codes) = init_shop();
    let dry = cli_import(&data, &fixture("members.csv"), &["--dry-run"], &codes[0]);
    let text = printed(&dry);
    assert!(dry.status.success(), "{text}");
    assert!(text.contains("5 rows read (UTF-8, SHA-256 "), "{text}");
    assert!(
        text.contains("importing it would create 5 members, 4 vehicles, 7 consent answers and 1630 opening points. Nothing was written."),
        "{text}"
    );
    let store = Store::open(&data).unwrap();
    assert_eq!(member_count(&store), 0);
    assert!(
        !audit_actions(&store).contains(&AuditAction::MembersImported),
        "a dry run is not an import"
    );
    drop(store);

    let bad = cli_import(&data, &fixture("one_bad_row.csv"), &[], &codes[1]);
    let text = printed(&bad);
    assert!(!bad.status.success(), "{text}");
    assert!(text.contains("line 4: phone: too few digits"), "{text}");
    assert!(
        text.contains("1 problem (listed above); nothing was written."),
        "{text}"
    );
    assert_eq!(member_count(&Store::open(&data).unwrap()), 0);

    // The GB18030 fixture, forced as UTF-8, is refused before any login.
    let forced = cli_import(
        &data,
        &fixture("members_gb18030.csv"),
        &["--encoding", "utf-8"],
        "000000",
    );
    let text = printed(&forced);
    assert!(!forced.status.success());
    assert!(text.contains("pass --encoding gb18030"), "{text}");
    assert!(text.contains("Nothing was written."), "{text}");

    let done = cli_import(&data, &fixture("members_gb18030.csv"), &[], &codes[2]);
    let text = printed(&done);
    assert!(done.status.success(), "{text}");
    assert!(text.contains("(GB18030, SHA-256"), "{text}");
    assert!(
        text.contains("Imported 3 members, 2 vehicles, 4 consent answers and 620 opening points (member numbers #100001 to #100003)."),
        "{text}"
    );
    assert_eq!(member_count(&Store::open(&data).unwrap()), 3);

    // The store's own check agrees: balances equal ledgers, the audit chain holds.
    let verify = run_frontdesk(&data, &["verify"], "");
    assert!(verify.status.success(), "{}", printed(&verify));
}
