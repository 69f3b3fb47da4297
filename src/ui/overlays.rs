//! Layers drawn over the screen: the `?` help, the command palette, and prompts (confirm a
//! destructive action, give a reason, enter a fresh authenticator code).

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};

use super::actions::Action;
use super::i18n::Language;
use super::keymap::{KeyContext, Keymap};
use super::text::{safe, width};
use super::view::{Prompt, PromptAnswer, RenderCx};
use super::widgets::form::Form;
use super::widgets::input::TextInput;
use super::widgets::table::RowCursor;
use crate::domain::access::Role;

pub enum Overlay {
    Help(HelpOverlay),
    Palette(PaletteOverlay),
    Prompt(PromptOverlay),
}

pub enum OverlayResult {
    Stay,
    Close,
    Run(Action),
    Answer(&'static str, PromptAnswer),
}

impl Overlay {
    pub fn on_key(&mut self, key: &KeyEvent, action: Option<Action>) -> OverlayResult {
        match self {
            Overlay::Help(help) => help.on_key(key, action),
            Overlay::Palette(palette) => palette.on_key(key),
            Overlay::Prompt(prompt) => prompt.on_key(key),
        }
    }

    pub fn paste(&mut self, text: &str) {
        match self {
            Overlay::Help(_) => {}
            Overlay::Palette(palette) => {
                palette.query.insert_str(text);
                palette.refilter();
            }
            Overlay::Prompt(prompt) => {
                if let Some(input) = prompt.form.focused_input() {
                    input.insert_str(text);
                }
            }
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        match self {
            Overlay::Help(help) => help.render(frame, area, rx),
            Overlay::Palette(palette) => palette.render(frame, area, rx),
            Overlay::Prompt(prompt) => prompt.render(frame, area, rx),
        }
    }
}

/// A centred box of at most `width`×`height` inside `area`.
pub fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

fn dialog_block<'a>(title: &'a str, rx: &RenderCx) -> Block<'a> {
    Block::bordered()
        .title(Span::styled(format!(" {title} "), rx.theme.title))
        .border_style(rx.theme.border_focused)
        .style(rx.theme.base)
}

/// The keys of the screen on top and the global keys, straight from the keymap.
pub struct HelpOverlay {
    contexts: Vec<KeyContext>,
    scroll: usize,
}

impl HelpOverlay {
    pub fn new(contexts: &[KeyContext]) -> Self {
        Self {
            contexts: contexts.to_vec(),
            scroll: 0,
        }
    }

    fn on_key(&mut self, key: &KeyEvent, action: Option<Action>) -> OverlayResult {
        match (key.code, action) {
            (KeyCode::Down, _) | (_, Some(Action::Down)) => {
                self.scroll += 1;
                OverlayResult::Stay
            }
            (KeyCode::Up, _) | (_, Some(Action::Up)) => {
                self.scroll = self.scroll.saturating_sub(1);
                OverlayResult::Stay
            }
            (KeyCode::PageDown, _) => {
                self.scroll += 10;
                OverlayResult::Stay
            }
            (KeyCode::PageUp, _) => {
                self.scroll = self.scroll.saturating_sub(10);
                OverlayResult::Stay
            }
            _ => OverlayResult::Close,
        }
    }

