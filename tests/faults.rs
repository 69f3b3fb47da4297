//! Faults under the store and the backups: a full disk during a checkout, a refund and a
//! backup; a data directory or disk that is read-only; a store file cut short or with flipped
//! bits; a backup folder that disappears while the backup is written. Each gets one clear
//! sentence, nothing is committed half-way and nothing acknowledged is lost.
//! (`tests/disk_full.rs` covers a full disk under logins, member changes and SSH sessions.)

mod common;

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::binary::{printed, run_frontdesk};
use common::*;
use frontdesk::audit::AuditAction;
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::money::Money;
use frontdesk::domain::refund::RefundRequest;
use frontdesk::ids::RecordId;
use frontdesk::private_file::{Existing, PrivateFile, partial_path};
use frontdesk::service::BackupError;
use frontdesk::service::integrity::verify_store;
use frontdesk::service::{
    CheckoutInput, CheckoutLine, CheckoutReceipt, MemberInput, RefundInput, ServiceError, Session,
};
use frontdesk::store::testing::DiskSwitch;
use frontdesk::store::{Store, StoreError};
use frontdesk::ui::i18n::Language;
use frontdesk::ui::view::describe_error;

const DISK_FULL: &str =
    "The disk is full: nothing of this change was saved; free space on the disk and try again.";

/// A manager with an exterior wash, one bay and one member.
struct Counter {
    shop: Shop,
    manager: Session,
    wash: RecordId,
    member: RecordId,
}

fn counter(shop: Shop) -> Counter {
    let manager = shop.manager();
    shop.service.wait_for_name_index();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let member = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "Lin Mei".to_owned(),
                phone: Some("+1 604 555 0199".to_owned()),
                ..MemberInput::default()
            },
        )
        .expect("member")
        .id;
    Counter {
        shop,
        manager,
        wash,
        member,
    }
}

impl Counter {
    fn checkout(&self) -> Result<CheckoutReceipt, ServiceError> {
        self.shop.service.checkout(
            &self.manager,
            CheckoutInput {
                booking: None,
                member: Some(self.member),
                vehicle: None,
                lines: vec![CheckoutLine {
                    service: self.wash,
                    quantity: 1,
                    price_override: None,
                }],
                discount: None,
                adjustment_reason: None,
                points: None,
                payment: PaymentMethod::Card,
                tenders: Vec::new(),
                tip: Money::from_minor(0),
            },
        )
    }

    fn refund(&self, visit: RecordId) -> Result<(), ServiceError> {
        self.shop
            .service
            .refund_visit(
                &self.manager,
                RefundInput {
                    visit,
                    request: RefundRequest::Whole,
                    reason: "wheels not clean".to_owned(),
                    to_method: None,
                },
            )
            .map(|_| ())
    }

    fn balance(&self) -> i64 {
        self.shop
            .service
            .member_points(&self.manager, self.member)
            .expect("points")
            .balance
    }

    fn visits(&self) -> usize {
        self.shop
            .service
            .member_visits(&self.manager, self.member)
            .expect("visits")
            .len()
    }

    fn audit_entries(&self) -> usize {
        audit_actions(self.shop.service.store()).len()
    }

    /// Closes the service and reopens the file the way the app does; `frontdesk verify`'s
    /// checks must pass on it.
    fn close_and_verify(self) -> PathBuf {
        self.shop.service.logout(&self.manager).expect("logout");
        let dir = self.shop.dir;
        match Arc::try_unwrap(self.shop.service) {
            Ok(service) => drop(service),
            Err(_) => panic!("the test holds the only reference to the service"),
        }
        let mut store = Store::open(dir.path()).expect("the store opens");
        let report = verify_store(&mut store, None).expect("verify runs");
        assert!(report.is_ok(), "{}", report.lines().join("\n"));
        dir.keep()
    }
}

#[test]
fn a_full_disk_during_a_checkout_and_a_refund_saves_nothing_of_them_and_numbers_stay_unbroken() {
    let disk = DiskSwitch::new();
    let counter = counter(open_shop_on_disk(&disk));
    let first = counter.checkout().expect("first checkout");
    assert_eq!(first.receipt_number, 1);
    let (balance, visits, entries) = (counter.balance(), counter.visits(), counter.audit_entries());

    disk.fill();
    let refused = counter.checkout().expect_err("no room for a checkout");
    assert_eq!(refused.to_string(), DISK_FULL);
    let refused = counter
        .refund(first.visit)
        .expect_err("no room for a refund");
    assert_eq!(refused.to_string(), DISK_FULL);

    disk.free();
    assert_eq!(counter.balance(), balance, "no points moved");
    assert_eq!(counter.visits(), visits, "no visit was saved");
    assert_eq!(counter.audit_entries(), entries, "no audit entry half-way");
    let second = counter.checkout().expect("checkout once space is back");
    assert_eq!(second.receipt_number, 2, "the refused ones used no number");
    counter
        .refund(first.visit)
        .expect("refund once space is back");
    let dir = counter.close_and_verify();
    fs::remove_dir_all(dir).expect("clean up");
}

