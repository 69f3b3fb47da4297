//! One SSH connection: logging in with the staff credentials at the SSH layer, then one
//! terminal session. The password and the authenticator code are checked together by the
//! service's own login, so throttling, the hourly cap and the one-size-fits-all refusal are
//! exactly those of the counter.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc::Sender;

use bytes::Bytes;
use russh::server::{
    Auth, ChannelOpenHandle, Handle, Msg, PublicKeyOffer, Response, Session as SshSession,
    VerifiedPublicKey,
};
use russh::{Channel, ChannelId, MethodKind, MethodSet};
use secrecy::SecretString;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use zeroize::Zeroizing;

use super::Shared;
use super::colour_depth::ColourDepth;
use super::limits::Admission;
use super::session::{self, Outgoing, SessionInput, SessionStart, WindowSize, restore_sequence};
use crate::audit::Origin;
use crate::auth::ssh_key::fingerprint;
use crate::service::{LoginRequest, SecondFactor, ServiceError, Session};
use crate::ui::AppEnv;

const PASSWORD_PROMPT: &str = "Password: ";
const CODE_PROMPT: &str = "Authenticator code (or a recovery code): ";

/// What the client has proven so far in this connection.
#[derive(Default)]
struct AuthProgress {
    /// From the `password` method, held until the code arrives; checked only together with it
    /// so a wrong password and a wrong code look the same.
    password: Option<(String, SecretString)>,
    /// The fingerprint of a listed key whose signature russh verified, for that user. A key
    /// is an extra factor: password and code are still asked for.
    verified_key: Option<(String, String)>,
}

struct Pty {
    term: String,
    size: WindowSize,
}

pub(super) struct Connection {
    shared: Arc<Shared>,
    peer: SocketAddr,
    admission: Admission,
    progress: AuthProgress,
    logged_in: Option<(String, Session)>,
    channel: Option<ChannelId>,
    pty: Option<Pty>,
    no_color: Option<String>,
    colorterm: Option<String>,
    session_input: Option<Sender<SessionInput>>,
}

impl Connection {
    pub(super) fn new(shared: Arc<Shared>, peer: SocketAddr, admission: Admission) -> Self {
        Self {
            shared,
            peer,
            admission,
            progress: AuthProgress::default(),
            logged_in: None,
            channel: None,
            pty: None,
            no_color: None,
            colorterm: None,
            session_input: None,
        }
    }

    fn origin(&self) -> Origin {
        Origin::Ssh {
            peer: self.peer.to_string(),
        }
    }

    fn prompts(&self, user: &str) -> Auth {
        let has_password = self
            .progress
            .password
            .as_ref()
            .is_some_and(|(name, _)| name == user);
        let prompts: Vec<(std::borrow::Cow<'static, str>, bool)> = if has_password {
            vec![(CODE_PROMPT.into(), false)]
        } else {
            vec![(PASSWORD_PROMPT.into(), false), (CODE_PROMPT.into(), false)]
        };
        Auth::Partial {
            name: "frontdesk staff login".into(),
            instructions: "".into(),
            prompts: prompts.into(),
        }
    }

    /// Runs the service's login off the async threads (argon2 is slow on purpose).
    async fn log_in(&mut self, user: &str, password: SecretString, code: &str) -> Auth {
        let second_factor = SecondFactor::from_typed(code);
        let ssh_key = self
            .progress
            .verified_key
            .as_ref()
            .filter(|(name, _)| name == user)
            .map(|(_, fingerprint)| fingerprint.clone());
        let request = LoginRequest {
            username: user.to_owned(),
            password,
            second_factor,
            origin: self.origin(),
            ssh_key,
        };
        let service = self.shared.service.clone();
        let outcome = tokio::task::spawn_blocking(move || service.login(request)).await;
        match outcome {
            Ok(Ok(session)) => {
                self.shared
                    .log(&format!("{} logged in over SSH from {}", user, self.peer));
                self.logged_in = Some((user.to_owned(), session));
                self.admission.logged_in();
                Auth::Accept
            }
            // Not a refusal: the disk under the store failed. Say so above the form and ask
            // again, so the person can retry once the disk has room.
            Ok(Err(err)) if err.is_storage_failure() => {
                self.shared.log(&format!(
                    "a login over SSH from {} could not be recorded: {err}",
                    self.peer
                ));
                match self.prompts(user) {
                    Auth::Partial { name, prompts, .. } => Auth::Partial {
                        name,
                        instructions: err.to_string().into(),
                        prompts,
                    },
                    other => other,
                }
            }
            Ok(Err(ServiceError::Throttled(_))) | Ok(Err(_)) | Err(_) => {
                self.shared
                    .log(&format!("a login over SSH from {} was refused", self.peer));
                Auth::reject()
            }
        }
    }

