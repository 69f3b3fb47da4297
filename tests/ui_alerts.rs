//! The alert list and the status-bar count on the real UI state machine: a manager's screens at
//! 80×24 and 200×50 in English and 简体中文, acknowledging with a note, the entries behind an
//! alert, an alert written by another process showing on the next tick, and a cashier who
//! never sees any of it.

mod common;

use chrono::Duration;
use common::ui::Desk;
use common::*;
use crossterm::event::KeyCode;
use frontdesk::audit::Origin;
use frontdesk::domain::alerts::AlertRule;
use frontdesk::service::{AlertDetail, MemberInput, raise_system_alert_in};
use frontdesk::store::records::StaffPreferences;
use secrecy::SecretString;

const ALERTS: KeyCode = KeyCode::F(11);

/// A shop with three alerts: a points adjustment far above the limit, failed logins from one
/// SSH address, and a failed backup (acknowledged). Returns the cashier's secret.
fn shop_with_alerts(language: Option<&str>) -> (Shop, Vec<u8>) {
    let shop = open_shop();
    let manager = shop.manager();
    let member = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "王小明".to_owned(),
                ..MemberInput::default()
            },
        )
        .expect("member")
        .id;
    shop.service
        .adjust_points(&manager, member, 5_000, "typed one zero too many")
        .expect("adjust");
    for (port, name) in ["admin", "root", "owner", "test", "guest"]
        .iter()
        .enumerate()
    {
        let failed = shop.service.login(frontdesk::service::LoginRequest {
            username: (*name).to_owned(),
            password: SecretString::from("guessing passwords".to_owned()),
            second_factor: frontdesk::service::SecondFactor::Totp("123456".to_owned()),
            origin: Origin::Ssh {
                peer: format!("198.51.100.9:{}", 40_000 + port),
            },
            ssh_key: None,
        });
        assert!(failed.is_err());
        shop.clock.advance(Duration::seconds(20));
    }
    let backup = shop
        .service
        .raise_system_alert(
            AlertRule::BackupFailed,
            AlertDetail::new("/mnt/usb is full"),
        )
        .expect("raise");
    shop.service
        .acknowledge_alert(&manager, backup, "New USB stick in; next run OK")
        .expect("ack");
    let cashier = shop.add_cashier(&manager);
    if let Some(language) = language {
        shop.service
            .set_my_preferences(
                &manager,
                StaffPreferences {
                    language: Some(language.to_owned()),
                    theme: None,
                },
            )
            .expect("preferences");
    }
    (shop, cashier)
}

fn alert_list(desk: &mut Desk, width: u16, height: u16) -> String {
    desk.resize(width, height);
    desk.settle();
    desk.key(ALERTS);
    assert_eq!(desk.app.screen_title(), "Alerts", "{}", desk.screen());
    desk.screen()
}

#[test]
fn the_alert_list_in_english_at_both_sizes() {
    let (shop, _) = shop_with_alerts(None);
    let mut desk = shop.manager_desk();
    let small = alert_list(&mut desk, 80, 24);
    assert!(small.contains("Large points adjustment"), "{small}");
    assert!(small.contains("2 open alerts"), "{small}");
    insta::assert_snapshot!("alerts_80x24_en", small);
    // Acknowledged ones too, with who acknowledged and the note.
    desk.type_text("t");
    let all = desk.screen();
    assert!(all.contains("New USB stick in"), "{all}");
    insta::assert_snapshot!("alerts_all_80x24_en", all);
    let mut desk = shop.manager_desk();
    insta::assert_snapshot!("alerts_200x50_en", alert_list(&mut desk, 200, 50));
}

#[test]
fn the_alert_list_in_chinese_at_both_sizes() {
    let (shop, _) = shop_with_alerts(Some("zh-CN"));
    let mut desk = shop.manager_desk();
    let small = alert_list(&mut desk, 80, 24);
    assert!(small.contains("大额积分调整"), "{small}");
    insta::assert_snapshot!("alerts_80x24_zh", small);
    let mut desk = shop.manager_desk();
    insta::assert_snapshot!("alerts_200x50_zh", alert_list(&mut desk, 200, 50));
}

