//! Audit log (being written).

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::view::{Cx, Handled, RenderCx, View};

pub struct AuditView;

impl Default for AuditView {
    fn default() -> Self {
        Self::new()
    }
}

impl AuditView {
    pub fn new() -> Self {
        Self
    }
}

impl View for AuditView {
    fn title(&self) -> &'static str {
        "Audit log"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Audit]
    }

    fn on_action(&mut self, _action: Action, _cx: &mut Cx) -> Handled {
        Handled::No
    }

    fn render(&self, _frame: &mut Frame, _area: Rect, _rx: &RenderCx) {}
}
