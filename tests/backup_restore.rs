//! Backup and restore: a busy shop backed up and restored into an empty directory comes back
//! whole and verified; the file holds nothing personal in the clear; wrong credentials,
//! tampering and truncation are refused and leave nothing behind; the snapshot is consistent
//! while others write; and the real binary does it all from a script.

mod common;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use common::binary::{printed, run_frontdesk};
use common::*;
use frontdesk::audit::{AuditAction, decode};
use frontdesk::clock::Clock;
use frontdesk::domain::catalog::{PaymentMethod, ServiceCategory};
use frontdesk::domain::money::Money;
use frontdesk::domain::schedule::FoldChoice;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::entropy::SeededEntropy;
use frontdesk::ids::RecordId;
use frontdesk::service::integrity::verify_store;
use frontdesk::service::{
    BackupError, BayInput, BookingRequest, CheckoutInput, CheckoutLine, ConsentPurpose, LocalStart,
    MemberInput, RestoreRequest, SecondFactor, Service, ServiceError, ServiceInput, Session,
    VehicleInput, restore_backup,
};
use frontdesk::store::{ReadAccess, STORE_FILE_NAME, Store};
use secrecy::SecretString;

const NAME: &str = "Quintessa Marlowe-Vantongeren";
const PHONE: &str = "+1 604 555 0199";
const EMAIL: &str = "quintessa.marlowe@example.org";
const PLATE: &str = "ZQXV 917";
const NOTES: &str = "Prefers the ceramic wax, allergic to citrus foam";

/// The shop's manager session and the member whose data the tests follow.
struct BusyShop {
    shop: Shop,
    manager: Session,
    member: RecordId,
}

fn busy_shop() -> BusyShop {
    let shop = open_shop();
    let manager = shop.manager();
    let service = &shop.service;
    let wash = service
        .save_service(
            &manager,
            ServiceInput {
                id: None,
                name: "Full service".to_owned(),
                category: ServiceCategory::FullService,
                duration_minutes: 60,
                price: Money::from_minor(4500),
                earns_points: true,
                active: true,
                tax_class: Default::default(),
            },
        )
        .unwrap()
        .id;
    service
        .save_bay(
            &manager,
            BayInput {
                id: None,
                name: "Bay 1".to_owned(),
                services: vec![wash],
                active: true,
            },
        )
        .unwrap();
    let member = service
        .create_member(
            &manager,
            MemberInput {
                name: NAME.to_owned(),
                phone: Some(PHONE.to_owned()),
                email: Some(EMAIL.to_owned()),
                birthday: NaiveDate::from_ymd_opt(1987, 4, 12),
                notes: Some(NOTES.to_owned()),
            },
        )
        .unwrap()
        .id;
    let vehicle = service
        .add_vehicle(
            &manager,
            member,
            VehicleInput {
                plate: PLATE.to_owned(),
                kind: VehicleKind::Suv,
                make_model: None,
                colour: None,
            },
        )
        .unwrap()
        .id;
    service
        .set_consent(&manager, member, ConsentPurpose::Marketing, true)
        .unwrap();
    let start = |text: &str| LocalStart {
        local: chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap(),
        fold: None::<FoldChoice>,
    };
    let booking = |at: &str| {
        service
            .create_booking(
                &manager,
                BookingRequest {
                    member: Some(member),
                    vehicle: Some(vehicle),
                    service: wash,
                    bay: None,
                    start: start(at),
                },
            )
            .unwrap()
            .id
    };
    let today = booking("2026-11-23 10:00");
    booking("2026-11-25 10:00");
    service.check_in(&manager, today).unwrap();
    service
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
        .unwrap();
    service
        .adjust_points(&manager, member, 100, "welcome bonus")
        .unwrap();
    BusyShop {
        shop,
        manager,
        member,
    }
}

fn backup_bytes(shop: &BusyShop) -> (Vec<u8>, frontdesk::service::BackupSummary) {
    let mut file = Vec::new();
    let summary = shop.shop.service.backup(&shop.manager, &mut file).unwrap();
    (file, summary)
}

fn request(username: &str, password: &str, second_factor: SecondFactor) -> RestoreRequest {
    RestoreRequest {
        username: username.to_owned(),
        password: SecretString::from(password.to_owned()),
        second_factor,
    }
}

