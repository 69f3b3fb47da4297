//! Two records of one person folded into one, from the member screen (`M`): the manager
//! types the other record's number, sees both side by side, picks each profile field
//! (Left/Right), and confirms with a fresh code. The open member is the one that stays.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::domain::access::{Operation, Rule};
use crate::domain::member_merge::{ProfileChoice, ProfileField, Side};
use crate::ids::RecordId;
use crate::service::{BirthdayView, MergePreview, MergeReceipt, MergeSide, ShownText};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::text::{fit_message, pad, safe, width, wrap};
use crate::ui::view::{BLANKED, Cx, Handled, Prompt, PromptAnswer, RenderCx, View};
use crate::ui::widgets::hints::footer_hints;
use crate::ui::widgets::input::TextInput;

use super::member_form::{FormOutcome, Outbox};

const MERGE_PROMPT: &str = "member.merge";

/// The key on the member screen: a manager gets the merge screen; anyone else hears the
/// service's refusal, which the service also records.
pub fn open(cx: &mut Cx, kept: RecordId, kept_number: u64, outbox: Outbox) {
    if Operation::MergeMembers.rule_for(cx.role) == Rule::Denied {
        if let Err(error) = cx.service.check_member_merge(cx.session) {
            cx.fail(&error);
        }
        return;
    }
    cx.push(MemberMergeView::new(kept, kept_number, outbox));
}

enum Stage {
    /// Typing the other record's member number.
    Number,
    /// Both records side by side, a field row selected.
    Compare {
        preview: Box<MergePreview>,
        choice: ProfileChoice,
        row: usize,
    },
}

pub struct MemberMergeView {
    kept: RecordId,
    kept_number: u64,
    number: TextInput,
    stage: Stage,
    /// Why the number led nowhere, already translated.
    failure: Option<String>,
    /// Where the merged record goes back to the member screen.
    outbox: Outbox,
}

impl MemberMergeView {
    pub fn new(kept: RecordId, kept_number: u64, outbox: Outbox) -> Self {
        Self {
            kept,
            kept_number,
            number: TextInput::new()
                .with_max(12)
                .with_placeholder("member number"),
            stage: Stage::Number,
            failure: None,
            outbox,
        }
    }

    fn compare(&mut self, cx: &mut Cx) {
        let typed = self
            .number
            .value()
            .trim()
            .trim_start_matches('#')
            .to_owned();
        let Ok(number) = typed.parse::<u64>() else {
            self.failure = Some(
                cx.tr("Type the member number of the other record (digits only).")
                    .to_owned(),
            );
            return;
        };
        let found = cx
            .service
            .find_member_by_number(cx.session, number)
            .and_then(|other| cx.service.merge_preview(cx.session, self.kept, other));
        match found {
            Ok(preview) => {
                self.failure = None;
                self.stage = Stage::Compare {
                    choice: preview.suggested,
                    preview: Box::new(preview),
                    row: 0,
                };
            }
            Err(error) => {
                self.failure = Some(crate::ui::view::describe_error(&error, cx.lang));
            }
        }
    }

    fn confirm(&self, cx: &mut Cx) {
        let Stage::Compare { preview, .. } = &self.stage else {
            return;
        };
        cx.prompt(
            Prompt::confirm(
                MERGE_PROMPT,
                "Merge members?",
                cx.lang.fill(
                    "Fold member {absorbed} into member {kept}? Everything {absorbed} has moves to {kept}, and {absorbed} will only lead to {kept}. This cannot be undone. Enter your own authenticator code.",
                    &[
                        ("absorbed", &preview.absorbed.member_number.to_string()),
                        ("kept", &preview.kept.member_number.to_string()),
                    ],
                ),
            )
            .with_code(),
        );
    }

    fn merged(&self, receipt: &MergeReceipt, cx: &mut Cx) {
        cx.changed();
        // The member screen below shows the merged profile (opening it is an audited read).
        match cx.service.open_member(cx.session, receipt.kept) {
            Ok(detail) => self.outbox.send(FormOutcome::Member(detail)),
            Err(error) => cx.fail(&error),
        }
        cx.notice(cx.lang.fill(
            "Member {absorbed} merged into {kept}: {vehicles} vehicles, {visits} visits, {entries} points entries, {bookings} bookings, {plans} plans, {packages} packages moved; balance {balance} points.",
            &[
                ("absorbed", &receipt.absorbed_number.to_string()),
                ("kept", &receipt.kept_number.to_string()),
                ("vehicles", &(receipt.vehicles_moved + receipt.vehicles_joined).to_string()),
                ("visits", &receipt.visits.to_string()),
                ("entries", &receipt.ledger_entries.to_string()),
                ("bookings", &receipt.bookings.to_string()),
                ("plans", &receipt.plans.to_string()),
                ("packages", &receipt.packages.to_string()),
                ("balance", &receipt.points_balance.to_string()),
            ],
        ));
        cx.back();
    }
}

