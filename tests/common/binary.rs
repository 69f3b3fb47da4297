//! The real `frontdesk` binary, run the way a script runs it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The password scripted set-ups in these tests give the first manager, `owner`.
pub const SCRIPT_PASSWORD: &str = "otter sunrise gravel window";

/// `frontdesk init` for a Vancouver car wash whose manager `owner` gives the password on
/// standard input.
pub const INIT_ARGS: &[&str] = &[
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
];

/// Runs the binary on `data` with `args`, writing `stdin` to it, and waits for it.
pub fn run_frontdesk(data: &Path, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_frontdesk"));
    // A test shop on PostgreSQL left its database's address in its data directory.
    match std::fs::read_to_string(data.join(super::pg::ADDRESS_FILE)) {
        Ok(address) => command.env("FRONTDESK_STORE", address),
        Err(_) => command.env_remove("FRONTDESK_STORE"),
    };
    let mut child = command
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("FRONTDESK_DATA")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    if let Some(mut pipe) = child.stdin.take() {
        // The binary may refuse and exit before reading; a closed pipe is not a test failure.
        let _ = pipe.write_all(stdin.as_bytes());
    }
    child.wait_with_output().expect("binary finishes")
}

/// What the binary printed, standard output then standard error.
pub fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
