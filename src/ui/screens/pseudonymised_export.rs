//! The pseudonymised analysis export, from the Members screen (Ctrl-T or the palette): after
//! the manager's fresh code, choose how many months, whether the pseudonyms are fresh or
//! shared with a named series, and where to save (by default `exports/` in the data
//! directory); the file is written in the background and the status line says where it went.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::member_export::show_write_failure;
use crate::domain::access::{Operation, Rule};
use crate::domain::analysis_export::{DEFAULT_MONTHS, MAX_MONTHS, normalize_series_name};
use crate::private_file::Existing;
use crate::service::{
    EXPORTS_DIR, PseudonymisedExport, PseudonymisedRequest, ServiceError, pseudonymised_file_name,
};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::tasks::Task;
use crate::ui::text::safe;
use crate::ui::view::{Cx, Handled, Prompt, RenderCx, View, ViewTaskOutput};
use crate::ui::widgets::form::{Form, FormEvent};
use crate::ui::widgets::input::TextInput;

/// The prompt tag the Members screen hands back to [`after_code`].
pub const PSEUDONYMISED_PROMPT: &str = "members.export_pseudonymised";

const MONTHS: &str = "months";
const LINKING: &str = "linking";
const SERIES: &str = "series";
const FILE: &str = "file";

/// The series name offered first.
const DEFAULT_SERIES: &str = "monthly";

/// The key on the Members screen: a manager is asked for a fresh code first (the answer comes
/// back to the Members screen, which calls [`after_code`]); anyone else hears the service's
/// refusal, which the service also records.
pub fn ask(cx: &mut Cx) -> bool {
    if Operation::ExportPseudonymised.rule_for(cx.role) == Rule::Denied {
        if let Err(error) = cx.service.check_pseudonymised_export(cx.session) {
            cx.fail(&error);
        }
        return false;
    }
    let mut prompt = Prompt::confirm(
        PSEUDONYMISED_PROMPT,
        "Pseudonymised export?",
        cx.tr("Write one row per member for analysis, without names, phones, plates or member numbers? Enter your own authenticator code.")
            .to_owned(),
    )
    .with_code();
    prompt.destructive = false;
    cx.prompt(prompt);
    true
}

/// The manager typed their code: confirm it, then choose months, linking and the file.
pub fn after_code(cx: &mut Cx, code: &str) {
    if !cx.step_up(code) {
        return;
    }
    let today = cx.now.with_timezone(&cx.shop.tz).date_naive();
    cx.push(PseudonymisedExportView::new(today, cx.lang));
}

/// The export's result, handed back from the worker thread.
struct Exported(Result<PseudonymisedExport, ServiceError>);

pub struct PseudonymisedExportView {
    form: Form,
    /// The file is being written; keys wait for it.
    writing: bool,
}

impl PseudonymisedExportView {
    pub fn new(date: chrono::NaiveDate, lang: crate::ui::i18n::Language) -> Self {
        let options = vec![
            lang.tr("Fresh: links to no other export").to_owned(),
            lang.tr("Shared with a named series").to_owned(),
        ];
        let form = Form::new()
            .text(
                MONTHS,
                "Months",
                TextInput::new()
                    .with_max(2)
                    .with_value(&DEFAULT_MONTHS.to_string()),
            )
            .hint("Visits and spend per month, this month last.")
            .choice(LINKING, "Pseudonyms", options, 0)
            .hint("Left and right choose.")
            .text(
                SERIES,
                "Series name",
                TextInput::new().with_max(32).with_value(DEFAULT_SERIES),
            )
            .hint("Only for shared pseudonyms.")
            .text(
                FILE,
                "Save as",
                TextInput::new()
                    .with_max(200)
                    .with_value(&format!("{EXPORTS_DIR}/{}", pseudonymised_file_name(date))),
            )
            .hint("A name without a leading / is inside the data folder.");
        Self {
            form,
            writing: false,
        }
    }

