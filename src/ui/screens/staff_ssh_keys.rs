//! One staff member's SSH public keys (manager): the list with fingerprints, adding a key by
//! pasting the line from their `.pub` file, removing one, and whether logins over SSH must
//! prove a key on top of password and code.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use crate::ids::RecordId;
use crate::service::{ServiceError, SshKeyView, SshKeysView};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::text::safe;
use crate::ui::view::{Cx, Handled, Prompt, PromptAnswer, RenderCx, View, describe_error};
use crate::ui::widgets::hints::footer_hints;
use crate::ui::widgets::input::TextInput;
use crate::ui::widgets::table::RowCursor;

const REMOVE: &str = "ssh_keys.remove";
/// Room for the longest ECDSA line with a generous comment; RSA lines are refused by name.
const LINE_MAX_CHARS: usize = 2_000;

pub struct SshKeysScreen {
    staff_id: RecordId,
    username: String,
    keys: Vec<SshKeyView>,
    required: bool,
    cursor: RowCursor,
    /// The pasted `.pub` line while a key is being added; `None` while browsing the list.
    adding: Option<TextInput>,
    /// Why the last pasted line was refused, drawn under the field.
    error: Option<String>,
    /// The key a removal prompt is about, so a reload under the prompt cannot retarget it.
    pending_removal: Option<SshKeyView>,
}

impl SshKeysScreen {
    pub fn new(staff_id: RecordId, username: &str) -> Self {
        Self {
            staff_id,
            username: safe(username).into_owned(),
            keys: Vec::new(),
            required: false,
            cursor: RowCursor::new(0),
            adding: None,
            error: None,
            pending_removal: None,
        }
    }

    fn load(&mut self, cx: &mut Cx) {
        match cx.service.staff_ssh_keys(cx.session, self.staff_id) {
            Ok(SshKeysView {
                username,
                keys,
                required,
                ..
            }) => {
                self.username = safe(&username).into_owned();
                self.keys = keys;
                self.required = required;
                self.cursor.set_len(self.keys.len());
            }
            Err(err) => cx.fail(&err),
        }
    }

    fn selected(&self) -> Option<&SshKeyView> {
        self.cursor.selected().and_then(|i| self.keys.get(i))
    }

    fn start_adding(&mut self) {
        self.error = None;
        self.adding = Some(
            TextInput::new()
                .with_max(LINE_MAX_CHARS)
                .with_placeholder("ssh-ed25519 AAAA… name@laptop"),
        );
    }

    fn submit(&mut self, cx: &mut Cx) {
        let Some(input) = &self.adding else {
            return;
        };
        let line = input.value().to_owned();
        match cx
            .service
            .add_staff_ssh_key(cx.session, self.staff_id, &line)
        {
            Ok(added) => {
                self.adding = None;
                self.error = None;
                cx.notice(cx.lang.fill(
                    "Key {fingerprint} added for {user}.",
                    &[
                        ("fingerprint", &added.fingerprint),
                        ("user", &self.username),
                    ],
                ));
                cx.changed();
                self.load(cx);
                self.cursor.set_len(self.keys.len());
                self.cursor.selected = self.keys.len().saturating_sub(1);
            }
            // Refusals of the line itself belong next to the field; the rest to the status line.
            Err(err @ ServiceError::InvalidInput(_)) => {
                self.error = Some(describe_error(&err, cx.lang));
            }
            Err(err) => cx.fail(&err),
        }
    }

    fn ask_removal(&mut self, cx: &mut Cx) {
        let Some(key) = self.selected().cloned() else {
            cx.notice(cx.tr("No key is selected."));
            return;
        };
        let prompt = Prompt::confirm(
            REMOVE,
            "Remove key?",
            cx.lang.fill(
                "Remove key {fingerprint} from {user}? They can no longer use it to log in over SSH.",
                &[("fingerprint", &key.fingerprint), ("user", &self.username)],
            ),
        );
        self.pending_removal = Some(key);
        cx.prompt(prompt);
    }

    fn toggle_required(&mut self, cx: &mut Cx) {
        let wanted = !self.required;
        match cx
            .service
            .set_staff_ssh_key_required(cx.session, self.staff_id, wanted)
        {
            Ok(()) => {
                let text = if wanted {
                    cx.lang.fill(
                        "From their next login over SSH, {user} must also use one of these keys.",
                        &[("user", &self.username)],
                    )
                } else {
                    cx.lang.fill(
                        "{user} no longer needs a key over SSH; password and code still apply.",
                        &[("user", &self.username)],
                    )
                };
                cx.notice(text);
                cx.changed();
                self.load(cx);
            }
            Err(err) => cx.fail(&err),
        }
    }

