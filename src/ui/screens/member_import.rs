//! Import members (manager, from the members screen or the palette): a path to a CSV file,
//! checked in the background (a dry run), then the first rows as they will be stored, the
//! report with every problem by line, and — once the file is clean — "Import N members" after
//! the manager's fresh authenticator code. Nothing is written before that, or at all when the
//! file has any problem.

use std::path::PathBuf;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table};
use zeroize::Zeroizing;

use crate::domain::member_import::MAX_FILE_BYTES;
use crate::service::{ImportPreviewRow, ImportReport, ImportRequest, ServiceError, UniqueField};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::tasks::Task;
use crate::ui::text::{fit_message, safe, truncate, width, wrap};
use crate::ui::view::{Cx, Handled, Prompt, PromptAnswer, RenderCx, View, ViewTaskOutput};
use crate::ui::widgets::hints::footer_hints;
use crate::ui::widgets::input::TextInput;
use crate::ui::widgets::table::{flex_widths, personal_cell, text_cell};

const IMPORT: &str = "member_import.import";
/// Problems one PageUp/PageDown moves.
const PAGE: usize = 5;

/// Why a check or an import did not give a report.
enum Failure {
    /// The file could not be read or is not a member file; English, from the file's rules.
    File(String),
    Service(ServiceError),
}

/// What the background work hands back.
enum Done {
    Checked {
        path: String,
        result: Result<(Zeroizing<Vec<u8>>, ImportReport), Failure>,
    },
    Imported(Result<ImportReport, Failure>),
}

/// A file checked, with the bytes that were checked: the import uses exactly these, so a file
/// changed on disk after the check cannot slip in unchecked.
struct Checked {
    path: String,
    bytes: Zeroizing<Vec<u8>>,
    report: ImportReport,
}

pub struct ImportView {
    path: TextInput,
    checked: Option<Checked>,
    /// A file that could not be read, already in the staff member's language.
    failure: Option<String>,
    busy: bool,
    /// Problems scrolled past.
    scroll: usize,
}

impl Default for ImportView {
    fn default() -> Self {
        Self::new()
    }
}