impl View for MemberMergeView {
    fn title(&self) -> &'static str {
        "Merge members"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Merge]
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        match self.stage {
            Stage::Number => Some(&mut self.number),
            Stage::Compare { .. } => None,
        }
    }

    fn on_input_changed(&mut self, _cx: &mut Cx) {
        self.failure = None;
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        match (&mut self.stage, action) {
            (Stage::Number, Action::Submit) => self.compare(cx),
            (Stage::Compare { .. }, Action::Submit) => self.confirm(cx),
            (Stage::Compare { row, .. }, Action::Up) => *row = row.saturating_sub(1),
            (Stage::Compare { row, .. }, Action::Down) => {
                *row = (*row + 1).min(ProfileField::ALL.len() - 1);
            }
            (Stage::Compare { choice, row, .. }, Action::Left | Action::Right | Action::Select) => {
                let field = ProfileField::ALL[*row];
                let side = match action {
                    Action::Left => Side::Kept,
                    Action::Right => Side::Absorbed,
                    _ => choice.side(field).other(),
                };
                choice.set(field, side);
            }
            // Esc from the comparison goes back to the number, not off the screen.
            (Stage::Compare { .. }, Action::Back) => self.stage = Stage::Number,
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn on_prompt(&mut self, tag: &'static str, answer: PromptAnswer, cx: &mut Cx) {
        if tag != MERGE_PROMPT || !cx.step_up(&answer.code) {
            return;
        }
        let Stage::Compare {
            preview, choice, ..
        } = &self.stage
        else {
            return;
        };
        match cx
            .service
            .merge_members(cx.session, self.kept, preview.absorbed.member, *choice)
        {
            Ok(receipt) => self.merged(&receipt, cx),
            Err(error) => cx.fail(&error),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(
                    " {} ",
                    rx.lang.fill(
                        "Merge another record into member {number}",
                        &[("number", &self.kept_number.to_string())]
                    )
                ),
                rx.theme.title,
            ))
            .border_style(rx.theme.border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [body, footer] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
        let hints = match &self.stage {
            Stage::Number => {
                render_number(self, frame, body, rx);
                footer_hints(rx, &[KeyContext::Merge], &[(Action::Submit, "compare")])
            }
            Stage::Compare {
                preview,
                choice,
                row,
            } => {
                render_compare(preview, choice, *row, frame, body, rx);
                footer_hints(
                    rx,
                    &[KeyContext::Merge],
                    &[
                        (Action::Left, "keep this field"),
                        (Action::Right, "take the other's"),
                        (Action::Submit, "merge (asks your code)"),
                    ],
                )
            }
        };
        let mut line = hints;
        line.extend(footer_hints(rx, &[], &[(Action::Back, "back")]));
        frame.render_widget(Paragraph::new(Line::from(line)), footer);
    }
}

fn render_number(view: &MemberMergeView, frame: &mut Frame, area: Rect, rx: &RenderCx) {
    let cells = usize::from(area.width);
    let [explain, _, input_row, _, failure_area] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    let text = rx.lang.fill(
        "When one person has two records, fold the other one into member {number}: its vehicles, visits, points, bookings, plans, packages and consents move here, and you pick each profile field. Type the other record's member number.",
        &[("number", &view.kept_number.to_string())],
    );
    let lines: Vec<Line> = wrap(&text, cells)
        .into_iter()
        .take(3)
        .map(|line| Line::from(Span::styled(line, rx.theme.muted)))
        .collect();
    frame.render_widget(Paragraph::new(lines), explain);
    let label = format!("{} ", rx.tr("Other member number:"));
    let label_cells = u16::try_from(width(&label)).unwrap_or(0);
    let [label_area, input_area] =
        Layout::horizontal([Constraint::Length(label_cells), Constraint::Min(1)]).areas(input_row);
    frame.render_widget(
        Paragraph::new(Span::styled(label, rx.theme.accent)),
        label_area,
    );
    let placeholder = Some((rx.tr(view.number.placeholder()), rx.theme.placeholder));
    view.number
        .render(frame, input_area, rx.input_style(true), placeholder, true);
    if let Some(failure) = &view.failure {
        let lines: Vec<Line> = fit_message(failure, cells, usize::from(failure_area.height.max(1)))
            .into_iter()
            .map(|line| Line::from(Span::styled(line, rx.theme.error)))
            .collect();
        frame.render_widget(Paragraph::new(lines), failure_area);
    }
}

fn field_label(field: ProfileField) -> &'static str {
    match field {
        ProfileField::Name => "Name",
        ProfileField::Phone => "Mobile phone",
        ProfileField::Email => "Email",
        ProfileField::Birthday => "Birthday",
        ProfileField::Notes => "Notes",
    }
}

