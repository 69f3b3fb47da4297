//! Registering a member, editing contact details, and adding or editing a vehicle.
//!
//! A cashier only ever sees masked values, so an edit form never pre-fills them as if they were
//! real: the fields start empty with the masked value drawn as a placeholder, and only the
//! fields the cashier types in are changed.

use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::duplicate_member::{DuplicatePanel, SaveAnyway};
use super::member::MemberView;
use crate::domain::field_error::FieldError;
use crate::domain::masking::mask_plate;
use crate::domain::plate::normalize_plate;
use crate::domain::vehicle::VehicleKind;
use crate::ids::RecordId;
use crate::service::{
    BirthdayView, Change, MemberDetail, MemberInput, MemberUpdate, NewMember, OnDuplicate,
    ServiceError, ShownText, VehicleInput, VehicleView,
};
use crate::ui::actions::Action;
use crate::ui::i18n::Language;
use crate::ui::keymap::KeyContext;
use crate::ui::text::{fit_message, safe, truncate};
use crate::ui::view::{Cx, Handled, RenderCx, View, describe_error};
use crate::ui::widgets::form::{Field, FieldKind, Form, FormEvent, MESSAGE_INDENT};
use crate::ui::widgets::input::TextInput;

/// What a form changed, handed back to the member screen that opened it. The member screen
/// applies it on its next refresh instead of opening the record again, which would write a
/// second access entry to the audit log for a record already on screen.
#[derive(Debug, Clone)]
pub enum FormOutcome {
    Member(MemberDetail),
    VehicleAdded(VehicleView),
    VehicleUpdated(VehicleView),
}

#[derive(Clone, Default)]
pub struct Outbox(Arc<Mutex<Vec<FormOutcome>>>);

impl Outbox {
    pub fn send(&self, outcome: FormOutcome) {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(outcome);
    }

    pub fn take(&self) -> Vec<FormOutcome> {
        std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }
}

/// The service tags validation messages with the field they are about (`phone: enter 6 to 14
/// digits`); the field names it uses, and the form keys they belong to.
const FIELD_PREFIXES: &[(&str, &str)] = &[
    ("name", "name"),
    ("phone", "phone"),
    ("email", "email"),
    ("birthday", "birthday"),
    ("notes", "notes"),
    ("plate", "plate"),
    ("make and model", "make_model"),
    ("colour", "colour"),
];

/// A service validation message as a [`FieldError`] for one of `keys`, when it names one.
pub fn field_error(error: &ServiceError, keys: &[&str]) -> Option<FieldError> {
    let ServiceError::InvalidInput(message) = error else {
        return None;
    };
    let (prefix, reason) = message.split_once(": ")?;
    FIELD_PREFIXES
        .iter()
        .find(|(name, key)| *name == prefix && keys.contains(key))
        .map(|(_, key)| FieldError::new(key, reason.trim()))
}

/// Where a service error goes: a value already on another member opens the panel naming
/// them (the form stays beneath with everything typed); a field's error goes next to it;
/// other input problems to the form's own error line; session and permission problems to the
/// app's status line.
fn show_error(
    error: ServiceError,
    form: &mut Form,
    general: &mut Option<String>,
    save_anyway: &SaveAnyway,
    cx: &mut Cx,
) {
    if let ServiceError::DuplicateMember(report) = error {
        cx.push(DuplicatePanel::new(*report, save_anyway.clone()));
        return;
    }
    let error = &error;
    let keys: Vec<&str> = form.fields.iter().map(|f| f.key).collect();
    if let Some(field) = field_error(error, &keys) {
        form.set_error(field.field(), field.reason());
        form.focus_first_error();
    } else if matches!(error, ServiceError::InvalidInput(_)) {
        *general = Some(describe_error(error, cx.lang));
    } else {
        cx.fail(error);
    }
}

/// Enter moves to the next field; on the last one it saves, so a half-filled form is never
/// sent by reflex.
fn wants_save(form: &mut Form, event: FormEvent) -> bool {
    if event != FormEvent::Submit {
        return false;
    }
    if form.focus + 1 < form.fields.len() {
        form.on_action(Action::NextField);
        return false;
    }
    true
}

fn parse_birthday(text: &str, form: &mut Form, lang: Language) -> Option<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            form.set_error(
                "birthday",
                lang.tr("Write the date as YYYY-MM-DD, e.g. 1990-04-17."),
            );
            None
        }
    }
}

