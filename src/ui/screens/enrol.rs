//! A staff member enrols themselves, at their first login with a temporary password (or as
//! the owner, finishing the setup wizard): their own password, then their authenticator app
//! (QR code beside the secret and the code field when there is room, the secret and the code
//! field alone otherwise, with a key for the QR code full-screen), then their recovery codes,
//! shown once. The session can do nothing else until this is done; the service enforces it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use secrecy::SecretString;

use crate::auth::recovery::RecoveryCode;
use crate::auth::totp::Enrolment;
use crate::domain::password_policy::strength;
use crate::service::{EnrolmentStep, ServiceError, StaffPreferences};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::overlays::centred;
use crate::ui::tasks::Task;
use crate::ui::text::truncate;
use crate::ui::view::{Cx, Handled, RenderCx, View, ViewTaskOutput, describe_error};
use crate::ui::widgets::enrolment::{
    EnrolmentView, Para, qr_fits, qr_size, recovery_codes_height, render_enrolment, render_qr,
    render_recovery_codes, wrap,
};
use crate::ui::widgets::form::{Form, FormEvent};
use crate::ui::widgets::input::TextInput;
use crate::ui::widgets::strength::strength_lines;

/// What the confirmation field on the recovery-codes step accepts.
const WRITTEN_DOWN: &[&str] = &["y", "yes", "是"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Password,
    Authenticator,
    RecoveryCodes,
}

/// The slow steps' results, handed back from the worker thread.
enum Done {
    Password(Result<(), ServiceError>),
    Finished(Result<Vec<RecoveryCode>, ServiceError>),
}

pub struct EnrolView {
    /// The owner finishing the setup wizard: the steps are numbered as the wizard's.
    setup: bool,
    stage: Stage,
    form: Form,
    score: Option<(u8, Option<String>)>,
    /// Dropped once the code is confirmed: it is never shown again.
    enrolment: Option<Enrolment>,
    code: TextInput,
    confirm: TextInput,
    view: EnrolmentView,
    /// The QR code alone, over the whole screen (when it does not fit beside the text).
    qr_full: bool,
    /// Set while drawing: whether the last frame had room for the QR code beside the text.
    /// Only the drawing knows the room there is; Tab acts on what was seen.
    qr_beside: std::cell::Cell<bool>,
    /// Set while drawing: whether the QR code alone would fit the whole terminal.
    qr_whole_fits: std::cell::Cell<bool>,
    recovery_codes: Vec<RecoveryCode>,
    /// Already translated.
    error: Option<String>,
    busy: bool,
}

impl EnrolView {
    pub fn new(step: EnrolmentStep, setup: bool) -> Self {
        let form = Form::new()
            .text("new", "New password", TextInput::secret())
            .hint("At least 10 characters; a few unrelated words work well.")
            .text("again", "New password again", TextInput::secret());
        Self {
            setup,
            stage: match step {
                EnrolmentStep::ChoosePassword => Stage::Password,
                EnrolmentStep::Authenticator => Stage::Authenticator,
            },
            form,
            score: None,
            enrolment: None,
            code: TextInput::new().with_max(8).with_placeholder("6 digits"),
            confirm: TextInput::new().with_max(3),
            view: EnrolmentView::default(),
            qr_full: false,
            qr_beside: std::cell::Cell::new(false),
            qr_whole_fits: std::cell::Cell::new(false),
            recovery_codes: Vec::new(),
            error: None,
            busy: false,
        }
    }

    /// The QR code has the whole terminal: asked for, and it did not fit beside the text.
    fn whole_frame_qr(&self) -> bool {
        self.stage == Stage::Authenticator && self.qr_full && !self.qr_beside.get()
    }

    fn start_authenticator(&mut self, cx: &mut Cx) {
        match cx.service.begin_authenticator_enrolment(cx.session) {
            Ok(enrolment) => {
                self.enrolment = Some(enrolment);
                self.stage = Stage::Authenticator;
                self.error = None;
            }
            Err(ServiceError::SessionEnded) => {
                cx.commands.push(crate::ui::view::Command::SessionEnded)
            }
            Err(err) => self.error = Some(describe_error(&err, cx.lang)),
        }
    }

