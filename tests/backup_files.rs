//! The file `frontdesk backup` writes, through the real binary: new, private (0600), never
//! written through a symbolic link someone planted at `FILE` or `FILE.partial`, never replacing
//! a file unless asked, and checked before any login, so a refused destination spends no code.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

use common::binary::{INIT_ARGS, SCRIPT_PASSWORD as PASSWORD, printed, run_frontdesk};
use frontdesk::store::Store;

/// A new shop made by `frontdesk init`, and the owner's recovery codes, which log in without
/// depending on the wall clock.
struct Shop {
    dir: tempfile::TempDir,
    data: PathBuf,
    recovery_codes: Vec<String>,
}

fn init_shop() -> Shop {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop");
    let init = run_frontdesk(&data, INIT_ARGS, &format!("{PASSWORD}\n"));
    assert!(init.status.success(), "{}", printed(&init));
    let recovery_codes: Vec<String> = printed(&init)
        .lines()
        .map(str::trim)
        .filter(|line| line.len() == 19 && line.matches('-').count() == 3)
        .map(str::to_owned)
        .collect();
    assert_eq!(recovery_codes.len(), 10, "{}", printed(&init));
    Shop {
        dir,
        data,
        recovery_codes,
    }
}

impl Shop {
    fn backup(&self, out: &Path, code: &str, force: bool) -> Output {
        let mut args = vec![
            "backup",
            "--out",
            out.to_str().unwrap(),
            "--user",
            "owner",
            "--password-stdin",
            "--totp",
            code,
        ];
        if force {
            args.push("--force");
        }
        run_frontdesk(&self.data, &args, &format!("{PASSWORD}\n"))
    }

    /// Every audit entry so far: a login, failed or not, adds one.
    fn audit_entries(&self) -> usize {
        let store = Store::open(&self.data).unwrap();
        let reader = store.read().unwrap();
        reader.audit_stream().unwrap().count()
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path)
        .map(|meta| meta.file_type().is_symlink())
        .unwrap_or(false)
}

#[test]
fn a_backup_is_a_new_private_file_and_never_written_through_a_link() {
    let shop = init_shop();
    let out_dir = shop.dir.path().join("backups");
    fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("shop.fdbackup");
    let partial = out_dir.join("shop.fdbackup.partial");
    let victim = shop.dir.path().join("victim.txt");
    fs::write(&victim, b"precious").unwrap();
    let entries = shop.audit_entries();
    // Any code: each refusal below comes before the login, which would fail with this one.
    let unused_code = "000000";

    // A link planted at FILE.partial is not followed, with or without --force.
    symlink(&victim, &partial).unwrap();
    for force in [false, true] {
        let refused = shop.backup(&out, unused_code, force);
        assert!(!refused.status.success());
        let message = printed(&refused);
        assert!(
            message.contains("shop.fdbackup.partial already exists"),
            "{message}"
        );
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(is_symlink(&partial), "the planted link is left alone");
        assert!(!out.exists() && !is_symlink(&out));
    }
    fs::remove_file(&partial).unwrap();

    // A link at FILE itself is refused too, even with --force, and stays a link.
    symlink(&victim, &out).unwrap();
    for force in [false, true] {
        let refused = shop.backup(&out, unused_code, force);
        assert!(!refused.status.success());
        let message = printed(&refused);
        assert!(message.contains("symbolic link"), "{message}");
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(is_symlink(&out));
        assert!(!partial.exists());
    }
    fs::remove_file(&out).unwrap();

    // A directory that does not exist is named before any prompt or login.
    let missing = shop.dir.path().join("no-such-dir").join("shop.fdbackup");
    let refused = shop.backup(&missing, unused_code, false);
    assert!(!refused.status.success());
    let message = printed(&refused);
    assert!(
        message.contains("no-such-dir") && message.contains("does not exist"),
        "{message}"
    );
    assert_eq!(
        shop.audit_entries(),
        entries,
        "no login was tried, so no code was spent"
    );

    // The real thing: a new file only the owner can read, and no partial file left.
    let made = shop.backup(&out, &shop.recovery_codes[0], false);
    assert!(made.status.success(), "{}", printed(&made));
    assert_eq!(mode(&out), 0o600);
    assert!(!partial.exists());
    let first = fs::read(&out).unwrap();

    // An existing file is kept without --force (checked before any login) ...
    let entries = shop.audit_entries();
    let refused = shop.backup(&out, &shop.recovery_codes[1], false);
    assert!(!refused.status.success());
    assert!(
        printed(&refused).contains("--force"),
        "{}",
        printed(&refused)
    );
    assert_eq!(fs::read(&out).unwrap(), first);
    assert_eq!(shop.audit_entries(), entries);

    // ... and replaced with it, by a new private file in its place.
    fs::set_permissions(&out, fs::Permissions::from_mode(0o644)).unwrap();
    let replaced = shop.backup(&out, &shop.recovery_codes[1], true);
    assert!(replaced.status.success(), "{}", printed(&replaced));
    assert_ne!(fs::read(&out).unwrap(), first);
    assert_eq!(mode(&out), 0o600);
    assert!(!partial.exists());
}

