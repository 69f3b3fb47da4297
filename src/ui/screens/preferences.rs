//! A staff member's own language and theme, saved with their account.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Paragraph};

use crate::ui::actions::Action;
use crate::ui::i18n::Language;
use crate::ui::keymap::KeyContext;
use crate::ui::theme::Theme;
use crate::ui::view::{Command, Cx, Handled, RenderCx, View};
use crate::ui::widgets::form::{Form, FormEvent};

pub struct PreferencesView {
    form: Form,
    themes: Vec<&'static str>,
}

impl PreferencesView {
    pub fn new(current_language: Language, current_theme: &str) -> Self {
        let languages: Vec<String> = Language::ALL
            .iter()
            .map(|l| l.native_name().to_owned())
            .collect();
        let language_index = Language::ALL
            .iter()
            .position(|l| *l == current_language)
            .unwrap_or(0);
        let themes = Theme::names();
        let theme_index = themes.iter().position(|t| *t == current_theme).unwrap_or(0);
        let form = Form::new()
            .choice("language", "Language", languages, language_index)
            .choice(
                "theme",
                "Theme",
                // The built-in themes' names are words; a theme file of the shop's own keeps its name.
                themes
                    .iter()
                    .map(|t| current_language.tr_dynamic(t).to_owned())
                    .collect(),
                theme_index,
            )
            .hint("←/→ to choose; the change shows at once when saved.");
        Self { form, themes }
    }

    fn chosen(&self) -> (Language, &'static str) {
        let language = Language::ALL
            .get(self.form.choice_index("language"))
            .copied()
            .unwrap_or_default();
        let theme = self
            .themes
            .get(self.form.choice_index("theme"))
            .copied()
            .unwrap_or("default");
        (language, theme)
    }
}

impl View for PreferencesView {
    fn title(&self) -> &'static str {
        "Preferences"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Form]
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        match self.form.on_action(action) {
            FormEvent::Changed => Handled::Yes,
            FormEvent::Ignored => Handled::No,
            FormEvent::Submit => {
                let (language, theme) = self.chosen();
                let prefs = crate::store::records::StaffPreferences {
                    language: Some(language.code().to_owned()),
                    theme: Some(theme.to_owned()),
                };
                match save_preferences(cx, prefs) {
                    Ok(()) => {
                        cx.commands.push(Command::SetLook {
                            language,
                            theme: theme.to_owned(),
                        });
                        cx.notice(language.tr("Preferences saved."));
                        cx.back();
                    }
                    Err(err) => cx.fail(&err),
                }
                Handled::Yes
            }
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Preferences")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [intro, form_area, _] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(self.form.height_in(inner.width, rx)),
            Constraint::Min(0),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("Your language and theme follow you to any terminal you log in at."),
                rx.theme.muted,
            )),
            intro,
        );
        self.form.render(frame, form_area, rx, true);
    }
}

fn save_preferences(
    cx: &mut Cx,
    prefs: crate::store::records::StaffPreferences,
) -> Result<(), crate::service::ServiceError> {
    cx.service.set_my_preferences(cx.session, prefs)
}
