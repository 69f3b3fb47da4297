//! Messages are read whole: a notice, a refusal or a field error wraps (the status area grows,
//! a form gives the message the rows it needs) instead of being cut at the screen's edge.
//!
//! Two nets cover the whole UI suite: the harness (`common::ui::Desk::buffer`) fails any test
//! whose frame had a message cut, and the scan below fails on a snapshot showing a prose line
//! cut with `…`. The direct tests draw the longest refusals known at the app's minimum size.

mod common;

use std::path::Path;

use common::ui::Desk;
use common::*;
use crossterm::event::KeyCode;
use frontdesk::store::records::StaffPreferences;

/// The text without spaces or box sides: the test backend leaves a blank cell after each wide
/// character, and wrapping turns a space into a line break inside a box.
fn flat(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect()
}

/// Every string the app means to end with an ellipsis ("Saving…", "Name search warming
/// up…"), in English and in Chinese, read from the translation files.
fn intended_ellipses() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui/i18n/zh-CN");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("translations") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("file");
        let table: toml::Table = toml::from_str(&text).expect("toml");
        for (english, chinese) in table {
            for text in [english.as_str(), chinese.as_str().unwrap_or_default()] {
                if text.ends_with('…') {
                    out.push(text.to_owned());
                }
            }
        }
    }
    out
}

/// A snapshot row that ends in `…` is a message cut short when it reads as one piece of
/// prose: inside any box borders, no run of two spaces (a table row has columns, and a table
/// cell may elide), and not a string the app ends with `…` on purpose.
fn cut_message(row: &str, intended: &[String]) -> bool {
    let inner = row
        .trim()
        .trim_start_matches(['│', '┌', '└', '├'])
        .trim_end_matches(['│', '┐', '┘', '┤'])
        .trim();
    if !inner.ends_with('…') || inner.contains("  ") || inner.contains('│') {
        return false;
    }
    !intended.iter().any(|text| inner.ends_with(text.as_str()))
}

#[test]
fn the_scan_tells_a_cut_message_from_a_table_cell() {
    let intended = intended_ellipses();
    assert!(intended.iter().any(|t| t == "Name search warming up…"));
    let form_error = "│                       too few digits; enter 6 to 14 digits, optionally starting with + (or 00) a…│";
    assert!(cut_message(form_error, &intended));
    assert!(cut_message(
        " Receipt 1 was not printed: the print command `false` failed (exit status: 1); …",
        &intended
    ));
    assert!(!cut_message(
        "  :45  ✓ Full service  ! Exterior was… ·                │  Exterior wash #10000…",
        &intended
    ));
    assert!(!cut_message(" Name search warming up…", &intended));
}

#[test]
fn no_snapshot_shows_a_cut_message() {
    let intended = intended_ellipses();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut cut = Vec::new();
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir).expect("snapshots") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "snap") {
            continue;
        }
        scanned += 1;
        let text = std::fs::read_to_string(&path).expect("snapshot");
        // The frame follows insta's header, which ends at the second `---`.
        let frame = text.splitn(3, "---\n").nth(2).unwrap_or_default();
        for row in frame.lines() {
            if cut_message(row, &intended) {
                cut.push(format!(
                    "{}: {row}",
                    path.file_name().unwrap_or_default().to_string_lossy()
                ));
            }
        }
    }
    assert!(scanned > 100, "only {scanned} snapshots found");
    assert!(
        cut.is_empty(),
        "messages cut in snapshots:\n{}",
        cut.join("\n")
    );
}

fn in_chinese(shop: &Shop) {
    shop.service
        .set_my_preferences(
            &shop.manager(),
            StaffPreferences {
                language: Some("zh-CN".to_owned()),
                theme: None,
            },
        )
        .expect("preferences");
}

