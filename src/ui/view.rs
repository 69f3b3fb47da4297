//! The contract between the app and its screens. A screen is a [`View`]: it says which key
//! contexts it uses, reacts to actions through a [`Cx`] (the service, the session and a queue of
//! commands for the app), and draws itself from a shared reference with a [`RenderCx`].

use std::any::Any;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;

use super::actions::Action;
use super::app::SshServerInfo;
use super::i18n::Language;
use super::keymap::{KeyContext, Keymap};
use super::tasks::Task;
use super::text::safe;
use super::theme::Theme;
use super::widgets::input::TextInput;
use crate::domain::access::Role;
use crate::domain::currency::Currency;
use crate::domain::money::Money;
use crate::service::{Service, ServiceError, Session, ShownText};

/// Whether a view used an action, so the app can try the next handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Yes,
    No,
}

/// A question the app asks on a view's behalf (a destructive confirmation, a reason, a fresh
/// authenticator code). The answer comes back through [`View::on_prompt`] with the same `tag`.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub tag: &'static str,
    /// English; translated when drawn.
    pub title: &'static str,
    /// Already translated and sanitised.
    pub message: String,
    pub ask_reason: bool,
    /// The text field's label when it asks for something other than a reason (English).
    pub text_label: Option<&'static str>,
    /// The text asked for is a note kept with a record (not a reason for the audit log).
    pub reason_is_note: bool,
    pub ask_code: bool,
    /// A destructive action draws its confirmation in the error style.
    pub destructive: bool,
}

impl Prompt {
    pub fn confirm(tag: &'static str, title: &'static str, message: String) -> Self {
        Self {
            tag,
            title,
            message,
            ask_reason: false,
            text_label: None,
            reason_is_note: false,
            ask_code: false,
            destructive: true,
        }
    }

    pub fn with_reason(mut self) -> Self {
        self.ask_reason = true;
        self
    }

    /// Asks for a line of text under `label` instead of a reason (not audited as one).
    pub fn with_text(mut self, label: &'static str) -> Self {
        self.ask_reason = true;
        self.text_label = Some(label);
        self
    }

    /// Asks for a note that is kept with what it is about, such as an acknowledged alert.
    pub fn with_note(mut self) -> Self {
        self.ask_reason = true;
        self.reason_is_note = true;
        self.destructive = false;
        self
    }

    /// Also asks for a fresh authenticator code (for actions that need step-up).
    pub fn with_code(mut self) -> Self {
        self.ask_code = true;
        self
    }
}

pub struct PromptAnswer {
    pub reason: String,
    /// The code typed for step-up; the view passes it to `Service::step_up`.
    pub code: String,
}

impl std::fmt::Debug for PromptAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptAnswer")
            .field("reason_chars", &self.reason.chars().count())
            .finish_non_exhaustive()
    }
}

/// What a view asks the app to do once its handler returns.
pub enum Command {
    Push(Box<dyn View>),
    Replace(Box<dyn View>),
    Back,
    /// Back to the Today screen, dropping the rest of the stack.
    Home,
    Notice(String),
    Error(String),
    Prompt(Prompt),
    Run(Task),
    /// Something in the store changed: other sessions (and this one's other screens) reload.
    Changed,
    SessionEnded,
    Locked,
    /// The session became a working one (enrolment finished): the desk starts afresh on
    /// Today, in the staff member's own language and theme.
    StartDesk,
    /// The staff member chose a language or theme.
    SetLook {
        language: Language,
        theme: String,
    },
}

/// The shop's settings a screen needs to draw money and times.
#[derive(Debug, Clone)]
pub struct ShopContext {
    pub shop_name: String,
    pub tz: Tz,
    pub currency: Currency,
    pub demo: bool,
    /// The name of the site this process works at, when the chain has more than one site.
    pub site_name: Option<String>,
}

/// Everything a view's handlers may use. Commands are queued and applied by the app after the
/// handler returns, so a handler never re-enters the app.
pub struct Cx<'a> {
    pub service: &'a Arc<Service>,
    pub session: &'a Session,
    pub role: Role,
    pub username: &'a str,
    pub lang: Language,
    pub shop: &'a ShopContext,
    pub now: DateTime<Utc>,
    pub commands: Vec<Command>,
}

