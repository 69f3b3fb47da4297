//! Today: the day's bookings on a bays × time grid, who is due next, and the desk's quick
//! actions (walk-in, find a member, book, move, cancel, check in, no-show, checkout).

use std::cell::Cell;
use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::booking::{BookingEditor, local_start, natural_cmp};
use super::checkout::CheckoutView;
use super::members::MembersView;
use super::walk_in::WalkInView;
use crate::domain::catalog::Bay;
use crate::domain::schedule::{is_ambiguous, offset_label};
use crate::ids::RecordId;
use crate::service::{BayDay, BookingLabel, BookingView, ServiceError};
use crate::store::records::{BookingState, ScheduleSettings};
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::text::{opening_hours_text, pad, safe, truncate, width};
use crate::ui::theme::Theme;
use crate::ui::view::{Cx, Handled, Prompt, PromptAnswer, RenderCx, View, describe_error};

/// Columns used by the time labels on the left of the grid.
const TIME_CELLS: usize = 6;
/// A bay column is never drawn narrower than this; more bays scroll sideways.
const MIN_BAY_CELLS: usize = 14;
/// How many rows of the past stay visible above "now" when the day opens.
const ROWS_BEFORE_NOW: usize = 2;

const CANCEL_TAG: &str = "today.cancel";
const NO_SHOW_TAG: &str = "today.no_show";

/// One bay column.
#[derive(Debug, Clone)]
struct BayColumn {
    id: RecordId,
    name: String,
    services: Vec<RecordId>,
    active: bool,
}

/// A booking placed on the grid.
#[derive(Debug, Clone)]
struct Placed {
    view: BookingView,
    bay: usize,
    first_row: usize,
    last_row: usize,
}

/// The shown day laid out: rows of slot starts, bay columns, and which booking covers each
/// cell. Built in `refresh`, drawn in `render`.
#[derive(Debug, Default)]
struct Board {
    rows: Vec<DateTime<Utc>>,
    bays: Vec<BayColumn>,
    bookings: Vec<Placed>,
    /// `cells[bay][row]`: index into `bookings`.
    cells: Vec<Vec<Option<usize>>>,
    /// `open[bay][row]`: the latest end a booking starting there may have, if it may start
    /// there at all (the service's own rule: grid, notice, hours and buffers).
    open: Vec<Vec<Option<DateTime<Utc>>>>,
    /// `readying[bay][row]`: when the bay is ready again, for a free-looking row still held by
    /// the car before it (its buffer, or a car that overran).
    readying: Vec<Vec<Option<DateTime<Utc>>>>,
    /// The day's opening periods, shown in the session's language; `None` when closed.
    hours: Option<Vec<crate::domain::schedule::OpenPeriod>>,
    closed: Option<String>,
}

impl Board {
    fn build(
        day: NaiveDate,
        tz: Tz,
        schedule: &ScheduleSettings,
        bays: Vec<Bay>,
        mut bookings: Vec<BookingView>,
        bay_days: &[BayDay],
    ) -> Self {
        let slot = Duration::minutes(i64::from(schedule.rules.slot_minutes.max(1)));
        let periods = schedule.hours.periods(day.weekday());
        let closure = schedule.closures.iter().find(|c| c.date == day);
        let (open, close) = match (periods.first(), periods.last()) {
            (Some(first), Some(last)) if closure.is_none() => (
                day.and_time(first.open),
                // A period past midnight runs the grid on into the next morning.
                last.close_date(day).and_time(last.close),
            ),
            // A closed day still gets a grid of the usual hours so bookings can be looked at.
            _ => (
                day.and_time(chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default()),
                day.and_time(chrono::NaiveTime::from_hms_opt(19, 0, 0).unwrap_or_default()),
            ),
        };
        let closed = match closure {
            Some(closure) => Some(safe(&closure.reason).into_owned()),
            None if periods.is_empty() => Some(String::new()),
            None => None,
        };
        let hours = (!periods.is_empty() && closure.is_none()).then(|| periods.to_vec());
        let mut rows = Vec::new();
        if let (Some(start), Some(end)) = (earliest_instant(tz, open), earliest_instant(tz, close))
        {
            let mut at = start;
            while at < end {
                rows.push(at);
                at += slot;
            }
        }
        bookings.sort_by_key(|b| (b.start, b.id));
        // Walk-ins can start off the grid and any booking may lie outside today's hours after
        // a settings change: stretch the rows to cover them all.
        if let (Some(first), Some(last)) = (
            bookings.iter().map(|b| b.start).min(),
            bookings.iter().map(|b| b.end).max(),
        ) {
            if rows.is_empty() {
                rows.push(first);
            }
            while rows.first().is_some_and(|top| first < *top) {
                let top = rows[0] - slot;
                rows.insert(0, top);
            }
            while rows.last().is_some_and(|bottom| last > *bottom + slot) {
                let next = rows[rows.len() - 1] + slot;
                rows.push(next);
            }
        }
        let mut columns: Vec<BayColumn> = bays
            .into_iter()
            .map(|bay| BayColumn {
                id: bay.id,
                name: safe(&bay.name).into_owned(),
                services: bay.services,
                active: bay.active,
            })
            .collect();
        columns.sort_by(|a, b| natural_cmp(&a.name, &b.name));
        // Inactive bays stay out of the way unless they still hold a booking that day.
        columns.retain(|bay| bay.active || bookings.iter().any(|b| b.bay == bay.id));
        for booking in &bookings {
            if !columns.iter().any(|bay| bay.id == booking.bay) {
                columns.push(BayColumn {
                    id: booking.bay,
                    name: safe(&booking.bay_name).into_owned(),
                    services: Vec::new(),
                    active: false,
                });
            }
        }
        let mut cells = vec![vec![None; rows.len()]; columns.len()];
        let mut placed = Vec::with_capacity(bookings.len());
        // Bays free their slot when a booking is cancelled or missed; held bookings are drawn
        // last so they win a cell shared with a released one.
        let order = bookings
            .iter()
            .filter(|b| !b.state.holds_bay())
            .chain(bookings.iter().filter(|b| b.state.holds_bay()));
        let ready_at: HashMap<RecordId, DateTime<Utc>> = bay_days
            .iter()
            .flat_map(|day| day.held.iter().map(|held| (held.booking, held.ready_at)))
            .collect();
        for booking in order {
            let Some(bay) = columns.iter().position(|c| c.id == booking.bay) else {
                continue;
            };
            let Some(first_row) = rows.iter().rposition(|row| *row <= booking.start) else {
                continue;
            };
            // A paid-for car left at its checkout: the rest of its planned time is free.
            let drawn_end = match (&booking.state, ready_at.get(&booking.id)) {
                (BookingState::Completed { .. }, Some(left)) => booking.end.min(*left),
                _ => booking.end,
            };
            let last_row = rows
                .iter()
                .rposition(|row| *row < drawn_end)
                .unwrap_or(first_row)
                .max(first_row);
            let index = placed.len();
            for cell in &mut cells[bay][first_row..=last_row] {
                *cell = Some(index);
            }
            placed.push(Placed {
                view: booking.clone(),
                bay,
                first_row,
                last_row,
            });
        }
        let mut open = vec![vec![None; rows.len()]; columns.len()];
        let mut readying = vec![vec![None; rows.len()]; columns.len()];
        for (bay, column) in columns.iter().enumerate() {
            let Some(day) = bay_days.iter().find(|d| d.bay == column.id) else {
                continue;
            };
            for (row, at) in rows.iter().enumerate() {
                if cells[bay][row].is_some() {
                    continue;
                }
                open[bay][row] = day
                    .open_starts
                    .iter()
                    .find(|open| open.start == *at)
                    .map(|open| open.latest_end);
                let row_end = *at + slot;
                readying[bay][row] = day
                    .held
                    .iter()
                    .filter(|held| held.start < row_end && *at < held.ready_at)
                    .map(|held| held.ready_at)
                    .max();
            }
        }
        Self {
            rows,
            bays: columns,
            bookings: placed,
            cells,
            open,
            readying,
            hours,
            closed,
        }
    }

