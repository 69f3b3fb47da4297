//! The first-run setup wizard, driven by keys from an empty data directory to the Today
//! screen: validation next to the fields, the shop created, the authenticator enrolled from
//! the secret read off the screen, the recovery codes shown once.

mod common;

use std::sync::Arc;

use chrono::Duration;
use common::ui::Desk;
use common::{ClockExt, phone_code, secret_from_base32, start_time};
use crossterm::event::KeyCode;
use frontdesk::audit::Origin;
use frontdesk::clock::ManualClock;
use frontdesk::domain::access::Role;
use frontdesk::entropy::SeededEntropy;
use frontdesk::service::{LoginRequest, SecondFactor};
use frontdesk::ui::keymap::Keymap;
use frontdesk::ui::theme::Theme;
use frontdesk::ui::{App, AppEnv};
use ratatui::style::Color;
use secrecy::SecretString;

const SHOP: &str = "Sparkle Car Wash";
const USER: &str = "maria";
const PASSWORD: &str = "tidal harbour lantern quokka";

struct Fresh {
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    desk: Desk,
}

fn fresh(theme: Option<&str>) -> Fresh {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(start_time()));
    let env = AppEnv {
        clock: clock.clone(),
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
    let desk = Desk::from_app(App::setup(env));
    Fresh { dir, clock, desk }
}

impl Fresh {
    /// The screen with the temporary directory's name replaced, so snapshots are stable.
    fn screen(&self) -> String {
        let path = self.dir.path().display().to_string();
        self.desk.screen().replace(&path, "<data dir>")
    }

    fn clear_field(&mut self) {
        for _ in 0..64 {
            self.desk.key(KeyCode::Backspace);
        }
    }

    /// Welcome and shop steps, ending on the first manager's form.
    fn walk_to_manager_step(&mut self) {
        self.desk.enter();
        self.desk.type_text(SHOP);
        self.desk.enter();
        self.desk.type_text("America/Vancouver");
        self.desk.enter();
        self.desk.enter();
        assert!(
            self.desk.screen().contains("First manager"),
            "{}",
            self.screen()
        );
    }

    /// Through to the enrolment step with a good user name and password.
    fn walk_to_enrolment(&mut self) {
        self.walk_to_manager_step();
        self.desk.type_text(USER);
        self.desk.enter();
        self.desk.type_text(PASSWORD);
        self.desk.enter();
        self.desk.type_text(PASSWORD);
        self.desk.enter();
        assert!(
            self.desk.screen().contains("Authenticator"),
            "{}",
            self.screen()
        );
        assert!(self.desk.app.service().is_some());
    }

    /// The base32 secret as drawn: the groups of four on the lines after the label.
    fn secret_on_screen(&self) -> String {
        let screen = self.desk.screen();
        let lines: Vec<&str> = screen.lines().collect();
        let start = lines
            .iter()
            .position(|line| {
                line.contains("Secret key") || line.replace(' ', "").contains("密钥（")
            })
            .expect("secret label on screen");
        let mut secret = String::new();
        for line in &lines[start + 1..] {
            let groups: Vec<&str> = line
                .split_whitespace()
                .filter(|word| {
                    word.len() == 4
                        && word
                            .chars()
                            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
                })
                .collect();
            if groups.is_empty() {
                break;
            }
            secret.extend(groups);
        }
        secret
    }

    fn phone(&self, secret: &[u8]) -> String {
        phone_code(secret, self.clock.now_for_tests())
    }
}

