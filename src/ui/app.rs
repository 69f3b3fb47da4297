//! The app: one session's whole UI as a state machine. Events go in ([`App::handle`]), effects
//! come out (tasks to run, quit), and [`App::render`] draws the state without side effects.
//! Nothing here knows which terminal or transport it runs on.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Timelike, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use secrecy::SecretString;

use super::actions::Action;
use super::i18n::Language;
use super::keymap::{KeyContext, Keymap};
use super::overlays::{HelpOverlay, Overlay, PaletteOverlay, PromptOverlay, manager_only};
use super::screens::lock::LockScreen;
use super::screens::login::{LoginScreen, LoginSubmit};
use super::screens::password::ChangePasswordView;
use super::screens::preferences::PreferencesView;
use super::screens::setup::{SetupStep, SetupWizard};
use super::screens::{self, ScreenKind};
use super::tasks::{Task, TaskOutput};
use super::text::{fit_message, safe, wrap};
use super::theme::Theme;
use super::view::{
    Command, Cx, Handled, PromptAnswer, RenderCx, ShopContext, View, describe_error,
};
use crate::audit::Origin;
use crate::clock::Clock;
use crate::domain::access::Role;
use crate::entropy::Entropy;
use crate::service::{
    AlertCounts, LoginRequest, SecondFactor, Service, ServiceError, Session, SessionStatus,
};

/// The smallest terminal the layout is designed for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// How long a notice stays in the status line, in ticks (seconds).
const NOTICE_TICKS: u32 = 6;

pub enum Event {
    Key(KeyEvent),
    Paste(String),
    Resize(u16, u16),
    /// About once a second: idle lock, clocks, notices, progress.
    Tick,
    Task(TaskOutput),
    /// The store was changed by another session of the same process.
    StoreChanged,
}

/// Keys and pastes may be a password being typed, so only their shape is shown.
impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Key(key) => match key.code {
                KeyCode::Char(_) => write!(f, "Key(<character>, {:?})", key.modifiers),
                code => write!(f, "Key({code:?}, {:?})", key.modifiers),
            },
            Event::Paste(text) => write!(f, "Paste({} chars)", text.chars().count()),
            Event::Resize(width, height) => write!(f, "Resize({width}, {height})"),
            Event::Tick => f.write_str("Tick"),
            Event::Task(output) => write!(f, "Task({output:?})"),
            Event::StoreChanged => f.write_str("StoreChanged"),
        }
    }
}

#[derive(Debug)]
pub enum Effect {
    Run(Box<Task>),
    /// Tell every other session the store changed.
    Broadcast,
    Quit,
}

/// What the transport gives the app: the injected clock and randomness, where the data lives,
/// who is connecting, and the look chosen on the command line.
pub struct AppEnv {
    pub clock: Arc<dyn Clock>,
    pub entropy: Arc<dyn Entropy>,
    pub data_dir: PathBuf,
    pub origin: Origin,
    pub keymap: Keymap,
    /// `--theme`, or mono under `NO_COLOR`; wins over the staff preference.
    pub forced_theme: Option<Theme>,
    /// Where user theme files live (`<config>/themes`).
    pub theme_dir: Option<PathBuf>,
    /// Problems found while loading configuration, shown once at start.
    pub startup_notices: Vec<String>,
    /// Set when this process serves SSH, so managers can check the host key clients see.
    pub ssh_server: Option<SshServerInfo>,
    /// An SSH session belongs to the login made at the SSH layer: when that ends, the
    /// connection closes instead of showing a login screen to whoever holds it.
    pub quit_when_session_ends: bool,
}

/// What a manager needs to tell staff connecting from home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshServerInfo {
    /// `SHA256:…`, as OpenSSH prints it on first connection.
    pub host_key_fingerprint: String,
    /// The address the server listens on, such as `0.0.0.0:2222`.
    pub listen: String,
}

enum Phase {
    Setup(Box<SetupWizard>),
    Login(LoginScreen),
    Desk(Box<Desk>),
}

struct Desk {
    session: Session,
    username: String,
    role: Role,
    stack: Vec<Box<dyn View>>,
    lock: Option<LockScreen>,
}

struct Notice {
    text: String,
    is_error: bool,
    ticks_left: u32,
}

pub struct App {
    env: AppEnv,
    service: Option<Arc<Service>>,
    shop: ShopContext,
    phase: Phase,
    overlay: Option<Overlay>,
    notice: Option<Notice>,
    theme: Theme,
    lang: Language,
    privacy_blank: bool,
    size: (u16, u16),
    running: Vec<&'static str>,
    spinner: usize,
    name_index_ready: bool,
    last_minute: u32,
    /// The open-alert counters for a manager's status bar, read in the state update (never
    /// while drawing); `None` for a cashier.
    alerts: Option<AlertCounts>,
    dirty: bool,
}

fn shop_context(service: &Service) -> ShopContext {
    match service.settings() {
        Ok(settings) => ShopContext {
            tz: settings.timezone.parse().unwrap_or(chrono_tz::UTC),
            shop_name: safe(&settings.shop_name).into_owned(),
            currency: settings.currency,
            demo: settings.demo,
            site_name: service
                .chain_site_name()
                .ok()
                .flatten()
                .map(|name| safe(&name).into_owned()),
        },
        Err(_) => ShopContext::placeholder(),
    }
}

impl ShopContext {
    /// Before a shop exists (the setup wizard).
    pub fn placeholder() -> Self {
        Self {
            shop_name: "frontdesk".to_owned(),
            tz: chrono_tz::UTC,
            currency: crate::domain::currency::Currency::default(),
            demo: false,
            site_name: None,
        }
    }
}

