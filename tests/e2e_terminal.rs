//! The real binary in a pseudo-terminal: what a new user does at the counter.

mod common;
mod pty;

use chrono::Utc;
use common::{phone_code, secret_from_base32};
use pty::{INIT_PASSWORD as PASSWORD, Terminal, init_shop};

#[test]
fn log_in_with_a_totp_code_then_quit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).expect("config dir");
    let secret = init_shop(&data);
    let mut term = Terminal::spawn(&[], &data, &config, 100, 30);
    term.wait_for("Log in");
    term.type_text("owner");
    term.enter();
    term.type_text(PASSWORD);
    term.enter();
    term.type_text(&phone_code(&secret, Utc::now()));
    term.enter();
    let screen = term.wait_for("owner (manager)");
    assert!(!screen.contains(PASSWORD));
    term.resize(80, 24);
    term.press_until(b"\x1bOP", "Keys");
    term.esc();
    term.ctrl('q');
    term.wait_for("Quit frontdesk?");
    term.send(b"y");
    assert!(term.wait_exit(), "frontdesk exits cleanly");
}

#[test]
fn a_terminal_too_small_is_told_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).expect("config dir");
    init_shop(&data);
    let mut term = Terminal::spawn(&[], &data, &config, 60, 20);
    term.wait_for("too small (60×20)");
    term.resize(100, 30);
    term.wait_for("Log in");
    term.ctrl('q');
    term.wait_for("Quit frontdesk?");
    term.send(b"y");
    assert!(term.wait_exit());
}

/// An `Etc/GMT±N` zone where it is late morning now, so the shop is open and today has free
/// slots whenever the test runs. (Etc zone signs are inverted: Etc/GMT-3 is UTC+3.)
fn zone_where_it_is_late_morning() -> String {
    use chrono::Timelike;
    let utc_hour = i64::from(Utc::now().hour());
    let mut offset = (11 - utc_hour).rem_euclid(24);
    if offset > 12 {
        offset -= 24;
    }
    match offset {
        0 => "Etc/UTC".to_owned(),
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    }
}

/// The base32 secret as the wizard draws it: groups of four after the "Secret key" label.
fn secret_on_screen(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.contains("Secret key"))
        .expect("secret label");
    let mut secret = String::new();
    for line in &lines[start + 1..] {
        let groups: Vec<&str> = line
            .split_whitespace()
            .filter(|w| {
                w.len() == 4
                    && w.chars()
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

fn points_on_screen(screen: &str) -> Option<u64> {
    let at = screen.find(" points")?;
    let before = &screen[..at];
    let digits: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.chars().rev().collect::<String>().parse().ok()
}

#[test]
fn a_new_shop_from_first_run_to_a_paid_visit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).expect("config dir");
    let mut term = Terminal::spawn(&[], &data, &config, 100, 30);

    // First run: the setup wizard.
    term.wait_for("Welcome to frontdesk");
    term.enter();
    term.wait_for("Step 1 of 4");
    term.type_text("Sparkle Car Wash");
    term.enter();
    term.type_text(&zone_where_it_is_late_morning());
    term.enter();
    term.enter();
    term.wait_for("Step 2 of 4");
    term.type_text("owner");
    term.enter();
    term.type_text(PASSWORD);
    term.enter();
    term.type_text(PASSWORD);
    term.enter();
    let screen = term.wait_for("Secret key");
    let secret = secret_from_base32(&secret_on_screen(&screen));
    assert_eq!(secret.len(), 20, "a 160-bit secret:\n{screen}");
    term.type_text(&phone_code(&secret, Utc::now()));
    term.enter();
    term.wait_for("Step 4 of 4");
    term.type_text("y");
    term.enter();
    term.wait_for("owner (manager)");

    // The manager adds a service and a bay.
    term.f_key(6);
    term.wait_for("Price list");
    for _ in 0..3 {
        term.tab();
    }
    term.type_text("n");
    term.wait_for("Service name");
    term.type_text("Exterior wash");
    for _ in 0..3 {
        term.tab();
    }
    term.ctrl('u');
    term.type_text("20.00");
    term.enter();
    term.wait_for("20.00");
    term.send(b"\x1b[Z"); // Shift-Tab: back to Bays
    term.type_text("n");
    term.wait_for("Bay name");
    term.type_text("Bay 1");
    term.enter();
    term.wait_for("Bay 1");

    // A new member with a car.
    term.f_key(3);
    term.wait_for("Find");
    term.ctrl('n');
    term.wait_for("New member");
    term.type_text("王小明");
    term.enter();
    term.type_text("+86 138 1234 5678");
    for _ in 0..4 {
        term.enter();
    }
    term.type_text("苏A12345");
    term.enter();
    term.enter();
    term.wait_for("Profile");
    term.wait_for("王小明");

    // Booked at the first free slot.
    term.type_text("b");
    term.wait_for("New booking");
    term.f_key(4);
    term.wait_for("First free slot");
    term.ctrl('s');
    term.wait_for("Booked");

    // Checked in from the Today grid.
    term.f_key(2);
    term.wait_for("Due next");
    let mut found = false;
    for _ in 0..16 {
        let screen = term.screen();
        if screen
            .lines()
            .any(|l| l.contains("○ booked ") && l.contains("Bay 1 ·"))
        {
            found = true;
            break;
        }
        term.down();
    }
    assert!(found, "the booking is on the grid:\n{}", term.screen());
    term.type_text("i");
    term.wait_for("● checked in ");

    // Paid by the default method; the receipt names no one.
    term.type_text("c");
    term.wait_for("Total due");
    term.ctrl('s');
    term.wait_for("Take payment");
    term.enter();
    let receipt = term.wait_for("Receipt");
    assert!(
        !receipt.contains("王小明"),
        "the receipt names no one:\n{receipt}"
    );
    term.enter();

    // Points earned show on the member.
    term.f_key(3);
    term.wait_for("Find");
    term.type_text("5678");
    term.wait_for("#");
    term.enter();
    let detail = term.wait_for("points");
    let points = points_on_screen(&detail).unwrap_or(0);
    assert!(points > 0, "points were earned:\n{detail}");

    // Log out, then quit.
    term.ctrl('x');
    term.wait_for("Log in");
    term.ctrl('q');
    term.wait_for("Quit frontdesk?");
    term.send(b"y");
    assert!(term.wait_exit());
}

#[test]
fn esc_twice_on_the_login_screen_does_not_quit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).expect("config dir");
    init_shop(&data);
    let mut term = Terminal::spawn(&[], &data, &config, 80, 24);
    term.wait_for("Esc: clear");
    term.type_text("owner");
    term.esc();
    term.esc();
    term.esc();
    term.type_text("still here");
    term.wait_for("still here");
    assert!(term.is_running(), "Esc never quits:\n{}", term.screen());
    // Quitting is its own key, and asks once.
    term.ctrl('q');
    term.wait_for("Quit frontdesk?");
    assert!(term.is_running());
    term.send(b"y");
    assert!(term.wait_exit(), "frontdesk exits cleanly");
}

