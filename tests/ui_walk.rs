//! A walk through every screen the desk can open — setup, login, Today, members, a member and
//! its dialogs, checkout, drawer, staff, settings and their tabs, audit, end of day,
//! preferences, dialogs, lock — checking each frame:
//! - in 简体中文, no English word is left untranslated (only codes, units, keys, names and
//!   the fixture's own data may be in Latin letters);
//! - in the light theme, every cell carries the theme's own background, so the screen reads the
//!   same on a dark terminal.

mod common;

use std::sync::Arc;

use common::ui::{Desk, env_for};
use common::*;
use crossterm::event::KeyCode;
use frontdesk::audit::Origin;
use frontdesk::clock::ManualClock;
use frontdesk::domain::alerts::AlertRule;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::entropy::SeededEntropy;
use frontdesk::service::{AlertDetail, MemberInput, VehicleInput};
use frontdesk::store::records::StaffPreferences;
use frontdesk::ui::keymap::Keymap;
use frontdesk::ui::theme::Theme;
use frontdesk::ui::{App, AppEnv};
use ratatui::buffer::Buffer;
use ratatui::style::Color;

/// A shop with a service in a bay, a member with a car, and the manager's look.
fn shop_with(language: Option<&str>) -> Shop {
    let shop = open_shop();
    let manager = shop.manager();
    shop.exterior_wash_in_one_bay(&manager);
    let member = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "王小明".to_owned(),
                phone: Some("+86 138 1234 5678".to_owned()),
                ..MemberInput::default()
            },
        )
        .expect("member");
    shop.service
        .add_vehicle(
            &manager,
            member.id,
            VehicleInput {
                plate: "苏A12345".to_owned(),
                kind: VehicleKind::Sedan,
                make_model: None,
                colour: None,
            },
        )
        .expect("vehicle");
    shop.add_cashier(&manager);
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
    shop
}

type Look<'a> = dyn FnMut(&str, &Desk) + 'a;

/// Types `keys`, looks, and backs out with Esc if they opened a screen or a dialog (a key may
/// only answer with a notice, e.g. when there is nothing to sell).
fn peek(desk: &mut Desk, keys: &str, name: &str, look: &mut Look) {
    let before = (desk.app.screen_title(), desk.app.has_overlay());
    desk.type_text(keys);
    look(name, desk);
    if (desk.app.screen_title(), desk.app.has_overlay()) != before {
        desk.esc();
    }
}

/// Every screen a manager can open from the desk, each looked at once.
fn walk_the_desk(desk: &mut Desk, look: &mut Look) {
    desk.settle();
    look("today", desk);
    desk.type_text("?");
    look("help", desk);
    desk.esc();
    desk.ctrl('k');
    look("palette", desk);
    desk.esc();
    desk.type_text("w");
    look("walk-in", desk);
    desk.esc();
    desk.type_text("n");
    look("new booking", desk);
    desk.esc();

    desk.key(KeyCode::F(3));
    assert_eq!(desk.app.screen_title(), "Members");
    look("members", desk);
    desk.ctrl('n');
    look("new member", desk);
    desk.esc();
    desk.ctrl('f');
    assert_eq!(desk.app.screen_title(), "Import members");
    look("import members", desk);
    desk.esc();
    desk.key(KeyCode::F(3));
    desk.type_text("100001");
    look("members found", desk);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member");
    for tab in 0..7 {
        look(&format!("member tab {tab}"), desk);
        desk.tab();
    }
    for (key, name) in [
        ('e', "edit member"),
        ('v', "add vehicle"),
        ('a', "adjust points"),
        ('p', "sell plan"),
        ('P', "sell package"),
        ('b', "book for member"),
        ('X', "export member data"),
    ] {
        peek(desk, &key.to_string(), name, look);
    }
    desk.type_text("c");
    assert_eq!(desk.app.screen_title(), "Checkout");
    look("checkout", desk);
    desk.type_text("a");
    look("checkout add line", desk);
    desk.esc();
    desk.type_text("r");
    look("checkout redeem", desk);
    desk.esc();
    desk.type_text("%");
    look("checkout discount", desk);
    desk.esc();
    desk.type_text("p");
    look("checkout payment", desk);
    desk.esc();
    desk.esc();

    desk.key(KeyCode::F(4));
    assert_eq!(desk.app.screen_title(), "Cash drawer");
    look("drawer", desk);
    desk.key(KeyCode::F(5));
    look("staff", desk);
    desk.type_text("n");
    assert_eq!(desk.app.screen_title(), "New staff account");
    look("new staff", desk);
    desk.esc();
    desk.type_text("s");
    look("ssh keys", desk);
    desk.esc();
    desk.key(KeyCode::F(6));
    assert_eq!(desk.app.screen_title(), "Settings");
    for tab in 0..10 {
        look(&format!("settings tab {tab}"), desk);
        desk.tab();
    }
    desk.key(KeyCode::F(7));
    look("audit", desk);
    desk.type_text("/");
    look("audit filter", desk);
    desk.esc();
    desk.service()
        .raise_system_alert(AlertRule::AuditChainCheckFailed, AlertDetail::new(""))
        .expect("alert");
    desk.tick();
    desk.key(KeyCode::F(11));
    assert_eq!(desk.app.screen_title(), "Alerts");
    look("alerts", desk);
    desk.type_text("a");
    look("acknowledge alert", desk);
    desk.esc();
    desk.enter();
    look("audit entries behind an alert", desk);
    desk.esc();
    desk.key(KeyCode::F(8));
    assert_eq!(desk.app.screen_title(), "End of day");
    look("end of day", desk);
    desk.type_text("r");
    desk.settle();
    assert_eq!(desk.app.screen_title(), "Reports");
    for section in 0..11 {
        look(&format!("reports {section}"), desk);
        desk.type_text("g");
        look(&format!("reports {section} numbers"), desk);
        desk.type_text("g");
        desk.tab();
    }
    desk.type_text("c");
    look("reports custom range", desk);
    desk.esc();
    desk.key(KeyCode::F(9));
    look("preferences", desk);
    desk.esc();
    desk.key(KeyCode::F(10));
    look("change password", desk);
    desk.esc();
    desk.ctrl('o');
    look("receipt by number", desk);
    desk.esc();
    desk.ctrl('l');
    assert!(desk.app.is_locked());
    look("lock", desk);
    desk.type_text(MANAGER_PASSWORD);
    desk.enter();
    desk.ctrl('b');
    look("privacy blank", desk);
    desk.ctrl('b');
    desk.ctrl('x');
    look("logged out", desk);
}

