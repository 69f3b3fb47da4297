//! The login screen: user name, password and authenticator code (or a recovery code).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use secrecy::SecretString;

use crate::service::SecondFactor;
use crate::ui::actions::Action;
use crate::ui::i18n::Language;
use crate::ui::overlays::centred;
use crate::ui::view::RenderCx;
use crate::ui::widgets::form::{Form, FormEvent};
use crate::ui::widgets::input::TextInput;

pub struct LoginScreen {
    form: Form,
    /// Already translated.
    pub error: Option<String>,
}

pub enum LoginSubmit {
    Incomplete,
    Ready {
        username: String,
        password: SecretString,
        second_factor: SecondFactor,
    },
}

impl Default for LoginScreen {
    fn default() -> Self {
        Self::new()
    }
}

impl LoginScreen {
    pub fn new() -> Self {
        let form = Form::new()
            .text("username", "User name", TextInput::new().with_max(64))
            .text("password", "Password", TextInput::secret())
            .text(
                "code",
                "Code",
                TextInput::secret()
                    .with_max(40)
                    .with_placeholder("6 digits, a recovery code, or empty"),
            );
        Self { form, error: None }
    }

    pub fn focused_input(&mut self) -> Option<&mut TextInput> {
        self.form.focused_input()
    }

    pub fn is_blank(&self) -> bool {
        self.form.value("username").is_empty()
            && self.form.value("password").is_empty()
            && self.form.value("code").is_empty()
    }

    pub fn clear(&mut self) {
        *self = Self::new();
    }

    /// Called when the service refused the login: the code and password are cleared, the user
    /// name kept.
    pub fn failed(&mut self, message: String) {
        if let Some(input) = self.form.input_mut("password") {
            input.clear();
        }
        if let Some(input) = self.form.input_mut("code") {
            input.clear();
        }
        self.form.focus_key("password");
        self.error = Some(message);
    }

    pub fn on_action(&mut self, action: Action, lang: Language) -> LoginSubmit {
        match self.form.on_action(action) {
            FormEvent::Submit => {}
            FormEvent::Changed | FormEvent::Ignored => return LoginSubmit::Incomplete,
        }
        // Enter moves down the form until the last field. The code may be left empty: at a
        // first login with a temporary password there is no authenticator yet.
        for key in ["username", "password"] {
            if self.form.value(key).trim().is_empty() {
                if self.form.focused_key() == Some(key) {
                    self.error = Some(
                        lang.tr("Fill in the user name and the password.")
                            .to_owned(),
                    );
                }
                self.form.focus_key(key);
                return LoginSubmit::Incomplete;
            }
        }
        if self.form.focused_key() != Some("code") && self.form.value("code").trim().is_empty() {
            self.form.focus_key("code");
            return LoginSubmit::Incomplete;
        }
        let username = self.form.value("username").trim().to_owned();
        let password = match self.form.input_mut("password") {
            Some(input) => input.take_secret(),
            None => return LoginSubmit::Incomplete,
        };
        let code = match self.form.input_mut("code") {
            Some(input) => input.take_secret(),
            None => return LoginSubmit::Incomplete,
        };
        use secrecy::ExposeSecret;
        let second_factor = SecondFactor::from_typed(code.expose_secret());
        self.error = None;
        LoginSubmit::Ready {
            username,
            password,
            second_factor,
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let box_area = centred(area, 64, 13);
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Log in")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(box_area);
        frame.render_widget(block, box_area);
        let [welcome, _, form_area, error_area, hint] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(1),
            Constraint::Length(self.form.height_in(inner.width, rx)),
            Constraint::Length(2),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(Span::styled(rx.shop.shop_name.clone(), rx.theme.title)),
                Line::from(Span::styled(
                    rx.tr("Password and code; at your first login, leave the code empty."),
                    rx.theme.muted,
                )),
            ]),
            welcome,
        );
        self.form.render(frame, form_area, rx, true);
        if let Some(error) = &self.error {
            frame.render_widget(
                Paragraph::new(Span::styled(error.clone(), rx.theme.error))
                    .wrap(ratatui::widgets::Wrap { trim: true }),
                error_area,
            );
        }
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("Enter: next / log in   Tab: next field   Esc: clear   Ctrl-Q: quit"),
                rx.theme.muted,
            )),
            hint,
        );
    }
}
