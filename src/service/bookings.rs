//! Bookings on bays: create, reschedule, cancel, check in, no-show, walk-in, and "first free
//! slot". The overlap check and the write happen in one write transaction, and redb runs
//! write transactions one at a time, so two sessions can never double-book a bay.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use data_encoding::BASE64;
use zeroize::Zeroizing;

use super::{Caller, Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::domain::access::Operation;
use crate::domain::catalog::{Bay, ServiceItem};
use crate::domain::schedule::{
    BayCalendar, FoldChoice, Interval, ScheduleError, SlotQuery, check_bay_free, conflicts,
    first_free_slot, format_local, format_local_time, next_walk_in, require_slot_grid,
    resolve_local, within_booking_window, within_opening_hours,
};
use crate::ids::RecordId;
use crate::store::records::{BookingRecord, BookingState, ScheduleSettings};
use crate::store::schema::{BAYS, BOOKINGS, MEMBER_BOOKINGS, SERVICES};
use crate::store::{ReadAccess, StoreWriter};
use crate::vault::{FieldContext, Sealed, UnlockedVault};

/// The longest a catalog service may take; bounds how far back an overlap check looks.
const LONGEST_SERVICE_MINUTES: i64 = 8 * 60;

/// A start time as the customer said it, in the shop's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalStart {
    pub local: NaiveDateTime,
    /// Which of the two readings of a repeated (fall-back) hour is meant.
    pub fold: Option<FoldChoice>,
}

#[derive(Debug, Clone)]
pub struct BookingRequest {
    pub member: Option<RecordId>,
    pub vehicle: Option<RecordId>,
    pub service: RecordId,
    /// `None`: the first suitable bay free at that time.
    pub bay: Option<RecordId>,
    pub start: LocalStart,
}

/// A booking as the desk sees it: no personal fields, times already in the shop's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingView {
    pub id: RecordId,
    pub member: Option<RecordId>,
    pub vehicle: Option<RecordId>,
    pub bay: RecordId,
    pub bay_name: String,
    pub service: RecordId,
    pub service_name: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub start_local: String,
    pub end_local: String,
    pub state: BookingState,
    pub walk_in: bool,
}

/// A free slot offered to the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotOffer {
    pub bay: RecordId,
    pub bay_name: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub start_local: String,
}

/// One bay's day as the Today grid draws it, by the same rules a booking is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BayDay {
    pub bay: RecordId,
    /// What holds the bay that day, in start order.
    pub held: Vec<HeldSpan>,
    /// The starts a booking on this bay may take now, in order: only those where at least one
    /// of the bay's services fits before `latest_end`.
    pub open_starts: Vec<OpenStart>,
}

/// A booking holding its bay: from its start until the bay is ready for the next car (the car
/// gone and the buffer after it over; see `held_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldSpan {
    pub booking: RecordId,
    pub start: DateTime<Utc>,
    pub ready_at: DateTime<Utc>,
}

/// A start a new booking may take, and the latest end a service starting there may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenStart {
    pub start: DateTime<Utc>,
    pub latest_end: DateTime<Utc>,
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn invalid(err: impl std::fmt::Display) -> ServiceError {
    ServiceError::invalid(err.to_string())
}

/// The shop's rules and catalog, read once per booking operation.
struct BookingContext {
    tz: Tz,
    schedule: ScheduleSettings,
    service: ServiceItem,
    bays: Vec<Bay>,
}

impl BookingContext {
    fn suitable_bays(&self, wanted: Option<RecordId>) -> Result<Vec<&Bay>, ServiceError> {
        let bays: Vec<&Bay> = self
            .bays
            .iter()
            .filter(|bay| bay.active && bay.serves(self.service.id))
            .filter(|bay| wanted.is_none_or(|id| bay.id == id))
            .collect();
        if bays.is_empty() {
            return Err(ServiceError::invalid(match wanted {
                Some(_) => format!(
                    "that bay does not do {}; choose another bay",
                    self.service.name
                ),
                None => format!(
                    "no active bay does {}; set one up in settings",
                    self.service.name
                ),
            }));
        }
        Ok(bays)
    }

