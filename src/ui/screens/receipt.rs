//! The receipt viewer: any issued receipt again, 40 columns as printed and scrollable, with
//! the visit's refund receipts a key away; `p` prints it (in the background, so a slow printer
//! never holds the screen), Esc closes. Opened from a visit (member history, Today) or by
//! number from the command palette.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::domain::receipt::{RECEIPT_WIDTH, ReceiptLanguage};
use crate::ids::RecordId;
use crate::service::{PrintOutcome, ReceiptFor, ReceiptView, ServiceError};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::tasks::Task;
use crate::ui::text::safe;
use crate::ui::view::{Cx, Handled, RenderCx, View, ViewTaskOutput, describe_error};
use crate::ui::widgets::input::TextInput;

/// Rows a page key scrolls.
const PAGE_ROWS: usize = 10;

/// The print task's result, handed back to the viewer.
struct Printed(Result<PrintOutcome, ServiceError>);

/// What the last print did, as the side panel shows it (already translated).
#[derive(Debug, Clone)]
struct PrintNote {
    text: String,
    failed: bool,
}

enum Mode {
    /// Waiting for a number to be typed (the palette's "Receipt by number").
    AskNumber {
        input: TextInput,
        error: Option<String>,
    },
    /// Showing one of `numbers`.
    Show,
}

pub struct ReceiptScreen {
    mode: Mode,
    /// The visit whose receipts these are, if opened from one.
    visit: Option<RecordId>,
    /// The receipts one can move between: a visit's own, then its refunds'.
    numbers: Vec<u64>,
    index: usize,
    receipt: Option<ReceiptView>,
    scroll: usize,
    printing: bool,
    note: Option<PrintNote>,
}

impl ReceiptScreen {
    fn with_mode(mode: Mode) -> Self {
        Self {
            mode,
            visit: None,
            numbers: Vec::new(),
            index: 0,
            receipt: None,
            scroll: 0,
            printing: false,
            note: None,
        }
    }

    /// The receipts of a visit: its own, then its refunds'.
    pub fn for_visit(visit: RecordId) -> Self {
        Self {
            visit: Some(visit),
            ..Self::with_mode(Mode::Show)
        }
    }

    pub fn for_number(number: u64) -> Self {
        Self {
            numbers: vec![number],
            ..Self::with_mode(Mode::Show)
        }
    }

    /// Asks for a number first.
    pub fn ask_number() -> Self {
        Self::with_mode(Mode::AskNumber {
            input: TextInput::new().with_max(12).with_placeholder("e.g. 123"),
            error: None,
        })
    }

    /// The number on show, if any.
    pub fn number(&self) -> Option<u64> {
        self.receipt.as_ref().map(|r| r.number)
    }

    fn load(&mut self, cx: &mut Cx) {
        if let (Some(visit), true) = (self.visit, self.numbers.is_empty()) {
            match cx.service.receipts_for_visit(cx.session, visit) {
                Ok(numbers) if numbers.is_empty() => {
                    cx.notice(cx.tr(
                        "This visit was paid before receipts were numbered; it has no receipt to show.",
                    ));
                    cx.back();
                    return;
                }
                Ok(numbers) => self.numbers = numbers,
                Err(err) => {
                    cx.fail(&err);
                    cx.back();
                    return;
                }
            }
        }
        let Some(number) = self.numbers.get(self.index).copied() else {
            return;
        };
        match cx.service.receipt(cx.session, number) {
            Ok(receipt) => {
                self.receipt = Some(receipt);
                self.scroll = 0;
            }
            Err(err) => {
                cx.fail(&err);
                if self.receipt.is_none() {
                    cx.back();
                }
            }
        }
    }

