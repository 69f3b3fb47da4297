//! Backups from the desk and on a schedule: each run is written, read back, copied, drilled
//! (rebuilt and verified) and pruned; a vanished folder fails clearly and leaves no file; a
//! backup taken beside a busy counter process is consistent and restores.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use common::binary::run_frontdesk;
use common::*;
use frontdesk::audit::{AuditAction, Origin};
use frontdesk::clock::ManualClock;
use frontdesk::domain::alerts::AlertRule;
use frontdesk::domain::backup_schedule::BackupSchedule;
use frontdesk::entropy::SeededEntropy;
use frontdesk::service::{
    BackupProgress, MemberInput, RestoreRequest, SecondFactor, Service, ServiceError,
    check_backup_restores, restore_backup_file,
};
use frontdesk::store::Store;
use frontdesk::transport::server_marker::CounterMarker;
use secrecy::SecretString;

const VANCOUVER: chrono_tz::Tz = chrono_tz::America::Vancouver;

fn schedule(folder: &Path, keep: u32, second: Option<&Path>) -> BackupSchedule {
    BackupSchedule {
        enabled: true,
        daily_at: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
        folder: Some(folder.display().to_string()),
        keep,
        second_folder: second.map(|path| path.display().to_string()),
    }
}

/// Moves the shop's clock to `days` days after the first day's 22:05, shop time.
fn to_evening(shop: &Shop, days: i64) {
    let first = VANCOUVER
        .with_ymd_and_hms(2026, 11, 23, 22, 5, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc);
    let target = first + Duration::days(days);
    assert!(
        target >= shop.clock.now_for_tests(),
        "the clock only goes forward"
    );
    shop.clock.set(target);
}

fn scheduled(shop: &Shop) -> Result<Option<frontdesk::service::BackupRunReport>, ServiceError> {
    shop.service
        .run_scheduled_backup_if_due(Origin::Local, &BackupProgress::default())
}

/// The names in `folder`, sorted.
fn names_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn backups_in(folder: &Path) -> Vec<String> {
    names_in(folder)
        .into_iter()
        .filter(|name| name.ends_with(".fdbackup"))
        .collect()
}

#[test]
fn the_schedule_runs_once_a_day_checks_each_backup_and_keeps_the_newest_n() {
    let shop = open_shop();
    let manager = shop.manager();
    let folder = tempfile::tempdir().unwrap();
    shop.service
        .set_backup_schedule(&manager, schedule(folder.path(), 2, None))
        .unwrap();
    // The shop opened this morning: nothing is due before tonight's 22:00.
    assert!(scheduled(&shop).unwrap().is_none());

    let mut last = None;
    for day in 0..4 {
        to_evening(&shop, day);
        let report = scheduled(&shop).unwrap().expect("due at 22:00");
        assert!(report.file.exists());
        assert_eq!(
            report.drill.backup, report.summary,
            "the drill read what was written"
        );
        assert!(report.drill.checkpoint.count >= report.summary.audit_entries);
        // Once per slot: the same evening does not run again.
        assert!(scheduled(&shop).unwrap().is_none());
        last = Some(report);
    }
    let last = last.unwrap();
    assert_eq!(
        last_audit_action(shop.service.store()),
        AuditAction::BackupCreated
    );
    assert_eq!(
        last_audit_action(shop.service.store()),
        AuditAction::BackupCreated
    );
    let kept = backups_in(folder.path());
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert_eq!(
        kept.last().map(String::as_str),
        last.file.file_name().and_then(|name| name.to_str())
    );
    assert!(names_in(folder.path()).contains(&"frontdesk-erasures.ledger".to_owned()));
    assert!(
        !names_in(folder.path())
            .iter()
            .any(|name| name.ends_with(".partial"))
    );

    let status = shop.service.backup_status(&shop.manager()).unwrap();
    let success = status.last_success.clone().expect("a good run is recorded");
    assert_eq!(success.file, last.file);
    assert_eq!(success.bytes, last.summary.bytes);
    assert!(success.verified);
    assert!(!status.last_run_failed());
    assert!(!shop.service.backup_overdue().unwrap());

    // A counter that was off for two evenings catches up at its next start, and the shop
    // was without a backup for more than a day meanwhile.
    to_evening(&shop, 6);
    assert!(shop.service.backup_overdue().unwrap());
    assert_eq!(open_alerts(&shop, AlertRule::BackupOverdue), 0);
    assert!(scheduled(&shop).unwrap().is_some());
    assert!(!shop.service.backup_overdue().unwrap());
    // The scheduler saw it overdue before it ran: one alert, however often it looks.
    assert_eq!(open_alerts(&shop, AlertRule::BackupOverdue), 1);
    assert!(scheduled(&shop).unwrap().is_none());
    assert_eq!(open_alerts(&shop, AlertRule::BackupOverdue), 1);
}

