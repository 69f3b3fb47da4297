//! `frontdesk serve` as a real process: while it runs, a plain `frontdesk` on the same data
//! directory explains how to connect, `frontdesk verify` still works, an SSH client logs in
//! and works; SIGTERM tells the sessions, closes the store and exits cleanly.

mod common;
mod pty;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use chrono::Utc;
use common::phone_code;
use common::ssh::{Client, LoginOutcome};
use pty::{INIT_PASSWORD, Terminal, init_manager};

/// A loopback port free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(data: &Path, port: u16) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_frontdesk"))
            .env("FRONTDESK_BACKUP_SCHEDULE", "off")
            .args([
                "serve",
                "--headless",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .env("FRONTDESK_DATA", data)
            .env("FRONTDESK_CONFIG", data.join("no-config"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let (sender, lines) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = sender.send(line);
                }
            });
        }
        let server = Server { child, lines };
        server.wait_for_line("press Ctrl-C or send SIGTERM");
        server
    }

    fn wait_for_line(&self, text: &str) -> String {
        let mut seen = Vec::new();
        loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) if line.contains(text) => return line,
                Ok(line) => seen.push(line),
                Err(_) => panic!(
                    "waited for {text:?}; the server printed:\n{}",
                    seen.join("\n")
                ),
            }
        }
    }

    fn terminate(&mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beside_a_running_server_other_commands_help_and_sigterm_closes_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).expect("config dir");
    let owner = init_manager(&data);
    let secret = owner.secret.clone();
    let port = free_port();
    let mut server = Server::start(&data, port);

    // The host key was made private to this user.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("ssh_host_ed25519_key"))
            .expect("host key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A plain `frontdesk` explains how to connect instead of failing on a locked file.
    let mut counter = Terminal::spawn(&[], &data, &config, 100, 30);
    let said = counter.wait_for("frontdesk serve is running");
    assert!(said.contains(&format!("ssh -p {port}")), "{said}");
    assert!(!counter.wait_exit(), "it exits with an error status");

    // `verify` works beside it.
    let verify = Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .args(["verify"])
        .env("FRONTDESK_DATA", &data)
        .output()
        .expect("verify runs");
    let report = String::from_utf8_lossy(&verify.stdout).into_owned();
    assert!(verify.status.success(), "{report}");
    assert!(report.contains("audit log: OK"), "{report}");
    assert!(report.contains("not checked while"), "{report}");

    // So does `backup` (with a recovery code: this step's authenticator code is for SSH below).
    let backup_file = dir.path().join("shop.fdbackup");
    let mut backup = Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .args(["backup", "--out"])
        .arg(&backup_file)
        .args([
            "--user",
            "owner",
            "--password-stdin",
            "--totp",
            &owner.recovery_codes[0],
        ])
        .env("FRONTDESK_DATA", &data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("backup runs");
    {
        use std::io::Write;
        backup
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{INIT_PASSWORD}\n").as_bytes())
            .expect("password");
    }
    let backed_up = backup.wait_with_output().expect("backup finishes");
    assert!(
        backed_up.status.success(),
        "{}{}",
        String::from_utf8_lossy(&backed_up.stdout),
        String::from_utf8_lossy(&backed_up.stderr)
    );
    assert!(backup_file.is_file());

    // A second server on the same store is refused.
    let second = Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .args([
            "serve",
            "--headless",
            "--listen",
            &format!("127.0.0.1:{}", free_port()),
        ])
        .env("FRONTDESK_DATA", &data)
        .output()
        .expect("second serve runs");
    assert!(!second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("already running"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );

    // An SSH client logs in and gets the desk.
    let mut client = Client::connect(format!("127.0.0.1:{port}").parse().expect("addr")).await;
    let code = phone_code(&secret, Utc::now());
    assert_eq!(
        client.login("owner", INIT_PASSWORD, &code).await,
        LoginOutcome::Accepted
    );
    client.open_terminal(100, 30, "xterm-256color", &[]).await;
    client.wait_for("owner (manager)").await;

    // SIGTERM: the session is told, and the server exits cleanly.
    server.terminate();
    let farewell = client.wait_closed().await;
    assert!(farewell.contains("shutting down"), "{farewell}");
    server.wait_for_line("stopped");
    let status = server.child.wait().expect("server exits");
    assert!(status.success(), "{status:?}");
    // The store is free again for the counter.
    assert!(!data.join("serve.lock").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_counter_screen_shows_a_change_made_over_ssh_without_a_key_press() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).expect("config dir");
    let owner = init_manager(&data);
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut counter = Terminal::spawn(&["serve", "--listen", &listen], &data, &config, 100, 30);

    // At the counter: the manager logs in with a recovery code (the authenticator code of this
    // 30-second step goes to the SSH login below).
    counter.wait_for("Log in");
    counter.type_text("owner");
    counter.enter();
    counter.type_text(INIT_PASSWORD);
    counter.enter();
    counter.type_text(&owner.recovery_codes[0]);
    counter.enter();
    counter.wait_for("owner (manager)");
    // Settings › Security shows the host key clients will see.
    counter.f_key(6);
    counter.wait_for("Price list");
    for _ in 0..7 {
        counter.tab();
    }
    counter.wait_for("SSH host key");
    counter.esc();
    counter.wait_for("Today");

    // From home: the same manager over SSH adds a service and a bay in Settings.
    let mut home = Client::connect(listen.parse().expect("addr")).await;
    assert_eq!(
        home.login(
            "owner",
            INIT_PASSWORD,
            &phone_code(&owner.secret, Utc::now())
        )
        .await,
        LoginOutcome::Accepted
    );
    home.open_terminal(100, 30, "xterm-256color", &[]).await;
    home.wait_for("owner (manager)").await;
    home.send(b"\x1b[17~").await; // F6
    home.wait_for("Price list").await;
    home.send(b"\t\t\t").await;
    home.send(b"n").await;
    home.wait_for("Service name").await;
    home.type_text("Exterior wash").await;
    home.send(b"\t\t\t\x15").await; // to the price, Ctrl-U clears it
    home.type_text("20.00").await;
    home.send(b"\r").await;
    home.wait_for("20.00").await;
    home.send(b"\x1b[Z").await; // Shift-Tab: back to Bays
    home.send(b"n").await;
    home.wait_for("Bay name").await;
    home.type_text("Bay 7").await;
    home.send(b"\r").await;
    home.wait_for("Bay 7").await;

    // The counter's Today board gains the bay by itself.
    counter.wait_for("Bay 7");

    // Quitting the counter stops the server, and the SSH session is told.
    counter.ctrl('q');
    counter.wait_for("Quit frontdesk?");
    counter.type_text("y");
    let farewell = home.wait_closed().await;
    assert!(farewell.contains("shutting down"), "{farewell}");
    assert!(counter.wait_exit(), "serve exits cleanly");
}

#[test]
fn serve_beside_an_open_counter_screen_says_the_counter_has_the_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).expect("config dir");
    init_manager(&data);
    let counter = Terminal::spawn(&[], &data, &config, 100, 30);
    counter.wait_for("Log in");

    let serve = Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .args([
            "serve",
            "--headless",
            "--listen",
            &format!("127.0.0.1:{}", free_port()),
        ])
        .env("FRONTDESK_DATA", &data)
        .env("FRONTDESK_CONFIG", data.join("no-config"))
        .output()
        .expect("serve runs");
    let said = String::from_utf8_lossy(&serve.stderr).into_owned();
    assert!(!serve.status.success(), "{said}");
    assert!(said.contains("counter screen"), "{said}");
    assert!(said.contains("close it first"), "{said}");
    assert!(
        !said.contains("frontdesk serve is running"),
        "it is not another server: {said}"
    );
    assert!(!data.join("serve.lock").exists(), "the marker went with it");
    assert!(
        counter.screen().contains("Log in"),
        "the counter screen carries on"
    );
}