    fn render_adding(&self, input: &TextInput, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let [label, field, message] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(1),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("Paste the line from their .pub file (Ed25519 or ECDSA), then Enter:"),
                rx.theme.accent,
            )),
            label,
        );
        let placeholder = (!input.placeholder().is_empty())
            .then(|| (rx.tr(input.placeholder()), rx.theme.placeholder));
        input.render(frame, field, rx.input_style(true), placeholder, true);
        let (text, style) = match &self.error {
            Some(error) => (safe(error).into_owned(), rx.theme.error),
            None => (
                rx.tr("Esc cancels. Only the public key is kept; never paste a private key.")
                    .to_owned(),
                rx.theme.muted,
            ),
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, style)).wrap(Wrap { trim: true }),
            message,
        );
    }
}

impl View for SshKeysScreen {
    fn title(&self) -> &'static str {
        "SSH keys"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        if self.adding.is_some() {
            &[KeyContext::Form]
        } else {
            &[KeyContext::SshKeys, KeyContext::List]
        }
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        self.adding.as_mut()
    }

    fn on_input_changed(&mut self, _cx: &mut Cx) {
        self.error = None;
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.load(cx);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        if self.adding.is_some() {
            match action {
                Action::Submit | Action::Select => self.submit(cx),
                Action::Back => {
                    self.adding = None;
                    self.error = None;
                }
                _ => return Handled::No,
            }
            return Handled::Yes;
        }
        if self.cursor.on_action(action, 10) {
            return Handled::Yes;
        }
        match action {
            Action::AddSshKey => self.start_adding(),
            Action::RemoveSshKey => self.ask_removal(cx),
            Action::ToggleSshKeyRequired => self.toggle_required(cx),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn on_prompt(&mut self, tag: &'static str, _answer: PromptAnswer, cx: &mut Cx) {
        let Some(key) = self.pending_removal.take() else {
            return;
        };
        if tag != REMOVE {
            return;
        }
        match cx
            .service
            .remove_staff_ssh_key(cx.session, self.staff_id, &key.fingerprint)
        {
            Ok(()) => {
                cx.notice(cx.lang.fill(
                    "Key {fingerprint} removed from {user}.",
                    &[("fingerprint", &key.fingerprint), ("user", &self.username)],
                ));
                cx.changed();
            }
            Err(err) => cx.fail(&err),
        }
        self.load(cx);
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(
                    " {} ",
                    rx.lang
                        .fill("SSH keys of {user}", &[("user", &self.username)])
                ),
                rx.theme.title,
            ))
            .border_style(rx.theme.border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let adding_rows = if self.adding.is_some() { 5 } else { 0 };
        let [requirement, table_area, adding_area, footer] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Min(3),
            Constraint::Length(adding_rows),
            Constraint::Length(1),
        ])
        .areas(inner);

        let requirement_line = if self.required {
            Line::from(vec![
                Span::styled(rx.tr("Key required"), rx.theme.ok),
                Span::styled(
                    format!(
                        "  {}",
                        rx.tr("Over SSH they need one of these keys as well as password and code.")
                    ),
                    rx.theme.muted,
                ),
            ])
        } else {
            Line::from(vec![
                Span::styled(rx.tr("Key optional"), rx.theme.warning),
                Span::styled(
                    format!(
                        "  {}",
                        rx.tr("Over SSH, password and code are enough; a listed key is noted.")
                    ),
                    rx.theme.muted,
                ),
            ])
        };
        frame.render_widget(
            Paragraph::new(requirement_line).wrap(Wrap { trim: true }),
            requirement,
        );

        let wide = inner.width >= 100;
        let header = Row::new(
            ["Fingerprint", "Label", "Added"]
                .iter()
                .map(|h| Cell::from(rx.tr(h))),
        )
        .style(rx.theme.header);
        let rows = self.keys.iter().map(|key| {
            let added = if wide {
                rx.date_time(key.added_at)
            } else {
                rx.date_time(key.added_at).chars().take(10).collect()
            };
            Row::new(vec![
                Cell::from(key.fingerprint.clone()),
                Cell::from(safe(&key.label).into_owned()),
                Cell::from(added),
            ])
        });
        let widths = [
            // `SHA256:` and 43 characters of base64, never cut short.
            Constraint::Length(50),
            Constraint::Min(6),
            Constraint::Length(if wide { 16 } else { 10 }),
        ];
        let table = Table::new(rows, widths)
            .header(header)
            .row_highlight_style(rx.theme.selection)
            .highlight_symbol("▶ ");
        let mut state = TableState::default().with_selected(self.cursor.selected());
        frame.render_stateful_widget(table, table_area, &mut state);
        if self.keys.is_empty() {
            let [_, below] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(table_area);
            frame.render_widget(
                Paragraph::new(Span::styled(
                    rx.tr("No keys yet. Add one from the staff member's .pub file."),
                    rx.theme.muted,
                )),
                below,
            );
        }

        if let Some(input) = &self.adding {
            self.render_adding(input, frame, adding_area, rx);
        }
        let hints = [
            (Action::AddSshKey, "add"),
            (Action::RemoveSshKey, "remove"),
            (Action::ToggleSshKeyRequired, "key required"),
        ];
        let spans = if self.adding.is_some() {
            Vec::new()
        } else {
            footer_hints(rx, self.contexts(), &hints)
        };
        frame.render_widget(Paragraph::new(Line::from(spans)), footer);
    }
}
