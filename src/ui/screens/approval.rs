//! A manager's approval at the cashier's screen: a manager standing at the counter types their
//! own user name, password and a current authenticator code, and the cashier's session may
//! then do one manager-only action (a discount, an off-list price, a refund, a void, a points
//! adjustment) once.
//!
//! Screens ask before showing the action's form, so a cashier is never refused after filling it
//! in: [`with_manager_approval`] runs the action at once when the session may do it, and
//! otherwise opens this dialog, which runs it after the manager approves.
//!
//! The password and code live only in the dialog's zeroizing fields and are moved out (as
//! secrets) for the one check; a refusal clears them, and closing the dialog drops them.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use secrecy::{ExposeSecret, SecretString};

use crate::domain::access::Operation;
use crate::service::{APPROVAL_VALIDITY, ServiceError};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::overlays::centred;
use crate::ui::tasks::Task;
use crate::ui::text::safe;
use crate::ui::view::{Cx, Handled, RenderCx, View, ViewTaskOutput, describe_error};
use crate::ui::widgets::form::{Form, FormEvent};
use crate::ui::widgets::input::TextInput;

/// What to do once the action is allowed: open its form, ask its confirmation. It runs with
/// the screen that asked for the approval back on top.
pub type OnApproved = Box<dyn FnOnce(&mut Cx) + Send>;

/// Runs `on_approved` now when the session may do `operation` (a manager, or a cashier whose
/// approval is already waiting); otherwise opens the approval dialog, which runs it once a
/// manager approves. The one call a screen needs before a manager-only form:
///
/// ```ignore
/// with_manager_approval(cx, Operation::AdjustPoints, Box::new(move |cx| cx.push(form)));
/// ```
///
/// With a title more precise than the operation's, use [`ApprovalDialog::ask`].
pub fn with_manager_approval(cx: &mut Cx, operation: Operation, on_approved: OnApproved) {
    ApprovalDialog::new(operation, on_approved).ask(cx);
}

/// Whether a manager must approve `operation` before this session may do it.
pub fn needs_manager(cx: &Cx, operation: Operation) -> bool {
    !cx.service.can(cx.session, operation)
}

/// The dialog's title for an operation, in English (translated when drawn).
fn title_for(operation: Operation) -> &'static str {
    match operation {
        Operation::OverridePrice => "Approve a price change",
        Operation::VoidVisit => "Approve a void",
        Operation::RefundVisit => "Approve a refund",
        Operation::AdjustPoints => "Approve a points adjustment",
        _ => "Manager approval",
    }
}

/// The result of the check, handed back from the worker thread.
struct ApprovalChecked(Result<(), ServiceError>);

pub struct ApprovalDialog {
    operation: Operation,
    /// English: what is being approved ("Approve a discount").
    title: &'static str,
    form: Form,
    /// The refusal, already translated.
    error: Option<String>,
    on_approved: Option<OnApproved>,
    /// The check is running (argon2 takes a moment); keys wait for it.
    checking: bool,
}

impl ApprovalDialog {
    pub fn new(operation: Operation, on_approved: OnApproved) -> Self {
        let form = Form::new()
            .text(
                "username",
                "Manager's user name",
                TextInput::new().with_max(64),
            )
            .text("password", "Password", TextInput::secret())
            .text(
                "code",
                "Code",
                TextInput::secret()
                    .with_max(10)
                    .with_placeholder("6 digits from their authenticator app"),
            );
        Self {
            operation,
            title: title_for(operation),
            form,
            error: None,
            on_approved: Some(on_approved),
            checking: false,
        }
    }

    /// A more precise title than the operation's, in English: "Approve a discount" for the
    /// discount form, where the operation is the general price change.
    pub fn with_title(mut self, english: &'static str) -> Self {
        self.title = english;
        self
    }

    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// Runs the action now when the session may already do it, or opens this dialog:
    ///
    /// ```ignore
    /// ApprovalDialog::new(Operation::OverridePrice, Box::new(|cx| cx.push(DiscountForm::new())))
    ///     .with_title("Approve a discount")
    ///     .ask(cx);
    /// ```
    pub fn ask(mut self, cx: &mut Cx) {
        if cx.service.can(cx.session, self.operation) {
            if let Some(on_approved) = self.on_approved.take() {
                on_approved(cx);
            }
        } else {
            cx.push(self);
        }
    }

