//! End of day (being written).

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::view::{Cx, Handled, RenderCx, View};

pub struct EndOfDayView;

impl Default for EndOfDayView {
    fn default() -> Self {
        Self::new()
    }
}

impl EndOfDayView {
    pub fn new() -> Self {
        Self
    }
}

impl View for EndOfDayView {
    fn title(&self) -> &'static str {
        "End of day"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::EndOfDay]
    }

    fn on_action(&mut self, _action: Action, _cx: &mut Cx) -> Handled {
        Handled::No
    }

    fn render(&self, _frame: &mut Frame, _area: Rect, _rx: &RenderCx) {}
}
