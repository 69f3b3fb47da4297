//! The key hints along the bottom of a screen, read from the keymap so they always name the
//! keys that really run each action.

use ratatui::text::Span;

use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::view::RenderCx;

/// `Enter open the drawer  Tab next field  …` for the actions bound in `contexts`; an action
/// with no key there is left out.
pub fn footer_hints(
    rx: &RenderCx,
    contexts: &[KeyContext],
    hints: &[(Action, &'static str)],
) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for (action, word) in hints {
        if let Some(key) = rx.key_hint(contexts, *action) {
            spans.push(Span::styled(key, rx.theme.key));
            spans.push(Span::styled(format!(" {}  ", rx.tr(word)), rx.theme.muted));
        }
    }
    spans
}
