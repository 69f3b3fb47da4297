//! An SSH server on a loopback port for a test shop, and a scripted SSH client (russh) whose
//! screen is read through a vt100 emulator, as a person's terminal would show it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use frontdesk::entropy::SeededEntropy;
use frontdesk::transport::hub::Hub;
use frontdesk::transport::ssh::{EventInspector, HostKey, Limits, SshServer, SshServerConfig};
use frontdesk::ui::keymap::Keymap;
use russh::client::{self, KeyboardInteractiveAuthResponse};
use russh::keys::HashAlg;
use russh::keys::PublicKeyOrCertificate;
use russh::{ChannelMsg, MethodKind};

use super::Shop;

/// Long enough for a slow CI machine; only reached when something is broken.
const PATIENCE: Duration = Duration::from_secs(20);

pub struct TestServer {
    pub server: SshServer,
    pub hub: Hub,
    pub addr: SocketAddr,
}

pub fn serve(shop: &Shop) -> TestServer {
    serve_with(shop, Limits::default(), None)
}

pub fn serve_with(shop: &Shop, limits: Limits, inspector: Option<EventInspector>) -> TestServer {
    let hub = Hub::new();
    let host_key =
        HostKey::load_or_create(shop.dir.path(), &SeededEntropy::new(7)).expect("host key");
    let server = SshServer::start(SshServerConfig {
        service: shop.service.clone(),
        hub: hub.clone(),
        clock: shop.clock.clone(),
        entropy: Arc::new(SeededEntropy::new(9)),
        data_dir: shop.dir.path().to_path_buf(),
        host_key,
        listen: "127.0.0.1:0".parse().expect("address"),
        limits,
        keymap: Keymap::defaults(),
        theme_dir: None,
        inspector,
        log: None,
    })
    .expect("server starts");
    let addr = server.local_addr();
    TestServer { server, hub, addr }
}

/// Accepts the server's key and remembers its fingerprint for the test to check.
pub struct RememberHostKey {
    seen: Arc<std::sync::Mutex<Option<String>>>,
}

impl client::Handler for RememberHostKey {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        if let (PublicKeyOrCertificate::PublicKey { key, .. }, Ok(mut seen)) =
            (key, self.seen.lock())
        {
            *seen = Some(key.fingerprint(HashAlg::Sha256).to_string());
        }
        Ok(true)
    }
}

/// For connections that only check they are turned away.
pub struct AcceptAnyKey;

impl client::Handler for AcceptAnyKey {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// The outcome of one login attempt, as the client sees it.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    Accepted,
    Refused,
}

