//! Members: one search box that searches as you type (phone, last four digits, plate, name or
//! member number), the results as a table, Enter to open one, Ctrl-N to register a new one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState, Wrap};

use super::member::MemberView;
use super::member_form::{MemberFormView, Prefill};
use super::member_import::ImportView;
use super::pseudonymised_export::{self, PSEUDONYMISED_PROMPT};
use crate::service::{MemberSummary, ShownText, TombstoneView};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::text::{truncate, width};
use crate::ui::view::{BLANKED, Cx, Handled, PromptAnswer, RenderCx, View};
use crate::ui::widgets::input::TextInput;
use crate::ui::widgets::table::RowCursor;

/// Rows one PageUp/PageDown moves; the table shows about this many at 80×24.
const PAGE_ROWS: usize = 10;
/// Drawn next to a member whose birthday falls in the current month (two cells wide).
pub const BIRTHDAY_MARKER: &str = "🎂";

pub struct MembersView {
    query: TextInput,
    results: Vec<MemberSummary>,
    /// A typed member number that belongs to a member who is gone.
    gone: Vec<TombstoneView>,
    /// `false` while the name index builds: name matches may be missing.
    names_complete: bool,
    names_masked: bool,
    cursor: RowCursor,
}

impl Default for MembersView {
    fn default() -> Self {
        Self::new()
    }
}

impl MembersView {
    pub fn new() -> Self {
        Self {
            query: TextInput::new()
                .with_max(80)
                .with_placeholder("phone, last 4 digits, plate, name or member number"),
            results: Vec::new(),
            gone: Vec::new(),
            names_complete: true,
            names_masked: false,
            cursor: RowCursor::new(0),
        }
    }

    fn search(&mut self, cx: &mut Cx) {
        let query = self.query.value().trim();
        if query.is_empty() {
            self.results.clear();
            self.gone.clear();
            self.cursor.set_len(0);
            self.names_complete = cx.service.name_index_ready();
            return;
        }
        match cx.service.search_members(cx.session, query) {
            Ok(found) => {
                let selected_id = self
                    .cursor
                    .selected()
                    .and_then(|i| self.results.get(i))
                    .map(|m| m.id);
                self.results = found.members;
                self.gone = found.gone;
                self.names_complete = found.names_complete;
                self.names_masked = found.names_masked;
                self.cursor.set_len(self.results.len());
                // Keep the same member selected when a refresh reorders nothing.
                self.cursor.selected = selected_id
                    .and_then(|id| self.results.iter().position(|m| m.id == id))
                    .unwrap_or(0);
            }
            Err(err) => {
                self.results.clear();
                self.gone.clear();
                self.cursor.set_len(0);
                cx.fail(&err);
            }
        }
    }

    fn selected(&self) -> Option<&MemberSummary> {
        self.cursor.selected().and_then(|i| self.results.get(i))
    }
}

