//! The real binary in a pseudo-terminal: what a new user does at the counter.

mod common;
mod pty;

use std::path::Path;
use std::process::{Command, Stdio};

use chrono::Utc;
use common::{phone_code, secret_from_base32};
use pty::Terminal;

const PASSWORD: &str = "wash bay sunrise copper kettle";

/// A shop made by `frontdesk init`; returns the manager's TOTP secret.
fn init_shop(data: &Path) -> Vec<u8> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .args([
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
        ])
        .env("FRONTDESK_DATA", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run init");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("password");
    let output = child.wait_with_output().expect("init finishes");
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("base32 secret:"))
        .expect("secret printed");
    secret_from_base32(line.trim_start_matches("base32 secret:"))
}

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
    term.f_key(1);
    term.wait_for("Keys");
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
    assert!(term.wait_exit());
}