type MakeError = fn() -> io::Error;

/// A writer that takes `room` bytes, then fails every write with `error`.
struct FailingAfter {
    room: usize,
    taken: usize,
    error: MakeError,
}

impl Write for FailingAfter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.taken >= self.room {
            return Err((self.error)());
        }
        let n = bytes.len().min(self.room - self.taken);
        self.taken += n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_full_backup_disk_or_a_failing_backup_writer_is_one_sentence_and_the_store_is_unchanged() {
    let counter = counter(open_shop());
    counter.checkout().expect("checkout");
    let entries = counter.audit_entries();
    let cases: [(MakeError, &str); 2] = [
        (
            || io::Error::from_raw_os_error(28),
            "The disk is full: the backup could not be written and no backup file was kept; free space on the disk (or choose another folder) and try again.",
        ),
        (
            || io::Error::from_raw_os_error(5),
            "Could not write the backup file: Input/output error (os error 5). Check the disk and the file, then try again.",
        ),
    ];
    for (error, sentence) in cases {
        let mut out = BufWriter::new(FailingAfter {
            room: 3000,
            taken: 0,
            error,
        });
        let failed = counter
            .shop
            .service
            .backup(&counter.manager, &mut out)
            .expect_err("the writer fails half-way");
        assert_eq!(failed.to_string(), sentence);
    }
    assert_eq!(
        counter.audit_entries(),
        entries,
        "a failed backup is not recorded as made"
    );
    assert!(
        !audit_actions(counter.shop.service.store()).contains(&AuditAction::BackupCreated),
        "no backup was made"
    );
    assert_eq!(
        describe_error(
            &ServiceError::Backup(BackupError::DiskFull),
            Language::SimplifiedChinese
        ),
        "磁盘已满：备份未能写完，也没有留下备份文件；请清理磁盘空间（或另选文件夹）后重试。"
    );
    counter
        .checkout()
        .expect("the store takes changes as before");
    let dir = counter.close_and_verify();
    fs::remove_dir_all(dir).expect("clean up");
}

/// Passes bytes to a backup file and, once `after` bytes are through, removes the folder the
/// file is in: a USB stick pulled out half-way.
struct PulledOut<'a> {
    file: &'a mut PrivateFile,
    folder: PathBuf,
    after: usize,
    through: usize,
}

