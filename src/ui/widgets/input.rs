//! A one-line text field. Keystrokes and pastes are filtered so no control, bidi or zero-width
//! character is ever stored; secret fields draw dots and zeroize their buffer on drop.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::domain::receipt::char_width;
use crate::domain::sanitize::is_unsafe_char;

pub struct TextInput {
    value: Zeroizing<String>,
    /// Cursor position in characters.
    cursor: usize,
    secret: bool,
    max_chars: usize,
    placeholder: &'static str,
    /// Counts edits, so callers can tell a change without copying the (possibly secret) text.
    revision: u64,
}

impl std::fmt::Debug for TextInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextInput")
            .field("chars", &self.value.chars().count())
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

impl Default for TextInput {
    fn default() -> Self {
        Self::new()
    }
}

impl TextInput {
    pub fn new() -> Self {
        Self {
            value: Zeroizing::new(String::new()),
            cursor: 0,
            secret: false,
            max_chars: 200,
            placeholder: "",
            revision: 0,
        }
    }

    /// A password or code field: drawn as dots, wiped from memory on drop.
    pub fn secret() -> Self {
        Self {
            secret: true,
            max_chars: 256,
            ..Self::new()
        }
    }

    pub fn with_max(mut self, max_chars: usize) -> Self {
        self.max_chars = max_chars;
        self
    }

    /// Shown dimmed while the field is empty. Pass English; it is translated when drawn.
    pub fn with_placeholder(mut self, english: &'static str) -> Self {
        self.placeholder = english;
        self
    }

    pub fn with_value(mut self, value: &str) -> Self {
        self.set(value);
        self
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn is_secret(&self) -> bool {
        self.secret
    }

    pub fn placeholder(&self) -> &'static str {
        self.placeholder
    }

    /// Moves the value out as a secret, leaving the field empty.
    pub fn take_secret(&mut self) -> SecretString {
        let secret = SecretString::from(self.value.as_str());
        self.clear();
        secret
    }

    pub fn set(&mut self, value: &str) {
        self.clear();
        self.insert_str(value);
    }

    pub fn clear(&mut self) {
        // Zeroizing wipes the old buffer when it is replaced.
        self.value = Zeroizing::new(String::new());
        self.cursor = 0;
        self.revision = self.revision.wrapping_add(1);
    }

    fn byte_at(&self, char_index: usize) -> usize {
        self.value
            .char_indices()
            .nth(char_index)
            .map(|(i, _)| i)
            .unwrap_or(self.value.len())
    }

    fn insert_char(&mut self, c: char) -> bool {
        if is_unsafe_char(c) || self.value.chars().count() >= self.max_chars {
            return false;
        }
        let at = self.byte_at(self.cursor);
        // Growing a String may reallocate and leave the old bytes behind, so secrets are
        // rebuilt into a fresh zeroizing buffer instead.
        let mut next = Zeroizing::new(String::with_capacity(self.value.len() + 4));
        next.push_str(&self.value[..at]);
        next.push(c);
        next.push_str(&self.value[at..]);
        self.value = next;
        self.cursor += 1;
        self.revision = self.revision.wrapping_add(1);
        true
    }

    /// Inserts pasted or typed text; line breaks become spaces and unsafe characters are
    /// dropped. Returns whether anything changed.
    pub fn insert_str(&mut self, text: &str) -> bool {
        let mut changed = false;
        for c in text.chars() {
            let c = if c == '\n' || c == '\r' || c == '\t' {
                ' '
            } else {
                c
            };
            changed |= self.insert_char(c);
        }
        changed
    }

