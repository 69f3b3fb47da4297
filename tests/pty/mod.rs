//! Runs the real `frontdesk` binary in a pseudo-terminal and reads its screen through a
//! terminal emulator (vt100), as a person at the counter would see it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use portable_pty::CommandBuilder;
use portable_pty::{Child, MasterPty, PtySize, native_pty_system};

/// How long to wait for something to appear before giving up: a guard against a hung test,
/// not a timing assertion. Debug builds on a loaded 2-core CI machine can be slow.
const PATIENCE: Duration = Duration::from_secs(90);

pub struct Terminal {
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    parser: Arc<Mutex<vt100::Parser>>,
}

impl Terminal {
    /// Starts the binary with `args` on a `cols`×`rows` terminal, with its data in `data`
    /// and an empty config dir, so nothing of the developer's machine leaks in.
    pub fn spawn(args: &[&str], data: &Path, config: &Path, cols: u16, rows: u16) -> Self {
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_frontdesk"));
        command.args(args);
        command.env_clear();
        command.env("TERM", "xterm-256color");
        // A scheduled backup at an unlucky moment would be an extra audit entry and file.
        command.env("FRONTDESK_BACKUP_SCHEDULE", "off");
        command.env("FRONTDESK_DATA", data);
        command.env("FRONTDESK_CONFIG", config);
        command.env("HOME", config);
        command.env("LANG", "C.UTF-8");
        Self::spawn_command(command, cols, rows)
    }

    /// Starts any program on a `cols`×`rows` terminal (the system `ssh` client, for one).
    pub fn spawn_command(command: CommandBuilder, cols: u16, rows: u16) -> Self {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let child = pair
            .slave
            .spawn_command(command)
            .expect("spawn the program");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let feed = parser.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if let Ok(mut parser) = feed.lock() {
                            parser.process(&buf[..n]);
                        }
                    }
                }
            }
        });
        Self {
            master: pair.master,
            writer,
            child,
            parser,
        }
    }

    pub fn screen(&self) -> String {
        self.parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    /// Waits until the screen shows `text`; panics with the screen if it never does.
    pub fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            if start.elapsed() > PATIENCE {
                panic!("waited for {text:?}; the screen shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends `bytes` until the screen shows `text`: a key pressed while the app is still
    /// taking in a resize can be read as part of it, as on a real terminal.
    pub fn press_until(&mut self, bytes: &[u8], text: &str) -> String {
        for _ in 0..5 {
            self.send(bytes);
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(3) {
                let screen = self.screen();
                if screen.contains(text) {
                    return screen;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        self.wait_for(text)
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write to pty");
        self.writer.flush().expect("flush pty");
        // Let the app read each key on its own, as typing would.
        std::thread::sleep(Duration::from_millis(15));
    }

    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            let mut buf = [0u8; 4];
            self.send(c.encode_utf8(&mut buf).as_bytes());
        }
    }

    pub fn enter(&mut self) {
        self.send(b"\r");
    }

    pub fn tab(&mut self) {
        self.send(b"\t");
    }

    pub fn esc(&mut self) {
        self.send(b"\x1b");
        std::thread::sleep(Duration::from_millis(60));
    }

    pub fn ctrl(&mut self, c: char) {
        let byte = (c.to_ascii_lowercase() as u8) & 0x1f;
        self.send(&[byte]);
    }

    pub fn f_key(&mut self, n: u8) {
        let seq: &[u8] = match n {
            1 => b"\x1bOP",
            2 => b"\x1bOQ",
            3 => b"\x1bOR",
            4 => b"\x1bOS",
            5 => b"\x1b[15~",
            6 => b"\x1b[17~",
            7 => b"\x1b[18~",
            8 => b"\x1b[19~",
            9 => b"\x1b[20~",
            10 => b"\x1b[21~",
            _ => panic!("no F{n}"),
        };
        self.send(seq);
    }

    pub fn down(&mut self) {
        self.send(b"\x1b[B");
    }

    pub fn up(&mut self) {
        self.send(b"\x1b[A");
    }

    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize pty");
        if let Ok(mut parser) = self.parser.lock() {
            parser.screen_mut().set_size(rows, cols);
        }
    }

    /// Kills the process at once, as a power cut would: nothing gets to clean up.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the process to exit and returns whether it succeeded.
    pub fn wait_exit(&mut self) -> bool {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            if start.elapsed() > PATIENCE {
                let _ = self.child.kill();
                panic!(
                    "frontdesk did not exit; the screen shows:\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}

/// The first manager's password in shops made by [`init_shop`].
pub const INIT_PASSWORD: &str = "wash bay sunrise copper kettle";

/// A shop made by `frontdesk init`; returns the manager's TOTP secret.
pub fn init_shop(data: &Path) -> Vec<u8> {
    init_manager(data).secret
}

/// Runs `frontdesk init` for the shop every binary test uses; returns what it printed.
fn run_init(data: &Path) -> String {
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
        .write_all(format!("{INIT_PASSWORD}\n").as_bytes())
        .expect("password");
    let output = child.wait_with_output().expect("init finishes");
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{out}");
    out
}

/// A shop made by `frontdesk init`: the manager's TOTP secret and recovery codes as printed.
pub struct InitialManager {
    pub secret: Vec<u8>,
    pub recovery_codes: Vec<String>,
}

pub fn init_manager(data: &Path) -> InitialManager {
    let out = run_init(data);
    let line = out
        .lines()
        .find(|l| l.starts_with("base32 secret:"))
        .expect("secret printed");
    InitialManager {
        secret: super::common::secret_from_base32(line.trim_start_matches("base32 secret:")),
        // The recovery codes are the indented lines after the secret.
        recovery_codes: out
            .lines()
            .skip_while(|l| !l.starts_with("base32 secret:"))
            .filter(|l| l.starts_with("  ") && !l.trim().is_empty())
            .map(|l| l.trim().to_owned())
            .collect(),
    }
}
