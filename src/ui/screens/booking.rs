//! The booking editor: a new booking (for a member found by number, phone or plate, or for a
//! guest) or moving an existing one to another time or bay. "First free slot" fills the time
//! and bay in; a local time the clocks skip is refused next to the field, and one they repeat
//! asks which of the two is meant.

use chrono::{DateTime, Datelike, MappedLocalTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::domain::catalog::{Bay, ServiceItem};
use crate::domain::schedule::{
    FoldChoice, LocalTimeError, offset_label, parse_typed_date, resolve_local,
};
use crate::ids::RecordId;
use crate::service::{
    BookingLabel, BookingRequest, BookingView, LocalStart, MemberCard, ServiceError, ShownText,
};
use crate::ui::actions::Action;
use crate::ui::i18n::Language;
use crate::ui::keymap::KeyContext;
use crate::ui::text::{safe, width};
use crate::ui::view::{Cx, Handled, RenderCx, View, describe_error};
use crate::ui::widgets::form::{Field, FieldKind, Form, FormEvent};
use crate::ui::widgets::input::TextInput;

/// How a local start is given to the service for the instant `at`: the wall-clock time, and
/// which occurrence it is when the clocks go back over it.
pub fn local_start(tz: Tz, at: DateTime<Utc>) -> LocalStart {
    let local = at.with_timezone(&tz).naive_local();
    let fold = match tz.from_local_datetime(&local) {
        MappedLocalTime::Ambiguous(first, second) => {
            let earlier = first.with_timezone(&Utc).min(second.with_timezone(&Utc));
            Some(if at == earlier {
                FoldChoice::Earlier
            } else {
                FoldChoice::Later
            })
        }
        _ => None,
    };
    LocalStart { local, fold }
}

/// Orders names the way people read them: "Bay 2" before "Bay 10". Bays and services are
/// listed by name because their ids only say when they were created.
pub(super) fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn pieces(text: &str) -> Vec<(u8, u64, String)> {
        let mut out = Vec::new();
        let mut chars = text.chars().peekable();
        while let Some(&c) = chars.peek() {
            let digits = c.is_ascii_digit();
            let mut run = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_ascii_digit() != digits {
                    break;
                }
                run.push(c);
                chars.next();
            }
            if digits {
                out.push((0, run.parse().unwrap_or(u64::MAX), String::new()));
            } else {
                out.push((1, 0, run.to_lowercase()));
            }
        }
        out
    }
    pieces(a).cmp(&pieces(b)).then_with(|| a.cmp(b))
}

