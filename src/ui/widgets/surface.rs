//! The ground a dialog is drawn on.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Clear};
use unicode_width::UnicodeWidthStr;

use crate::ui::view::RenderCx;

/// Clears `area` for a dialog and paints it in the theme's base style: `Clear` alone leaves
/// the terminal's own background, which a light theme on a dark terminal must not show.
pub fn clear_for_dialog(frame: &mut Frame, area: Rect, rx: &RenderCx) {
    // A wide (CJK) character just left of the dialog would spill into its first column and
    // hide the border there: it gives way to a space.
    if let Some(left) = area.x.checked_sub(1) {
        let buffer = frame.buffer_mut();
        for y in area.top()..area.bottom() {
            if let Some(cell) = buffer.cell_mut((left, y))
                && cell.symbol().width() > 1
            {
                cell.set_symbol(" ");
            }
        }
    }
    frame.render_widget(Clear, area);
    frame.render_widget(Block::default().style(rx.theme.base), area);
}