impl<'a> Cx<'a> {
    pub fn push(&mut self, view: impl View + 'static) {
        self.commands.push(Command::Push(Box::new(view)));
    }

    pub fn replace(&mut self, view: impl View + 'static) {
        self.commands.push(Command::Replace(Box::new(view)));
    }

    pub fn back(&mut self) {
        self.commands.push(Command::Back);
    }

    pub fn home(&mut self) {
        self.commands.push(Command::Home);
    }

    /// A short confirmation in the status line, already translated.
    pub fn notice(&mut self, text: impl Into<String>) {
        self.commands.push(Command::Notice(text.into()));
    }

    pub fn prompt(&mut self, prompt: Prompt) {
        self.commands.push(Command::Prompt(prompt));
    }

    pub fn run(&mut self, task: Task) {
        self.commands.push(Command::Run(task));
    }

    /// Tells other screens and sessions to reload; call after every successful change.
    pub fn changed(&mut self) {
        self.commands.push(Command::Changed);
    }

    /// Reports a failed service call: a locked or ended session is handled by the app,
    /// anything else is shown in the status line in the session's language.
    pub fn fail(&mut self, error: &ServiceError) {
        match error {
            ServiceError::SessionLocked => self.commands.push(Command::Locked),
            ServiceError::SessionEnded => self.commands.push(Command::SessionEnded),
            other => self
                .commands
                .push(Command::Error(describe_error(other, self.lang))),
        }
    }

    pub fn tr(&self, english: &'static str) -> &'static str {
        self.lang.tr(english)
    }

    pub fn is_manager(&self) -> bool {
        self.role == Role::Manager
    }

    /// Confirms a sensitive action with the fresh authenticator code typed in a prompt. A
    /// wrong code is reported plainly (nothing was changed) and gives `false`.
    pub fn step_up(&mut self, code: &str) -> bool {
        match self.service.step_up(self.session, code) {
            Ok(()) => true,
            Err(ServiceError::InvalidCredentials) => {
                self.commands.push(Command::Error(
                    self.tr("That code is not right; nothing was changed. Try the next code.")
                        .to_owned(),
                ));
                false
            }
            Err(err) => {
                self.fail(&err);
                false
            }
        }
    }
}

/// A service error in the staff member's language. Messages built from input details stay in
/// English behind a translated lead-in.
pub fn describe_error(error: &ServiceError, lang: Language) -> String {
    let fixed = match error {
        ServiceError::InvalidCredentials => Some(lang.tr(
            "Login failed: the user name, password or code is not right. Check them and try again.",
        )),
        ServiceError::SessionEnded => Some(lang.tr("Your session has ended; log in again.")),
        ServiceError::SessionLocked => {
            Some(lang.tr("The screen is locked; unlock it with your password."))
        }
        ServiceError::Forbidden { .. } => {
            Some(lang.tr("Only a manager may do that; ask a manager."))
        }
        ServiceError::StepUpRequired => {
            Some(lang.tr("This needs a fresh authenticator code; enter one to confirm it is you."))
        }
        ServiceError::PasswordChangeRequired => {
            Some(lang.tr("Choose a new password first: the one you were given was temporary."))
        }
        ServiceError::NotFound(_) => {
            Some(lang.tr("That record is no longer there; it may have been removed. Search again."))
        }
        ServiceError::EnrolmentRequired => Some(lang.tr(
            "Finish setting up your login first: choose your password and set up your authenticator.",
        )),
        ServiceError::EnrolmentCodeMismatch => Some(lang.tr(
            "That code did not match. Check that the phone's clock is set automatically (Settings, Date & time: automatic), then type the newest code the app shows.",
        )),
        ServiceError::DiskFull => Some(lang.tr(
            "The disk is full: nothing of this change was saved; free space on the disk and try again.",
        )),
        ServiceError::Backup(crate::service::BackupError::DiskFull) => Some(lang.tr(
            "The disk is full: the backup could not be written and no backup file was kept; free space on the disk (or choose another folder) and try again.",
        )),
        _ => None,
    };
    match fixed {
        Some(text) => text.to_owned(),
        None if lang == Language::English => safe(&error.to_string()).into_owned(),
        None => format!("{}{}", lang.tr("Not done: "), safe(&error.to_string())),
    }
}

/// What drawing needs: no service, no I/O.
pub struct RenderCx<'a> {
    pub theme: &'a Theme,
    pub lang: Language,
    pub keymap: &'a Keymap,
    /// The privacy blank: every personal field is hidden.
    pub blank: bool,
    pub role: Role,
    pub now: DateTime<Utc>,
    pub shop: &'a ShopContext,
    /// Set when this process serves SSH, for the host key shown under Settings.
    pub ssh_server: Option<&'a SshServerInfo>,
}

