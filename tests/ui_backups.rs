//! Backups at the desk: Settings › Security shows the schedule and the last backup, `b` backs
//! up now (the run's result on the status line and in the rows), Enter edits the schedule; the
//! end-of-day screen shows the last verified backup. English and 简体中文, 80×24.

mod common;

use common::ui::Desk;
use common::*;
use crossterm::event::KeyCode;

const SETTINGS: KeyCode = KeyCode::F(6);

fn security_tab(desk: &mut Desk) {
    desk.key(SETTINGS);
    for _ in 0..7 {
        desk.tab();
    }
}

fn desk_in(shop: &Shop, language: &str) -> Desk {
    let manager = shop.manager();
    shop.set_language(&manager, language);
    let mut desk = shop.manager_desk();
    desk.settle();
    desk.resize(80, 24);
    desk
}

#[test]
fn a_manager_backs_up_now_from_settings_and_reads_the_result() {
    for (language, suffix) in [("en", "en"), ("zh-CN", "zh")] {
        let shop = open_shop();
        let mut desk = desk_in(&shop, language);
        security_tab(&mut desk);
        desk.type_text("b");
        desk.settle();
        let screen = desk.screen();
        let backups = shop.dir.path().join("backups");
        let files: Vec<_> = std::fs::read_dir(&backups)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".fdbackup"))
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        assert!(screen.contains(&files[0]), "{screen}");
        insta::assert_snapshot!(format!("settings_backed_up_80x24_{suffix}"), screen);

        desk.key(KeyCode::Down);
        desk.key(KeyCode::Down);
        desk.enter();
        insta::assert_snapshot!(
            format!("backup_schedule_form_80x24_{suffix}"),
            desk.screen()
        );
    }
}

#[test]
fn the_schedule_form_refuses_a_relative_folder_next_to_the_field() {
    let shop = open_shop();
    let mut desk = desk_in(&shop, "en");
    security_tab(&mut desk);
    desk.key(KeyCode::Down);
    desk.key(KeyCode::Down);
    desk.enter();
    // Daily backup, time, then the folder.
    desk.tab();
    desk.tab();
    desk.type_text("backups");
    desk.enter();
    let screen = desk.screen();
    assert!(screen.contains("full path"), "{screen}");
    assert_eq!(
        shop.service.backup_schedule().unwrap().folder,
        None,
        "nothing was saved"
    );
}

#[test]
fn a_cashier_cannot_back_up_from_the_desk() {
    let shop = open_shop();
    let manager = shop.manager();
    let secret = shop.add_cashier(&manager);
    let mut desk = shop.cashier_desk(&secret);
    desk.settle();
    desk.key(SETTINGS);
    desk.type_text("b");
    desk.settle();
    assert!(!shop.dir.path().join("backups").exists());
}

#[test]
fn a_manager_sets_the_alert_thresholds_in_settings() {
    let shop = open_shop();
    let mut desk = desk_in(&shop, "en");
    security_tab(&mut desk);
    // Idle lock, retention, the four backup rows, then the alert rules.
    for _ in 0..6 {
        desk.key(KeyCode::Down);
    }
    let screen = desk.screen();
    assert!(screen.contains("30 openings/10 min"), "{screen}");
    desk.enter();
    insta::assert_snapshot!("alert_rules_form_80x24_en", desk.screen());
    desk.key(KeyCode::Backspace);
    desk.key(KeyCode::Backspace);
    desk.type_text("45");
    desk.enter();
    let manager = shop.manager();
    assert_eq!(
        shop.service
            .alert_thresholds(&manager)
            .unwrap()
            .access_count,
        45
    );
    assert!(
        desk.screen().contains("45 openings/10 min"),
        "{}",
        desk.screen()
    );
}