    fn submit(&mut self, cx: &mut Cx) {
        if self.writing {
            return;
        }
        self.form.clear_errors();
        let months = match self.form.value(MONTHS).trim().parse::<u32>() {
            Ok(months) if (1..=MAX_MONTHS).contains(&months) => months,
            _ => {
                self.form.set_error(
                    MONTHS,
                    cx.lang.fill(
                        "Type a number of months from 1 to {max}.",
                        &[("max", &MAX_MONTHS.to_string())],
                    ),
                );
                self.form.focus_key(MONTHS);
                return;
            }
        };
        let series = if self.form.choice_index(LINKING) == 1 {
            match normalize_series_name(self.form.value(SERIES)) {
                Ok(name) => Some(name),
                Err(_) => {
                    self.form.set_error(
                        SERIES,
                        cx.tr("Use 1 to 32 letters, digits, - or _ for the series name."),
                    );
                    self.form.focus_key(SERIES);
                    return;
                }
            }
        } else {
            None
        };
        let typed = self.form.value(FILE).trim().to_owned();
        if typed.is_empty() {
            self.form
                .set_error(FILE, cx.tr("Type where to save the file."));
            self.form.focus_key(FILE);
            return;
        }
        let path = cx.service.export_path(std::path::Path::new(&typed));
        let is_csv = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if !is_csv {
            self.form.set_error(
                FILE,
                cx.lang.fill(
                    "End the file name in .{extension} for this format.",
                    &[("extension", "csv")],
                ),
            );
            self.form.focus_key(FILE);
            return;
        }
        self.writing = true;
        let service = cx.service.clone();
        let session = cx.session.clone();
        let request = PseudonymisedRequest { months, series };
        cx.run(Task::ForView {
            label: "Writing the pseudonymised export…",
            work: Box::new(move || {
                Box::new(Exported(service.export_pseudonymised(
                    &session,
                    &request,
                    &path,
                    Existing::Refuse,
                ))) as ViewTaskOutput
            }),
        });
    }
}

impl View for PseudonymisedExportView {
    fn title(&self) -> &'static str {
        "Pseudonymised export"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Form]
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        if self.writing {
            return None;
        }
        self.form.focused_input()
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        if self.writing && action != Action::Back {
            return Handled::Yes;
        }
        match self.form.on_action(action) {
            FormEvent::Changed => Handled::Yes,
            FormEvent::Ignored => Handled::No,
            FormEvent::Submit => {
                self.submit(cx);
                Handled::Yes
            }
        }
    }

    fn on_task(&mut self, output: ViewTaskOutput, cx: &mut Cx) {
        let Ok(exported) = output.downcast::<Exported>() else {
            return;
        };
        self.writing = false;
        match exported.0 {
            Ok(file) => {
                cx.back();
                cx.notice(cx.lang.fill(
                    "{rows} members written to {path}, without names, phones or plates.",
                    &[
                        ("rows", &file.rows.to_string()),
                        ("path", &safe(&file.path.display().to_string())),
                    ],
                ));
            }
            Err(error) => show_write_failure(&mut self.form, FILE, &error, cx),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Pseudonymised export")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [intro, form_area, status] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(self.form.height_in(inner.width, rx)),
            Constraint::Min(1),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("One row per member: a pseudonym, tier, month joined, visits per month, a spend band, vehicle kinds and consents. No names, phones, emails, plates, birthdays, notes or member numbers."),
                rx.theme.muted,
            ))
            .wrap(Wrap { trim: true }),
            intro,
        );
        self.form.render(frame, form_area, rx, !self.writing);
        let footer = if self.writing {
            rx.tr("Writing the pseudonymised export…")
        } else {
            rx.tr("Enter: confirm   Esc: cancel")
        };
        frame.render_widget(Paragraph::new(Span::styled(footer, rx.theme.muted)), status);
    }
}