    /// Edits the field for a key it understands; returns `false` for keys it leaves to others.
    pub fn handle_key(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Char('u') if ctrl => {
                self.clear();
                true
            }
            KeyCode::Char('w') if ctrl => {
                self.delete_word_before_cursor();
                true
            }
            KeyCode::Char('a') if ctrl => {
                self.cursor = 0;
                true
            }
            KeyCode::Char('e') if ctrl => {
                self.cursor = self.value.chars().count();
                true
            }
            KeyCode::Char(c) if !ctrl && !alt => {
                self.insert_char(c);
                true
            }
            KeyCode::Backspace => {
                if self.cursor > 0 {
                    self.cursor -= 1;
                    self.remove_at_cursor();
                }
                true
            }
            KeyCode::Delete => {
                self.remove_at_cursor();
                true
            }
            KeyCode::Left => {
                self.cursor = self.cursor.saturating_sub(1);
                true
            }
            KeyCode::Right => {
                self.cursor = (self.cursor + 1).min(self.value.chars().count());
                true
            }
            KeyCode::Home => {
                self.cursor = 0;
                true
            }
            KeyCode::End => {
                self.cursor = self.value.chars().count();
                true
            }
            _ => false,
        }
    }

    fn remove_at_cursor(&mut self) {
        let start = self.byte_at(self.cursor);
        if start >= self.value.len() {
            return;
        }
        let end = self.byte_at(self.cursor + 1);
        let mut next = Zeroizing::new(String::with_capacity(self.value.len()));
        next.push_str(&self.value[..start]);
        next.push_str(&self.value[end..]);
        self.value = next;
        self.revision = self.revision.wrapping_add(1);
    }

    fn delete_word_before_cursor(&mut self) {
        let chars: Vec<char> = self.value.chars().collect();
        let mut start = self.cursor;
        while start > 0 && chars[start - 1] == ' ' {
            start -= 1;
        }
        while start > 0 && chars[start - 1] != ' ' {
            start -= 1;
        }
        let kept: String = chars[..start].iter().chain(&chars[self.cursor..]).collect();
        self.value = Zeroizing::new(kept);
        self.cursor = start;
        self.revision = self.revision.wrapping_add(1);
    }

    /// What to draw: dots for secrets, else the text.
    fn shown(&self) -> String {
        if self.secret {
            "•".repeat(self.value.chars().count())
        } else {
            self.value.to_string()
        }
    }

    /// Draws the field in `area` (one line), scrolled so the cursor stays visible, and places
    /// the terminal cursor when focused.
    pub fn render(
        &self,
        frame: &mut Frame,
        area: Rect,
        style: Style,
        placeholder: Option<(&str, Style)>,
        focused: bool,
    ) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let shown = self.shown();
        if shown.is_empty() {
            let line = match placeholder {
                Some((text, placeholder_style)) if !text.is_empty() => {
                    Line::from(Span::styled(text.to_owned(), placeholder_style))
                }
                _ => Line::from(""),
            };
            frame.render_widget(Paragraph::new(line).style(style), area);
            if focused {
                frame.set_cursor_position(Position::new(area.x, area.y));
            }
            return;
        }
        let chars: Vec<char> = shown.chars().collect();
        let room = usize::from(area.width.saturating_sub(1)).max(1);
        let cursor_cells: usize = chars[..self.cursor.min(chars.len())]
            .iter()
            .map(|c| char_width(*c))
            .sum();
        let mut skip_cells = cursor_cells.saturating_sub(room);
        let mut start = 0;
        while skip_cells > 0 && start < chars.len() {
            skip_cells = skip_cells.saturating_sub(char_width(chars[start]));
            start += 1;
        }
        let visible: String = chars[start..].iter().collect();
        frame.render_widget(Paragraph::new(Line::from(visible)).style(style), area);
        if focused {
            let before: usize = chars[start..self.cursor.min(chars.len())]
                .iter()
                .map(|c| char_width(*c))
                .sum();
            let x = area
                .x
                .saturating_add(u16::try_from(before).unwrap_or(u16::MAX))
                .min(area.right().saturating_sub(1));
            frame.set_cursor_position(Position::new(x, area.y));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn edits_at_the_cursor() {
        let mut input = TextInput::new();
        for c in "王明".chars() {
            input.handle_key(&key(KeyCode::Char(c)));
        }
        input.handle_key(&key(KeyCode::Left));
        input.handle_key(&key(KeyCode::Char('小')));
        assert_eq!(input.value(), "王小明");
        input.handle_key(&key(KeyCode::Backspace));
        assert_eq!(input.value(), "王明");
        input.handle_key(&key(KeyCode::Home));
        input.handle_key(&key(KeyCode::Delete));
        assert_eq!(input.value(), "明");
    }

    #[test]
    fn unsafe_characters_never_enter() {
        let mut input = TextInput::new();
        input.insert_str("a\u{1b}[2Jb\u{202e}c\u{200b}d\r\ne");
        assert_eq!(input.value(), "a[2Jbcd  e");
        assert!(!input.handle_key(&key(KeyCode::F(1))));
    }

    #[test]
    fn secrets_do_not_debug() {
        let mut input = TextInput::secret();
        input.insert_str("hunter2-horse-battery");
        assert!(!format!("{input:?}").contains("hunter2"));
        assert_eq!(input.shown(), "•".repeat(21));
        let taken = input.take_secret();
        assert!(input.is_empty());
        use secrecy::ExposeSecret;
        assert_eq!(taken.expose_secret(), "hunter2-horse-battery");
    }

    #[test]
    fn respects_max_length() {
        let mut input = TextInput::new().with_max(3);
        input.insert_str("abcdef");
        assert_eq!(input.value(), "abc");
    }
}