#[test]
fn the_wizard_sets_up_the_shop_and_the_first_manager() {
    let mut fresh = fresh(None);
    let welcome = fresh.screen();
    assert!(welcome.contains("Welcome to frontdesk"), "{welcome}");
    assert!(welcome.contains("<data dir>"), "{welcome}");
    insta::assert_snapshot!("welcome", welcome);

    // The shop: a bad time zone is refused next to the field, with a suggestion.
    fresh.desk.enter();
    fresh.desk.type_text(SHOP);
    fresh.desk.enter();
    fresh.desk.type_text("Mars/Olympus");
    fresh.desk.enter();
    let screen = fresh.screen();
    assert!(
        screen.contains("Not a time zone; try America/Vancouver."),
        "{screen}"
    );
    insta::assert_snapshot!("shop_bad_timezone", screen);
    fresh.clear_field();
    // A city alone is enough when it names one zone; the field shows the full name.
    fresh.desk.type_text("vancouver");
    fresh.desk.enter();
    let screen = fresh.screen();
    assert!(screen.contains("America/Vancouver"), "{screen}");
    assert!(
        screen.contains("Time there now: 2026-11-23 09:00"),
        "{screen}"
    );
    assert!(screen.contains("◂ CAD ▸"), "{screen}");
    insta::assert_snapshot!("shop_filled", screen);
    fresh.desk.enter();

    // The first manager: a user name with capitals says how it will be saved.
    fresh.desk.type_text("Maria");
    let screen = fresh.screen();
    assert!(screen.contains("Will be saved as: maria"), "{screen}");
    insta::assert_snapshot!("manager_username_lower_case", screen);
    fresh.clear_field();
    // A weak password, then two that differ.
    fresh.desk.type_text("Maria Gonzalez");
    fresh.desk.enter();
    let screen = fresh.screen();
    assert!(screen.contains("Use 2 to 32 characters"), "{screen}");
    fresh.clear_field();
    fresh.desk.type_text(USER);
    fresh.desk.enter();
    fresh.desk.type_text("sparkle123");
    let screen = fresh.screen();
    assert!(screen.contains("Strength:"), "{screen}");
    assert!(!screen.contains("sparkle123"), "{screen}");
    fresh.desk.enter();
    let screen = fresh.screen();
    assert!(screen.contains("Too easy to guess"), "{screen}");
    insta::assert_snapshot!("manager_weak_password", screen);
    fresh.clear_field();
    fresh.desk.type_text(PASSWORD);
    fresh.desk.enter();
    fresh.desk.type_text("tidal harbour lantern quokkas");
    fresh.desk.enter();
    let screen = fresh.screen();
    assert!(screen.contains("The two passwords differ"), "{screen}");
    assert!(fresh.desk.app.service().is_none(), "nothing created yet");
    insta::assert_snapshot!("manager_mismatch", screen);
    fresh.clear_field();
    fresh.desk.type_text(PASSWORD);
    fresh.desk.enter();

    // The shop exists; the enrolment is on screen.
    let service = fresh.desk.app.service().expect("shop created").clone();
    let settings = service.settings().expect("settings");
    assert_eq!(settings.shop_name, SHOP);
    assert_eq!(settings.timezone, "America/Vancouver");
    assert_eq!(settings.currency.code(), "CAD");
    assert!(!settings.demo);
    let screen = fresh.screen();
    assert!(!screen.contains(PASSWORD));
    insta::assert_snapshot!("enrolment_100x30", screen);
    let secret = fresh.secret_on_screen();
    assert_eq!(secret.len(), 32, "{screen}");

    // Esc cannot undo a shop that exists.
    fresh.desk.esc();
    assert!(
        fresh
            .screen()
            .contains("Finish setting up your login first")
    );
    assert_eq!(fresh.desk.app.screen_title(), "Set up your login");

    // A wrong code says it did not match and how to check the phone's clock (not "Login
    // failed"); a right one goes on.
    let right = fresh.phone(&secret_from_base32(&secret));
    let wrong = if right == "123456" {
        "654321"
    } else {
        "123456"
    };
    fresh.desk.type_text(wrong);
    fresh.desk.enter();
    let screen = fresh.screen();
    assert!(!screen.contains("Login failed"), "{screen}");
    assert!(screen.contains("did not match"), "{screen}");
    assert!(screen.contains("clock"), "{screen}");
    assert!(screen.contains("Secret key"), "still enrolling: {screen}");
    fresh.desk.resize(80, 24);
    insta::assert_snapshot!("enrolment_wrong_code_80x24", fresh.screen());
    fresh.desk.resize(100, 30);
    fresh.desk.type_text(&right);
    fresh.desk.enter();
    let screen = fresh.screen();
    assert!(screen.contains("Recovery codes"), "{screen}");
    assert!(
        !screen.contains(&secret[..8]),
        "the secret is gone: {screen}"
    );
    let codes: Vec<&str> = screen
        .split_whitespace()
        .filter(|word| word.len() == 19 && word.matches('-').count() == 3)
        .collect();
    assert_eq!(codes.len(), 10, "{screen}");
    insta::assert_snapshot!("recovery_codes", screen);

    // Enter alone does not skip past the codes.
    fresh.desk.enter();
    assert!(
        fresh
            .screen()
            .contains("Type y once the codes are written down")
    );
    assert_eq!(fresh.desk.app.screen_title(), "Set up your login");
    fresh.desk.type_text("y");
    fresh.desk.enter();
    assert!(fresh.desk.app.is_logged_in(), "{}", fresh.screen());
    assert_eq!(fresh.desk.app.screen_title(), "Today");

    // The manager is active with the authenticator on, and logs in again with it.
    fresh.clock.advance(Duration::seconds(30));
    let session = service
        .login(LoginRequest {
            username: USER.to_owned(),
            password: SecretString::from(PASSWORD.to_owned()),
            second_factor: SecondFactor::Totp(fresh.phone(&secret_from_base32(&secret))),
            origin: Origin::Local,
            ssh_key: None,
        })
        .expect("the manager logs in with the enrolled authenticator");
    let staff = service.list_staff(&session).expect("list staff");
    assert_eq!(staff.len(), 1);
    assert_eq!(staff[0].username, USER);
    assert_eq!(staff[0].role, Role::Manager);
    assert!(!staff[0].disabled);
    assert!(staff[0].authenticator_active);
    assert_eq!(staff[0].recovery_codes_left, 10);
}

