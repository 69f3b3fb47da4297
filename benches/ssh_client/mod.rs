//! The SSH client side of the benches that type into real sessions (`ssh_sessions`,
//! `chain_sites`): a staff terminal over russh that logs in with password and code, reads
//! whole frames and times keystrokes; the sample lookups typed; the desk worker that books
//! walk-ins and checks them out beside the sessions. Each bench uses a part of it.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use frontdesk::auth::totp::TotpSecret;
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::money::Money;
use frontdesk::ids::RecordId;
use frontdesk::service::{CheckoutInput, DemoLookup, Service};
use frontdesk::store::records::BookingState;
use russh::client::{self, KeyboardInteractiveAuthResponse};
use russh::keys::PublicKeyOrCertificate;
use russh::{ChannelMsg, client::Msg};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Barrier;
use tokio::time::{Instant, timeout_at};

/// How the sessions type: how many there are (to spread their keys), keys each, and the time
/// from one key of a session to its next.
#[derive(Clone, Copy)]
pub struct Pace {
    pub sessions: usize,
    pub keys_per_session: usize,
    pub key_interval: Duration,
}

pub const COLUMNS: u16 = 120;
pub const ROWS: u16 = 40;
/// Only reached when something is broken: a frame this late is an error, not a figure.
pub const PATIENCE: Duration = Duration::from_secs(20);
/// Sessions are settled when nothing has arrived for this long (logins move the manual clock,
/// so screens that show the time redraw once more before typing starts).
pub const SETTLE: Duration = Duration::from_millis(500);
/// The erase key as terminals send it.
pub const BACKSPACE: u8 = 0x7f;

pub type BenchResult<T> = Result<T, String>;

/// A staff member the demo created, with what their phone would know.
pub struct Staff {
    pub username: String,
    pub password: SecretString,
    pub secret: TotpSecret,
}

/// Loopback to our own server: any host key will do.
pub struct TrustLoopback;

impl client::Handler for TrustLoopback {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// One logged-in staff terminal.
pub struct Terminal {
    pub index: usize,
    // Dropping the handle ends the connection; it lives as long as the channel.
    _handle: client::Handle<TrustLoopback>,
    pub channel: russh::Channel<Msg>,
    pub screen: vt100::Parser,
}

/// Whether `bytes` (everything received since a keystroke) ends with a whole frame. The
/// server sends each frame as it is drawn and ends it with the cursor: hidden
/// (`ESC[?25l`), or shown (`ESC[?25h`) and then placed (`ESC[row;colH`), which may come as a
/// separate message.
pub fn ends_a_frame(bytes: &[u8]) -> bool {
    const HIDE: &[u8] = b"\x1b[?25l";
    const SHOW: &[u8] = b"\x1b[?25h";
    if bytes.ends_with(HIDE) {
        return true;
    }
    let Some(show_at) = bytes.windows(SHOW.len()).rposition(|w| w == SHOW) else {
        return false;
    };
    let Some(placement) = bytes[show_at + SHOW.len()..]
        .strip_prefix(b"\x1b[")
        .and_then(|rest| rest.strip_suffix(b"H"))
    else {
        return false;
    };
    let mut parts = placement.split(|&b| b == b';');
    let is_number = |part: Option<&[u8]>| {
        part.is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit))
    };
    is_number(parts.next()) && is_number(parts.next()) && parts.next().is_none()
}

impl Terminal {
    /// Connects, logs in with password and code on one keyboard-interactive form, and opens
    /// a terminal; returns once the first whole frame has arrived.
    pub async fn open(
        addr: std::net::SocketAddr,
        index: usize,
        staff: &Staff,
        code: &str,
    ) -> BenchResult<Self> {
        let config = Arc::new(client::Config {
            // As OpenSSH does for interactive sessions: a keystroke must not wait for Nagle.
            nodelay: true,
            ..client::Config::default()
        });
        let mut handle = client::connect(config, addr, TrustLoopback)
            .await
            .map_err(|err| format!("session {index}: connecting failed: {err}"))?;
        let form = handle
            .authenticate_keyboard_interactive_start(staff.username.clone(), None)
            .await
            .map_err(|err| format!("session {index}: keyboard-interactive failed: {err}"))?;
        if !matches!(form, KeyboardInteractiveAuthResponse::InfoRequest { .. }) {
            return Err(format!("session {index}: no password and code form"));
        }
        let answer = handle
            .authenticate_keyboard_interactive_respond(vec![
                staff.password.expose_secret().to_owned(),
                code.to_owned(),
            ])
            .await
            .map_err(|err| format!("session {index}: answering the form failed: {err}"))?;
        if !matches!(answer, KeyboardInteractiveAuthResponse::Success) {
            return Err(format!("session {index}: the login was refused"));
        }
        let channel = handle
            .channel_open_session()
            .await
            .map_err(|err| format!("session {index}: no session channel: {err}"))?;
        channel
            .request_pty(
                false,
                "xterm-256color",
                u32::from(COLUMNS),
                u32::from(ROWS),
                0,
                0,
                &[],
            )
            .await
            .map_err(|err| format!("session {index}: pty request failed: {err}"))?;
        channel
            .request_shell(false)
            .await
            .map_err(|err| format!("session {index}: shell request failed: {err}"))?;
        let mut terminal = Terminal {
            index,
            _handle: handle,
            channel,
            screen: vt100::Parser::new(ROWS, COLUMNS, 0),
        };
        terminal.frame_showing("Today").await?;
        Ok(terminal)
    }

