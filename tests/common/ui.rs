//! Driving the real UI state machine by key events, as a person at the counter would, with
//! tasks run inline and frames drawn on ratatui's `TestBackend`.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use frontdesk::audit::Origin;
use frontdesk::entropy::SeededEntropy;
use frontdesk::service::Service;
use frontdesk::ui::keymap::Keymap;
use frontdesk::ui::theme::Theme;
use frontdesk::ui::{App, AppEnv, Effect, Event};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use super::{CASHIER, CASHIER_PASSWORD, ClockExt, MANAGER, MANAGER_PASSWORD, Shop, phone_code};

pub struct Desk {
    pub app: App,
    pub width: u16,
    pub height: u16,
    /// Effects other than tasks (quit, broadcast), in order.
    pub effects: Vec<String>,
}

pub fn env_for(shop: &Shop, theme: Option<&str>) -> AppEnv {
    AppEnv {
        clock: shop.clock.clone(),
        entropy: Arc::new(SeededEntropy::new(7)),
        data_dir: shop.dir.path().to_path_buf(),
        origin: Origin::Local,
        keymap: Keymap::defaults(),
        forced_theme: theme.and_then(Theme::built_in),
        theme_dir: None,
        startup_notices: Vec::new(),
        ssh_server: None,
        quit_when_session_ends: false,
    }
}

impl Desk {
    /// The login screen of `shop`, 100×30 unless resized.
    pub fn at_login(shop: &Shop) -> Self {
        Self::from_app(App::login(env_for(shop, None), shop.service.clone()))
    }

    pub fn from_app(app: App) -> Self {
        let mut desk = Self {
            app,
            width: 100,
            height: 30,
            effects: Vec::new(),
        };
        desk.send(Event::Resize(100, 30));
        desk
    }

    pub fn service(&self) -> &Arc<Service> {
        self.app.service().expect("a shop exists")
    }

    /// Handles an event and runs every task it starts to completion, inline.
    pub fn send(&mut self, event: Event) {
        let mut queue = vec![event];
        while let Some(event) = queue.pop() {
            for effect in self.app.handle(event) {
                match effect {
                    Effect::Run(task) => queue.push(Event::Task(task.run())),
                    Effect::Broadcast => self.effects.push("broadcast".into()),
                    Effect::Quit => self.effects.push("quit".into()),
                }
            }
        }
    }

    pub fn key(&mut self, code: KeyCode) {
        self.send(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    pub fn ctrl(&mut self, c: char) {
        self.send(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        )));
    }

    pub fn enter(&mut self) {
        self.key(KeyCode::Enter);
    }

    pub fn esc(&mut self) {
        self.key(KeyCode::Esc);
    }

    pub fn tab(&mut self) {
        self.key(KeyCode::Tab);
    }

    /// Types text one key at a time.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            let modifiers = if c.is_ascii_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            self.send(Event::Key(KeyEvent::new(KeyCode::Char(c), modifiers)));
        }
    }

    /// Waits for the background name index and lets the app notice, so frames do not
    /// depend on how fast the index thread was.
    pub fn settle(&mut self) {
        self.service().wait_for_name_index();
        self.tick();
    }

    pub fn tick(&mut self) {
        self.send(Event::Tick);
    }

    /// Logs in through the login screen: user name, password, code, Enter between each.
    pub fn log_in(&mut self, username: &str, password: &str, code: &str) {
        self.type_text(username);
        self.enter();
        self.type_text(password);
        self.enter();
        self.type_text(code);
        self.enter();
    }

    pub fn resize(&mut self, width: u16, height: u16) {
        self.width = width;
        self.height = height;
        self.send(Event::Resize(width, height));
    }

    pub fn buffer(&self) -> Buffer {
        let mut terminal =
            Terminal::new(TestBackend::new(self.width, self.height)).expect("test terminal");
        frontdesk::ui::text::take_cut_messages();
        terminal.draw(|frame| self.app.render(frame)).expect("draw");
        let buffer = terminal.backend().buffer().clone();
        // Every frame the UI tests draw is checked: a notice, refusal or field error that had
        // to be cut for want of rows fails the test that drew it.
        assert_eq!(
            frontdesk::ui::text::take_cut_messages(),
            0,
            "a message was cut at {}×{}:\n{}",
            self.width,
            self.height,
            buffer_text(&buffer)
        );
        buffer
    }

    /// The frame as text, one line per row, trailing spaces trimmed, wide characters once.
    pub fn screen(&self) -> String {
        buffer_text(&self.buffer())
    }
}

pub fn buffer_text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut x = 0;
        while x < area.width {
            let symbol = buffer[(x, y)].symbol();
            line.push_str(symbol);
            // A wide character covers the next cell too; that cell holds no text of its own.
            x += u16::try_from(unicode_width::UnicodeWidthStr::width(symbol).max(1)).unwrap_or(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

impl Shop {
    /// A desk logged in as the manager through the login screen.
    pub fn manager_desk(&self) -> Desk {
        let mut desk = Desk::at_login(self);
        let code = phone_code(&self.manager_secret, self.clock.now_for_tests());
        desk.log_in(MANAGER, MANAGER_PASSWORD, &code);
        self.next_step();
        assert!(
            desk.app.is_logged_in(),
            "manager login failed:\n{}",
            desk.screen()
        );
        desk
    }

    /// A desk logged in as the cashier (see `add_cashier`).
    pub fn cashier_desk(&self, cashier_secret: &[u8]) -> Desk {
        let mut desk = Desk::at_login(self);
        let code = phone_code(cashier_secret, self.clock.now_for_tests());
        desk.log_in(CASHIER, CASHIER_PASSWORD, &code);
        self.next_step();
        assert!(
            desk.app.is_logged_in(),
            "cashier login failed:\n{}",
            desk.screen()
        );
        desk
    }
}
