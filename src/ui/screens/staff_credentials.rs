//! A temporary password shown exactly once, for a new account or a reset login: the manager
//! hands it over, and the person sets up their own password and authenticator at their first
//! login with it. The manager never sees anyone's second factor. Nothing here is stored;
//! leaving the screen drops the password, which wipes itself from memory.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use secrecy::ExposeSecret;

use crate::service::{TEMPORARY_PASSWORD_VALIDITY, TemporaryLogin};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::text::safe;
use crate::ui::view::{Cx, Handled, RenderCx, View};
use crate::ui::widgets::enrolment::wrap;

pub enum StaffSecrets {
    /// A new account's first login.
    NewAccount(TemporaryLogin),
    /// A reset: the old password, authenticator and recovery codes are void.
    Reset(TemporaryLogin),
}

pub struct CredentialsView {
    username: String,
    secrets: StaffSecrets,
}

impl CredentialsView {
    pub fn new(username: &str, secrets: StaffSecrets) -> Self {
        Self {
            username: safe(username).into_owned(),
            secrets,
        }
    }

    fn login(&self) -> &TemporaryLogin {
        match &self.secrets {
            StaffSecrets::NewAccount(login) | StaffSecrets::Reset(login) => login,
        }
    }
}

impl View for CredentialsView {
    fn title(&self) -> &'static str {
        "Shown once"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Form]
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        match action {
            Action::Submit | Action::Select => {
                cx.back();
                Handled::Yes
            }
            _ => Handled::No,
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Shown once")),
                rx.theme.title,
            ))
            .border_style(rx.theme.warning);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [text, footer] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(inner);
        let cells = usize::from(text.width);
        let login = self.login();
        let consequence = match &self.secrets {
            StaffSecrets::NewAccount(_) => rx.tr(
                "At their first login they type their user name and this password, leave the code empty, then choose their own password and set up their own authenticator app.",
            ),
            StaffSecrets::Reset(_) => rx.tr(
                "Their old password, authenticator and recovery codes no longer work. At their next login they type this password, leave the code empty, and set up new ones.",
            ),
        };
        let expires = login.expires_at.with_timezone(&rx.shop.tz);
        let validity = rx.lang.fill(
            "It works once, until {time} ({hours} hours); after that, reset the login again.",
            &[
                ("time", &expires.format("%Y-%m-%d %H:%M").to_string()),
                (
                    "hours",
                    &TEMPORARY_PASSWORD_VALIDITY.num_hours().to_string(),
                ),
            ],
        );
        let intro = rx.lang.fill(
            "For {user}. This is shown only now: hand it over in person before leaving this screen.",
            &[("user", self.username.as_str())],
        );
        let mut lines: Vec<Line> = Vec::new();
        for part in wrap(&intro, cells) {
            lines.push(Line::from(Span::styled(part, rx.theme.warning)));
        }
        lines.push(Line::from(""));
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", rx.tr("User name:")), rx.theme.muted),
            Span::styled(self.username.clone(), rx.theme.title),
        ]));
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", rx.tr("Temporary password:")), rx.theme.muted),
            Span::styled(
                safe(login.password.expose_secret()).into_owned(),
                rx.theme.accent.add_modifier(Modifier::BOLD),
            ),
        ]));
        lines.push(Line::from(""));
        for paragraph in [validity.as_str(), consequence] {
            for part in wrap(paragraph, cells) {
                lines.push(Line::from(part));
            }
        }
        frame.render_widget(Paragraph::new(lines), text);
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("Enter or Esc when it has been written down."),
                rx.theme.muted,
            )),
            footer,
        );
    }
}