/// The English weekday, to be translated where it is shown.
fn weekday_word(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// `14:30` or `9:30`: minutes always in two digits, so `01:3` is not read as 01:03.
fn parse_time(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    let (_, minutes) = text.split_once(':')?;
    (minutes.len() == 2)
        .then(|| NaiveTime::parse_from_str(text, "%H:%M").ok())
        .flatten()
}

/// A member offered in the customer choice.
#[derive(Debug, Clone)]
struct Candidate {
    id: RecordId,
    number: u64,
    name: Option<ShownText>,
    phone: Option<ShownText>,
    masked: bool,
}

/// Finding the customer: a lookup field (member number, phone, last four digits, plate or
/// name), a choice among the matches or a guest, and a choice of the member's vehicles.
/// Choices list member numbers only; names and plates are drawn by [`CustomerPicker::render`]
/// so the privacy blank covers them.
#[derive(Default)]
pub(super) struct CustomerPicker {
    candidates: Vec<Candidate>,
    card: Option<MemberCard>,
    /// The query found nobody.
    no_match: bool,
}

pub(super) const LOOKUP: &str = "lookup";
const CUSTOMER: &str = "customer";
const VEHICLE: &str = "vehicle";

impl CustomerPicker {
    pub(super) fn add_fields(form: Form) -> Form {
        form.text(
            LOOKUP,
            "Find member",
            TextInput::new()
                .with_max(40)
                .with_placeholder("number, phone, last 4 digits or plate"),
        )
        .choice(CUSTOMER, "Customer", vec![String::new()], 0)
        .choice(VEHICLE, "Vehicle", vec![String::new()], 0)
    }

    fn set_choice(form: &mut Form, key: &str, options: Vec<String>, selected: usize) {
        if let Some(field) = form.field_mut(key) {
            let selected = selected.min(options.len().saturating_sub(1));
            field.kind = FieldKind::Choice { options, selected };
        }
    }

    /// Refills the choices from the candidates and the loaded card.
    pub(super) fn sync_choices(&self, form: &mut Form, lang: Language, selected: usize) {
        let mut customers = vec![lang.tr("Guest (no member)").to_owned()];
        customers.extend(self.candidates.iter().map(|c| format!("#{}", c.number)));
        Self::set_choice(form, CUSTOMER, customers, selected);
        self.sync_vehicles(form, lang);
    }

    fn sync_vehicles(&self, form: &mut Form, lang: Language) {
        let mut vehicles = vec![lang.tr("No vehicle").to_owned()];
        let mut selected = 0;
        if let Some(card) = &self.card {
            vehicles.extend(
                card.vehicles.iter().enumerate().map(|(index, v)| {
                    format!("{}. {}", index + 1, lang.tr_dynamic(v.kind.as_str()))
                }),
            );
            // One car: that is the one.
            if card.vehicles.len() == 1 {
                selected = 1;
            }
        }
        Self::set_choice(form, VEHICLE, vehicles, selected);
    }

    /// A member given by the screen that opened the dialog.
    pub(super) fn preset(
        &mut self,
        form: &mut Form,
        member: RecordId,
        vehicle: Option<RecordId>,
        cx: &mut Cx,
    ) {
        match cx.service.member_card(cx.session, member) {
            Ok(card) => {
                self.candidates = vec![Candidate {
                    id: member,
                    number: card.label.member_number,
                    name: card.label.name.clone(),
                    phone: None,
                    masked: card.label.masked,
                }];
                let vehicle_index = vehicle
                    .and_then(|id| card.vehicles.iter().position(|v| v.id == id))
                    .map(|index| index + 1);
                // The lookup shows who was given, so the form reads as "this member" at once.
                if let Some(input) = form.input_mut(LOOKUP) {
                    input.set(&card.label.member_number.to_string());
                }
                self.card = Some(card);
                self.sync_choices(form, cx.lang, 1);
                if let Some(index) = vehicle_index
                    && let Some(Field {
                        kind: FieldKind::Choice { selected, .. },
                        ..
                    }) = form.field_mut(VEHICLE)
                {
                    *selected = index;
                }
            }
            Err(err) => cx.fail(&err),
        }
    }

    /// Searches as the lookup field changes.
    pub(super) fn on_lookup_changed(&mut self, form: &mut Form, cx: &mut Cx) {
        let query = form.value(LOOKUP).trim().to_owned();
        if query.is_empty() {
            self.no_match = false;
            return;
        }
        match cx.service.search_members(cx.session, &query) {
            Ok(results) => {
                self.candidates = results
                    .members
                    .into_iter()
                    .take(20)
                    .map(|m| Candidate {
                        id: m.id,
                        number: m.member_number,
                        name: Some(m.name),
                        phone: m.phone,
                        masked: m.masked,
                    })
                    .collect();
                self.no_match = self.candidates.is_empty();
                let selected = usize::from(!self.candidates.is_empty());
                self.load_card(selected, cx);
                self.sync_choices(form, cx.lang, selected);
            }
            Err(err) => cx.fail(&err),
        }
    }

    fn load_card(&mut self, selected: usize, cx: &mut Cx) {
        self.card = None;
        let Some(candidate) = selected
            .checked_sub(1)
            .and_then(|index| self.candidates.get(index))
        else {
            return;
        };
        match cx.service.member_card(cx.session, candidate.id) {
            Ok(card) => self.card = Some(card),
            Err(err) => cx.fail(&err),
        }
    }

    /// After a choice changed: a different customer brings their vehicles.
    pub(super) fn on_choice_changed(&mut self, form: &mut Form, cx: &mut Cx) {
        let selected = form.choice_index(CUSTOMER);
        let chosen = selected
            .checked_sub(1)
            .and_then(|index| self.candidates.get(index))
            .map(|c| c.id);
        if chosen != self.card.as_ref().map(|c| c.label.member) {
            self.load_card(selected, cx);
            self.sync_vehicles(form, cx.lang);
        }
    }

    /// The member and vehicle chosen, if any.
    pub(super) fn chosen(&self, form: &Form) -> (Option<RecordId>, Option<RecordId>) {
        let Some(card) = &self.card else {
            return (None, None);
        };
        if form.choice_index(CUSTOMER) == 0 {
            return (None, None);
        }
        let vehicle = form
            .choice_index(VEHICLE)
            .checked_sub(1)
            .and_then(|index| card.vehicles.get(index))
            .map(|v| v.id);
        (Some(card.label.member), vehicle)
    }

    /// Rows [`CustomerPicker::render`] needs.
    pub(super) fn height(&self) -> u16 {
        let vehicles = self.card.as_ref().map_or(0, |c| c.vehicles.len().min(4));
        u16::try_from(1 + vehicles).unwrap_or(1)
    }

    /// Who is chosen: number, name and phone, then the vehicles with the chosen one marked.
    pub(super) fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx, form: &Form) {
        let selected = form.choice_index(CUSTOMER);
        let mut lines = Vec::new();
        let candidate = selected
            .checked_sub(1)
            .and_then(|index| self.candidates.get(index));
        match candidate {
            Some(candidate) => {
                let mut spans = vec![Span::styled(
                    format!("  #{}  ", candidate.number),
                    rx.theme.accent,
                )];
                if let Some(name) = &candidate.name {
                    spans.push(rx.personal(name, candidate.masked));
                }
                if let Some(phone) = &candidate.phone {
                    spans.push(Span::raw("  "));
                    spans.push(rx.personal(phone, candidate.masked));
                }
                lines.push(Line::from(spans));
            }
            None if self.no_match => lines.push(Line::from(Span::styled(
                format!(
                    "  {}",
                    rx.tr("No member matches; the booking is for a guest.")
                ),
                rx.theme.warning,
            ))),
            None => lines.push(Line::from(Span::styled(
                format!("  {}", rx.tr("A guest: no member, no points.")),
                rx.theme.muted,
            ))),
        }
        if let (Some(card), Some(_)) = (&self.card, candidate) {
            let chosen_vehicle = form.choice_index(VEHICLE);
            for (index, vehicle) in card.vehicles.iter().take(4).enumerate() {
                let marker = if chosen_vehicle == index + 1 {
                    "▸"
                } else {
                    " "
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("    {marker}{}. ", index + 1), rx.theme.muted),
                    rx.personal(&vehicle.plate, card.label.masked),
                    Span::styled(
                        format!("  {}", rx.lang.tr_dynamic(vehicle.kind.as_str())),
                        rx.theme.muted,
                    ),
                ]));
            }
        }
        frame.render_widget(Paragraph::new(lines), area);
    }
}

