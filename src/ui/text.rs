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

/// A day's opening periods as staff read them: `08:00–12:00, 13:00–19:00`, `00:00–24:00`,
/// `22:00–02:00 (next day)`, or `closed`, in the session's language.
pub fn opening_hours_text(
    periods: &[crate::domain::schedule::OpenPeriod],
    lang: crate::ui::i18n::Language,
) -> String {
    if periods.is_empty() {
        return lang.tr("closed").to_owned();
    }
    periods
        .iter()
        .map(|period| {
            let open = period.open.format("%H:%M").to_string();
            if period.closes_next_day() && period.close == chrono::NaiveTime::MIN {
                format!("{open}–24:00")
            } else if period.closes_next_day() {
                let close = period.close.format("%H:%M").to_string();
                lang.fill(
                    "{open}–{close} (next day)",
                    &[("open", &open), ("close", &close)],
                )
            } else {
                format!("{open}–{}", period.close.format("%H:%M"))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
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

    fn hostile_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let pieces = prop_oneof![
            Just("\u{1b}[2J".to_owned()),
            Just("\u{1b}]0;pwned\u{7}".to_owned()),
            Just("\u{202e}".to_owned()),
            Just("\u{2066}".to_owned()),
            Just("\u{200b}".to_owned()),
            Just("\u{feff}".to_owned()),
            Just("\r\n\t\u{8}\u{7f}".to_owned()),
            Just("王".to_owned()),
            Just("Zoë".to_owned()),
            any::<char>().prop_map(String::from),
        ];
        proptest::collection::vec(pieces, 0..12).prop_map(|parts| parts.concat())
    }

    proptest::proptest! {
        /// Whatever a name holds, what reaches the frame is inert.
        #[test]
        fn nothing_unsafe_reaches_the_frame(text in hostile_text()) {
            use ratatui::backend::TestBackend;
            use ratatui::widgets::Paragraph;
            let mut terminal = ratatui::Terminal::new(TestBackend::new(40, 3)).unwrap();
            let mut input = crate::ui::widgets::input::TextInput::new();
            input.insert_str(&text);
            terminal
                .draw(|frame| {
                    let area = frame.area();
                    frame.render_widget(Paragraph::new(safe(&text).into_owned()), ratatui::layout::Rect::new(0, 0, area.width, 1));
                    frame.render_widget(Paragraph::new(pad(&safe(&text), 12)), ratatui::layout::Rect::new(0, 1, area.width, 1));
                    input.render(frame, ratatui::layout::Rect::new(0, 2, area.width, 1), ratatui::style::Style::default(), None, true);
                })
                .unwrap();
            for cell in terminal.backend().buffer().content() {
                proptest::prop_assert!(!cell.symbol().chars().any(|c| is_unsafe_char(c) || c == '\n'));
            }
            proptest::prop_assert!(!input.value().chars().any(is_unsafe_char));
        }
    }
}