fn kind_options(lang: Language) -> Vec<String> {
    VehicleKind::ALL
        .iter()
        .map(|kind| lang.tr(kind.as_str()).to_owned())
        .collect()
}

/// Rows of each field of `form` drawn in `area` (the layout `Form::render` uses), to
/// draw a placeholder that is not a fixed string: a masked current value.
fn field_rows(form: &Form, area: Rect, rx: &RenderCx) -> Vec<(&'static str, Rect)> {
    form.input_rows(area, rx)
}

fn text_is_empty(field: &Field) -> bool {
    matches!(&field.kind, FieldKind::Text(input) if input.is_empty())
}

/// Draws masked current values as dimmed placeholders in the empty fields they belong to.
fn draw_masked_placeholders(
    form: &Form,
    placeholders: &[(&'static str, ShownText)],
    frame: &mut Frame,
    area: Rect,
    rx: &RenderCx,
) {
    for (key, row) in field_rows(form, area, rx) {
        let Some((_, value)) = placeholders.iter().find(|(k, _)| *k == key) else {
            continue;
        };
        if !form.fields.iter().any(|f| f.key == key && text_is_empty(f)) {
            continue;
        }
        let span = rx.personal(value, true);
        let text = truncate(&span.content, usize::from(row.width)).into_owned();
        frame.render_widget(
            Paragraph::new(Span::styled(text, rx.theme.placeholder)),
            row,
        );
    }
}

/// The frame shared by the member and vehicle forms: a titled box, an intro, the form, the
/// form-level error and the keys.
struct FormFrame<'a> {
    title: &'static str,
    intro: String,
    error: Option<&'a str>,
}

impl FormFrame<'_> {
    /// Draws the frame and the form; returns where the form went, or `None` while the privacy
    /// blank is on (the fields hold personal data, so the form is not drawn at all).
    fn render(&self, form: &Form, frame: &mut Frame, area: Rect, rx: &RenderCx) -> Option<Rect> {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr(self.title)),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if rx.blank {
            let key = rx.key_hint(&[], Action::PrivacyBlank).unwrap_or_default();
            frame.render_widget(
                Paragraph::new(Span::styled(
                    rx.lang.fill(
                        "Personal data is hidden. {key} shows the form again.",
                        &[("key", &key)],
                    ),
                    rx.theme.masked,
                ))
                .wrap(Wrap { trim: true }),
                inner,
            );
            return None;
        }
        let [intro, form_area, error, _, footer] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(form.height_in(inner.width, rx)),
            Constraint::Length(u16::from(self.error.is_some()) * 2),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(Span::styled(self.intro.clone(), rx.theme.muted))
                .wrap(Wrap { trim: true }),
            intro,
        );
        form.render(frame, form_area, rx, true);
        if let Some(text) = self.error {
            frame.render_widget(
                Paragraph::new(Span::styled(safe(text).into_owned(), rx.theme.error))
                    .wrap(Wrap { trim: true }),
                error,
            );
        }
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(
                rx.tr("Enter: next field, saves on the last   Tab/↑/↓: move   Esc: cancel"),
                rx.theme.muted,
            ))),
            footer,
        );
        Some(form_area)
    }
}

const NOTES_WARNING: &str = "Service notes only — no health, payment or ID details.";

/// What the search box held when "new member" was chosen, to save retyping it.
#[derive(Default)]
pub struct Prefill {
    name: String,
    phone: String,
    plate: String,
}

impl Prefill {
    /// Guesses which field a search query was: digits are a phone number (only a full one:
    /// four digits are the last four of someone else's), letters with digits a plate, the
    /// rest a name. A member number is never a new member's, so it is dropped.
    pub fn from_query(query: &str) -> Self {
        let query = query.trim();
        let digits = query.chars().filter(char::is_ascii_digit).count();
        let phone_like = query
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let mut prefill = Prefill::default();
        if query.is_empty() || query.starts_with('#') {
            return prefill;
        }
        if phone_like {
            if digits >= 6 {
                prefill.phone = query.to_owned();
            }
        } else if digits > 0 {
            prefill.plate = query.to_owned();
        } else {
            prefill.name = query.to_owned();
        }
        prefill
    }
}

enum MemberMode {
    Create,
    Edit {
        member: RecordId,
        member_number: u64,
        /// The cashier's view: every personal field arrived masked.
        masked: bool,
        outbox: Outbox,
    },
}

