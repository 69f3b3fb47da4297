//! After payment: the receipt exactly as the service wrote it (in the shop's receipt
//! language), its number, how it was paid and the change to give.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::catalog::PaymentMethod;
use crate::domain::tender::Settlement;
use crate::ui::actions::Action;
use crate::ui::text::safe;
use crate::ui::view::RenderCx;
use crate::ui::widgets::receipt_pane::receipt_and_side;

use super::payment::{method_label, render_change};
use super::{label_value, panel};

/// Summary figures stay close to their labels on wide screens.
const SUMMARY_CELLS: usize = 36;

/// A payment that went through; the bill can no longer be changed.
pub(super) struct Paid {
    pub(super) receipt: String,
    pub(super) receipt_number: u64,
    pub(super) settlement: Settlement,
    /// What covered the bill when no money changed hands.
    pub(super) covered_by: PaymentMethod,
    pub(super) points_earned: i64,
    pub(super) points_balance: Option<i64>,
    /// First receipt row shown: a long receipt scrolls on a short terminal.
    scroll: usize,
}

impl Paid {
    pub(super) fn new(
        receipt: String,
        receipt_number: u64,
        settlement: Settlement,
        covered_by: PaymentMethod,
        points_earned: i64,
        points_balance: Option<i64>,
    ) -> Self {
        Self {
            receipt,
            receipt_number,
            settlement,
            covered_by,
            points_earned,
            points_balance,
            scroll: 0,
        }
    }

    /// The change owed on the cash tender, if any.
    pub(super) fn change(&self) -> Option<crate::domain::money::Money> {
        self.settlement
            .tenders
            .iter()
            .find(|t| t.method == PaymentMethod::Cash)
            .map(|t| t.change)
    }

    /// Scrolls the receipt; `true` when the action was a scrolling one.
    pub(super) fn scroll(&mut self, action: Action) -> bool {
        let rows = self.receipt.lines().count();
        self.scroll = match action {
            Action::Up => self.scroll.saturating_sub(1),
            Action::Down => (self.scroll + 1).min(rows.saturating_sub(1)),
            Action::PageUp => self.scroll.saturating_sub(10),
            Action::PageDown => (self.scroll + 10).min(rows.saturating_sub(1)),
            Action::First => 0,
            Action::Last => rows.saturating_sub(1),
            _ => return false,
        };
        true
    }

    pub(super) fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let receipt_lines: Vec<&str> = self.receipt.lines().collect();
        let (receipt_area, summary_column) = receipt_and_side(&receipt_lines, area);
        let shown_rows = usize::from(receipt_area.height.saturating_sub(2));
        // Never scrolled past the last full page.
        let first = self
            .scroll
            .min(receipt_lines.len().saturating_sub(shown_rows));
        let title = if receipt_lines.len() > shown_rows {
            rx.lang.fill(
                "Receipt (↑/↓: {from}–{to} of {rows})",
                &[
                    ("from", &(first + 1).to_string()),
                    ("to", &(first + shown_rows).to_string()),
                    ("rows", &receipt_lines.len().to_string()),
                ],
            )
        } else {
            rx.tr("Receipt").to_owned()
        };
        let block = panel(&title, true, rx);
        let inner = block.inner(receipt_area);
        frame.render_widget(block, receipt_area);
        let text: Vec<Line> = receipt_lines
            .iter()
            .skip(first)
            .map(|l| Line::from(format!(" {}", safe(l))))
            .collect();
        frame.render_widget(Paragraph::new(text), inner);

        let summary_area = Rect {
            x: summary_column.x.saturating_add(1),
            width: summary_column.width.saturating_sub(1),
            ..summary_column
        };
        if summary_area.width < 16 {
            return;
        }
        let cells = usize::from(summary_area.width).min(SUMMARY_CELLS);
        let currency = &rx.shop.currency;
        let number = rx.lang.fill(
            "Receipt #{number}",
            &[("number", &self.receipt_number.to_string())],
        );
        let mut lines = vec![
            Line::from(Span::styled(rx.tr("Payment taken."), rx.theme.ok)),
            Line::from(Span::styled(number, rx.theme.title)),
            Line::from(""),
            Line::from(Span::styled(
                label_value(
                    rx.tr("Total paid"),
                    &self.settlement.charged.format(currency),
                    cells,
                ),
                rx.theme.accent,
            )),
        ];
        if self.settlement.tenders.is_empty() {
            lines.push(Line::from(label_value(
                rx.tr("Paid by"),
                rx.tr(method_label(self.covered_by)),
                cells,
            )));
        } else {
            lines.push(Line::from(rx.tr("Paid by")));
            for tender in &self.settlement.tenders {
                lines.push(Line::from(label_value(
                    &format!("  {}", rx.tr(method_label(tender.method))),
                    &tender.amount.format_amount(currency),
                    cells,
                )));
                if let Some(tendered) = tender.tendered {
                    lines.push(Line::from(label_value(
                        &format!("    {}", rx.tr("handed over")),
                        &tendered.format_amount(currency),
                        cells,
                    )));
                }
            }
        }
        if !self.settlement.tip.is_zero() {
            lines.push(Line::from(label_value(
                rx.tr("Tip"),
                &self.settlement.tip.format_amount(currency),
                cells,
            )));
        }
        if !self.settlement.cash_rounding.is_zero() {
            lines.push(Line::from(label_value(
                rx.tr("Cash rounding"),
                &self.settlement.cash_rounding.format_amount(currency),
                cells,
            )));
        }
        if let Some(balance) = self.points_balance {
            lines.push(Line::from(label_value(
                rx.tr("Points earned"),
                &self.points_earned.to_string(),
                cells,
            )));
            lines.push(Line::from(label_value(
                rx.tr("Points balance"),
                &balance.to_string(),
                cells,
            )));
        }
        let summary_rows = u16::try_from(lines.len()).unwrap_or(u16::MAX);
        let [summary, _, change_area, footer] = Layout::vertical([
            Constraint::Length(summary_rows),
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(summary_area);
        frame.render_widget(Paragraph::new(lines), summary);
        if let Some(change) = self.change() {
            render_change(rx.tr("Change to give"), change, frame, change_area, rx);
        }
        frame.render_widget(
            Paragraph::new(Span::styled(rx.tr("Enter or Esc: done"), rx.theme.muted)),
            footer,
        );
    }
}