/// Open alerts of one rule, as a manager's list shows them.
fn open_alerts(shop: &Shop, rule: AlertRule) -> usize {
    shop.service
        .alerts(&shop.manager(), false)
        .unwrap()
        .iter()
        .filter(|alert| alert.rule == rule)
        .count()
}

#[test]
fn a_vanished_folder_fails_clearly_leaves_no_file_and_the_next_run_recovers() {
    let shop = open_shop();
    let manager = shop.manager();
    let mount = tempfile::tempdir().unwrap();
    let usb = mount.path().join("usb");
    std::fs::create_dir(&usb).unwrap();
    shop.service
        .set_backup_schedule(&manager, schedule(&usb, 5, None))
        .unwrap();
    std::fs::remove_dir(&usb).unwrap();

    to_evening(&shop, 0);
    let err = scheduled(&shop).unwrap_err().to_string();
    assert!(err.contains("is not there"), "{err}");
    assert!(
        !usb.exists(),
        "a chosen folder is never made on the local disk instead"
    );
    assert!(names_in(mount.path()).is_empty());
    // Audited as a failed backup, with the reason.
    let last = {
        let reader = shop.service.store().read().unwrap();
        reader
            .audit_stream()
            .unwrap()
            .map(|(_, bytes)| frontdesk::audit::decode(&bytes).unwrap())
            .filter(|entry| entry.action == AuditAction::BackupCreated)
            .last()
            .unwrap()
    };
    assert_eq!(last.outcome, frontdesk::audit::Outcome::Failed);
    let status = shop.service.backup_status(&shop.manager()).unwrap();
    assert!(status.last_run_failed());
    assert!(status.last_success.is_none());
    assert_eq!(open_alerts(&shop, AlertRule::BackupFailed), 1);

    // Plugged back in: the next evening's run succeeds.
    std::fs::create_dir(&usb).unwrap();
    to_evening(&shop, 1);
    let report = scheduled(&shop).unwrap().expect("due");
    assert_eq!(backups_in(&usb).len(), 1);
    assert!(report.file.starts_with(&usb));
    assert!(
        !shop
            .service
            .backup_status(&shop.manager())
            .unwrap()
            .last_run_failed()
    );
}

#[test]
fn a_second_folder_that_takes_no_files_is_reported_and_the_first_copy_kept() {
    let shop = open_shop();
    let manager = shop.manager();
    let folder = tempfile::tempdir().unwrap();
    // /proc is a folder nothing can be created in: the copy fails at its first step.
    shop.service
        .set_backup_schedule(
            &manager,
            schedule(folder.path(), 5, Some(Path::new("/proc"))),
        )
        .unwrap();
    to_evening(&shop, 0);
    let report = scheduled(&shop)
        .unwrap()
        .expect("the first folder still works");
    let second = report.second_copy.expect("a second folder is set");
    assert!(second.is_err(), "{second:?}");
    let status = shop.service.backup_status(&shop.manager()).unwrap();
    assert!(status.last_run_failed(), "the failed copy is reported");
    assert!(status.last_success.is_some());
    assert_eq!(backups_in(folder.path()).len(), 1);
}