#[test]
fn the_welcome_step_switches_to_chinese() {
    let mut fresh = fresh(None);
    fresh.desk.key(KeyCode::Right);
    let screen = fresh.screen();
    // Wide characters are followed by an empty cell in the frame text.
    let packed = screen.replace(' ', "");
    assert!(packed.contains("欢迎使用frontdesk"), "{screen}");
    assert!(packed.contains("简体中文"), "{screen}");
    insta::assert_snapshot!("welcome_zh", screen);
    fresh.desk.enter();
    insta::assert_snapshot!("shop_zh", fresh.screen());
    fresh.desk.key(KeyCode::Esc);
    fresh.desk.key(KeyCode::Left);
    assert!(fresh.screen().contains("Welcome to frontdesk"));
}

#[test]
fn esc_walks_back_and_keeps_what_was_typed() {
    let mut fresh = fresh(None);
    fresh.walk_to_manager_step();
    fresh.desk.type_text(USER);
    fresh.desk.esc();
    let screen = fresh.screen();
    assert!(screen.contains("The shop"), "{screen}");
    assert!(screen.contains(SHOP), "{screen}");
    fresh.desk.esc();
    assert!(fresh.screen().contains("Welcome to frontdesk"));
    fresh.desk.esc();
    assert_eq!(fresh.desk.effects, vec!["quit".to_owned()]);
    assert!(fresh.desk.app.service().is_none());
}