/// Drawn in place of every personal field while the privacy blank is on.
pub const BLANKED: &str = "••••••";

impl RenderCx<'_> {
    pub fn tr(&self, english: &'static str) -> &'static str {
        self.lang.tr(english)
    }

    /// A personal field, or the blank. Masked text is drawn in the `masked` style.
    pub fn personal(&self, text: &ShownText, masked: bool) -> Span<'static> {
        if self.blank {
            Span::styled(BLANKED, self.theme.masked)
        } else if masked {
            Span::styled(text.as_str().to_owned(), self.theme.masked)
        } else {
            Span::raw(text.as_str().to_owned())
        }
    }

    /// A personal field as plain text (for table cells), or the blank.
    pub fn personal_text(&self, text: &ShownText) -> String {
        if self.blank {
            BLANKED.to_owned()
        } else {
            text.as_str().to_owned()
        }
    }

    pub fn money(&self, amount: Money) -> String {
        amount.format(&self.shop.currency)
    }

    /// A UTC instant as the shop's local time, e.g. `14:30`.
    pub fn time(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.shop.tz).format("%H:%M").to_string()
    }

    /// A UTC instant as the shop's local date and time, e.g. `2026-11-23 14:30`.
    pub fn date_time(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.shop.tz)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    pub fn today(&self) -> chrono::NaiveDate {
        self.now.with_timezone(&self.shop.tz).date_naive()
    }

    /// "F1 help"-style hint for an action in these contexts, from the keymap.
    pub fn key_hint(&self, contexts: &[KeyContext], action: Action) -> Option<String> {
        self.keymap
            .binding_for(contexts, action)
            .and_then(|binding| binding.keys.first())
            .map(|chord| chord.to_string())
    }

    /// Styled for a focused or unfocused input field.
    pub fn input_style(&self, focused: bool) -> Style {
        if focused {
            self.theme.input_focused
        } else {
            self.theme.input
        }
    }
}

/// Output of a view's background task, handed back to the view that is on top when it ends.
pub type ViewTaskOutput = Box<dyn Any + Send>;

pub trait View: Send {
    /// English; translated by the app for the header.
    fn title(&self) -> &'static str;

    /// Key contexts, most specific first (the global context is always added).
    fn contexts(&self) -> &'static [KeyContext];

    /// The focused text field, if any: printable keys and editing keys go to it first.
    fn focused_input(&mut self) -> Option<&mut TextInput> {
        None
    }

    /// Called after the focused input changed (search as you type).
    fn on_input_changed(&mut self, _cx: &mut Cx) {}

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled;

    fn on_prompt(&mut self, _tag: &'static str, _answer: PromptAnswer, _cx: &mut Cx) {}

    fn on_task(&mut self, _output: ViewTaskOutput, _cx: &mut Cx) {}

    /// Reload data: the store changed elsewhere, or the view came back to the top.
    fn refresh(&mut self, _cx: &mut Cx) {}

    /// Draws the view from what it already holds: no I/O, no service calls.
    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx);

    /// Actions this view offers to the command palette beyond its key contexts.
    fn offers(&self, _role: Role) -> Vec<Action> {
        Vec::new()
    }

    /// Whether the view draws over the whole terminal for now, header and status lines
    /// included (a QR code that needs every row).
    fn wants_whole_frame(&self) -> bool {
        false
    }
}