/// One side's value of a field, as this staff member may see it.
fn field_text(side: &MergeSide, field: ProfileField, rx: &RenderCx) -> Option<String> {
    let shown = |text: Option<&ShownText>| text.map(|t| safe(t.as_str()).into_owned());
    let value = match field {
        ProfileField::Name => Some(safe(side.name.as_str()).into_owned()),
        ProfileField::Phone => shown(side.phone.as_ref()),
        ProfileField::Email => shown(side.email.as_ref()),
        ProfileField::Notes => shown(side.notes.as_ref()),
        ProfileField::Birthday => side.birthday.as_ref().map(|birthday| match birthday {
            BirthdayView::Date(date) => date.format("%Y-%m-%d").to_string(),
            BirthdayView::Hidden { .. } => rx.tr("hidden").to_owned(),
        }),
    };
    value.map(|text| if rx.blank { BLANKED.to_owned() } else { text })
}

fn render_compare(
    preview: &MergePreview,
    choice: &ProfileChoice,
    selected: usize,
    frame: &mut Frame,
    area: Rect,
    rx: &RenderCx,
) {
    let cells = usize::from(area.width);
    let label_cells = ProfileField::ALL
        .iter()
        .map(|field| width(rx.tr(field_label(*field))))
        .max()
        .unwrap_or(0)
        + 2;
    // Two markers and a gap per side.
    let column = cells.saturating_sub(label_cells + 2) / 2;
    let value_cells = column.saturating_sub(3);
    let header = |side: &MergeSide, english: &'static str| {
        let text = rx
            .lang
            .fill(english, &[("number", &side.member_number.to_string())]);
        pad(&text, column)
    };
    let mut lines = vec![Line::from(vec![
        Span::raw(" ".repeat(label_cells + 2)),
        Span::styled(header(&preview.kept, "#{number} (stays)"), rx.theme.accent),
        Span::styled(header(&preview.absorbed, "#{number}"), rx.theme.accent),
    ])];
    for (index, field) in ProfileField::ALL.into_iter().enumerate() {
        let picked = choice.side(field);
        let cell = |side: &MergeSide, this: Side| {
            let chosen = picked == this;
            let marker = if chosen { "● " } else { "○ " };
            let text = field_text(side, field, rx).unwrap_or_else(|| "—".to_owned());
            let body = format!("{marker}{} ", pad(&text, value_cells));
            let style = if chosen {
                rx.theme.base
            } else {
                rx.theme.muted
            };
            Span::styled(body, style)
        };
        let pointer = if index == selected { "▶ " } else { "  " };
        let label = pad(rx.tr(field_label(field)), label_cells);
        let label_style = if index == selected {
            rx.theme.selection
        } else {
            rx.theme.muted
        };
        lines.push(Line::from(vec![
            Span::styled(pointer, rx.theme.accent),
            Span::styled(label, label_style),
            cell(&preview.kept, Side::Kept),
            cell(&preview.absorbed, Side::Absorbed),
        ]));
    }
    lines.push(Line::from(""));
    let absorbed = &preview.absorbed;
    let moving = rx.lang.fill(
        "Moving from {number}: {vehicles} vehicles, {visits} visits, {bookings} bookings, {plans} plans, {packages} packages, {points} points. A plate both have is kept once.",
        &[
            ("number", &absorbed.member_number.to_string()),
            ("vehicles", &absorbed.vehicles.to_string()),
            ("visits", &absorbed.visits.to_string()),
            ("bookings", &absorbed.bookings.to_string()),
            ("plans", &absorbed.plans.to_string()),
            ("packages", &absorbed.packages.to_string()),
            ("points", &absorbed.points.to_string()),
        ],
    );
    for line in wrap(&moving, cells) {
        lines.push(Line::from(Span::raw(line)));
    }
    let rows = usize::from(area.height);
    lines.truncate(rows);
    frame.render_widget(Paragraph::new(lines), area);
}
