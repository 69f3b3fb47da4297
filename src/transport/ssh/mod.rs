//! The SSH transport: each client gets its own desk session (own login, role, screen,
//! language and theme) running the same app as the counter terminal, all in the one process
//! that owns the store.

pub mod colour_depth;
mod connection;
pub mod host_key;
pub mod limits;
pub mod session;
pub mod terminal_input;

use std::net::{Shutdown, SocketAddr, TcpListener as StdTcpListener, TcpStream as StdTcpStream};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use russh::server::Config;
use russh::{MethodKind, MethodSet, SshId};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

pub use colour_depth::ColourDepth;
pub use host_key::{HostKey, HostKeyError};
pub use limits::Limits;
pub use session::EventInspector;

use self::connection::Connection;
use self::limits::{Admission, ConnectionGate};
use crate::clock::Clock;
use crate::entropy::Entropy;
use crate::service::Service;
use crate::transport::hub::Hub;
use crate::ui::SshServerInfo;
use crate::ui::keymap::Keymap;

/// The default port: not 22, which the machine's own sshd usually holds.
pub const DEFAULT_PORT: u16 = 2222;

/// How long sessions get to say goodbye when the server stops.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Where server events go (`frontdesk serve --headless` prints them; with the counter screen
/// on the same terminal they would draw over it, so they are dropped).
pub type ServerLog = Arc<dyn Fn(&str) + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum SshServeError {
    #[error("cannot listen on {address}: {reason}; choose another address with --listen")]
    Listen { address: SocketAddr, reason: String },
    #[error("cannot start the SSH server: {0}")]
    Runtime(String),
}

pub struct SshServerConfig {
    pub service: Arc<Service>,
    pub hub: Hub,
    pub clock: Arc<dyn Clock>,
    pub entropy: Arc<dyn Entropy>,
    pub data_dir: PathBuf,
    pub host_key: HostKey,
    pub listen: SocketAddr,
    pub limits: Limits,
    pub keymap: Keymap,
    pub theme_dir: Option<PathBuf>,
    pub inspector: Option<EventInspector>,
    pub log: Option<ServerLog>,
}

/// What every connection shares.
pub(crate) struct Shared {
    service: Arc<Service>,
    hub: Hub,
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    data_dir: PathBuf,
    keymap: Keymap,
    theme_dir: Option<PathBuf>,
    info: SshServerInfo,
    inspector: Option<EventInspector>,
    log: Option<ServerLog>,
}

impl Shared {
    fn log(&self, line: &str) {
        if let Some(log) = &self.log {
            log(line);
        }
    }
}