impl Write for PulledOut<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = self.file.write(bytes)?;
        let before = self.through;
        self.through += n;
        if before < self.after && self.through >= self.after {
            fs::remove_dir_all(&self.folder).expect("pull the stick out");
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[test]
fn a_backup_folder_that_vanishes_mid_write_leaves_no_backup_that_looks_complete() {
    let counter = counter(open_shop());
    counter.checkout().expect("checkout");
    let usb = counter.shop.dir.path().join("usb");
    fs::create_dir(&usb).expect("the stick is in");
    let target = usb.join("sparkle.fdbackup");

    // The same steps as `frontdesk backup`: a private partial file, the backup, then the name.
    let mut file = PrivateFile::create(&target, Existing::Refuse).expect("partial file");
    {
        let mut out = BufWriter::new(PulledOut {
            file: &mut file,
            folder: usb.clone(),
            after: 2000,
            through: 0,
        });
        // The bytes after the pull go to a file nobody can reach any more; the write itself
        // does not notice.
        counter
            .shop
            .service
            .backup(&counter.manager, &mut out)
            .expect("written to the nameless file");
        out.flush().expect("flush");
    }
    // The stick comes back, empty, at the same place.
    fs::create_dir(&usb).expect("the stick is back");
    let refused = file.commit().expect_err("the backup cannot be named");
    assert_eq!(
        refused.to_string(),
        format!(
            "the folder {} disappeared while the file was being written (a USB stick unplugged or a share unmounted?), so nothing was saved there; reconnect it or choose another place, then try again",
            usb.display()
        )
    );
    assert!(!target.exists(), "no backup looks complete");
    assert!(!partial_path(&target).exists(), "no partial file is left");
    assert_eq!(fs::read_dir(&usb).expect("list").count(), 0);

    counter
        .checkout()
        .expect("the store takes changes as before");
    let dir = counter.close_and_verify();
    fs::remove_dir_all(dir).expect("clean up");
}

#[test]
fn a_disk_remounted_read_only_refuses_the_change_in_one_sentence_and_the_service_carries_on() {
    let disk = DiskSwitch::new();
    let counter = counter(open_shop_on_disk(&disk));
    let first = counter.checkout().expect("checkout");
    let (balance, visits) = (counter.balance(), counter.visits());

    disk.make_read_only();
    let refused = counter
        .checkout()
        .expect_err("a read-only disk takes no checkout");
    assert_eq!(
        refused.to_string(),
        "the disk holding the store reported an error (Read-only file system (os error 30)): nothing of this change was saved; check the disk and try again"
    );
    assert!(refused.is_storage_failure(), "never a verdict on the input");

    disk.make_writable();
    assert_eq!((counter.balance(), counter.visits()), (balance, visits));
    let second = counter.checkout().expect("writable again");
    assert_eq!(second.receipt_number, first.receipt_number + 1);
    let dir = counter.close_and_verify();
    fs::remove_dir_all(dir).expect("clean up");
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(unix)]
#[test]
fn a_read_only_data_directory_is_refused_at_open_in_one_sentence() {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;

    let counter = counter(open_shop());
    counter.checkout().expect("checkout");
    let dir = counter.close_and_verify();
    let file = Store::file_in(&dir);
    let bytes = fs::read(&file).expect("store bytes");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o400)).expect("chmod file");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o500)).expect("chmod dir");
    // Root ignores the mode bits; the immutable attribute stops root too, where it exists.
    let immutable = is_root()
        && Command::new("chattr")
            .arg("+i")
            .arg(&file)
            .status()
            .is_ok_and(|status| status.success());
    let undo = |dir: &Path| {
        if immutable {
            let _ = Command::new("chattr").arg("-i").arg(&file).status();
        }
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
        let _ = fs::set_permissions(&file, fs::Permissions::from_mode(0o600));
    };
    if is_root() && !immutable {
        undo(&dir);
        eprintln!(
            "skipped: running as root, where file modes do not stop writes, on a file system without chattr +i (the read-only disk is covered through the backend above)"
        );
        fs::remove_dir_all(&dir).expect("clean up");
        return;
    }
    let reason = if immutable {
        "Operation not permitted (os error 1)"
    } else {
        "Permission denied (os error 13)"
    };
    let refused = Store::open(&dir).expect_err("a read-only store is not opened for writing");
    assert!(
        matches!(refused, StoreError::DataDirNotWritable { .. }),
        "{refused}"
    );
    assert_eq!(
        refused.to_string(),
        format!(
            "the data directory {} is not writable ({reason}); fix its permissions or choose another --data",
            dir.display()
        )
    );
    assert_eq!(fs::read(&file).expect("store bytes"), bytes, "untouched");
    undo(&dir);
    fs::remove_dir_all(&dir).expect("clean up");
}

/// A small shop's store file with a member, visits and a refund, closed cleanly.
fn damaged_copies_source() -> (tempfile::TempDir, Vec<u8>) {
    let counter = counter(open_shop());
    let visit = counter.checkout().expect("checkout").visit;
    counter.checkout().expect("checkout");
    counter.refund(visit).expect("refund");
    let dir = counter.close_and_verify();
    let bytes = fs::read(Store::file_in(&dir)).expect("store bytes");
    fs::remove_dir_all(&dir).expect("clean up");
    (tempfile::tempdir().expect("temp dir"), bytes)
}

/// How a damaged store was found out.
#[derive(Debug)]
enum Found {
    /// Opening refused it with this sentence.
    AtOpen(String),
    /// It opened and `frontdesk verify`'s checks found the damage.
    ByVerify,
    /// It opened, verify passed and everything is there: the bits flipped were in free space.
    Harmless,
}

fn damaged_sentence(dir: &Path, detail: &str) -> String {
    format!(
        "the store file {} is damaged ({detail}); move it aside and restore the latest backup into an empty data directory with `frontdesk restore BACKUP --data DIR`",
        Store::file_in(dir).display()
    )
}

/// The damaged-file sentence for `dir`, whatever redb's detail in the brackets.
fn assert_shape(dir: &Path, sentence: &str) {
    let whole = damaged_sentence(dir, "");
    let (head, tail) = whole.split_once("()").expect("detail slot");
    assert!(
        sentence.starts_with(&format!("{head}(")) && sentence.ends_with(&format!("){tail}")),
        "{sentence}"
    );
}

