//! Moving a selection through rows, and cells cut to their column, shared by every list and
//! table.

use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::Cell;

use super::super::actions::Action;
use crate::service::ShownText;
use crate::ui::text::pad;
use crate::ui::view::RenderCx;

/// The selected row of a list of `len` rows; `page` is how many rows one screenful shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowCursor {
    pub selected: usize,
    pub len: usize,
}

impl RowCursor {
    pub fn new(len: usize) -> Self {
        Self { selected: 0, len }
    }

    /// Keeps the selection in range after the rows change.
    pub fn set_len(&mut self, len: usize) {
        self.len = len;
        if self.selected >= len {
            self.selected = len.saturating_sub(1);
        }
    }

    pub fn selected(&self) -> Option<usize> {
        (self.len > 0).then_some(self.selected)
    }

    /// Applies a movement action; returns whether it was one.
    pub fn on_action(&mut self, action: Action, page: usize) -> bool {
        let last = self.len.saturating_sub(1);
        let page = page.max(1);
        self.selected = match action {
            Action::Up => self.selected.saturating_sub(1),
            Action::Down => (self.selected + 1).min(last),
            Action::PageUp => self.selected.saturating_sub(page),
            Action::PageDown => (self.selected + page).min(last),
            Action::First => 0,
            Action::Last => last,
            _ => return false,
        };
        true
    }
}

/// A personal field as a table cell `cells` wide: the privacy blank, the masked style, cut
/// with an ellipsis so CJK and Latin text line up.
pub fn personal_cell(rx: &RenderCx, text: &ShownText, masked: bool, cells: usize) -> Cell<'static> {
    let span = rx.personal(text, masked);
    let style = span.style;
    Cell::from(Span::styled(pad(&span.content, cells), style))
}

/// Plain (already safe) text as a table cell `cells` wide.
pub fn text_cell(text: &str, cells: usize, style: Style) -> Cell<'static> {
    Cell::from(Span::styled(pad(text, cells), style))
}

/// Splits `total` cells between flexible columns by weight after the fixed ones.
pub fn flex_widths(total: usize, fixed: &[usize], weights: &[usize]) -> Vec<usize> {
    let gaps = fixed.len() + weights.len();
    let rest = total.saturating_sub(fixed.iter().sum::<usize>() + gaps);
    let weight_sum: usize = weights.iter().sum::<usize>().max(1);
    weights.iter().map(|w| rest * w / weight_sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_in_range() {
        let mut cursor = RowCursor::new(3);
        assert!(cursor.on_action(Action::Up, 10));
        assert_eq!(cursor.selected, 0);
        cursor.on_action(Action::PageDown, 10);
        assert_eq!(cursor.selected, 2);
        cursor.set_len(1);
        assert_eq!(cursor.selected(), Some(0));
        cursor.set_len(0);
        assert_eq!(cursor.selected(), None);
        assert!(!cursor.on_action(Action::Select, 1));
    }
}