/// The widest refusal the line under a field shows whole at 80 columns.
const LONGEST_FIELD_ERROR: usize = 60;

enum Mode {
    New {
        member: Option<RecordId>,
        vehicle: Option<RecordId>,
        start: Option<DateTime<Utc>>,
        bay: Option<RecordId>,
    },
    Reschedule(BookingView),
}

const SERVICE: &str = "service";
const DATE: &str = "date";
const TIME: &str = "time";
const FOLD: &str = "fold";
/// What the date field accepts, said when it cannot read what was typed.
const TYPED_DATE_HELP: &str = "Type YYYY-MM-DD, MM-DD, today, tomorrow or a weekday.";
const BAY: &str = "bay";

pub struct BookingEditor {
    mode: Mode,
    form: Form,
    picker: CustomerPicker,
    services: Vec<ServiceItem>,
    bays: Vec<Bay>,
    /// The bays offered in the bay choice after "any suitable bay", for the chosen service.
    bay_options: Vec<RecordId>,
    tz: Tz,
    loaded: bool,
    /// Who the moved booking is for.
    label: Option<BookingLabel>,
    /// The last "first free slot" answer, already translated.
    message: Option<String>,
    /// A refusal too long for the line under a field (a taken bay with its free
    /// alternatives), drawn wrapped under the form instead of cut off.
    refusal: Option<String>,
    /// The member lookup changed since Enter last moved on from it: Enter there picks the
    /// match and moves on; otherwise it saves like anywhere else.
    lookup_pending: bool,
}