    fn open_typed_number(&mut self, cx: &mut Cx) {
        let Mode::AskNumber { input, error } = &mut self.mode else {
            return;
        };
        let typed = input.value().trim().trim_start_matches('#');
        let Some(number) = typed.parse::<u64>().ok().filter(|n| *n > 0) else {
            *error = Some(
                cx.tr("Type the receipt number, as printed on it: digits only.")
                    .to_owned(),
            );
            return;
        };
        match cx.service.receipt(cx.session, number) {
            Ok(receipt) => {
                self.mode = Mode::Show;
                self.numbers = vec![number];
                self.index = 0;
                self.scroll = 0;
                self.receipt = Some(receipt);
            }
            Err(
                err @ (ServiceError::SessionEnded
                | ServiceError::SessionLocked
                | ServiceError::DiskFull),
            ) => cx.fail(&err),
            Err(err) => *error = Some(describe_error(&err, cx.lang)),
        }
    }

    fn start_print(&mut self, cx: &mut Cx) {
        let Some(number) = self.number() else {
            return;
        };
        if self.printing {
            cx.notice(cx.tr("Still printing; wait for the printer."));
            return;
        }
        self.printing = true;
        self.note = None;
        let service = cx.service.clone();
        let session = cx.session.clone();
        cx.run(Task::ForView {
            label: "Printing the receipt…",
            work: Box::new(move || {
                Box::new(Printed(service.print_receipt(&session, number))) as ViewTaskOutput
            }),
        });
    }

    fn scroll_by(&mut self, action: Action) -> bool {
        let last = self
            .receipt
            .as_ref()
            .map_or(0, |r| r.text.lines().count().saturating_sub(1));
        self.scroll = match action {
            Action::Up => self.scroll.saturating_sub(1),
            Action::Down => (self.scroll + 1).min(last),
            Action::PageUp => self.scroll.saturating_sub(PAGE_ROWS),
            Action::PageDown => (self.scroll + PAGE_ROWS).min(last),
            Action::First => 0,
            Action::Last => last,
            _ => return false,
        };
        true
    }

    fn switch(&mut self, forward: bool, cx: &mut Cx) {
        let count = self.numbers.len();
        if count < 2 {
            return;
        }
        self.index = if forward {
            (self.index + 1) % count
        } else {
            (self.index + count - 1) % count
        };
        self.note = None;
        self.load(cx);
    }

