//! One SSH client's screen: the same [`App`] as the counter terminal, run on its own thread.
//! Bytes from the client go through the terminal input parser; frames go back as bytes.
//! A panic here ends this session only: the client's terminal is put back and told why.

use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::style::ResetColor;
use crossterm::terminal::{Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, queue};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use tokio::sync::mpsc::UnboundedSender;

use super::colour_depth::{ColourDepth, ColourDepthBackend};
use super::terminal_input::TerminalInput;
use crate::service::{Service, Session};
use crate::transport::hub::{Hub, HubSignal};
use crate::transport::panic_guard;
use crate::ui::{App, AppEnv, Effect, Event};

const TICK: Duration = Duration::from_secs(1);
/// A lone ESC is the Esc key if nothing follows it this soon (a sequence arrives in one go).
const ESCAPE_WAIT: Duration = Duration::from_millis(30);

/// What the connection hands the session.
pub enum SessionInput {
    Bytes(Vec<u8>),
    Resize {
        width: u16,
        height: u16,
    },
    Task(crate::ui::tasks::TaskOutput),
    Hub(HubSignal),
    /// The client closed the channel or the connection dropped.
    Closed,
}

/// What the session sends back to the client.
pub enum Outgoing {
    Bytes(Vec<u8>),
    /// Put the terminal back, print `farewell`, and close with `exit_status`.
    Close {
        farewell: String,
        exit_status: u32,
    },
}

/// Called with every event before the app sees it, on the session's thread. Production
/// passes none; tests use it to make one session fail and watch the others carry on.
pub type EventInspector = Arc<dyn Fn(&Event) + Send + Sync>;

/// Everything a session thread needs.
pub struct SessionStart {
    pub env: AppEnv,
    pub service: Arc<Service>,
    pub session: Session,
    pub size: (u16, u16),
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

/// Collects what the backend writes and sends it as one message per frame.
struct ChannelWriter {
    pending: Vec<u8>,
    outgoing: UnboundedSender<Outgoing>,
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
        let frame = std::mem::take(&mut self.pending);
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
}

impl SessionScreen {
    fn new(
        start: SessionStart,
        inbox: Sender<SessionInput>,
        outgoing: UnboundedSender<Outgoing>,
    ) -> io::Result<Self> {
        let mut writer = ChannelWriter {
            pending: Vec::new(),
            outgoing,
        };
        queue!(
            writer,
            EnterAlternateScreen,
            EnableBracketedPaste,
            cursor::Hide,
            Clear(ClearType::All)
        )?;
        writer.flush()?;
        let backend = ColourDepthBackend::new(CrosstermBackend::new(writer), start.colour_depth);
        let (width, height) = start.size;
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
        };
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
            if self.app.take_dirty() {
                let app = &self.app;
                self.terminal.draw(|frame| app.render(frame))?;
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

    /// Turns one message into app events; `Some` when the session must end.
    fn take(
        &mut self,
        message: SessionInput,
        events: &mut Vec<Event>,
    ) -> io::Result<Option<Ending>> {
        match message {
            SessionInput::Bytes(bytes) => events.extend(self.input.feed(&bytes)),
            SessionInput::Resize { width, height } => {
                self.terminal
                    .resize(Rect::new(0, 0, width.max(1), height.max(1)))?;
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
