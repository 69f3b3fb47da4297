//! Cleaning untrusted text before it is stored or drawn: no control, bidi, zero-width or other
//! invisible format characters may reach the terminal (SPEC section 3).

/// Whether `c` must never reach the terminal: control characters (which can drive it), bidi
/// controls (which can reorder what the cashier reads), and invisible format characters (which
/// can make two different names look the same).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || is_format_char(c) || is_invisible_filler(c)
}

/// The Unicode general category Cf (format), as of Unicode 16.
fn is_format_char(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'                     // soft hyphen
            | '\u{0600}'..='\u{0605}'  // Arabic number signs
            | '\u{061C}'               // Arabic letter mark (bidi)
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'               // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}'  // zero-width space/joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}'  // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}'  // word joiner, invisible operators
            | '\u{2066}'..='\u{206F}'  // bidi isolates, deprecated format controls
            | '\u{FEFF}'               // byte order mark / zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}'  // interlinear annotation
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}' // tag characters
    )
}

/// Letters and marks that draw nothing; they are not Cf but are used the same way to disguise text.
fn is_invisible_filler(c: char) -> bool {
    matches!(
        c,
        '\u{034F}'                     // combining grapheme joiner
            | '\u{115F}'..='\u{1160}'  // Hangul choseong/jungseong fillers
            | '\u{17B4}'..='\u{17B5}'  // Khmer inherent vowels
            | '\u{3164}'               // Hangul filler
            | '\u{FFA0}' // halfwidth Hangul filler
    )
}

/// One line of text: unsafe characters dropped, any whitespace (tabs and line breaks included)
/// becoming single spaces, ends trimmed.
pub fn sanitize_line(input: &str) -> String {
    let mut line = String::with_capacity(input.len());
    let mut space_pending = false;
    for c in input.chars() {
        if c.is_whitespace() {
            space_pending = true;
        } else if !is_unsafe_char(c) {
            if space_pending && !line.is_empty() {
                line.push(' ');
            }
            space_pending = false;
            line.push(c);
        }
    }
    line
}

/// A CSV cell that a spreadsheet would read as a formula (leading `=`, `+`, `-`, `@`, or a tab
/// or carriage return before one) gets a leading `'`, so it opens as text (SPEC section 3).
pub fn neutralise_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{cell}")),
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

/// Text that may span lines (service notes): each line cleaned as by [`sanitize_line`], `\r\n`
/// and lone `\r` read as line breaks, blank lines at the ends dropped and runs of blank lines
/// collapsed to one.
pub fn sanitize_multiline(input: &str) -> String {
    let unified = input.replace("\r\n", "\n").replace('\r', "\n");
    let mut text = String::with_capacity(unified.len());
    let mut blank_pending = false;
    for line in unified.split('\n').map(sanitize_line) {
        if line.is_empty() {
            blank_pending = !text.is_empty();
            continue;
        }
        if !text.is_empty() {
            text.push('\n');
            if blank_pending {
                text.push('\n');
            }
        }
        blank_pending = false;
        text.push_str(&line);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ESC: char = '\u{1B}';

    #[test]
    fn formula_cells_are_neutralised_and_others_left_alone() {
        for cell in ["=1+2", "+86 138", "-5", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(neutralise_formula(cell), format!("'{cell}"));
        }
        for cell in ["", "gold", "2026-11", "'=already", "5-3"] {
            assert_eq!(neutralise_formula(cell), cell);
        }
    }

    #[test]
    fn controls_bidi_and_invisible_characters_are_unsafe() {
        for c in [
            '\u{0}',
            '\u{7}',
            '\u{1B}',
            '\u{7F}',
            '\u{85}',
            '\u{9B}',
            '\u{061C}',
            '\u{200E}',
            '\u{200F}',
            '\u{202A}',
            '\u{202E}',
            '\u{2066}',
            '\u{2069}',
            '\u{200B}',
            '\u{200D}',
            '\u{2060}',
            '\u{2064}',
            '\u{FEFF}',
            '\u{180E}',
            '\u{00AD}',
            '\u{FFF9}',
            '\u{FFFB}',
            '\u{E0001}',
            '\u{E0041}',
            '\u{E007F}',
            '\u{3164}',
        ] {
            assert!(is_unsafe_char(c), "U+{:04X}", c as u32);
        }
        for c in ['a', 'Z', '5', ' ', '张', 'é', '·', '-', '😀', '\u{0301}'] {
            assert!(!is_unsafe_char(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn sanitize_line_drops_escapes_and_collapses_whitespace() {
        assert_eq!(sanitize_line("  John\t\tSmith \n"), "John Smith");
        assert_eq!(sanitize_line("\u{1B}[31mRed\u{1B}[0m"), "[31mRed[0m");
        assert_eq!(sanitize_line("evil\u{202E}gnp.exe"), "evilgnp.exe");
        assert_eq!(sanitize_line("a \u{200B} b"), "a b");
        assert_eq!(sanitize_line("张\u{3000}伟"), "张 伟");
        assert_eq!(sanitize_line("\u{FEFF}"), "");
    }

    #[test]
    fn formulas_are_made_inert() {
        assert_eq!(
            neutralise_formula("=cmd|' /C calc'!A0"),
            "'=cmd|' /C calc'!A0"
        );
        assert_eq!(neutralise_formula("+1"), "'+1");
        assert_eq!(neutralise_formula("-1"), "'-1");
        assert_eq!(neutralise_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise_formula("Ann = 1"), "Ann = 1");
        assert_eq!(neutralise_formula(""), "");
    }

    #[test]
    fn sanitize_multiline_keeps_line_breaks() {
        assert_eq!(
            sanitize_multiline("\r\n first  line\r\nsecond\rthird\n\n\n\nlast \u{7}\n\n"),
            "first line\nsecond\nthird\n\nlast"
        );
        assert_eq!(sanitize_multiline("\n \n\t\n"), "");
    }

    proptest! {
        #[test]
        fn sanitize_line_output_is_safe_and_stable(input in any::<String>()) {
            let once = sanitize_line(&input);
            prop_assert!(!once.chars().any(is_unsafe_char));
            prop_assert!(!once.contains(ESC), "contains ESC");
            prop_assert!(!once.contains('\n'));
            prop_assert!(!once.contains("  "));
            prop_assert_eq!(once.trim(), once.as_str());
            prop_assert_eq!(sanitize_line(&once), once);
        }

        #[test]
        fn sanitize_multiline_output_is_safe_and_stable(
            input in proptest::collection::vec(
                prop_oneof![any::<char>(), Just('\n'), Just('\r'), Just(' '), Just('\u{1B}')],
                0..64,
            ).prop_map(|chars| chars.into_iter().collect::<String>())
        ) {
            let once = sanitize_multiline(&input);
            prop_assert!(!once.chars().any(|c| c != '\n' && is_unsafe_char(c)));
            prop_assert!(!once.contains(ESC), "contains ESC");
            prop_assert!(!once.contains('\r'));
            prop_assert_eq!(sanitize_multiline(&once), once);
        }
    }
}