    /// The latest end of a booking starting at this free cell, if one may start there.
    fn open_until(&self, bay: usize, row: usize) -> Option<DateTime<Utc>> {
        *self.open.get(bay)?.get(row)?
    }

    /// When the bay is ready again, for a free-looking cell still held by the car before it.
    fn ready_at(&self, bay: usize, row: usize) -> Option<DateTime<Utc>> {
        *self.readying.get(bay)?.get(row)?
    }

    /// Whether any row falls in the hour the clocks repeat, so time labels need their offset.
    fn has_repeated_hour(&self, tz: Tz) -> bool {
        self.rows.iter().any(|row| is_ambiguous(tz, *row))
    }

    fn at(&self, bay: usize, row: usize) -> Option<&Placed> {
        let index = (*self.cells.get(bay)?.get(row)?)?;
        self.bookings.get(index)
    }

    /// The row whose slot contains `at`, if the day shows it.
    fn row_of(&self, at: DateTime<Utc>) -> Option<usize> {
        let slot = self.slot();
        self.rows
            .iter()
            .position(|row| *row <= at && at < *row + slot)
    }

    fn slot(&self) -> Duration {
        match self.rows.as_slice() {
            [first, second, ..] => *second - *first,
            _ => Duration::minutes(15),
        }
    }

    /// Rows a booking of `minutes` covers.
    fn rows_for(&self, minutes: i64) -> usize {
        let slot = self.slot().num_minutes().max(1);
        usize::try_from((minutes + slot - 1) / slot)
            .unwrap_or(1)
            .max(1)
    }
}

/// The local time as an instant: the earlier one of a repeated time, the end of a gap.
fn earliest_instant(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map(|at| at.with_timezone(&Utc))
}

/// The grid position a booking is being moved to.
#[derive(Debug, Clone)]
struct Moving {
    booking: BookingView,
    rows: usize,
    /// Where the cursor was, to go back on Esc.
    from: (usize, usize),
}

/// Someone due to arrive today.
#[derive(Debug, Clone)]
struct Due {
    view: BookingView,
    label: Option<BookingLabel>,
}

pub struct TodayView {
    /// The shown day; `None` until the first load, which picks today.
    day: Option<NaiveDate>,
    board: Board,
    labels: HashMap<RecordId, BookingLabel>,
    due: Vec<Due>,
    /// Cancelled and missed bookings this desk closed: they no longer hold a bay, so the day's
    /// bookings leave them out, but the desk should still see what it just did.
    released: Vec<BookingView>,
    bay: usize,
    row: usize,
    moving: Option<Moving>,
    /// A booking waiting for the answer to a prompt.
    pending: Option<RecordId>,
    /// Why the last move was refused (a taken bay names its free alternatives): drawn wrapped
    /// under the grid while moving, as it is too long for the status line.
    move_refusal: Option<String>,
    /// Set on a day change so the first draw brings "now" (or the opening) into view.
    recentre: bool,
    /// Scroll positions, kept between frames so the grid does not jump as the cursor moves.
    top_row: Cell<usize>,
    first_bay: Cell<usize>,
}

impl Default for TodayView {
    fn default() -> Self {
        Self::new()
    }
}