    fn render_ask(
        &self,
        input: &TextInput,
        error: Option<&str>,
        frame: &mut Frame,
        area: Rect,
        rx: &RenderCx,
    ) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Receipt by number")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [intro, _, field, message, _, hints] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(2),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(rx.tr(
                "Any receipt can be shown and printed again; the copy is marked as a reprint.",
            ))
            .style(rx.theme.muted)
            .wrap(Wrap { trim: true }),
            intro,
        );
        let label = rx.tr("Receipt number");
        let label_cells = u16::try_from(crate::ui::text::width(label) + 2).unwrap_or(20);
        let [label_area, input_area] =
            Layout::horizontal([Constraint::Length(label_cells), Constraint::Length(16)])
                .areas(field);
        frame.render_widget(Paragraph::new(format!("{label}: ")), label_area);
        input.render(
            frame,
            input_area,
            rx.input_style(true),
            Some((rx.tr(input.placeholder()), rx.theme.placeholder)),
            true,
        );
        if let Some(error) = error {
            frame.render_widget(
                Paragraph::new(safe(error).into_owned())
                    .style(rx.theme.error)
                    .wrap(Wrap { trim: true }),
                message,
            );
        }
        let mut spans = Vec::new();
        if let Some(key) = rx.key_hint(&[KeyContext::Form], Action::Submit) {
            spans.push(Span::styled(key, rx.theme.key));
            spans.push(Span::styled(
                format!(" {}  ", rx.tr("open")),
                rx.theme.muted,
            ));
        }
        if let Some(key) = rx.key_hint(&[], Action::Back) {
            spans.push(Span::styled(key, rx.theme.key));
            spans.push(Span::styled(format!(" {}", rx.tr("close")), rx.theme.muted));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), hints);
    }

    fn render_receipt(&self, receipt: &ReceiptView, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let lines: Vec<&str> = receipt.text.lines().collect();
        let rows = usize::from(area.height.saturating_sub(2));
        // Scrolled no further than the last page, however far the keys asked.
        let top = self.scroll.min(lines.len().saturating_sub(rows));
        let mut block = Block::bordered()
            .title(Span::styled(
                format!(" {} #{} ", rx.tr("Receipt"), receipt.number),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        if top + rows < lines.len() {
            block = block.title_bottom(Span::styled(
                format!(" ↓ {} ", rx.tr("more below")),
                rx.theme.muted,
            ));
        }
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let shown: Vec<Line> = lines
            .iter()
            .skip(top)
            .take(rows)
            .map(|line| Line::from(format!(" {}", safe(line))))
            .collect();
        frame.render_widget(Paragraph::new(shown), inner);
    }

    fn panel_lines(&self, receipt: &ReceiptView, rx: &RenderCx) -> Vec<Line<'static>> {
        let kind = match receipt.of {
            ReceiptFor::Visit(_) => rx.tr("Visit"),
            ReceiptFor::Sale(_) => rx.tr("Plan or package sale"),
            ReceiptFor::Refund { .. } => rx.tr("Refund"),
        };
        let language = match receipt.language {
            ReceiptLanguage::English => "English",
            ReceiptLanguage::SimplifiedChinese => "简体中文",
        };
        let mut lines = vec![
            Line::from(vec![
                Span::styled(format!("{} ", rx.tr("Receipt")), rx.theme.muted),
                Span::styled(
                    format!("#{}", receipt.number),
                    rx.theme.accent.add_modifier(Modifier::BOLD),
                ),
                Span::raw(format!("  {kind}")),
            ]),
            Line::from(vec![
                Span::styled(format!("{} ", rx.tr("Issued")), rx.theme.muted),
                Span::raw(rx.date_time(receipt.at)),
            ]),
            Line::from(vec![
                Span::styled(format!("{} ", rx.tr("Printed in")), rx.theme.muted),
                Span::raw(language),
            ]),
        ];
        if self.numbers.len() > 1 {
            lines.push(Line::from(Span::styled(
                rx.lang.fill(
                    "Receipt {n} of {count} for this visit.",
                    &[
                        ("n", &(self.index + 1).to_string()),
                        ("count", &self.numbers.len().to_string()),
                    ],
                ),
                rx.theme.muted,
            )));
        }
        if receipt.voided {
            lines.push(Line::from(Span::styled(
                rx.tr("This visit was voided after the receipt was issued."),
                rx.theme.warning,
            )));
        }
        lines.push(Line::from(""));
        if self.printing {
            lines.push(Line::from(Span::styled(
                rx.tr("Printing the receipt…"),
                rx.theme.muted,
            )));
        } else if let Some(note) = &self.note {
            let style = if note.failed {
                rx.theme.error
            } else {
                rx.theme.ok
            };
            lines.push(Line::from(Span::styled(note.text.clone(), style)));
        }
        lines
    }

    fn hint_spans(&self, rx: &RenderCx) -> Vec<Span<'static>> {
        let contexts = self.contexts();
        let mut hints = vec![(Action::PrintReceipt, rx.tr("print"))];
        if self.numbers.len() > 1 {
            hints.push((Action::NextTab, rx.tr("next receipt")));
        }
        hints.push((Action::Down, rx.tr("scroll")));
        hints.push((Action::Back, rx.tr("close")));
        let mut spans = Vec::new();
        for (action, word) in hints {
            if let Some(key) = rx.key_hint(contexts, action) {
                spans.push(Span::styled(key, rx.theme.key));
                spans.push(Span::styled(format!(" {word}  "), rx.theme.muted));
            }
        }
        spans
    }
}

/// Opens the receipts of `visit`, or says how to choose one. For the screens that list visits.
pub fn open_for_visit(cx: &mut Cx, visit: Option<RecordId>) {
    match visit {
        Some(visit) => cx.push(ReceiptScreen::for_visit(visit)),
        None => cx.notice(cx.tr("Choose a paid visit, then press the key again.")),
    }
}

