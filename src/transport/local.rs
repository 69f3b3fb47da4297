//! The counter terminal: crossterm in raw mode on this process's own tty. Reads events on a
//! thread, runs slow tasks on workers, and draws once per batch of events when something
//! changed.

use std::io::{self, Stdout};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crossterm::event::{self, DisableBracketedPaste, EnableBracketedPaste, Event as TermEvent};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::hub::{Hub, HubSignal, Subscription};
use super::panic_guard;
use crate::ui::{App, Effect, Event};

const TICK: Duration = Duration::from_secs(1);

enum Inbox {
    Ui(Event),
    /// `frontdesk serve` is stopping.
    Shutdown,
}

/// Puts the terminal back as it was: on normal exit, on error, and from the panic hook.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Runs `app` on this terminal until it asks to quit, or, under `frontdesk serve`, until the
/// server stops; `hub` carries changes made by the SSH sessions.
pub fn run(mut app: App, hub: Option<&Hub>) -> io::Result<()> {
    panic_guard::install();
    panic_guard::mark_local_terminal_thread();
    enable_raw_mode()?;
    if let Err(err) = execute!(io::stdout(), EnterAlternateScreen, EnableBracketedPaste) {
        restore_terminal();
        return Err(err);
    }
    let result = CrosstermBackend::new(io::stdout());
    let outcome = match Terminal::new(result) {
        Ok(terminal) => event_loop(&mut app, terminal, hub),
        Err(err) => Err(err),
    };
    restore_terminal();
    panic_guard::local_terminal_released();
    outcome
}

fn spawn_input_reader(events: Sender<Inbox>) {
    std::thread::spawn(move || {
        loop {
            let event = match event::read() {
                Ok(TermEvent::Key(key)) => Event::Key(key),
                Ok(TermEvent::Paste(text)) => Event::Paste(text),
                Ok(TermEvent::Resize(width, height)) => Event::Resize(width, height),
                Ok(_) => continue,
                Err(_) => break,
            };
            if events.send(Inbox::Ui(event)).is_err() {
                break;
            }
        }
    });
}

fn event_loop(
    app: &mut App,
    mut terminal: Terminal<CrosstermBackend<Stdout>>,
    hub: Option<&Hub>,
) -> io::Result<()> {
    let (sender, receiver): (Sender<Inbox>, Receiver<Inbox>) = mpsc::channel();
    spawn_input_reader(sender.clone());
    let subscription = hub.map(|hub| {
        let sender = sender.clone();
        hub.subscribe(move |signal| {
            let message = match signal {
                HubSignal::StoreChanged => Inbox::Ui(Event::StoreChanged),
                HubSignal::Shutdown => Inbox::Shutdown,
            };
            let _ = sender.send(message);
        })
    });
    let size = terminal.size()?;
    run_effects(
        app.handle(Event::Resize(size.width, size.height)),
        &sender,
        subscription.as_ref(),
    );
    let mut next_tick = Instant::now() + TICK;
    loop {
        if app.take_dirty() {
            terminal.draw(|frame| app.render(frame))?;
        }
        let timeout = next_tick.saturating_duration_since(Instant::now());
        let first = match receiver.recv_timeout(timeout) {
            Ok(event) => Some(event),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        let mut batch: Vec<Inbox> = first.into_iter().collect();
        batch.extend(receiver.try_iter());
        if Instant::now() >= next_tick {
            batch.push(Inbox::Ui(Event::Tick));
            next_tick = Instant::now() + TICK;
        }
        for message in batch {
            let event = match message {
                Inbox::Ui(event) => event,
                Inbox::Shutdown => {
                    app.end_for_shutdown();
                    return Ok(());
                }
            };
            let effects = app.handle(event);
            if run_effects(effects, &sender, subscription.as_ref()) {
                return Ok(());
            }
        }
    }
}

/// Starts tasks on worker threads; returns whether the app asked to quit.
fn run_effects(
    effects: Vec<Effect>,
    sender: &Sender<Inbox>,
    subscription: Option<&Subscription>,
) -> bool {
    let mut quit = false;
    for effect in effects {
        match effect {
            Effect::Run(task) => {
                let sender = sender.clone();
                std::thread::spawn(move || {
                    let output = task.run();
                    let _ = sender.send(Inbox::Ui(Event::Task(output)));
                });
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
