//! `frontdesk serve`: this process owns the store and hosts every session — the counter
//! screen on this terminal (unless `--headless`) and one screen per SSH client — until the
//! counter quits or SIGTERM arrives.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use clap::Args;

use super::{CliError, Runtime, tui};
use crate::audit::Origin;
use crate::store::{Store, StoreError};
use crate::transport::backup_timer::BackupTimer;
use crate::transport::hub::Hub;
use crate::transport::server_marker::{CounterMarker, ServerMarker};
use crate::transport::ssh::{DEFAULT_PORT, HostKey, Limits, ServerLog, SshServer, SshServerConfig};
use crate::ui::App;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address (and port) SSH clients connect to, e.g. 0.0.0.0:2222, 127.0.0.1:2222 or just a
    /// port.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:2222")]
    listen: String,
    /// No counter screen on this terminal: serve SSH clients only (for a service manager).
    #[arg(long)]
    headless: bool,
    /// Connections open at once, logged in or not. A quarter of them (at least 4) are kept
    /// for staff who have logged in: connections still logging in never take those.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_sessions)]
    max_sessions: usize,
    /// New connections one address may open per minute.
    #[arg(long, value_name = "N", default_value_t = Limits::default().connections_per_minute)]
    connections_per_minute: usize,
    /// Connections one address may hold open at once before they have logged in.
    #[arg(long, value_name = "N", default_value_t = Limits::default().waiting_per_address)]
    waiting_per_address: usize,
    /// Close an SSH connection that sends nothing for this many minutes (the screen locks
    /// itself much sooner).
    #[arg(long, value_name = "MINUTES", default_value_t = 30)]
    idle_timeout: u64,
}

fn listen_address(text: &str) -> Result<SocketAddr, CliError> {
    let bad = || {
        CliError::new(format!(
            "--listen {text} is not an address; give one such as 0.0.0.0:{DEFAULT_PORT}, 127.0.0.1:{DEFAULT_PORT} or a port number"
        ))
    };
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from(([0, 0, 0, 0], port)));
    }
    text.to_socket_addrs()
        .map_err(|_| bad())?
        .next()
        .ok_or_else(bad)
}

pub fn run(
    data: &Path,
    runtime: &Runtime,
    theme: Option<&str>,
    args: ServeArgs,
) -> Result<ExitCode, CliError> {
    let listen = listen_address(&args.listen)?;
    if !args.headless {
        tui::require_terminal("start it with --headless to serve SSH clients only")?;
    }
    let postgres = super::store_choice::postgres();
    if postgres.is_none() && !Store::exists_in(data) {
        return Err(CliError::new(format!(
            "there is no shop in {} yet; set one up first with `frontdesk` (the setup screen) or `frontdesk init`",
            data.display()
        )));
    }
    let host_key = HostKey::load_or_create(data, runtime.entropy.as_ref())
        .map_err(|err| CliError::new(err.to_string()))?;
    let _marker = ServerMarker::claim(data, &listen.to_string(), &host_key.fingerprint)
        .map_err(|err| CliError::new(err.to_string()))?;
    if CounterMarker::running(data) {
        return Err(held_by_another_process(data));
    }
    // Shared, the file cannot be compacted: do any compaction an erasure asked for first.
    tui::compact_if_due(data);
    let opened = match postgres {
        Some(location) => Store::open_postgres(location, data),
        None => Store::open_shared(data),
    };
    let store = match opened {
        Ok(store) => store,
        // This process holds the server marker, so the holder is not a server: it is the
        // counter screen (or another frontdesk command).
        Err(StoreError::InUse(_)) => return Err(held_by_another_process(data)),
        Err(err) => return Err(err.into()),
    };
    let service = Arc::new(runtime.service(store)?);
    let backup_timer = BackupTimer::start(
        service.clone(),
        Origin::Cli {
            command: "serve".to_owned(),
        },
    );
    let (mut env, keymap, theme_dir) = tui::local_env(data, runtime, theme)?;
    let hub = Hub::new();
    {
        let hub = hub.clone();
        service.follow_other_processes(Arc::new(move || hub.store_changed_elsewhere()));
    }
    let log: Option<ServerLog> = args
        .headless
        .then(|| Arc::new(|line: &str| log_line(line)) as ServerLog);
    let fingerprint = host_key.fingerprint.clone();
    let server = SshServer::start(SshServerConfig {
        service: service.clone(),
        hub: hub.clone(),
        clock: runtime.clock.clone(),
        entropy: runtime.entropy.clone(),
        data_dir: data.to_path_buf(),
        host_key,
        listen,
        limits: Limits {
            max_sessions: args.max_sessions.max(1),
            connections_per_minute: args.connections_per_minute.max(1),
            waiting_per_address: args.waiting_per_address.max(1),
            idle_timeout: Duration::from_secs(args.idle_timeout.max(1) * 60),
            ..Limits::default()
        },
        keymap,
        theme_dir,
        inspector: None,
        log,
    })
    .map_err(|err| CliError::new(err.to_string()))?;
    let address = server.local_addr();
    say(&format!(
        "frontdesk serve: listening on {address} for SSH\nhost key fingerprint: {fingerprint}\nstaff connect with: ssh -p {} USER@THIS-HOST (password, then authenticator code)\n",
        address.port()
    ));
    let stop_requested = watch_for_stop_signals(&hub, args.headless)?;
    if args.headless {
        say("press Ctrl-C or send SIGTERM to stop\n");
        // Waits for a signal; the sender lives as long as the signal thread.
        let _ = stop_requested.recv();
    } else {
        env.ssh_server = Some(server.info().clone());
        let app = App::login(env, service.clone());
        let outcome = crate::transport::local::run(app, Some(&hub));
        if let Err(err) = outcome {
            server.stop();
            return Err(CliError::new(format!(
                "the terminal failed ({err}); SSH sessions were closed and the store is safe; start frontdesk serve again"
            )));
        }
    }
    server.stop();
    drop(backup_timer);
    drop(service);
    say("frontdesk serve: stopped; every session was told and the store is closed\n");
    Ok(ExitCode::SUCCESS)
}