    fn bay_name(&self, bay: RecordId) -> String {
        self.bays
            .iter()
            .find(|b| b.id == bay)
            .map(|b| b.name.clone())
            .unwrap_or_else(|| "?".to_owned())
    }
}

/// How long `booking` keeps its bay as seen at `now`, the buffer after its car included: the
/// one rule behind every bay check (new bookings, moves, walk-ins, first free slot and the Today
/// grid). `None` when it no longer holds the bay at all.
///
/// - booked: its planned time plus the buffer;
/// - checked in: the car is on the bay until it is checked out, so past its planned end while it
///   overruns (but a check-in left open stops blocking the bay `LONGEST_SERVICE_MINUTES` after
///   its start), plus the buffer;
/// - checked out (completed, later voided or not): from its start until the checkout instant,
///   when the car has left and the bay is free again;
/// - cancelled or no-show: nothing.
pub(crate) fn held_by(
    booking: &BookingRecord,
    buffer_minutes: u32,
    now: DateTime<Utc>,
) -> Option<Interval> {
    let planned = Interval::new(booking.start, booking.end).ok()?;
    match booking.state {
        BookingState::Booked => Some(planned.with_buffer(buffer_minutes)),
        BookingState::CheckedIn { .. } => {
            let forgotten = booking.start + Duration::minutes(LONGEST_SERVICE_MINUTES);
            let leaves = booking.end.max(now.min(forgotten));
            Interval::new(booking.start, leaves)
                .ok()
                .map(|on_bay| on_bay.with_buffer(buffer_minutes))
        }
        // A completed booking is never written again after its checkout, so `updated_at` is the
        // moment the car was paid for and left.
        BookingState::Completed { .. } => Interval::new(booking.start, booking.updated_at).ok(),
        BookingState::Cancelled { .. } | BookingState::NoShow { .. } => None,
    }
}

/// What holds `bay` between `from` and `to` as seen at `now` (see [`held_by`]), excluding
/// `except` (a booking being moved).
fn held_near(
    reader: &impl ReadAccess,
    bay: RecordId,
    span: (DateTime<Utc>, DateTime<Utc>),
    except: Option<RecordId>,
    buffer_minutes: u32,
    now: DateTime<Utc>,
) -> Result<Vec<Interval>, ServiceError> {
    let (from, to) = span;
    // A booking starting this long before `from` may still hold the bay at `from`.
    let look_back = Duration::minutes(LONGEST_SERVICE_MINUTES + i64::from(buffer_minutes));
    let mut held = Vec::new();
    for id in reader.bay_bookings_starting(bay, millis(from - look_back), millis(to))? {
        if Some(id) == except {
            continue;
        }
        if let Some(booking) = reader.get::<BookingRecord>(BOOKINGS, id, "booking")?
            && let Some(interval) = held_by(&booking, buffer_minutes, now)
        {
            held.push(interval);
        }
    }
    Ok(held)
}

/// Check-in and checkout act on today's bookings only (the shop's local day): a booking for
/// another day is refused with what to do, whatever screen it was reached from. An early
/// arrival for a later booking today is fine, and so is a booking still running past midnight.
pub(super) fn ensure_today(
    tz: Tz,
    booking: &BookingRecord,
    now: DateTime<Utc>,
    what_to_do: &str,
) -> Result<(), ServiceError> {
    let day = booking.start.with_timezone(&tz).date_naive();
    let today = now.with_timezone(&tz).date_naive();
    let running = booking.start <= now && now < booking.end;
    if day == today || running {
        return Ok(());
    }
    // Short enough for the status line at 80 columns.
    Err(ServiceError::invalid(format!(
        "that booking is for {day}, not today; {what_to_do}"
    )))
}

/// `Bay 2 at 10:30`, with the date when it is not `day`.
fn describe_offer(tz: Tz, day: NaiveDate, bay_name: &str, start: DateTime<Utc>) -> String {
    let shown = if start.with_timezone(&tz).date_naive() == day {
        format_local_time(tz, start)
    } else {
        format_local(tz, start)
    };
    format!("{bay_name} at {shown}")
}

