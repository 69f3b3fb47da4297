//! The real binary, as a shop owner would run it: init, passwd, verify, and the clear errors
//! for a missing directory, a store in use, a damaged file and a newer schema.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use chrono::Utc;
use common::{phone_code, secret_from_base32};

const PASSWORD: &str = "otter sunrise gravel window";
const NEW_PASSWORD: &str = "maple quartz harbour lantern";

fn frontdesk(data: &Path, args: &[&str], stdin: Option<&str>) -> Output {
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
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // The binary may refuse and exit before reading; a closed pipe is not a test failure.
        let _ = pipe.write_all(input.as_bytes());
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn init(data: &Path) -> Vec<u8> {
    let output = frontdesk(
        data,
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
        Some(&format!("{PASSWORD}\n")),
    );
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    assert!(out.contains("otpauth://totp/"), "{out}");
    assert!(!out.contains(PASSWORD));
    let recovery_codes = out
        .lines()
        .filter(|l| l.starts_with("  ") && l.trim().len() == 19)
        .count();
    assert_eq!(recovery_codes, 10, "{out}");
    let secret_line = out
        .lines()
        .find(|l| l.starts_with("base32 secret:"))
        .expect("secret printed");
    secret_from_base32(secret_line.trim_start_matches("base32 secret:"))
}

#[test]
fn init_passwd_and_verify_work_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop");
    let secret = init(&data);

    let now = Utc::now();
    let code = phone_code(&secret, now);
    let changed = frontdesk(
        &data,
        &[
            "passwd",
            "--user",
            "owner",
            "--password-stdin",
            "--totp",
            &code,
        ],
        Some(&format!("{PASSWORD}\n{NEW_PASSWORD}\n")),
    );
    assert!(changed.status.success(), "{}", text(&changed));

    // The old password no longer works; the new one does (next code, as the phone shows it
    // half a minute later — the previous code was used up).
    let next = phone_code(&secret, now + chrono::Duration::seconds(30));
    let old = frontdesk(
        &data,
        &[
            "passwd",
            "--user",
            "owner",
            "--password-stdin",
            "--totp",
            &next,
        ],
        Some(&format!("{PASSWORD}\nanother fine passphrase here\n")),
    );
    assert!(!old.status.success());
    assert!(text(&old).contains("Login failed"), "{}", text(&old));

    let verified = frontdesk(&data, &["verify"], None);
    let out = text(&verified);
    assert!(verified.status.success(), "{out}");
    assert!(out.contains("verify: OK"), "{out}");
    let checkpoint = out
        .lines()
        .find_map(|l| l.strip_prefix("checkpoint: "))
        .unwrap()
        .trim()
        .to_owned();
    let with_checkpoint = frontdesk(&data, &["verify", "--checkpoint", &checkpoint], None);
    assert!(
        with_checkpoint.status.success(),
        "{}",
        text(&with_checkpoint)
    );
    let bogus = format!("{}:{}", 3, "ab".repeat(32));
    let failed = frontdesk(&data, &["verify", "--checkpoint", &bogus], None);
    assert!(!failed.status.success());
    assert!(text(&failed).contains("verify: FAILED"));
}

#[test]
fn init_refuses_to_overwrite_a_store_and_rejects_bad_settings_without_leaving_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop");
    init(&data);
    let again = frontdesk(
        &data,
        &[
            "init",
            "--shop",
            "X",
            "--timezone",
            "UTC",
            "--currency",
            "CAD",
            "--manager",
            "boss",
            "--password-stdin",
        ],
        Some("whatever long password\n"),
    );
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));

    let fresh = dir.path().join("other");
    let bad_zone = frontdesk(
        &fresh,
        &[
            "init",
            "--shop",
            "X",
            "--timezone",
            "Mars/Olympus",
            "--currency",
            "CAD",
            "--manager",
            "boss",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(!bad_zone.status.success());
    assert!(text(&bad_zone).contains("IANA"), "{}", text(&bad_zone));
    assert!(!fresh.join("frontdesk.redb").exists());

    let weak = frontdesk(
        &fresh,
        &[
            "init",
            "--shop",
            "X",
            "--timezone",
            "UTC",
            "--currency",
            "CAD",
            "--manager",
            "boss",
            "--password-stdin",
        ],
        Some("password123\n"),
    );
    assert!(!weak.status.success());
    assert!(text(&weak).contains("password"), "{}", text(&weak));
}

#[test]
fn clear_errors_for_missing_busy_damaged_and_newer_stores() {
    let dir = tempfile::tempdir().unwrap();
    let missing = frontdesk(&dir.path().join("nowhere"), &["verify"], None);
    assert!(!missing.status.success());
    assert!(
        text(&missing).contains("does not exist"),
        "{}",
        text(&missing)
    );

    let empty = frontdesk(dir.path(), &["verify"], None);
    assert!(text(&empty).contains("no store"), "{}", text(&empty));

    let data = dir.path().join("shop");
    init(&data);
    {
        let _held = frontdesk::store::Store::open(&data).unwrap();
        let busy = frontdesk(&data, &["verify"], None);
        assert!(!busy.status.success());
        assert!(text(&busy).contains("in use by another"), "{}", text(&busy));
    }

    {
        let db = redb::Database::open(data.join("frontdesk.redb")).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let mut meta = tx.open_table(frontdesk::store::schema::META).unwrap();
            meta.insert(
                frontdesk::store::schema::META_SCHEMA_VERSION,
                99u32.to_le_bytes().as_slice(),
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let newer = frontdesk(&data, &["verify"], None);
    assert!(!newer.status.success());
    assert!(text(&newer).contains("newer frontdesk"), "{}", text(&newer));

    let damaged = dir.path().join("damaged");
    std::fs::create_dir_all(&damaged).unwrap();
    std::fs::write(damaged.join("frontdesk.redb"), vec![0x5a; 8192]).unwrap();
    let corrupt = frontdesk(&damaged, &["verify"], None);
    assert!(!corrupt.status.success());
    assert!(text(&corrupt).contains("damaged"), "{}", text(&corrupt));
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["init", "--help"],
        vec!["passwd", "--help"],
        vec!["verify", "--help"],
    ] {
        let output = frontdesk(dir.path(), &args, None);
        assert!(output.status.success(), "{args:?}");
        assert!(text(&output).contains("Usage"), "{args:?}");
    }
}