#[test]
fn the_status_bar_counts_open_alerts_for_a_manager_only() {
    let (shop, cashier) = shop_with_alerts(None);
    let mut desk = shop.manager_desk();
    desk.resize(80, 24);
    desk.settle();
    assert_eq!(desk.app.open_alerts(), Some(2));
    let screen = desk.screen();
    let status = screen.lines().last().unwrap_or_default().to_owned();
    assert!(status.contains("⚠ 2 open alerts"), "{screen}");
    insta::assert_snapshot!("alerts_status_bar_80x24_en", screen);

    let mut counter = shop.cashier_desk(&cashier);
    counter.resize(80, 24);
    counter.settle();
    assert_eq!(counter.app.open_alerts(), None);
    assert!(!counter.screen().contains("alert"), "{}", counter.screen());
    counter.key(ALERTS);
    assert_ne!(counter.app.screen_title(), "Alerts");
}

#[test]
fn an_alert_written_by_another_process_shows_on_the_next_tick() {
    let (shop, _) = shop_with_alerts(None);
    let mut desk = shop.manager_desk();
    desk.settle();
    desk.key(ALERTS);
    assert_eq!(desk.app.open_alerts(), Some(2));
    // `frontdesk verify` beside the counter writes straight to the store: no hub signal.
    raise_system_alert_in(
        shop.service.store(),
        shop.clock.now_for_tests(),
        Origin::Cli {
            command: "verify".to_owned(),
        },
        AlertRule::AuditChainCheckFailed,
        AlertDetail::new("entry 12 was changed"),
    )
    .expect("raise");
    desk.tick();
    assert_eq!(desk.app.open_alerts(), Some(3));
    let screen = desk.screen();
    assert!(screen.contains("3 open alerts"), "{screen}");
    assert!(screen.contains("Audit chain check failed"), "{screen}");
}

#[test]
fn a_manager_acknowledges_an_alert_with_a_note_and_opens_the_entries_behind_another() {
    let (shop, _) = shop_with_alerts(None);
    let mut desk = shop.manager_desk();
    desk.resize(100, 30);
    desk.settle();
    desk.key(ALERTS);
    // Newest first: the failed logins from one address.
    let screen = desk.screen();
    assert!(
        screen.contains("5 failed logins from 198.51.100.9"),
        "{screen}"
    );
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Audit log");
    let entries = desk.screen();
    assert!(entries.contains("Audit entries behind alert"), "{entries}");
    let rows = entries
        .lines()
        .filter(|line| line.contains("login.failed") && !line.contains('·'))
        .count();
    assert_eq!(rows, 5, "{entries}");
    desk.esc();
    assert_eq!(desk.app.screen_title(), "Alerts");
    desk.type_text("a");
    assert!(desk.app.has_overlay());
    desk.enter();
    assert!(desk.app.has_overlay(), "an empty note is refused");
    desk.type_text("Port scan from outside; blocked at the router");
    desk.enter();
    assert!(!desk.app.has_overlay(), "{}", desk.screen());
    assert_eq!(desk.app.notice_text(), Some("Alert 2 acknowledged."));
    assert_eq!(desk.app.open_alerts(), Some(1));
    assert_eq!(
        last_audit_action(shop.service.store()),
        frontdesk::audit::AuditAction::AlertAcknowledged
    );
    let manager = shop.manager();
    let all = shop.service.alerts(&manager, true).unwrap();
    let acked = all.iter().find(|a| a.number == 2).unwrap();
    assert_eq!(
        acked.acknowledged.as_ref().map(|ack| ack.note.as_str()),
        Some("Port scan from outside; blocked at the router")
    );
}