impl BookingEditor {
    /// A new booking, optionally for a known member and vehicle.
    pub fn new(member: Option<RecordId>, vehicle: Option<RecordId>) -> Self {
        Self::with_mode(Mode::New {
            member,
            vehicle,
            start: None,
            bay: None,
        })
    }

    /// Moving an existing booking.
    pub fn reschedule(booking: BookingView) -> Self {
        Self::with_mode(Mode::Reschedule(booking))
    }

    /// Starts the new booking at a slot chosen on the board.
    pub fn at_slot(mut self, start: DateTime<Utc>, bay: Option<RecordId>) -> Self {
        if let Mode::New {
            start: slot,
            bay: slot_bay,
            ..
        } = &mut self.mode
        {
            *slot = Some(start);
            *slot_bay = bay;
        }
        self
    }

    fn with_mode(mode: Mode) -> Self {
        Self {
            mode,
            form: Form::new(),
            picker: CustomerPicker::default(),
            services: Vec::new(),
            bays: Vec::new(),
            bay_options: Vec::new(),
            tz: chrono_tz::UTC,
            loaded: false,
            label: None,
            message: None,
            refusal: None,
            lookup_pending: false,
        }
    }

    fn is_new(&self) -> bool {
        matches!(self.mode, Mode::New { .. })
    }

    /// Catalog and form, once: a store change elsewhere must not wipe what is being typed.
    fn load(&mut self, cx: &mut Cx) -> Result<(), ServiceError> {
        self.tz = cx.shop.tz;
        self.services = cx
            .service
            .list_services(cx.session)?
            .into_iter()
            .filter(|s| s.active)
            .collect();
        self.services.sort_by(|a, b| natural_cmp(&a.name, &b.name));
        self.bays = cx
            .service
            .list_bays(cx.session)?
            .into_iter()
            .filter(|b| b.active)
            .collect();
        self.bays.sort_by(|a, b| natural_cmp(&a.name, &b.name));
        let (start, bay) = match &self.mode {
            Mode::New { start, bay, .. } => (*start, *bay),
            Mode::Reschedule(booking) => (Some(booking.start), Some(booking.bay)),
        };
        let local = start.map(|at| at.with_timezone(&self.tz).naive_local());
        let date = local
            .map(|l| l.date())
            .unwrap_or_else(|| cx.now.with_timezone(&self.tz).date_naive());
        let mut form = Form::new();
        if self.is_new() {
            form = CustomerPicker::add_fields(form).choice(
                SERVICE,
                "Service",
                self.services
                    .iter()
                    .map(|s| {
                        cx.lang.fill(
                            "{name} ({minutes} min)",
                            &[
                                ("name", &safe(&s.name)),
                                ("minutes", &s.duration_minutes.to_string()),
                            ],
                        )
                    })
                    .collect(),
                0,
            );
        }
        form = form
            .text(
                DATE,
                "Date",
                TextInput::new()
                    .with_max(14)
                    .with_placeholder("YYYY-MM-DD")
                    .with_value(&date.format("%Y-%m-%d").to_string()),
            )
            .text(
                TIME,
                "Time",
                TextInput::new()
                    .with_max(5)
                    .with_placeholder("HH:MM")
                    .with_value(
                        &local
                            .map(|l| l.format("%H:%M").to_string())
                            .unwrap_or_default(),
                    ),
            )
            .hint("24-hour clock, e.g. 14:30; F4: first free slot.")
            .choice(BAY, "Bay", Vec::new(), 0);
        self.form = form;
        self.sync_bays(bay, cx.lang);
        if let Mode::New {
            member: Some(member),
            vehicle,
            ..
        } = self.mode
        {
            self.picker.preset(&mut self.form, member, vehicle, cx);
        } else if self.is_new() {
            self.picker.sync_choices(&mut self.form, cx.lang, 0);
        }
        if let Mode::Reschedule(booking) = &self.mode {
            self.label = cx
                .service
                .booking_labels(cx.session, std::slice::from_ref(booking))?
                .into_iter()
                .next();
        }
        self.check_time(cx.lang, cx.now, false);
        // Start where the desk has something to type: with the member given, the service.
        let first = match self.mode {
            Mode::New {
                member: Some(_), ..
            } => SERVICE,
            Mode::New { .. } => LOOKUP,
            Mode::Reschedule(_) => TIME,
        };
        self.form.focus_key(first);
        Ok(())
    }