/// A running server; [`SshServer::stop`] ends it.
pub struct SshServer {
    local_addr: SocketAddr,
    info: SshServerInfo,
    gate: ConnectionGate,
    hub: Hub,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SshServer {
    /// Binds `config.listen` and serves on background threads.
    pub fn start(config: SshServerConfig) -> Result<SshServer, SshServeError> {
        let listener =
            StdTcpListener::bind(config.listen).map_err(|err| SshServeError::Listen {
                address: config.listen,
                reason: err.to_string(),
            })?;
        listener
            .set_nonblocking(true)
            .map_err(|err| SshServeError::Runtime(err.to_string()))?;
        let local_addr = listener
            .local_addr()
            .map_err(|err| SshServeError::Runtime(err.to_string()))?;
        let info = SshServerInfo {
            host_key_fingerprint: config.host_key.fingerprint.clone(),
            listen: local_addr.to_string(),
        };
        let gate = ConnectionGate::new(config.limits);
        let russh_config = Arc::new(russh_config(&config));
        let shared = Arc::new(Shared {
            service: config.service,
            hub: config.hub.clone(),
            clock: config.clock,
            entropy: config.entropy,
            data_dir: config.data_dir,
            keymap: config.keymap,
            theme_dir: config.theme_dir,
            info: info.clone(),
            inspector: config.inspector,
            log: config.log,
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ssh-server")
            .enable_all()
            .build()
            .map_err(|err| SshServeError::Runtime(err.to_string()))?;
        let (stop, stopped) = oneshot::channel();
        let accept_gate = gate.clone();
        let thread = std::thread::Builder::new()
            .name("ssh-accept".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(err) => {
                            shared.log(&format!("the SSH listener failed: {err}"));
                            return;
                        }
                    };
                    tokio::select! {
                        () = accept_loop(listener, shared.clone(), accept_gate.clone(), russh_config) => {}
                        _ = stopped => {}
                    }
                    // Sessions were told by the hub; give them a moment to say goodbye.
                    let deadline = Instant::now() + SHUTDOWN_GRACE;
                    while accept_gate.open_connections() > 0 && Instant::now() < deadline {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .map_err(|err| SshServeError::Runtime(err.to_string()))?;
        Ok(SshServer {
            local_addr,
            info,
            gate,
            hub: config.hub,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn info(&self) -> &SshServerInfo {
        &self.info
    }

    /// Connections open now, logged in or not.
    pub fn open_connections(&self) -> usize {
        self.gate.open_connections()
    }

    /// Tells every session, stops accepting, and waits (briefly) for clients to be told.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        self.gate.close();
        self.hub.shutdown();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn russh_config(config: &SshServerConfig) -> Config {
    let mut methods = MethodSet::empty();
    // OpenSSH tries these in its own order (keys, then keyboard-interactive, then password);
    // any of them leads to the password and code form.
    methods.push(MethodKind::PublicKey);
    methods.push(MethodKind::KeyboardInteractive);
    methods.push(MethodKind::Password);
    Config {
        server_id: SshId::Standard(concat!("SSH-2.0-frontdesk_", env!("CARGO_PKG_VERSION")).into()),
        methods,
        // Every refusal takes at least this long, whatever failed.
        auth_rejection_time: Duration::from_millis(500),
        // OpenSSH opens with a "none" probe; answering it at once costs nothing.
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![config.host_key.key.clone()],
        inactivity_timeout: Some(config.limits.idle_timeout),
        keepalive_interval: Some(Duration::from_secs(60)),
        keepalive_max: 3,
        max_auth_attempts: 6,
        nodelay: true,
        ..Config::default()
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    gate: ConnectionGate,
    config: Arc<Config>,
) {
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                shared.log(&format!("accepting a connection failed: {err}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let accepted_at = tokio::time::Instant::now();
        let admission = match gate.admit(peer.ip(), Instant::now()) {
            Ok(admission) => admission,
            Err(refusal) => {
                shared.log(&format!("refused a connection from {peer}: {refusal:?}"));
                drop(socket);
                continue;
            }
        };
        let _ = socket.set_nodelay(true);
        let connection = AcceptedConnection {
            shared: shared.clone(),
            config: config.clone(),
            limits: gate.limits(),
            peer,
            accepted_at,
            admission,
        };
        tokio::spawn(connection.serve(socket));
    }
}

/// How long an unauthenticated client gets to read "login took too long" before its socket
/// is shut.
const FAREWELL_TIME: Duration = Duration::from_secs(1);

/// One connection from accept to close; the login clock runs from the moment of accept.
struct AcceptedConnection {
    shared: Arc<Shared>,
    config: Arc<Config>,
    limits: Limits,
    peer: SocketAddr,
    accepted_at: tokio::time::Instant,
    admission: Admission,
}

impl AcceptedConnection {
    async fn serve(self, socket: TcpStream) {
        let peer = self.peer;
        // A second descriptor for the same socket: shutting it down ends russh's reads even
        // in the middle of a key exchange, when russh takes no orders from its handle.
        let (socket, closer) = match split_off_closer(socket) {
            Ok(pair) => pair,
            Err(err) => {
                self.shared
                    .log(&format!("a connection from {peer} failed at once: {err}"));
                return;
            }
        };
        let handler = Connection::new(self.shared.clone(), peer, self.admission.clone());
        let stream = Listening {
            inner: socket,
            admission: Some(self.admission.clone()),
        };
        let handshake = tokio::time::timeout_at(
            self.accepted_at + self.limits.handshake_timeout.min(self.limits.login_grace),
            russh::server::run_stream(self.config.clone(), stream, handler),
        );
        let running = tokio::select! {
            outcome = handshake => match outcome {
                Ok(Ok(running)) => running,
                Ok(Err(err)) => {
                    self.shared
                        .log(&format!("an SSH handshake from {peer} failed: {err}"));
                    return;
                }
                Err(_) => {
                    self.shared.log(&format!(
                        "closed a connection from {peer} that sent no SSH greeting in time"
                    ));
                    return;
                }
            },
            () = self.admission.evicted() => {
                self.shared.log(&format!(
                    "closed a silent connection from {peer} to make room for another"
                ));
                return;
            }
        };
        let mut running = running;
        if !self.admission.spoke() {
            // Pushed out just as its greeting arrived.
            let _ = closer.shutdown(Shutdown::Both);
            let _ = running.await;
            return;
        }
        let login_deadline = self.accepted_at + self.limits.login_grace;
        let outcome = tokio::select! {
            outcome = &mut running => outcome,
            () = tokio::time::sleep_until(login_deadline) => {
                if self.admission.is_logged_in() {
                    running.await
                } else {
                    self.shared.log(&format!("{peer} did not log in in time; closed"));
                    let handle = running.handle();
                    let _ = tokio::time::timeout(
                        FAREWELL_TIME,
                        handle.disconnect(
                            russh::Disconnect::ByApplication,
                            "login took too long".to_owned(),
                            String::new(),
                        ),
                    )
                    .await;
                    match tokio::time::timeout(FAREWELL_TIME, &mut running).await {
                        Ok(outcome) => outcome,
                        Err(_) => {
                            let _ = closer.shutdown(Shutdown::Both);
                            running.await
                        }
                    }
                }
            }
        };
        if let Err(err) = outcome {
            self.shared
                .log(&format!("the SSH connection from {peer} ended: {err}"));
        }
    }
}

fn split_off_closer(socket: TcpStream) -> std::io::Result<(TcpStream, StdTcpStream)> {
    let socket = socket.into_std()?;
    let closer = socket.try_clone()?;
    Ok((TcpStream::from_std(socket)?, closer))
}

/// The client's socket as russh reads it; the first bytes that arrive mark the connection
/// as one that has spoken, which can no longer be pushed out to make room.
struct Listening {
    inner: TcpStream,
    admission: Option<Admission>,
}

impl AsyncRead for Listening {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(())))
            && buf.filled().len() > before
            && let Some(admission) = self.admission.take()
        {
            admission.spoke();
        }
        polled
    }
}

impl AsyncWrite for Listening {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