pub struct MemberFormView {
    mode: MemberMode,
    form: Form,
    /// (field, value it started with), to send only what changed.
    initial: Vec<(&'static str, String)>,
    /// Masked current values drawn in empty fields (cashier editing).
    placeholders: Vec<(&'static str, ShownText)>,
    error: Option<String>,
    save_anyway: SaveAnyway,
}

fn member_fields(lang: Language, with_vehicle: bool) -> Form {
    let mut form = Form::new()
        .text("name", "Name", TextInput::new().with_max(80))
        .text(
            "phone",
            "Mobile phone",
            TextInput::new().with_max(24).with_placeholder("optional"),
        )
        .text(
            "email",
            "Email",
            TextInput::new().with_max(120).with_placeholder("optional"),
        )
        .text(
            "birthday",
            "Birthday",
            TextInput::new()
                .with_max(10)
                .with_placeholder("YYYY-MM-DD, optional"),
        )
        .text("notes", "Notes", TextInput::new().with_max(2000))
        .hint(NOTES_WARNING);
    if with_vehicle {
        form = form
            .text(
                "plate",
                "Vehicle plate",
                TextInput::new().with_max(16).with_placeholder("optional"),
            )
            .choice("kind", "Vehicle type", kind_options(lang), 0);
    }
    form
}

impl MemberFormView {
    pub fn create(prefill: Prefill, lang: Language) -> Self {
        let mut form = member_fields(lang, true);
        for (key, value) in [
            ("name", &prefill.name),
            ("phone", &prefill.phone),
            ("plate", &prefill.plate),
        ] {
            if let Some(input) = form.input_mut(key) {
                input.set(value);
            }
        }
        Self {
            mode: MemberMode::Create,
            form,
            initial: Vec::new(),
            placeholders: Vec::new(),
            error: None,
            save_anyway: SaveAnyway::default(),
        }
    }

    /// Editing the contact details of `detail` as it was shown to this staff member.
    pub fn edit(detail: &MemberDetail, outbox: Outbox, lang: Language) -> Self {
        let mut form = member_fields(lang, false);
        let mut initial = Vec::new();
        let mut placeholders = Vec::new();
        let personal: [(&'static str, Option<&ShownText>); 3] = [
            ("name", Some(&detail.name)),
            ("phone", detail.phone.as_ref()),
            ("email", detail.email.as_ref()),
        ];
        for (key, value) in personal {
            let Some(value) = value else { continue };
            if detail.masked {
                placeholders.push((key, value.clone()));
            } else if let Some(input) = form.input_mut(key) {
                input.set(value.as_str());
                initial.push((key, input.value().to_owned()));
            }
        }
        match &detail.birthday {
            Some(BirthdayView::Date(date)) => {
                if let Some(input) = form.input_mut("birthday") {
                    input.set(&date.format("%Y-%m-%d").to_string());
                    initial.push(("birthday", input.value().to_owned()));
                }
            }
            Some(BirthdayView::Hidden { this_month }) => {
                let hidden = if *this_month {
                    "hidden (birthday this month)"
                } else {
                    "hidden"
                };
                if let Some(input) = form.input_mut("birthday") {
                    *input = TextInput::new().with_max(10).with_placeholder(hidden);
                }
            }
            None => {}
        }
        // Notes are shown in full to both roles, so they are real values to edit.
        if let Some(notes) = &detail.notes
            && let Some(input) = form.input_mut("notes")
        {
            input.set(notes.as_str());
            initial.push(("notes", input.value().to_owned()));
        }
        Self {
            mode: MemberMode::Edit {
                member: detail.id,
                member_number: detail.member_number,
                masked: detail.masked,
                outbox,
            },
            form,
            initial,
            placeholders,
            error: None,
            save_anyway: SaveAnyway::default(),
        }
    }

    fn initial(&self, key: &str) -> &str {
        self.initial
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// What to do with one text field. The cashier's fields start empty, so empty means
    /// "leave it"; a manager's start with the value, so emptying one removes it.
    fn change_of(&self, key: &str, masked: bool) -> Change<String> {
        let value = self.form.value(key).trim();
        if masked {
            return if value.is_empty() {
                Change::Keep
            } else {
                Change::Set(value.to_owned())
            };
        }
        if value == self.initial(key).trim() {
            Change::Keep
        } else if value.is_empty() {
            Change::Clear
        } else {
            Change::Set(value.to_owned())
        }
    }

    /// Saves what is typed; `on_duplicate` is `SaveAnyway` only once staff chose it on the
    /// duplicate panel.
    fn save(&mut self, on_duplicate: OnDuplicate, cx: &mut Cx) {
        self.form.clear_errors();
        self.error = None;
        match &self.mode {
            MemberMode::Create => self.save_new(on_duplicate, cx),
            MemberMode::Edit { .. } => self.save_edit(on_duplicate, cx),
        }
    }

    fn save_new(&mut self, on_duplicate: OnDuplicate, cx: &mut Cx) {
        let birthday_text = self.form.value("birthday").to_owned();
        let birthday = parse_birthday(&birthday_text, &mut self.form, cx.lang);
        let plate_text = self.form.value("plate").trim().to_owned();
        if !plate_text.is_empty()
            && let Err(error) = normalize_plate(&plate_text)
        {
            self.form.set_error("plate", error.reason());
        }
        if self.form.has_errors() {
            self.form.focus_first_error();
            return;
        }
        let optional = |text: &str| {
            let text = text.trim();
            (!text.is_empty()).then(|| text.to_owned())
        };
        let member = MemberInput {
            name: self.form.value("name").to_owned(),
            phone: optional(self.form.value("phone")),
            email: optional(self.form.value("email")),
            birthday,
            notes: optional(self.form.value("notes")),
        };
        // The vehicle is saved with the member, in one transaction: a plate already on
        // another member refuses both, so no member is left without the car meant for them.
        let vehicle = (!plate_text.is_empty()).then(|| VehicleInput {
            plate: plate_text,
            kind: VehicleKind::ALL
                .get(self.form.choice_index("kind"))
                .copied()
                .unwrap_or(VehicleKind::Other),
            make_model: None,
            colour: None,
        });
        let new = NewMember {
            member,
            vehicle,
            on_duplicate,
        };
        let detail = match cx.service.register_member(cx.session, new) {
            Ok(detail) => detail,
            Err(error) => {
                show_error(
                    error,
                    &mut self.form,
                    &mut self.error,
                    &self.save_anyway,
                    cx,
                );
                return;
            }
        };
        cx.changed();
        let number = detail.member_number.to_string();
        cx.notice(cx.lang.fill("Member #{n} registered.", &[("n", &number)]));
        cx.replace(MemberView::opened(detail));
    }

    fn save_edit(&mut self, on_duplicate: OnDuplicate, cx: &mut Cx) {
        let MemberMode::Edit {
            member,
            masked,
            outbox,
            ..
        } = &self.mode
        else {
            return;
        };
        let (member, masked, outbox) = (*member, *masked, outbox.clone());
        let birthday_text = self.form.value("birthday").to_owned();
        let birthday = parse_birthday(&birthday_text, &mut self.form, cx.lang);
        if self.form.has_errors() {
            self.form.focus_first_error();
            return;
        }
        let name = match self.change_of("name", masked) {
            Change::Set(name) => Some(name),
            // An emptied name goes to the service, which explains that a name is required.
            Change::Clear => Some(String::new()),
            Change::Keep => None,
        };
        let birthday = match (self.change_of("birthday", masked), birthday) {
            (Change::Set(_), Some(date)) => Change::Set(date),
            (Change::Clear, _) => Change::Clear,
            _ => Change::Keep,
        };
        let update = MemberUpdate {
            name,
            phone: self.change_of("phone", masked),
            email: self.change_of("email", masked),
            birthday,
            notes: self.change_of("notes", masked),
        };
        match cx
            .service
            .update_member_with(cx.session, member, update, on_duplicate)
        {
            Ok(detail) => {
                outbox.send(FormOutcome::Member(detail));
                cx.changed();
                cx.notice(cx.tr("Contact details saved."));
                cx.back();
            }
            Err(error) => show_error(
                error,
                &mut self.form,
                &mut self.error,
                &self.save_anyway,
                cx,
            ),
        }
    }
}

impl View for MemberFormView {
    fn title(&self) -> &'static str {
        match self.mode {
            MemberMode::Create => "New member",
            MemberMode::Edit { .. } => "Edit member",
        }
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Form]
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        self.form.focused_input()
    }

    fn on_input_changed(&mut self, _cx: &mut Cx) {
        self.form.clear_focused_error();
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        let event = self.form.on_action(action);
        if wants_save(&mut self.form, event) {
            self.save(OnDuplicate::Refuse, cx);
            return Handled::Yes;
        }
        match event {
            FormEvent::Ignored => Handled::No,
            _ => Handled::Yes,
        }
    }

    /// Back from the duplicate panel with "save anyway" chosen: save again, with it.
    fn refresh(&mut self, cx: &mut Cx) {
        if self.save_anyway.take() {
            self.save(OnDuplicate::SaveAnyway, cx);
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let intro = match &self.mode {
            MemberMode::Create => rx
                .tr("Only what the desk needs: a name, and a phone or plate to find them again.")
                .to_owned(),
            MemberMode::Edit {
                member_number,
                masked,
                ..
            } => {
                let number = member_number.to_string();
                let lead = rx.lang.fill("Member #{n}.", &[("n", &number)]);
                let rest = if *masked {
                    rx.tr("Fields show the hidden value dimmed; type only in the ones to change.")
                } else {
                    rx.tr("Change what is wrong; an emptied field is removed.")
                };
                format!("{lead} {rest}")
            }
        };
        let chrome = FormFrame {
            title: self.title(),
            intro,
            error: self.error.as_deref(),
        };
        if let Some(form_area) = chrome.render(&self.form, frame, area, rx) {
            draw_masked_placeholders(&self.form, &self.placeholders, frame, form_area, rx);
            draw_notes_warning(&self.form, frame, form_area, rx);
        }
    }
}

/// The notes hint is a warning, drawn in the warning style (the form draws hints muted).
fn draw_notes_warning(form: &Form, frame: &mut Frame, area: Rect, rx: &RenderCx) {
    let notes_ok = form
        .fields
        .iter()
        .any(|f| f.key == "notes" && f.error.is_none());
    if !notes_ok {
        return;
    }
    let rows = field_rows(form, area, rx);
    let Some(index) = rows.iter().position(|(k, _)| *k == "notes") else {
        return;
    };
    let row = rows[index].1;
    let y = row.y.saturating_add(1);
    let next = rows.get(index + 1).map_or(area.bottom(), |(_, r)| r.y);
    let height = next.min(area.bottom()).saturating_sub(y);
    if height == 0 {
        return;
    }
    let room = area.right().saturating_sub(row.x);
    // The sign takes the cells of the form's indent, so the warning wraps to the rows the form
    // gave its hint.
    let wrap_cells = usize::from(room).saturating_sub(MESSAGE_INDENT.len());
    let lines: Vec<Line> = fit_message(rx.tr(NOTES_WARNING), wrap_cells, usize::from(height))
        .into_iter()
        .enumerate()
        .map(|(index, line)| {
            let lead = if index == 0 { "⚠ " } else { MESSAGE_INDENT };
            Line::from(Span::styled(format!("{lead}{line}"), rx.theme.warning))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), Rect::new(row.x, y, room, height));
}

enum VehicleMode {
    Add { member: RecordId },
    Edit { vehicle: RecordId, masked: bool },
}

/// Adding a vehicle to a member, or correcting one.
pub struct VehicleFormView {
    mode: VehicleMode,
    form: Form,
    placeholders: Vec<(&'static str, ShownText)>,
    outbox: Outbox,
    error: Option<String>,
    save_anyway: SaveAnyway,
}

fn vehicle_fields(kind: VehicleKind, lang: Language) -> Form {
    let selected = VehicleKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(0);
    Form::new()
        .text("plate", "Plate", TextInput::new().with_max(16))
        .choice("kind", "Vehicle type", kind_options(lang), selected)
        .text(
            "make_model",
            "Make and model",
            TextInput::new().with_max(40).with_placeholder("optional"),
        )
        .text(
            "colour",
            "Colour",
            TextInput::new().with_max(40).with_placeholder("optional"),
        )
}

impl VehicleFormView {
    pub fn add(member: RecordId, outbox: Outbox, lang: Language) -> Self {
        Self {
            mode: VehicleMode::Add { member },
            form: vehicle_fields(VehicleKind::Sedan, lang),
            placeholders: Vec::new(),
            outbox,
            error: None,
            save_anyway: SaveAnyway::default(),
        }
    }

    pub fn edit(vehicle: &VehicleView, masked: bool, outbox: Outbox, lang: Language) -> Self {
        let mut form = vehicle_fields(vehicle.kind, lang);
        let mut placeholders = Vec::new();
        if masked {
            placeholders.push(("plate", vehicle.plate.clone()));
        } else if let Some(input) = form.input_mut("plate") {
            input.set(vehicle.plate.as_str());
        }
        for (key, value) in [
            ("make_model", &vehicle.make_model),
            ("colour", &vehicle.colour),
        ] {
            if let (Some(value), Some(input)) = (value, form.input_mut(key)) {
                input.set(value);
            }
        }
        Self {
            mode: VehicleMode::Edit {
                vehicle: vehicle.id,
                masked,
            },
            form,
            placeholders,
            outbox,
            error: None,
            save_anyway: SaveAnyway::default(),
        }
    }

    fn save(&mut self, on_duplicate: OnDuplicate, cx: &mut Cx) {
        self.form.clear_errors();
        self.error = None;
        let plate = self.form.value("plate").trim().to_owned();
        if plate.is_empty() {
            let message = match self.mode {
                VehicleMode::Edit { masked: true, .. } => {
                    cx.tr("Type the full plate again to save: it is hidden from you.")
                }
                _ => cx.tr("Enter the plate."),
            };
            self.form.set_error("plate", message);
            self.form.focus_key("plate");
            return;
        }
        let optional = |text: &str| {
            let text = text.trim();
            (!text.is_empty()).then(|| text.to_owned())
        };
        let input = VehicleInput {
            plate,
            kind: VehicleKind::ALL
                .get(self.form.choice_index("kind"))
                .copied()
                .unwrap_or(VehicleKind::Other),
            make_model: optional(self.form.value("make_model")),
            colour: optional(self.form.value("colour")),
        };
        let result = match self.mode {
            VehicleMode::Add { member } => cx
                .service
                .add_vehicle_with(cx.session, member, input, on_duplicate)
                .map(FormOutcome::VehicleAdded),
            VehicleMode::Edit { vehicle, .. } => cx
                .service
                .update_vehicle_with(cx.session, vehicle, input, on_duplicate)
                .map(FormOutcome::VehicleUpdated),
        };
        match result {
            Ok(outcome) => {
                let notice = match outcome {
                    FormOutcome::VehicleAdded(_) => cx.tr("Vehicle added."),
                    _ => cx.tr("Vehicle saved."),
                };
                self.outbox.send(outcome);
                cx.changed();
                cx.notice(notice);
                cx.back();
            }
            Err(error) => show_error(
                error,
                &mut self.form,
                &mut self.error,
                &self.save_anyway,
                cx,
            ),
        }
    }
}

impl View for VehicleFormView {
    fn title(&self) -> &'static str {
        match self.mode {
            VehicleMode::Add { .. } => "Add vehicle",
            VehicleMode::Edit { .. } => "Edit vehicle",
        }
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Form]
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        self.form.focused_input()
    }

    fn on_input_changed(&mut self, _cx: &mut Cx) {
        self.form.clear_focused_error();
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        let event = self.form.on_action(action);
        if wants_save(&mut self.form, event) {
            self.save(OnDuplicate::Refuse, cx);
            return Handled::Yes;
        }
        match event {
            FormEvent::Ignored => Handled::No,
            _ => Handled::Yes,
        }
    }

    /// Back from the duplicate panel with "save anyway" chosen: save again, with it.
    fn refresh(&mut self, cx: &mut Cx) {
        if self.save_anyway.take() {
            self.save(OnDuplicate::SaveAnyway, cx);
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let intro = match self.mode {
            VehicleMode::Edit { masked: true, .. } => {
                rx.tr("The plate is hidden from you: type it in full to save a change.")
            }
            _ => rx.tr("The plate finds the member at the counter; the rest is optional."),
        };
        let chrome = FormFrame {
            title: self.title(),
            intro: intro.to_owned(),
            error: self.error.as_deref(),
        };
        if let Some(form_area) = chrome.render(&self.form, frame, area, rx) {
            draw_masked_placeholders(&self.form, &self.placeholders, frame, form_area, rx);
        }
    }
}

/// A vehicle as a choice option or a confirmation: kind, make and the plate masked, so it can
/// sit in a dialog without showing a full plate (dialogs are not covered by the privacy blank).
pub fn vehicle_label(vehicle: &VehicleView, lang: Language) -> String {
    let mut label = format!(
        "{} {}",
        mask_plate(vehicle.plate.as_str()),
        lang.tr(vehicle.kind.as_str())
    );
    if let Some(make) = &vehicle.make_model {
        label.push(' ');
        label.push_str(&safe(make));
    }
    label
}
