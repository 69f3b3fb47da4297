//! Member (being written).

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::view::{Cx, Handled, RenderCx, View};

pub struct MemberView;

impl View for MemberView {
    fn title(&self) -> &'static str {
        "Member"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Member]
    }

    fn on_action(&mut self, _action: Action, _cx: &mut Cx) -> Handled {
        Handled::No
    }

    fn render(&self, _frame: &mut Frame, _area: Rect, _rx: &RenderCx) {}
}

impl MemberView {
    pub fn new(_member: crate::ids::RecordId) -> Self {
        Self
    }
}