impl View for MembersView {
    fn title(&self) -> &'static str {
        "Members"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Members, KeyContext::List]
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        Some(&mut self.query)
    }

    fn on_input_changed(&mut self, cx: &mut Cx) {
        self.cursor.selected = 0;
        self.search(cx);
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.search(cx);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        if self.cursor.on_action(action, PAGE_ROWS) {
            return Handled::Yes;
        }
        match action {
            Action::Select => {
                if let Some(member) = self.selected() {
                    cx.push(MemberView::new(member.id));
                }
                Handled::Yes
            }
            Action::NewMember => {
                cx.push(MemberFormView::create(
                    Prefill::from_query(self.query.value()),
                    cx.lang,
                ));
                Handled::Yes
            }
            // The service decides (and audits a refusal) before the screen opens.
            Action::ImportMembers => {
                match cx.service.may_import_members(cx.session) {
                    Ok(()) => cx.push(ImportView::new()),
                    Err(err) => cx.fail(&err),
                }
                Handled::Yes
            }
            Action::ExportPseudonymised => {
                pseudonymised_export::ask(cx);
                Handled::Yes
            }
            // Esc clears the query first, so a second Esc leaves the screen.
            Action::Back if !self.query.is_empty() => {
                self.query.clear();
                self.on_input_changed(cx);
                Handled::Yes
            }
            _ => Handled::No,
        }
    }

    fn on_prompt(&mut self, tag: &'static str, answer: PromptAnswer, cx: &mut Cx) {
        // The code confirmed, the export's own dialog takes over.
        if tag == PSEUDONYMISED_PROMPT {
            pseudonymised_export::after_code(cx, &answer.code);
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Members")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [search_row, status_row, table_area] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(1),
        ])
        .areas(inner);

        let label = format!("{} ", rx.tr("Find:"));
        let label_cells = u16::try_from(width(&label)).unwrap_or(0);
        let [label_area, input_area] =
            Layout::horizontal([Constraint::Length(label_cells), Constraint::Min(1)])
                .areas(search_row);
        frame.render_widget(
            Paragraph::new(Span::styled(label, rx.theme.accent)),
            label_area,
        );
        let placeholder = Some((rx.tr(self.query.placeholder()), rx.theme.placeholder));
        self.query
            .render(frame, input_area, rx.input_style(true), placeholder, true);

        let mut status = Vec::new();
        if !self.query.is_empty() {
            let count = self.results.len().to_string();
            let text = match self.results.len() {
                1 => rx.tr("1 member found").to_owned(),
                _ => rx.lang.fill("{n} members found", &[("n", &count)]),
            };
            status.push(Span::styled(text, rx.theme.muted));
        }
        if !self.names_complete {
            if !status.is_empty() {
                status.push(Span::raw("  "));
            }
            status.push(Span::styled(
                rx.tr("name search still warming up; phone, plate and number work now"),
                rx.theme.warning,
            ));
        }
        frame.render_widget(Paragraph::new(Line::from(status)), status_row);

        if self.results.is_empty() && !self.gone.is_empty() {
            render_gone(&self.gone, frame, table_area, rx);
        } else if self.results.is_empty() {
            render_empty_state(
                self.query.is_empty(),
                self.names_masked,
                frame,
                table_area,
                rx,
            );
        } else {
            render_results(&self.results, self.cursor.selected(), frame, table_area, rx);
        }
    }
}

/// "#100042 erased on 2026-11-03": a typed number whose member is gone.
fn render_gone(gone: &[TombstoneView], frame: &mut Frame, area: Rect, rx: &RenderCx) {
    let mut lines = vec![Line::from("")];
    for member in gone {
        lines.push(Line::from(vec![
            Span::styled(format!("#{}  ", member.member_number), rx.theme.accent),
            Span::styled(
                crate::ui::text::gone_word(member.reason, rx.lang),
                rx.theme.muted,
            ),
            Span::raw(format!("  {}", rx.date_time(member.at))),
        ]));
    }
    lines.push(Line::from(""));
    let merged_into = gone.iter().find_map(|member| match member.reason {
        crate::service::GoneReason::MergedInto {
            survivor_number: Some(number),
            ..
        } => Some(number),
        _ => None,
    });
    let explanation = match merged_into {
        Some(number) => rx.lang.fill(
            "That record was merged: its vehicles, visits and points are on member #{number} now; search that number.",
            &[("number", &number.to_string())],
        ),
        None => rx
            .tr("Their personal data no longer exists; visits and points stay for the accounts under the number.")
            .to_owned(),
    };
    lines.push(Line::from(explanation));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}

