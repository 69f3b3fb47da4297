//! First run: the setup wizard. Welcome and language, the shop (name, time zone, currency),
//! the first manager (user name, password twice with live strength). Once the shop exists
//! the owner is logged in with that password and enrols like any new member of staff (the
//! desk's enrolment screen: authenticator confirmed by one code, recovery codes shown once).
//! A wizard stopped before that resumes at the next start: the owner types their password
//! and goes on. It is a pure state machine: the app runs the slow work (creating the store,
//! the login) and hands the results back.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use secrecy::{ExposeSecret, SecretString};

use crate::domain::access::normalize_username;
use crate::domain::currency::Currency;
use crate::domain::password_policy::{check_new_password, strength};
use crate::domain::sanitize::sanitize_line;
use crate::service::{InitialSetup, ServiceError, Session};
use crate::ui::actions::Action;
use crate::ui::i18n::Language;
use crate::ui::overlays::centred;
use crate::ui::text::{safe, truncate};
use crate::ui::view::{RenderCx, describe_error};
use crate::ui::widgets::enrolment::wrap;
use crate::ui::widgets::form::{Form, FormEvent, username_note};
use crate::ui::widgets::input::TextInput;
use crate::ui::widgets::strength::strength_line;

pub enum SetupStep {
    Stay,
    Quit,
    SetLanguage(Language),
    CreateShop(Box<InitialSetup>),
    /// Log the owner in with their password alone, to enrol.
    LogInOwner {
        username: String,
        password: SecretString,
    },
    /// The owner's session, which may only enrol: the desk's enrolment screen takes over.
    Finished(Session),
}

/// Where the wizard is. Esc walks back through the first three; once the shop exists there
/// is no way back, only forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Welcome,
    Shop,
    Manager,
    /// The store is being created (argon2 and key wrapping take a few seconds), then the
    /// owner logged in.
    Creating,
    /// The shop exists but its owner never enrolled: their password, to go on.
    Resume,
}

const SHOP_NAME_MAX_CHARS: usize = 60;
const DEFAULT_CURRENCY: &str = "CAD";

/// The owner being logged in to enrol. The password (which zeroizes on drop) is kept only
/// until the shop exists and the login is sent.
struct Enrolling {
    username: String,
    password: Option<SecretString>,
}

pub struct SetupWizard {
    data_dir: String,
    stage: Stage,
    language: Form,
    shop: Form,
    manager: Form,
    /// zxcvbn score 0–4 of the password, with its hint (English).
    score: Option<(u8, Option<String>)>,
    /// Already translated; shown above the form of the current step.
    error: Option<String>,
    /// The owner's password, when resuming an interrupted setup.
    resume_password: TextInput,
    /// A login is being checked: keys wait.
    waiting: bool,
    enrolling: Option<Enrolling>,
}

impl SetupWizard {
    pub fn new(data_dir: String) -> Self {
        let languages = Language::ALL
            .iter()
            .map(|l| l.native_name().to_owned())
            .collect();
        let language = Form::new()
            .choice("language", "Language", languages, 0)
            .hint("←/→ to choose");
        let currencies: Vec<String> = Currency::known_codes().map(str::to_owned).collect();
        let default_currency = currencies
            .iter()
            .position(|c| c == DEFAULT_CURRENCY)
            .unwrap_or(0);
        let shop = Form::new()
            .text(
                "name",
                "Shop name",
                TextInput::new()
                    .with_max(SHOP_NAME_MAX_CHARS)
                    .with_placeholder("as on your receipts"),
            )
            .text(
                "timezone",
                "Time zone",
                TextInput::new()
                    .with_max(40)
                    .with_placeholder("e.g. America/Vancouver"),
            )
            .hint("e.g. America/Vancouver or Asia/Shanghai")
            .choice("currency", "Currency", currencies, default_currency)
            .hint("←/→ to choose");
        let manager = Form::new()
            .text("username", "User name", TextInput::new().with_max(32))
            .hint("2–32 characters: a–z, 0–9, '.', '_' or '-'.")
            .text("password", "Password", TextInput::secret())
            .hint("10 or more characters; a few unrelated words.")
            .text("again", "Password again", TextInput::secret());
        Self {
            data_dir,
            stage: Stage::Welcome,
            language,
            shop,
            manager,
            score: None,
            error: None,
            resume_password: TextInput::secret(),
            waiting: false,
            enrolling: None,
        }
    }