impl App {
    /// First run: no store yet, so the setup wizard.
    pub fn setup(env: AppEnv) -> Self {
        let wizard = SetupWizard::new(env.data_dir.display().to_string());
        Self::with_phase(env, None, Phase::Setup(Box::new(wizard)))
    }

    /// A shop exists: the login screen, or the setup wizard again when it stopped before
    /// the owner set up their authenticator.
    pub fn login(env: AppEnv, service: Arc<Service>) -> Self {
        let phase = match service.unfinished_setup() {
            Ok(Some(unfinished)) => Phase::Setup(Box::new(SetupWizard::resume(
                env.data_dir.display().to_string(),
                unfinished.owner_username,
            ))),
            _ => Phase::Login(LoginScreen::new()),
        };
        Self::with_phase(env, Some(service), phase)
    }

    /// A session already logged in elsewhere (at the SSH layer): straight to the desk.
    pub fn for_session(
        env: AppEnv,
        service: Arc<Service>,
        session: Session,
    ) -> (Self, Vec<Effect>) {
        let mut app = Self::login(env, service);
        let mut effects = Vec::new();
        app.enter_desk(session, &mut effects);
        (app, effects)
    }

    /// The process is stopping: end the session without a prompt.
    pub fn end_for_shutdown(&mut self) {
        self.logout_quietly();
        self.phase = Phase::Login(LoginScreen::new());
        self.overlay = None;
    }

    fn with_phase(env: AppEnv, service: Option<Arc<Service>>, phase: Phase) -> Self {
        let shop = service
            .as_deref()
            .map(shop_context)
            .unwrap_or_else(ShopContext::placeholder);
        let theme = env.forced_theme.clone().unwrap_or_default();
        let notice = (!env.startup_notices.is_empty()).then(|| Notice {
            text: env.startup_notices.join(" "),
            is_error: true,
            ticks_left: NOTICE_TICKS * 3,
        });
        let now = env.clock.now();
        Self {
            env,
            service,
            shop,
            phase,
            overlay: None,
            notice,
            theme,
            lang: Language::English,
            privacy_blank: false,
            size: (MIN_WIDTH, MIN_HEIGHT),
            running: Vec::new(),
            spinner: 0,
            name_index_ready: false,
            last_minute: now.minute(),
            alerts: None,
            dirty: true,
        }
    }