#[test]
fn a_second_folder_gets_its_own_checked_copy_and_is_pruned_too() {
    let shop = open_shop();
    let manager = shop.manager();
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    shop.service
        .set_backup_schedule(&manager, schedule(first.path(), 1, Some(second.path())))
        .unwrap();
    for day in 0..3 {
        to_evening(&shop, day);
        let report = scheduled(&shop).unwrap().expect("due");
        let copy = report.second_copy.expect("set").expect("copied");
        assert_eq!(
            std::fs::read(&copy).unwrap(),
            std::fs::read(&report.file).unwrap()
        );
    }
    assert_eq!(backups_in(first.path()).len(), 1);
    assert_eq!(backups_in(second.path()), backups_in(first.path()));
    assert!(names_in(second.path()).contains(&"frontdesk-erasures.ledger".to_owned()));
}

#[test]
fn a_manager_backs_up_now_and_a_cashier_may_not_nor_change_the_schedule() {
    let shop = open_shop();
    let manager = shop.manager();
    let folder = tempfile::tempdir().unwrap();
    shop.service
        .set_backup_schedule(&manager, schedule(folder.path(), 3, None))
        .unwrap();
    let progress = BackupProgress::default();
    let report = shop.service.back_up_now(&manager, &progress).unwrap();
    assert_eq!(progress.bytes_written(), report.summary.bytes);
    assert_eq!(backups_in(folder.path()).len(), 1);

    let secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&secret);
    assert!(matches!(
        shop.service
            .back_up_now(&cashier, &BackupProgress::default()),
        Err(ServiceError::Forbidden { .. })
    ));
    assert!(matches!(
        shop.service
            .set_backup_schedule(&cashier, schedule(folder.path(), 1, None)),
        Err(ServiceError::Forbidden { .. })
    ));
    assert_eq!(
        last_audit_action(shop.service.store()),
        AuditAction::PermissionDenied
    );
    // A folder given as a relative path is refused (the counter and serve may run from
    // different places).
    let mut relative = schedule(folder.path(), 3, None);
    relative.folder = Some("backups".to_owned());
    assert!(matches!(
        shop.service.set_backup_schedule(&manager, relative),
        Err(ServiceError::InvalidInput(_))
    ));
}

fn manager_request(shop: &Shop) -> RestoreRequest {
    shop.next_step();
    RestoreRequest {
        username: MANAGER.to_owned(),
        password: SecretString::from(MANAGER_PASSWORD.to_owned()),
        second_factor: SecondFactor::Totp(phone_code(
            &shop.manager_secret,
            shop.clock.now_for_tests(),
        )),
    }
}

#[test]
fn the_restore_drill_refuses_a_flipped_byte_and_a_truncated_file() {
    let shop = open_shop();
    let manager = shop.manager();
    let folder = tempfile::tempdir().unwrap();
    shop.service
        .set_backup_schedule(&manager, schedule(folder.path(), 3, None))
        .unwrap();
    let report = shop
        .service
        .back_up_now(&manager, &BackupProgress::default())
        .unwrap();
    let good =
        check_backup_restores(&report.file, manager_request(&shop), shop.clock.as_ref()).unwrap();
    assert_eq!(good.backup, report.summary);

    let bytes = std::fs::read(&report.file).unwrap();
    let damaged_dir = tempfile::tempdir().unwrap();
    let flipped = damaged_dir.path().join("flipped.fdbackup");
    let mut changed = bytes.clone();
    let middle = changed.len() / 2;
    changed[middle] ^= 0x01;
    std::fs::write(&flipped, changed).unwrap();
    let err = check_backup_restores(&flipped, manager_request(&shop), shop.clock.as_ref())
        .unwrap_err()
        .to_string();
    assert!(err.contains("damaged or was altered"), "{err}");

    let truncated = damaged_dir.path().join("truncated.fdbackup");
    std::fs::write(&truncated, &bytes[..bytes.len() - 100]).unwrap();
    let err = check_backup_restores(&truncated, manager_request(&shop), shop.clock.as_ref())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ends early") || err.contains("damaged"),
        "{err}"
    );
}

