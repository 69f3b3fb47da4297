//! The file `frontdesk backup` writes, through the real binary: new, private (0600), never
//! written through a symbolic link someone planted at `FILE` or `FILE.partial`, never replacing
//! a file unless asked, and checked before any login, so a refused destination spends no code.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use frontdesk::store::Store;

const PASSWORD: &str = "otter sunrise gravel window";

fn frontdesk(data: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("FRONTDESK_DATA")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    if let Some(mut pipe) = child.stdin.take() {
        // The binary may refuse and exit before reading; a closed pipe is not a test failure.
        let _ = pipe.write_all(stdin.as_bytes());
    }
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

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
    let init = frontdesk(
        &data,
        &[
            "init",
            "--shop",
            "Sparkle Car Wash",
            "--timezone",
            "America/Vancouver",
            "--currency",
            "CAD",
            "--manager",
            "owner",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(init.status.success(), "{}", text(&init));
    let recovery_codes: Vec<String> = text(&init)
        .lines()
        .map(str::trim)
        .filter(|line| line.len() == 19 && line.matches('-').count() == 3)
        .map(str::to_owned)
        .collect();
    assert_eq!(recovery_codes.len(), 10, "{}", text(&init));
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
        frontdesk(&self.data, &args, &format!("{PASSWORD}\n"))
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
        let message = text(&refused);
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
        let message = text(&refused);
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
    let message = text(&refused);
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
    assert!(made.status.success(), "{}", text(&made));
    assert_eq!(mode(&out), 0o600);
    assert!(!partial.exists());
    let first = fs::read(&out).unwrap();

    // An existing file is kept without --force (checked before any login) ...
    let entries = shop.audit_entries();
    let refused = shop.backup(&out, &shop.recovery_codes[1], false);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("--force"), "{}", text(&refused));
    assert_eq!(fs::read(&out).unwrap(), first);
    assert_eq!(shop.audit_entries(), entries);

    // ... and replaced with it, by a new private file in its place.
    fs::set_permissions(&out, fs::Permissions::from_mode(0o644)).unwrap();
    let replaced = shop.backup(&out, &shop.recovery_codes[1], true);
    assert!(replaced.status.success(), "{}", text(&replaced));
    assert_ne!(fs::read(&out).unwrap(), first);
    assert_eq!(mode(&out), 0o600);
    assert!(!partial.exists());
}