    fn rows(&self, keymap: &Keymap, lang: Language) -> Vec<(Option<&'static str>, String, String)> {
        let mut rows = Vec::new();
        for context in self
            .contexts
            .iter()
            .chain(std::iter::once(&KeyContext::Global))
        {
            let bindings = keymap.section(*context);
            if bindings.is_empty() {
                continue;
            }
            rows.push((Some(context_title(*context)), String::new(), String::new()));
            for binding in bindings {
                let keys = binding
                    .keys
                    .iter()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(" ");
                rows.push((None, keys, lang.tr_dynamic(&binding.desc).to_owned()));
            }
        }
        rows
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let rows = self.rows(rx.keymap, rx.lang);
        let box_area = centred(area, 72, area.height.saturating_sub(2).max(10));
        crate::ui::widgets::surface::clear_for_dialog(frame, box_area, rx);
        let block = dialog_block(rx.tr("Keys"), rx);
        let inner = block.inner(box_area);
        frame.render_widget(block, box_area);
        let [table_area, footer] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
        let visible = usize::from(table_area.height);
        let scroll = self.scroll.min(rows.len().saturating_sub(visible));
        let key_width = rows
            .iter()
            .map(|(_, k, _)| width(k))
            .max()
            .unwrap_or(6)
            .min(24);
        let table_rows = rows
            .iter()
            .skip(scroll)
            .map(|(heading, keys, desc)| match heading {
                Some(title) => Row::new(vec![
                    Line::from(Span::styled(rx.tr(title), rx.theme.header)),
                    Line::from(""),
                ]),
                None => Row::new(vec![
                    Line::from(Span::styled(keys.clone(), rx.theme.key)),
                    Line::from(desc.clone()),
                ]),
            });
        let widths = [
            Constraint::Length(u16::try_from(key_width + 2).unwrap_or(12)),
            Constraint::Min(10),
        ];
        frame.render_widget(Table::new(table_rows, widths), table_area);
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("↑/↓ scroll · any other key closes"),
                rx.theme.muted,
            )),
            footer,
        );
    }
}

fn context_title(context: KeyContext) -> &'static str {
    match context {
        KeyContext::Global => "Everywhere",
        KeyContext::List => "Lists",
        KeyContext::Form => "Forms",
        KeyContext::Today => "Today",
        KeyContext::Members => "Members",
        KeyContext::Member => "Member",
        KeyContext::Booking => "Booking",
        KeyContext::Checkout => "Checkout",
        KeyContext::Staff => "Staff",
        KeyContext::SshKeys => "SSH keys",
        KeyContext::Settings => "Settings",
        KeyContext::Audit => "Audit log",
        KeyContext::EndOfDay => "End of day",
        KeyContext::Reports => "Reports",
        KeyContext::Receipt => "Receipt",
        KeyContext::Duplicate => "Already on another member",
        KeyContext::Import => "Import members",
        KeyContext::Merge => "Merge members",
        KeyContext::Alerts => "Alerts",
    }
}

/// Every action available here, found by typing part of its description or name.
pub struct PaletteOverlay {
    query: TextInput,
    entries: Vec<PaletteEntry>,
    shown: Vec<usize>,
    cursor: RowCursor,
}

struct PaletteEntry {
    action: Action,
    keys: String,
    desc: String,
    /// Lower-case English and translated text to match against.
    haystack: String,
}

/// Actions a cashier is never offered (in the palette or the key hints); the service
/// refuses them anyway.
pub(crate) fn manager_only(action: Action) -> bool {
    matches!(
        action,
        Action::GoStaff
            | Action::GoSettings
            | Action::GoAudit
            | Action::GoAlerts
            | Action::AcknowledgeAlert
            | Action::ShowAllAlerts
            | Action::NewStaff
            | Action::DisableStaff
            | Action::EnableStaff
            | Action::ResetPassword
            | Action::ResetAuthenticator
            | Action::StaffSshKeys
            | Action::ChangeStaffRole
            | Action::RenameStaff
            | Action::AddSshKey
            | Action::RemoveSshKey
            | Action::ToggleSshKeyRequired
            | Action::AdjustPoints
            | Action::VoidVisit
            | Action::Discount
            | Action::SuspendPlan
            | Action::CancelPlan
            | Action::VerifyChain
            | Action::ExportMemberData
            | Action::ImportMembers
            | Action::MergeMembers
            | Action::EraseMember
            | Action::ExportPseudonymised
            | Action::BackUpNow
            | Action::ExportReport
    )
}

/// Actions that only move a cursor make poor palette entries.
fn is_movement(action: Action) -> bool {
    matches!(
        action,
        Action::Up
            | Action::Down
            | Action::Left
            | Action::Right
            | Action::PageUp
            | Action::PageDown
            | Action::First
            | Action::Last
            | Action::NextField
            | Action::PrevField
            | Action::Palette
            | Action::Back
    )
}