/// The first-run wizard from its welcome to the authenticator step.
fn walk_the_setup(theme: Option<&str>, chinese: bool, look: &mut Look) {
    let dir = tempfile::tempdir().expect("temp dir");
    let env = AppEnv {
        clock: Arc::new(ManualClock::new(start_time())),
        entropy: Arc::new(SeededEntropy::new(7)),
        data_dir: dir.path().to_path_buf(),
        origin: Origin::Local,
        keymap: Keymap::defaults(),
        forced_theme: theme.and_then(Theme::built_in),
        theme_dir: None,
        startup_notices: Vec::new(),
        ssh_server: None,
        quit_when_session_ends: false,
    };
    let mut desk = Desk::from_app(App::setup(env));
    if chinese {
        desk.key(KeyCode::Right);
    }
    look("setup welcome", &desk);
    desk.enter();
    look("setup shop", &desk);
    desk.type_text("Sparkle Car Wash");
    desk.enter();
    desk.type_text("America/Vancouver");
    desk.enter();
    desk.enter();
    look("setup manager", &desk);
    desk.type_text("maria");
    desk.enter();
    desk.type_text("tidal harbour lantern quokka");
    desk.enter();
    desk.type_text("tidal harbour lantern quokka");
    desk.enter();
    look("setup authenticator", &desk);
}

/// Words in Latin letters on `screen`, as (word, line) pairs. Codes are left out: a run of
/// non-space ASCII holding a digit or `_ . : / @ % = ?` (hashes, ids, action codes, field names,
/// links), an all-capitals run (SKU, UTC, base32), and anything between backticks (a command).
fn latin_words(screen: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in screen.lines() {
        // An audit log row is codes throughout: the action, the object ids and the field names
        // are what the filter takes and `frontdesk verify` prints.
        let is_audit_row = line.split_whitespace().any(|token| {
            let mut parts = token.splitn(2, '.');
            matches!(
                (parts.next(), parts.next()),
                (Some(a), Some(b)) if a.len() > 2
                    && a.chars().all(|c| c.is_ascii_lowercase())
                    && b.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            )
        });
        if is_audit_row {
            continue;
        }
        let mut outside_code = String::new();
        for (index, part) in line.split('`').enumerate() {
            if index % 2 == 0 {
                outside_code.push_str(part);
                outside_code.push(' ');
            }
        }
        let tokens = outside_code.split(|c: char| !c.is_ascii_graphic());
        for token in tokens {
            let is_code = token
                .chars()
                .any(|c| c.is_ascii_digit() || "_.:/@%=?".contains(c))
                || (token.len() >= 2 && token.chars().all(|c| !c.is_ascii_lowercase()));
            if is_code {
                continue;
            }
            for word in token.split(|c: char| !c.is_ascii_alphabetic()) {
                if word.len() >= 2 {
                    out.push((word.to_owned(), line.trim().to_owned()));
                }
            }
        }
    }
    out
}