    /// Reads until a whole frame has arrived; returns when its last byte did, and its size.
    pub async fn next_frame(&mut self) -> BenchResult<(Instant, usize)> {
        let deadline = Instant::now() + PATIENCE;
        let mut received = Vec::new();
        loop {
            match timeout_at(deadline, self.channel.wait()).await {
                Err(_) => {
                    return Err(format!(
                        "session {}: no frame within {PATIENCE:?}; the screen shows:\n{}",
                        self.index,
                        self.screen.screen().contents()
                    ));
                }
                Ok(Some(ChannelMsg::Data { data })) => {
                    received.extend_from_slice(&data);
                    if ends_a_frame(&received) {
                        // Timed before the client's own screen work.
                        let arrived = Instant::now();
                        self.screen.process(&received);
                        return Ok((arrived, received.len()));
                    }
                }
                Ok(Some(ChannelMsg::ExitStatus { .. } | ChannelMsg::Close | ChannelMsg::Eof))
                | Ok(None) => {
                    return Err(format!(
                        "session {}: the server ended the session; the screen shows:\n{}",
                        self.index,
                        self.screen.screen().contents()
                    ));
                }
                Ok(Some(_)) => {}
            }
        }
    }

    /// Reads frames until the screen shows `text`.
    pub async fn frame_showing(&mut self, text: &str) -> BenchResult<()> {
        while !self.screen.screen().contents().contains(text) {
            self.next_frame().await?;
        }
        Ok(())
    }

    /// Takes whatever arrives until `until`; returns how many bytes that was.
    pub async fn take_unasked(&mut self, until: Instant) -> BenchResult<usize> {
        let mut taken = 0;
        loop {
            match timeout_at(until, self.channel.wait()).await {
                Err(_) => return Ok(taken),
                Ok(Some(ChannelMsg::Data { data })) => {
                    taken += data.len();
                    self.screen.process(&data);
                }
                Ok(Some(ChannelMsg::ExitStatus { .. } | ChannelMsg::Close | ChannelMsg::Eof))
                | Ok(None) => {
                    return Err(format!(
                        "session {}: the server ended the session",
                        self.index
                    ));
                }
                Ok(Some(_)) => {}
            }
        }
    }

    /// Waits until nothing has arrived for [`SETTLE`].
    /// Gives up after 20 quiet-periods' worth: on a chain, news from the other sites' desks
    /// may redraw the screen without a pause, and every session waits for every other
    /// before typing starts.
    pub async fn settle(&mut self) -> BenchResult<()> {
        for _ in 0..20 {
            if self.take_unasked(Instant::now() + SETTLE).await? == 0 {
                break;
            }
        }
        Ok(())
    }

    /// What the member search's box shows (`Find: …`), if the screen has one.
    /// Trailing spaces are left out (the box is padded with them).
    pub fn search_box(&self) -> Option<String> {
        let contents = self.screen.screen().contents();
        let line = contents.lines().find(|line| line.contains("Find: "))?;
        let (_, query) = line.split_once("Find: ")?;
        let query = query.trim_end_matches([' ', '│']);
        // An empty box shows its hint.
        if query == "phone, last 4 digits, plate, name or member number" {
            return Some(String::new());
        }
        Some(query.to_owned())
    }

    pub async fn press(&self, bytes: &[u8]) -> BenchResult<()> {
        self.channel
            .data(bytes)
            .await
            .map_err(|err| format!("session {}: sending a key failed: {err}", self.index))
    }
}

/// What one session measured.
pub struct Typed {
    /// What kind of lookup the session typed (phone, plate, …).
    pub kind: &'static str,
    pub latencies: Vec<Duration>,
    pub frame_bytes: usize,
    /// Bytes that arrived while the session was not waiting for a frame: a redraw nobody
    /// asked for would otherwise be taken for the next keystroke's frame.
    pub unasked_bytes: usize,
}

/// What a session types, one character a key, before erasing it again key by key.
pub struct Lookup {
    pub kind: &'static str,
    characters: Vec<String>,
}

impl Lookup {
    /// Sessions take the demo's sample lookups in turn (phone, last four digits, plate and
    /// name, for a Chinese and an English-named member), the searches the counter runs: name
    /// prefixes fill the results table, phone and plate prefixes find nothing until complete.
    pub fn for_session(lookups: &[DemoLookup], index: usize) -> Self {
        let lookup = &lookups[index % lookups.len()];
        Self {
            kind: lookup.kind.as_str(),
            characters: lookup.query.chars().map(String::from).collect(),
        }
    }

