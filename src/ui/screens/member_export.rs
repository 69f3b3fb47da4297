//! A member's right to see their data, at the desk: after the manager's fresh code, choose
//! JSON or a printable report and where to save it (by default `exports/` in the data
//! directory, named after the member number and the day), then the file is written in the
//! background and the status line says where it went.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::domain::access::{Operation, Rule};
use crate::ids::RecordId;
use crate::private_file::{Existing, PrivateFileError};
use crate::service::{EXPORTS_DIR, ExportFormat, ExportedFile, ServiceError, export_file_name};
use crate::ui::actions::Action;
use crate::ui::i18n::Language;
use crate::ui::keymap::KeyContext;
use crate::ui::tasks::Task;
use crate::ui::text::safe;
use crate::ui::view::{Cx, Handled, Prompt, RenderCx, View, ViewTaskOutput, describe_error};
use crate::ui::widgets::form::{Form, FormEvent};
use crate::ui::widgets::input::TextInput;

/// The prompt tag the member screen hands back to [`after_code`].
pub const EXPORT_PROMPT: &str = "member.export_data";

const FORMAT: &str = "format";
const FILE: &str = "file";

/// The formats in the order the choice offers them.
const FORMATS: [ExportFormat; 2] = [ExportFormat::Json, ExportFormat::Text];

fn format_label(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Json => "JSON, for other programs",
        ExportFormat::Text => "Printable report (text)",
    }
}

/// The key on the member screen: a manager is asked for a fresh code first (the answer comes
/// back to the member screen, which calls [`after_code`]); anyone else hears the service's
/// refusal, which the service also records.
pub fn ask(cx: &mut Cx, member_number: u64) -> bool {
    if Operation::ExportMemberData.rule_for(cx.role) == Rule::Denied {
        if let Err(error) = cx.service.check_member_export(cx.session) {
            cx.fail(&error);
        }
        return false;
    }
    let mut prompt = Prompt::confirm(
        EXPORT_PROMPT,
        "Export member data?",
        cx.lang.fill(
            "Save everything held about member {number} in a file for them? It holds their personal data in full. Enter your own authenticator code.",
            &[("number", &member_number.to_string())],
        ),
    )
    .with_code();
    prompt.destructive = false;
    cx.prompt(prompt);
    true
}

/// The manager typed their code: confirm it, then choose the format and the file.
pub fn after_code(cx: &mut Cx, code: &str, member: RecordId, member_number: u64) {
    if !cx.step_up(code) {
        return;
    }
    let today = cx.now.with_timezone(&cx.shop.tz).date_naive();
    cx.push(MemberExportView::new(member, member_number, today, cx.lang));
}

/// The export's result, handed back from the worker thread.
struct Exported(Result<ExportedFile, ServiceError>);

pub struct MemberExportView {
    member: RecordId,
    member_number: u64,
    form: Form,
    /// The last format the file name was written for, to follow a change of format.
    named_for: ExportFormat,
    /// The file is being written; keys wait for it.
    writing: bool,
}

impl MemberExportView {
    pub fn new(
        member: RecordId,
        member_number: u64,
        date: chrono::NaiveDate,
        lang: Language,
    ) -> Self {
        let options = FORMATS
            .iter()
            .map(|format| lang.tr(format_label(*format)).to_owned())
            .collect();
        let suggested = Self::suggested(member_number, date, ExportFormat::Json);
        let form = Form::new()
            .choice(FORMAT, "Format", options, 0)
            .hint("Left and right choose.")
            .text(
                FILE,
                "Save as",
                TextInput::new().with_max(200).with_value(&suggested),
            )
            .hint("A name without a leading / is inside the data folder.");
        Self {
            member,
            member_number,
            form,
            named_for: ExportFormat::Json,
            writing: false,
        }
    }

    fn suggested(member_number: u64, date: chrono::NaiveDate, format: ExportFormat) -> String {
        format!(
            "{EXPORTS_DIR}/{}",
            export_file_name(member_number, date, format)
        )
    }

    fn format(&self) -> ExportFormat {
        FORMATS
            .get(self.form.choice_index(FORMAT))
            .copied()
            .unwrap_or(ExportFormat::Json)
    }

    /// A new format renames the file to match, when the name still ends in the old one's
    /// extension (a name the manager typed otherwise is left alone).
    fn follow_format(&mut self) {
        let format = self.format();
        if format == self.named_for {
            return;
        }
        let old = format!(".{}", self.named_for.extension());
        let typed = self.form.value(FILE).to_owned();
        if let Some(stem) = typed.strip_suffix(&old) {
            let renamed = format!("{stem}.{}", format.extension());
            if let Some(input) = self.form.input_mut(FILE) {
                *input = TextInput::new().with_max(200).with_value(&renamed);
            }
        }
        self.named_for = format;
    }

    fn submit(&mut self, cx: &mut Cx) {
        if self.writing {
            return;
        }
        self.form.clear_errors();
        let typed = self.form.value(FILE).trim().to_owned();
        if typed.is_empty() {
            self.form
                .set_error(FILE, cx.tr("Type where to save the file."));
            return;
        }
        let format = self.format();
        let path = cx.service.export_path(std::path::Path::new(&typed));
        if ExportFormat::from_path(&path).ok() != Some(format) {
            self.form.set_error(
                FILE,
                cx.lang.fill(
                    "End the file name in .{extension} for this format.",
                    &[("extension", format.extension())],
                ),
            );
            return;
        }
        self.writing = true;
        let service = cx.service.clone();
        let session = cx.session.clone();
        let member = self.member;
        cx.run(Task::ForView {
            label: "Writing the member's data…",
            work: Box::new(move || {
                Box::new(Exported(service.export_member_data(
                    &session,
                    member,
                    format,
                    &path,
                    Existing::Refuse,
                ))) as ViewTaskOutput
            }),
        });
    }
}

impl View for MemberExportView {
    fn title(&self) -> &'static str {
        "Export member data"
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
            FormEvent::Changed => {
                self.follow_format();
                Handled::Yes
            }
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
                    "Member {number}'s data saved as {path}. Hand it to the member, then delete it.",
                    &[
                        ("number", &file.member_number.to_string()),
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
                format!(" {} ", rx.tr("Export member data")),
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
                rx.lang.fill(
                    "Everything held about member {number}: profile, vehicles, visits and receipts, points, bookings, plans, consents, and who opened the record. The file is readable by this computer's user only.",
                    &[("number", &self.member_number.to_string())],
                ),
                rx.theme.muted,
            ))
            .wrap(Wrap { trim: true }),
            intro,
        );
        self.form.render(frame, form_area, rx, !self.writing);
        let footer = if self.writing {
            rx.tr("Writing the member's data…")
        } else {
            rx.tr("Enter: confirm   Esc: cancel")
        };
        frame.render_widget(Paragraph::new(Span::styled(footer, rx.theme.muted)), status);
    }
}

/// A file that could not be written, shown at the file-name field of an export dialog: an
/// existing name asks for another, a locked or ended session goes to the app, anything else
/// is said in the staff member's language.
pub fn show_write_failure(form: &mut Form, field: &'static str, error: &ServiceError, cx: &mut Cx) {
    match error {
        ServiceError::File(PrivateFileError::Exists(_)) => form.set_error(
            field,
            cx.tr("A file with that name is already there; choose another name."),
        ),
        ServiceError::SessionLocked | ServiceError::SessionEnded => {
            cx.fail(error);
            return;
        }
        other => form.set_error(field, describe_error(other, cx.lang)),
    }
    form.focus_key(field);
}
