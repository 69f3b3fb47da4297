//! Credentials shown exactly once: a new account's (or a reset's) authenticator secret and
//! recovery codes, or a reset's temporary password. Nothing here is stored; leaving the screen
//! drops the secrets, which wipe themselves from memory.
//!
//! The authenticator is drawn by the shared enrolment widget (QR code, grouped secret, link;
//! Tab switches between the QR code and text). When the recovery codes do not fit beside it,
//! as at 80×24 with the QR code, Enter turns to a page of their own before leaving.

use std::cell::Cell;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use secrecy::{ExposeSecret, SecretString};

use crate::service::StaffCredentials;
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::text::{safe, truncate};
use crate::ui::view::{Cx, Handled, RenderCx, View};
use crate::ui::widgets::enrolment::{
    EnrolmentView, Para, qr_fits, recovery_codes_height, render_enrolment, render_recovery_codes,
    wrap,
};

pub enum StaffSecrets {
    /// A new account: its authenticator and recovery codes (the password is the one typed).
    NewAccount(StaffCredentials),
    /// A reset authenticator: new secret and recovery codes.
    Authenticator(StaffCredentials),
    /// A reset password: the temporary one to hand over.
    TemporaryPassword(SecretString),
}

/// Which part of an authenticator's credentials has the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    /// The enrolment, with the recovery codes below it when they fit.
    Authenticator,
    /// The recovery codes alone, after Enter when they did not fit with the enrolment.
    RecoveryCodes,
}

pub struct CredentialsView {
    username: String,
    secrets: StaffSecrets,
    view: EnrolmentView,
    page: Page,
    /// Set while drawing: whether the last frame showed the recovery codes with the
    /// enrolment. Only the drawing knows the room there is, and Enter must not leave before
    /// the codes have been on screen.
    codes_shown: Cell<bool>,
}

impl CredentialsView {
    pub fn new(username: &str, secrets: StaffSecrets) -> Self {
        Self {
            username: safe(username).into_owned(),
            secrets,
            view: EnrolmentView::default(),
            page: Page::Authenticator,
            codes_shown: Cell::new(false),
        }
    }

    fn credentials(&self) -> Option<&StaffCredentials> {
        match &self.secrets {
            StaffSecrets::NewAccount(credentials) | StaffSecrets::Authenticator(credentials) => {
                Some(credentials)
            }
            StaffSecrets::TemporaryPassword(_) => None,
        }
    }

    fn shown_only_now(&self, rx: &RenderCx) -> String {
        rx.lang.fill(
            "For {user}. This is shown only now: hand it over before leaving this screen.",
            &[("user", self.username.as_str())],
        )
    }