    /// The shop exists but its owner never finished enrolling: ask their password and go on.
    pub fn resume(data_dir: String, owner_username: String) -> Self {
        let mut wizard = Self::new(data_dir);
        wizard.stage = Stage::Resume;
        wizard.enrolling = Some(Enrolling {
            username: owner_username,
            password: None,
        });
        wizard
    }

    pub fn focused_input(&mut self) -> Option<&mut TextInput> {
        if self.waiting {
            return None;
        }
        match self.stage {
            Stage::Welcome | Stage::Creating => None,
            Stage::Shop => self.shop.focused_input(),
            Stage::Manager => self.manager.focused_input(),
            Stage::Resume => Some(&mut self.resume_password),
        }
    }

    pub fn on_input_changed(&mut self) {
        self.error = None;
        match self.stage {
            Stage::Shop => clear_focused_error(&mut self.shop),
            Stage::Manager => {
                clear_focused_error(&mut self.manager);
                self.update_strength();
            }
            _ => {}
        }
    }

    /// Says how a user name typed with capitals will be saved ("Owner" → "owner").
    pub fn update_username_note(&mut self, lang: Language) {
        if self.stage == Stage::Manager {
            let note = username_note(self.manager.value("username"), lang);
            self.manager.set_note("username", note);
        }
    }

    fn update_strength(&mut self) {
        let password = self.manager.value("password");
        let username = self.manager.value("username").trim().to_ascii_lowercase();
        let shop_name = sanitize_line(self.shop.value("name"));
        self.score = (!password.is_empty()).then(|| {
            let result = strength(password, &[&username, &shop_name]);
            (result.score, result.hint)
        });
    }

    pub fn on_action(&mut self, action: Action, lang: Language) -> SetupStep {
        if self.waiting {
            return SetupStep::Stay;
        }
        match self.stage {
            Stage::Welcome => self.on_welcome(action),
            Stage::Shop => self.on_shop(action, lang),
            Stage::Manager => self.on_manager(action, lang),
            Stage::Creating => SetupStep::Stay,
            Stage::Resume => self.on_resume(action, lang),
        }
    }

    fn on_welcome(&mut self, action: Action) -> SetupStep {
        match action {
            // Nothing has been entered yet, so leaving loses nothing.
            Action::Back => SetupStep::Quit,
            Action::Submit | Action::Select => {
                self.stage = Stage::Shop;
                SetupStep::Stay
            }
            Action::Left | Action::Right => {
                self.language.on_action(action);
                let chosen = Language::ALL
                    .get(self.language.choice_index("language"))
                    .copied()
                    .unwrap_or_default();
                SetupStep::SetLanguage(chosen)
            }
            _ => SetupStep::Stay,
        }
    }

    fn on_shop(&mut self, action: Action, lang: Language) -> SetupStep {
        if action == Action::Back {
            self.stage = Stage::Welcome;
            return SetupStep::Stay;
        }
        if self.shop.on_action(action) != FormEvent::Submit {
            return SetupStep::Stay;
        }
        // Enter checks the field it leaves, then moves on; on the last field it checks all.
        let last = self.shop.focus + 1 >= self.shop.fields.len();
        if !last {
            if let Some(key) = self.shop.focused_key() {
                self.check_shop_field(key, lang);
                let passed = self
                    .shop
                    .fields
                    .get(self.shop.focus)
                    .is_some_and(|field| field.error.is_none());
                if passed {
                    self.shop.focus += 1;
                }
            }
            return SetupStep::Stay;
        }
        self.shop.clear_errors();
        for key in ["name", "timezone"] {
            self.check_shop_field(key, lang);
        }
        if self.shop.has_errors() {
            self.shop.focus_first_error();
            return SetupStep::Stay;
        }
        self.stage = Stage::Manager;
        self.manager.focus = 0;
        SetupStep::Stay
    }