/// Opens a damaged copy the way the app does, then runs verify on it if it opened.
fn open_damaged(root: &Path, name: &str, bytes: &[u8]) -> (PathBuf, Found) {
    let dir = root.join(name);
    fs::create_dir(&dir).expect("dir");
    fs::write(Store::file_in(&dir), bytes).expect("damaged copy");
    let found = match Store::open(&dir) {
        Err(err) => Found::AtOpen(err.to_string()),
        Ok(mut store) => match verify_store(&mut store, None) {
            Ok(report) if report.is_ok() => {
                let counts = report.lines()[1].clone();
                assert!(
                    counts.contains("1 members") && counts.contains("receipts 1 to 3"),
                    "{name}: verify passed, so everything must be there: {counts}"
                );
                Found::Harmless
            }
            Ok(report) => {
                assert!(report.lines().iter().any(|line| line.contains("FAILED")));
                Found::ByVerify
            }
            Err(err) => {
                assert!(err.to_string().contains("damaged"), "{name}: {err}");
                Found::ByVerify
            }
        },
    };
    (dir, found)
}

#[test]
fn a_truncated_store_file_is_refused_at_open_naming_the_file_and_what_to_do() {
    let (root, bytes) = damaged_copies_source();
    let len = bytes.len();
    for (name, cut) in [
        ("half", len / 2),
        ("first_page", 4096),
        ("last_page", len - 4096),
    ] {
        let (dir, found) = open_damaged(root.path(), name, &bytes[..cut]);
        let Found::AtOpen(sentence) = found else {
            panic!("{name}: a cut file must be refused at open: {found:?}");
        };
        assert_eq!(
            sentence,
            damaged_sentence(
                &dir,
                &format!("File truncated below stored layout: file_len={cut}, layout_len={len}")
            )
        );
    }
    for (name, cut, detail) in [
        ("tiny", 100, "it is shorter than a store's header"),
        ("empty", 0, "the file is empty"),
    ] {
        let (dir, found) = open_damaged(root.path(), name, &bytes[..cut]);
        let Found::AtOpen(sentence) = found else {
            panic!("{name}: {found:?}");
        };
        assert_eq!(sentence, damaged_sentence(&dir, detail));
    }

    // The real binary says the same, in one line, and fails.
    let dir = root.path().join("half");
    let out = run_frontdesk(&dir, &["verify"], "");
    assert!(!out.status.success());
    assert_eq!(
        printed(&out).trim(),
        format!(
            "frontdesk: {}",
            damaged_sentence(
                &dir,
                &format!(
                    "File truncated below stored layout: file_len={}, layout_len={len}",
                    len / 2
                )
            )
        )
    );
}

#[test]
fn a_bit_flipped_store_file_is_refused_or_found_by_verify_and_never_panics() {
    let (root, bytes) = damaged_copies_source();
    let at_open = |name: &str, at: usize| {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x10;
        let (dir, found) = open_damaged(root.path(), name, &flipped);
        match found {
            Found::AtOpen(sentence) => (dir, sentence),
            other => panic!("{name}: a damaged header must be refused at open: {other:?}"),
        }
    };
    let (dir, sentence) = at_open("magic", 0);
    assert_eq!(
        sentence,
        damaged_sentence(
            &dir,
            "I/O error: Not a redb database: magic number mismatch"
        )
    );
    // The commit slot in the header: what redb says of it depends on which slot is primary.
    let (dir, sentence) = at_open("header", 100);
    assert_shape(&dir, &sentence);
    // One flipped byte in every page: refused at open (redb panics on some table pages while
    // opening; the store turns that into the same sentence), found by verify, or in free
    // space; never a panic, never damage that verify calls OK while records are missing.
    let mut tally = [0u32; 3];
    for page in 0..bytes.len() / 4096 {
        let mut flipped = bytes.clone();
        flipped[page * 4096 + 301] ^= 0x04;
        let (dir, found) = open_damaged(root.path(), &format!("page_{page}"), &flipped);
        match found {
            Found::AtOpen(sentence) => {
                assert_shape(&dir, &sentence);
                tally[0] += 1;
            }
            Found::ByVerify => tally[1] += 1,
            Found::Harmless => tally[2] += 1,
        }
    }
    println!(
        "one flipped byte per page: {} refused at open, {} found by verify, {} in free space",
        tally[0], tally[1], tally[2]
    );
}
