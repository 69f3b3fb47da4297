//! The ground a dialog is drawn on.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Clear};

use crate::ui::view::RenderCx;

/// Clears `area` for a dialog and paints it in the theme's base style: `Clear` alone leaves
/// the terminal's own background, which a light theme on a dark terminal must not show.
pub fn clear_for_dialog(frame: &mut Frame, area: Rect, rx: &RenderCx) {
    frame.render_widget(Clear, area);
    frame.render_widget(Block::default().style(rx.theme.base), area);
}