    fn submit(&mut self, cx: &mut Cx) {
        for key in ["username", "password", "code"] {
            if self.form.value(key).trim().is_empty() {
                self.error = Some(cx.tr("Fill in all three fields.").to_owned());
                self.form.focus_key(key);
                return;
            }
        }
        let username = self.form.value("username").trim().to_owned();
        let (Some(password), Some(code)) = (
            self.form.input_mut("password").map(TextInput::take_secret),
            self.form.input_mut("code").map(TextInput::take_secret),
        ) else {
            return;
        };
        self.error = None;
        self.checking = true;
        let service = cx.service.clone();
        let session = cx.session.clone();
        let operation = self.operation;
        cx.run(Task::ForView {
            label: "Checking the manager's approval…",
            work: Box::new(move || {
                let result = approve(&service, &session, operation, &username, password, code);
                Box::new(ApprovalChecked(result)) as ViewTaskOutput
            }),
        });
    }

    /// A refusal: the one message, and only the name kept, so the manager types the rest again.
    fn refused(&mut self, message: String) {
        for key in ["password", "code"] {
            if let Some(input) = self.form.input_mut(key) {
                input.clear();
            }
        }
        self.form.focus_key("password");
        self.error = Some(message);
    }
}

/// The check itself, on the worker thread; the secrets are dropped (and wiped) when it returns.
fn approve(
    service: &crate::service::Service,
    session: &crate::service::Session,
    operation: Operation,
    username: &str,
    password: SecretString,
    code: SecretString,
) -> Result<(), ServiceError> {
    service.approve(
        session,
        operation,
        username,
        &password,
        code.expose_secret().trim(),
    )
}

impl View for ApprovalDialog {
    /// The header's title; the dialog's own, longer title says what is approved (it would
    /// not fit the header at 80 columns).
    fn title(&self) -> &'static str {
        "Manager approval"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Form]
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        if self.checking {
            return None;
        }
        self.form.focused_input()
    }

    fn on_input_changed(&mut self, _cx: &mut Cx) {
        self.error = None;
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        if self.checking {
            // The answer comes back to this dialog; leaving now would lose it.
            return Handled::Yes;
        }
        match self.form.on_action(action) {
            FormEvent::Submit if self.form.focus + 1 < self.form.fields.len() => {
                self.form.on_action(Action::NextField);
                Handled::Yes
            }
            FormEvent::Submit => {
                self.submit(cx);
                Handled::Yes
            }
            FormEvent::Changed => Handled::Yes,
            FormEvent::Ignored => Handled::No,
        }
    }

    fn on_task(&mut self, output: ViewTaskOutput, cx: &mut Cx) {
        let Ok(checked) = output.downcast::<ApprovalChecked>() else {
            return;
        };
        self.checking = false;
        match checked.0 {
            Ok(()) => {
                let manager = safe(self.form.value("username")).into_owned();
                cx.back();
                cx.notice(cx.lang.fill(
                    "Approved by {manager}, for this once.",
                    &[("manager", &manager)],
                ));
                if let Some(on_approved) = self.on_approved.take() {
                    on_approved(cx);
                }
            }
            Err(ServiceError::InvalidCredentials) => self.refused(
                cx.tr("Not approved: the user name, password or code is not right. Check them and try again.")
                    .to_owned(),
            ),
            Err(error @ (ServiceError::SessionLocked | ServiceError::SessionEnded)) => {
                cx.fail(&error);
            }
            Err(error) => self.refused(describe_error(&error, cx.lang)),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let height = (self.form.height() + 10).min(area.height);
        let box_area = centred(area, 68.min(area.width), height);
        crate::ui::widgets::surface::clear_for_dialog(frame, box_area, rx);
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr(self.title)),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(box_area);
        frame.render_widget(block, box_area);
        let [intro, _, form_area, _, error, footer] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(1),
            Constraint::Length(self.form.height_in(inner.width, rx)),
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        let minutes = APPROVAL_VALIDITY.num_minutes().to_string();
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.lang.fill(
                    "A manager types their own user name, password and a current code. This allows the action once, within {minutes} minutes; nothing typed here is kept.",
                    &[("minutes", &minutes)],
                ),
                rx.theme.muted,
            ))
            .wrap(Wrap { trim: true }),
            intro,
        );
        self.form.render(frame, form_area, rx, !self.checking);
        if let Some(message) = &self.error {
            frame.render_widget(
                Paragraph::new(Span::styled(safe(message).into_owned(), rx.theme.error))
                    .wrap(Wrap { trim: true }),
                error,
            );
        }
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(
                rx.tr("Enter: next field, approves on the last   Esc: cancel"),
                rx.theme.muted,
            ))),
            footer,
        );
    }
}