#[test]
fn the_enrolment_in_chinese() {
    let mut fresh = fresh(None);
    fresh.desk.key(KeyCode::Right);
    fresh.walk_to_enrolment_with(SHOP, "Asia/Shanghai");
    fresh.desk.resize(80, 24);
    insta::assert_snapshot!("enrolment_zh_80x24", fresh.screen());
    // Confirm, write the codes down, and the desk opens in Chinese.
    let secret = secret_from_base32(&fresh.secret_on_screen());
    let code = fresh.phone(&secret);
    fresh.desk.type_text(&code);
    fresh.desk.enter();
    insta::assert_snapshot!("recovery_codes_zh_80x24", fresh.screen());
    fresh.desk.type_text("y");
    fresh.desk.enter();
    assert!(fresh.desk.app.is_logged_in(), "{}", fresh.screen());
    assert_eq!(
        fresh.desk.app.language(),
        frontdesk::ui::i18n::Language::SimplifiedChinese
    );
}

impl Fresh {
    /// Through to the enrolment from the welcome step, with this shop name and zone.
    fn walk_to_enrolment_with(&mut self, shop: &str, zone: &str) {
        self.desk.enter();
        self.desk.type_text(shop);
        self.desk.enter();
        self.desk.type_text(zone);
        self.desk.enter();
        self.desk.enter();
        self.desk.type_text(USER);
        self.desk.enter();
        self.desk.type_text(PASSWORD);
        self.desk.enter();
        self.desk.type_text(PASSWORD);
        self.desk.enter();
        assert!(self.desk.app.service().is_some(), "{}", self.screen());
    }
}

#[test]
fn a_qr_code_too_big_for_the_window_leaves_the_key_and_says_what_size_is_needed() {
    let mut fresh = fresh(None);
    fresh.walk_to_enrolment_with(
        "Sparkle Car Wash Downtown Kingsway and Main",
        "America/Vancouver",
    );
    fresh.desk.resize(80, 24);
    let screen = fresh.screen();
    assert!(!screen.contains('▀'), "{screen}");
    assert!(
        screen.contains("The QR code needs a window of at least"),
        "{screen}"
    );
    assert!(screen.contains("Code"), "the code field stays: {screen}");
    assert!(!screen.contains("Tab:"), "no view to switch to: {screen}");
    assert_eq!(fresh.secret_on_screen().len(), 32, "{screen}");
    insta::assert_snapshot!("enrolment_long_name_80x24", screen);
    fresh.desk.resize(200, 50);
    let screen = fresh.screen();
    assert!(screen.contains('▀'), "{screen}");
    assert_eq!(fresh.secret_on_screen().len(), 32, "{screen}");
}

/// The QR code drawn on screen, read back module by module (light = white foreground ink).
fn qr_modules_on_screen(desk: &Desk) -> Vec<Vec<bool>> {
    let buffer = desk.buffer();
    let area = buffer.area;
    // The picture starts at the first row holding a block character.
    let mut rows: Vec<Vec<bool>> = Vec::new();
    for y in 0..area.height {
        let mut top = Vec::new();
        let mut bottom = Vec::new();
        let mut seen = false;
        for x in 0..area.width {
            let cell = &buffer[(x, y)];
            let glyph = cell.symbol();
            if !matches!(glyph, "█" | "▀" | "▄" | " ") || cell.bg != Color::Black {
                if seen {
                    break;
                }
                continue;
            }
            seen = true;
            assert_eq!(cell.fg, Color::White, "QR ink is white at ({x},{y})");
            top.push(matches!(glyph, "█" | "▀"));
            bottom.push(matches!(glyph, "█" | "▄"));
        }
        if seen {
            rows.push(top);
            rows.push(bottom);
        }
    }
    rows
}

