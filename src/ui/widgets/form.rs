//! A form: labelled fields, one focused, each with its validation message drawn right under it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::input::TextInput;
use crate::ui::actions::Action;
use crate::ui::text::{fit_message, pad, safe, truncate, wrap};
use crate::ui::theme::Theme;
use crate::ui::view::{Cx, Handled, RenderCx};

pub enum FieldKind {
    Text(TextInput),
    /// One of a fixed list; options are already translated display text.
    Choice {
        options: Vec<String>,
        selected: usize,
    },
}

pub struct Field {
    /// A stable name the screen uses to read the value back.
    pub key: &'static str,
    /// English; translated when drawn.
    pub label: &'static str,
    pub kind: FieldKind,
    /// Already translated.
    pub error: Option<String>,
    /// English; drawn dimmed under the field when there is no error.
    pub hint: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormEvent {
    /// The action moved focus or changed a choice.
    Changed,
    /// Enter on the last field, or the submit key anywhere.
    Submit,
    /// Not a form action.
    Ignored,
}

#[derive(Default)]
pub struct Form {
    pub fields: Vec<Field>,
    pub focus: usize,
    /// Field key → an already translated note drawn in place of that field's hint, saying
    /// something about what was typed (such as how a user name will be saved).
    notes: Vec<(&'static str, String)>,
}

/// Cells used for the labels column.
const LABEL_CELLS: usize = 20;

impl Form {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn text(mut self, key: &'static str, label: &'static str, input: TextInput) -> Self {
        self.fields.push(Field {
            key,
            label,
            kind: FieldKind::Text(input),
            error: None,
            hint: None,
        });
        self
    }

    pub fn choice(
        mut self,
        key: &'static str,
        label: &'static str,
        options: Vec<String>,
        selected: usize,
    ) -> Self {
        let selected = selected.min(options.len().saturating_sub(1));
        self.fields.push(Field {
            key,
            label,
            kind: FieldKind::Choice { options, selected },
            error: None,
            hint: None,
        });
        self
    }

    /// Adds a hint under the last field added.
    pub fn hint(mut self, english: &'static str) -> Self {
        if let Some(field) = self.fields.last_mut() {
            field.hint = Some(english);
        }
        self
    }

    fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    pub fn field_mut(&mut self, key: &str) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.key == key)
    }

    /// The text of a text field ("" for an unknown key or a choice).
    pub fn value(&self, key: &str) -> &str {
        match self.field(key).map(|f| &f.kind) {
            Some(FieldKind::Text(input)) => input.value(),
            _ => "",
        }
    }

    pub fn input_mut(&mut self, key: &str) -> Option<&mut TextInput> {
        match self.field_mut(key).map(|f| &mut f.kind) {
            Some(FieldKind::Text(input)) => Some(input),
            _ => None,
        }
    }

    /// The chosen index of a choice field (0 for an unknown key).
    /// Whether the form has a field `key` (some fields appear only for some roles).
    pub fn has(&self, key: &str) -> bool {
        self.field(key).is_some()
    }

    pub fn choice_index(&self, key: &str) -> usize {
        match self.field(key).map(|f| &f.kind) {
            Some(FieldKind::Choice { selected, .. }) => *selected,
            _ => 0,
        }
    }

    pub fn set_error(&mut self, key: &str, message: impl Into<String>) {
        if let Some(field) = self.field_mut(key) {
            field.error = Some(message.into());
        }
    }

    /// Sets (or clears) the note drawn under a field in place of its hint.
    pub fn set_note(&mut self, key: &'static str, note: Option<String>) {
        self.notes.retain(|(k, _)| *k != key);
        if let Some(note) = note {
            self.notes.push((key, note));
        }
    }