    fn service_id(&self) -> Option<RecordId> {
        match &self.mode {
            Mode::Reschedule(booking) => Some(booking.service),
            Mode::New { .. } => self
                .services
                .get(self.form.choice_index(SERVICE))
                .map(|s| s.id),
        }
    }

    /// The bay choice: any suitable bay, then the bays that do the chosen service.
    fn sync_bays(&mut self, keep: Option<RecordId>, lang: Language) {
        let keep = keep.or_else(|| self.chosen_bay());
        let service = self.service_id();
        self.bay_options = self
            .bays
            .iter()
            .filter(|bay| service.is_none_or(|s| bay.serves(s)))
            .map(|bay| bay.id)
            .collect();
        let mut options = vec![lang.tr("Any suitable bay").to_owned()];
        options.extend(self.bay_options.iter().map(|id| {
            self.bays
                .iter()
                .find(|b| b.id == *id)
                .map(|b| safe(&b.name).into_owned())
                .unwrap_or_default()
        }));
        let selected = keep
            .and_then(|id| self.bay_options.iter().position(|b| *b == id))
            .map_or(0, |index| index + 1);
        CustomerPicker::set_choice(&mut self.form, BAY, options, selected);
    }

    fn chosen_bay(&self) -> Option<RecordId> {
        self.form
            .choice_index(BAY)
            .checked_sub(1)
            .and_then(|index| self.bay_options.get(index))
            .copied()
    }

    /// The chosen fold, when the time is one the clocks repeat.
    fn chosen_fold(&self) -> Option<FoldChoice> {
        match self.form.fields.iter().find(|f| f.key == FOLD) {
            Some(_) => match self.form.choice_index(FOLD) {
                1 => Some(FoldChoice::Earlier),
                2 => Some(FoldChoice::Later),
                _ => None,
            },
            None => None,
        }
    }

    /// Reads the date and time fields. With `strict`, empty or malformed fields get an error;
    /// otherwise only what is complete is checked (while typing). A time the clocks skip gets
    /// the service's message; a repeated one brings up the choice of which.
    fn check_time(
        &mut self,
        lang: Language,
        now: DateTime<Utc>,
        strict: bool,
    ) -> Option<LocalStart> {
        let typed_date = self.form.value(DATE).trim();
        let today = now.with_timezone(&self.tz).date_naive();
        let date = parse_typed_date(typed_date, today).ok();
        // A word or a short date is read back in full, so the desk sees which day it means.
        if let Some(date) = date
            && typed_date != date.format("%Y-%m-%d").to_string()
        {
            self.message = Some(lang.fill(
                "{weekday} {date}",
                &[
                    ("weekday", lang.tr(weekday_word(date.weekday()))),
                    ("date", &date.format("%Y-%m-%d").to_string()),
                ],
            ));
        }
        let time = parse_time(self.form.value(TIME));
        let (date, time) = match (date, time) {
            (Some(date), Some(time)) => (date, time),
            (date, time) => {
                if strict {
                    if date.is_none() {
                        self.form.set_error(DATE, lang.tr(TYPED_DATE_HELP));
                    }
                    if time.is_none() {
                        self.form.set_error(
                            TIME,
                            lang.tr("Enter the time as HH:MM (24-hour clock), or press F4."),
                        );
                    }
                }
                self.remove_fold();
                return None;
            }
        };
        let local = date.and_time(time);
        match self.tz.from_local_datetime(&local) {
            MappedLocalTime::Ambiguous(first, second) => {
                let earlier = first.with_timezone(&Utc).min(second.with_timezone(&Utc));
                let later = first.with_timezone(&Utc).max(second.with_timezone(&Utc));
                self.ensure_fold(earlier, later, lang);
                let fold = self.chosen_fold();
                if fold.is_none() && strict {
                    let message = resolve_local(self.tz, local, None)
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    self.form.set_error(FOLD, safe(&message).into_owned());
                }
                fold.map(|fold| LocalStart {
                    local,
                    fold: Some(fold),
                })
            }
            MappedLocalTime::None => {
                self.remove_fold();
                if let Err(err) = resolve_local(self.tz, local, None) {
                    self.form.set_error(TIME, skipped_time_message(&err, lang));
                }
                None
            }
            MappedLocalTime::Single(_) => {
                self.remove_fold();
                Some(LocalStart { local, fold: None })
            }
        }
    }