/// The booking editor at 80×24 with a time the clocks skip (02:30 on 2027-03-14 in
/// Vancouver): the refusal names the first valid time, which must be on screen.
fn dst_refusal(chinese: bool) -> String {
    let shop = open_shop();
    shop.exterior_wash_in_one_bay(&shop.manager());
    if chinese {
        in_chinese(&shop);
    }
    let mut desk = shop.manager_desk();
    desk.settle();
    desk.resize(80, 24);
    desk.key(KeyCode::Char('n'));
    // To the date field: lookup, customer, vehicle, service, date.
    for _ in 0..4 {
        desk.tab();
    }
    desk.ctrl('u');
    desk.type_text("2027-03-14");
    desk.tab();
    desk.type_text("02:30");
    desk.screen()
}

#[test]
fn the_dst_refusal_is_read_whole_at_80x24() {
    let screen = dst_refusal(false);
    assert!(
        flat(&screen).contains(&flat(
            "2027-03-14 02:30 does not exist in America/Vancouver (clocks jump forward); choose a time from 03:00"
        )),
        "{screen}"
    );
    insta::assert_snapshot!("dst_refusal_80x24_en", screen);
}

#[test]
fn the_dst_refusal_is_read_whole_at_80x24_in_chinese() {
    let screen = dst_refusal(true);
    // Said in Chinese, not the domain's English behind a "not done" prefix.
    assert!(
        flat(&screen).contains(
            "2027-03-1402:30在America/Vancouver不存在（时钟拨快）；请选择03:00及之后的时间"
        ),
        "{screen}"
    );
    insta::assert_snapshot!("dst_refusal_80x24_zh", screen);
}

/// The new-member form at 80×24 with a phone number too short: the longest field error.
fn phone_error(chinese: bool) -> String {
    let shop = open_shop();
    if chinese {
        in_chinese(&shop);
    }
    let mut desk = shop.manager_desk();
    desk.settle();
    desk.resize(80, 24);
    desk.key(KeyCode::F(3));
    desk.ctrl('n');
    desk.type_text("欧阳娜娜");
    desk.enter();
    desk.type_text("12");
    for _ in 0..6 {
        desk.enter();
    }
    desk.screen()
}

#[test]
fn a_field_error_is_read_whole_at_80x24() {
    let screen = phone_error(false);
    assert!(
        flat(&screen).contains(&flat(
            "optionally starting with + (or 00) and the country code"
        )),
        "{screen}"
    );
    insta::assert_snapshot!("phone_error_80x24_en", screen);
}

#[test]
fn a_field_error_is_read_whole_at_80x24_in_chinese() {
    let screen = phone_error(true);
    insta::assert_snapshot!("phone_error_80x24_zh", screen);
}

/// The status area grows for a long notice, in both languages, and shrinks back when it goes.
#[test]
fn a_long_notice_takes_the_rows_it_needs() {
    let english = "that time is already taken on every suitable bay; use \"first free slot\" to find another, or choose a time after the bay's buffer (Bay 1 is busy until 10:45)";
    let chinese = "该时间在所有合适的工位上都已被占用；请用“第一个空档”找另一个时间，或选择工位缓冲时间之后的时间（1号工位忙到 10:45）。";
    for text in [english, chinese] {
        let shop = open_shop();
        let mut env = common::ui::env_for(&shop, None);
        env.startup_notices = vec![text.to_owned()];
        let mut desk = Desk::from_app(frontdesk::ui::App::login(env, shop.service.clone()));
        desk.resize(80, 24);
        let screen = desk.screen();
        assert!(flat(&screen).contains(&flat(text)), "{screen}");
        let rows: Vec<&str> = screen.lines().collect();
        assert_eq!(rows.len(), 24);
        // The notice is on the last rows, the login box still above it.
        assert!(flat(rows[22]).len() > 10, "{screen}");
        assert!(!flat(rows[23]).is_empty(), "{screen}");
        assert!(
            screen.contains("Log in") || screen.contains("登录"),
            "{screen}"
        );
    }
}