fn render_empty_state(
    no_query: bool,
    names_masked: bool,
    frame: &mut Frame,
    area: Rect,
    rx: &RenderCx,
) {
    let new_key = rx
        .key_hint(&[KeyContext::Members], Action::NewMember)
        .unwrap_or_default();
    let mut lines = if no_query {
        vec![
            Line::from(""),
            Line::from(rx.tr(
                "Type to search: a phone number, its last 4 digits, a plate, a name or a member number.",
            )),
            Line::from(""),
            Line::from(Span::styled(
                rx.lang
                    .fill("{key}: register a new member", &[("key", &new_key)]),
                rx.theme.muted,
            )),
        ]
    } else {
        vec![
            Line::from(""),
            Line::from(rx.tr("No member matches. Check the spelling or try the phone number.")),
            Line::from(""),
            Line::from(Span::styled(
                rx.lang.fill(
                    "{key}: register a new member with what you typed",
                    &[("key", &new_key)],
                ),
                rx.theme.muted,
            )),
        ]
    };
    if names_masked && !no_query {
        // A masked role cannot find a name by a prefix reaching into its hidden part; say so,
        // or a cashier typing a surname letter by letter would think the member is missing.
        lines.insert(
            2,
            Line::from(
                rx.tr("Names are found by a whole name, or by as much of one as you are shown."),
            ),
        );
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}

/// Table cells and column widths, shared with the other member screens.
pub use crate::ui::widgets::table::{flex_widths, personal_cell, text_cell};

/// Selection marker width used by every table on the members screens.
pub const HIGHLIGHT: &str = "▶ ";

fn render_results(
    results: &[MemberSummary],
    selected: Option<usize>,
    frame: &mut Frame,
    area: Rect,
    rx: &RenderCx,
) {
    const NUMBER: usize = 7;
    const PHONE: usize = 18;
    const BIRTHDAY: usize = 2;
    let total = usize::from(area.width).saturating_sub(width(HIGHLIGHT));
    let flex = flex_widths(total, &[NUMBER, PHONE, BIRTHDAY], &[3, 2]);
    let (name_w, plates_w) = (flex[0].max(8), flex[1].max(6));
    let header = Row::new(vec![
        text_cell(rx.tr("No."), NUMBER, rx.theme.header),
        text_cell(rx.tr("Name"), name_w, rx.theme.header),
        text_cell(rx.tr("Phone"), PHONE, rx.theme.header),
        text_cell(rx.tr("Plates"), plates_w, rx.theme.header),
        text_cell("", BIRTHDAY, rx.theme.header),
    ]);
    let rows: Vec<Row> = results
        .iter()
        .map(|member| {
            let plates = if rx.blank {
                if member.plates.is_empty() {
                    String::new()
                } else {
                    BLANKED.to_owned()
                }
            } else {
                member
                    .plates
                    .iter()
                    .map(ShownText::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let plate_style = if member.masked {
                rx.theme.masked
            } else {
                rx.theme.base
            };
            let phone = match &member.phone {
                Some(phone) => personal_cell(rx, phone, member.masked, PHONE),
                None => text_cell("—", PHONE, rx.theme.muted),
            };
            let birthday = if member.birthday_this_month && !rx.blank {
                BIRTHDAY_MARKER
            } else {
                ""
            };
            Row::new(vec![
                text_cell(&format!("#{}", member.member_number), NUMBER, rx.theme.base),
                personal_cell(rx, &member.name, member.masked, name_w),
                phone,
                text_cell(&truncate(&plates, plates_w), plates_w, plate_style),
                text_cell(birthday, BIRTHDAY, rx.theme.accent),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(u16::try_from(NUMBER).unwrap_or(0)),
        Constraint::Length(u16::try_from(name_w).unwrap_or(0)),
        Constraint::Length(u16::try_from(PHONE).unwrap_or(0)),
        Constraint::Length(u16::try_from(plates_w).unwrap_or(0)),
        Constraint::Length(u16::try_from(BIRTHDAY).unwrap_or(0)),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .row_highlight_style(rx.theme.selection)
        .highlight_symbol(HIGHLIGHT)
        .column_spacing(1);
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
}