/// Latin words a Chinese screen may show: key names, codes and units, the product's name, and
/// the fixture's own data (the shop, its service and bay, user names, the time zone).
const ALLOWED_LATIN: &[&str] = &[
    // Keys.
    "F",
    "Esc",
    "Tab",
    "Enter",
    "Ctrl",
    "Shift",
    "Alt",
    "PgUp",
    "PgDn",
    "PageUp",
    "PageDown",
    "Home",
    "End",
    "Del",
    "Delete",
    "Backspace",
    "Space",
    "Up",
    "Down",
    "Left",
    "Right",
    // Codes, units and formats.
    "CAD",
    "CNY",
    "USD",
    "UTC",
    "PST",
    "PDT",
    "YYYY",
    "MM",
    "DD",
    "HH",
    "QR",
    "TOTP",
    "SSH",
    "ID",
    "URI",
    "otpauth",
    "SHA",
    "CSV",
    "JSON",
    "PDF",
    "ed",
    "ssh",
    "rsa",
    "ecdsa",
    "min",
    // The product and the fixture's data.
    "frontdesk",
    "Sparkle",
    "Car",
    "Wash",
    "Exterior",
    "wash",
    "Bay",
    "manager",
    "cashier",
    "maria",
    "America",
    "Vancouver",
    "Counter",
    // A language is named in its own language, as 简体中文 is on an English screen.
    "English",
];

#[test]
fn the_word_check_finds_english_and_passes_codes() {
    let words: Vec<String> = latin_words(
        "#100001 王小明 · Member等级 · `frontdesk serve` 6bd6b7eaa0 SKU Esc：返回\n\
         │ 16  manager 本机 member.opened 成功 name,phone │",
    )
    .into_iter()
    .map(|(word, _)| word)
    .collect();
    assert_eq!(words, vec!["Member", "Esc"]);
}

/// The part of a frame row inside a dialog drawn over a bordered screen.
fn dialog_part(line: &str) -> String {
    for (open, close) in [('┌', '┐'), ('└', '┘')] {
        if let (Some(start), Some(end)) = (line.find(open), line.rfind(close)) {
            return line[start..end].to_owned();
        }
    }
    let parts: Vec<&str> = line.split('│').collect();
    if parts.len() >= 5 {
        parts[2..parts.len() - 2].join("│")
    } else {
        line.to_owned()
    }
}

#[test]
fn every_screen_in_chinese_is_in_chinese() {
    let mut found: Vec<String> = Vec::new();
    let mut screens = 0;
    let mut look = |name: &str, desk: &Desk| {
        // After logging out the login screen is in English until someone logs in: the
        // language is each staff member's own.
        if name == "logged out" {
            return;
        }
        screens += 1;
        let mut screen = desk.screen();
        if name == "audit filter" {
            // The dialog covers the log but for the tails of its rows at the right edge.
            screen = screen
                .lines()
                .map(dialog_part)
                .collect::<Vec<_>>()
                .join("\n");
        }
        for (word, line) in latin_words(&screen) {
            let allowed = ALLOWED_LATIN.contains(&word.as_str())
                || (word.starts_with('F') && word[1..].chars().all(|c| c.is_ascii_digit()));
            if !allowed {
                found.push(format!("{name}: `{word}` in: {line}"));
            }
        }
    };
    walk_the_setup(None, true, &mut look);
    let shop = shop_with(Some("zh-CN"));
    let mut desk = shop.manager_desk();
    assert_eq!(
        desk.app.language(),
        frontdesk::ui::i18n::Language::SimplifiedChinese
    );
    for (width, height) in [(80, 24), (200, 50)] {
        desk.resize(width, height);
        walk_the_desk(&mut desk, &mut look);
        desk = shop.manager_desk();
    }
    assert!(screens >= 90, "the walk saw only {screens} screens");
    found.sort();
    found.dedup();
    assert!(
        found.is_empty(),
        "English left on Chinese screens:\n{}",
        found.join("\n")
    );
}

/// Cells drawn without a background colour of their own, as "(x, y)" of the first few.
fn unpainted(buffer: &Buffer) -> Vec<String> {
    let area = buffer.area;
    let mut out = Vec::new();
    for y in 0..area.height {
        let mut x = 0;
        while x < area.width {
            let cell = &buffer[(x, y)];
            if matches!(cell.bg, Color::Reset) {
                out.push(format!("({x}, {y}) {:?}", cell.symbol()));
            }
            // A wide character covers the cell after it, which the terminal never draws.
            let cells = unicode_width::UnicodeWidthStr::width(cell.symbol()).max(1);
            x += u16::try_from(cells).unwrap_or(1);
        }
    }
    out
}

#[test]
fn the_light_theme_paints_every_cell_of_every_screen() {
    let mut found: Vec<String> = Vec::new();
    let mut look = |name: &str, desk: &Desk| {
        let cells = unpainted(&desk.buffer());
        if !cells.is_empty() {
            found.push(format!(
                "{name}: {} cells: {}\n{}",
                cells.len(),
                cells.iter().take(8).cloned().collect::<Vec<_>>().join(" "),
                desk.screen()
            ));
        }
    };
    walk_the_setup(Some("light"), false, &mut look);
    let shop = shop_with(None);
    let mut desk = Desk::from_app(App::login(
        env_for(&shop, Some("light")),
        shop.service.clone(),
    ));
    look("login", &desk);
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    desk.log_in(MANAGER, MANAGER_PASSWORD, &code);
    shop.next_step();
    assert!(desk.app.is_logged_in());
    assert_eq!(desk.app.theme().name, "light");
    desk.resize(80, 24);
    walk_the_desk(&mut desk, &mut look);
    assert!(found.is_empty(), "{}", found.join("\n"));
}