#[test]
fn the_qr_code_is_light_on_dark_in_every_theme_and_encodes_the_link() {
    for theme in ["default", "light", "mono"] {
        let mut fresh = fresh(Some(theme));
        fresh.walk_to_enrolment();
        fresh.desk.resize(80, 24);
        let drawn = qr_modules_on_screen(&fresh.desk);
        // Read the link from the text view, then compare the drawn modules with its QR code.
        fresh.desk.tab();
        let screen = fresh.desk.screen();
        assert!(!screen.contains('▀'), "text view has no QR: {screen}");
        let lines: Vec<&str> = screen.lines().collect();
        let start = lines
            .iter()
            .position(|line| line.contains("Or the setup link:"))
            .expect("link label");
        let uri: String = lines[start + 1..]
            .iter()
            .take_while(|line| !line.trim().is_empty())
            .map(|line| line.trim())
            .collect();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains("issuer=Sparkle%20Car%20Wash"), "{uri}");
        let code = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::L)
            .expect("qr");
        let width = code.width();
        let colors = code.to_colors();
        let quiet = 2;
        assert!(drawn.len() > width + quiet, "{theme}: {}", drawn.len());
        for y in 0..width {
            for x in 0..width {
                let light = colors[y * width + x] == qrcode::Color::Light;
                assert_eq!(
                    drawn[y + quiet][x + quiet],
                    light,
                    "{theme}: module ({x},{y})"
                );
            }
        }
        // The quiet zone around it is light.
        assert!(drawn[0].iter().all(|light| *light), "{theme}");
        assert!(drawn[width + quiet].iter().all(|light| *light), "{theme}");
        fresh.desk.tab();
        assert!(fresh.desk.screen().contains('▀'), "QR view again");
    }
}

#[test]
fn the_enrolment_fits_80x24_and_uses_room_at_200x50() {
    let mut fresh = fresh(None);
    fresh.walk_to_enrolment();
    fresh.desk.resize(80, 24);
    let small = fresh.screen();
    assert!(small.contains("Secret key"), "{small}");
    assert!(small.contains("Code"), "{small}");
    assert!(small.contains("Tab: as text"), "{small}");
    assert_eq!(fresh.secret_on_screen().len(), 32, "{small}");
    insta::assert_snapshot!("enrolment_80x24", small);
    fresh.desk.tab();
    let text = fresh.screen();
    assert!(text.contains("otpauth://"), "{text}");
    assert!(text.contains("Code"), "{text}");
    insta::assert_snapshot!("enrolment_80x24_text", text);
    fresh.desk.tab();
    fresh.desk.resize(200, 50);
    let large = fresh.screen();
    assert!(large.contains("otpauth://"), "link beside the QR: {large}");
    assert_eq!(fresh.secret_on_screen().len(), 32, "{large}");
    insta::assert_snapshot!("enrolment_200x50", large);
}

#[test]
fn a_failed_creation_is_shown_and_the_password_asked_again() {
    let mut fresh = fresh(None);
    // Someone already made a shop in this directory (another window, an earlier run).
    {
        let store = frontdesk::store::Store::create(fresh.dir.path()).expect("store");
        frontdesk::service::Service::initialise(
            store,
            fresh.clock.clone(),
            Arc::new(SeededEntropy::new(1)),
            frontdesk::service::InitialSetup {
                shop_name: "Other Wash".to_owned(),
                timezone: "UTC".to_owned(),
                currency: "USD".to_owned(),
                manager_username: "other".to_owned(),
                manager_password: SecretString::from(PASSWORD.to_owned()),
                demo: false,
            },
            Origin::Local,
        )
        .expect("first shop");
    }
    fresh.walk_to_manager_step();
    fresh.desk.type_text(USER);
    fresh.desk.enter();
    fresh.desk.type_text(PASSWORD);
    fresh.desk.enter();
    fresh.desk.type_text(PASSWORD);
    fresh.desk.enter();
    let screen = fresh.screen();
    assert!(fresh.desk.app.service().is_none(), "{screen}");
    assert!(screen.contains("First manager"), "{screen}");
    // The store refuses (already made, or still open in this process): the reason is shown.
    assert!(screen.contains("<data dir>/frontdesk.redb"), "{screen}");
    assert!(!screen.contains("Strength:"), "passwords cleared: {screen}");
}