    /// Shows the choice between the two readings of a repeated time, keeping what was chosen
    /// if the question is still the same.
    fn ensure_fold(&mut self, earlier: DateTime<Utc>, later: DateTime<Utc>, lang: Language) {
        let time = |at: DateTime<Utc>| at.with_timezone(&self.tz).format("%H:%M").to_string();
        let options = vec![
            lang.tr("Choose: the time happens twice").to_owned(),
            lang.fill(
                "{time} {offset}, the first time",
                &[
                    ("time", &time(earlier)),
                    ("offset", &offset_label(self.tz, earlier)),
                ],
            ),
            lang.fill(
                "{time} {offset}, after the clocks go back",
                &[
                    ("time", &time(later)),
                    ("offset", &offset_label(self.tz, later)),
                ],
            ),
        ];
        if let Some(Field {
            kind:
                FieldKind::Choice {
                    options: shown,
                    selected,
                },
            ..
        }) = self.form.field_mut(FOLD)
        {
            // Another repeated time (another night): the old answer no longer applies.
            if *shown != options {
                *shown = options;
                *selected = 0;
            }
            return;
        }
        let at = self
            .form
            .fields
            .iter()
            .position(|f| f.key == TIME)
            .map_or(self.form.fields.len(), |index| index + 1);
        self.form.fields.insert(
            at,
            Field {
                key: FOLD,
                label: "Which one",
                kind: FieldKind::Choice {
                    options,
                    selected: 0,
                },
                error: None,
                hint: None,
            },
        );
        if self.form.focus >= at {
            self.form.focus += 1;
        }
    }

    fn remove_fold(&mut self) {
        if let Some(index) = self.form.fields.iter().position(|f| f.key == FOLD) {
            self.form.fields.remove(index);
            if self.form.focus > index {
                self.form.focus -= 1;
            }
            self.form.focus = self
                .form
                .focus
                .min(self.form.fields.len().saturating_sub(1));
        }
    }

    fn set_fold(&mut self, fold: Option<FoldChoice>) {
        if let Some(Field {
            kind: FieldKind::Choice { selected, .. },
            ..
        }) = self.form.field_mut(FOLD)
        {
            *selected = match fold {
                Some(FoldChoice::Earlier) => 1,
                Some(FoldChoice::Later) => 2,
                None => 0,
            };
        }
    }

    fn first_free_slot(&mut self, cx: &mut Cx) {
        self.form.clear_errors();
        self.message = None;
        self.refusal = None;
        let Some(service) = self.service_id() else {
            self.form
                .set_error(SERVICE, cx.tr("Set up a service first (Settings)."));
            return;
        };
        // From the time typed if it is later than now, else from now.
        let typed = self
            .check_time(cx.lang, cx.now, false)
            .and_then(|start| match start.fold {
                Some(FoldChoice::Later) => self.tz.from_local_datetime(&start.local).latest(),
                _ => self.tz.from_local_datetime(&start.local).earliest(),
            })
            .map(|at| at.with_timezone(&Utc));
        let from = typed.filter(|at| *at > cx.now).unwrap_or(cx.now);
        self.form.clear_errors();
        match cx
            .service
            .first_free_slot(cx.session, service, local_start(self.tz, from))
        {
            Ok(Some(offer)) => {
                let start = local_start(self.tz, offer.start);
                if let Some(input) = self.form.input_mut(DATE) {
                    input.set(&start.local.format("%Y-%m-%d").to_string());
                }
                if let Some(input) = self.form.input_mut(TIME) {
                    input.set(&start.local.format("%H:%M").to_string());
                }
                self.check_time(cx.lang, cx.now, false);
                self.set_fold(start.fold);
                self.sync_bays(Some(offer.bay), cx.lang);
                self.message = Some(cx.lang.fill(
                    "First free slot: {bay} at {time}.",
                    &[
                        ("bay", &safe(&offer.bay_name)),
                        ("time", &safe(&offer.start_local)),
                    ],
                ));
            }
            Ok(None) => self.form.set_error(
                TIME,
                cx.tr("No free slot for this service before the booking horizon."),
            ),
            Err(err) => self.show_error(&err, cx),
        }
    }

