//! Where a receipt is drawn beside what the cashier needs to say: a box just wide enough for
//! the receipt as printed (never narrower than a receipt printer's 40 columns) and as tall as
//! it, within the area, with the rest of the row to its right.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::domain::receipt::RECEIPT_WIDTH;
use crate::ui::text::width;

/// The receipt's box and the column to its right.
pub fn receipt_and_side(receipt_lines: &[&str], area: Rect) -> (Rect, Rect) {
    let receipt_width = receipt_lines
        .iter()
        .map(|line| width(line))
        .max()
        .unwrap_or(RECEIPT_WIDTH)
        .max(RECEIPT_WIDTH);
    let box_width = u16::try_from(receipt_width + 4).unwrap_or(u16::MAX);
    let box_height = u16::try_from(receipt_lines.len() + 2).unwrap_or(u16::MAX);
    let [receipt_column, side] = Layout::horizontal([
        Constraint::Length(box_width.min(area.width)),
        Constraint::Min(0),
    ])
    .areas(area);
    let receipt_area = Rect {
        height: box_height.min(area.height),
        ..receipt_column
    };
    (receipt_area, side)
}
