//! Today (being written).

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::view::{Cx, Handled, RenderCx, View};

pub struct TodayView;

impl Default for TodayView {
    fn default() -> Self {
        Self::new()
    }
}

impl TodayView {
    pub fn new() -> Self {
        Self
    }
}

impl View for TodayView {
    fn title(&self) -> &'static str {
        "Today"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Today]
    }

    fn on_action(&mut self, _action: Action, _cx: &mut Cx) -> Handled {
        Handled::No
    }

    fn render(&self, _frame: &mut Frame, _area: Rect, _rx: &RenderCx) {}
}
