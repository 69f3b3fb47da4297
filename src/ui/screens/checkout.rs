//! Checkout (being written).

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::view::{Cx, Handled, RenderCx, View};

pub struct CheckoutView;

impl View for CheckoutView {
    fn title(&self) -> &'static str {
        "Checkout"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Checkout]
    }

    fn on_action(&mut self, _action: Action, _cx: &mut Cx) -> Handled {
        Handled::No
    }

    fn render(&self, _frame: &mut Frame, _area: Rect, _rx: &RenderCx) {}
}

impl CheckoutView {
    /// Checkout for a booking (its service is the first line) or a sale without one.
    pub fn new(
        _booking: Option<crate::ids::RecordId>,
        _member: Option<crate::ids::RecordId>,
        _vehicle: Option<crate::ids::RecordId>,
    ) -> Self {
        Self
    }
}
