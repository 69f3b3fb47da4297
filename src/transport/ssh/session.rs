//! One SSH client's screen: the same [`App`] as the counter terminal, run on its own thread.
//! Bytes from the client go through the terminal input parser; frames go back as bytes.
//! A panic here ends this session only: the client's terminal is put back and told why.

use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::style::ResetColor;
use crossterm::terminal::{Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, queue};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::{Terminal, TerminalOptions, Viewport};
use tokio::sync::mpsc::UnboundedSender;

use super::colour_depth::{ColourDepth, ColourDepthBackend};
use super::terminal_input::TerminalInput;
use crate::service::{Service, Session};
use crate::transport::hub::{Hub, HubSignal};
use crate::transport::panic_guard;
use crate::ui::i18n::Language;
use crate::ui::{App, AppEnv, Effect, Event};

const TICK: Duration = Duration::from_secs(1);
/// A lone ESC is the Esc key if nothing follows it this soon (a sequence arrives in one go).
const ESCAPE_WAIT: Duration = Duration::from_millis(30);

/// The largest window a session draws: every cell costs memory on the server twice over
/// (this frame and the last), so a client asking for more gets the top-left part this big.
pub const MAX_WIDTH: u16 = 500;
pub const MAX_HEIGHT: u16 = 200;
/// How long the "window capped" line shows, in ticks (seconds).
const CAPPED_NOTICE_TICKS: u32 = 10;
const CAPPED_NOTICE: &str = "This window is larger than frontdesk draws: it uses {width}×{height}.";

/// Frame bytes on their way to one client. A client that stops reading has frames dropped
/// past this much (one frame always goes), and gets its whole screen again once it reads.
const MAX_BYTES_IN_FLIGHT: usize = 2 * 1024 * 1024;

/// A window size as the session uses it, and whether the client asked for more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSize {
    pub width: u16,
    pub height: u16,
    pub capped: bool,
}

impl WindowSize {
    /// What a client asked for (pty-req or window-change), within 1 and the caps.
    pub fn requested(columns: u32, rows: u32) -> Self {
        let width = columns.clamp(1, u32::from(MAX_WIDTH));
        let height = rows.clamp(1, u32::from(MAX_HEIGHT));
        Self {
            // Both fit in u16 after the clamp.
            width: u16::try_from(width).unwrap_or(MAX_WIDTH),
            height: u16::try_from(height).unwrap_or(MAX_HEIGHT),
            capped: columns > u32::from(MAX_WIDTH) || rows > u32::from(MAX_HEIGHT),
        }
    }
}

/// What the connection hands the session.
pub enum SessionInput {
    Bytes(Vec<u8>),
    Resize(WindowSize),
    Task(crate::ui::tasks::TaskOutput),
    Hub(HubSignal),
    /// The client closed the channel or the connection dropped.
    Closed,
}

/// What the session sends back to the client.
pub enum Outgoing {
    Bytes(Frame),
    /// Put the terminal back, print `farewell`, and close with `exit_status`.
    Close {
        farewell: String,
        exit_status: u32,
    },
}

/// One frame's bytes; counted as in flight until dropped (after it is handed to the client's
/// connection).
pub struct Frame {
    pub bytes: Vec<u8>,
    in_flight: Arc<AtomicUsize>,
    counted: usize,
}

impl Drop for Frame {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(self.counted, Ordering::SeqCst);
    }
}

/// Called with every event before the app sees it, on the session's thread. Production
/// passes none; tests use it to make one session fail and watch the others carry on.
pub type EventInspector = Arc<dyn Fn(&Event) + Send + Sync>;

/// Everything a session thread needs.
pub struct SessionStart {
    pub env: AppEnv,
    pub service: Arc<Service>,
    pub session: Session,
    pub size: WindowSize,
    pub colour_depth: ColourDepth,
    pub hub: Hub,
    pub inspector: Option<EventInspector>,
    pub label: String,
}

/// Starts the session on its own thread; returns where to send its input.
pub fn spawn(
    start: SessionStart,
    outgoing: UnboundedSender<Outgoing>,
) -> io::Result<Sender<SessionInput>> {
    let (sender, receiver) = mpsc::channel();
    let inbox = sender.clone();
    std::thread::Builder::new()
        .name(format!("ssh-session {}", start.label))
        .spawn(move || run(start, inbox, receiver, outgoing))?;
    Ok(sender)
}