impl PaletteOverlay {
    pub fn new(
        keymap: &Keymap,
        contexts: &[KeyContext],
        extra: &[Action],
        role: Role,
        lang: Language,
    ) -> Self {
        let mut entries: Vec<PaletteEntry> = Vec::new();
        for context in contexts.iter().chain(std::iter::once(&KeyContext::Global)) {
            for binding in keymap.section(*context) {
                if is_movement(binding.action)
                    || (role != Role::Manager && manager_only(binding.action))
                    || entries.iter().any(|e| e.action == binding.action)
                {
                    continue;
                }
                let desc = lang.tr_dynamic(&binding.desc).to_owned();
                entries.push(PaletteEntry {
                    action: binding.action,
                    keys: binding
                        .keys
                        .first()
                        .map(|k| k.to_string())
                        .unwrap_or_default(),
                    haystack: format!("{} {} {}", binding.desc, desc, binding.action.as_str())
                        .to_lowercase(),
                    desc,
                });
            }
        }
        for action in extra {
            if entries.iter().any(|e| e.action == *action) {
                continue;
            }
            let name = action.as_str().to_owned();
            entries.push(PaletteEntry {
                action: *action,
                keys: String::new(),
                haystack: name.to_lowercase(),
                desc: name,
            });
        }
        let mut palette = Self {
            query: TextInput::new().with_max(60),
            shown: Vec::new(),
            cursor: RowCursor::new(0),
            entries,
        };
        palette.refilter();
        palette
    }

    fn refilter(&mut self) {
        let words: Vec<String> = self
            .query
            .value()
            .to_lowercase()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        self.shown = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| words.iter().all(|w| e.haystack.contains(w.as_str())))
            .map(|(i, _)| i)
            .collect();
        self.cursor.set_len(self.shown.len());
        self.cursor.selected = 0;
    }

    fn on_key(&mut self, key: &KeyEvent) -> OverlayResult {
        match key.code {
            KeyCode::Esc => OverlayResult::Close,
            KeyCode::Enter => match self.cursor.selected().and_then(|i| self.shown.get(i)) {
                Some(index) => OverlayResult::Run(self.entries[*index].action),
                None => OverlayResult::Stay,
            },
            KeyCode::Up => {
                self.cursor.on_action(Action::Up, 1);
                OverlayResult::Stay
            }
            KeyCode::Down => {
                self.cursor.on_action(Action::Down, 1);
                OverlayResult::Stay
            }
            _ => {
                let before = self.query.revision();
                self.query.handle_key(key);
                if self.query.revision() != before {
                    self.refilter();
                }
                OverlayResult::Stay
            }
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let box_area = centred(area, 64, 18);
        crate::ui::widgets::surface::clear_for_dialog(frame, box_area, rx);
        let block = dialog_block(rx.tr("Find an action"), rx);
        let inner = block.inner(box_area);
        frame.render_widget(block, box_area);
        let [query_area, list_area] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
        let [prompt_area, input_area] =
            Layout::horizontal([Constraint::Length(2), Constraint::Min(1)]).areas(query_area);
        frame.render_widget(
            Paragraph::new(Span::styled("›", rx.theme.accent)),
            prompt_area,
        );
        self.query.render(
            frame,
            input_area,
            rx.theme.input_focused,
            Some((rx.tr("Type to search actions"), rx.theme.placeholder)),
            true,
        );
        if self.shown.is_empty() {
            frame.render_widget(
                Paragraph::new(Span::styled(rx.tr("No action matches."), rx.theme.muted)),
                list_area,
            );
            return;
        }
        let rows = self.shown.iter().map(|index| {
            let entry = &self.entries[*index];
            Row::new(vec![
                Line::from(entry.desc.clone()),
                Line::from(Span::styled(entry.keys.clone(), rx.theme.key)),
            ])
        });
        let table = Table::new(rows, [Constraint::Min(20), Constraint::Length(10)])
            .row_highlight_style(rx.theme.selection)
            .highlight_symbol("▶ ");
        let mut state = TableState::default().with_selected(self.cursor.selected());
        frame.render_stateful_widget(table, list_area, &mut state);
    }
}

/// A confirmation, optionally with a reason and a fresh authenticator code.
pub struct PromptOverlay {
    prompt: Prompt,
    form: Form,
    /// English; translated when drawn.
    error: Option<&'static str>,
}