fn manager_code(shop: &Shop) -> SecondFactor {
    SecondFactor::Totp(phone_code(&shop.manager_secret, shop.clock.now_for_tests()))
}

fn restore(
    file: &[u8],
    dir: &Path,
    shop: &Shop,
    request: RestoreRequest,
) -> Result<frontdesk::service::RestoreSummary, ServiceError> {
    restore_backup(file, dir, request, shop.clock.as_ref())
}

/// Nothing was restored: no store, no working directory.
fn assert_nothing_restored(dir: &Path) {
    assert!(!dir.join(STORE_FILE_NAME).exists());
    if dir.exists() {
        let left: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }
}

fn audit_actions(store: &Store) -> Vec<AuditAction> {
    let reader = store.read().unwrap();
    reader
        .audit_stream()
        .unwrap()
        .map(|(_, bytes)| decode(&bytes).unwrap().action)
        .collect()
}

#[test]
fn a_busy_shop_comes_back_whole_verified_and_with_the_restore_audited() {
    let shop = busy_shop();
    let service = &shop.shop.service;
    let balance = service
        .member_points(&shop.manager, shop.member)
        .unwrap()
        .balance;
    assert!(balance > 100);
    let (file, summary) = backup_bytes(&shop);
    assert_eq!(
        (summary.members, summary.visits, summary.bookings),
        (1, 1, 2),
        "one member, one visit, two bookings (one completed, one ahead)"
    );
    assert!(summary.audit_entries > 5);
    assert_eq!(summary.bytes, file.len() as u64);
    // The source store records the backup with its digest, and no path.
    let source_log = service.store().read().unwrap();
    let (_, last) = source_log.audit_stream().unwrap().last().unwrap();
    let last = decode(&last).unwrap();
    assert_eq!(last.action, AuditAction::BackupCreated);
    assert!(last.detail.unwrap().contains(&summary.sha256_hex()));
    drop(source_log);

    let target = tempfile::tempdir().unwrap();
    let data = target.path().join("restored");
    let restored = restore(
        &file,
        &data,
        &shop.shop,
        request(MANAGER, MANAGER_PASSWORD, manager_code(&shop.shop)),
    )
    .unwrap();
    assert_eq!(restored.backup, summary);
    assert_eq!(restored.checkpoint.count, summary.audit_entries + 1);

    let mut store = Store::open(&data).unwrap();
    let report = verify_store(&mut store, None).unwrap();
    assert!(report.is_ok(), "{:?}", report.lines());
    assert_eq!(report.audit_head, restored.checkpoint);
    assert_eq!(
        audit_actions(&store).last(),
        Some(&AuditAction::BackupRestored)
    );

    // The same data through the service: log in, find the member, same balance.
    shop.shop.next_step();
    let again = Service::new(
        store,
        shop.shop.clock.clone(),
        Arc::new(SeededEntropy::new(7)),
    );
    let code = phone_code(&shop.shop.manager_secret, shop.shop.clock.now_for_tests());
    let session = again
        .login(frontdesk::service::LoginRequest {
            username: MANAGER.to_owned(),
            password: SecretString::from(MANAGER_PASSWORD.to_owned()),
            second_factor: SecondFactor::Totp(code),
            origin: frontdesk::audit::Origin::Local,
            ssh_key: None,
        })
        .unwrap();
    let found = again.search_members(&session, "0199").unwrap();
    assert_eq!(found.members.len(), 1);
    assert_eq!(found.members[0].id, shop.member);
    let detail = again.open_member(&session, shop.member).unwrap();
    assert_eq!(detail.name.as_str(), NAME);
    assert_eq!(detail.vehicles[0].plate.as_str(), "ZQXV917");
    assert_eq!(detail.consents.len(), 1);
    assert_eq!(
        again.member_points(&session, shop.member).unwrap().balance,
        balance
    );
    assert_eq!(again.member_visits(&session, shop.member).unwrap().len(), 1);
    assert_eq!(
        again.member_bookings(&session, shop.member).unwrap().len(),
        2
    );
}