    fn note(&self, key: &str) -> Option<&str> {
        self.notes
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, note)| note.as_str())
    }

    pub fn clear_errors(&mut self) {
        for field in &mut self.fields {
            field.error = None;
        }
    }

    /// Drops the message under the focused field once it is being corrected.
    pub fn clear_focused_error(&mut self) {
        if let Some(field) = self.fields.get_mut(self.focus) {
            field.error = None;
        }
    }

    pub fn has_errors(&self) -> bool {
        self.fields.iter().any(|f| f.error.is_some())
    }

    /// Moves focus to the first field with an error.
    pub fn focus_first_error(&mut self) {
        if let Some(index) = self.fields.iter().position(|f| f.error.is_some()) {
            self.focus = index;
        }
    }

    pub fn focus_key(&mut self, key: &str) {
        if let Some(index) = self.fields.iter().position(|f| f.key == key) {
            self.focus = index;
        }
    }

    pub fn focused_key(&self) -> Option<&'static str> {
        self.fields.get(self.focus).map(|f| f.key)
    }

    /// The focused text field; `None` when a choice has focus so arrows reach the form.
    pub fn focused_input(&mut self) -> Option<&mut TextInput> {
        match self.fields.get_mut(self.focus).map(|f| &mut f.kind) {
            Some(FieldKind::Text(input)) => Some(input),
            _ => None,
        }
    }

    pub fn on_action(&mut self, action: Action) -> FormEvent {
        let count = self.fields.len();
        if count == 0 {
            return if action == Action::Submit {
                FormEvent::Submit
            } else {
                FormEvent::Ignored
            };
        }
        match action {
            Action::NextField | Action::Down => {
                self.focus = (self.focus + 1) % count;
                FormEvent::Changed
            }
            Action::PrevField | Action::Up => {
                self.focus = (self.focus + count - 1) % count;
                FormEvent::Changed
            }
            Action::Left | Action::Right => {
                match self.fields.get_mut(self.focus).map(|f| &mut f.kind) {
                    Some(FieldKind::Choice { options, selected }) if !options.is_empty() => {
                        let n = options.len();
                        *selected = if action == Action::Right {
                            (*selected + 1) % n
                        } else {
                            (*selected + n - 1) % n
                        };
                        FormEvent::Changed
                    }
                    _ => FormEvent::Ignored,
                }
            }
            Action::Submit | Action::Select => FormEvent::Submit,
            _ => FormEvent::Ignored,
        }
    }

    /// Rows the form needs when each message under a field takes one row. A form whose
    /// messages may be long is laid out with `height_in`, which gives them the rows they wrap to.
    pub fn height(&self) -> u16 {
        let rows: usize = self
            .fields
            .iter()
            .map(|f| {
                1 + usize::from(f.error.is_some() || f.hint.is_some() || self.note(f.key).is_some())
            })
            .sum();
        u16::try_from(rows).unwrap_or(u16::MAX)
    }

    /// Rows the form needs in an area `width` cells wide: one per field, plus the rows its
    /// message (error or hint) wraps to, so a refusal is never cut at the edge.
    pub fn height_in(&self, width: u16, rx: &RenderCx) -> u16 {
        let room = message_room(width);
        let rows: usize = self
            .fields
            .iter()
            .map(|f| {
                1 + message_of(f, self.note(f.key), rx)
                    .map_or(0, |(text, _)| wrap(&text, room).len())
            })
            .sum();
        u16::try_from(rows).unwrap_or(u16::MAX)
    }

    /// Where each field's input row is when the form is drawn in `area`: the field's key and
    /// its row (the input's cells only), in order, for screens that draw over a field.
    pub fn input_rows(&self, area: Rect, rx: &RenderCx) -> Vec<(&'static str, Rect)> {
        let (input_x, input_width) = input_columns(area);
        let mut rows = Vec::new();
        let mut y = area.y;
        for (field, message_rows) in self.fields.iter().zip(self.message_rows(area, rx)) {
            if y >= area.bottom() {
                break;
            }
            rows.push((field.key, Rect::new(input_x, y, input_width, 1)));
            y = y.saturating_add(1).saturating_add(message_rows);
        }
        rows
    }

    /// Rows each field's message gets in `area`: what it wraps to, as long as the area has
    /// rows to spare; a form laid out with `height()` gives the first messages the extra rows.
    fn message_rows(&self, area: Rect, rx: &RenderCx) -> Vec<u16> {
        let room = message_room(area.width);
        let wanted: Vec<usize> = self
            .fields
            .iter()
            .map(|f| {
                message_of(f, self.note(f.key), rx).map_or(0, |(text, _)| wrap(&text, room).len())
            })
            .collect();
        let minimum: usize = self.fields.len() + wanted.iter().filter(|w| **w > 0).count();
        let mut spare = usize::from(area.height).saturating_sub(minimum);
        wanted
            .into_iter()
            .map(|want| {
                let extra = want.saturating_sub(1).min(spare);
                spare -= extra;
                u16::try_from(want.min(1) + extra).unwrap_or(1)
            })
            .collect()
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx, active: bool) {
        let theme = rx.theme;
        let label_cells = LABEL_CELLS.min(usize::from(area.width) / 3);
        let (input_x, input_width) = input_columns(area);
        let room = message_room(area.width);
        let mut y = area.y;
        let message_rows = self.message_rows(area, rx);
        for ((index, field), rows) in self.fields.iter().enumerate().zip(message_rows) {
            if y >= area.bottom() {
                break;
            }
            let focused = active && index == self.focus;
            let marker = if focused { "▸" } else { " " };
            let label = format!(
                "{marker}{}",
                pad(rx.tr(field.label), label_cells.saturating_sub(1))
            );
            let label_style = if focused { theme.accent } else { theme.base };
            frame.render_widget(
                Paragraph::new(Line::from(Span::styled(label, label_style))),
                Rect::new(area.x, y, u16::try_from(label_cells).unwrap_or(0), 1),
            );
            let input_area = Rect::new(input_x, y, input_width, 1);
            match &field.kind {
                FieldKind::Text(input) => {
                    let placeholder = (!input.placeholder().is_empty())
                        .then(|| (rx.tr(input.placeholder()), theme.placeholder));
                    input.render(
                        frame,
                        input_area,
                        rx.input_style(focused),
                        placeholder,
                        focused,
                    );
                }
                FieldKind::Choice { options, selected } => {
                    let current = options.get(*selected).map(String::as_str).unwrap_or("");
                    let text = format!("◂ {} ▸", safe(current));
                    let text = truncate(&text, usize::from(input_width)).into_owned();
                    frame.render_widget(
                        Paragraph::new(text).style(rx.input_style(focused)),
                        input_area,
                    );
                }
            }
            y = y.saturating_add(1);
            if let Some((text, style)) = message_of(field, self.note(field.key), rx) {
                let rows = rows.min(area.bottom().saturating_sub(y));
                if rows == 0 {
                    break;
                }
                let lines: Vec<Line> = fit_message(&text, room, usize::from(rows))
                    .into_iter()
                    .map(|line| {
                        Line::from(Span::styled(
                            format!("{MESSAGE_INDENT}{line}"),
                            style(theme),
                        ))
                    })
                    .collect();
                frame.render_widget(
                    Paragraph::new(lines),
                    Rect::new(input_x, y, area.right().saturating_sub(input_x), rows),
                );
                y = y.saturating_add(rows);
            }
        }
    }
}