/// Builds a shop in `dir`, then hands back its store reopened the way the counter holds it:
/// shared, under the counter's marker.
fn counter_store(dir: &Path) -> (Store, CounterMarker, Vec<u8>) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let store = Store::create(dir).unwrap();
    let (service, credentials) = Service::initialise(
        store,
        clock,
        Arc::new(SeededEntropy::new(7)),
        frontdesk::service::InitialSetup {
            shop_name: "Sparkle Car Wash".to_owned(),
            timezone: "America/Vancouver".to_owned(),
            currency: "CAD".to_owned(),
            manager_username: MANAGER.to_owned(),
            manager_password: SecretString::from(MANAGER_PASSWORD.to_owned()),
            demo: false,
        },
        Origin::Local,
    )
    .unwrap();
    drop(service.into_store());
    let marker = CounterMarker::claim(dir)
        .unwrap()
        .expect("no other counter");
    (
        Store::open_shared(dir).unwrap(),
        marker,
        credentials_secret(&credentials),
    )
}

#[test]
fn a_backup_taken_while_the_counter_process_writes_is_consistent_and_restores() {
    let data = tempfile::tempdir().unwrap();
    let (store, _counter, secret) = counter_store(data.path());
    // The counter's own service: real time, since the backup command below checks the
    // manager's code against the real clock.
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let service = Arc::new(Service::new(
        store,
        clock.clone(),
        Arc::new(SeededEntropy::new(8)),
    ));
    let login_at: DateTime<Utc> = Utc::now() - Duration::seconds(60);
    clock.set(login_at);
    let session = service
        .login(frontdesk::service::LoginRequest {
            username: MANAGER.to_owned(),
            password: SecretString::from(MANAGER_PASSWORD.to_owned()),
            second_factor: SecondFactor::Totp(phone_code(&secret, login_at)),
            origin: Origin::Local,
            ssh_key: None,
        })
        .unwrap();

    // The counter keeps enrolling members while the backup runs beside it.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let service = service.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut written = 0u32;
            while !stop.load(Ordering::Relaxed) || written < 5 {
                service
                    .create_member(
                        &session,
                        MemberInput {
                            name: format!("Member {written}"),
                            phone: Some(format!("+1 604 555 {:04}", written % 10_000)),
                            email: None,
                            birthday: None,
                            notes: None,
                        },
                    )
                    .unwrap();
                written += 1;
            }
            written
        })
    };

    let out = tempfile::tempdir().unwrap();
    let file: PathBuf = out.path().join("busy.fdbackup");
    let code = phone_code(&secret, Utc::now());
    let backup = run_frontdesk(
        data.path(),
        &[
            "backup",
            "--out",
            file.to_str().unwrap(),
            "--user",
            MANAGER,
            "--password-stdin",
            "--totp",
            &code,
        ],
        &format!("{MANAGER_PASSWORD}\n"),
    );
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();
    let printed = String::from_utf8_lossy(&backup.stdout).into_owned()
        + &String::from_utf8_lossy(&backup.stderr);
    assert!(backup.status.success(), "{printed}");
    assert!(printed.contains("read back"), "{printed}");

    // Restored elsewhere, the snapshot passes every verify check (ledgers, indexes, the
    // audit chain) and holds some prefix of the members the counter wrote.
    let restored = tempfile::tempdir().unwrap();
    let restore_clock = ManualClock::new(Utc::now() + Duration::seconds(31));
    let summary = restore_backup_file(
        &file,
        &restored.path().join("store"),
        RestoreRequest {
            username: MANAGER.to_owned(),
            password: SecretString::from(MANAGER_PASSWORD.to_owned()),
            second_factor: SecondFactor::Totp(phone_code(&secret, restore_clock.now_for_tests())),
        },
        &restore_clock,
    )
    .unwrap();
    assert!(summary.backup.members <= u64::from(written));
}