#[test]
fn the_backup_file_holds_no_personal_field_in_the_clear() {
    let shop = busy_shop();
    let (file, _) = backup_bytes(&shop);
    for value in [
        NAME,
        "Quintessa",
        "Marlowe",
        PHONE,
        "6045550199",
        "0199",
        EMAIL,
        PLATE,
        "ZQXV917",
        NOTES,
        "citrus",
        "1987-04-12",
        MANAGER,
        "Sparkle Car Wash",
    ] {
        assert!(
            !file.windows(value.len()).any(|w| w == value.as_bytes()),
            "`{value}` appears in the backup in the clear"
        );
    }
}

#[test]
fn a_cashier_may_not_make_a_backup() {
    let shop = busy_shop();
    let secret = shop.shop.add_cashier(&shop.manager);
    let cashier = shop.shop.cashier(&secret);
    let refused = shop.shop.service.backup(&cashier, &mut Vec::new());
    assert!(
        matches!(refused, Err(ServiceError::Forbidden { .. })),
        "{refused:?}"
    );
}

#[test]
fn every_wrong_credential_gets_the_same_sentence_and_a_recovery_code_works() {
    let shop = busy_shop();
    let (file, _) = backup_bytes(&shop);
    let target = tempfile::tempdir().unwrap();
    let data = target.path().join("restored");
    let used_code = phone_code(
        &shop.shop.manager_secret,
        shop.shop.clock.now_for_tests() - chrono::Duration::seconds(30),
    );
    let attempts = [
        request(MANAGER, "not the password at all", manager_code(&shop.shop)),
        request(
            MANAGER,
            MANAGER_PASSWORD,
            SecondFactor::Totp("000000".to_owned()),
        ),
        // The code the manager logged in with before the backup: already used.
        request(MANAGER, MANAGER_PASSWORD, SecondFactor::Totp(used_code)),
        request("nobody", MANAGER_PASSWORD, manager_code(&shop.shop)),
        request(
            MANAGER,
            MANAGER_PASSWORD,
            SecondFactor::RecoveryCode(SecretString::from("AAAA-BBBB-CCCC-DDDD".to_owned())),
        ),
    ];
    let mut messages = Vec::new();
    for attempt in attempts {
        let err = restore(&file, &data, &shop.shop, attempt).unwrap_err();
        assert!(
            matches!(err, ServiceError::Backup(BackupError::WrongCredential)),
            "{err}"
        );
        messages.push(err.to_string());
        assert_nothing_restored(&data);
    }
    messages.dedup();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(!messages[0].contains(MANAGER_PASSWORD));

    let code = shop.shop.manager_recovery_codes[3].clone();
    restore(
        &file,
        &data,
        &shop.shop,
        request(
            MANAGER,
            MANAGER_PASSWORD,
            SecondFactor::RecoveryCode(SecretString::from(code.to_lowercase())),
        ),
    )
    .unwrap();
    let mut store = Store::open(&data).unwrap();
    assert!(verify_store(&mut store, None).unwrap().is_ok());
    // The code is used up in the restored store: it cannot log in there again.
    let again = Service::new(
        store,
        shop.shop.clock.clone(),
        Arc::new(SeededEntropy::new(8)),
    );
    let reused = again.login(frontdesk::service::LoginRequest {
        username: MANAGER.to_owned(),
        password: SecretString::from(MANAGER_PASSWORD.to_owned()),
        second_factor: SecondFactor::RecoveryCode(SecretString::from(code)),
        origin: frontdesk::audit::Origin::Local,
        ssh_key: None,
    });
    assert!(matches!(reused, Err(ServiceError::InvalidCredentials)));
}

