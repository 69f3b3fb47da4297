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

/// Breaks a message into lines of at most `max` cells: at spaces where it can, between CJK
/// characters, and inside a word only when one word is wider than a line. Nothing is cut: every
/// character of `text` except the spaces a line breaks at is on some line. Continuation lines
/// drop their leading spaces; the first line keeps its indent.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    // Byte offset in `line` where it may break, so a word is moved whole to the next line.
    let mut last_break: Option<usize> = None;
    for c in text.chars() {
        let cells = char_width(c);
        if c == ' ' && used + cells > max && !line.is_empty() {
            lines.push(line.trim_end().to_owned());
            line.clear();
            used = 0;
            last_break = None;
            continue;
        }
        if used + cells > max && !line.is_empty() {
            // Closing punctuation never starts a line: the character before it goes along.
            if is_closing_punctuation(c) && last_break == Some(line.len()) {
                last_break = line
                    .char_indices()
                    .last()
                    .map(|(at, _)| at)
                    .filter(|at| *at > 0);
            }
            let rest = match last_break {
                Some(at) if at < line.len() && !line[..at].trim().is_empty() => line.split_off(at),
                _ => String::new(),
            };
            lines.push(line.trim_end().to_owned());
            line = rest.trim_start().to_owned();
            used = width(&line);
            last_break = None;
        }
        if c == ' ' && line.is_empty() && !lines.is_empty() {
            continue;
        }
        if cells == 2 && !line.is_empty() {
            last_break = Some(line.len());
        }
        line.push(c);
        used += cells;
        if c == ' ' || cells == 2 {
            last_break = Some(line.len());
        }
    }
    if !line.trim_end().is_empty() || lines.is_empty() {
        lines.push(line.trim_end().to_owned());
    }
    lines
}

/// Full-width punctuation that closes a clause or a bracket; a line may not start with it.
fn is_closing_punctuation(c: char) -> bool {
    "，。、；：！？）」』》】〉".contains(c)
}

thread_local! {
    /// Messages this thread had to cut since the last `take_cut_messages`; see `fit_message`.
    static CUT_MESSAGES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A message (a notice, a refusal, a field error) wrapped into at most `rows` lines of `max`
/// cells. A message is never meant to be cut: screens give it the rows `wrap` says it needs.
/// When they cannot, the last line ends in `…` and the cut is counted, so the UI tests (which
/// check `take_cut_messages` after every frame) fail rather than a refusal being cut unseen.
pub fn fit_message(text: &str, max: usize, rows: usize) -> Vec<String> {
    let mut lines = wrap(text, max);
    if lines.len() > rows {
        CUT_MESSAGES.with(|cut| cut.set(cut.get() + 1));
        lines.truncate(rows);
        if let Some(last) = lines.last_mut() {
            let mut cut = truncate(last, max.saturating_sub(1)).into_owned();
            if !cut.ends_with('…') {
                cut.push('…');
            }
            *last = cut;
        }
    }
    lines
}

/// How many messages were drawn cut on this thread since the last call; resets the count.
pub fn take_cut_messages() -> usize {
    CUT_MESSAGES.with(|cut| cut.replace(0))
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

/// How a member who is gone is named instead of their name: "erased", "anonymised",
/// "merged into #77".
pub fn gone_word(reason: crate::service::GoneReason, lang: crate::ui::i18n::Language) -> String {
    use crate::service::GoneReason;
    match reason {
        GoneReason::Erased => lang.tr("erased").to_owned(),
        GoneReason::Retention => lang.tr("anonymised").to_owned(),
        GoneReason::MergedInto {
            survivor_number: Some(number),
            ..
        } => lang.fill("merged into #{number}", &[("number", &number.to_string())]),
        GoneReason::MergedInto {
            survivor_number: None,
            ..
        } => lang.tr("merged").to_owned(),
    }
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

    #[test]
    fn wrap_breaks_at_spaces_and_between_cjk_and_loses_nothing() {
        assert_eq!(wrap("a bb ccc dddd", 6), vec!["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("  indented text", 11), vec!["  indented", "text"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(
            wrap("预约时间已被占用请改", 8),
            vec!["预约时间", "已被占用", "请改"]
        );
        assert_eq!(wrap("", 10), vec![""]);
        // "）" and "；" stay with the character before them.
        assert_eq!(
            wrap("时钟拨快）；请选择", 8),
            vec!["时钟拨", "快）；请", "选择"]
        );
        let text = "this time does not exist: the clocks go forward from 02:00 to 03:00 on 2026-03-08; pick a time after 03:00";
        for max in [10, 17, 40, 79] {
            let lines = wrap(text, max);
            assert!(lines.iter().all(|l| width(l) <= max), "{lines:?}");
            let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
            let original: String = text.chars().filter(|c| *c != ' ').collect();
            assert_eq!(joined, original);
        }
    }

    #[test]
    fn a_message_cut_for_want_of_rows_is_counted() {
        take_cut_messages();
        assert_eq!(fit_message("short", 10, 1), vec!["short"]);
        assert_eq!(take_cut_messages(), 0);
        let lines = fit_message("one two three four", 9, 1);
        assert_eq!(lines, vec!["one two…"]);
        assert_eq!(take_cut_messages(), 1);
        assert_eq!(take_cut_messages(), 0);
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