#[test]
fn a_setup_killed_at_the_authenticator_resumes_after_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).expect("config dir");
    let mut term = Terminal::spawn(&[], &data, &config, 80, 24);
    term.wait_for("Welcome to frontdesk");
    term.enter();
    term.wait_for("Step 1 of 4");
    term.type_text("Sparkle Car Wash");
    term.enter();
    term.type_text("America/Vancouver");
    term.enter();
    term.enter();
    term.wait_for("Step 2 of 4");
    term.type_text("Owner");
    term.wait_for("Will be saved as: owner");
    term.enter();
    term.type_text(PASSWORD);
    term.enter();
    term.type_text(PASSWORD);
    term.enter();
    term.wait_for("Secret key");
    // The power goes at the authenticator step.
    term.kill();
    drop(term);

    let mut term = Terminal::spawn(&[], &data, &config, 80, 24);
    let screen = term.wait_for("Setup was interrupted");
    assert!(screen.contains("owner"), "{screen}");
    term.type_text(PASSWORD);
    term.enter();
    let screen = term.wait_for("Secret key");
    assert!(
        screen.contains("Code"),
        "the code field is on screen:\n{screen}"
    );
    let secret = secret_from_base32(&secret_on_screen(&screen));
    assert_eq!(secret.len(), 20, "{screen}");
    term.type_text("000000");
    term.enter();
    term.wait_for("did not match");
    term.type_text(&phone_code(&secret, Utc::now()));
    term.enter();
    term.wait_for("Step 4 of 4");
    term.type_text("y");
    term.enter();
    term.wait_for("owner (manager)");
    term.ctrl('x');
    term.wait_for("Log in");
    term.ctrl('q');
    term.wait_for("Quit frontdesk?");
    term.send(b"y");
    assert!(term.wait_exit());

    // The next start is an ordinary login: the next code of the enrolled authenticator.
    let mut term = Terminal::spawn(&[], &data, &config, 80, 24);
    term.wait_for("Log in");
    term.type_text("owner");
    term.enter();
    term.type_text(PASSWORD);
    term.enter();
    term.type_text(&phone_code(
        &secret,
        Utc::now() + chrono::Duration::seconds(30),
    ));
    term.enter();
    term.wait_for("owner (manager)");
    term.ctrl('q');
    term.wait_for("Quit frontdesk?");
    term.send(b"y");
    assert!(term.wait_exit());
}