    fn check_shop_field(&mut self, key: &str, lang: Language) {
        if let Some(field) = self.shop.field_mut(key) {
            field.error = None;
        }
        match key {
            "name" => {
                let name = sanitize_line(self.shop.value("name"));
                if name.is_empty() || name.chars().count() > SHOP_NAME_MAX_CHARS {
                    self.shop.set_error(
                        "name",
                        lang.tr("Enter the shop's name (up to 60 characters)."),
                    );
                }
            }
            "timezone" => match resolve_timezone(self.shop.value("timezone")) {
                Ok(zone) => {
                    // Show the canonical spelling, so what is saved is what is seen.
                    if let Some(input) = self.shop.input_mut("timezone")
                        && input.value() != zone.name()
                    {
                        input.set(zone.name());
                    }
                }
                Err(None) => self.shop.set_error(
                    "timezone",
                    lang.tr("Enter a time zone, such as America/Vancouver."),
                ),
                Err(Some(suggestion)) => self.shop.set_error(
                    "timezone",
                    lang.fill("Not a time zone; try {zone}.", &[("zone", suggestion)]),
                ),
            },
            _ => {}
        }
    }

    fn on_manager(&mut self, action: Action, lang: Language) -> SetupStep {
        if action == Action::Back {
            self.stage = Stage::Shop;
            self.error = None;
            return SetupStep::Stay;
        }
        if self.manager.on_action(action) != FormEvent::Submit {
            return SetupStep::Stay;
        }
        self.error = None;
        let focused = self.manager.focused_key().unwrap_or("again");
        if focused != "again" {
            self.check_manager_field(focused, lang);
            let passed = self
                .manager
                .fields
                .get(self.manager.focus)
                .is_some_and(|field| field.error.is_none());
            if passed {
                self.manager.focus += 1;
            }
            return SetupStep::Stay;
        }
        self.manager.clear_errors();
        for key in ["username", "password", "again"] {
            self.check_manager_field(key, lang);
        }
        if self.manager.has_errors() {
            self.manager.focus_first_error();
            return SetupStep::Stay;
        }
        let Ok(username) = normalize_username(self.manager.value("username")) else {
            return SetupStep::Stay;
        };
        let Some(password) = self
            .manager
            .input_mut("password")
            .map(TextInput::take_secret)
        else {
            return SetupStep::Stay;
        };
        if let Some(again) = self.manager.input_mut("again") {
            again.clear();
        }
        self.score = None;
        let currency = Currency::known_codes()
            .nth(self.shop.choice_index("currency"))
            .unwrap_or(DEFAULT_CURRENCY)
            .to_owned();
        let timezone = resolve_timezone(self.shop.value("timezone"))
            .map(|zone| zone.name().to_owned())
            .unwrap_or_default();
        let setup = InitialSetup {
            shop_name: sanitize_line(self.shop.value("name")),
            timezone,
            currency,
            manager_username: username.clone(),
            manager_password: SecretString::from(password.expose_secret().to_owned()),
            demo: false,
        };
        self.enrolling = Some(Enrolling {
            username,
            password: Some(password),
        });
        self.stage = Stage::Creating;
        SetupStep::CreateShop(Box::new(setup))
    }

    fn check_manager_field(&mut self, key: &str, lang: Language) {
        let value = |k: &str| self.manager.value(k);
        let problem = match key {
            "username" if normalize_username(value("username")).is_err() => {
                Some("Use 2 to 32 characters: a–z, 0–9, '.', '_' or '-'.")
            }
            "password" if value("password").is_empty() => Some("Choose a password."),
            "password" => {
                let username = value("username").trim().to_ascii_lowercase();
                let shop_name = sanitize_line(self.shop.value("name"));
                check_new_password(value("password"), &[&username, &shop_name])
                    .is_err()
                    .then_some("Too easy to guess; add another unrelated word.")
            }
            "again" if value("again") != value("password") => {
                Some("The two passwords differ; type them again.")
            }
            _ => None,
        };
        if let Some(field) = self.manager.field_mut(key) {
            field.error = problem.map(|english| lang.tr(english).to_owned());
        }
    }