/// "Will be saved as: owner" when a typed user name is valid but is not saved as typed
/// (user names are stored in lower case), so the change is never a surprise at login.
pub fn username_note(typed: &str, lang: crate::ui::i18n::Language) -> Option<String> {
    let saved = crate::domain::access::normalize_username(typed).ok()?;
    (saved != typed.trim()).then(|| lang.fill("Will be saved as: {name}", &[("name", &saved)]))
}

fn accent(theme: &Theme) -> Style {
    theme.accent
}

/// Picks a message's style from the theme.
type MessageRole = fn(&Theme) -> Style;

/// The error under a field, or else its hint, with the role it is drawn in.
fn message_of(field: &Field, note: Option<&str>, rx: &RenderCx) -> Option<(String, MessageRole)> {
    match (&field.error, field.hint) {
        (Some(error), _) => Some((safe(error).into_owned(), |t: &Theme| t.error)),
        (None, _) if note.is_some() => {
            note.map(|note| (safe(note).into_owned(), accent as MessageRole))
        }
        (None, Some(hint)) => Some((rx.tr(hint).to_owned(), |t: &Theme| t.muted)),
        (None, None) => None,
    }
}

/// The column the inputs start at and their width, in a form drawn in `area`.
fn input_columns(area: Rect) -> (u16, u16) {
    let label_cells = LABEL_CELLS.min(usize::from(area.width) / 3);
    let input_x = area
        .x
        .saturating_add(u16::try_from(label_cells + 1).unwrap_or(0));
    (input_x, area.right().saturating_sub(input_x).min(48))
}

/// Cells a message under a field may use: from the inputs' column, after its two-cell indent,
/// to the area's right edge.
fn message_room(width: u16) -> usize {
    let label_cells = LABEL_CELLS.min(usize::from(width) / 3);
    usize::from(width).saturating_sub(label_cells + 1 + MESSAGE_INDENT.len())
}

/// Every line of a message under a field starts with this, so it reads as one block.
pub const MESSAGE_INDENT: &str = "  ";

/// A form screen that saves in one call: settings, the price list, the till.
pub trait SavingForm {
    fn form_mut(&mut self) -> &mut Form;
    /// Saves what the form holds; an error names the field to mark (empty when it was shown
    /// some other way) and what to tell the person.
    fn save(&self, cx: &mut Cx) -> Result<(), (&'static str, String)>;
}

/// A saving form's keys: edits go to the form, and Enter on the last field saves. A saved form
/// says so and closes; a refused one marks the field and keeps everything typed.
pub fn saving_form_action(view: &mut impl SavingForm, action: Action, cx: &mut Cx) -> Handled {
    match view.form_mut().on_action(action) {
        FormEvent::Changed => Handled::Yes,
        FormEvent::Ignored => Handled::No,
        FormEvent::Submit => {
            view.form_mut().clear_errors();
            match view.save(cx) {
                Ok(()) => {
                    cx.notice(cx.tr("Saved."));
                    cx.changed();
                    cx.back();
                }
                Err((key, message)) => {
                    if !key.is_empty() {
                        let form = view.form_mut();
                        form.set_error(key, message);
                        form.focus_first_error();
                    }
                }
            }
            Handled::Yes
        }
    }
}

/// The bordered box a settings form is drawn in, titled `title`; returns its intro line
/// (two rows), the form's area and the footer row.
pub fn settings_form_areas(frame: &mut Frame, area: Rect, rx: &RenderCx, title: &str) -> [Rect; 3] {
    let block = Block::bordered()
        .title(Span::styled(format!(" {title} "), rx.theme.title))
        .border_style(rx.theme.border);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner)
}