fn run(
    start: SessionStart,
    inbox: Sender<SessionInput>,
    receiver: Receiver<SessionInput>,
    outgoing: UnboundedSender<Outgoing>,
) {
    panic_guard::mark_ssh_session_thread();
    let service = start.service.clone();
    let session = start.session.clone();
    let hub_inbox = inbox.clone();
    let subscription = start.hub.subscribe(move |signal| {
        let _ = hub_inbox.send(SessionInput::Hub(signal));
    });
    let sink = outgoing.clone();
    let outcome = panic::catch_unwind(AssertUnwindSafe(move || {
        let mut screen = SessionScreen::new(start, inbox, sink)?;
        screen.event_loop(&receiver, &subscription)
    }));
    let close = match outcome {
        Ok(Ok(ending)) => ending.into_close(),
        Ok(Err(err)) => Outgoing::Close {
            farewell: format!(
                "frontdesk could not draw your screen ({err}); your work up to the last screen is saved. Connect again."
            ),
            exit_status: 1,
        },
        Err(_) => {
            // The app may have died holding the session; end it so it cannot be reused.
            let _ = service.logout(&session);
            Outgoing::Close {
                farewell: "frontdesk hit an internal error and closed this session; the server and other sessions carry on. Your saved work is safe; connect again.".to_owned(),
                exit_status: 1,
            }
        }
    };
    let _ = outgoing.send(close);
}

enum Ending {
    Quit,
    ClientGone,
    Shutdown,
}

impl Ending {
    fn into_close(self) -> Outgoing {
        let (farewell, exit_status) = match self {
            Ending::Quit | Ending::ClientGone => ("", 0),
            Ending::Shutdown => (
                "frontdesk is shutting down; your work is saved. Connect again when it is back.",
                0,
            ),
        };
        Outgoing::Close {
            farewell: farewell.to_owned(),
            exit_status,
        }
    }
}

/// Collects what the backend writes and sends it as one message per frame; drops frames
/// while the client is too far behind.
struct ChannelWriter {
    pending: Vec<u8>,
    outgoing: UnboundedSender<Outgoing>,
    in_flight: Arc<AtomicUsize>,
    /// Set when a frame was dropped: the client's screen no longer matches ours.
    dropped: Arc<AtomicBool>,
}

impl ChannelWriter {
    fn new(outgoing: UnboundedSender<Outgoing>) -> Self {
        Self {
            pending: Vec::new(),
            outgoing,
            in_flight: Arc::default(),
            dropped: Arc::default(),
        }
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let bytes = std::mem::take(&mut self.pending);
        let queued = self.in_flight.load(Ordering::SeqCst);
        if queued > 0 && queued + bytes.len() > MAX_BYTES_IN_FLIGHT {
            self.dropped.store(true, Ordering::SeqCst);
            return Ok(());
        }
        self.in_flight.fetch_add(bytes.len(), Ordering::SeqCst);
        let frame = Frame {
            counted: bytes.len(),
            bytes,
            in_flight: self.in_flight.clone(),
        };
        self.outgoing
            .send(Outgoing::Bytes(frame))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client has gone"))
    }
}

type SessionTerminal = Terminal<ColourDepthBackend<CrosstermBackend<ChannelWriter>>>;

struct SessionScreen {
    app: App,
    terminal: SessionTerminal,
    input: TerminalInput,
    inbox: Sender<SessionInput>,
    inspector: Option<EventInspector>,
    in_flight: Arc<AtomicUsize>,
    dropped: Arc<AtomicBool>,
    /// Ticks left to show that the client's window was capped.
    capped_notice: u32,
    /// Draw the next frame even if the app has not changed (the notice line came or went).
    force_draw: bool,
}