    /// Enter moves down the form; on the last field (or with the save key) it submits.
    fn on_password_action(&mut self, action: Action, cx: &mut Cx) {
        if self.form.on_action(action) != FormEvent::Submit {
            return;
        }
        let last = self.form.fields.len().saturating_sub(1);
        if action == Action::Submit && self.form.focus < last {
            self.form.on_action(Action::NextField);
        } else {
            self.submit_password(cx);
        }
    }

    fn submit_password(&mut self, cx: &mut Cx) {
        self.form.clear_errors();
        if self.form.value("new").is_empty() {
            self.form.set_error("new", cx.tr("Choose a password."));
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
            return;
        }
        let Some(new) = self.form.input_mut("new").map(TextInput::take_secret) else {
            return;
        };
        if let Some(again) = self.form.input_mut("again") {
            again.clear();
        }
        self.form.focus = 0;
        self.score = None;
        self.busy = true;
        let service = cx.service.clone();
        let session = cx.session.clone();
        cx.run(Task::ForView {
            label: "Saving your password…",
            work: Box::new(move || {
                let new: SecretString = new;
                Box::new(Done::Password(
                    service.choose_enrolment_password(&session, &new),
                )) as ViewTaskOutput
            }),
        });
    }

    fn submit_code(&mut self, cx: &mut Cx) {
        let code: String = self.code.value().chars().filter(|c| *c != ' ').collect();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            self.error = Some(cx.tr("Enter the 6 digits your app shows.").to_owned());
            return;
        }
        self.code.clear();
        self.error = None;
        self.busy = true;
        let service = cx.service.clone();
        let session = cx.session.clone();
        cx.run(Task::ForView {
            label: "Checking the code…",
            work: Box::new(move || {
                Box::new(Done::Finished(service.finish_enrolment(&session, &code)))
                    as ViewTaskOutput
            }),
        });
    }

    fn submit_confirmation(&mut self, cx: &mut Cx) {
        let typed = self.confirm.value().trim().to_lowercase();
        if !WRITTEN_DOWN.contains(&typed.as_str()) {
            self.error = Some(
                cx.tr("Type y once the codes are written down, then press Enter.")
                    .to_owned(),
            );
            return;
        }
        // The language chosen in the setup wizard becomes the owner's own, or the desk
        // would open in the default language.
        if self.setup && cx.lang != crate::ui::i18n::Language::English {
            let prefs = StaffPreferences {
                language: Some(cx.lang.code().to_owned()),
                theme: None,
            };
            // Not fatal: the preferences screen can set it again.
            let _ = cx.service.set_my_preferences(cx.session, prefs);
        }
        self.recovery_codes.clear();
        cx.commands.push(crate::ui::view::Command::StartDesk);
    }

    fn title<'a>(&self, rx: &'a RenderCx) -> &'a str {
        match (self.stage, self.setup) {
            (Stage::Password, _) => rx.tr("Your own password"),
            (Stage::Authenticator, true) => rx.tr("Step 3 of 4 · Authenticator"),
            (Stage::Authenticator, false) => rx.tr("Your authenticator app"),
            (Stage::RecoveryCodes, true) => rx.tr("Step 4 of 4 · Recovery codes"),
            (Stage::RecoveryCodes, false) => rx.tr("Your recovery codes"),
        }
    }

    /// A bordered box in the middle of the body, with the step's title; returns the inside.
    fn step_box(&self, frame: &mut Frame, area: Rect, height: u16, rx: &RenderCx) -> Rect {
        let box_area = centred(area, 76, height.saturating_add(2));
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", self.title(rx)),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(box_area);
        frame.render_widget(block, box_area);
        Rect::new(
            inner.x + 1,
            inner.y,
            inner.width.saturating_sub(2),
            inner.height,
        )
    }

    fn render_password(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let inner = self.step_box(frame, area, 14, rx);
        let cells = usize::from(inner.width);
        let intro = rx.tr("The password you were given was temporary and works only this once. Choose your own; then you set up your authenticator app.");
        let mut y = inner.y;
        for part in wrap(intro, cells) {
            frame.render_widget(Paragraph::new(part), Rect::new(inner.x, y, inner.width, 1));
            y += 1;
        }
        y += 1;
        let form_height = self.form.height_in(inner.width, rx);
        self.form.render(
            frame,
            Rect::new(inner.x, y, inner.width, form_height),
            rx,
            !self.busy,
        );
        y += form_height + 1;
        if let Some((score, hint)) = &self.score
            && y + 2 <= inner.bottom()
        {
            frame.render_widget(
                Paragraph::new(strength_lines(*score, hint.as_deref(), rx)),
                Rect::new(inner.x, y, inner.width, 2),
            );
        }
        render_hint(
            frame,
            inner,
            rx.tr("Enter: next / save   Tab: next field"),
            rx,
        );
    }

    fn render_authenticator(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let Some(enrolment) = &self.enrolment else {
            if let Some(error) = &self.error {
                frame.render_widget(
                    Paragraph::new(Span::styled(error.clone(), rx.theme.error))
                        .wrap(ratatui::widgets::Wrap { trim: true }),
                    area,
                );
            }
            return;
        };
        if self.whole_frame_qr() {
            self.render_qr_full(frame, area, enrolment, rx);
            return;
        }
        let beside = qr_fits(enrolment, area);
        self.qr_beside.set(beside);
        self.qr_whole_fits.set(qr_fits_whole_frame(enrolment, area));
        let header = [
            Para {
                text: self.title(rx),
                style: rx.theme.title,
            },
            Para {
                text: if beside && self.view == EnrolmentView::Qr {
                    rx.tr("Scan the QR code with the authenticator app on your phone, or type the secret key into it.")
                } else {
                    rx.tr("Type the secret key into the authenticator app on your phone.")
                },
                style: rx.theme.base,
            },
        ];
        // The code line, the keys line and room for an error; a long error (a code that did
        // not match says how to check the clock) leaves out the setup link to fit whole.
        let reserve: u16 = if self.error.is_some() { 13 } else { 7 };
        let drawn = render_enrolment(frame, area, enrolment, self.view, &header, reserve, rx);
        let rest = drawn.rest;
        let cells = usize::from(rest.width);
        let mut lines: Vec<Line> = Vec::new();
        for part in wrap(rx.tr("Then enter the 6-digit code the app shows:"), cells) {
            lines.push(Line::from(part));
        }
        let code_y = rest.y + u16::try_from(lines.len()).unwrap_or(0);
        let label = format!("{} ", rx.tr("Code"));
        let label_cells = u16::try_from(crate::ui::text::width(&label)).unwrap_or(0);
        frame.render_widget(Paragraph::new(lines), rest);
        if code_y < rest.bottom() {
            frame.render_widget(
                Paragraph::new(Span::styled(label, rx.theme.accent)),
                Rect::new(rest.x, code_y, label_cells, 1),
            );
            let placeholder = Some((rx.tr(self.code.placeholder()), rx.theme.placeholder));
            self.code.render(
                frame,
                Rect::new(
                    rest.x + label_cells,
                    code_y,
                    10.min(rest.width.saturating_sub(label_cells)),
                    1,
                ),
                rx.input_style(true),
                placeholder,
                !self.busy,
            );
        }
        let below_y = code_y + 1;
        if let Some(error) = &self.error
            && below_y < rest.bottom().saturating_sub(1)
        {
            let room = usize::from(rest.bottom() - 1 - below_y);
            let below: Vec<Line> = wrap(error, cells)
                .into_iter()
                .take(room)
                .map(|part| Line::from(Span::styled(part, rx.theme.error)))
                .collect();
            frame.render_widget(
                Paragraph::new(below),
                Rect::new(rest.x, below_y, rest.width, rest.bottom() - 1 - below_y),
            );
        }
        let keys = match (drawn.qr_fits, drawn.qr_shown) {
            (true, true) => rx.tr("Enter: confirm   Tab: as text"),
            (true, false) => rx.tr("Enter: confirm   Tab: QR code"),
            (false, _) if qr_fits_whole_frame(enrolment, area) => {
                rx.tr("Enter: confirm   Tab: QR code, full screen")
            }
            (false, _) => rx.tr("Enter: confirm"),
        };
        render_hint(frame, rest, keys, rx);
    }

    /// The QR code alone over the whole terminal (every row, header and status lines
    /// included), with the one key that brings the code field back beside it.
    fn render_qr_full(&self, frame: &mut Frame, area: Rect, enrolment: &Enrolment, rx: &RenderCx) {
        frame.render_widget(Block::default().style(rx.theme.base), area);
        let size = qr_size(enrolment);
        render_qr(
            frame,
            Rect::new(area.x, area.y, size.width, area.height),
            enrolment,
        );
        let side_x = area.x + size.width + 2;
        let side = Rect::new(
            side_x,
            area.y,
            area.right().saturating_sub(side_x),
            area.height,
        );
        let lines: Vec<Line> = [
            (rx.tr("Scan the QR code with the authenticator app on your phone, or type the secret key into it."), rx.theme.base),
            ("", rx.theme.base),
            (rx.tr("Tab: back to the secret key and the code"), rx.theme.muted),
        ]
        .into_iter()
        .flat_map(|(text, style)| {
            wrap(text, usize::from(side.width))
                .into_iter()
                .map(move |part| Line::from(Span::styled(part, style)))
        })
        .collect();
        frame.render_widget(Paragraph::new(lines), side);
    }

    fn render_recovery_codes(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let codes = self.recovery_codes.as_slice();
        let codes_height = recovery_codes_height(codes, 72);
        let inner = self.step_box(frame, area, codes_height + 11, rx);
        let cells = usize::from(inner.width);
        let mut y = inner.y;
        let intro = [
            (
                rx.tr("Your authenticator is set up. These recovery codes are shown only this once."),
                rx.theme.ok,
            ),
            (
                rx.tr("Write them down and keep them somewhere safe, away from the counter. If you lose your phone, each code logs you in once instead of the 6-digit code."),
                rx.theme.base,
            ),
        ];
        for (text, style) in intro {
            for part in wrap(text, cells) {
                frame.render_widget(
                    Paragraph::new(Span::styled(part, style)),
                    Rect::new(inner.x, y, inner.width, 1),
                );
                y += 1;
            }
        }
        y += 1;
        let codes_area = Rect::new(inner.x + 2, y, inner.width.saturating_sub(2), codes_height);
        render_recovery_codes(frame, codes_area, codes, rx);
        y += codes_height + 1;
        let label = format!("{} ", rx.tr("I have written them down (type y):"));
        let label_cells = u16::try_from(crate::ui::text::width(&label)).unwrap_or(0);
        if y < inner.bottom() {
            frame.render_widget(
                Paragraph::new(Span::styled(
                    label,
                    rx.theme.accent.add_modifier(Modifier::BOLD),
                )),
                Rect::new(inner.x, y, label_cells.min(inner.width), 1),
            );
            self.confirm.render(
                frame,
                Rect::new(
                    inner.x + label_cells,
                    y,
                    4.min(inner.width.saturating_sub(label_cells)),
                    1,
                ),
                rx.input_style(true),
                None,
                true,
            );
            y += 1;
        }
        if let Some(error) = &self.error
            && y < inner.bottom()
        {
            let text = truncate(error, cells).into_owned();
            frame.render_widget(
                Paragraph::new(Span::styled(text, rx.theme.error)),
                Rect::new(inner.x, y, inner.width, 1),
            );
        }
        render_hint(frame, inner, rx.tr("Enter: go to today's bookings"), rx);
    }
}

