//! Changing one's own password, with live strength feedback. Forced (no way back) when the
//! password was a temporary one from a manager.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Paragraph};

use crate::domain::password_policy::strength;
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::tasks::Task;
use crate::ui::view::{Cx, Handled, RenderCx, View};
use crate::ui::widgets::form::{Form, FormEvent};
use crate::ui::widgets::input::TextInput;
use crate::ui::widgets::strength::strength_lines;

pub struct ChangePasswordView {
    form: Form,
    forced: bool,
    /// zxcvbn score 0–4 of the new password, with its hint (English).
    score: Option<(u8, Option<String>)>,
}

impl ChangePasswordView {
    pub fn new(forced: bool) -> Self {
        let form = Form::new()
            .text("current", "Current password", TextInput::secret())
            .text("new", "New password", TextInput::secret())
            .hint("At least 10 characters; a few unrelated words work well.")
            .text("again", "New password again", TextInput::secret());
        Self {
            form,
            forced,
            score: None,
        }
    }
}

impl View for ChangePasswordView {
    fn title(&self) -> &'static str {
        "Change password"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Form]
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        self.form.focused_input()
    }

    fn on_input_changed(&mut self, cx: &mut Cx) {
        let new = self.form.value("new");
        self.score = (!new.is_empty()).then(|| {
            let result = strength(new, &[cx.username, &cx.shop.shop_name]);
            (result.score, result.hint)
        });
        self.form.clear_errors();
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        if action == Action::Back && self.forced {
            cx.notice(cx.tr("Choose a new password first: the one you were given was temporary."));
            return Handled::Yes;
        }
        match self.form.on_action(action) {
            FormEvent::Changed => Handled::Yes,
            FormEvent::Ignored => Handled::No,
            FormEvent::Submit => {
                self.form.clear_errors();
                if self.form.focus + 1 < self.form.fields.len()
                    && self
                        .form
                        .value(self.form.focused_key().unwrap_or("again"))
                        .is_empty()
                {
                    return Handled::Yes;
                }
                if self.form.value("current").is_empty() {
                    self.form
                        .set_error("current", cx.tr("Enter your current password."));
                } else if self.form.value("new") != self.form.value("again") {
                    self.form.set_error(
                        "again",
                        cx.tr("The two new passwords differ; type them again."),
                    );
                } else if self.score.as_ref().is_some_and(|(score, _)| *score < 3) {
                    self.form.set_error(
                        "new",
                        cx.tr("Too easy to guess; add another unrelated word."),
                    );
                }
                if self.form.has_errors() {
                    self.form.focus_first_error();
                    return Handled::Yes;
                }
                let current = self.form.input_mut("current").map(TextInput::take_secret);
                let new = self.form.input_mut("new").map(TextInput::take_secret);
                if let Some(again) = self.form.input_mut("again") {
                    again.clear();
                }
                self.score = None;
                if let (Some(current), Some(new)) = (current, new) {
                    cx.run(Task::ChangePassword {
                        service: cx.service.clone(),
                        session: cx.session.clone(),
                        current,
                        new,
                    });
                }
                self.form.focus = 0;
                Handled::Yes
            }
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Change password")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [intro, form_area, meter, _] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(self.form.height_in(inner.width, rx)),
            Constraint::Length(2),
            Constraint::Min(0),
        ])
        .areas(inner);
        let intro_text = if self.forced {
            rx.tr("Your password was temporary. Choose your own before going on.")
        } else {
            rx.tr("Choose a new password. Other sessions of yours will end.")
        };
        frame.render_widget(
            Paragraph::new(Span::styled(intro_text, rx.theme.warning)),
            intro,
        );
        self.form.render(frame, form_area, rx, true);
        if let Some((score, hint)) = &self.score {
            frame.render_widget(
                Paragraph::new(strength_lines(*score, hint.as_deref(), rx)),
                meter,
            );
        }
    }
}