impl SessionScreen {
    fn new(
        start: SessionStart,
        inbox: Sender<SessionInput>,
        outgoing: UnboundedSender<Outgoing>,
    ) -> io::Result<Self> {
        let mut writer = ChannelWriter::new(outgoing);
        let (in_flight, dropped) = (writer.in_flight.clone(), writer.dropped.clone());
        queue!(
            writer,
            EnterAlternateScreen,
            EnableBracketedPaste,
            cursor::Hide,
            Clear(ClearType::All)
        )?;
        writer.flush()?;
        let backend = ColourDepthBackend::new(CrosstermBackend::new(writer), start.colour_depth);
        let WindowSize { width, height, .. } = start.size;
        let terminal = Terminal::with_options(
            backend,
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
            },
        )?;
        let (app, effects) = App::for_session(start.env, start.service, start.session);
        let mut screen = Self {
            app,
            terminal,
            input: TerminalInput::new(),
            inbox,
            inspector: start.inspector,
            in_flight,
            dropped,
            capped_notice: 0,
            force_draw: false,
        };
        screen.note_capped(start.size);
        let mut effects = effects;
        effects.extend(screen.app.handle(Event::Resize(width, height)));
        // Effects before the first frame are tasks only; nothing can ask to quit yet.
        screen.run_effects(effects, None);
        Ok(screen)
    }

    fn event_loop(
        &mut self,
        receiver: &Receiver<SessionInput>,
        subscription: &crate::transport::hub::Subscription,
    ) -> io::Result<Ending> {
        let mut next_tick = Instant::now() + TICK;
        loop {
            let mut redraw = self.app.take_dirty() | std::mem::take(&mut self.force_draw);
            if self.dropped.load(Ordering::SeqCst) && self.in_flight.load(Ordering::SeqCst) == 0 {
                // The client caught up after frames were dropped: send it everything again.
                self.dropped.store(false, Ordering::SeqCst);
                self.terminal.clear()?;
                redraw = true;
            }
            if redraw {
                self.draw()?;
            }
            let mut deadline = next_tick;
            if self.input.has_pending() {
                deadline = deadline.min(Instant::now() + ESCAPE_WAIT);
            }
            let timeout = deadline.saturating_duration_since(Instant::now());
            let mut events = Vec::new();
            match receiver.recv_timeout(timeout) {
                Ok(message) => {
                    if let Some(ending) = self.take(message, &mut events)? {
                        return Ok(ending);
                    }
                    for message in receiver.try_iter() {
                        if let Some(ending) = self.take(message, &mut events)? {
                            return Ok(ending);
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => events.extend(self.input.flush()),
                Err(RecvTimeoutError::Disconnected) => return Ok(Ending::ClientGone),
            }
            if Instant::now() >= next_tick {
                events.push(Event::Tick);
                next_tick = Instant::now() + TICK;
                if self.capped_notice > 0 {
                    self.capped_notice -= 1;
                    if self.capped_notice == 0 {
                        self.force_draw = true;
                    }
                }
            }
            for event in events {
                if let Some(inspect) = &self.inspector {
                    inspect(&event);
                }
                let effects = self.app.handle(event);
                if self.run_effects(effects, Some(subscription)) {
                    return Ok(Ending::Quit);
                }
            }
        }
    }

    fn draw(&mut self) -> io::Result<()> {
        let app = &self.app;
        let capped = (self.capped_notice > 0).then(|| capped_notice(app.language()));
        self.terminal.draw(|frame| {
            app.render(frame);
            if let Some(text) = capped {
                let area = frame.area();
                let line = Rect::new(area.x, area.bottom().saturating_sub(1), area.width, 1);
                frame.render_widget(
                    Paragraph::new(Line::from(text))
                        .style(Style::default().add_modifier(Modifier::REVERSED)),
                    line,
                );
            }
        })?;
        Ok(())
    }

    fn note_capped(&mut self, size: WindowSize) {
        self.capped_notice = if size.capped { CAPPED_NOTICE_TICKS } else { 0 };
        // The app may not change at all; the notice line still has to appear or go.
        self.force_draw = true;
    }

    /// Turns one message into app events; `Some` when the session must end.
    fn take(
        &mut self,
        message: SessionInput,
        events: &mut Vec<Event>,
    ) -> io::Result<Option<Ending>> {
        match message {
            SessionInput::Bytes(bytes) => events.extend(self.input.feed(&bytes)),
            SessionInput::Resize(size) => {
                let WindowSize { width, height, .. } = size;
                self.terminal.resize(Rect::new(0, 0, width, height))?;
                self.note_capped(size);
                events.push(Event::Resize(width, height));
            }
            SessionInput::Task(output) => events.push(Event::Task(output)),
            SessionInput::Hub(HubSignal::StoreChanged) => events.push(Event::StoreChanged),
            SessionInput::Hub(HubSignal::Shutdown) => {
                self.app.end_for_shutdown();
                return Ok(Some(Ending::Shutdown));
            }
            SessionInput::Closed => {
                self.app.end_for_shutdown();
                return Ok(Some(Ending::ClientGone));
            }
        }
        Ok(None)
    }

    /// Starts tasks on worker threads and tells the other sessions about changes; returns
    /// whether the app asked to quit.
    fn run_effects(
        &mut self,
        effects: Vec<Effect>,
        subscription: Option<&crate::transport::hub::Subscription>,
    ) -> bool {
        let mut quit = false;
        for effect in effects {
            match effect {
                Effect::Run(task) => {
                    let inbox = self.inbox.clone();
                    let spawned = std::thread::Builder::new()
                        .name("ssh-session task".to_owned())
                        .spawn(move || {
                            panic_guard::mark_ssh_session_thread();
                            let output = task.run();
                            let _ = inbox.send(SessionInput::Task(output));
                        });
                    if spawned.is_err() {
                        // Without a thread the task cannot run; the app keeps its spinner
                        // until the session ends, which beats taking the server down.
                        continue;
                    }
                }
                Effect::Broadcast => {
                    if let Some(subscription) = subscription {
                        subscription.store_changed();
                    }
                }
                Effect::Quit => quit = true,
            }
        }
        quit
    }
}

fn capped_notice(lang: Language) -> String {
    lang.fill(
        CAPPED_NOTICE,
        &[
            ("width", &MAX_WIDTH.to_string()),
            ("height", &MAX_HEIGHT.to_string()),
        ],
    )
}

/// The bytes that put a client's terminal back as it was before the session drew on it.
pub fn restore_sequence(farewell: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = queue!(
        bytes,
        ResetColor,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    if !farewell.is_empty() {
        bytes.extend_from_slice(farewell.as_bytes());
        bytes.extend_from_slice(b"\r\n");
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_sizes_are_kept_within_the_caps() {
        assert_eq!(
            WindowSize::requested(1000, 1000),
            WindowSize {
                width: MAX_WIDTH,
                height: MAX_HEIGHT,
                capped: true
            }
        );
        assert_eq!(
            WindowSize::requested(u32::MAX, 30),
            WindowSize {
                width: MAX_WIDTH,
                height: 30,
                capped: true
            }
        );
        assert_eq!(
            WindowSize::requested(100, 30),
            WindowSize {
                width: 100,
                height: 30,
                capped: false
            }
        );
        assert_eq!(
            WindowSize::requested(0, 0),
            WindowSize {
                width: 1,
                height: 1,
                capped: false
            }
        );
    }

    #[test]
    fn the_capped_notice_is_translated() {
        let english = capped_notice(Language::English);
        assert!(english.contains("500×200"), "{english}");
        let chinese = capped_notice(Language::SimplifiedChinese);
        assert_ne!(chinese, english);
        assert!(chinese.contains("500×200"), "{chinese}");
    }

    fn frame_of(len: usize) -> Vec<u8> {
        vec![b'x'; len]
    }

    #[test]
    fn a_client_that_stops_reading_has_frames_dropped_then_gets_a_whole_screen() {
        let (outgoing, mut sent) = tokio::sync::mpsc::unbounded_channel();
        let mut writer = ChannelWriter::new(outgoing);
        // A frame bigger than the whole allowance still goes when nothing else is queued.
        writer
            .write_all(&frame_of(MAX_BYTES_IN_FLIGHT + 10))
            .unwrap();
        writer.flush().unwrap();
        let Ok(Outgoing::Bytes(big)) = sent.try_recv() else {
            panic!("the first frame is sent");
        };
        assert_eq!(big.bytes.len(), MAX_BYTES_IN_FLIGHT + 10);
        // While it is in flight, more frames are dropped, however many the session draws.
        for _ in 0..100 {
            writer.write_all(&frame_of(1000)).unwrap();
            writer.flush().unwrap();
        }
        assert!(sent.try_recv().is_err(), "nothing more was queued");
        assert!(writer.dropped.load(Ordering::SeqCst));
        // Once the client has taken it, frames flow again.
        drop(big);
        assert_eq!(writer.in_flight.load(Ordering::SeqCst), 0);
        writer.write_all(&frame_of(1000)).unwrap();
        writer.flush().unwrap();
        assert!(matches!(sent.try_recv(), Ok(Outgoing::Bytes(_))));
    }

    #[test]
    fn small_frames_queue_up_to_the_allowance() {
        let (outgoing, mut sent) = tokio::sync::mpsc::unbounded_channel();
        let mut writer = ChannelWriter::new(outgoing);
        let frame = MAX_BYTES_IN_FLIGHT / 4;
        for _ in 0..10 {
            writer.write_all(&frame_of(frame)).unwrap();
            writer.flush().unwrap();
        }
        let mut queued = Vec::new();
        while let Ok(message) = sent.try_recv() {
            queued.push(message);
        }
        assert_eq!(queued.len(), 4);
        assert!(writer.dropped.load(Ordering::SeqCst));
    }
}