impl TodayView {
    pub fn new() -> Self {
        Self {
            day: None,
            board: Board::default(),
            labels: HashMap::new(),
            due: Vec::new(),
            released: Vec::new(),
            bay: 0,
            row: 0,
            moving: None,
            pending: None,
            move_refusal: None,
            recentre: true,
            top_row: Cell::new(0),
            first_bay: Cell::new(0),
        }
    }

    fn today(cx: &Cx) -> NaiveDate {
        cx.now.with_timezone(&cx.shop.tz).date_naive()
    }

    fn load(&mut self, cx: &mut Cx) -> Result<(), ServiceError> {
        let today = Self::today(cx);
        let day = *self.day.get_or_insert(today);
        let schedule = cx.service.schedule_settings()?;
        let bays = cx.service.list_bays(cx.session)?;
        let mut bookings = cx.service.day_bookings(cx.session, day)?;
        let bay_days = cx.service.bay_days(cx.session, day)?;
        for released in &self.released {
            let local_day = released.start.with_timezone(&cx.shop.tz).date_naive();
            if local_day == day && !bookings.iter().any(|b| b.id == released.id) {
                bookings.push(released.clone());
            }
        }
        let todays = if day == today {
            bookings.clone()
        } else {
            cx.service.day_bookings(cx.session, today)?
        };
        let mut due: Vec<BookingView> = todays
            .into_iter()
            .filter(|b| b.state == BookingState::Booked && b.end > cx.now)
            .collect();
        due.sort_by_key(|b| (b.start, b.bay_name.clone()));
        due.truncate(12);
        let mut to_label = bookings.clone();
        to_label.extend(
            due.iter()
                .filter(|d| d.member.is_some() && !bookings.iter().any(|b| b.id == d.id))
                .cloned(),
        );
        let labels = cx.service.booking_labels(cx.session, &to_label)?;
        self.labels = labels.into_iter().map(|l| (l.booking, l)).collect();
        self.due = due
            .into_iter()
            .map(|view| Due {
                label: self.labels.get(&view.id).cloned(),
                view,
            })
            .collect();
        let previous_bay = self.board.bays.get(self.bay).map(|b| b.id);
        let previous_row = self.board.rows.get(self.row).copied();
        self.board = Board::build(day, cx.shop.tz, &schedule, bays, bookings, &bay_days);
        if let Some(id) = previous_bay
            && let Some(index) = self.board.bays.iter().position(|b| b.id == id)
        {
            self.bay = index;
        }
        if let Some(at) = previous_row
            && let Some(index) = self.board.row_of(at)
        {
            self.row = index;
        }
        self.bay = self.bay.min(self.board.bays.len().saturating_sub(1));
        self.row = self.row.min(self.board.rows.len().saturating_sub(1));
        if self.recentre {
            self.recentre = false;
            let start = if day == today {
                self.board.row_of(cx.now).unwrap_or(0)
            } else {
                0
            };
            if self.moving.is_none() {
                self.row = start;
            }
            self.top_row.set(start.saturating_sub(ROWS_BEFORE_NOW));
        }
        Ok(())
    }

    fn reload(&mut self, cx: &mut Cx) {
        if let Err(err) = self.load(cx) {
            cx.fail(&err);
        }
    }

    fn selected(&self) -> Option<&Placed> {
        if self.moving.is_some() {
            return None;
        }
        self.board.at(self.bay, self.row)
    }

    /// The visit of the selected booking, once it is paid.
    fn completed_visit(&self) -> Option<RecordId> {
        match self.selected()?.view.state {
            BookingState::Completed { visit } => Some(visit),
            _ => None,
        }
    }

    fn selected_slot(&self) -> Option<(DateTime<Utc>, RecordId)> {
        let at = *self.board.rows.get(self.row)?;
        let bay = self.board.bays.get(self.bay)?.id;
        Some((at, bay))
    }

    fn go_to_day(&mut self, day: NaiveDate, cx: &mut Cx) {
        self.day = Some(day);
        self.recentre = true;
        self.reload(cx);
    }

    fn move_cursor(&mut self, action: Action) -> bool {
        let rows = self.board.rows.len();
        let bays = self.board.bays.len();
        if rows == 0 || bays == 0 {
            return false;
        }
        let last_row = rows - 1;
        // Two hours, whatever the slot length.
        let page = usize::try_from(120 / self.board.slot().num_minutes().max(1))
            .unwrap_or(1)
            .max(1);
        let snap = self.moving.is_none();
        match action {
            Action::Up | Action::PageUp => {
                let step = if action == Action::Up { 1 } else { page };
                let from = match self.board.at(self.bay, self.row) {
                    Some(booking) if snap => booking.first_row,
                    _ => self.row,
                };
                self.row = from.saturating_sub(step);
                if snap && let Some(booking) = self.board.at(self.bay, self.row) {
                    self.row = booking.first_row;
                }
            }
            Action::Down | Action::PageDown => {
                let step = if action == Action::Down { 1 } else { page };
                let from = match self.board.at(self.bay, self.row) {
                    Some(booking) if snap => booking.last_row,
                    _ => self.row,
                };
                self.row = (from + step).min(last_row);
                if let Some(moving) = &self.moving {
                    self.row = self.row.min(rows.saturating_sub(moving.rows));
                }
            }
            Action::First => self.row = 0,
            Action::Last => self.row = last_row,
            Action::Left | Action::Right => {
                let mut bay = self.bay;
                loop {
                    bay = if action == Action::Left {
                        match bay.checked_sub(1) {
                            Some(bay) => bay,
                            None => break,
                        }
                    } else if bay + 1 < bays {
                        bay + 1
                    } else {
                        break;
                    };
                    // A booking being moved only stops at bays that do its service.
                    let suitable = match &self.moving {
                        Some(moving) => {
                            self.board.bays[bay].active
                                && self.board.bays[bay]
                                    .services
                                    .contains(&moving.booking.service)
                        }
                        None => true,
                    };
                    if suitable {
                        self.bay = bay;
                        break;
                    }
                }
                if snap && let Some(booking) = self.board.at(self.bay, self.row) {
                    self.row = booking.first_row;
                }
            }
            _ => return false,
        }
        true
    }

