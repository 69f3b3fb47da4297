//! The system OpenSSH client, in a pseudo-terminal, logging in to `frontdesk serve` the way a
//! manager at home would: password, then the authenticator code, then the desk. Skipped (with
//! a note) where no `ssh` client is installed.

mod common;
mod pty;

use common::ssh::serve;
use common::*;
use pty::{CommandBuilder, Terminal};

fn system_ssh_available() -> bool {
    std::process::Command::new("ssh")
        .arg("-V")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// `ssh` with no user or system configuration, trusting the test server's fresh host key.
fn ssh_command(port: u16, user: &str, home: &std::path::Path, methods: &str) -> CommandBuilder {
    let mut command = CommandBuilder::new("ssh");
    command.env_clear();
    command.env("TERM", "xterm-256color");
    command.env("HOME", home);
    command.env("LANG", "C.UTF-8");
    command.env("PATH", std::env::var_os("PATH").unwrap_or_default());
    command.args([
        "-F",
        "/dev/null",
        "-p",
        &port.to_string(),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "PubkeyAuthentication=no",
        "-o",
        &format!("PreferredAuthentications={methods}"),
        &format!("{user}@127.0.0.1"),
    ]);
    command
}

fn log_in_with_openssh(methods: &str) {
    if !system_ssh_available() {
        eprintln!("skipped: no system `ssh` client on this machine");
        return;
    }
    let shop = open_shop();
    let served = serve(&shop);
    let home = tempfile::tempdir().expect("home");
    let mut terminal = Terminal::spawn_command(
        ssh_command(served.addr.port(), MANAGER, home.path(), methods),
        100,
        30,
    );
    terminal.wait_for("assword");
    terminal.type_text(MANAGER_PASSWORD);
    terminal.enter();
    terminal.wait_for("Authenticator code");
    terminal.type_text(&phone_code(
        &shop.manager_secret,
        shop.clock.now_for_tests(),
    ));
    terminal.enter();
    let screen = terminal.wait_for("manager (manager)");
    assert!(screen.contains("Today"), "{screen}");
    // Multi-byte input through the whole path: a Chinese name typed into the search.
    terminal.type_text("/");
    terminal.wait_for("Type to search");
    terminal.type_text("王小明");
    terminal.wait_for("Find: 王小明");
    // F1 is an escape sequence the parser must recognise.
    terminal.f_key(1);
    terminal.wait_for("Keys");
    terminal.esc();
    terminal.ctrl('c');
    terminal.wait_for("Quit frontdesk?");
    terminal.type_text("y");
    assert!(terminal.wait_exit(), "ssh exits when the session ends");
}

#[test]
fn openssh_logs_in_with_keyboard_interactive_and_reaches_the_desk() {
    log_in_with_openssh("keyboard-interactive");
}

#[test]
fn openssh_with_the_password_method_is_asked_for_the_code_next() {
    log_in_with_openssh("password,keyboard-interactive");
}