/// `~/x` as the home directory's `x`; anything else as typed (relative to where frontdesk runs).
fn resolve(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

fn read_file(path: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
    use std::io::Read;
    let cannot = |err: std::io::Error| {
        Failure::File(format!(
            "cannot read the file ({err}); check the path and that frontdesk may read it"
        ))
    };
    let file = std::fs::File::open(resolve(path)).map_err(cannot)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    Ok(bytes)
}

impl ImportView {
    pub fn new() -> Self {
        Self {
            path: TextInput::new()
                .with_max(400)
                .with_placeholder("/path/to/members.csv"),
            checked: None,
            failure: None,
            busy: false,
            scroll: 0,
        }
    }

    /// The report of the file now in the path field, if it was checked.
    fn current(&self) -> Option<&Checked> {
        self.checked
            .as_ref()
            .filter(|checked| checked.path == self.path.value().trim())
    }

    fn submit(&mut self, cx: &mut Cx) {
        if self.busy {
            return;
        }
        let ready = self
            .current()
            .filter(|c| c.report.is_clean() && !c.report.written() && c.report.members > 0);
        match ready {
            Some(checked) => {
                let members = checked.report.members.to_string();
                let mut prompt = Prompt::confirm(
                    IMPORT,
                    "Import members?",
                    cx.lang.fill(
                        "Import {n} members from this file? Each gets a member number and their own key. Enter your own authenticator code.",
                        &[("n", &members)],
                    ),
                )
                .with_code();
                prompt.destructive = false;
                cx.prompt(prompt);
            }
            None => self.check(cx),
        }
    }

    /// Reads and checks the file in the background, writing nothing.
    fn check(&mut self, cx: &mut Cx) {
        let path = self.path.value().trim().to_owned();
        if path.is_empty() {
            self.failure = Some(cx.tr("Type the path of the CSV file first.").to_owned());
            return;
        }
        let service = cx.service.clone();
        let session = cx.session.clone();
        self.busy = true;
        cx.run(Task::ForView {
            label: "Checking the file…",
            work: Box::new(move || {
                let result = read_file(&path).and_then(|bytes| {
                    let rows = service
                        .read_member_file(&bytes, None)
                        .map_err(|err| Failure::File(err.to_string()))?;
                    let report = service
                        .import_members(
                            &session,
                            ImportRequest {
                                rows,
                                dry_run: true,
                            },
                        )
                        .map_err(Failure::Service)?;
                    Ok((bytes, report))
                });
                Box::new(Done::Checked { path, result }) as ViewTaskOutput
            }),
        });
    }

    /// After the fresh code: imports the bytes that were checked.
    fn import(&mut self, cx: &mut Cx) {
        let Some(checked) = self.current() else {
            return;
        };
        let bytes = checked.bytes.clone();
        let service = cx.service.clone();
        let session = cx.session.clone();
        self.busy = true;
        cx.run(Task::ForView {
            label: "Importing members…",
            work: Box::new(move || {
                let result = service
                    .read_member_file(&bytes, None)
                    .map_err(|err| Failure::File(err.to_string()))
                    .and_then(|rows| {
                        service
                            .import_members(
                                &session,
                                ImportRequest {
                                    rows,
                                    dry_run: false,
                                },
                            )
                            .map_err(Failure::Service)
                    });
                Box::new(Done::Imported(result)) as ViewTaskOutput
            }),
        });
    }

    fn failed(&mut self, failure: Failure, cx: &mut Cx) {
        match failure {
            Failure::File(message) => {
                self.failure = Some(match cx.lang {
                    crate::ui::i18n::Language::English => safe(&message).into_owned(),
                    _ => format!("{}{}", cx.tr("Not done: "), safe(&message)),
                });
            }
            Failure::Service(err) => cx.fail(&err),
        }
    }

    fn problem_count(&self) -> usize {
        self.current().map_or(0, |c| c.report.error_count())
    }
}

impl View for ImportView {
    fn title(&self) -> &'static str {
        "Import members"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Import]
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        Some(&mut self.path)
    }

    fn on_input_changed(&mut self, _cx: &mut Cx) {
        self.failure = None;
        self.scroll = 0;
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        match action {
            Action::Submit => self.submit(cx),
            Action::PageDown | Action::Down => {
                let step = if action == Action::Down { 1 } else { PAGE };
                let last = self.problem_count().saturating_sub(1);
                self.scroll = (self.scroll + step).min(last);
            }
            Action::PageUp | Action::Up => {
                let step = if action == Action::Up { 1 } else { PAGE };
                self.scroll = self.scroll.saturating_sub(step);
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn on_prompt(&mut self, tag: &'static str, answer: PromptAnswer, cx: &mut Cx) {
        if tag != IMPORT {
            return;
        }
        if cx.step_up(&answer.code) {
            self.import(cx);
        }
    }

    fn on_task(&mut self, output: ViewTaskOutput, cx: &mut Cx) {
        let Ok(done) = output.downcast::<Done>() else {
            return;
        };
        self.busy = false;
        self.scroll = 0;
        match *done {
            Done::Checked { path, result } => match result {
                Ok((bytes, report)) => {
                    self.failure = None;
                    self.checked = Some(Checked {
                        path,
                        bytes,
                        report,
                    });
                }
                Err(failure) => {
                    self.checked = None;
                    self.failed(failure, cx);
                }
            },
            Done::Imported(result) => match result {
                Ok(report) => {
                    if let Some((first, last)) = report.created {
                        cx.notice(cx.lang.fill(
                            "Imported {n} members, numbers #{first} to #{last}.",
                            &[
                                ("n", &report.members.to_string()),
                                ("first", &first.to_string()),
                                ("last", &last.to_string()),
                            ],
                        ));
                        cx.changed();
                    }
                    if let Some(checked) = self.checked.as_mut() {
                        checked.report = report;
                    }
                }
                Err(failure) => self.failed(failure, cx),
            },
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Import members")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let cells = usize::from(inner.width);
        let [path_row, hint_row, _, body, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas(inner);

        let label = format!("{} ", rx.tr("File:"));
        let label_cells = u16::try_from(width(&label)).unwrap_or(0);
        let [label_area, input_area] =
            Layout::horizontal([Constraint::Length(label_cells), Constraint::Min(1)])
                .areas(path_row);
        frame.render_widget(
            Paragraph::new(Span::styled(label, rx.theme.accent)),
            label_area,
        );
        let placeholder = Some((rx.tr(self.path.placeholder()), rx.theme.placeholder));
        self.path
            .render(frame, input_area, rx.input_style(true), placeholder, true);
        frame.render_widget(
            Paragraph::new(Span::styled(
                truncate(
                    rx.tr("A CSV file on the computer running frontdesk; Enter checks it."),
                    cells,
                )
                .into_owned(),
                rx.theme.muted,
            )),
            hint_row,
        );

        if self.busy {
            frame.render_widget(
                Paragraph::new(Span::styled(rx.tr("Working…"), rx.theme.muted)),
                body,
            );
        } else if let Some(failure) = &self.failure {
            let rows = usize::from(body.height);
            let lines: Vec<Line> = fit_message(failure, cells, rows)
                .into_iter()
                .map(|line| Line::from(Span::styled(line, rx.theme.error)))
                .collect();
            frame.render_widget(Paragraph::new(lines), body);
        } else if let Some(checked) = self.current() {
            render_report(&checked.report, self.scroll, frame, body, rx);
        } else {
            render_columns_help(frame, body, rx);
        }

        let submit_word = match self.current() {
            Some(c) if c.report.is_clean() && !c.report.written() && c.report.members > 0 => {
                "import (asks your code)"
            }
            _ => "check the file",
        };
        let mut hints = footer_hints(rx, &[KeyContext::Import], &[(Action::Submit, submit_word)]);
        if self.problem_count() > 0 {
            hints.extend(footer_hints(
                rx,
                &[KeyContext::Import],
                &[(Action::PageDown, "more problems")],
            ));
        }
        hints.extend(footer_hints(rx, &[], &[(Action::Back, "back")]));
        frame.render_widget(Paragraph::new(Line::from(hints)), footer);
    }
}

/// Before any check: which columns a file may have.
fn render_columns_help(frame: &mut Frame, area: Rect, rx: &RenderCx) {
    let cells = usize::from(area.width);
    let text = rx.tr(
        "The first line names the columns, in any order: name (required), phone, email, plate, vehicle type, birthday (YYYY-MM-DD), points, notes, marketing, birthday offers (yes/no). Chinese headers work too: 姓名, 手机, 邮箱, 车牌, 车型, 生日, 积分, 备注. UTF-8 or GB18030. Nothing is written until the whole file is clean and you confirm with your code.",
    );
    let lines: Vec<Line> = wrap(text, cells)
        .into_iter()
        .take(usize::from(area.height))
        .map(|line| Line::from(Span::styled(line, rx.theme.muted)))
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

fn render_report(
    report: &ImportReport,
    scroll: usize,
    frame: &mut Frame,
    area: Rect,
    rx: &RenderCx,
) {
    let cells = usize::from(area.width);
    let summary = rx.lang.fill(
        "{rows} rows read ({encoding}): {members} members, {vehicles} vehicles, {points} opening points",
        &[
            ("rows", &report.rows_read.to_string()),
            ("encoding", report.encoding.as_str()),
            ("members", &report.members.to_string()),
            ("vehicles", &report.vehicles.to_string()),
            ("points", &report.points_total.to_string()),
        ],
    );
    let (status, style) = match report.created {
        Some((first, last)) => (
            rx.lang.fill(
                "Imported: member numbers #{first} to #{last}.",
                &[("first", &first.to_string()), ("last", &last.to_string())],
            ),
            rx.theme.ok,
        ),
        None if report.is_clean() => (
            rx.tr("The file is clean. Nothing is written until you import it.")
                .to_owned(),
            rx.theme.ok,
        ),
        None if report.error_count() == 1 => (
            rx.tr("1 problem: nothing will be imported until the file is fixed.")
                .to_owned(),
            rx.theme.error,
        ),
        None => (
            rx.lang.fill(
                "{n} problems: nothing will be imported until the file is fixed.",
                &[("n", &report.error_count().to_string())],
            ),
            rx.theme.error,
        ),
    };
    let problems = problem_lines(report, rx);
    let shown_preview = if problems.is_empty() {
        report.preview.len()
    } else {
        report.preview.len().min(3)
    };
    let table_rows = if shown_preview == 0 {
        0
    } else {
        shown_preview + 1
    };
    let [summary_row, status_row, table_area, problems_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(u16::try_from(table_rows).unwrap_or(0)),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(Span::styled(
            truncate(&summary, cells).into_owned(),
            rx.theme.base,
        )),
        summary_row,
    );
    frame.render_widget(
        Paragraph::new(Span::styled(truncate(&status, cells).into_owned(), style)),
        status_row,
    );
    if shown_preview > 0 {
        render_preview(&report.preview[..shown_preview], frame, table_area, rx);
    }
    if !problems.is_empty() {
        let rows = usize::from(problems_area.height);
        let mut lines = Vec::new();
        for text in problems.iter().skip(scroll) {
            for line in wrap(&safe(text), cells) {
                lines.push(Line::from(Span::styled(line, rx.theme.warning)));
            }
            if lines.len() >= rows {
                break;
            }
        }
        lines.truncate(rows);
        frame.render_widget(Paragraph::new(lines), problems_area);
    }
}

/// Every problem in file order, in the staff member's language; the reasons for a bad row
/// come from the member rules and stay in English behind the translated line number.
fn problem_lines(report: &ImportReport, rx: &RenderCx) -> Vec<String> {
    let field_word = |field: UniqueField| match field {
        UniqueField::Phone => rx.tr("phone"),
        UniqueField::Email => rx.tr("email"),
        UniqueField::Plate => rx.tr("plate"),
    };
    let mut lines: Vec<(u64, String)> = Vec::with_capacity(report.error_count());
    for problem in &report.invalid {
        lines.push((
            problem.line,
            rx.lang.fill(
                "Line {line}: {reasons}",
                &[
                    ("line", &problem.line.to_string()),
                    ("reasons", &problem.reasons.join("; ")),
                ],
            ),
        ));
    }
    for duplicate in &report.file_duplicates {
        lines.push((
            duplicate.line,
            rx.lang.fill(
                "Line {line}: the {field} is also on line {first}; keep one row per customer.",
                &[
                    ("line", &duplicate.line.to_string()),
                    ("field", field_word(duplicate.field)),
                    ("first", &duplicate.first_line.to_string()),
                ],
            ),
        ));
    }
    for duplicate in &report.store_duplicates {
        lines.push((
            duplicate.line,
            rx.lang.fill(
                "Line {line}: the {field} is already on member #{n}; leave the row out.",
                &[
                    ("line", &duplicate.line.to_string()),
                    ("field", field_word(duplicate.field)),
                    ("n", &duplicate.member_number.to_string()),
                ],
            ),
        ));
    }
    lines.sort_by_key(|(line, _)| *line);
    lines.into_iter().map(|(_, text)| text).collect()
}

/// The first rows as they will be stored.
fn render_preview(rows: &[ImportPreviewRow], frame: &mut Frame, area: Rect, rx: &RenderCx) {
    const LINE: usize = 5;
    const PHONE: usize = 15;
    const PLATE: usize = 9;
    const POINTS: usize = 7;
    let total = usize::from(area.width);
    let flex = flex_widths(total, &[LINE, PHONE, PLATE, POINTS], &[3, 4]);
    let (name_w, email_w) = (flex[0].max(6), flex[1].max(6));
    let header = Row::new(vec![
        text_cell(rx.tr("Line"), LINE, rx.theme.header),
        text_cell(rx.tr("Name"), name_w, rx.theme.header),
        text_cell(rx.tr("Phone"), PHONE, rx.theme.header),
        text_cell(rx.tr("Email"), email_w, rx.theme.header),
        text_cell(rx.tr("Plate"), PLATE, rx.theme.header),
        text_cell(rx.tr("Points"), POINTS, rx.theme.header),
    ]);
    let dash = |cells| text_cell("—", cells, rx.theme.muted);
    let body: Vec<Row> = rows
        .iter()
        .map(|row| {
            Row::new(vec![
                text_cell(&row.line.to_string(), LINE, rx.theme.muted),
                personal_cell(rx, &row.name, false, name_w),
                row.phone
                    .as_ref()
                    .map_or_else(|| dash(PHONE), |p| personal_cell(rx, p, false, PHONE)),
                row.email
                    .as_ref()
                    .map_or_else(|| dash(email_w), |e| personal_cell(rx, e, false, email_w)),
                row.plate
                    .as_ref()
                    .map_or_else(|| dash(PLATE), |p| personal_cell(rx, p, false, PLATE)),
                text_cell(&row.points.to_string(), POINTS, rx.theme.base),
            ])
        })
        .collect();
    let widths = [LINE, name_w, PHONE, email_w, PLATE, POINTS]
        .map(|w| Constraint::Length(u16::try_from(w).unwrap_or(0)));
    frame.render_widget(
        Table::new(body, widths).header(header).column_spacing(1),
        area,
    );
}
