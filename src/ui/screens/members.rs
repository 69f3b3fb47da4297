//! Members (being written).

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::view::{Cx, Handled, RenderCx, View};

pub struct MembersView;

impl Default for MembersView {
    fn default() -> Self {
        Self::new()
    }
}

impl MembersView {
    pub fn new() -> Self {
        Self
    }
}

impl View for MembersView {
    fn title(&self) -> &'static str {
        "Members"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Members]
    }

    fn on_action(&mut self, _action: Action, _cx: &mut Cx) -> Handled {
        Handled::No
    }

    fn render(&self, _frame: &mut Frame, _area: Rect, _rx: &RenderCx) {}
}