    /// The shop exists (or could not be made): log the owner in to enrol.
    pub fn on_shop_created(&mut self, result: Result<(), String>) -> SetupStep {
        match result {
            Ok(()) => {
                self.error = None;
                let Some(enrolling) = &mut self.enrolling else {
                    return SetupStep::Stay;
                };
                let Some(password) = enrolling.password.take() else {
                    return SetupStep::Stay;
                };
                self.waiting = true;
                SetupStep::LogInOwner {
                    username: enrolling.username.clone(),
                    password,
                }
            }
            Err(message) => {
                // Nothing was kept: the password is typed again after fixing what was wrong.
                self.enrolling = None;
                self.stage = Stage::Manager;
                self.manager.focus_key("password");
                self.error = Some(safe(&message).into_owned());
                SetupStep::Stay
            }
        }
    }

    fn on_resume(&mut self, action: Action, lang: Language) -> SetupStep {
        if action != Action::Submit {
            return SetupStep::Stay;
        }
        if self.resume_password.is_empty() {
            self.error = Some(
                lang.tr("Type the password chosen for this account.")
                    .to_owned(),
            );
            return SetupStep::Stay;
        }
        let Some(enrolling) = &self.enrolling else {
            return SetupStep::Stay;
        };
        let password = self.resume_password.take_secret();
        self.error = None;
        self.waiting = true;
        SetupStep::LogInOwner {
            username: enrolling.username.clone(),
            password,
        }
    }

