//! Booking (being written).

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::view::{Cx, Handled, RenderCx, View};

pub struct BookingEditor;

impl View for BookingEditor {
    fn title(&self) -> &'static str {
        "Booking"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Booking]
    }

    fn on_action(&mut self, _action: Action, _cx: &mut Cx) -> Handled {
        Handled::No
    }

    fn render(&self, _frame: &mut Frame, _area: Rect, _rx: &RenderCx) {}
}

impl BookingEditor {
    /// A new booking, optionally for a known member and vehicle.
    pub fn new(
        _member: Option<crate::ids::RecordId>,
        _vehicle: Option<crate::ids::RecordId>,
    ) -> Self {
        Self
    }

    /// Moving an existing booking.
    pub fn reschedule(_booking: crate::service::BookingView) -> Self {
        Self
    }
}