#[test]
fn a_tampered_or_truncated_backup_is_refused_and_leaves_nothing_behind() {
    let shop = busy_shop();
    let (file, _) = backup_bytes(&shop);
    let target = tempfile::tempdir().unwrap();
    let data = target.path().join("restored");
    let attempt = |bytes: &[u8]| {
        restore(
            bytes,
            &data,
            &shop.shop,
            request(MANAGER, MANAGER_PASSWORD, manager_code(&shop.shop)),
        )
        .unwrap_err()
    };
    let header_len = u32::from_le_bytes(file[10..14].try_into().unwrap()) as usize;
    let payload = 14 + header_len + 32 + 5;
    for at in [payload + 10, (payload + file.len()) / 2, file.len() - 20] {
        let mut tampered = file.clone();
        tampered[at] ^= 0x40;
        let err = attempt(&tampered);
        assert!(
            matches!(err, ServiceError::Backup(BackupError::Damaged(_))),
            "byte {at}: {err}"
        );
        assert!(err.to_string().contains("damaged or was altered"), "{err}");
        assert_nothing_restored(&data);
    }
    // A flipped byte in the clear header is caught too, by its checksum, before any
    // credential is tried.
    for at in [20, 60, 200, 14 + header_len - 1] {
        let mut tampered = file.clone();
        tampered[at] ^= 0x01;
        let err = attempt(&tampered);
        assert!(
            matches!(err, ServiceError::Backup(BackupError::Damaged(_))),
            "byte {at}: {err}"
        );
        assert_nothing_restored(&data);
    }
    for cut in [file.len() - 1, file.len() - 17, file.len() / 3] {
        let err = attempt(&file[..cut]);
        assert!(
            matches!(err, ServiceError::Backup(BackupError::Truncated)),
            "cut at {cut}: {err}"
        );
        assert_nothing_restored(&data);
    }
    let err = attempt(b"not a backup at all");
    assert!(
        matches!(err, ServiceError::Backup(BackupError::NotABackup)),
        "{err}"
    );
}

#[test]
fn a_restore_never_replaces_an_existing_store() {
    let shop = busy_shop();
    let (file, _) = backup_bytes(&shop);
    let existing = shop.shop.dir.path();
    let before = std::fs::read(existing.join(STORE_FILE_NAME)).unwrap();
    let err = restore(
        &file,
        existing,
        &shop.shop,
        request(MANAGER, MANAGER_PASSWORD, manager_code(&shop.shop)),
    )
    .unwrap_err();
    assert!(
        matches!(err, ServiceError::Backup(BackupError::StoreExists(_))),
        "{err}"
    );
    assert!(err.to_string().contains("empty data directory"), "{err}");
    assert_eq!(
        std::fs::read(existing.join(STORE_FILE_NAME)).unwrap(),
        before
    );
}

#[test]
fn a_damaged_key_wrap_in_the_header_is_named_damaged_not_a_wrong_credential() {
    let shop = busy_shop();
    let (file, _) = backup_bytes(&shop);
    // The manager's password wrap is copied into the header as it is stored.
    let manager = shop
        .shop
        .service
        .store()
        .read()
        .unwrap()
        .all_staff()
        .unwrap()
        .into_iter()
        .find(|staff| staff.username == MANAGER)
        .unwrap();
    let wrap = &manager.store_key_wrap.sealed.ciphertext;
    let at = file
        .windows(wrap.len())
        .position(|window| window == wrap.as_slice())
        .expect("the wrap is in the header")
        + wrap.len() / 2;
    let mut damaged = file.clone();
    damaged[at] ^= 0x01;
    let target = tempfile::tempdir().unwrap();
    let data = target.path().join("restored");
    let err = restore(
        &damaged,
        &data,
        &shop.shop,
        request(MANAGER, MANAGER_PASSWORD, manager_code(&shop.shop)),
    )
    .unwrap_err();
    assert!(
        matches!(err, ServiceError::Backup(BackupError::Damaged(_))),
        "{err}"
    );
    assert!(err.to_string().contains("damaged"), "{err}");
    assert!(!err.to_string().contains("password"), "{err}");
    assert_nothing_restored(&data);
}