    /// Whether something changed since the last frame; clears the flag.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    pub fn language(&self) -> Language {
        self.lang
    }

    pub fn theme(&self) -> &Theme {
        &self.theme
    }

    pub fn is_logged_in(&self) -> bool {
        matches!(self.phase, Phase::Desk(_))
    }

    pub fn is_locked(&self) -> bool {
        matches!(&self.phase, Phase::Desk(desk) if desk.lock.is_some())
    }

    /// The service once a shop exists (the wizard creates one).
    pub fn service(&self) -> Option<&Arc<Service>> {
        self.service.as_ref()
    }

    /// The English title of the screen on top, for tests and the header.
    pub fn screen_title(&self) -> &'static str {
        match &self.phase {
            Phase::Setup(_) => "Setup",
            Phase::Login(_) => "Log in",
            Phase::Desk(desk) if desk.lock.is_some() => "Locked",
            Phase::Desk(desk) => desk.stack.last().map(|v| v.title()).unwrap_or("Today"),
        }
    }

    pub fn has_overlay(&self) -> bool {
        self.overlay.is_some()
    }

    /// Open alerts as the status bar shows them; `None` for a cashier or before a login.
    pub fn open_alerts(&self) -> Option<u64> {
        self.alerts.map(|counts| counts.open)
    }

    /// Reads the alert counters (one small read, also alerts written by another process) and
    /// reloads the alert list on screen when they moved.
    fn poll_alerts(&mut self, effects: &mut Vec<Effect>) {
        let counts = match (&self.phase, &self.service) {
            (Phase::Desk(desk), Some(service)) if desk.lock.is_none() => {
                service.alert_badge(&desk.session)
            }
            _ => None,
        };
        if counts == self.alerts {
            return;
        }
        let moved = counts.map(|c| c.changes) != self.alerts.map(|c| c.changes);
        self.alerts = counts;
        self.dirty = true;
        if moved
            && let Phase::Desk(desk) = &self.phase
            && desk
                .stack
                .last()
                .is_some_and(|view| view.title() == "Alerts")
        {
            self.with_top_view(effects, |view, cx| view.refresh(cx));
        }
    }

    /// The current status-line message, for tests.
    pub fn notice_text(&self) -> Option<&str> {
        self.notice.as_ref().map(|n| n.text.as_str())
    }

    pub fn is_busy(&self) -> bool {
        !self.running.is_empty()
    }

    pub fn privacy_blank(&self) -> bool {
        self.privacy_blank
    }

    fn now(&self) -> DateTime<Utc> {
        self.env.clock.now()
    }

    fn notify(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            is_error: false,
            ticks_left: NOTICE_TICKS,
        });
    }

    fn notify_error(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            is_error: true,
            ticks_left: NOTICE_TICKS * 2,
        });
    }

    /// Opens `view` on top of the current screen, as a screen's `cx.push` does; for a
    /// transport that starts on a given screen and for tests that open one directly.
    pub fn push_view(&mut self, view: Box<dyn View>) -> Vec<Effect> {
        let mut effects = Vec::new();
        self.dirty = true;
        self.apply(vec![Command::Push(view)], &mut effects);
        effects
    }

    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        let mut effects = Vec::new();
        match event {
            Event::Key(key) => {
                if key.kind == KeyEventKind::Press {
                    self.dirty = true;
                    self.on_key(key, &mut effects);
                }
            }
            Event::Paste(text) => {
                self.dirty = true;
                self.on_paste(&text, &mut effects);
            }
            Event::Resize(width, height) => {
                self.size = (width, height);
                self.dirty = true;
            }
            Event::Tick => self.on_tick(&mut effects),
            Event::Task(output) => {
                self.dirty = true;
                self.on_task(output, &mut effects);
            }
            Event::StoreChanged => {
                self.dirty = true;
                if let Some(service) = &self.service {
                    self.shop = shop_context(service);
                }
                self.with_top_view(&mut effects, |view, cx| view.refresh(cx));
                self.poll_alerts(&mut effects);
            }
        }
        effects
    }

    fn start(&mut self, task: Task, effects: &mut Vec<Effect>) {
        self.running.push(task.label());
        effects.push(Effect::Run(Box::new(task)));
    }

    fn finish_task(&mut self) {
        if !self.running.is_empty() {
            self.running.remove(0);
        }
    }

    fn on_tick(&mut self, effects: &mut Vec<Effect>) {
        if !self.running.is_empty() {
            self.spinner = self.spinner.wrapping_add(1);
            self.dirty = true;
        }
        if let Some(notice) = &mut self.notice {
            notice.ticks_left = notice.ticks_left.saturating_sub(1);
            if notice.ticks_left == 0 {
                self.notice = None;
                self.dirty = true;
            }
        }
        let minute = self.now().minute();
        if minute != self.last_minute {
            self.last_minute = minute;
            self.dirty = true;
        }
        if let Some(service) = &self.service {
            let ready = service.name_index_ready();
            if ready != self.name_index_ready {
                self.name_index_ready = ready;
                self.dirty = true;
            }
        }
        self.poll_alerts(effects);
        let status = match (&self.phase, &self.service) {
            (Phase::Desk(desk), Some(service)) if desk.lock.is_none() => {
                service.session_info(&desk.session).map(|info| info.status)
            }
            _ => return,
        };
        match status {
            Some(SessionStatus::Active) => {}
            Some(SessionStatus::Locked) => {
                self.show_lock();
            }
            Some(SessionStatus::Ended) | None => {
                self.end_session(effects);
            }
        }
    }

    fn show_lock(&mut self) {
        if let Phase::Desk(desk) = &mut self.phase
            && desk.lock.is_none()
        {
            desk.lock = Some(LockScreen::new(desk.username.clone()));
            self.overlay = None;
            self.dirty = true;
        }
    }

    fn end_session(&mut self, effects: &mut Vec<Effect>) {
        if self.env.quit_when_session_ends {
            self.phase = Phase::Login(LoginScreen::new());
            self.overlay = None;
            effects.push(Effect::Quit);
            return;
        }
        self.phase = Phase::Login(LoginScreen::new());
        self.overlay = None;
        self.privacy_blank = false;
        self.apply_look(Language::English, None);
        self.notify_error(self.lang.tr("Your session has ended; log in again."));
        self.dirty = true;
    }

    fn on_paste(&mut self, text: &str, effects: &mut Vec<Effect>) {
        if let Some(overlay) = &mut self.overlay {
            overlay.paste(text);
            return;
        }
        match &mut self.phase {
            Phase::Setup(wizard) => {
                if let Some(input) = wizard.focused_input() {
                    input.insert_str(text);
                }
            }
            Phase::Login(login) => {
                if let Some(input) = login.focused_input() {
                    input.insert_str(text);
                }
            }
            Phase::Desk(desk) => {
                if let Some(lock) = &mut desk.lock {
                    lock.password.insert_str(text);
                    return;
                }
                let mut changed = false;
                if let Some(view) = desk.stack.last_mut()
                    && let Some(input) = view.focused_input()
                {
                    changed = input.insert_str(text);
                }
                if changed {
                    self.with_top_view(effects, |view, cx| view.on_input_changed(cx));
                }
            }
        }
    }

    fn on_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        // Ctrl-C always offers a way out, whatever the keymap says.
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.overlay = Some(Overlay::Prompt(PromptOverlay::new(
                super::view::Prompt::confirm(
                    "app.quit",
                    "Quit frontdesk?",
                    self.lang
                        .tr("Unsaved input on this screen will be lost.")
                        .to_owned(),
                ),
            )));
            return;
        }
        if self.overlay.is_some() {
            self.on_overlay_key(key, effects);
            return;
        }
        match &mut self.phase {
            Phase::Setup(_) => self.on_setup_key(key, effects),
            Phase::Login(_) => self.on_login_key(key, effects),
            Phase::Desk(desk) if desk.lock.is_some() => self.on_lock_key(key, effects),
            Phase::Desk(_) => self.on_desk_key(key, effects),
        }
    }

    fn on_overlay_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        let contexts = self.current_contexts();
        let Some(overlay) = &mut self.overlay else {
            return;
        };
        let action = self.env.keymap.action_for(&contexts, &key);
        match overlay.on_key(&key, action) {
            super::overlays::OverlayResult::Stay => {}
            super::overlays::OverlayResult::Close => self.overlay = None,
            super::overlays::OverlayResult::Run(action) => {
                self.overlay = None;
                self.dispatch(action, effects);
            }
            super::overlays::OverlayResult::Answer(tag, answer) => {
                self.overlay = None;
                self.on_prompt_answer(tag, answer, effects);
            }
        }
    }

    fn on_prompt_answer(
        &mut self,
        tag: &'static str,
        answer: PromptAnswer,
        effects: &mut Vec<Effect>,
    ) {
        match tag {
            "app.quit" => {
                self.logout_quietly();
                effects.push(Effect::Quit);
            }
            _ => self.with_top_view(effects, |view, cx| view.on_prompt(tag, answer, cx)),
        }
    }

    fn logout_quietly(&mut self) {
        if let (Phase::Desk(desk), Some(service)) = (&self.phase, &self.service) {
            // Quitting must not fail because the session already ended.
            let _ = service.logout(&desk.session);
        }
    }

    fn current_contexts(&self) -> Vec<KeyContext> {
        match &self.phase {
            Phase::Setup(_) | Phase::Login(_) => vec![KeyContext::Form],
            Phase::Desk(desk) if desk.lock.is_some() => vec![KeyContext::Form],
            Phase::Desk(desk) => desk
                .stack
                .last()
                .map(|view| view.contexts().to_vec())
                .unwrap_or_default(),
        }
    }

    fn on_setup_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        let Phase::Setup(wizard) = &mut self.phase else {
            return;
        };
        if let Some(input) = wizard.focused_input()
            && input.handle_key(&key)
            && !is_navigation(&key)
        {
            wizard.on_input_changed();
            wizard.update_username_note(self.lang);
            return;
        }
        let Some(action) = self.env.keymap.action_for(&[KeyContext::Form], &key) else {
            return;
        };
        match action {
            Action::Help => {
                self.overlay = Some(Overlay::Help(HelpOverlay::new(&[KeyContext::Form])))
            }
            Action::Quit => effects.push(Effect::Quit),
            _ => {
                let step = wizard.on_action(action, self.lang);
                self.on_setup_step(step, effects);
            }
        }
    }

    fn on_setup_step(&mut self, step: SetupStep, effects: &mut Vec<Effect>) {
        match step {
            SetupStep::Stay => {}
            SetupStep::Quit => effects.push(Effect::Quit),
            SetupStep::SetLanguage(lang) => self.lang = lang,
            SetupStep::CreateShop(setup) => {
                let task = Task::CreateShop {
                    data_dir: self.env.data_dir.clone(),
                    setup: *setup,
                    clock: self.env.clock.clone(),
                    entropy: self.env.entropy.clone(),
                    origin: self.env.origin.clone(),
                };
                self.start(task, effects);
            }
            SetupStep::LogInOwner { username, password } => {
                if let Some(service) = &self.service {
                    let request = LoginRequest {
                        username,
                        password,
                        second_factor: SecondFactor::Absent,
                        origin: self.env.origin.clone(),
                        ssh_key: None,
                    };
                    let task = Task::Login {
                        service: service.clone(),
                        request,
                    };
                    self.start(task, effects);
                }
            }
            SetupStep::Finished(session) => self.enter_desk(session, effects),
        }
    }

    fn on_login_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        let Phase::Login(login) = &mut self.phase else {
            return;
        };
        if let Some(input) = login.focused_input()
            && input.handle_key(&key)
            && !is_navigation(&key)
        {
            login.error = None;
            return;
        }
        let Some(action) = self.env.keymap.action_for(&[KeyContext::Form], &key) else {
            return;
        };
        match action {
            Action::Help => {
                self.overlay = Some(Overlay::Help(HelpOverlay::new(&[KeyContext::Form])))
            }
            // Esc only ever clears the form: quitting is its own key, and asks first.
            Action::Back => login.clear(),
            Action::Quit => {
                self.overlay = Some(Overlay::Prompt(PromptOverlay::new(
                    super::view::Prompt::confirm(
                        "app.quit",
                        "Quit frontdesk?",
                        self.lang
                            .tr("The login screen closes; start frontdesk again to log in.")
                            .to_owned(),
                    ),
                )));
            }
            _ => {
                if !self.running.is_empty() {
                    return;
                }
                if let LoginSubmit::Ready {
                    username,
                    password,
                    second_factor,
                } = login.on_action(action, self.lang)
                    && let Some(service) = &self.service
                {
                    let request = LoginRequest {
                        username,
                        password,
                        second_factor,
                        origin: self.env.origin.clone(),
                        ssh_key: None,
                    };
                    let task = Task::Login {
                        service: service.clone(),
                        request,
                    };
                    self.start(task, effects);
                }
            }
        }
    }

    fn on_lock_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        let Phase::Desk(desk) = &mut self.phase else {
            return;
        };
        let Some(lock) = &mut desk.lock else {
            return;
        };
        if lock.password.handle_key(&key) && !is_navigation(&key) {
            lock.error = None;
            return;
        }
        match self.env.keymap.action_for(&[KeyContext::Form], &key) {
            Some(Action::Submit) if self.running.is_empty() && !lock.password.is_empty() => {
                let password: SecretString = lock.password.take_secret();
                if let Some(service) = &self.service {
                    let task = Task::Unlock {
                        service: service.clone(),
                        session: desk.session.clone(),
                        password,
                    };
                    self.start(task, effects);
                }
            }
            Some(Action::Logout) => {
                self.logout_quietly();
                if self.env.quit_when_session_ends {
                    effects.push(Effect::Quit);
                    return;
                }
                self.phase = Phase::Login(LoginScreen::new());
                self.apply_look(Language::English, None);
            }
            Some(Action::Quit) => {
                self.logout_quietly();
                effects.push(Effect::Quit);
            }
            Some(Action::Help) => {
                self.overlay = Some(Overlay::Help(HelpOverlay::new(&[KeyContext::Form])))
            }
            _ => {}
        }
    }

    fn on_desk_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        let Phase::Desk(desk) = &mut self.phase else {
            return;
        };
        let Some(view) = desk.stack.last_mut() else {
            return;
        };
        if let Some(input) = view.focused_input() {
            let before = input.revision();
            if input.handle_key(&key) && !is_navigation(&key) {
                if input.revision() != before {
                    self.with_top_view(effects, |view, cx| view.on_input_changed(cx));
                }
                return;
            }
        }
        let contexts = view.contexts();
        if let Some(action) = self.env.keymap.action_for(contexts, &key) {
            self.dispatch(action, effects);
        }
    }

    /// Runs an action: the view on top first, then the app's own (navigation, help, lock…).
    fn dispatch(&mut self, action: Action, effects: &mut Vec<Effect>) {
        let Phase::Desk(desk) = &self.phase else {
            return;
        };
        if desk.lock.is_some() {
            return;
        }
        let app_first = matches!(
            action,
            Action::Help
                | Action::Palette
                | Action::PrivacyBlank
                | Action::Lock
                | Action::Logout
                | Action::Quit
        );
        if !app_first {
            let mut handled = Handled::No;
            self.with_top_view(effects, |view, cx| handled = view.on_action(action, cx));
            if handled == Handled::Yes {
                return;
            }
        }
        self.app_action(action, effects);
    }

    fn app_action(&mut self, action: Action, effects: &mut Vec<Effect>) {
        let Phase::Desk(desk) = &mut self.phase else {
            return;
        };
        let role = desk.role;
        match action {
            Action::Help => {
                let contexts = desk.stack.last().map(|v| v.contexts()).unwrap_or(&[]);
                self.overlay = Some(Overlay::Help(HelpOverlay::new(contexts)));
            }
            Action::Palette => {
                let view = desk.stack.last();
                let contexts = view.map(|v| v.contexts()).unwrap_or(&[]);
                let extra = view.map(|v| v.offers(role)).unwrap_or_default();
                self.overlay = Some(Overlay::Palette(PaletteOverlay::new(
                    &self.env.keymap,
                    contexts,
                    &extra,
                    role,
                    self.lang,
                )));
            }
            Action::Back if desk.stack.len() > 1 => {
                desk.stack.pop();
                self.with_top_view(effects, |view, cx| view.refresh(cx));
            }
            Action::Quit => {
                self.overlay = Some(Overlay::Prompt(PromptOverlay::new(
                    super::view::Prompt::confirm(
                        "app.quit",
                        "Quit frontdesk?",
                        self.lang.tr("You will be logged out.").to_owned(),
                    ),
                )));
            }
            Action::PrivacyBlank => {
                self.privacy_blank = !self.privacy_blank;
                let text = if self.privacy_blank {
                    self.lang
                        .tr("Personal data hidden. Press the same key to show it again.")
                } else {
                    self.lang.tr("Personal data shown.")
                };
                self.notify(text);
            }
            Action::Lock => {
                if let Some(service) = &self.service {
                    match service.lock(&desk.session) {
                        Ok(()) => self.show_lock(),
                        Err(ServiceError::SessionEnded) => self.end_session(effects),
                        Err(err) => self.notify_error(describe_error(&err, self.lang)),
                    }
                }
            }
            Action::Logout => {
                self.logout_quietly();
                if self.env.quit_when_session_ends {
                    effects.push(Effect::Quit);
                    return;
                }
                self.phase = Phase::Login(LoginScreen::new());
                self.privacy_blank = false;
                self.apply_look(Language::English, None);
                self.notify(self.lang.tr("Logged out."));
            }
            Action::ChangePassword => {
                desk.stack.push(Box::new(ChangePasswordView::new(false)));
            }
            Action::Preferences => {
                let view = PreferencesView::new(self.lang, &self.theme.name);
                desk.stack.push(Box::new(view));
            }
            Action::Refresh => self.with_top_view(effects, |view, cx| view.refresh(cx)),
            Action::ReceiptByNumber => {
                desk.stack
                    .push(Box::new(screens::receipt::ReceiptScreen::ask_number()));
            }
            Action::GoToday
            | Action::GoMembers
            | Action::GoStaff
            | Action::GoSettings
            | Action::GoAudit
            | Action::GoEndOfDay
            | Action::GoReports
            | Action::GoDrawer
            | Action::GoAlerts => {
                let kind = match action {
                    Action::GoToday => ScreenKind::Today,
                    Action::GoMembers => ScreenKind::Members,
                    Action::GoStaff => ScreenKind::Staff,
                    Action::GoSettings => ScreenKind::Settings,
                    Action::GoAudit => ScreenKind::Audit,
                    Action::GoDrawer => ScreenKind::Drawer,
                    Action::GoReports => ScreenKind::Reports,
                    Action::GoAlerts => ScreenKind::Alerts,
                    _ => ScreenKind::EndOfDay,
                };
                if kind.manager_only() && role != Role::Manager {
                    self.notify_error(self.lang.tr("Only a manager may do that; ask a manager."));
                    return;
                }
                self.open_screen(kind, effects);
            }
            _ => {}
        }
    }

    /// Opens a main screen on top of Today (Today itself resets the stack).
    fn open_screen(&mut self, kind: ScreenKind, effects: &mut Vec<Effect>) {
        let Phase::Desk(desk) = &mut self.phase else {
            return;
        };
        desk.stack.truncate(1);
        if kind != ScreenKind::Today {
            desk.stack.push(screens::open(kind));
        }
        self.with_top_view(effects, |view, cx| view.refresh(cx));
    }

    /// Runs `f` on the view on top with a fresh handler context, then applies its commands.
    fn with_top_view(&mut self, effects: &mut Vec<Effect>, f: impl FnOnce(&mut dyn View, &mut Cx)) {
        let now = self.now();
        let Some(service) = self.service.clone() else {
            return;
        };
        let Phase::Desk(desk) = &mut self.phase else {
            return;
        };
        let Some(view) = desk.stack.last_mut() else {
            return;
        };
        let mut cx = Cx {
            service: &service,
            session: &desk.session,
            role: desk.role,
            username: &desk.username,
            lang: self.lang,
            shop: &self.shop,
            now,
            commands: Vec::new(),
        };
        f(view.as_mut(), &mut cx);
        let commands = cx.commands;
        self.apply(commands, effects);
    }

    fn apply(&mut self, commands: Vec<Command>, effects: &mut Vec<Effect>) {
        for command in commands {
            match command {
                Command::Push(view) => {
                    if let Phase::Desk(desk) = &mut self.phase {
                        desk.stack.push(view);
                        self.with_top_view(effects, |view, cx| view.refresh(cx));
                    }
                }
                Command::Replace(view) => {
                    if let Phase::Desk(desk) = &mut self.phase {
                        if desk.stack.len() > 1 {
                            desk.stack.pop();
                        }
                        desk.stack.push(view);
                        self.with_top_view(effects, |view, cx| view.refresh(cx));
                    }
                }
                Command::Back => {
                    if let Phase::Desk(desk) = &mut self.phase {
                        if desk.stack.len() > 1 {
                            desk.stack.pop();
                        }
                        self.with_top_view(effects, |view, cx| view.refresh(cx));
                    }
                }
                Command::Home => self.open_screen(ScreenKind::Today, effects),
                Command::Notice(text) => self.notify(text),
                Command::Error(text) => self.notify_error(text),
                Command::Prompt(prompt) => {
                    self.overlay = Some(Overlay::Prompt(PromptOverlay::new(prompt)))
                }
                Command::Run(task) => self.start(task, effects),
                Command::Changed => {
                    // A settings change can rename the shop or move its time zone.
                    if let Some(service) = &self.service {
                        self.shop = shop_context(service);
                    }
                    effects.push(Effect::Broadcast);
                    self.poll_alerts(effects);
                }
                Command::SessionEnded => self.end_session(effects),
                Command::StartDesk => {
                    if let (Phase::Desk(desk), Some(service)) = (&mut self.phase, &self.service) {
                        desk.stack = vec![screens::open(ScreenKind::Today)];
                        let (language, theme) = load_preferences(service, &desk.session);
                        self.apply_look(language, theme.as_deref());
                        self.with_top_view(effects, |view, cx| view.refresh(cx));
                    }
                }
                Command::Locked => self.show_lock(),
                Command::SetLook { language, theme } => {
                    self.apply_look(language, Some(&theme));
                }
            }
        }
    }

    /// Language and theme: the staff member's choice, unless the command line forced a theme.
    fn apply_look(&mut self, language: Language, theme: Option<&str>) {
        self.lang = language;
        if self.env.forced_theme.is_some() {
            return;
        }
        self.theme = match theme {
            Some(name) => match Theme::load(name, self.env.theme_dir.as_deref()) {
                Ok(theme) => theme,
                Err(err) => {
                    self.notify_error(err.to_string());
                    Theme::default()
                }
            },
            None => Theme::default(),
        };
    }

    fn on_task(&mut self, output: TaskOutput, effects: &mut Vec<Effect>) {
        self.finish_task();
        match output {
            TaskOutput::ShopCreated(result) => {
                let Phase::Setup(wizard) = &mut self.phase else {
                    return;
                };
                let step = match result {
                    Ok(service) => {
                        self.shop = shop_context(&service);
                        self.service = Some(service);
                        wizard.on_shop_created(Ok(()))
                    }
                    Err(message) => wizard.on_shop_created(Err(message)),
                };
                self.on_setup_step(step, effects);
            }
            TaskOutput::LoggedIn(result) => match &mut self.phase {
                Phase::Setup(wizard) => {
                    let step = wizard.on_login(result, self.lang);
                    self.on_setup_step(step, effects);
                }
                Phase::Login(login) => match result {
                    Ok(session) => self.enter_desk(session, effects),
                    Err(err) => login.failed(describe_error(&err, self.lang)),
                },
                Phase::Desk(_) => {}
            },
            TaskOutput::Unlocked(result) => {
                let Phase::Desk(desk) = &mut self.phase else {
                    return;
                };
                match result {
                    Ok(()) => {
                        desk.lock = None;
                        self.with_top_view(effects, |view, cx| view.refresh(cx));
                    }
                    Err(ServiceError::SessionEnded) => self.end_session(effects),
                    Err(err) => {
                        if let Some(lock) = &mut desk.lock {
                            lock.error = Some(describe_error(&err, self.lang));
                        }
                    }
                }
            }
            TaskOutput::PasswordChanged(result) => {
                let Phase::Desk(desk) = &mut self.phase else {
                    return;
                };
                match result {
                    Ok(()) => {
                        desk.stack.truncate(1);
                        if desk
                            .stack
                            .first()
                            .is_some_and(|v| v.title() == "Change password")
                        {
                            desk.stack[0] = screens::open(ScreenKind::Today);
                        }
                        self.notify(self.lang.tr("Password changed."));
                        self.with_top_view(effects, |view, cx| view.refresh(cx));
                    }
                    Err(ServiceError::SessionEnded) => self.end_session(effects),
                    Err(err) => {
                        let text = describe_error(&err, self.lang);
                        self.notify_error(text);
                    }
                }
            }
            TaskOutput::ForView(output) => {
                self.with_top_view(effects, |view, cx| view.on_task(output, cx))
            }
        }
    }

    fn enter_desk(&mut self, session: Session, effects: &mut Vec<Effect>) {
        let Some(service) = self.service.clone() else {
            return;
        };
        let Some(info) = service.session_info(&session) else {
            self.end_session(effects);
            return;
        };
        self.shop = shop_context(&service);
        let first: Box<dyn View> = if let Some(step) = info.enrolment {
            // Still enrolling: no preferences to read yet, so the language on screen (the
            // setup wizard's choice) stays.
            let setup = matches!(service.unfinished_setup(), Ok(Some(_)));
            Box::new(screens::enrol::EnrolView::new(step, setup))
        } else {
            let (language, theme) = load_preferences(&service, &session);
            self.apply_look(language, theme.as_deref());
            if info.must_change_password {
                Box::new(ChangePasswordView::new(true))
            } else {
                screens::open(ScreenKind::Today)
            }
        };
        self.phase = Phase::Desk(Box::new(Desk {
            session,
            username: safe(&info.username).into_owned(),
            role: info.role,
            stack: vec![first],
            lock: None,
        }));
        self.overlay = None;
        self.notice = None;
        self.alerts = None;
        self.with_top_view(effects, |view, cx| view.refresh(cx));
        self.poll_alerts(effects);
    }

    /// Draws the whole screen. Pure: reads the state, writes the frame.
    pub fn render(&self, frame: &mut Frame) {
        let area = frame.area();
        frame.render_widget(Block::default().style(self.theme.base), area);
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            self.render_too_small(frame, area);
            return;
        }
        let [header, body, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(self.status_rows(area)),
        ])
        .areas(area);
        let rx = self.render_cx();
        if let Phase::Desk(desk) = &self.phase
            && desk.lock.is_none()
            && self.overlay.is_none()
            && let Some(view) = desk.stack.last()
            && view.wants_whole_frame()
        {
            view.render(frame, area, &rx);
            return;
        }
        self.render_header(frame, header, &rx);
        match &self.phase {
            Phase::Setup(wizard) => wizard.render(frame, body, &rx),
            Phase::Login(login) => login.render(frame, body, &rx),
            Phase::Desk(desk) => match &desk.lock {
                Some(lock) => lock.render(frame, body, &rx),
                None => {
                    if let Some(view) = desk.stack.last() {
                        view.render(frame, body, &rx);
                    }
                }
            },
        }
        self.render_status(frame, status, &rx);
        if let Some(overlay) = &self.overlay {
            overlay.render(frame, body, &rx);
        }
    }

    fn render_cx(&self) -> RenderCx<'_> {
        let role = match &self.phase {
            Phase::Desk(desk) => desk.role,
            _ => Role::Cashier,
        };
        RenderCx {
            theme: &self.theme,
            lang: self.lang,
            keymap: &self.env.keymap,
            blank: self.privacy_blank || self.is_locked(),
            role,
            now: self.now(),
            shop: &self.shop,
            ssh_server: self.env.ssh_server.as_ref(),
        }
    }

    fn render_too_small(&self, frame: &mut Frame, area: Rect) {
        let text = self.lang.fill(
            "The window is too small ({width}×{height}). Make it at least 80×24.",
            &[
                ("width", &area.width.to_string()),
                ("height", &area.height.to_string()),
            ],
        );
        frame.render_widget(
            Paragraph::new(text)
                .style(self.theme.warning)
                .wrap(Wrap { trim: true }),
            area,
        );
    }

    fn render_header(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        frame.render_widget(Block::default().style(self.theme.status), area);
        let title = match &self.shop.site_name {
            Some(site) => format!(" {} · {site} ", self.shop.shop_name),
            None => format!(" {} ", self.shop.shop_name),
        };
        let mut left = vec![Span::styled(title, self.theme.title)];
        if self.shop.demo {
            // At the narrowest layout the short banner leaves room for the screen's title.
            let banner = if area.width < 100 {
                self.lang.tr("DEMO")
            } else {
                self.lang.tr("DEMO — sample data")
            };
            left.push(Span::styled(format!(" {banner} "), self.theme.banner));
        }
        left.push(Span::styled(
            format!(" {} ", self.lang.tr(self.screen_title())),
            self.theme.status,
        ));
        if self.privacy_blank {
            left.push(Span::styled(
                format!(" {} ", self.lang.tr("PRIVACY")),
                self.theme.banner,
            ));
        }
        let local = self.now().with_timezone(&self.shop.tz);
        let mut right = String::new();
        if let Phase::Desk(desk) = &self.phase {
            let role = match desk.role {
                Role::Manager => self.lang.tr("manager"),
                Role::Cashier => self.lang.tr("cashier"),
            };
            right.push_str(&format!("{} ({role})  ", desk.username));
        }
        right.push_str(&local.format("%Y-%m-%d %H:%M ").to_string());
        let right_width = u16::try_from(super::text::width(&right))
            .unwrap_or(0)
            .min(area.width);
        let [left_area, right_area] =
            Layout::horizontal([Constraint::Min(1), Constraint::Length(right_width)]).areas(area);
        frame.render_widget(Paragraph::new(Line::from(left)), left_area);
        frame.render_widget(Paragraph::new(right).style(self.theme.status), right_area);
        let _ = rx;
    }

    /// The most rows a notice may take from the screen: enough for any refusal the app writes,
    /// while the screen above keeps most of its rows.
    fn notice_rows_allowed(area: Rect) -> usize {
        usize::from(area.height.saturating_sub(2) / 3).max(1)
    }

    /// The cells a notice line may use: one space either side.
    fn notice_width(area: Rect) -> usize {
        usize::from(area.width).saturating_sub(2)
    }

    /// Rows of the status area: one for the keys, more while a notice needs them, so a refusal is
    /// read whole rather than cut at the screen's edge.
    fn status_rows(&self, area: Rect) -> u16 {
        match &self.notice {
            Some(notice) if self.running.is_empty() => {
                let lines = wrap(&safe(&notice.text), Self::notice_width(area)).len();
                u16::try_from(lines.clamp(1, Self::notice_rows_allowed(area))).unwrap_or(1)
            }
            _ => 1,
        }
    }

    fn render_status(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        frame.render_widget(Block::default().style(self.theme.status), area);
        let width = usize::from(area.width);
        let line = if let Some(label) = self.running.first() {
            const FRAMES: [&str; 4] = ["◐", "◓", "◑", "◒"];
            let frame_char = FRAMES[self.spinner % FRAMES.len()];
            Line::from(Span::styled(
                format!(" {frame_char} {}", self.lang.tr(label)),
                self.theme.accent,
            ))
        } else if let Some(notice) = &self.notice {
            let style = if notice.is_error {
                self.theme.error
            } else {
                self.theme.ok
            };
            let lines = fit_message(
                &safe(&notice.text),
                Self::notice_width(area),
                usize::from(area.height),
            );
            let lines: Vec<Line> = lines
                .into_iter()
                .map(|line| Line::from(Span::styled(format!(" {line}"), style)))
                .collect();
            frame.render_widget(Paragraph::new(lines), area);
            return;
        } else {
            let mut spans = Vec::new();
            let contexts = self.current_contexts();
            let mut hints: Vec<(String, &str)> = Vec::new();
            for context in &contexts {
                let offered =
                    self.env.keymap.section(*context).iter().filter(|binding| {
                        rx.role == Role::Manager || !manager_only(binding.action)
                    });
                for binding in offered.take(6) {
                    if let Some(chord) = binding.keys.first() {
                        hints.push((chord.to_string(), self.lang.tr_dynamic(&binding.desc)));
                    }
                }
            }
            if let Some(help) = rx.key_hint(&[], Action::Help) {
                hints.push((help, self.lang.tr("help")));
            }
            if let Some(palette) = rx.key_hint(&[], Action::Palette) {
                hints.push((palette, self.lang.tr("all actions")));
            }
            if let Some(open) = self.alerts.map(|counts| counts.open).filter(|n| *n > 0)
                && self.is_logged_in()
            {
                spans.push(Span::styled(
                    format!(
                        " ⚠ {} ",
                        if open == 1 {
                            self.lang.tr("1 open alert").to_owned()
                        } else {
                            self.lang
                                .fill("{n} open alerts", &[("n", &open.to_string())])
                        }
                    ),
                    self.theme.error,
                ));
            }
            if self.is_logged_in() && !self.name_index_ready {
                spans.push(Span::styled(
                    format!(" {} ", self.lang.tr("Name search warming up…")),
                    self.theme.warning,
                ));
            }
            let mut used: usize = spans.iter().map(|s| super::text::width(&s.content)).sum();
            // Help and palette hints are kept; screen hints fill what room is left.
            let tail: usize = hints
                .iter()
                .rev()
                .take(2)
                .map(|(k, d)| super::text::width(k) + super::text::width(d) + 3)
                .sum();
            let count = hints.len();
            for (index, (keys, desc)) in hints.into_iter().enumerate() {
                let cost = super::text::width(&keys) + super::text::width(desc) + 3;
                let is_tail = index + 2 >= count;
                if !is_tail && used + cost + tail > width {
                    continue;
                }
                if used + cost > width {
                    break;
                }
                used += cost;
                spans.push(Span::styled(format!(" {keys}"), self.theme.key));
                spans.push(Span::styled(format!(" {desc} "), self.theme.status));
            }
            Line::from(spans)
        };
        frame.render_widget(Paragraph::new(line), area);
    }
}

/// Keys a text field uses but that also move focus in a form; the field sees them first only
/// when they edit text.
fn is_navigation(key: &KeyEvent) -> bool {
    matches!(
        key.code,
        KeyCode::Up
            | KeyCode::Down
            | KeyCode::Tab
            | KeyCode::BackTab
            | KeyCode::Enter
            | KeyCode::Esc
            | KeyCode::PageUp
            | KeyCode::PageDown
            | KeyCode::F(_)
    )
}

/// The staff member's saved language and theme; an unreadable preference falls back to the
/// defaults rather than blocking the login.
fn load_preferences(service: &Service, session: &Session) -> (Language, Option<String>) {
    match service.my_preferences(session) {
        Ok(prefs) => (
            prefs
                .language
                .as_deref()
                .and_then(Language::from_code)
                .unwrap_or_default(),
            prefs.theme,
        ),
        Err(_) => (Language::English, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_never_debug_what_was_typed() {
        let key = Event::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE));
        let paste = Event::Paste("hunter2 horse battery".to_owned());
        assert!(!format!("{key:?}").contains("'s'"));
        assert_eq!(format!("{paste:?}"), "Paste(21 chars)");
        assert!(format!("{key:?}").starts_with("Key(<character>"));
    }
}
