//! `frontdesk alerts` on the real binary: open alerts as text and as JSON for scripts, `--all`
//! with acknowledged ones, a manager's login.

mod common;

use chrono::Utc;
use common::binary::{INIT_ARGS, SCRIPT_PASSWORD as PASSWORD, printed, run_frontdesk};
use frontdesk::audit::Origin;
use frontdesk::domain::alerts::{AlertRule, AlertThresholds};
use frontdesk::ids::RecordId;
use frontdesk::service::{AlertDetail, raise_system_alert_in};
use frontdesk::store::Store;
use frontdesk::store::alerts::AlertAck;

/// A new shop by `frontdesk init` and the owner's recovery codes (they log in whatever the
/// wall clock says). Logins outside opening hours are not alerted here, since the tests run at
/// any hour.
fn init_shop() -> (tempfile::TempDir, std::path::PathBuf, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop");
    let init = run_frontdesk(&data, INIT_ARGS, &format!("{PASSWORD}\n"));
    assert!(init.status.success(), "{}", printed(&init));
    let codes: Vec<String> = printed(&init)
        .lines()
        .map(str::trim)
        .filter(|line| line.len() == 19 && line.matches('-').count() == 3)
        .map(str::to_owned)
        .collect();
    let store = Store::open(&data).unwrap();
    let mut writer = store.write().unwrap();
    writer
        .put_alert_thresholds(&AlertThresholds {
            outside_hours: false,
            ..AlertThresholds::default()
        })
        .unwrap();
    writer.commit().unwrap();
    (dir, data, codes)
}

fn alerts(data: &std::path::Path, code: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "alerts",
        "--user",
        "owner",
        "--password-stdin",
        "--totp",
        code,
    ];
    args.extend_from_slice(extra);
    run_frontdesk(data, &args, &format!("{PASSWORD}\n"))
}

#[test]
fn open_alerts_print_as_lines_and_as_json_and_all_adds_acknowledged_ones() {
    let (_dir, data, codes) = init_shop();
    let empty = alerts(&data, &codes[0], &[]);
    assert!(empty.status.success(), "{}", printed(&empty));
    assert_eq!(String::from_utf8_lossy(&empty.stdout), "No open alerts.\n");
    {
        let store = Store::open(&data).unwrap();
        let cli = Origin::Cli {
            command: "test".to_owned(),
        };
        for (rule, reason) in [
            (AlertRule::BackupFailed, "folder /mnt/usb vanished"),
            (AlertRule::AuditChainCheckFailed, "entry 7 was changed"),
        ] {
            raise_system_alert_in(
                &store,
                Utc::now(),
                cli.clone(),
                rule,
                AlertDetail::new(reason),
            )
            .unwrap();
        }
        let mut writer = store.write().unwrap();
        writer
            .acknowledge_alert(
                1,
                AlertAck {
                    by: RecordId::from_u128(1),
                    username: "owner".to_owned(),
                    at: Utc::now(),
                    note: "new stick".to_owned(),
                },
            )
            .unwrap();
        writer.commit().unwrap();
    }
    let text = alerts(&data, &codes[1], &[]);
    assert!(text.status.success(), "{}", printed(&text));
    let stdout = String::from_utf8_lossy(&text.stdout).into_owned();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert!(lines[0].starts_with("#2  "), "{stdout}");
    assert!(lines[0].contains("audit_chain_failed"), "{stdout}");
    assert!(lines[0].contains("entry 7 was changed"), "{stdout}");

    let json = alerts(&data, &codes[2], &["--all", "--json"]);
    assert!(json.status.success(), "{}", printed(&json));
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let rows = parsed.as_array().expect("an array");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["number"], 2);
    assert_eq!(rows[0]["rule"], "audit_chain_failed");
    assert_eq!(rows[0]["acknowledged"], serde_json::Value::Null);
    assert_eq!(rows[1]["rule"], "backup_failed");
    assert_eq!(rows[1]["acknowledged"]["note"], "new stick");
    assert_eq!(rows[1]["audit_entries"].as_array().unwrap().len(), 1);
}

#[test]
fn a_wrong_password_is_one_clear_sentence_and_a_failure() {
    let (_dir, data, codes) = init_shop();
    let output = run_frontdesk(
        &data,
        &[
            "alerts",
            "--user",
            "owner",
            "--password-stdin",
            "--totp",
            &codes[0],
        ],
        "not the password\n",
    );
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
