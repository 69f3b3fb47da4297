//! The panel a member or vehicle form opens when the service refuses a phone, email or plate
//! that is already on another member. It names that member as search would show them to this
//! staff member (masked for a cashier) and offers three ways on: open that member (the form
//! stays underneath, typed values intact), save anyway (a manager; a cashier first asks a
//! manager's approval), or back to the form.
//!
//! The panel does not save anything itself: "save anyway" raises the form's [`SaveAnyway`]
//! flag and goes back, and the form, on top again, saves once more with the override. So the
//! form keeps the one place where its values turn into a service call.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::approval::ApprovalDialog;
use super::member::MemberView;
use crate::domain::access::Operation;
use crate::service::{DuplicateField, DuplicateMatch, DuplicateReport};
use crate::ui::actions::Action;
use crate::ui::i18n::Language;
use crate::ui::keymap::KeyContext;
use crate::ui::overlays::centred;
use crate::ui::view::{Cx, Handled, RenderCx, View};

const CONTEXTS: &[KeyContext] = &[KeyContext::Duplicate];
/// Wide enough for a masked name, phone and two plates on one line; fits 80 columns.
const PANEL_WIDTH: u16 = 76;

/// Set by the panel when staff chose "save anyway" (and, for a cashier, a manager approved);
/// taken by the form when it is back on top.
#[derive(Clone, Default)]
pub struct SaveAnyway(Arc<AtomicBool>);

impl SaveAnyway {
    fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether staff asked to save anyway since the last call; asking is used up.
    pub fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
}

pub struct DuplicatePanel {
    report: DuplicateReport,
    selected: usize,
    save_anyway: SaveAnyway,
}

impl DuplicatePanel {
    pub fn new(report: DuplicateReport, save_anyway: SaveAnyway) -> Self {
        Self {
            report,
            selected: 0,
            save_anyway,
        }
    }

    fn chosen(&self) -> Option<&DuplicateMatch> {
        self.report.matches.get(self.selected)
    }

    fn open_chosen(&self, cx: &mut Cx) {
        let Some(found) = self.chosen() else { return };
        // Replacing the panel keeps the form beneath: Esc from the member returns to it.
        cx.replace(MemberView::new(found.member.id));
    }

    fn save_anyway(&self, cx: &mut Cx) {
        let flag = self.save_anyway.clone();
        ApprovalDialog::new(
            Operation::SaveDuplicateMember,
            Box::new(move |cx: &mut Cx| {
                flag.request();
                cx.back();
            }),
        )
        .with_title("Approve saving a duplicate")
        .ask(cx);
    }
}

/// "Phone/Plate": the fields one member holds, in the staff member's language.
fn field_words(fields: &[DuplicateField], lang: Language) -> String {
    fields
        .iter()
        .map(|field| match field {
            DuplicateField::Phone => lang.tr("Phone"),
            DuplicateField::Email => lang.tr("Email"),
            DuplicateField::Plate => lang.tr("Plate"),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The other member as two lines: what they hold, then who they are (as search shows them).
/// `selected`: `None` when there is only one member to choose.
fn match_lines(
    found: &DuplicateMatch,
    selected: Option<bool>,
    rx: &RenderCx,
) -> Vec<Line<'static>> {
    let number = found.member.member_number.to_string();
    let lead = rx.lang.fill(
        "{fields} already on member #{n}:",
        &[
            ("fields", &field_words(&found.fields, rx.lang)),
            ("n", &number),
        ],
    );
    let (marker, lead_style) = match selected {
        Some(true) => ("▶ ", rx.theme.selection),
        Some(false) => ("  ", rx.theme.base),
        None => ("", rx.theme.base),
    };
    let masked = found.member.masked;
    let mut who = vec![Span::raw("    "), rx.personal(&found.member.name, masked)];
    if let Some(phone) = &found.member.phone {
        who.push(Span::styled(" · ", rx.theme.muted));
        who.push(rx.personal(phone, masked));
    }
    for plate in &found.member.plates {
        who.push(Span::styled(" · ", rx.theme.muted));
        who.push(rx.personal(plate, masked));
    }
    vec![
        Line::from(vec![
            Span::styled(marker, rx.theme.accent),
            Span::styled(lead, lead_style),
        ]),
        Line::from(who),
    ]
}

impl View for DuplicatePanel {
    /// Short for the header at 80 columns; the panel's own title says it in full.
    fn title(&self) -> &'static str {
        "Duplicate"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        CONTEXTS
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        match action {
            Action::OpenDuplicate => self.open_chosen(cx),
            Action::SaveDuplicate => self.save_anyway(cx),
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => {
                self.selected = (self.selected + 1).min(self.report.matches.len().saturating_sub(1))
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let several = self.report.matches.len() > 1;
        let mut lines = Vec::new();
        for (index, found) in self.report.matches.iter().enumerate() {
            let selected = several.then_some(index == self.selected);
            lines.extend(match_lines(found, selected, rx));
        }
        let list_height = u16::try_from(lines.len()).unwrap_or(u16::MAX);
        let box_width = PANEL_WIDTH.min(area.width);
        let key = |action| rx.key_hint(CONTEXTS, action).unwrap_or_default();
        let save = if rx.role.sees_full_personal_data() {
            "{key}: save anyway"
        } else {
            "{key}: save anyway (manager approves)"
        };
        let hints = [
            rx.lang.fill(
                "{key}: open that member",
                &[("key", &key(Action::OpenDuplicate))],
            ),
            rx.lang.fill(save, &[("key", &key(Action::SaveDuplicate))]),
            rx.lang
                .fill("{key}: back to the form", &[("key", &key(Action::Back))]),
        ];
        let hint_lines = pack(&hints, usize::from(box_width.saturating_sub(2)));
        let hint_height = u16::try_from(hint_lines.len()).unwrap_or(u16::MAX);
        // Borders, the list, a gap, the explanation (three wrapped lines), a gap, the keys.
        let height = (list_height + hint_height + 7).min(area.height);
        let box_area = centred(area, box_width, height);
        frame.render_widget(Clear, box_area);
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Already on another member")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(box_area);
        frame.render_widget(block, box_area);
        let [list, _, why, _, keys] = Layout::vertical([
            Constraint::Length(list_height),
            Constraint::Length(1),
            Constraint::Min(2),
            Constraint::Length(1),
            Constraint::Length(hint_height),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(lines), list);
        let why_text = if rx.role.sees_full_personal_data() {
            rx.tr("One customer in two records splits their points and history. Open that member to use their record, or save anyway if this is someone else.")
        } else {
            rx.tr("One customer in two records splits their points and history. Open that member to use their record; saving anyway needs a manager's approval.")
        };
        frame.render_widget(
            Paragraph::new(Span::styled(why_text, rx.theme.muted)).wrap(Wrap { trim: true }),
            why,
        );
        let hint_lines: Vec<Line> = hint_lines
            .into_iter()
            .map(|line| Line::from(Span::styled(line, rx.theme.key)))
            .collect();
        frame.render_widget(Paragraph::new(hint_lines), keys);
    }
}

/// Packs key hints into lines of at most `width` cells, never breaking a hint in two.
fn pack(hints: &[String], width: usize) -> Vec<String> {
    const GAP: &str = "   ";
    let mut lines: Vec<String> = Vec::new();
    for hint in hints {
        match lines.last_mut() {
            Some(line) if line.width() + GAP.len() + hint.width() <= width => {
                line.push_str(GAP);
                line.push_str(hint);
            }
            _ => lines.push(hint.clone()),
        }
    }
    lines
}