    /// What the new credentials mean for the person they are for.
    fn consequence<'a>(&self, rx: &'a RenderCx) -> &'a str {
        match &self.secrets {
            StaffSecrets::NewAccount(_) => rx.tr(
                "Log in with the temporary password you typed; a new password is chosen at the first login.",
            ),
            StaffSecrets::Authenticator(_) | StaffSecrets::TemporaryPassword(_) => {
                rx.tr("The old authenticator and recovery codes no longer work.")
            }
        }
    }

    fn render_authenticator(
        &self,
        frame: &mut Frame,
        area: Rect,
        credentials: &StaffCredentials,
        rx: &RenderCx,
    ) {
        // Only a top border: the QR code needs all but one row of the 80×22 body.
        let block = Block::new()
            .borders(Borders::TOP)
            .title(Span::styled(
                format!(" {} ", rx.tr("Shown once")),
                rx.theme.title,
            ))
            .border_style(rx.theme.warning);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let enrolment = &credentials.enrolment;
        let warning = self.shown_only_now(rx);
        let header = [
            Para {
                text: &warning,
                style: rx.theme.warning,
            },
            Para {
                text: self.consequence(rx),
                style: rx.theme.base,
            },
            Para {
                text: if qr_fits(enrolment, inner) && self.view == EnrolmentView::Qr {
                    rx.tr("Scan the QR code with the authenticator app on your phone, or type the secret key into it.")
                } else {
                    rx.tr("Type the secret key into the authenticator app on your phone.")
                },
                style: rx.theme.base,
            },
        ];
        // The keys line.
        const RESERVE: u16 = 1;
        let drawn = render_enrolment(frame, inner, enrolment, self.view, &header, RESERVE, rx);
        let rest = drawn.rest;
        let codes = credentials.recovery_codes.as_slice();
        let label = wrap(
            rx.tr(
                "Recovery codes (each works once; keep them somewhere safe, away from the phone):",
            ),
            usize::from(rest.width),
        );
        let label_rows = u16::try_from(label.len()).unwrap_or(u16::MAX);
        let codes_width = rest.width.saturating_sub(2);
        let codes_rows = recovery_codes_height(codes, codes_width);
        let codes_fit = label_rows
            .saturating_add(codes_rows)
            .saturating_add(RESERVE)
            <= rest.height;
        if codes_fit {
            let lines: Vec<Line> = label
                .into_iter()
                .map(|part| Line::from(Span::styled(part, rx.theme.muted)))
                .collect();
            frame.render_widget(
                Paragraph::new(lines),
                Rect::new(rest.x, rest.y, rest.width, label_rows),
            );
            render_recovery_codes(
                frame,
                Rect::new(rest.x + 2, rest.y + label_rows, codes_width, codes_rows),
                codes,
                rx,
            );
        }
        self.codes_shown.set(codes_fit);
        let enter = if codes_fit {
            rx.tr("Enter or Esc: done")
        } else {
            rx.tr("Enter: recovery codes")
        };
        let keys = match (drawn.qr_fits, drawn.qr_shown) {
            (true, true) => format!("{enter}   {}", rx.tr("Tab: as text")),
            (true, false) => format!("{enter}   {}", rx.tr("Tab: QR code")),
            (false, _) => enter.to_owned(),
        };
        if rest.height > 0 {
            frame.render_widget(
                Paragraph::new(Span::styled(
                    truncate(&keys, usize::from(rest.width)).into_owned(),
                    rx.theme.muted,
                )),
                Rect::new(rest.x, rest.bottom() - 1, rest.width, 1),
            );
        }
    }

    fn render_recovery_page(
        &self,
        frame: &mut Frame,
        area: Rect,
        credentials: &StaffCredentials,
        rx: &RenderCx,
    ) {
        let body = shown_once_box(frame, area, rx);
        let [text, footer] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(2)]).areas(body);
        let cells = usize::from(text.width);
        let mut lines: Vec<Line> = Vec::new();
        for (paragraph, style) in [
            (self.shown_only_now(rx), rx.theme.warning),
            (
                rx.tr("Recovery codes (each works once; keep them somewhere safe, away from the phone):")
                    .to_owned(),
                rx.theme.muted,
            ),
        ] {
            for part in wrap(&paragraph, cells) {
                lines.push(Line::from(Span::styled(part, style)));
            }
            lines.push(Line::from(""));
        }
        let used = u16::try_from(lines.len())
            .unwrap_or(u16::MAX)
            .min(text.height);
        frame.render_widget(Paragraph::new(lines), text);
        let codes = credentials.recovery_codes.as_slice();
        let codes_y = text.y + used;
        let codes_width = text.width.saturating_sub(2);
        let codes_rows =
            recovery_codes_height(codes, codes_width).min(text.bottom().saturating_sub(codes_y));
        render_recovery_codes(
            frame,
            Rect::new(text.x + 2, codes_y, codes_width, codes_rows),
            codes,
            rx,
        );
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(Span::styled(
                    rx.tr("Enter or Esc when it has been written down or scanned."),
                    rx.theme.muted,
                )),
                Line::from(Span::styled(
                    rx.tr("Tab: the authenticator again"),
                    rx.theme.muted,
                )),
            ]),
            footer,
        );
    }

    fn render_password(
        &self,
        frame: &mut Frame,
        area: Rect,
        password: &SecretString,
        rx: &RenderCx,
    ) {
        let body = shown_once_box(frame, area, rx);
        let [text, footer] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(body);
        let lines = vec![
            Line::from(Span::styled(self.shown_only_now(rx), rx.theme.warning)),
            Line::from(""),
            Line::from(rx.tr("Temporary password (they choose their own at the next login):")),
            Line::from(Span::styled(
                format!("  {}", safe(password.expose_secret())),
                rx.theme.accent,
            )),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text);
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("Enter or Esc when it has been written down or scanned."),
                rx.theme.muted,
            )),
            footer,
        );
    }
}

/// The warning-bordered box the secrets are drawn in; returns its inside.
fn shown_once_box(frame: &mut Frame, area: Rect, rx: &RenderCx) -> Rect {
    let block = Block::bordered()
        .title(Span::styled(
            format!(" {} ", rx.tr("Shown once")),
            rx.theme.title,
        ))
        .border_style(rx.theme.warning);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

impl View for CredentialsView {
    fn title(&self) -> &'static str {
        "Shown once"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Form]
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        let enrolling = self.credentials().is_some();
        match action {
            Action::Submit | Action::Select => {
                if enrolling && self.page == Page::Authenticator && !self.codes_shown.get() {
                    self.page = Page::RecoveryCodes;
                } else {
                    cx.back();
                }
                Handled::Yes
            }
            Action::NextField | Action::PrevField if enrolling => {
                match self.page {
                    Page::Authenticator => self.view = self.view.toggled(),
                    Page::RecoveryCodes => self.page = Page::Authenticator,
                }
                Handled::Yes
            }
            _ => Handled::No,
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        match &self.secrets {
            StaffSecrets::TemporaryPassword(password) => {
                self.render_password(frame, area, password, rx);
            }
            StaffSecrets::NewAccount(credentials) | StaffSecrets::Authenticator(credentials) => {
                match self.page {
                    Page::Authenticator => self.render_authenticator(frame, area, credentials, rx),
                    Page::RecoveryCodes => {
                        self.render_recovery_page(frame, area, credentials, rx);
                    }
                }
            }
        }
    }
}
