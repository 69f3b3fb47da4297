//! Staff (being written).

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::view::{Cx, Handled, RenderCx, View};

pub struct StaffView;

impl Default for StaffView {
    fn default() -> Self {
        Self::new()
    }
}

impl StaffView {
    pub fn new() -> Self {
        Self
    }
}

impl View for StaffView {
    fn title(&self) -> &'static str {
        "Staff"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Staff]
    }

    fn on_action(&mut self, _action: Action, _cx: &mut Cx) -> Handled {
        Handled::No
    }

    fn render(&self, _frame: &mut Frame, _area: Rect, _rx: &RenderCx) {}
}