/// Whether the QR code alone, with a column for its one key beside it, fits the whole
/// terminal around the body `area` (its header and status lines too).
fn qr_fits_whole_frame(enrolment: &Enrolment, area: Rect) -> bool {
    let size = qr_size(enrolment);
    size.width.saturating_add(2 + 20) <= area.width
        && size.min_height <= area.height.saturating_add(2)
}

/// The keys line at the bottom of an area.
fn render_hint(frame: &mut Frame, area: Rect, text: &str, rx: &RenderCx) {
    if area.height == 0 {
        return;
    }
    let text = truncate(text, usize::from(area.width)).into_owned();
    frame.render_widget(
        Paragraph::new(Span::styled(text, rx.theme.muted)),
        Rect::new(area.x, area.bottom() - 1, area.width, 1),
    );
}

impl View for EnrolView {
    fn title(&self) -> &'static str {
        "Set up your login"
    }

    fn wants_whole_frame(&self) -> bool {
        self.whole_frame_qr()
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Form]
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        if self.busy {
            return None;
        }
        match self.stage {
            Stage::Password => self.form.focused_input(),
            Stage::Authenticator => Some(&mut self.code),
            Stage::RecoveryCodes => Some(&mut self.confirm),
        }
    }

    fn refresh(&mut self, cx: &mut Cx) {
        if self.stage == Stage::Authenticator && self.enrolment.is_none() && !self.busy {
            self.start_authenticator(cx);
        }
    }

    fn on_input_changed(&mut self, cx: &mut Cx) {
        self.error = None;
        if self.stage == Stage::Password {
            let new = self.form.value("new");
            self.score = (!new.is_empty()).then(|| {
                let result = strength(new, &[cx.username, &cx.shop.shop_name]);
                (result.score, result.hint)
            });
            self.form.clear_errors();
        }
    }

    /// Every action stays here: until enrolment is done there is nowhere else to go.
    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        if self.busy {
            return Handled::Yes;
        }
        match (self.stage, action) {
            (_, Action::Back) => {
                self.error = Some(
                    cx.tr("Finish setting up your login first: choose your password and set up your authenticator.")
                        .to_owned(),
                );
            }
            (Stage::Password, action) => self.on_password_action(action, cx),
            (Stage::Authenticator, Action::NextField | Action::PrevField) => {
                if self.qr_beside.get() {
                    self.view = self.view.toggled();
                } else if self.qr_full || self.qr_whole_fits.get() {
                    self.qr_full = !self.qr_full;
                }
            }
            (Stage::Authenticator, Action::Submit) => {
                self.qr_full = false;
                self.submit_code(cx);
            }
            (Stage::RecoveryCodes, Action::Submit) => self.submit_confirmation(cx),
            _ => {}
        }
        Handled::Yes
    }

    fn on_task(&mut self, output: ViewTaskOutput, cx: &mut Cx) {
        self.busy = false;
        let Ok(done) = output.downcast::<Done>() else {
            return;
        };
        match *done {
            Done::Password(Ok(())) => self.start_authenticator(cx),
            Done::Password(Err(ServiceError::SessionEnded)) => {
                cx.commands.push(crate::ui::view::Command::SessionEnded)
            }
            Done::Password(Err(err)) => {
                self.form.set_error("new", describe_error(&err, cx.lang));
                self.form.focus_first_error();
            }
            Done::Finished(Ok(codes)) => {
                self.enrolment = None;
                self.recovery_codes = codes;
                self.stage = Stage::RecoveryCodes;
                self.error = None;
            }
            Done::Finished(Err(ServiceError::SessionEnded)) => {
                cx.commands.push(crate::ui::view::Command::SessionEnded)
            }
            Done::Finished(Err(err)) => self.error = Some(describe_error(&err, cx.lang)),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        match self.stage {
            Stage::Password => self.render_password(frame, area, rx),
            Stage::Authenticator => self.render_authenticator(frame, area, rx),
            Stage::RecoveryCodes => self.render_recovery_codes(frame, area, rx),
        }
    }
}