    fn start_move(&mut self, cx: &mut Cx) {
        let Some(booking) = self.selected().map(|p| p.view.clone()) else {
            cx.notice(cx.tr("Select a booking first."));
            return;
        };
        if booking.state != BookingState::Booked {
            cx.notice(cx.tr("Only a booked appointment can be moved."));
            return;
        }
        let minutes = (booking.end - booking.start).num_minutes();
        let rows = self.board.rows_for(minutes);
        self.moving = Some(Moving {
            booking,
            rows,
            from: (self.bay, self.row),
        });
    }

    fn finish_move(&mut self, cx: &mut Cx) {
        let Some(moving) = self.moving.take() else {
            return;
        };
        self.move_refusal = None;
        let Some((at, bay)) = self.selected_slot() else {
            return;
        };
        let start = local_start(cx.shop.tz, at);
        match cx
            .service
            .reschedule_booking(cx.session, moving.booking.id, start, Some(bay))
        {
            Ok(moved) => {
                cx.changed();
                cx.notice(cx.lang.fill(
                    "Moved to {bay} at {time}.",
                    &[
                        ("bay", &safe(&moved.bay_name)),
                        ("time", &safe(&moved.start_local)),
                    ],
                ));
                self.reload(cx);
            }
            Err(ServiceError::InvalidInput(reason)) => {
                // Stay in move mode so another slot can be tried, with the reason in view.
                self.moving = Some(moving);
                self.move_refusal =
                    Some(describe_error(&ServiceError::InvalidInput(reason), cx.lang));
            }
            Err(err) => {
                self.moving = Some(moving);
                cx.fail(&err);
            }
        }
    }

    fn ask_cancel(&mut self, cx: &mut Cx) {
        let Some(booking) = self.selected().map(|p| p.view.clone()) else {
            cx.notice(cx.tr("Select a booking first."));
            return;
        };
        if !matches!(
            booking.state,
            BookingState::Booked | BookingState::CheckedIn { .. }
        ) {
            cx.notice(cx.tr("Only a booked or checked-in appointment can be cancelled."));
            return;
        }
        self.pending = Some(booking.id);
        let message = cx.lang.fill(
            "{time} {service} on {bay}. The bay becomes free again.",
            &[
                ("time", &booking_time(&booking)),
                ("service", &safe(&booking.service_name)),
                ("bay", &safe(&booking.bay_name)),
            ],
        );
        cx.prompt(Prompt::confirm(CANCEL_TAG, "Cancel this booking?", message).with_reason());
    }

    fn ask_no_show(&mut self, cx: &mut Cx) {
        let Some(booking) = self.selected().map(|p| p.view.clone()) else {
            cx.notice(cx.tr("Select a booking first."));
            return;
        };
        if booking.state != BookingState::Booked {
            cx.notice(cx.tr("Only a booked appointment can be a no-show."));
            return;
        }
        self.pending = Some(booking.id);
        let message = cx.lang.fill(
            "{time} {service} on {bay}. This cannot be undone.",
            &[
                ("time", &booking_time(&booking)),
                ("service", &safe(&booking.service_name)),
                ("bay", &safe(&booking.bay_name)),
            ],
        );
        cx.prompt(Prompt::confirm(NO_SHOW_TAG, "Mark as no-show?", message));
    }

    fn check_in(&mut self, cx: &mut Cx) {
        let Some(booking) = self.selected().map(|p| p.view.clone()) else {
            cx.notice(cx.tr("Select a booking first."));
            return;
        };
        match cx.service.check_in(cx.session, booking.id) {
            Ok(done) => {
                cx.changed();
                cx.notice(cx.lang.fill(
                    "Checked in: {service} on {bay}.",
                    &[
                        ("service", &safe(&done.service_name)),
                        ("bay", &safe(&done.bay_name)),
                    ],
                ));
                self.reload(cx);
            }
            Err(err) => cx.fail(&err),
        }
    }

    fn checkout(&mut self, cx: &mut Cx) {
        match self.selected().map(|p| p.view.clone()) {
            Some(booking)
                if matches!(
                    booking.state,
                    BookingState::Booked | BookingState::CheckedIn { .. }
                ) =>
            {
                cx.push(CheckoutView::new(
                    Some(booking.id),
                    booking.member,
                    booking.vehicle,
                ));
            }
            Some(_) => cx.notice(cx.tr("That booking is closed; choose an open one.")),
            // A free slot: a sale without a booking.
            None => cx.push(CheckoutView::new(None, None, None)),
        }
    }

    fn open_selected(&mut self, cx: &mut Cx) {
        match self.selected().map(|p| p.view.clone()) {
            Some(booking) if booking.state == BookingState::Booked => {
                cx.push(BookingEditor::reschedule(booking));
            }
            Some(_) => {}
            None => self.new_booking(cx),
        }
    }

    fn new_booking(&mut self, cx: &mut Cx) {
        let mut editor = BookingEditor::new(None, None);
        if let Some((at, bay)) = self.selected_slot() {
            // A slot the service would refuse (past, too soon, in a buffer) is no use as a
            // default: F4 finds one.
            if self.board.open_until(self.bay, self.row).is_some() {
                editor = editor.at_slot(at, Some(bay));
            }
        }
        cx.push(editor);
    }

