//! A customer's right to be forgotten, at the desk: from the member screen (or the palette) a
//! manager confirms a dialog that says what will happen, with their own fresh authenticator
//! code; the member is erased and the erasure receipt is shown — what was removed and kept,
//! by field name and count, never a value. A cashier hears the service's refusal, which the
//! service also records.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::domain::access::{Operation, Rule};
use crate::ids::RecordId;
use crate::service::{ErasureReceipt, GoneReason, TombstoneView};
use crate::ui::actions::Action;
use crate::ui::i18n::Language;
use crate::ui::keymap::KeyContext;
use crate::ui::view::{Cx, Handled, Prompt, RenderCx, View};

/// The prompt tag the member screen hands back to [`after_code`].
pub const ERASE_PROMPT: &str = "member.erase";

/// The key on the member screen: a manager is asked to confirm with a fresh code (the answer
/// comes back to the member screen, which calls [`after_code`]); anyone else hears the
/// service's refusal, which the service also records.
pub fn ask(cx: &mut Cx, member_number: u64) -> bool {
    if Operation::EraseMember.rule_for(cx.role) == Rule::Denied {
        if let Err(error) = cx.service.check_member_erasure(cx.session) {
            cx.fail(&error);
        }
        return false;
    }
    cx.prompt(
        Prompt::confirm(
            ERASE_PROMPT,
            "Erase member for good?",
            cx.lang.fill(
                "Erase member {number} for good? Name, phone, email, birthday, notes and plates are destroyed, also in backups; future bookings are cancelled. Enter your own authenticator code.",
                &[("number", &member_number.to_string())],
            ),
        )
        .with_code(),
    );
    true
}

/// The manager confirmed with their code: erase, then show the receipt. Returns the
/// tombstone the member screen shows from now on.
pub fn after_code(cx: &mut Cx, code: &str, member: RecordId) -> Option<TombstoneView> {
    if !cx.step_up(code) {
        return None;
    }
    match cx.service.erase_member(cx.session, member) {
        Ok(receipt) => {
            cx.changed();
            let gone = TombstoneView {
                member: receipt.member,
                member_number: receipt.member_number,
                reason: receipt.reason,
                at: receipt.at,
            };
            cx.push(ErasureReceiptView::new(receipt));
            Some(gone)
        }
        Err(error) => {
            cx.fail(&error);
            None
        }
    }
}

/// A personal field's name as the receipt shows it.
fn field_label(field: &str) -> &'static str {
    match field {
        "name" => "Name",
        "phone" => "Phone",
        "email" => "Email",
        "birthday" => "Birthday",
        "notes" => "Notes",
        "plate" => "Plates",
        _ => "other",
    }
}

/// The receipt's lines, translated.
pub fn receipt_lines(receipt: &ErasureReceipt, lang: Language, when: &str) -> Vec<String> {
    // Column titles elsewhere; in an English sentence they read in lower case.
    let fields: Vec<String> = receipt
        .fields
        .iter()
        .map(|field| match lang {
            Language::English => field_label(field).to_lowercase(),
            Language::SimplifiedChinese => lang.tr(field_label(field)).to_owned(),
        })
        .collect();
    let separator = match lang {
        Language::English => ", ",
        Language::SimplifiedChinese => "、",
    };
    let number = |n: u32| n.to_string();
    let mut lines = vec![
        lang.fill(
            "Member {number} erased at {time}.",
            &[
                ("number", &receipt.member_number.to_string()),
                ("time", when),
            ],
        ),
        lang.fill(
            "Destroyed with the member's key: {fields}.",
            &[("fields", &fields.join(separator))],
        ),
        lang.fill(
            "Vehicles removed: {n}",
            &[("n", &number(receipt.vehicles_removed))],
        ),
        lang.fill(
            "Search index entries removed: {n}",
            &[("n", &number(receipt.index_entries_removed))],
        ),
        lang.fill(
            "Future bookings cancelled: {n}",
            &[("n", &number(receipt.bookings_cancelled))],
        ),
        lang.fill(
            "Consent records removed: {n}",
            &[("n", &number(receipt.consents_removed))],
        ),
        lang.fill(
            "Kept for the accounts, under the number only: {visits} visits, {entries} points entries",
            &[
                ("visits", &number(receipt.visits_kept)),
                ("entries", &number(receipt.ledger_entries_kept)),
            ],
        ),
    ];
    if receipt.reason == GoneReason::Retention {
        lines.push(lang.tr("Anonymised by the retention run.").to_owned());
    }
    lines
}

pub struct ErasureReceiptView {
    receipt: ErasureReceipt,
}

impl ErasureReceiptView {
    pub fn new(receipt: ErasureReceipt) -> Self {
        Self { receipt }
    }
}

impl View for ErasureReceiptView {
    fn title(&self) -> &'static str {
        "Erasure receipt"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Form]
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        match action {
            Action::Submit | Action::Select => {
                cx.back();
                Handled::Yes
            }
            _ => Handled::No,
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Erasure receipt")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [body, footer] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
        let when = rx.date_time(self.receipt.at);
        let mut lines: Vec<Line> = Vec::new();
        for (index, text) in receipt_lines(&self.receipt, rx.lang, &when)
            .into_iter()
            .enumerate()
        {
            let style = if index == 0 {
                rx.theme.header
            } else {
                rx.theme.base
            };
            lines.push(Line::from(Span::styled(text, style)));
        }
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            rx.tr("The erasure is in the audit log and the erasure ledger; a restore of an older backup erases the member again."),
            rx.theme.muted,
        )));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), body);
        frame.render_widget(
            Paragraph::new(Span::styled(rx.tr("Enter or Esc: back"), rx.theme.muted)),
            footer,
        );
    }
}

/// What the member screen shows for a member who is gone.
pub fn render_tombstone(gone: &TombstoneView, frame: &mut Frame, area: Rect, rx: &RenderCx) {
    let lines = vec![
        Line::from(vec![
            Span::styled(format!("#{}  ", gone.member_number), rx.theme.header),
            Span::styled(
                crate::ui::text::gone_word(gone.reason, rx.lang),
                rx.theme.muted,
            ),
            Span::raw(format!("  {}", rx.date_time(gone.at))),
        ]),
        Line::from(""),
        Line::from(rx.tr(
            "Their personal data no longer exists; visits and points stay for the accounts under the number.",
        )),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}