#[test]
fn a_restore_into_a_directory_holding_anything_is_refused_and_touches_nothing() {
    let shop = busy_shop();
    let (file, _) = backup_bytes(&shop);
    let target = tempfile::tempdir().unwrap();
    let data = target.path().join("documents");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("taxes-2025.pdf"), b"keep me").unwrap();
    std::fs::create_dir(data.join("photos")).unwrap();
    let err = restore(
        &file,
        &data,
        &shop.shop,
        request(MANAGER, MANAGER_PASSWORD, manager_code(&shop.shop)),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ServiceError::Backup(BackupError::DirectoryNotEmpty { .. })
        ),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("not empty")
            && message.contains("photos, taxes-2025.pdf")
            && message.contains("empty or new directory"),
        "{message}"
    );
    assert_eq!(
        std::fs::read(data.join("taxes-2025.pdf")).unwrap(),
        b"keep me"
    );
    assert!(!data.join(STORE_FILE_NAME).exists());
    assert_eq!(std::fs::read_dir(&data).unwrap().count(), 2);

    // An existing empty directory is fine, and so is one holding only a killed restore's
    // working directory.
    let empty = target.path().join("empty");
    std::fs::create_dir_all(empty.join(".frontdesk-restore")).unwrap();
    restore(
        &file,
        &empty,
        &shop.shop,
        request(MANAGER, MANAGER_PASSWORD, manager_code(&shop.shop)),
    )
    .unwrap();
    assert!(empty.join(STORE_FILE_NAME).exists());
    assert!(!empty.join(".frontdesk-restore").exists());
}

#[test]
fn the_code_that_restored_a_store_is_spent_in_it() {
    let shop = busy_shop();
    let (file, _) = backup_bytes(&shop);
    let target = tempfile::tempdir().unwrap();
    let data = target.path().join("restored");
    let code = phone_code(&shop.shop.manager_secret, shop.shop.clock.now_for_tests());
    restore(
        &file,
        &data,
        &shop.shop,
        request(MANAGER, MANAGER_PASSWORD, SecondFactor::Totp(code.clone())),
    )
    .unwrap();
    let restored = Service::new(
        Store::open(&data).unwrap(),
        shop.shop.clock.clone(),
        Arc::new(SeededEntropy::new(9)),
    );
    let login = |code: &str| {
        restored.login(frontdesk::service::LoginRequest {
            username: MANAGER.to_owned(),
            password: SecretString::from(MANAGER_PASSWORD.to_owned()),
            second_factor: SecondFactor::Totp(code.to_owned()),
            origin: frontdesk::audit::Origin::Local,
            ssh_key: None,
        })
    };
    let replayed = login(&code);
    assert!(
        matches!(replayed, Err(ServiceError::InvalidCredentials)),
        "{replayed:?}"
    );
    let reader = restored.store().read().unwrap();
    let (_, last) = reader.audit_stream().unwrap().last().unwrap();
    let last = decode(&last).unwrap();
    assert_eq!(last.action, AuditAction::LoginFailed);
    assert_eq!(
        last.detail.as_deref(),
        Some("authenticator code already used")
    );
    drop(reader);
    // The next code the phone shows works: the refusal was the replay, nothing else.
    shop.shop.next_step();
    let next = phone_code(&shop.shop.manager_secret, shop.shop.clock.now_for_tests());
    login(&next).unwrap();
}

/// Lets another session commit a new member the moment the backup starts writing.
struct CommitsWhileWriting<'a> {
    file: Vec<u8>,
    shop: &'a BusyShop,
    committed: bool,
}

impl Write for CommitsWhileWriting<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if !self.committed {
            self.committed = true;
            self.shop
                .shop
                .service
                .create_member(
                    &self.shop.manager,
                    MemberInput {
                        name: "Late Arrival".to_owned(),
                        ..MemberInput::default()
                    },
                )
                .unwrap();
        }
        self.file.write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_backup_is_one_snapshot_while_another_session_commits() {
    let shop = busy_shop();
    let mut out = CommitsWhileWriting {
        file: Vec::new(),
        shop: &shop,
        committed: false,
    };
    let summary = shop.shop.service.backup(&shop.manager, &mut out).unwrap();
    assert!(out.committed);
    let file = out.file;
    // The member committed during the backup is in the live store but not in the snapshot.
    assert_eq!(summary.members, 1);
    let live = shop
        .shop
        .service
        .search_members(&shop.manager, "Late")
        .unwrap();
    assert_eq!(live.members.len(), 1);

    let target = tempfile::tempdir().unwrap();
    let data = target.path().join("restored");
    restore(
        &file,
        &data,
        &shop.shop,
        request(MANAGER, MANAGER_PASSWORD, manager_code(&shop.shop)),
    )
    .unwrap();
    let mut store = Store::open(&data).unwrap();
    let report = verify_store(&mut store, None).unwrap();
    assert!(report.is_ok(), "{:?}", report.lines());
    assert_eq!(report.records.unwrap().members, 1);
}