    fn remember_released(&mut self, view: BookingView) {
        self.released.retain(|b| b.id != view.id);
        self.released.push(view);
    }
}

/// `PDT` from `PDT (UTC−07:00)`; a bare `UTC+05:45` as it is.
fn short_offset(label: &str) -> &str {
    label.split(" (").next().unwrap_or(label)
}

/// `09:30` for a booking, with its day when that is not obvious.
fn booking_time(booking: &BookingView) -> String {
    booking
        .start_local
        .split_once(' ')
        .map(|(_, time)| time.to_owned())
        .unwrap_or_else(|| booking.start_local.clone())
}

/// The text mark of a state, so it reads without colour.
fn state_marker(state: &BookingState) -> &'static str {
    match state {
        BookingState::Booked => "○",
        BookingState::CheckedIn { .. } => "●",
        BookingState::Completed { .. } => "✓",
        BookingState::Cancelled { .. } => "✗",
        BookingState::NoShow { .. } => "!",
    }
}

fn state_style(theme: &Theme, state: &BookingState) -> Style {
    match state {
        BookingState::Booked => theme.booked,
        BookingState::CheckedIn { .. } => theme.checked_in,
        BookingState::Completed { .. } => theme.completed,
        BookingState::Cancelled { .. } => theme.cancelled,
        BookingState::NoShow { .. } => theme.no_show,
    }
}

/// English; translated when drawn.
fn state_word(state: &BookingState) -> &'static str {
    match state {
        BookingState::Booked => "booked",
        BookingState::CheckedIn { .. } => "checked in",
        BookingState::Completed { .. } => "completed",
        BookingState::Cancelled { .. } => "cancelled",
        BookingState::NoShow { .. } => "no-show",
    }
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// Styled pieces cut and padded to exactly `cells` wide, the padding in `fill`.
fn fit(pieces: Vec<(String, Style)>, cells: usize, fill: Style) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut used = 0;
    for (text, style) in pieces {
        if used >= cells {
            break;
        }
        let room = cells - used;
        let cut = truncate(&text, room).into_owned();
        used += width(&cut);
        spans.push(Span::styled(cut, style));
    }
    if used < cells {
        spans.push(Span::styled(" ".repeat(cells - used), fill));
    }
    spans
}

/// Member number and name (number plain, name personal), for a cell or a list.
fn customer_pieces(
    label: Option<&BookingLabel>,
    walk_in: bool,
    style: Style,
    rx: &RenderCx,
) -> Vec<(String, Style)> {
    match label.and_then(|l| l.customer.as_ref()) {
        Some(customer) => {
            let mut pieces = vec![(format!("#{} ", customer.member_number), style)];
            if let Some(gone) = customer.gone {
                pieces.push((
                    crate::ui::text::gone_word(gone, rx.lang),
                    style.patch(rx.theme.muted),
                ));
            } else if let Some(name) = &customer.name {
                let shown = rx.personal(name, customer.masked);
                pieces.push((shown.content.into_owned(), style.patch(shown.style)));
            }
            pieces
        }
        None if walk_in => vec![(rx.tr("walk-in").to_owned(), style)],
        None => vec![(rx.tr("guest").to_owned(), style)],
    }
}

fn plate_piece(
    label: Option<&BookingLabel>,
    style: Style,
    rx: &RenderCx,
) -> Option<(String, Style)> {
    let label = label?;
    let plate = label.plate.as_ref()?;
    let masked = label.customer.as_ref().is_some_and(|c| c.masked);
    let shown = rx.personal(plate, masked);
    Some((shown.content.into_owned(), style.patch(shown.style)))
}