/// Makes the store unwritable while it lives: the file 0400 and its directory 0500, and, since
/// root ignores those bits, the file immutable too (`chattr +i`, which stops root as well).
/// Undone on drop, so the temporary directory can be removed.
struct ReadOnlyStore {
    data: PathBuf,
    immutable: bool,
}

impl ReadOnlyStore {
    /// `None` when running as root on a file system without the immutable attribute: then
    /// nothing here could stop this process writing the store, and there is nothing to prove.
    fn make(data: &Path) -> Option<ReadOnlyStore> {
        let file = Store::file_in(data);
        fs::set_permissions(&file, fs::Permissions::from_mode(0o400)).unwrap();
        fs::set_permissions(data, fs::Permissions::from_mode(0o500)).unwrap();
        let mut guard = ReadOnlyStore {
            data: data.to_path_buf(),
            immutable: false,
        };
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            let made = Command::new("chattr").arg("+i").arg(&file).status();
            if !made.is_ok_and(|status| status.success()) {
                eprintln!("skipped: running as root where chattr +i is not available");
                return None;
            }
            guard.immutable = true;
        }
        Some(guard)
    }
}

impl Drop for ReadOnlyStore {
    fn drop(&mut self) {
        let file = Store::file_in(&self.data);
        if self.immutable {
            let _ = Command::new("chattr").arg("-i").arg(&file).status();
        }
        let _ = fs::set_permissions(&self.data, fs::Permissions::from_mode(0o700));
        let _ = fs::set_permissions(&file, fs::Permissions::from_mode(0o600));
    }
}

#[test]
fn verify_and_backup_work_on_a_store_they_may_not_write_and_leave_it_untouched() {
    let shop = init_shop();
    // `init` may exit while its name-index thread still holds the store, leaving it to be
    // repaired at the next writable open; a read-only store cannot be repaired, so settle it
    // the way the counter's next start would.
    drop(Store::open(&shop.data).unwrap());
    let file = Store::file_in(&shop.data);
    let Some(read_only) = ReadOnlyStore::make(&shop.data) else {
        return;
    };
    // Proof that the store really cannot be written by this process (root included).
    assert!(
        fs::OpenOptions::new().write(true).open(&file).is_err(),
        "the store file must be unwritable for this test"
    );
    let bytes = fs::read(&file).unwrap();
    let modified = fs::metadata(&file).unwrap().modified().unwrap();

    let verified = run_frontdesk(&shop.data, &["verify"], "");
    let report = printed(&verified);
    assert!(verified.status.success(), "{report}");
    assert!(report.contains("store is read-only"), "{report}");
    assert!(report.contains("audit log: OK"), "{report}");
    assert!(report.contains("verify: OK"), "{report}");

    let out = shop.dir.path().join("shop.fdbackup");
    let refused = shop.backup(&out, "AAAA-BBBB-CCCC-DDDD", false);
    assert!(!refused.status.success());
    assert!(!out.exists());
    let made = shop.backup(&out, &shop.recovery_codes[0], false);
    let made_text = printed(&made);
    assert!(made.status.success(), "{made_text}");
    assert!(made_text.contains("read back"), "{made_text}");
    assert!(
        made_text.contains("could be recorded in its audit log"),
        "{made_text}"
    );
    assert_eq!(mode(&out), 0o600);

    assert_eq!(
        fs::read(&file).unwrap(),
        bytes,
        "the store is byte for byte as it was"
    );
    assert_eq!(fs::metadata(&file).unwrap().modified().unwrap(), modified);
    drop(read_only);

    // The backup restores, with the same recovery code: nothing could mark it used.
    let restored = shop.dir.path().join("restored");
    let done = run_frontdesk(
        &restored,
        &[
            "restore",
            out.to_str().unwrap(),
            "--user",
            "owner",
            "--password-stdin",
            "--recovery-code",
        ],
        &format!("{PASSWORD}\n{}\n", shop.recovery_codes[0]),
    );
    assert!(done.status.success(), "{}", printed(&done));
}
