//! The idle lock: everything personal is hidden until the same staff member types their
//! password again, or someone else logs in.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::ui::overlays::centred;
use crate::ui::view::RenderCx;
use crate::ui::widgets::input::TextInput;

pub struct LockScreen {
    pub username: String,
    pub password: TextInput,
    /// Already translated.
    pub error: Option<String>,
}

impl LockScreen {
    pub fn new(username: String) -> Self {
        Self {
            username,
            password: TextInput::secret(),
            error: None,
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let box_area = centred(area, 60, 10);
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Locked")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(box_area);
        frame.render_widget(block, box_area);
        let [who, _, field, error, hint] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(2),
            Constraint::Length(1),
        ])
        .areas(inner);
        let text = rx.lang.fill(
            "Locked for {user}. Type your password to go on.",
            &[("user", &self.username)],
        );
        frame.render_widget(Paragraph::new(text), who);
        let [label, input] =
            Layout::horizontal([Constraint::Length(12), Constraint::Min(1)]).areas(field);
        frame.render_widget(Paragraph::new(rx.tr("Password")), label);
        self.password
            .render(frame, input, rx.theme.input_focused, None, true);
        if let Some(message) = &self.error {
            frame.render_widget(
                Paragraph::new(Line::from(Span::styled(message.clone(), rx.theme.error))),
                error,
            );
        }
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("Enter: unlock   Ctrl-X: switch user (log out)"),
                rx.theme.muted,
            )),
            hint,
        );
    }
}