impl Service {
    fn booking_context(&self, service: RecordId) -> Result<BookingContext, ServiceError> {
        let reader = self.store.read()?;
        let service = reader
            .get::<ServiceItem>(SERVICES, service, "service")?
            .filter(|s| s.active)
            .ok_or(ServiceError::NotFound("service"))?;
        Ok(BookingContext {
            tz: self.shop_zone()?,
            schedule: super::sites::site_setting(
                &reader,
                crate::store::schema::META_SCHEDULE,
                self.site,
            )?,
            service,
            bays: self.site_bays(&reader)?,
        })
    }

    fn booking_view(
        &self,
        context_tz: Tz,
        booking: &BookingRecord,
    ) -> Result<BookingView, ServiceError> {
        let reader = self.store.read()?;
        let bay_name = reader
            .get::<Bay>(BAYS, booking.bay, "bay")?
            .map(|b| b.name)
            .unwrap_or_default();
        let service_name = reader
            .get::<ServiceItem>(SERVICES, booking.service, "service")?
            .map(|s| s.name)
            .unwrap_or_default();
        Ok(BookingView {
            id: booking.id,
            member: booking.member,
            vehicle: booking.vehicle,
            bay: booking.bay,
            bay_name,
            service: booking.service,
            service_name,
            start: booking.start,
            end: booking.end,
            start_local: format_local(context_tz, booking.start),
            end_local: format_local(context_tz, booking.end),
            state: match &booking.state {
                BookingState::Cancelled { at, reason } => BookingState::Cancelled {
                    at: *at,
                    reason: self
                        .vault_if_unlocked()
                        .map(|vault| shown_cancel_reason(&vault, booking.id, reason))
                        .unwrap_or_default(),
                },
                other => other.clone(),
            },
            walk_in: booking.walk_in,
        })
    }

    /// Checks the member and vehicle exist and belong together.
    pub(super) fn check_customer(
        &self,
        member: Option<RecordId>,
        vehicle: Option<RecordId>,
    ) -> Result<(), ServiceError> {
        let reader = self.store.read()?;
        if let Some(member) = member {
            reader
                .member(member)?
                .ok_or(ServiceError::NotFound("member"))?;
        }
        if let Some(vehicle) = vehicle {
            let found = reader
                .vehicle(vehicle)?
                .ok_or(ServiceError::NotFound("vehicle"))?;
            if member.is_some_and(|m| m != found.member_id) {
                return Err(ServiceError::invalid(
                    "that vehicle belongs to another member",
                ));
            }
        }
        Ok(())
    }

    /// Validates a requested interval against the shop's rules (not against other bookings).
    fn check_rules(
        &self,
        context: &BookingContext,
        interval: Interval,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let rules = &context.schedule.rules;
        require_slot_grid(rules, context.tz, interval.start()).map_err(invalid)?;
        within_booking_window(rules, context.tz, now, interval.start()).map_err(invalid)?;
        within_opening_hours(
            &context.schedule.hours,
            &context.schedule.closures,
            context.tz,
            interval,
        )
        .map_err(invalid)?;
        Ok(())
    }

    /// Inside a write transaction: the first of `bays` free for `interval`, or the refusal
    /// naming the first bay's held time in the way and the nearest free alternatives.
    fn free_bay_in(
        writer: &StoreWriter,
        context: &BookingContext,
        bays: &[&Bay],
        interval: Interval,
        except: Option<RecordId>,
        now: DateTime<Utc>,
    ) -> Result<RecordId, ServiceError> {
        let buffer = context.schedule.rules.buffer_minutes;
        let span = (
            interval.start() - Duration::minutes(i64::from(buffer)),
            interval.end() + Duration::minutes(i64::from(buffer)),
        );
        let mut refusal = None;
        for bay in bays {
            let held = held_near(writer, bay.id, span, except, buffer, now)?;
            if !conflicts(&held, interval, buffer) {
                return Ok(bay.id);
            }
            if refusal.is_none() {
                refusal = check_bay_free(context.tz, &bay.name, &held, interval, buffer).err();
            }
        }
        let Some(ScheduleError::BayTaken {
            bay,
            from,
            until,
            buffer_minutes,
            ..
        }) = refusal
        else {
            return Err(ServiceError::invalid(
                "that time is already taken on every suitable bay; use \"first free slot\" to find another",
            ));
        };
        let alternatives = Self::nearest_offers(writer, context, interval.start(), except, now)?;
        Err(invalid(ScheduleError::BayTaken {
            bay,
            from,
            until,
            buffer_minutes,
            alternatives,
        }))
    }