pub struct Client {
    pub handle: client::Handle<RememberHostKey>,
    host_key: Arc<std::sync::Mutex<Option<String>>>,
    channel: Option<russh::Channel<client::Msg>>,
    screen: vt100::Parser,
    pub exit_status: Option<u32>,
    pub closed: bool,
    /// Everything the server sent, for checks on raw bytes (colours).
    pub raw: Vec<u8>,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        let seen = Arc::new(std::sync::Mutex::new(None));
        let config = Arc::new(client::Config::default());
        let handle = client::connect(config, addr, RememberHostKey { seen: seen.clone() })
            .await
            .expect("connects");
        Client {
            handle,
            host_key: seen,
            channel: None,
            screen: vt100::Parser::new(24, 80, 0),
            exit_status: None,
            closed: false,
            raw: Vec::new(),
        }
    }

    pub fn host_key_fingerprint(&self) -> Option<String> {
        self.host_key.lock().ok().and_then(|seen| seen.clone())
    }

    /// Keyboard-interactive, as OpenSSH does it: password and code on one form.
    pub async fn login(&mut self, user: &str, password: &str, code: &str) -> LoginOutcome {
        let first = self
            .handle
            .authenticate_keyboard_interactive_start(user, None)
            .await
            .expect("keyboard-interactive starts");
        let KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } = first else {
            panic!("expected prompts, got {first:?}");
        };
        assert_eq!(prompts.len(), 2, "password and code prompts");
        assert!(
            prompts[0].prompt.contains("Password"),
            "{:?}",
            prompts[0].prompt
        );
        assert!(
            prompts[1].prompt.contains("code"),
            "{:?}",
            prompts[1].prompt
        );
        assert!(
            !prompts[0].echo && !prompts[1].echo,
            "secrets are not echoed"
        );
        let answer = self
            .handle
            .authenticate_keyboard_interactive_respond(vec![password.to_owned(), code.to_owned()])
            .await
            .expect("answers are taken");
        outcome(answer)
    }

    /// The `password` method, then the code alone on a keyboard-interactive form.
    pub async fn login_password_first(
        &mut self,
        user: &str,
        password: &str,
        code: &str,
    ) -> LoginOutcome {
        let first = self
            .handle
            .authenticate_password(user, password)
            .await
            .expect("password method answers");
        match first {
            client::AuthResult::Failure {
                remaining_methods,
                partial_success,
            } => {
                assert!(partial_success, "the password step is a partial success");
                assert!(
                    remaining_methods.contains(&MethodKind::KeyboardInteractive),
                    "{remaining_methods:?}"
                );
            }
            client::AuthResult::Success => panic!("a password alone must never be enough"),
        }
        let prompt = self
            .handle
            .authenticate_keyboard_interactive_start(user, None)
            .await
            .expect("keyboard-interactive starts");
        let KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } = prompt else {
            panic!("expected the code prompt, got {prompt:?}");
        };
        assert_eq!(prompts.len(), 1, "only the code is asked for");
        assert!(prompts[0].prompt.contains("code"));
        let answer = self
            .handle
            .authenticate_keyboard_interactive_respond(vec![code.to_owned()])
            .await
            .expect("answer is taken");
        outcome(answer)
    }

    /// Proves `key` with the `publickey` method; the server answers "go on" (partial success)
    /// when the key is listed for `user`, and a refusal otherwise.
    pub async fn prove_key(&mut self, user: &str, key: russh::keys::PrivateKey) -> bool {
        let hash = self
            .handle
            .best_supported_rsa_hash()
            .await
            .ok()
            .flatten()
            .flatten();
        let result = self
            .handle
            .authenticate_publickey(
                user,
                russh::keys::PrivateKeyWithHashAlg::new(Arc::new(key), hash),
            )
            .await
            .expect("publickey method answers");
        match result {
            client::AuthResult::Success => panic!("a key alone must never be enough"),
            client::AuthResult::Failure {
                partial_success, ..
            } => partial_success,
        }
    }

    /// Opens a session channel with a terminal of `cols`×`rows` and the given environment.
    pub async fn open_terminal(&mut self, cols: u16, rows: u16, term: &str, env: &[(&str, &str)]) {
        let channel = self
            .handle
            .channel_open_session()
            .await
            .expect("session channel opens");
        for (name, value) in env {
            channel
                .set_env(false, *name, *value)
                .await
                .expect("env is sent");
        }
        channel
            .request_pty(false, term, u32::from(cols), u32::from(rows), 0, 0, &[])
            .await
            .expect("pty request is sent");
        channel.request_shell(false).await.expect("shell request");
        self.screen = vt100::Parser::new(rows, cols, 0);
        self.channel = Some(channel);
    }

    /// A shell with no terminal, as `ssh -T` asks for.
    pub async fn open_without_terminal(&mut self) {
        let channel = self
            .handle
            .channel_open_session()
            .await
            .expect("session channel opens");
        channel.request_shell(false).await.expect("shell request");
        self.channel = Some(channel);
    }

    fn channel(&self) -> &russh::Channel<client::Msg> {
        self.channel.as_ref().expect("a terminal is open")
    }

    pub async fn send(&self, bytes: &[u8]) {
        self.channel()
            .data_bytes(bytes.to_vec())
            .await
            .expect("bytes are sent");
    }

    pub async fn type_text(&self, text: &str) {
        for ch in text.chars() {
            let mut buffer = [0u8; 4];
            self.send(ch.encode_utf8(&mut buffer).as_bytes()).await;
        }
    }

    pub async fn resize(&mut self, cols: u16, rows: u16) {
        self.channel()
            .window_change(u32::from(cols), u32::from(rows), 0, 0)
            .await
            .expect("window change is sent");
        self.screen.screen_mut().set_size(rows, cols);
    }

    pub fn screen(&self) -> String {
        self.screen.screen().contents()
    }

    pub fn parser(&self) -> &vt100::Parser {
        &self.screen
    }

    /// Takes what the server sent until `done` holds for the screen or the channel closes.
    async fn read_until(&mut self, done: impl Fn(&Client) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !done(self) {
            if self.closed {
                return false;
            }
            let Some(channel) = self.channel.as_mut() else {
                return false;
            };
            let message = match tokio::time::timeout_at(deadline, channel.wait()).await {
                Ok(message) => message,
                Err(_) => return false,
            };
            match message {
                Some(ChannelMsg::Data { data }) => {
                    self.raw.extend_from_slice(&data);
                    self.screen.process(&data);
                }
                Some(ChannelMsg::ExitStatus { exit_status }) => {
                    self.exit_status = Some(exit_status)
                }
                Some(ChannelMsg::Close) | None => self.closed = true,
                Some(_) => {}
            }
        }
        true
    }

    /// Waits until the screen shows `text`; panics with the screen if it never does.
    pub async fn wait_for(&mut self, text: &str) -> String {
        let found = self
            .read_until(|client| client.screen().contains(text))
            .await;
        let screen = self.screen();
        assert!(found, "waited for {text:?}; the screen shows:\n{screen}");
        screen
    }

    /// Waits for the server to close the channel; returns everything printed after the
    /// terminal was put back (the farewell).
    pub async fn wait_closed(&mut self) -> String {
        let before = self.raw.len();
        let closed = self.read_until(|client| client.closed).await;
        assert!(closed, "the server never closed the channel");
        String::from_utf8_lossy(&self.raw[before..]).into_owned()
    }
}

fn outcome(answer: KeyboardInteractiveAuthResponse) -> LoginOutcome {
    match answer {
        KeyboardInteractiveAuthResponse::Success => LoginOutcome::Accepted,
        KeyboardInteractiveAuthResponse::Failure { .. } => LoginOutcome::Refused,
        KeyboardInteractiveAuthResponse::InfoRequest { .. } => {
            panic!("unexpected second form after the answers")
        }
    }
}
