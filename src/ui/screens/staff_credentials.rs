//! Credentials shown exactly once: a new account's (or a reset's) authenticator secret and
//! recovery codes, or a reset's temporary password. Nothing here is stored; leaving the screen
//! drops the secrets, which wipe themselves from memory.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use secrecy::{ExposeSecret, SecretString};

use crate::service::StaffCredentials;
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::text::safe;
use crate::ui::view::{Cx, Handled, RenderCx, View};

pub enum StaffSecrets {
    /// A new account: its authenticator and recovery codes (the password is the one typed).
    NewAccount(StaffCredentials),
    /// A reset authenticator: new secret and recovery codes.
    Authenticator(StaffCredentials),
    /// A reset password: the temporary one to hand over.
    TemporaryPassword(SecretString),
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
}

/// `ABCD EFGH IJKL …`: a base32 secret in groups of four, easier to type into a phone.
pub fn grouped_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The enrolment as text: the secret to type and the link to paste.
// TODO(swap): replace with `ui::widgets::enrolment` (QR + secret + URI) when it lands.
fn enrolment_lines(credentials: &StaffCredentials, rx: &RenderCx) -> Vec<Line<'static>> {
    vec![
        Line::from(Span::styled(
            rx.tr("Add it to an authenticator app: type this secret…"),
            rx.theme.muted,
        )),
        Line::from(Span::styled(
            grouped_secret(&credentials.enrolment.secret_base32),
            rx.theme.accent,
        )),
        Line::from(Span::styled(rx.tr("…or paste this link:"), rx.theme.muted)),
        Line::from(safe(&credentials.enrolment.otpauth_uri).into_owned()),
    ]
}

fn recovery_lines(credentials: &StaffCredentials, rx: &RenderCx) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(
        rx.tr("Recovery codes (each works once; keep them somewhere safe, away from the phone):"),
        rx.theme.muted,
    ))];
    let codes: Vec<&str> = credentials
        .recovery_codes
        .iter()
        .map(|code| code.expose())
        .collect();
    for pair in codes.chunks(2) {
        let left = pair.first().copied().unwrap_or_default();
        let right = pair.get(1).copied().unwrap_or_default();
        lines.push(Line::from(format!("  {left}    {right}")));
    }
    lines
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
        let [body, footer] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(inner);
        let user = self.username.as_str();
        let mut lines = vec![
            Line::from(Span::styled(
                rx.lang.fill(
                    "For {user}. This is shown only now: hand it over before leaving this screen.",
                    &[("user", user)],
                ),
                rx.theme.warning,
            )),
            Line::from(""),
        ];
        match &self.secrets {
            StaffSecrets::NewAccount(credentials) => {
                lines.push(Line::from(rx.tr(
                    "Log in with the temporary password you typed; a new password is chosen at the first login.",
                )));
                lines.extend(enrolment_lines(credentials, rx));
                lines.push(Line::from(""));
                lines.extend(recovery_lines(credentials, rx));
            }
            StaffSecrets::Authenticator(credentials) => {
                lines.push(Line::from(
                    rx.tr("The old authenticator and recovery codes no longer work."),
                ));
                lines.extend(enrolment_lines(credentials, rx));
                lines.push(Line::from(""));
                lines.extend(recovery_lines(credentials, rx));
            }
            StaffSecrets::TemporaryPassword(password) => {
                lines.push(Line::from(rx.tr(
                    "Temporary password (they choose their own at the next login):",
                )));
                lines.push(Line::from(Span::styled(
                    format!("  {}", safe(password.expose_secret())),
                    rx.theme.accent,
                )));
            }
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("Enter or Esc when it has been written down or scanned."),
                rx.theme.muted,
            )),
            footer,
        );
    }
}