    pub fn keys_per_round(&self) -> usize {
        2 * self.characters.len()
    }

    /// The `n`th key: the query's characters one by one, then Backspace as often.
    pub fn key(&self, n: usize) -> &[u8] {
        match self.characters.get(n % self.keys_per_round()) {
            Some(character) => character.as_bytes(),
            None => &[BACKSPACE],
        }
    }

    /// What the search box holds after `keys` keys.
    pub fn query_after(&self, keys: usize) -> String {
        let in_round = keys % self.keys_per_round();
        let typed = in_round.min(self.keys_per_round() - in_round);
        self.characters[..typed].concat()
    }
}

pub async fn type_concurrently(
    mut terminal: Terminal,
    pace: Pace,
    lookups: Arc<Vec<DemoLookup>>,
    ready: Arc<Barrier>,
) -> BenchResult<Typed> {
    terminal.settle().await?;
    terminal.press(b"/").await?;
    terminal.frame_showing("Members").await?;
    terminal.settle().await?;
    ready.wait().await;

    let lookup = Lookup::for_session(&lookups, terminal.index);
    // Spread the sessions' keystrokes over the interval rather than all at the same instant.
    let offset = pace
        .key_interval
        .mul_f64(terminal.index as f64 / pace.sessions as f64);
    let mut next_key_at = Instant::now() + offset;
    let mut latencies = Vec::with_capacity(pace.keys_per_session);
    let mut frame_bytes = 0;
    let mut unasked_bytes = 0;
    for n in 0..pace.keys_per_session {
        unasked_bytes += terminal.take_unasked(next_key_at).await?;
        let sent = Instant::now();
        terminal.press(lookup.key(n)).await?;
        // The key's frame is the first whose search box holds the query as typed: a redraw
        // for news from elsewhere (a checkout at another desk or site) may arrive first.
        let expected = lookup.query_after(n + 1);
        loop {
            let (arrived, bytes) = terminal.next_frame().await?;
            frame_bytes += bytes;
            if terminal.search_box().as_deref() == Some(expected.trim_end()) {
                latencies.push(arrived - sent);
                break;
            }
            if arrived - sent > PATIENCE {
                return Err(format!(
                    "session {}: no frame showing the search for {:?} within {PATIENCE:?}",
                    terminal.index, expected
                ));
            }
        }
        next_key_at = sent + pace.key_interval;
    }

    let screen = terminal.screen.screen().contents();
    let query = lookup.query_after(pace.keys_per_session);
    if !screen.contains("Members") || (!query.is_empty() && !screen.contains(&query)) {
        return Err(format!(
            "session {}: the screen does not show the member search as typed:\n{screen}",
            terminal.index
        ));
    }
    Ok(Typed {
        kind: lookup.kind,
        latencies,
        frame_bytes,
        unasked_bytes,
    })
}

/// What one desk worker did while the sessions typed.
#[derive(Default)]
pub struct DeskTally {
    pub checkouts: u64,
    /// Walk-ins offered a later slot because every suitable bay was busy (given back).
    pub waits: u64,
    pub errors: Vec<String>,
}

/// The desk's own work beside a session: a walk-in for one of the shared members, checked out
/// at once by card, about once per `pace`; when every bay is busy the offered later slot is
/// given back. All workers use the same few members and bays, so they contend as two cashiers
/// serving one family would.
pub fn desk_worker(
    service: &Service,
    manager: &frontdesk::service::Session,
    members: &[RecordId],
    service_id: RecordId,
    index: usize,
    pace: Duration,
    stop: &AtomicBool,
) -> DeskTally {
    let mut tally = DeskTally::default();
    let mut turn = index;
    while !stop.load(Ordering::Relaxed) {
        let member = members[turn % members.len()];
        turn += 1;
        match service.walk_in(manager, Some(member), None, service_id) {
            Ok(booking) if matches!(booking.state, BookingState::CheckedIn { .. }) => {
                let paid = service.checkout(
                    manager,
                    CheckoutInput {
                        booking: Some(booking.id),
                        member: Some(member),
                        vehicle: None,
                        lines: Vec::new(),
                        discount: None,
                        adjustment_reason: None,
                        points: None,
                        payment: PaymentMethod::Card,
                        tenders: Vec::new(),
                        tip: Money::from_minor(0),
                    },
                );
                match paid {
                    Ok(_) => tally.checkouts += 1,
                    Err(err) => tally.errors.push(format!("checkout: {err}")),
                }
            }
            Ok(booking) => {
                tally.waits += 1;
                if let Err(err) = service.cancel_booking(manager, booking.id, "every bay busy") {
                    tally.errors.push(format!("cancel: {err}"));
                }
            }
            Err(err) => tally.errors.push(format!("walk-in: {err}")),
        }
        std::thread::sleep(pace);
    }
    tally
}

/// The nearest-rank percentile of sorted figures.
pub fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}