impl View for ReceiptScreen {
    fn title(&self) -> &'static str {
        "Receipt"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        match self.mode {
            Mode::AskNumber { .. } => &[KeyContext::Form],
            Mode::Show => &[KeyContext::Receipt, KeyContext::List],
        }
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        match &mut self.mode {
            Mode::AskNumber { input, .. } => Some(input),
            Mode::Show => None,
        }
    }

    fn on_input_changed(&mut self, _cx: &mut Cx) {
        if let Mode::AskNumber { error, .. } = &mut self.mode {
            *error = None;
        }
    }

    fn refresh(&mut self, cx: &mut Cx) {
        // Loaded once: showing a receipt is audited, and other sessions' changes (which also
        // refresh this screen) do not change a receipt already issued.
        if matches!(self.mode, Mode::Show) && self.receipt.is_none() {
            self.load(cx);
        }
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        if let Mode::AskNumber { .. } = self.mode {
            return match action {
                Action::Submit | Action::Select => {
                    self.open_typed_number(cx);
                    Handled::Yes
                }
                _ => Handled::No,
            };
        }
        if self.scroll_by(action) {
            return Handled::Yes;
        }
        match action {
            Action::PrintReceipt => self.start_print(cx),
            Action::NextTab => self.switch(true, cx),
            Action::PrevTab => self.switch(false, cx),
            Action::Refresh => self.load(cx),
            // Nothing to open here; Enter does not print, so a stray key costs no paper.
            Action::Select => {}
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn on_task(&mut self, output: ViewTaskOutput, cx: &mut Cx) {
        let Ok(printed) = output.downcast::<Printed>() else {
            return;
        };
        self.printing = false;
        let note = match printed.0 {
            Ok(PrintOutcome::Printed { number, .. }) => PrintNote {
                text: cx.lang.fill(
                    "Receipt {number} sent to the printer.",
                    &[("number", &number.to_string())],
                ),
                failed: false,
            },
            Ok(PrintOutcome::Saved { number, path }) => PrintNote {
                text: cx.lang.fill(
                    "No printer is set up, so receipt {number} was saved as {path}.",
                    &[
                        ("number", &number.to_string()),
                        ("path", &safe(&path.display().to_string())),
                    ],
                ),
                failed: false,
            },
            Ok(PrintOutcome::Failed { number, error }) => PrintNote {
                text: format!(
                    "{} {}",
                    cx.lang.fill(
                        "Receipt {number} was not printed:",
                        &[("number", &number.to_string())]
                    ),
                    safe(&error.to_string())
                ),
                failed: true,
            },
            Err(err) => {
                cx.fail(&err);
                return;
            }
        };
        if note.failed {
            cx.commands
                .push(crate::ui::view::Command::Error(note.text.clone()));
        } else {
            cx.notice(note.text.clone());
        }
        self.note = Some(note);
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let (input, error) = match &self.mode {
            Mode::AskNumber { input, error } => (Some(input), error.as_deref()),
            Mode::Show => (None, None),
        };
        if let Some(input) = input {
            let width = area.width.min(70);
            let ask_area = Rect {
                width,
                height: area.height.min(10),
                ..area
            };
            self.render_ask(input, error, frame, ask_area, rx);
            return;
        }
        let [body, footer] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
        frame.render_widget(Paragraph::new(Line::from(self.hint_spans(rx))), footer);
        let Some(receipt) = &self.receipt else {
            frame.render_widget(
                Paragraph::new(rx.tr("Loading the receipt…")).style(rx.theme.muted),
                body,
            );
            return;
        };
        // The receipt as printed: 40 columns, one space each side, and the border.
        let receipt_cells = u16::try_from(RECEIPT_WIDTH + 4).unwrap_or(44);
        let lines = u16::try_from(receipt.text.lines().count() + 2).unwrap_or(u16::MAX);
        let [receipt_column, panel_column] = Layout::horizontal([
            Constraint::Length(receipt_cells.min(body.width)),
            Constraint::Min(0),
        ])
        .spacing(1)
        .areas(body);
        let receipt_area = Rect {
            height: lines.min(receipt_column.height),
            ..receipt_column
        };
        self.render_receipt(receipt, frame, receipt_area, rx);
        if panel_column.width >= 16 {
            frame.render_widget(
                Paragraph::new(self.panel_lines(receipt, rx)).wrap(Wrap { trim: true }),
                panel_column,
            );
        }
    }
}
