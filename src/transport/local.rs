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

use crate::ui::{App, Effect, Event};

const TICK: Duration = Duration::from_secs(1);

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

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}

/// Runs `app` on this terminal until it asks to quit.
pub fn run(mut app: App) -> io::Result<()> {
    install_panic_hook();
    enable_raw_mode()?;
    if let Err(err) = execute!(io::stdout(), EnterAlternateScreen, EnableBracketedPaste) {
        restore_terminal();
        return Err(err);
    }
    let result = CrosstermBackend::new(io::stdout());
    let outcome = match Terminal::new(result) {
        Ok(terminal) => event_loop(&mut app, terminal),
        Err(err) => Err(err),
    };
    restore_terminal();
    outcome
}

fn spawn_input_reader(events: Sender<Event>) {
    std::thread::spawn(move || {
        loop {
            let event = match event::read() {
                Ok(TermEvent::Key(key)) => Event::Key(key),
                Ok(TermEvent::Paste(text)) => Event::Paste(text),
                Ok(TermEvent::Resize(width, height)) => Event::Resize(width, height),
                Ok(_) => continue,
                Err(_) => break,
            };
            if events.send(event).is_err() {
                break;
            }
        }
    });
}

fn event_loop(app: &mut App, mut terminal: Terminal<CrosstermBackend<Stdout>>) -> io::Result<()> {
    let (sender, receiver): (Sender<Event>, Receiver<Event>) = mpsc::channel();
    spawn_input_reader(sender.clone());
    let size = terminal.size()?;
    run_effects(app.handle(Event::Resize(size.width, size.height)), &sender);
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
        let mut batch: Vec<Event> = first.into_iter().collect();
        batch.extend(receiver.try_iter());
        if Instant::now() >= next_tick {
            batch.push(Event::Tick);
            next_tick = Instant::now() + TICK;
        }
        for event in batch {
            let effects = app.handle(event);
            if run_effects(effects, &sender) {
                return Ok(());
            }
        }
    }
}

/// Starts tasks on worker threads; returns whether the app asked to quit.
fn run_effects(effects: Vec<Effect>, sender: &Sender<Event>) -> bool {
    let mut quit = false;
    for effect in effects {
        match effect {
            Effect::Run(task) => {
                let sender = sender.clone();
                std::thread::spawn(move || {
                    let output = task.run();
                    let _ = sender.send(Event::Task(output));
                });
            }
            // One local session: nothing else to tell.
            Effect::Broadcast => {}
            Effect::Quit => quit = true,
        }
    }
    quit
}