#[test]
fn a_setup_killed_at_the_authenticator_resumes_with_the_owner_password() {
    let mut fresh = fresh(None);
    fresh.walk_to_enrolment();
    // The power goes: the process and everything in memory are gone; the file stays.
    let service = fresh.desk.app.service().expect("shop").clone();
    service.wait_for_name_index();
    let Fresh { dir, clock, desk } = fresh;
    drop(desk);
    drop(service);
    let store = frontdesk::store::Store::open(dir.path()).expect("reopen");
    let service = Arc::new(frontdesk::service::Service::new(
        store,
        clock.clone(),
        Arc::new(SeededEntropy::new(8)),
    ));
    let env = AppEnv {
        clock: clock.clone(),
        entropy: Arc::new(SeededEntropy::new(9)),
        data_dir: dir.path().to_path_buf(),
        origin: Origin::Local,
        keymap: Keymap::defaults(),
        forced_theme: None,
        theme_dir: None,
        startup_notices: Vec::new(),
        ssh_server: None,
        quit_when_session_ends: false,
    };
    let mut fresh = Fresh {
        desk: Desk::from_app(App::login(env, service.clone())),
        dir,
        clock,
    };
    fresh.desk.resize(80, 24);
    let screen = fresh.screen();
    assert!(screen.contains("Setup was interrupted"), "{screen}");
    assert!(screen.contains(USER), "{screen}");
    insta::assert_snapshot!("resume_80x24", screen);
    // A wrong password is refused and asked again.
    fresh.desk.type_text("not the password at all");
    fresh.desk.enter();
    let screen = fresh.screen();
    assert!(screen.contains("Setup was interrupted"), "{screen}");
    assert!(screen.contains("Login failed"), "{screen}");
    fresh.desk.type_text(PASSWORD);
    fresh.desk.enter();
    let screen = fresh.screen();
    assert!(screen.contains("Secret key"), "{screen}");
    assert!(screen.contains("Code"), "{screen}");
    assert_eq!(fresh.secret_on_screen().len(), 32, "{screen}");
    insta::assert_snapshot!("resume_enrolment_80x24", screen);
    let secret = secret_from_base32(&fresh.secret_on_screen());
    let code = fresh.phone(&secret);
    fresh.desk.type_text(&code);
    fresh.desk.enter();
    assert!(
        fresh.screen().contains("Recovery codes"),
        "{}",
        fresh.screen()
    );
    fresh.desk.type_text("y");
    fresh.desk.enter();
    assert_eq!(fresh.desk.app.screen_title(), "Today");
    assert_eq!(service.unfinished_setup().expect("read"), None);
}

#[test]
fn a_qr_code_too_tall_for_the_body_can_have_the_whole_terminal() {
    let mut fresh = fresh(None);
    fresh.walk_to_enrolment_with("Sparkle Car Wash Downtown East", "America/Vancouver");
    fresh.desk.resize(80, 24);
    let screen = fresh.screen();
    // The secret and the code field first, with a key for the QR code.
    assert!(!screen.contains('▀'), "{screen}");
    assert!(screen.contains("Code"), "{screen}");
    assert_eq!(fresh.secret_on_screen().len(), 32, "{screen}");
    assert!(screen.contains("Tab: QR code, full screen"), "{screen}");
    fresh.desk.tab();
    let whole = fresh.screen();
    assert!(whole.contains('▀'), "{whole}");
    assert!(!whole.contains("Set up your login"), "no header: {whole}");
    assert!(whole.contains("Tab: back to the secret key"), "{whole}");
    insta::assert_snapshot!("enrolment_qr_whole_terminal_80x24", whole);
    fresh.desk.tab();
    let back = fresh.screen();
    assert!(!back.contains('▀'), "{back}");
    assert!(back.contains("Code"), "{back}");
    // The code is typed as usual.
    let secret = secret_from_base32(&fresh.secret_on_screen());
    let code = fresh.phone(&secret);
    fresh.desk.type_text(&code);
    fresh.desk.enter();
    assert!(
        fresh.screen().contains("Recovery codes"),
        "{}",
        fresh.screen()
    );
}
