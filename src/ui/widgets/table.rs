//! Moving a selection through rows, shared by every list and table.

use super::super::actions::Action;

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