    fn start_session(&mut self, channel: ChannelId, handle: Handle) -> Result<(), String> {
        let Some((username, session)) = self.logged_in.clone() else {
            return Err("not logged in".to_owned());
        };
        let Some(pty) = &self.pty else {
            return Err(
                "frontdesk needs a terminal: connect with `ssh -t`, and without a command"
                    .to_owned(),
            );
        };
        let colour_depth = ColourDepth::detect(
            Some(pty.term.as_str()).filter(|term| !term.is_empty()),
            self.colorterm.as_deref(),
            self.no_color.as_deref(),
        );
        let env = AppEnv {
            clock: self.shared.clock.clone(),
            entropy: self.shared.entropy.clone(),
            data_dir: self.shared.data_dir.clone(),
            origin: self.origin(),
            keymap: self.shared.keymap.clone(),
            forced_theme: (colour_depth == ColourDepth::Mono)
                .then(|| crate::ui::theme::Theme::built_in("mono"))
                .flatten(),
            theme_dir: self.shared.theme_dir.clone(),
            startup_notices: Vec::new(),
            ssh_server: Some(self.shared.info.clone()),
            quit_when_session_ends: true,
        };
        let (outgoing, pending) = unbounded_channel();
        tokio::spawn(pump(handle, channel, pending));
        let start = SessionStart {
            env,
            service: self.shared.service.clone(),
            session,
            size: pty.size,
            colour_depth,
            hub: self.shared.hub.clone(),
            inspector: self.shared.inspector.clone(),
            label: format!("{username}@{}", self.peer),
        };
        let input = session::spawn(start, outgoing).map_err(|err| err.to_string())?;
        self.session_input = Some(input);
        Ok(())
    }