    /// The soonest bookable start at or after `from` on each bay that does the service, as
    /// `Bay 2 at 10:30`, soonest first, at most three.
    fn nearest_offers(
        reader: &impl ReadAccess,
        context: &BookingContext,
        from: DateTime<Utc>,
        except: Option<RecordId>,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, ServiceError> {
        let Ok(bays) = context.suitable_bays(None) else {
            return Ok(Vec::new());
        };
        let buffer = context.schedule.rules.buffer_minutes;
        let horizon_end = now + Duration::days(i64::from(context.schedule.rules.horizon_days) + 1);
        let mut offers = Vec::new();
        for bay in bays {
            let calendar = [BayCalendar {
                bay: bay.id,
                held: held_near(
                    reader,
                    bay.id,
                    (from.min(now), horizon_end),
                    except,
                    buffer,
                    now,
                )?,
            }];
            let query = SlotQuery {
                tz: context.tz,
                hours: &context.schedule.hours,
                closures: &context.schedule.closures,
                rules: &context.schedule.rules,
                now,
                from,
                duration_minutes: context.service.duration_minutes,
                bays: &calendar,
            };
            if let Some((_, slot)) = first_free_slot(&query) {
                offers.push((slot.start(), bay.name.clone()));
            }
        }
        offers.sort();
        let day = from.with_timezone(&context.tz).date_naive();
        Ok(offers
            .into_iter()
            .take(3)
            .map(|(start, bay)| describe_offer(context.tz, day, &bay, start))
            .collect())
    }

    /// Books a service for a member (or a guest) at a local time.
    pub fn create_booking(
        &self,
        session: &Session,
        request: BookingRequest,
    ) -> Result<BookingView, ServiceError> {
        let caller = self.authorize(session, Operation::ManageBookings)?;
        self.check_customer(request.member, request.vehicle)?;
        let context = self.booking_context(request.service)?;
        let start =
            resolve_local(context.tz, request.start.local, request.start.fold).map_err(invalid)?;
        let interval = Interval::new(
            start,
            start + Duration::minutes(i64::from(context.service.duration_minutes)),
        )
        .map_err(invalid)?;
        let now = self.clock.now();
        self.check_rules(&context, interval, now)?;
        let bays = context.suitable_bays(request.bay)?;
        let booking = self.insert_booking(
            &caller,
            &context,
            &bays,
            interval,
            request.member,
            request.vehicle,
            false,
            BookingState::Booked,
        )?;
        self.booking_view(context.tz, &booking)
    }

    #[allow(clippy::too_many_arguments)]
    fn insert_booking(
        &self,
        caller: &Caller,
        context: &BookingContext,
        bays: &[&Bay],
        interval: Interval,
        member: Option<RecordId>,
        vehicle: Option<RecordId>,
        walk_in: bool,
        state: BookingState,
    ) -> Result<BookingRecord, ServiceError> {
        let now = self.clock.now();
        let id = RecordId::generate(now, self.entropy.as_ref())?;
        let mut draft = caller.draft(AuditAction::BookingCreated);
        draft.objects = vec![id.to_string()];
        self.write_audited(
            |writer, draft| {
                let bay = Self::free_bay_in(writer, context, bays, interval, None, now)?;
                let booking = BookingRecord {
                    id,
                    member,
                    vehicle,
                    bay,
                    service: context.service.id,
                    start: interval.start(),
                    end: interval.end(),
                    walk_in,
                    state,
                    created_by: caller.staff_id,
                    created_at: now,
                    updated_at: now,
                };
                writer.put(BOOKINGS, id, &booking)?;
                writer.hold_bay(bay, millis(booking.start), id)?;
                if let Some(member) = member {
                    writer.link(MEMBER_BOOKINGS, member, id)?;
                    draft.objects.push(member.to_string());
                }
                draft.objects.push(bay.to_string());
                Ok(booking)
            },
            draft,
        )
    }

    fn load_booking(&self, booking: RecordId) -> Result<BookingRecord, ServiceError> {
        self.store
            .read()?
            .get::<BookingRecord>(BOOKINGS, booking, "booking")?
            .ok_or(ServiceError::NotFound("booking"))
    }

    /// Moves a booking to another time (and optionally bay), checking the new slot like a new
    /// booking would.
    pub fn reschedule_booking(
        &self,
        session: &Session,
        booking: RecordId,
        start: LocalStart,
        bay: Option<RecordId>,
    ) -> Result<BookingView, ServiceError> {
        let caller = self.authorize(session, Operation::ManageBookings)?;
        let mut record = self.load_booking(booking)?;
        if record.state != BookingState::Booked {
            return Err(ServiceError::invalid(format!(
                "only a booked appointment can be moved; this one is {}",
                record.state.as_str()
            )));
        }
        let context = self.booking_context(record.service)?;
        let new_start = resolve_local(context.tz, start.local, start.fold).map_err(invalid)?;
        let interval = Interval::new(
            new_start,
            new_start + Duration::minutes(i64::from(context.service.duration_minutes)),
        )
        .map_err(invalid)?;
        self.check_rules(&context, interval, self.clock.now())?;
        let bays = context.suitable_bays(bay)?;
        let now = self.clock.now();
        let mut draft = caller.draft(AuditAction::BookingRescheduled);
        draft.objects = vec![booking.to_string()];
        draft.fields = vec!["start".into(), "bay".into()];
        let record = self.write_audited(
            |writer, _| {
                let new_bay =
                    Self::free_bay_in(writer, &context, &bays, interval, Some(booking), now)?;
                writer.release_bay(record.bay, millis(record.start))?;
                record.bay = new_bay;
                record.start = interval.start();
                record.end = interval.end();
                record.updated_at = self.clock.now();
                writer.hold_bay(record.bay, millis(record.start), booking)?;
                writer.put(BOOKINGS, booking, &record)?;
                Ok(record)
            },
            draft,
        )?;
        self.booking_view(context.tz, &record)
    }

    /// Changes a booking's state, releasing its bay when it no longer needs it.
    fn transition(
        &self,
        session: &Session,
        booking: RecordId,
        action: AuditAction,
        next: impl FnOnce(&BookingRecord, DateTime<Utc>) -> Result<BookingState, ServiceError>,
    ) -> Result<BookingView, ServiceError> {
        let caller = self.authorize(session, Operation::ManageBookings)?;
        let tz = self.shop_zone()?;
        let now = self.clock.now();
        let mut draft = caller.draft(action);
        draft.objects = vec![booking.to_string()];
        draft.fields = vec!["state".into()];
        let record = self.write_audited(
            |writer, _| {
                let mut record = writer
                    .get::<BookingRecord>(BOOKINGS, booking, "booking")?
                    .ok_or(ServiceError::NotFound("booking"))?;
                let state = next(&record, now)?;
                if record.state.holds_bay() && !state.holds_bay() {
                    writer.release_bay(record.bay, millis(record.start))?;
                }
                record.state = state;
                record.updated_at = now;
                writer.put(BOOKINGS, booking, &record)?;
                Ok(record)
            },
            draft,
        )?;
        self.booking_view(tz, &record)
    }

    pub fn cancel_booking(
        &self,
        session: &Session,
        booking: RecordId,
        reason: &str,
    ) -> Result<BookingView, ServiceError> {
        let reason = crate::domain::sanitize::sanitize_line(reason);
        if reason.is_empty() {
            return Err(ServiceError::invalid(
                "say why the booking is cancelled (e.g. \"customer called\")",
            ));
        }
        let vault = self.unlocked_vault()?;
        let reason: Zeroizing<String> = Zeroizing::new(reason.chars().take(120).collect());
        self.transition(
            session,
            booking,
            AuditAction::BookingCancelled,
            |record, now| match record.state {
                BookingState::Booked | BookingState::CheckedIn { .. } => {
                    Ok(BookingState::Cancelled {
                        at: now,
                        reason: seal_cancel_reason(
                            &vault,
                            record.id,
                            &reason,
                            self.entropy.as_ref(),
                        )?,
                    })
                }
                ref other => Err(ServiceError::invalid(format!(
                    "this booking is already {}",
                    other.as_str()
                ))),
            },
        )
    }

    /// Checks in a car for one of today's bookings.
    pub fn check_in(
        &self,
        session: &Session,
        booking: RecordId,
    ) -> Result<BookingView, ServiceError> {
        let tz = self.shop_zone()?;
        self.transition(
            session,
            booking,
            AuditAction::BookingCheckedIn,
            |record, now| match record.state {
                BookingState::Booked => {
                    ensure_today(tz, record, now, "check in on its day or move it")?;
                    Ok(BookingState::CheckedIn { at: now })
                }
                ref other => Err(ServiceError::invalid(format!(
                    "only a booked appointment can be checked in; this one is {}",
                    other.as_str()
                ))),
            },
        )
    }

    /// Marks a customer who never came; only once their start time has passed.
    pub fn mark_no_show(
        &self,
        session: &Session,
        booking: RecordId,
    ) -> Result<BookingView, ServiceError> {
        self.transition(
            session,
            booking,
            AuditAction::BookingNoShow,
            |record, now| match record.state {
                BookingState::Booked if now >= record.start => Ok(BookingState::NoShow { at: now }),
                BookingState::Booked => Err(ServiceError::invalid(
                    "the appointment has not started yet; mark a no-show after its start time",
                )),
                ref other => Err(ServiceError::invalid(format!(
                    "only a booked appointment can be a no-show; this one is {}",
                    other.as_str()
                ))),
            },
        )
    }

    fn calendars(
        &self,
        reader: &impl ReadAccess,
        context: &BookingContext,
        bays: &[&Bay],
        span: (DateTime<Utc>, DateTime<Utc>),
        now: DateTime<Utc>,
    ) -> Result<Vec<BayCalendar>, ServiceError> {
        let buffer = context.schedule.rules.buffer_minutes;
        bays.iter()
            .map(|bay| {
                Ok(BayCalendar {
                    bay: bay.id,
                    held: held_near(reader, bay.id, span, None, buffer, now)?,
                })
            })
            .collect()
    }

    /// The earliest bookable slot for a service at or after a local time, across all
    /// suitable bays.
    pub fn first_free_slot(
        &self,
        session: &Session,
        service: RecordId,
        from: LocalStart,
    ) -> Result<Option<SlotOffer>, ServiceError> {
        self.authorize(session, Operation::ManageBookings)?;
        let context = self.booking_context(service)?;
        let from = resolve_local(context.tz, from.local, from.fold).map_err(invalid)?;
        let now = self.clock.now();
        let bays = context.suitable_bays(None)?;
        let horizon_end = now + Duration::days(i64::from(context.schedule.rules.horizon_days) + 1);
        let reader = self.store.read()?;
        let calendars =
            self.calendars(&reader, &context, &bays, (from.min(now), horizon_end), now)?;
        let query = SlotQuery {
            tz: context.tz,
            hours: &context.schedule.hours,
            closures: &context.schedule.closures,
            rules: &context.schedule.rules,
            now,
            from,
            duration_minutes: context.service.duration_minutes,
            bays: &calendars,
        };
        Ok(first_free_slot(&query).map(|(bay, interval)| SlotOffer {
            bay,
            bay_name: context.bay_name(bay),
            start: interval.start(),
            end: interval.end(),
            start_local: format_local(context.tz, interval.start()),
        }))
    }

    /// A customer who just drove in: the next free suitable bay, now if possible. If it is
    /// free now the car is checked in straight away.
    pub fn walk_in(
        &self,
        session: &Session,
        member: Option<RecordId>,
        vehicle: Option<RecordId>,
        service: RecordId,
    ) -> Result<BookingView, ServiceError> {
        let caller = self.authorize(session, Operation::ManageBookings)?;
        self.check_customer(member, vehicle)?;
        let context = self.booking_context(service)?;
        let now = self.clock.now();
        let bays = context.suitable_bays(None)?;
        let horizon_end = now + Duration::days(i64::from(context.schedule.rules.horizon_days) + 1);
        let calendars = self.calendars(
            &self.store.read()?,
            &context,
            &bays,
            (now, horizon_end),
            now,
        )?;
        let query = SlotQuery {
            tz: context.tz,
            hours: &context.schedule.hours,
            closures: &context.schedule.closures,
            rules: &context.schedule.rules,
            now,
            from: now,
            duration_minutes: context.service.duration_minutes,
            bays: &calendars,
        };
        let (bay, interval) = next_walk_in(&query).ok_or_else(|| {
            ServiceError::invalid("no suitable bay is free before the booking horizon; take a booking for another day")
        })?;
        let chosen: Vec<&Bay> = bays.into_iter().filter(|b| b.id == bay).collect();
        let state = if interval.start() <= now {
            BookingState::CheckedIn { at: now }
        } else {
            BookingState::Booked
        };
        let booking = self.insert_booking(
            &caller, &context, &chosen, interval, member, vehicle, true, state,
        )?;
        self.booking_view(context.tz, &booking)
    }

    /// Every booking starting on a shop-local day, by bay then time: the "Today" grid.
    pub fn day_bookings(
        &self,
        session: &Session,
        day: NaiveDate,
    ) -> Result<Vec<BookingView>, ServiceError> {
        self.authorize(session, Operation::ManageBookings)?;
        let tz = self.shop_zone()?;
        let start_of = |date: NaiveDate| -> Result<DateTime<Utc>, ServiceError> {
            let midnight = date
                .and_hms_opt(0, 0, 0)
                .ok_or_else(|| ServiceError::invalid("that day does not exist"))?;
            resolve_local(tz, midnight, Some(FoldChoice::Earlier)).map_err(invalid)
        };
        let from = start_of(day)?;
        let to = start_of(
            day.succ_opt()
                .ok_or_else(|| ServiceError::invalid("that day is out of range"))?,
        )?;
        let reader = self.store.read()?;
        let mut views = Vec::new();
        for bay in self.site_bays(&reader)? {
            for id in reader.bay_bookings_starting(bay.id, millis(from), millis(to))? {
                if let Some(booking) = reader.get::<BookingRecord>(BOOKINGS, id, "booking")? {
                    views.push(self.booking_view(tz, &booking)?);
                }
            }
        }
        Ok(views)
    }

    /// Every bay's held times and bookable starts on a shop-local day, as seen now: what the
    /// Today grid draws and offers, so it never offers a slot `create_booking` refuses.
    pub fn bay_days(&self, session: &Session, day: NaiveDate) -> Result<Vec<BayDay>, ServiceError> {
        self.authorize(session, Operation::ManageBookings)?;
        let tz = self.shop_zone()?;
        let now = self.clock.now();
        let reader = self.store.read()?;
        let schedule: ScheduleSettings =
            super::sites::site_setting(&reader, crate::store::schema::META_SCHEDULE, self.site)?;
        let services: Vec<ServiceItem> = reader.all(SERVICES, "service")?;
        let buffer = schedule.rules.buffer_minutes;
        let (from, to) = crate::domain::schedule::local_day_span(tz, day)
            .ok_or_else(|| ServiceError::invalid("that day is out of range"))?;
        let mut days = Vec::new();
        for bay in self.site_bays(&reader)? {
            let look_back = Duration::minutes(LONGEST_SERVICE_MINUTES + i64::from(buffer));
            let mut held = Vec::new();
            let mut held_times = Vec::new();
            // The day's own bookings and any from the evening before still holding the bay.
            for id in reader.bay_bookings_starting(bay.id, millis(from - look_back), millis(to))? {
                if let Some(booking) = reader.get::<BookingRecord>(BOOKINGS, id, "booking")?
                    && let Some(interval) = held_by(&booking, buffer, now)
                    && interval.end() > from
                {
                    held.push(HeldSpan {
                        booking: id,
                        start: interval.start(),
                        ready_at: interval.end(),
                    });
                    held_times.push(interval);
                }
            }
            // The day after may begin with a booking whose front buffer reaches back into it.
            for id in reader.bay_bookings_starting(
                bay.id,
                millis(to),
                millis(to + Duration::minutes(i64::from(buffer) + 1)),
            )? {
                if let Some(booking) = reader.get::<BookingRecord>(BOOKINGS, id, "booking")?
                    && let Some(interval) = held_by(&booking, buffer, now)
                {
                    held_times.push(interval);
                }
            }
            let shortest = services
                .iter()
                .filter(|service| service.active && bay.serves(service.id))
                .map(|service| service.duration_minutes)
                .min();
            let open_starts = match shortest {
                Some(minutes) if bay.active => crate::domain::schedule::open_starts(
                    tz,
                    &schedule.hours,
                    &schedule.closures,
                    &schedule.rules,
                    now,
                    day,
                    &held_times,
                )
                .into_iter()
                .filter(|(start, latest_end)| {
                    *latest_end - *start >= Duration::minutes(i64::from(minutes))
                })
                .map(|(start, latest_end)| OpenStart { start, latest_end })
                .collect(),
                _ => Vec::new(),
            };
            days.push(BayDay {
                bay: bay.id,
                held,
                open_starts,
            });
        }
        Ok(days)
    }

    /// A member's bookings, newest first.
    pub fn member_bookings(
        &self,
        session: &Session,
        member: RecordId,
    ) -> Result<Vec<BookingView>, ServiceError> {
        self.authorize(session, Operation::OpenMember)?;
        let tz = self.shop_zone()?;
        let mut bookings: Vec<BookingRecord> =
            self.store
                .read()?
                .get_linked(MEMBER_BOOKINGS, BOOKINGS, member, "booking")?;
        bookings.sort_by_key(|b| std::cmp::Reverse(b.start));
        bookings.iter().map(|b| self.booking_view(tz, b)).collect()
    }
}

/// Marks a cancel reason kept sealed in the booking record. Typed text never holds a control
/// character, so reasons that earlier versions stored in plain text are still told apart.
const SEALED_REASON_MARK: &str = "\u{0}sealed:";

fn cancel_reason_context(booking: RecordId) -> FieldContext<'static> {
    FieldContext::new("bookings", "cancel_reason", booking)
}

/// A cancel reason may name the customer ("Mrs Li called"), so it is sealed like a note.
fn seal_cancel_reason(
    vault: &UnlockedVault,
    booking: RecordId,
    reason: &str,
    entropy: &dyn crate::entropy::Entropy,
) -> Result<String, ServiceError> {
    let sealed = vault.seal_operational_text(cancel_reason_context(booking), reason, entropy)?;
    Ok(format!(
        "{SEALED_REASON_MARK}{}",
        BASE64.encode(&sealed.to_bytes())
    ))
}

/// The reason as staff typed it; one stored in plain text by an earlier version as it is, and
/// nothing for one that cannot be opened.
pub(super) fn shown_cancel_reason(
    vault: &UnlockedVault,
    booking: RecordId,
    stored: &str,
) -> String {
    let Some(encoded) = stored.strip_prefix(SEALED_REASON_MARK) else {
        return stored.to_owned();
    };
    BASE64
        .decode(encoded.as_bytes())
        .ok()
        .and_then(|bytes| Sealed::from_bytes(&bytes).ok())
        .and_then(|sealed| {
            vault
                .open_operational_text(cancel_reason_context(booking), &sealed)
                .ok()
        })
        .map(|text| text.to_string())
        .unwrap_or_default()
}
