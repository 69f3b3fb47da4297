//! `init` and `demo` through the real binary when standard output cannot take what they print
//! (a full disk, a closed pipe): the credentials are the only way into the new store, so no
//! store may be left behind without them having been written out — and nothing may panic.

mod common;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::binary::{INIT_ARGS as INIT, SCRIPT_PASSWORD as PASSWORD};
use common::secret_from_base32;

const DEMO: &[&str] = &["demo", "--members", "20", "--seed", "3"];

/// Runs the binary with `stdout` as its standard output; stderr (and stdout, when piped) are
/// captured.
fn frontdesk(data: &Path, args: &[&str], stdout: Stdio) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("FRONTDESK_DATA")
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    if let Some(mut pipe) = child.stdin.take() {
        // `demo` never reads it; a closed pipe is not a test failure.
        let _ = pipe.write_all(format!("{PASSWORD}\n").as_bytes());
    }
    child.wait_with_output().unwrap()
}

fn dev_full() -> Stdio {
    Stdio::from(
        OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full"),
    )
}

/// A pipe whose reading end is already closed: every write fails with a broken pipe.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Stdio::from(writer)
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The command failed with one clear sentence, did not panic and created nothing.
fn assert_refused_cleanly(output: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{what}: {stderr}");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{what}: exits with an error, not a panic or a signal: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert!(
        stderr.contains("standard output") && stderr.contains("nothing was created"),
        "{what}: {stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{what}: {stderr}");
}

#[test]
fn init_with_its_output_on_a_full_disk_creates_nothing_and_can_be_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop");
    let failed = frontdesk(&data, INIT, dev_full());
    assert_refused_cleanly(&failed, "init > /dev/full");
    // The data directory it made for the store is gone again.
    assert!(!data.exists(), "{:?}", entries(&data));

    let rerun = frontdesk(&data, INIT, Stdio::piped());
    let out = String::from_utf8_lossy(&rerun.stdout);
    assert!(
        rerun.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    let secret = out
        .lines()
        .find_map(|l| l.strip_prefix("base32 secret:"))
        .expect("secret printed");
    assert_eq!(secret_from_base32(secret.trim()).len(), 20);
    assert!(out.contains("Store created in"), "{out}");
    assert_eq!(entries(&data), ["frontdesk.redb"]);
}

#[test]
fn init_into_a_closed_pipe_leaves_an_existing_data_directory_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop");
    std::fs::create_dir(&data).unwrap();
    File::create(data.join("notes.txt")).unwrap();
    let failed = frontdesk(&data, INIT, closed_pipe());
    assert_refused_cleanly(&failed, "init | (closed)");
    assert_eq!(entries(&data), ["notes.txt"]);

    let rerun = frontdesk(&data, INIT, Stdio::piped());
    assert!(rerun.status.success());
    assert_eq!(entries(&data), ["frontdesk.redb", "notes.txt"]);
}

#[test]
fn demo_with_its_output_on_a_full_disk_or_a_closed_pipe_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let full = frontdesk(&data, DEMO, dev_full());
    assert_refused_cleanly(&full, "demo > /dev/full");
    assert!(!data.exists(), "{:?}", entries(&data));

    std::fs::create_dir(&data).unwrap();
    let closed = frontdesk(&data, DEMO, closed_pipe());
    assert_refused_cleanly(&closed, "demo | (closed)");
    assert!(entries(&data).is_empty(), "{:?}", entries(&data));

    let rerun = frontdesk(&data, DEMO, Stdio::piped());
    let out = String::from_utf8_lossy(&rerun.stdout);
    assert!(
        rerun.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    assert!(out.contains("user:          manager"), "{out}");
    assert_eq!(entries(&data), ["frontdesk.redb"]);
}