impl PromptOverlay {
    pub fn new(prompt: Prompt) -> Self {
        let mut form = Form::new();
        if prompt.ask_reason {
            let label = match (prompt.text_label, prompt.reason_is_note) {
                (Some(label), _) => label,
                (None, true) => "Note",
                (None, false) => "Reason",
            };
            form = form.text("reason", label, TextInput::new().with_max(200));
        }
        if prompt.ask_code {
            form = form.text(
                "code",
                "Authenticator code",
                TextInput::secret().with_max(8),
            );
        }
        Self {
            prompt,
            form,
            error: None,
        }
    }

    fn on_key(&mut self, key: &KeyEvent) -> OverlayResult {
        if let Some(input) = self.form.focused_input()
            && input.handle_key(key)
        {
            self.error = None;
            return OverlayResult::Stay;
        }
        let has_fields = !self.form.fields.is_empty();
        match key.code {
            KeyCode::Esc => OverlayResult::Close,
            KeyCode::Char('n' | 'N') if !has_fields => OverlayResult::Close,
            KeyCode::Tab | KeyCode::Down => {
                self.form.on_action(Action::NextField);
                OverlayResult::Stay
            }
            KeyCode::BackTab | KeyCode::Up => {
                self.form.on_action(Action::PrevField);
                OverlayResult::Stay
            }
            KeyCode::Char('y' | 'Y') if !has_fields => self.answer(),
            KeyCode::Enter => {
                let last = self.form.fields.len().saturating_sub(1);
                if has_fields && self.form.focus < last {
                    self.form.on_action(Action::NextField);
                    return OverlayResult::Stay;
                }
                self.answer()
            }
            _ => OverlayResult::Stay,
        }
    }

    fn answer(&mut self) -> OverlayResult {
        let reason = self.form.value("reason").trim().to_owned();
        if self.prompt.ask_reason && reason.is_empty() {
            self.form.focus_key("reason");
            self.error = Some(if self.prompt.text_label.is_some() {
                "Fill this in first."
            } else if self.prompt.reason_is_note {
                "Write a short note; it is kept with the alert."
            } else {
                "Give a reason; it goes in the audit log."
            });
            return OverlayResult::Stay;
        }
        let code = self.form.value("code").trim().to_owned();
        if self.prompt.ask_code && code.is_empty() {
            self.form.focus_key("code");
            self.error = Some("Enter the 6-digit code from your authenticator app.");
            return OverlayResult::Stay;
        }
        OverlayResult::Answer(self.prompt.tag, PromptAnswer { reason, code })
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let height = 7 + self.form.height_in(64, rx);
        let box_area = centred(area, 66, height);
        crate::ui::widgets::surface::clear_for_dialog(frame, box_area, rx);
        let title = rx.tr(self.prompt.title);
        let mut block = dialog_block(title, rx);
        if self.prompt.destructive {
            block = block.border_style(rx.theme.warning);
        }
        let inner = block.inner(box_area);
        frame.render_widget(block, box_area);
        let [message_area, form_area, error_area, footer] = Layout::vertical([
            Constraint::Min(2),
            Constraint::Length(self.form.height_in(inner.width, rx)),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(
            // The app's own wrapping: closing punctuation (。，) never starts a Chinese line.
            Paragraph::new(
                crate::ui::text::wrap(&safe(&self.prompt.message), usize::from(message_area.width))
                    .into_iter()
                    .map(Line::from)
                    .collect::<Vec<_>>(),
            ),
            message_area,
        );
        self.form.render(frame, form_area, rx, true);
        if let Some(error) = self.error {
            frame.render_widget(
                Paragraph::new(Span::styled(rx.tr(error), rx.theme.error)),
                error_area,
            );
        }
        let hint = if self.form.fields.is_empty() {
            rx.tr("y / Enter: yes   n / Esc: no")
        } else {
            rx.tr("Enter: confirm   Esc: cancel")
        };
        frame.render_widget(Paragraph::new(Span::styled(hint, rx.theme.muted)), footer);
    }
}