    /// A refused booking: what the service says goes next to the time (most refusals are
    /// about the time: notice, hours, grid, taken); anything else to the status line.
    fn show_error(&mut self, err: &ServiceError, cx: &mut Cx) {
        match err {
            ServiceError::InvalidInput(_) => {
                let key = if self.chosen_fold().is_none()
                    && self.form.fields.iter().any(|f| f.key == FOLD)
                {
                    FOLD
                } else {
                    TIME
                };
                let text = describe_error(err, cx.lang);
                if width(&text) > LONGEST_FIELD_ERROR {
                    self.form
                        .set_error(key, cx.tr("Not possible; why is shown below."));
                    self.refusal = Some(text);
                } else {
                    self.form.set_error(key, text);
                }
                self.form.focus_key(key);
            }
            other => cx.fail(other),
        }
    }

    fn save(&mut self, cx: &mut Cx) {
        self.form.clear_errors();
        self.message = None;
        self.refusal = None;
        let Some(start) = self.check_time(cx.lang, cx.now, true) else {
            self.form.focus_first_error();
            return;
        };
        let bay = self.chosen_bay();
        let result = match &self.mode {
            Mode::Reschedule(booking) => cx
                .service
                .reschedule_booking(cx.session, booking.id, start, bay),
            Mode::New { .. } => {
                let Some(service) = self.service_id() else {
                    self.form
                        .set_error(SERVICE, cx.tr("Set up a service first (Settings)."));
                    return;
                };
                let (member, vehicle) = self.picker.chosen(&self.form);
                cx.service.create_booking(
                    cx.session,
                    BookingRequest {
                        member,
                        vehicle,
                        service,
                        bay,
                        start,
                    },
                )
            }
        };
        match result {
            Ok(booking) => {
                cx.changed();
                let template = if self.is_new() {
                    "Booked: {service} on {bay} at {time}."
                } else {
                    "Moved: {service} on {bay} at {time}."
                };
                cx.notice(cx.lang.fill(
                    template,
                    &[
                        ("service", &safe(&booking.service_name)),
                        ("bay", &safe(&booking.bay_name)),
                        ("time", &safe(&booking.start_local)),
                    ],
                ));
                cx.back();
            }
            Err(err) => self.show_error(&err, cx),
        }
    }
}

