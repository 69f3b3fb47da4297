//! Text on its way to the terminal: sanitised, and measured in terminal cells so CJK and Latin
//! names line up.

use std::borrow::Cow;

use crate::domain::receipt::{char_width, display_width};
use crate::domain::sanitize::{is_unsafe_char, sanitize_line};

/// Untrusted text made safe to draw on one line. Text that is already clean is not copied.
pub fn safe(text: &str) -> Cow<'_, str> {
    if text.chars().any(|c| is_unsafe_char(c) || c == '\n') {
        Cow::Owned(sanitize_line(text))
    } else {
        Cow::Borrowed(text)
    }
}

/// Width in terminal cells.
pub fn width(text: &str) -> usize {
    display_width(text)
}

/// Cuts `text` to at most `max` cells, ending with `…` when something was cut.
pub fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    if width(text) <= max {
        return Cow::Borrowed(text);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = char_width(c);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    Cow::Owned(out)
}

/// Pads with spaces to exactly `cells` (truncating first if needed).
pub fn pad(text: &str, cells: usize) -> String {
    let cut = truncate(text, cells);
    let mut out = cut.into_owned();
    let w = width(&out);
    out.extend(std::iter::repeat_n(' ', cells.saturating_sub(w)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_removes_terminal_controls() {
        assert_eq!(safe("plain"), "plain");
        assert!(matches!(safe("plain"), Cow::Borrowed(_)));
        let hostile = "a\u{1b}[31mb\u{202e}c\u{200b}d\ne";
        assert!(
            !safe(hostile)
                .chars()
                .any(|c| is_unsafe_char(c) || c == '\n')
        );
    }

    #[test]
    fn cjk_is_two_cells_wide() {
        assert_eq!(width("王小明"), 6);
        assert_eq!(pad("王小明", 8), "王小明  ");
        assert_eq!(truncate("王小明", 4), "王…");
        assert_eq!(width(&pad("Zoë Smith-Jones", 6)), 6);
    }
}