#[test]
fn the_binary_backs_up_and_restores_from_a_script() {
    const PASSWORD: &str = "otter sunrise gravel window";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop");
    let init = run_frontdesk(&data, common::binary::INIT_ARGS, &format!("{PASSWORD}\n"));
    assert!(init.status.success(), "{}", printed(&init));
    let secret_line = printed(&init)
        .lines()
        .find(|l| l.starts_with("base32 secret:"))
        .expect("secret printed")
        .to_owned();
    let secret = secret_from_base32(secret_line.trim_start_matches("base32 secret:"));

    let out_file = dir.path().join("shop.fdbackup");
    let out_arg = out_file.to_str().unwrap();
    let now = frontdesk::clock::SystemClock.now();
    let code = phone_code(&secret, now);
    let backup_args = [
        "backup",
        "--out",
        out_arg,
        "--user",
        "owner",
        "--password-stdin",
        "--totp",
        &code,
    ];
    let made = run_frontdesk(&data, &backup_args, &format!("{PASSWORD}\n"));
    let made_text = printed(&made);
    assert!(made.status.success(), "{made_text}");
    assert!(made_text.contains("SHA-256: "), "{made_text}");
    assert!(made_text.contains("read back"), "{made_text}");
    assert!(!made_text.contains(PASSWORD));
    assert!(out_file.exists());
    assert!(!dir.path().join("shop.fdbackup.partial").exists());

    // Refuses to overwrite without --force (checked before any login).
    let again = run_frontdesk(&data, &backup_args, &format!("{PASSWORD}\n"));
    assert!(!again.status.success());
    assert!(printed(&again).contains("--force"), "{}", printed(&again));

    // The restore drill: the whole restore in a scratch copy, nothing installed anywhere.
    let restored = dir.path().join("restored");
    let next = phone_code(&secret, now + chrono::Duration::seconds(30));
    let check_args = [
        "restore",
        "--check",
        out_arg,
        "--user",
        "owner",
        "--password-stdin",
        "--totp",
        &next,
    ];
    let checked = run_frontdesk(&restored, &check_args, &format!("{PASSWORD}\n"));
    let checked_text = printed(&checked);
    assert!(checked.status.success(), "{checked_text}");
    assert!(
        checked_text.contains("restores and verifies")
            && checked_text.contains("nothing was installed"),
        "{checked_text}"
    );
    assert!(checked_text.contains("audit chain: OK"), "{checked_text}");
    assert!(!restored.exists(), "a check installs nothing");
    // A damaged copy fails the drill with the restore's own sentence.
    let damaged = dir.path().join("damaged.fdbackup");
    let mut bytes = std::fs::read(&out_file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&damaged, bytes).unwrap();
    let mut damaged_args = check_args;
    damaged_args[2] = damaged.to_str().unwrap();
    let failed = run_frontdesk(&restored, &damaged_args, &format!("{PASSWORD}\n"));
    assert!(!failed.status.success());
    assert!(
        printed(&failed).contains("damaged or was altered"),
        "{}",
        printed(&failed)
    );
    assert!(!restored.exists());

    // Restore into an empty directory with the next code the phone shows.
    let restore_args = [
        "restore",
        out_arg,
        "--user",
        "owner",
        "--password-stdin",
        "--totp",
        &next,
    ];
    let done = run_frontdesk(&restored, &restore_args, &format!("{PASSWORD}\n"));
    assert!(done.status.success(), "{}", printed(&done));
    assert!(
        printed(&done).contains("audit checkpoint now:"),
        "{}",
        printed(&done)
    );
    let verified = run_frontdesk(&restored, &["verify"], "");
    assert!(verified.status.success(), "{}", printed(&verified));

    // A second restore onto it is refused with one clear sentence and a non-zero exit.
    let refused = run_frontdesk(&restored, &restore_args, &format!("{PASSWORD}\n"));
    assert!(!refused.status.success());
    let refused_text = printed(&refused);
    assert!(
        refused_text.contains("already exists") && refused_text.lines().count() == 1,
        "{refused_text}"
    );

    let help = run_frontdesk(&data, &["restore", "--help"], "");
    assert!(
        printed(&help).contains("recovery code"),
        "{}",
        printed(&help)
    );
}