impl View for BookingEditor {
    fn title(&self) -> &'static str {
        if self.is_new() {
            "New booking"
        } else {
            "Move booking"
        }
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Booking, KeyContext::Form]
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        self.form.focused_input()
    }

    fn on_input_changed(&mut self, cx: &mut Cx) {
        self.message = None;
        self.refusal = None;
        match self.form.focused_key() {
            Some(LOOKUP) => {
                self.lookup_pending = true;
                self.picker.on_lookup_changed(&mut self.form, cx);
            }
            Some(DATE | TIME) => {
                for key in [DATE, TIME, FOLD] {
                    if let Some(field) = self.form.field_mut(key) {
                        field.error = None;
                    }
                }
                self.check_time(cx.lang, cx.now, false);
            }
            _ => {}
        }
    }

    fn refresh(&mut self, cx: &mut Cx) {
        if self.loaded {
            return;
        }
        match self.load(cx) {
            Ok(()) => self.loaded = true,
            Err(err) => cx.fail(&err),
        }
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        if action == Action::FirstFreeSlot {
            self.first_free_slot(cx);
            return Handled::Yes;
        }
        let focused = self.form.focused_key();
        match self.form.on_action(action) {
            FormEvent::Changed => {
                match focused {
                    Some(SERVICE) => self.sync_bays(None, cx.lang),
                    Some(CUSTOMER) => self.picker.on_choice_changed(&mut self.form, cx),
                    Some(FOLD) => {
                        if let Some(field) = self.form.field_mut(FOLD) {
                            field.error = None;
                        }
                    }
                    _ => {}
                }
                Handled::Yes
            }
            FormEvent::Ignored => Handled::No,
            // Enter after typing a lookup picks the match and moves on rather than booking.
            FormEvent::Submit if focused == Some(LOOKUP) && self.lookup_pending => {
                self.lookup_pending = false;
                self.form.on_action(Action::NextField);
                Handled::Yes
            }
            FormEvent::Submit => {
                self.save(cx);
                Handled::Yes
            }
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr(self.title())),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let picker_rows = if self.is_new() {
            self.picker.height()
        } else {
            0
        };
        let [intro, form_area, picker_area, message, _, footer] = Layout::vertical([
            Constraint::Length(if self.is_new() { 0 } else { 2 }),
            Constraint::Length(self.form.height_in(inner.width, rx)),
            Constraint::Length(picker_rows),
            Constraint::Length(if self.refusal.is_some() { 3 } else { 1 }),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(inner);
        if let Mode::Reschedule(booking) = &self.mode {
            let mut spans = vec![Span::styled(
                format!("{} ", safe(&booking.service_name)),
                rx.theme.header,
            )];
            match self.label.as_ref().and_then(|l| l.customer.as_ref()) {
                Some(customer) => {
                    spans.push(Span::raw(format!("#{} ", customer.member_number)));
                    if let Some(gone) = customer.gone {
                        spans.push(Span::styled(
                            crate::ui::text::gone_word(gone, rx.lang),
                            rx.theme.muted,
                        ));
                    } else if let Some(name) = &customer.name {
                        spans.push(rx.personal(name, customer.masked));
                    }
                }
                None => spans.push(Span::styled(rx.tr("guest"), rx.theme.muted)),
            }
            spans.push(Span::styled(
                format!(
                    "  {}",
                    rx.lang.fill(
                        "now {bay} at {time}",
                        &[
                            ("bay", &safe(&booking.bay_name)),
                            ("time", &safe(&booking.start_local)),
                        ],
                    )
                ),
                rx.theme.muted,
            ));
            frame.render_widget(Paragraph::new(Line::from(spans)), intro);
        }
        self.form.render(frame, form_area, rx, true);
        if self.is_new() {
            self.picker.render(frame, picker_area, rx, &self.form);
        }
        if let Some(text) = &self.refusal {
            frame.render_widget(
                Paragraph::new(Span::styled(safe(text).into_owned(), rx.theme.error))
                    .wrap(Wrap { trim: true }),
                message,
            );
        } else if let Some(text) = &self.message {
            frame.render_widget(
                Paragraph::new(Span::styled(text.clone(), rx.theme.ok)),
                message,
            );
        }
        let keys = [
            (Action::FirstFreeSlot, "first free slot"),
            (Action::Submit, "save"),
            (Action::Back, "back"),
        ]
        .iter()
        .filter_map(|(action, word)| {
            rx.key_hint(self.contexts(), *action)
                .map(|key| format!("{key} {}", rx.tr(word)))
        })
        .collect::<Vec<_>>()
        .join("   ");
        frame.render_widget(Paragraph::new(Span::styled(keys, rx.theme.muted)), footer);
    }
}

/// A time the clocks skip, in the reader's language (the domain says it in English).
fn skipped_time_message(err: &LocalTimeError, lang: Language) -> String {
    match err {
        LocalTimeError::DoesNotExist {
            zone,
            local,
            resumes_at: Some(resume),
        } => {
            let resume_format = if resume.date() == local.date() {
                "%H:%M"
            } else {
                "%Y-%m-%d %H:%M"
            };
            lang.fill(
                "{time} does not exist in {zone} (clocks jump forward); choose a time from {resume}",
                &[
                    ("time", &local.format("%Y-%m-%d %H:%M").to_string()),
                    ("zone", zone.name()),
                    ("resume", &resume.format(resume_format).to_string()),
                ],
            )
        }
        other => describe_error(&ServiceError::invalid(other.to_string()), lang),
    }
}