    fn send_to_session(&mut self, input: SessionInput) {
        if let Some(sender) = &self.session_input
            && sender.send(input).is_err()
        {
            self.session_input = None;
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        match self.session_input.take() {
            Some(sender) => {
                let _ = sender.send(SessionInput::Closed);
            }
            None => {
                // Logged in but never opened a screen: the session must not linger.
                if let Some((_, session)) = &self.logged_in {
                    let _ = self.shared.service.logout(session);
                }
            }
        }
    }
}

/// Sends a session's frames to its client, in order; at the end puts the terminal back.
async fn pump(handle: Handle, channel: ChannelId, mut pending: UnboundedReceiver<Outgoing>) {
    while let Some(message) = pending.recv().await {
        match message {
            Outgoing::Bytes(mut frame) => {
                // The frame counts as in flight until russh has taken its bytes.
                let bytes = std::mem::take(&mut frame.bytes);
                if handle.data(channel, bytes).await.is_err() {
                    return;
                }
            }
            Outgoing::Close {
                farewell,
                exit_status,
            } => {
                finish_channel(&handle, channel, &restore_sequence(&farewell), exit_status).await;
                return;
            }
        }
    }
    finish_channel(&handle, channel, &restore_sequence(""), 0).await;
}

async fn finish_channel(handle: &Handle, channel: ChannelId, last_bytes: &[u8], exit_status: u32) {
    let _ = handle.data(channel, last_bytes.to_vec()).await;
    let _ = handle.exit_status_request(channel, exit_status).await;
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
}

/// "Accepted so far; now the keyboard-interactive form" (partial success), whatever was
/// offered: the answer never says whether a password was right.
fn go_on_to_the_code_form() -> Auth {
    Auth::Reject {
        proceed_with_methods: Some(MethodSet::from(&[MethodKind::KeyboardInteractive][..])),
        partial_success: true,
    }
}

fn text(bytes: &Bytes) -> Zeroizing<String> {
    Zeroizing::new(String::from_utf8_lossy(bytes).into_owned())
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_none(&mut self, _user: &str) -> Result<Auth, Self::Error> {
        Ok(Auth::reject())
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        let service = self.shared.service.clone();
        let (user, key) = (user.to_owned(), offer.public_key.clone());
        let known =
            tokio::task::spawn_blocking(move || service.ssh_key_offered_is_known(&user, &key))
                .await
                .unwrap_or(false);
        Ok(if known { Auth::Accept } else { Auth::reject() })
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        // russh has checked the signature: this client holds the key. Password and code
        // still decide, so the answer is "go on", never "in".
        self.progress.verified_key = Some((user.to_owned(), fingerprint(key.public_key)));
        Ok(go_on_to_the_code_form())
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        // Not checked yet: the code comes next, and both are checked together.
        self.progress.password = Some((user.to_owned(), SecretString::from(password.to_owned())));
        Ok(go_on_to_the_code_form())
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        let Some(response) = response else {
            return Ok(self.prompts(user));
        };
        let answers: Vec<Zeroizing<String>> = response.map(|bytes| text(&bytes)).collect();
        let held = self
            .progress
            .password
            .take()
            .filter(|(name, _)| name == user)
            .map(|(_, password)| password);
        let (password, code) = match (held, answers.as_slice()) {
            (Some(password), [code]) => (password, code.clone()),
            (None, [password, code]) => (SecretString::from(password.to_string()), code.clone()),
            _ => return Ok(Auth::reject()),
        };
        Ok(self.log_in(user, password, &code).await)
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        if self.channel.is_some() || self.logged_in.is_none() {
            reply
                .reject(russh::ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            return Ok(());
        }
        self.channel = Some(channel.id());
        reply.accept().await;
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        term: &str,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        self.pty = Some(Pty {
            term: term.to_owned(),
            size: WindowSize::requested(col_width, row_height),
        });
        session.channel_success(channel)?;
        Ok(())
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        variable_name: &str,
        variable_value: &str,
        session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        match variable_name {
            "NO_COLOR" => self.no_color = Some(variable_value.to_owned()),
            "COLORTERM" => self.colorterm = Some(variable_value.to_owned()),
            _ => {
                session.channel_failure(channel)?;
                return Ok(());
            }
        }
        session.channel_success(channel)?;
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        match self.start_session(channel, session.handle()) {
            Ok(()) => session.channel_success(channel)?,
            Err(reason) => {
                session.channel_success(channel)?;
                refuse_channel(session, channel, &reason)?;
            }
        }
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        refuse_channel(
            session,
            channel,
            "frontdesk runs no commands over SSH; connect without a command to get the desk screen",
        )
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)?;
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        _channel: ChannelId,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        let size = WindowSize::requested(col_width, row_height);
        if let Some(pty) = &mut self.pty {
            pty.size = size;
        }
        self.send_to_session(SessionInput::Resize(size));
        Ok(())
    }

    async fn data(
        &mut self,
        _channel: ChannelId,
        data: &[u8],
        _session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        self.send_to_session(SessionInput::Bytes(data.to_vec()));
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        _channel: ChannelId,
        _session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        self.send_to_session(SessionInput::Closed);
        Ok(())
    }

    async fn channel_close(
        &mut self,
        _channel: ChannelId,
        _session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        self.send_to_session(SessionInput::Closed);
        Ok(())
    }
}

/// Tells the client why there is no screen and closes the channel.
fn refuse_channel(
    session: &mut SshSession,
    channel: ChannelId,
    reason: &str,
) -> Result<(), russh::Error> {
    session.data(channel, format!("{reason}\r\n").into_bytes())?;
    session.exit_status_request(channel, 1)?;
    session.eof(channel)?;
    session.close(channel)?;
    Ok(())
}
