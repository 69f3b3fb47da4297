//! A new staff account: user name, display name and role. The service issues a temporary
//! password, shown once for the manager to hand over; the new person chooses their own
//! password and sets up their authenticator at the first login. Creating the account hashes
//! the password, so it runs as a background task.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Paragraph};

use super::staff_credentials::{CredentialsView, StaffSecrets};
use crate::domain::access::{Role, normalize_username};
use crate::service::{NewStaff, ServiceError, TemporaryLogin};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::tasks::Task;
use crate::ui::view::{Cx, Handled, RenderCx, View, ViewTaskOutput};
use crate::ui::widgets::form::{Form, FormEvent, username_note};
use crate::ui::widgets::input::TextInput;

const ROLES: [Role; 2] = [Role::Cashier, Role::Manager];

/// What the creating task hands back: the user name it created and the result.
struct Created {
    username: String,
    result: Result<TemporaryLogin, ServiceError>,
}

pub struct NewStaffView {
    form: Form,
    busy: bool,
}

impl Default for NewStaffView {
    fn default() -> Self {
        Self::new()
    }
}

impl NewStaffView {
    pub fn new() -> Self {
        Self {
            form: Self::blank_form(0),
            busy: false,
        }
    }

    fn blank_form(role: usize) -> Form {
        Form::new()
            .text("username", "User name", TextInput::new().with_max(32))
            .hint("Lower-case letters, digits, . _ -; used to log in.")
            .text("display", "Display name", TextInput::new().with_max(60))
            .choice("role", "Role", Vec::new(), role)
    }

    fn set_role_options(&mut self, cx: &Cx) {
        if let Some(field) = self.form.field_mut("role")
            && let crate::ui::widgets::form::FieldKind::Choice { options, .. } = &mut field.kind
            && options.is_empty()
        {
            *options = ROLES
                .iter()
                .map(|role| cx.tr(super::staff::role_word(*role)).to_owned())
                .collect();
        }
    }

    fn submit(&mut self, cx: &mut Cx) {
        self.form.clear_errors();
        let username = match normalize_username(self.form.value("username")) {
            Ok(name) => name,
            Err(err) => {
                self.form
                    .set_error("username", safe_error(&err.to_string()));
                self.form.focus_first_error();
                return;
            }
        };
        let role = ROLES
            .get(self.form.choice_index("role"))
            .copied()
            .unwrap_or(Role::Cashier);
        let new = NewStaff {
            username: username.clone(),
            display_name: self.form.value("display").to_owned(),
            role,
        };
        let service = cx.service.clone();
        let session = cx.session.clone();
        self.busy = true;
        cx.run(Task::ForView {
            label: "Creating the account…",
            work: Box::new(move || {
                let result = service.create_staff(&session, new);
                Box::new(Created { username, result }) as ViewTaskOutput
            }),
        });
    }
}

/// Domain messages are English sentences built from fixed text; still sanitised to draw.
fn safe_error(text: &str) -> String {
    crate::ui::text::safe(text).into_owned()
}

impl View for NewStaffView {
    fn title(&self) -> &'static str {
        "New staff account"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Form]
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        self.form.focused_input()
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.set_role_options(cx);
    }

    fn on_input_changed(&mut self, cx: &mut Cx) {
        let note = username_note(self.form.value("username"), cx.lang);
        self.form.set_note("username", note);
        self.form.clear_errors();
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        if self.busy {
            return Handled::No;
        }
        match self.form.on_action(action) {
            FormEvent::Changed => Handled::Yes,
            FormEvent::Ignored => Handled::No,
            FormEvent::Submit => {
                // Enter moves on until the last field; Ctrl-S saves from anywhere.
                let last = self.form.fields.len().saturating_sub(1);
                if action == Action::Submit && self.form.focus < last {
                    let focused_empty = self
                        .form
                        .focused_key()
                        .is_some_and(|key| self.form.value(key).is_empty() && key != "role");
                    if focused_empty {
                        self.form.on_action(Action::NextField);
                        return Handled::Yes;
                    }
                }
                self.submit(cx);
                Handled::Yes
            }
        }
    }

    fn on_task(&mut self, output: ViewTaskOutput, cx: &mut Cx) {
        self.busy = false;
        let Ok(created) = output.downcast::<Created>() else {
            return;
        };
        let Created { username, result } = *created;
        match result {
            Ok(login) => {
                cx.changed();
                cx.notice(
                    cx.lang
                        .fill("Account {user} created.", &[("user", &username)]),
                );
                cx.replace(CredentialsView::new(
                    &username,
                    StaffSecrets::NewAccount(login),
                ));
            }
            Err(ServiceError::UsernameTaken(_)) => {
                self.form.set_error(
                    "username",
                    cx.tr("That user name is taken; choose another."),
                );
                self.form.focus_first_error();
            }
            Err(ServiceError::InvalidInput(message)) => {
                self.form.set_error("username", safe_error(&message));
                self.form.focus_first_error();
            }
            Err(err) => cx.fail(&err),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("New staff account")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [intro, form_area, _] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(self.form.height_in(inner.width, rx)),
            Constraint::Min(0),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("You get a temporary password to hand over. At their first login the new person chooses their own password and sets up their own authenticator app; you never see either."),
                rx.theme.muted,
            ))
            .wrap(ratatui::widgets::Wrap { trim: true }),
            intro,
        );
        self.form.render(frame, form_area, rx, !self.busy);
    }
}