/// Tells the operator; a server started with its output closed (as a service) keeps serving.
fn say(text: &str) {
    let _ = super::write_stdout(text);
}

/// One line of the headless server's log, on standard error; never a panic when it is closed.
fn log_line(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "frontdesk serve: {line}");
}

fn held_by_another_process(data: &Path) -> CliError {
    CliError::new(format!(
        "the store in {} is open in another frontdesk process, most likely the counter screen; close it first (or log in there), then start frontdesk serve again",
        data.display()
    ))
}

/// SIGTERM (and, headless, SIGINT and SIGHUP) tells every session and stops the server.
/// The counter screen handles Ctrl-C itself, as a key.
fn watch_for_stop_signals(hub: &Hub, headless: bool) -> Result<mpsc::Receiver<()>, CliError> {
    use tokio::signal::unix::{SignalKind, signal};
    let (stopped, stop_requested) = mpsc::channel();
    let hub = hub.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|err| CliError::new(format!("cannot watch for signals: {err}")))?;
    let kinds: Vec<SignalKind> = if headless {
        vec![
            SignalKind::terminate(),
            SignalKind::interrupt(),
            SignalKind::hangup(),
        ]
    } else {
        vec![SignalKind::terminate(), SignalKind::hangup()]
    };
    let mut streams = Vec::new();
    for kind in kinds {
        let stream = runtime
            .block_on(async { signal(kind) })
            .map_err(|err| CliError::new(format!("cannot watch for signals: {err}")))?;
        streams.push(stream);
    }
    std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                let waits = streams
                    .iter_mut()
                    .map(|stream| Box::pin(stream.recv()))
                    .collect::<Vec<_>>();
                futures_select_first(waits).await;
            });
            hub.shutdown();
            let _ = stopped.send(());
        })
        .map_err(|err| CliError::new(format!("cannot watch for signals: {err}")))?;
    Ok(stop_requested)
}

/// Resolves when the first of `waits` does.
async fn futures_select_first<F: std::future::Future + Unpin>(mut waits: Vec<F>) {
    std::future::poll_fn(|cx| {
        for wait in waits.iter_mut() {
            if std::pin::Pin::new(wait).poll(cx).is_ready() {
                return std::task::Poll::Ready(());
            }
        }
        std::task::Poll::Pending
    })
    .await
}