impl TodayView {
    fn render_header(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let Some(day) = self.day else {
            return;
        };
        let mut spans = vec![Span::styled(
            format!(
                " {} {} ",
                rx.tr(weekday_name(day.weekday())),
                day.format("%Y-%m-%d")
            ),
            rx.theme.title,
        )];
        if day == rx.today() {
            spans.push(Span::styled(
                format!("({}) ", rx.tr("today")),
                rx.theme.accent,
            ));
        }
        match (&self.board.closed, &self.board.hours) {
            (Some(reason), _) if !reason.is_empty() => spans.push(Span::styled(
                format!(
                    " {} ",
                    rx.lang.fill("Closed: {reason}", &[("reason", reason)])
                ),
                rx.theme.warning,
            )),
            (Some(_), _) => spans.push(Span::styled(
                format!(" {} ", rx.tr("Closed on this day")),
                rx.theme.warning,
            )),
            (None, Some(hours)) => spans.push(Span::styled(
                format!(" {} {} ", rx.tr("open"), opening_hours_text(hours, rx.lang)),
                rx.theme.muted,
            )),
            (None, None) => {}
        }
        if self.moving.is_some() {
            spans.push(Span::styled(
                format!(
                    " {} ",
                    rx.tr("Moving: arrows choose the slot, Enter moves it here, Esc cancels")
                ),
                rx.theme.warning,
            ));
        } else {
            let contexts = self.contexts();
            let mut hint = String::new();
            if let (Some(prev), Some(next)) = (
                rx.key_hint(contexts, Action::PrevDay),
                rx.key_hint(contexts, Action::NextDay),
            ) {
                hint.push_str(&format!("{prev} {next} {}", rx.tr("day")));
            }
            if let Some(key) = rx.key_hint(contexts, Action::ThisDay) {
                hint.push_str(&format!("  {key} {}", rx.tr("today")));
            }
            spans.push(Span::styled(format!("  {hint}"), rx.theme.muted));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
    }

    fn render_grid(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let board = &self.board;
        if board.bays.is_empty() {
            frame.render_widget(
                Paragraph::new(rx.tr("No bays yet: a manager sets them up in Settings."))
                    .style(rx.theme.warning),
                area,
            );
            return;
        }
        // On the night the clocks go back, the repeated hour's rows carry their offset.
        let repeated_hour = board.has_repeated_hour(rx.shop.tz);
        let time_cells = if repeated_hour {
            TIME_CELLS + 5
        } else {
            TIME_CELLS
        };
        let usable = usize::from(area.width).saturating_sub(time_cells);
        let shown_bays = (usable / (MIN_BAY_CELLS + 1)).clamp(1, board.bays.len());
        let bay_cells = (usable / shown_bays).saturating_sub(1).max(1);
        let mut first_bay = self.first_bay.get().min(board.bays.len() - shown_bays);
        if self.bay < first_bay {
            first_bay = self.bay;
        } else if self.bay >= first_bay + shown_bays {
            first_bay = self.bay + 1 - shown_bays;
        }
        self.first_bay.set(first_bay);
        let visible_rows = usize::from(area.height).saturating_sub(1);
        let mut top = self.top_row.get();
        if visible_rows > 0 {
            let cursor_end = self.row + self.moving.as_ref().map_or(1, |m| m.rows);
            if self.row < top {
                top = self.row;
            } else if cursor_end > top + visible_rows {
                top = cursor_end.saturating_sub(visible_rows).min(self.row);
            }
            top = top.min(board.rows.len().saturating_sub(visible_rows));
        }
        self.top_row.set(top);

        let mut lines = Vec::with_capacity(usize::from(area.height));
        let mut heading = vec![Span::styled(
            pad(if first_bay > 0 { "◂" } else { "" }, time_cells),
            rx.theme.muted,
        )];
        for (index, bay) in board
            .bays
            .iter()
            .enumerate()
            .skip(first_bay)
            .take(shown_bays)
        {
            let more = index + 1 == first_bay + shown_bays && index + 1 < board.bays.len();
            let name = if more {
                format!("{} ▸", bay.name)
            } else {
                bay.name.clone()
            };
            let style = if bay.active {
                rx.theme.header
            } else {
                rx.theme.muted
            };
            heading.push(Span::raw(" "));
            heading.push(Span::styled(pad(&name, bay_cells), style));
        }
        lines.push(Line::from(heading));

        let now_row = board.row_of(rx.now);
        let ghost = self.moving.as_ref().map(|m| (self.bay, self.row, m));
        for row in board.rows.iter().enumerate().skip(top).take(visible_rows) {
            let (row_index, at) = row;
            let local = at.with_timezone(&rx.shop.tz);
            let is_now = now_row == Some(row_index);
            let repeated = repeated_hour && is_ambiguous(rx.shop.tz, *at);
            let label = if repeated {
                format!(
                    "{} {}",
                    local.format("%H:%M"),
                    short_offset(&offset_label(rx.shop.tz, *at))
                )
            } else if local.format("%M").to_string() == "00" || row_index == top {
                local.format("%H:%M").to_string()
            } else {
                local.format("  :%M").to_string()
            };
            let mut spans = if is_now {
                vec![Span::styled(
                    pad(&format!("▸{label}"), time_cells),
                    rx.theme.now_line,
                )]
            } else {
                vec![Span::styled(pad(&label, time_cells), rx.theme.muted)]
            };
            for bay in first_bay..first_bay + shown_bays {
                spans.push(Span::raw(" "));
                if let Some((ghost_bay, ghost_row, moving)) = ghost
                    && ghost_bay == bay
                    && row_index >= ghost_row
                    && row_index < ghost_row + moving.rows
                {
                    let text = if row_index == ghost_row {
                        format!("↕ {}", safe(&moving.booking.service_name))
                    } else {
                        String::new()
                    };
                    spans.extend(fit(
                        vec![(text, rx.theme.selection)],
                        bay_cells,
                        rx.theme.selection,
                    ));
                    continue;
                }
                spans.extend(self.cell(bay, row_index, is_now, bay_cells, rx));
            }
            lines.push(Line::from(spans));
        }
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn cell(
        &self,
        bay: usize,
        row: usize,
        is_now: bool,
        cells: usize,
        rx: &RenderCx,
    ) -> Vec<Span<'static>> {
        let selected_cell = self.moving.is_none() && bay == self.bay && row == self.row;
        let Some(booking) = self.board.at(bay, row) else {
            let ready_at = self.board.ready_at(bay, row);
            let ready_text =
                |ready: DateTime<Utc>| rx.lang.fill("ready {time}", &[("time", &rx.time(ready))]);
            return if selected_cell {
                let text = match ready_at {
                    Some(ready) => ready_text(ready),
                    None => rx.tr("free").to_owned(),
                };
                fit(
                    vec![(format!("▸ {text}"), rx.theme.selection)],
                    cells,
                    rx.theme.selection,
                )
            } else if let Some(ready) = ready_at {
                // The buffer after a car (or a car that overran): drawn, so the grid never
                // looks free where a booking would be refused.
                let first = row == 0 || self.board.ready_at(bay, row - 1) != Some(ready);
                let text = if first {
                    format!("┈ {}", ready_text(ready))
                } else {
                    "┈".to_owned()
                };
                fit(vec![(text, rx.theme.muted)], cells, rx.theme.muted)
            } else if is_now {
                vec![Span::styled("┄".repeat(cells), rx.theme.now_line)]
            } else {
                fit(vec![("·".to_owned(), rx.theme.free)], cells, rx.theme.free)
            };
        };
        let selected = self.moving.is_none()
            && booking.bay == self.bay
            && (booking.first_row..=booking.last_row).contains(&self.row);
        let style = if selected {
            rx.theme.selection
        } else {
            state_style(rx.theme, &booking.view.state)
        };
        let label = self.labels.get(&booking.view.id);
        let span = booking.last_row - booking.first_row + 1;
        let offset = row.saturating_sub(booking.first_row);
        let mut pieces = Vec::new();
        match offset {
            0 => {
                pieces.push((
                    format!(
                        "{}{} {} ",
                        if selected { "▸" } else { "" },
                        state_marker(&booking.view.state),
                        safe(&booking.view.service_name)
                    ),
                    style,
                ));
                if span == 1 {
                    pieces.extend(customer_pieces(label, booking.view.walk_in, style, rx));
                }
            }
            1 => {
                pieces.extend(customer_pieces(label, booking.view.walk_in, style, rx));
                if span == 2
                    && let Some(plate) = plate_piece(label, style, rx)
                {
                    pieces.push((" ".to_owned(), style));
                    pieces.push(plate);
                }
            }
            2 => {
                if let Some(plate) = plate_piece(label, style, rx) {
                    pieces.push(plate);
                }
            }
            _ => {}
        }
        if offset > 0 {
            pieces.insert(0, ("  ".to_owned(), style));
        }
        fit(pieces, cells, style)
    }

    fn render_detail(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let line = if let Some(moving) = &self.moving {
            let target = self
                .board
                .rows
                .get(self.row)
                .map(|at| rx.time(*at))
                .unwrap_or_default();
            let bay = self
                .board
                .bays
                .get(self.bay)
                .map(|b| b.name.clone())
                .unwrap_or_default();
            Line::from(Span::styled(
                rx.lang.fill(
                    " Move {service} ({from}) to {bay} at {time}?",
                    &[
                        ("service", &safe(&moving.booking.service_name)),
                        ("from", &booking_time(&moving.booking)),
                        ("bay", &bay),
                        ("time", &target),
                    ],
                ),
                rx.theme.warning,
            ))
        } else if let Some(booking) = self.selected() {
            let view = &booking.view;
            let style = state_style(rx.theme, &view.state);
            let mut spans = vec![
                Span::styled(
                    format!(
                        " {} {} ",
                        state_marker(&view.state),
                        rx.tr(state_word(&view.state))
                    ),
                    style,
                ),
                Span::raw(format!(
                    " {}–{} · {} · {}",
                    rx.time(view.start),
                    rx.time(view.end),
                    safe(&view.bay_name),
                    safe(&view.service_name)
                )),
            ];
            if view.walk_in {
                spans.push(Span::styled(
                    format!(" · {}", rx.tr("walk-in")),
                    rx.theme.muted,
                ));
            }
            let label = self.labels.get(&view.id);
            if label.and_then(|l| l.customer.as_ref()).is_some() {
                spans.push(Span::raw(" · "));
                for (text, style) in customer_pieces(label, view.walk_in, rx.theme.base, rx) {
                    spans.push(Span::styled(text, style));
                }
                if let Some((plate, style)) = plate_piece(label, rx.theme.base, rx) {
                    spans.push(Span::raw(" · "));
                    spans.push(Span::styled(plate, style));
                }
            }
            if let BookingState::Cancelled { reason, .. } = &view.state {
                spans.push(Span::styled(format!(" · {}", safe(reason)), rx.theme.muted));
            }
            Line::from(spans)
        } else if let Some((at, _)) = self.selected_slot() {
            let bay = self
                .board
                .bays
                .get(self.bay)
                .map(|b| b.name.clone())
                .unwrap_or_default();
            let key = rx.key_hint(self.contexts(), Action::NewBooking);
            // Said by the same rule the service books by, so "book it" is never refused.
            let mut text = match (
                self.board.open_until(self.bay, self.row),
                self.board.ready_at(self.bay, self.row),
            ) {
                (Some(until), _) => {
                    let mut text = rx.lang.fill(
                        " {bay} is free at {time}, until {until}.",
                        &[
                            ("bay", &bay),
                            ("time", &rx.time(at)),
                            ("until", &rx.time(until)),
                        ],
                    );
                    if let Some(key) = &key {
                        text.push_str(&rx.lang.fill(" {key}: book it.", &[("key", key)]));
                    }
                    text
                }
                (None, Some(ready)) => rx.lang.fill(
                    " {bay} is being readied for the next car until {time}.",
                    &[("bay", &bay), ("time", &rx.time(ready))],
                ),
                (None, None) => rx.lang.fill(
                    " {bay} cannot take a booking at {time}.",
                    &[("bay", &bay), ("time", &rx.time(at))],
                ),
            };
            if self.board.open_until(self.bay, self.row).is_none()
                && let Some(key) = &key
            {
                text.push_str(&rx.lang.fill(" {key}: book another time.", &[("key", key)]));
            }
            Line::from(Span::styled(text, rx.theme.muted))
        } else {
            Line::default()
        };
        frame.render_widget(Paragraph::new(line), area);
    }

    fn render_panel(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::default()
            .borders(Borders::LEFT)
            .border_style(rx.theme.border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let cells = usize::from(inner.width);
        let legend_rows: u16 = 4;
        let [due_area, legend_area] = Layout::vertical([
            Constraint::Min(1),
            Constraint::Length(legend_rows.min(inner.height / 2)),
        ])
        .areas(inner);
        let mut lines = vec![Line::from(Span::styled(rx.tr("Due next"), rx.theme.header))];
        let room = usize::from(due_area.height).saturating_sub(1);
        if self.due.is_empty() {
            lines.push(Line::from(Span::styled(
                rx.tr("Nobody else is due today."),
                rx.theme.muted,
            )));
        }
        for due in self.due.iter().take(room / 2) {
            let view = &due.view;
            let late = view.start < rx.now;
            let mut first = vec![
                (rx.time(view.start), rx.theme.accent),
                (format!(" {} ", safe(&view.bay_name)), rx.theme.base),
            ];
            if late {
                first.push((rx.tr("late").to_owned(), rx.theme.warning));
            }
            lines.push(Line::from(fit(first, cells, rx.theme.base)));
            let mut second = vec![(format!("  {} ", safe(&view.service_name)), rx.theme.muted)];
            if due
                .label
                .as_ref()
                .and_then(|l| l.customer.as_ref())
                .is_some()
            {
                second.extend(customer_pieces(
                    due.label.as_ref(),
                    view.walk_in,
                    rx.theme.base,
                    rx,
                ));
            }
            lines.push(Line::from(fit(second, cells, rx.theme.base)));
        }
        frame.render_widget(Paragraph::new(lines), due_area);

        let states = [
            BookingState::Booked,
            BookingState::CheckedIn { at: rx.now },
            BookingState::Completed {
                visit: RecordId::from_u128(0),
            },
            BookingState::Cancelled {
                at: rx.now,
                reason: String::new(),
            },
            BookingState::NoShow { at: rx.now },
        ];
        let mut legend: Vec<Line> = Vec::new();
        let mut current: Vec<Span> = Vec::new();
        let mut used = 0;
        for state in &states {
            let text = format!("{} {}", state_marker(state), rx.tr(state_word(state)));
            let cost = width(&text) + 1;
            if used + cost > cells && !current.is_empty() {
                legend.push(Line::from(std::mem::take(&mut current)));
                used = 0;
            }
            current.push(Span::styled(text, state_style(rx.theme, state)));
            current.push(Span::raw(" "));
            used += cost;
        }
        if !current.is_empty() {
            legend.push(Line::from(current));
        }
        frame.render_widget(Paragraph::new(legend), legend_area);
    }
}

impl View for TodayView {
    fn title(&self) -> &'static str {
        "Today"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Today]
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.reload(cx);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        if self.moving.is_some() {
            match action {
                Action::Select | Action::Submit => self.finish_move(cx),
                Action::Back => {
                    self.move_refusal = None;
                    if let Some(moving) = self.moving.take() {
                        (self.bay, self.row) = moving.from;
                    }
                }
                Action::PrevDay | Action::NextDay | Action::ThisDay => {
                    return self.day_action(action, cx);
                }
                other => {
                    if !self.move_cursor(other) {
                        return Handled::No;
                    }
                }
            }
            return Handled::Yes;
        }
        if self.move_cursor(action) {
            return Handled::Yes;
        }
        match action {
            Action::WalkIn => cx.push(WalkInView::new()),
            Action::FindMember => cx.push(MembersView::new()),
            Action::NewBooking => self.new_booking(cx),
            Action::Select => self.open_selected(cx),
            Action::MoveBooking => self.start_move(cx),
            Action::CancelBooking => self.ask_cancel(cx),
            Action::CheckIn => self.check_in(cx),
            Action::NoShow => self.ask_no_show(cx),
            Action::Checkout => self.checkout(cx),
            Action::ShowReceipt => super::receipt::open_for_visit(cx, self.completed_visit()),
            Action::PrevDay | Action::NextDay | Action::ThisDay => {
                return self.day_action(action, cx);
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn on_prompt(&mut self, tag: &'static str, answer: PromptAnswer, cx: &mut Cx) {
        let Some(booking) = self.pending.take() else {
            return;
        };
        let result = match tag {
            CANCEL_TAG => cx
                .service
                .cancel_booking(cx.session, booking, &answer.reason),
            NO_SHOW_TAG => cx.service.mark_no_show(cx.session, booking),
            _ => return,
        };
        match result {
            Ok(done) => {
                cx.changed();
                let text = if tag == CANCEL_TAG {
                    "Booking cancelled; the bay is free again."
                } else {
                    "Marked as no-show; the bay is free again."
                };
                cx.notice(cx.tr(text));
                self.remember_released(done);
                self.reload(cx);
            }
            Err(err) => cx.fail(&err),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let refusal_rows = if self.moving.is_some() && self.move_refusal.is_some() {
            3
        } else {
            0
        };
        let [header, main, refusal, detail] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(refusal_rows),
            Constraint::Length(1),
        ])
        .areas(area);
        if refusal_rows > 0
            && let Some(text) = &self.move_refusal
        {
            frame.render_widget(
                Paragraph::new(Span::styled(format!(" {}", safe(text)), rx.theme.error))
                    .wrap(Wrap { trim: false }),
                refusal,
            );
        }
        self.render_header(frame, header, rx);
        let panel_cells = if area.width >= 160 {
            40
        } else if area.width >= 100 {
            30
        } else {
            24
        };
        let [grid, panel] =
            Layout::horizontal([Constraint::Min(20), Constraint::Length(panel_cells)]).areas(main);
        self.render_grid(frame, grid, rx);
        self.render_panel(frame, panel, rx);
        self.render_detail(frame, detail, rx);
    }
}

impl TodayView {
    fn day_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        let today = Self::today(cx);
        let current = self.day.unwrap_or(today);
        let day = match action {
            Action::PrevDay => current.pred_opt(),
            Action::NextDay => current.succ_opt(),
            _ => Some(today),
        };
        if let Some(day) = day {
            self.go_to_day(day, cx);
        }
        Handled::Yes
    }
}