    /// The owner's login came back: on to enrolment, or (a wrong password when resuming)
    /// ask again.
    pub fn on_login(&mut self, result: Result<Session, ServiceError>, lang: Language) -> SetupStep {
        self.waiting = false;
        match result {
            Ok(session) => SetupStep::Finished(session),
            Err(error) => {
                self.stage = Stage::Resume;
                self.error = Some(describe_error(&error, lang));
                SetupStep::Stay
            }
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        match self.stage {
            Stage::Welcome => self.render_welcome(frame, area, rx),
            Stage::Shop => self.render_shop(frame, area, rx),
            Stage::Manager | Stage::Creating => self.render_manager(frame, area, rx),
            Stage::Resume => self.render_resume(frame, area, rx),
        }
    }

    /// A bordered box in the middle of the body, with the step's title; returns the inside.
    fn step_box(
        &self,
        frame: &mut Frame,
        area: Rect,
        height: u16,
        title: &str,
        rx: &RenderCx,
    ) -> Rect {
        let box_area = centred(area, 76, height.saturating_add(2));
        let block = Block::bordered()
            .title(Span::styled(format!(" {title} "), rx.theme.title))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(box_area);
        frame.render_widget(block, box_area);
        Rect::new(
            inner.x + 1,
            inner.y,
            inner.width.saturating_sub(2),
            inner.height,
        )
    }

    fn render_welcome(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let inner = self.step_box(frame, area, 12, rx.tr("Welcome to frontdesk"), rx);
        let cells = usize::from(inner.width);
        let mut lines: Vec<Line> = Vec::new();
        for part in wrap(
            rx.tr("This sets up the shop on this computer: its name, time zone and currency, the first manager's account, and their authenticator app."),
            cells,
        ) {
            lines.push(Line::from(part));
        }
        lines.push(Line::from(""));
        let form_y = inner.y + u16::try_from(lines.len()).unwrap_or(0);
        let mut below: Vec<Line> = vec![Line::from("")];
        below.push(Line::from(Span::styled(
            rx.tr("Data directory:"),
            rx.theme.muted,
        )));
        below.push(Line::from(format!(
            "  {}",
            truncate(&safe(&self.data_dir), cells.saturating_sub(2))
        )));
        for part in wrap(
            rx.tr("Customer details are kept there, encrypted. Back it up with the shop's other records."),
            cells,
        ) {
            below.push(Line::from(Span::styled(part, rx.theme.muted)));
        }
        below.push(Line::from(""));
        below.push(Line::from(Span::styled(
            rx.tr("Enter: start   ←/→: language   Ctrl-Q: quit"),
            rx.theme.muted,
        )));
        frame.render_widget(Paragraph::new(lines), inner);
        let form_height = self.language.height_in(inner.width, rx);
        self.language.render(
            frame,
            Rect::new(inner.x, form_y, inner.width, form_height),
            rx,
            true,
        );
        let below_y = form_y + form_height;
        frame.render_widget(
            Paragraph::new(below),
            Rect::new(
                inner.x,
                below_y,
                inner.width,
                inner.bottom().saturating_sub(below_y),
            ),
        );
    }

    fn render_shop(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let inner = self.step_box(frame, area, 12, rx.tr("Step 1 of 4 · The shop"), rx);
        let mut y = inner.y;
        for part in wrap(
            rx.tr("The name goes on receipts and in the authenticator app; the time zone sets the day's bookings and reports."),
            usize::from(inner.width),
        ) {
            frame.render_widget(Paragraph::new(part), Rect::new(inner.x, y, inner.width, 1));
            y += 1;
        }
        y += 1;
        let form_height = self.shop.height_in(inner.width, rx);
        self.shop.render(
            frame,
            Rect::new(inner.x, y, inner.width, form_height),
            rx,
            true,
        );
        y += form_height + 1;
        if let Some(zone) = exact_timezone(self.shop.value("timezone")) {
            let text = rx.lang.fill(
                "Time there now: {time}",
                &[("time", &local_time(rx.now, zone))],
            );
            frame.render_widget(
                Paragraph::new(Span::styled(text, rx.theme.ok)),
                Rect::new(inner.x, y, inner.width, 1),
            );
        }
        render_hint(
            frame,
            inner,
            rx.tr("Enter: next   Tab: next field   Esc: back"),
            rx,
        );
    }

    fn render_manager(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let inner = self.step_box(frame, area, 16, rx.tr("Step 2 of 4 · First manager"), rx);
        let mut y = inner.y;
        for part in wrap(
            rx.tr("The first manager adds the other staff and can see the audit log. Use your own name, not a shared one."),
            usize::from(inner.width),
        ) {
            frame.render_widget(Paragraph::new(part), Rect::new(inner.x, y, inner.width, 1));
            y += 1;
        }
        y += 1;
        let form_height = self.manager.height_in(inner.width, rx);
        let active = self.stage == Stage::Manager;
        self.manager.render(
            frame,
            Rect::new(inner.x, y, inner.width, form_height),
            rx,
            active,
        );
        y += form_height + 1;
        if let Some((score, hint)) = &self.score {
            frame.render_widget(
                Paragraph::new(strength_line(*score, rx)),
                Rect::new(inner.x, y, inner.width, 1),
            );
            y += 1;
            if let Some(hint) = hint {
                for part in wrap(rx.lang.tr_dynamic(hint), usize::from(inner.width))
                    .into_iter()
                    .take(2)
                {
                    frame.render_widget(
                        Paragraph::new(Span::styled(part, rx.theme.muted)),
                        Rect::new(inner.x, y, inner.width, 1),
                    );
                    y += 1;
                }
            }
        }
        let status = if self.stage == Stage::Creating {
            Some(Span::styled(
                rx.tr("Creating the shop… this takes a few seconds."),
                rx.theme.accent,
            ))
        } else {
            self.error
                .as_ref()
                .map(|error| Span::styled(error.clone(), rx.theme.error))
        };
        if let Some(status) = status {
            let lines: Vec<Line> = wrap(&status.content, usize::from(inner.width))
                .into_iter()
                .take(2)
                .map(|part| Line::from(Span::styled(part, status.style)))
                .collect();
            let rows = u16::try_from(lines.len()).unwrap_or(0);
            let row = inner.bottom().saturating_sub(1 + rows).max(y);
            frame.render_widget(
                Paragraph::new(lines),
                Rect::new(inner.x, row, inner.width, rows),
            );
        }
        render_hint(
            frame,
            inner,
            rx.tr("Enter: next / create the shop   Tab: next field   Esc: back"),
            rx,
        );
    }

    fn render_resume(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let inner = self.step_box(frame, area, 12, rx.tr("Setup was interrupted"), rx);
        let cells = usize::from(inner.width);
        let username = self
            .enrolling
            .as_ref()
            .map_or(String::new(), |e| safe(&e.username).into_owned());
        let text = rx.lang.fill(
            "Setup stopped before the authenticator was set up. The shop and its first manager, {user}, exist: type {user}'s password to go on with the authenticator.",
            &[("user", &username)],
        );
        let mut y = inner.y;
        for part in wrap(&text, cells) {
            frame.render_widget(Paragraph::new(part), Rect::new(inner.x, y, inner.width, 1));
            y += 1;
        }
        y += 1;
        let label = format!("{} ", rx.tr("Password"));
        let label_cells = u16::try_from(crate::ui::text::width(&label)).unwrap_or(0);
        if y < inner.bottom() {
            frame.render_widget(
                Paragraph::new(Span::styled(label, rx.theme.accent)),
                Rect::new(inner.x, y, label_cells.min(inner.width), 1),
            );
            self.resume_password.render(
                frame,
                Rect::new(
                    inner.x + label_cells,
                    y,
                    40.min(inner.width.saturating_sub(label_cells)),
                    1,
                ),
                rx.input_style(true),
                None,
                !self.waiting,
            );
            y += 2;
        }
        if let Some(error) = &self.error {
            for part in wrap(error, cells).into_iter().take(3) {
                if y + 1 >= inner.bottom() {
                    break;
                }
                frame.render_widget(
                    Paragraph::new(Span::styled(part, rx.theme.error)),
                    Rect::new(inner.x, y, inner.width, 1),
                );
                y += 1;
            }
        }
        render_hint(frame, inner, rx.tr("Enter: go on   Ctrl-Q: quit"), rx);
    }
}

/// The keys line at the bottom of an area.
fn render_hint(frame: &mut Frame, area: Rect, text: &str, rx: &RenderCx) {
    if area.height == 0 {
        return;
    }
    let text = truncate(text, usize::from(area.width)).into_owned();
    frame.render_widget(
        Paragraph::new(Span::styled(text, rx.theme.muted)),
        Rect::new(area.x, area.bottom() - 1, area.width, 1),
    );
}

fn clear_focused_error(form: &mut Form) {
    let focus = form.focus;
    if let Some(field) = form.fields.get_mut(focus) {
        field.error = None;
    }
}

/// A time zone typed as its IANA name in any case, with spaces for underscores.
fn exact_timezone(typed: &str) -> Option<Tz> {
    let typed = typed.trim().replace(' ', "_");
    if typed.is_empty() {
        return None;
    }
    typed.parse::<Tz>().ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .find(|zone| zone.name().eq_ignore_ascii_case(&typed))
            .copied()
    })
}

