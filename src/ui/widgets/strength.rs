//! The password strength meter shown wherever a password is chosen.

use ratatui::text::{Line, Span};

use crate::ui::view::RenderCx;

/// The bar: five cells filled by the zxcvbn score.
pub fn strength_bar(score: u8) -> String {
    let filled = usize::from(score.min(4)) + 1;
    format!("{}{}", "█".repeat(filled * 2), "░".repeat((5 - filled) * 2))
}

/// The score in words (English; translated when drawn).
pub fn strength_word(score: u8) -> &'static str {
    match score {
        0 => "very weak",
        1 => "weak",
        2 => "fair",
        3 => "strong",
        _ => "very strong",
    }
}

/// "Strength: ██████░░░░ strong", in the ok style once the score is acceptable.
pub fn strength_line(score: u8, rx: &RenderCx) -> Line<'static> {
    let style = if score >= 3 {
        rx.theme.ok
    } else {
        rx.theme.warning
    };
    Line::from(vec![
        Span::raw(format!("{} ", rx.tr("Strength:"))),
        Span::styled(strength_bar(score), style),
        Span::styled(format!(" {}", rx.tr(strength_word(score))), style),
    ])
}

/// The meter and, under it, zxcvbn's hint for a better password.
pub fn strength_lines(score: u8, hint: Option<&str>, rx: &RenderCx) -> Vec<Line<'static>> {
    let mut lines = vec![strength_line(score, rx)];
    if let Some(hint) = hint {
        lines.push(Line::from(Span::styled(hint.to_owned(), rx.theme.muted)));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_fills_with_the_score() {
        assert_eq!(strength_bar(0), "██░░░░░░░░");
        assert_eq!(strength_bar(4), "██████████");
        assert_eq!(strength_bar(9), "██████████");
    }
}
