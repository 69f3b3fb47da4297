//! A staff account's display name, changed by a manager with their own fresh code. The user
//! name used to log in stays as it is.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::ids::RecordId;
use crate::service::ServiceError;
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::text::safe;
use crate::ui::view::{Cx, Handled, RenderCx, View};
use crate::ui::widgets::form::{Form, FormEvent};
use crate::ui::widgets::input::TextInput;

const DISPLAY: &str = "display";
const CODE: &str = "code";

pub struct RenameStaffView {
    staff_id: RecordId,
    username: String,
    form: Form,
}

impl RenameStaffView {
    pub fn new(staff_id: RecordId, username: &str, display_name: &str) -> Self {
        let form = Form::new()
            .text(
                DISPLAY,
                "Display name",
                TextInput::new().with_max(60).with_value(display_name),
            )
            .hint("The name colleagues see; the user name stays.")
            .text(CODE, "Authenticator code", TextInput::secret().with_max(8))
            .hint("Your own code, to confirm it is you.");
        Self {
            staff_id,
            username: username.to_owned(),
            form,
        }
    }

    fn submit(&mut self, cx: &mut Cx) {
        self.form.clear_errors();
        if self.form.value(DISPLAY).trim().is_empty() {
            self.form.set_error(DISPLAY, cx.tr("Type a display name."));
        }
        if self.form.value(CODE).trim().is_empty() {
            self.form
                .set_error(CODE, cx.tr("Enter your own authenticator code."));
        }
        if self.form.has_errors() {
            self.form.focus_first_error();
            return;
        }
        let code = self
            .form
            .input_mut(CODE)
            .map(TextInput::take_secret)
            .unwrap_or_else(|| secrecy::SecretString::from(String::new()));
        match cx
            .service
            .step_up(cx.session, secrecy::ExposeSecret::expose_secret(&code))
        {
            Ok(()) => {}
            Err(ServiceError::InvalidCredentials) => {
                self.form.set_error(
                    CODE,
                    cx.tr("That code is not right; nothing was changed. Try the next code."),
                );
                self.form.focus_first_error();
                return;
            }
            Err(err) => return cx.fail(&err),
        }
        let name = self.form.value(DISPLAY).to_owned();
        match cx.service.rename_staff(cx.session, self.staff_id, &name) {
            Ok(()) => {
                cx.changed();
                cx.notice(cx.lang.fill(
                    "{user} is now shown as {name}.",
                    &[
                        ("user", &safe(&self.username)),
                        (
                            "name",
                            &safe(crate::domain::sanitize::sanitize_line(&name).as_str()),
                        ),
                    ],
                ));
                cx.back();
            }
            Err(ServiceError::InvalidInput(message)) => {
                self.form.set_error(DISPLAY, safe(&message).into_owned());
                self.form.focus_first_error();
            }
            Err(err) => cx.fail(&err),
        }
    }
}

impl View for RenameStaffView {
    fn title(&self) -> &'static str {
        "Display name"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Form]
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        self.form.focused_input()
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        match self.form.on_action(action) {
            FormEvent::Changed => Handled::Yes,
            FormEvent::Ignored => Handled::No,
            FormEvent::Submit => {
                // Enter on the name moves on to the code; on the code (or Ctrl-S) it saves.
                if self.form.focused_key() == Some(DISPLAY) && self.form.value(CODE).is_empty() {
                    self.form.on_action(Action::NextField);
                } else {
                    self.submit(cx);
                }
                Handled::Yes
            }
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Display name")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [intro, form_area, _] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(self.form.height()),
            Constraint::Min(0),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.lang
                    .fill("The account {user}:", &[("user", &safe(&self.username))]),
                rx.theme.muted,
            ))
            .wrap(Wrap { trim: true }),
            intro,
        );
        self.form.render(frame, form_area, rx, true);
    }
}