/// The zone typed, or a city that names exactly one zone ("vancouver"). `Err(None)` when the
/// field is empty, `Err(Some(zone))` with a suggestion when several zones share the city or
/// one contains what was typed.
fn resolve_timezone(typed: &str) -> Result<Tz, Option<&'static str>> {
    if typed.trim().is_empty() {
        return Err(None);
    }
    if let Some(zone) = exact_timezone(typed) {
        return Ok(zone);
    }
    let wanted = typed.trim().replace(' ', "_").to_ascii_lowercase();
    let by_city: Vec<Tz> = chrono_tz::TZ_VARIANTS
        .iter()
        .filter(|zone| {
            zone.name()
                .rsplit('/')
                .next()
                .is_some_and(|city| city.eq_ignore_ascii_case(&wanted))
        })
        .copied()
        .collect();
    if let [only] = by_city.as_slice() {
        return Ok(*only);
    }
    let suggestion = by_city.first().copied().or_else(|| {
        (wanted.len() >= 3)
            .then(|| {
                chrono_tz::TZ_VARIANTS
                    .iter()
                    .find(|zone| zone.name().to_ascii_lowercase().contains(&wanted))
                    .copied()
            })
            .flatten()
    });
    Err(Some(
        suggestion.map_or("America/Vancouver", |zone| zone.name()),
    ))
}

fn local_time(now: DateTime<Utc>, zone: Tz) -> String {
    now.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_resolve_by_name_or_city() {
        assert_eq!(
            resolve_timezone("America/Vancouver"),
            Ok(chrono_tz::America::Vancouver)
        );
        assert_eq!(
            resolve_timezone(" asia/shanghai "),
            Ok(chrono_tz::Asia::Shanghai)
        );
        assert_eq!(
            resolve_timezone("vancouver"),
            Ok(chrono_tz::America::Vancouver)
        );
        assert_eq!(
            resolve_timezone("new york"),
            Ok(chrono_tz::America::New_York)
        );
        assert_eq!(resolve_timezone(""), Err(None));
        assert_eq!(
            resolve_timezone("Mars/Olympus"),
            Err(Some("America/Vancouver"))
        );
        assert_eq!(resolve_timezone("Vancouv"), Err(Some("America/Vancouver")));
    }
}
