//! Each member's life at the shop, worked out the way the desk would have recorded it: joined
//! at a first visit, then visits (mostly walk-ins), some with a plan or package, points earned
//! by the policy at each checkout, some redeemed, unused lots expired by the nightly run, and
//! the bookings on the bays for the past two weeks and the coming two. Prices go through
//! [`price_checkout`] and points through the ledger's own `plan_*` functions, so every record
//! is what the service would have written.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Days, Duration, Months, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::dice::{Dice, Stream, mix};
use super::people::{Person, person};
use super::shop::{ADD_ONS, Calendar, PLAN_SERVICES, Shop, WALK_IN_MIX, at_ms, local_instant};
use super::till::Till;
use super::{ChunkOut, Context, Spools};
use crate::domain::catalog::PaymentMethod;
use crate::domain::checkout::{CheckoutRequest, LineRequest, Redemption, price_checkout};
use crate::domain::loyalty::{
    LedgerEntry, Wallet, plan_earn, plan_expiry, plan_redeem, points_for, tier_for,
};
use crate::domain::money::Money;
use crate::domain::plans::{Package, Plan, PlanStatus};
use crate::domain::schedule::OpeningHours;
use crate::entropy::Entropy;
use crate::ids::RecordId;
use crate::service::ServiceError;
use crate::service::checkout::day_key;
use crate::service::checkout::main_method;
use crate::service::members::{
    MEMBERS_TABLE, VEHICLES_TABLE, member_index_tokens, plate_tail_token,
};
use crate::store::encode_record;
use crate::store::records::{MemberRecord, MemberStats, SaleKind, VehicleRecord, VisitRecord};
use crate::vault::{BlindIndexKind, FieldContext, MemberKey, Sealed, seal_field};

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
const SLOT_MS: i64 = 15 * MINUTE_MS;

fn bug(what: impl std::fmt::Display) -> ServiceError {
    ServiceError::invalid(format!(
        "the demo generator made an inconsistent record ({what}); this is a bug, please report it"
    ))
}

/// When member `index` of `members` joined, as Unix ms: spread over the shop's open hours,
/// more of them recently (a growing shop), strictly increasing with the index so member ids,
/// numbers and every member-keyed table come out in key order.
pub(super) fn join_ms(calendar: &Calendar, seed: u64, members: u64, index: u64) -> i64 {
    let total = u128::try_from(calendar.total().max(1)).unwrap_or(1);
    let jitter = mix(seed ^ mix(index ^ 0x4A01_4E00)) % 800;
    let numerator = u128::from(index) * 1000 + 100 + u128::from(jitter);
    let denominator = u128::from(members.max(1)) * 1000;
    // Business time ∝ √(position): half the members joined in the last quarter of the time.
    let business = (numerator * total * total / denominator).isqrt();
    calendar.instant(i64::try_from(business).unwrap_or(0))
}

/// The first member (by index) who joined at or after `ms`.
fn members_joined_before(calendar: &Calendar, seed: u64, members: u64, ms: i64) -> u64 {
    let (mut low, mut high) = (0u64, members);
    while low < high {
        let middle = low + (high - low) / 2;
        if join_ms(calendar, seed, members, middle) < ms {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    low
}

#[derive(Clone)]
pub(super) enum Outcome {
    Booked,
    CheckedIn {
        at: DateTime<Utc>,
    },
    Completed {
        checkout_at: DateTime<Utc>,
    },
    NoShow {
        at: DateTime<Utc>,
    },
    Cancelled {
        at: DateTime<Utc>,
        reason: &'static str,
    },
}

/// A booking on the bay calendar, before its member's records exist.
pub(super) struct PlannedBooking {
    pub id: RecordId,
    pub bay: usize,
    pub service: usize,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub walk_in: bool,
    pub member: u64,
    /// Which of the member's cars, modulo how many they have.
    pub car: u64,
    pub by_manager: bool,
    pub outcome: Outcome,
}

const CANCEL_REASONS: &[&str] = &[
    "Customer called to cancel",
    "Rescheduled by phone",
    "Car in the shop for repairs",
    "Rain in the forecast",
];

/// Booking fill per mille for a day `offset` days from today: busy in the past, thinning out
/// towards the end of the booking horizon.
fn fill_per_mille(offset: i64) -> u64 {
    match offset {
        ..0 => 720,
        0 => 680,
        _ => u64::try_from(620 - offset * 36).unwrap_or(100).max(100),
    }
}

/// Round `ms` up to the 15-minute grid that starts at `open`.
fn on_grid(open: i64, ms: i64) -> i64 {
    open + (ms - open + SLOT_MS - 1).div_euclid(SLOT_MS) * SLOT_MS
}

/// Fills the bays for the 14 days before today, today and the 14 after. Each bay takes one
/// car at a time with the booking rules' buffer after it, so no two bookings that hold a bay
/// overlap; cancelled and no-show ones free their slot. Bookings before `as_of` (the end of
/// the history) have their outcome; later ones are still to come.
#[allow(clippy::too_many_arguments)]
pub(super) fn plan_bookings(
    shop: &Shop,
    hours: &OpeningHours,
    buffer_minutes: u32,
    calendar: &Calendar,
    seed: u64,
    members: u64,
    as_of: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Vec<PlannedBooking>, ServiceError> {
    let dice = Dice::new(seed, Stream::Bookings);
    let tz = shop.tz;
    let as_of_ms = as_of.timestamp_millis();
    // A few bookings a day for a small shop (about 14 at 2,000 members); from ~15,000
    // members on the bays are as busy as they get (about 50 a day on the five bays).
    let scale = (6 + members / 100).saturating_mul(1000) / 150;
    let scale = scale.min(1000);
    let buffer_ms = i64::from(buffer_minutes) * MINUTE_MS;
    let mut planned = Vec::new();
    for offset in -14i64..=14 {
        let Some(date) = today.checked_add_signed(Duration::days(offset)) else {
            continue;
        };
        let chance = fill_per_mille(offset) * scale / 1000;
        for period in hours.periods(date.weekday()) {
            let (Some(open), Some(close)) = (
                local_instant(tz, date, period.open),
                local_instant(tz, period.close_date(date), period.close),
            ) else {
                continue;
            };
            let (open, close) = (open.timestamp_millis(), close.timestamp_millis());
            for (bay, mix) in shop.bay_mix.iter().enumerate() {
                let mut start = open;
                while start + SLOT_MS <= close {
                    if !dice.chance(chance)? {
                        start += SLOT_MS;
                        continue;
                    }
                    let service = *dice.weighted_pick(mix)?;
                    let minutes = i64::from(shop.services[service].duration_minutes);
                    let end = start + minutes * MINUTE_MS;
                    if end > close {
                        start += SLOT_MS;
                        continue;
                    }
                    if let Some(booking) = plan_one(
                        &dice, calendar, seed, members, as_of_ms, bay, service, start, end,
                    )? {
                        planned.push(booking);
                    }
                    start = on_grid(open, end + buffer_ms);
                }
            }
        }
    }
    Ok(planned)
}

#[allow(clippy::too_many_arguments)]
fn plan_one(
    dice: &Dice,
    calendar: &Calendar,
    seed: u64,
    members: u64,
    as_of_ms: i64,
    bay: usize,
    service: usize,
    start: i64,
    end: i64,
) -> Result<Option<PlannedBooking>, ServiceError> {
    let past = start <= as_of_ms;
    let walk_in = past && dice.chance(250)?;
    let created = if walk_in {
        start
    } else {
        let lead = dice.between(60, 7 * 24 * 60)? * MINUTE_MS;
        (start - lead).min(as_of_ms - dice.between(0, 180)? * MINUTE_MS)
    };
    let joined = members_joined_before(calendar, seed, members, created);
    if joined == 0 {
        return Ok(None);
    }
    let member = dice.below(joined)?;
    let roll = dice.below(100)?;
    let outcome = if end <= as_of_ms {
        if !walk_in && roll < 6 {
            Outcome::Cancelled {
                at: at_ms(dice.between(created, start - MINUTE_MS)?),
                reason: dice.pick(CANCEL_REASONS)?,
            }
        } else if !walk_in && roll < 10 {
            Outcome::NoShow {
                at: at_ms((start + dice.between(15, 60)? * MINUTE_MS).min(as_of_ms)),
            }
        } else {
            Outcome::Completed {
                checkout_at: at_ms((end + dice.between(0, 300)? * 1000).min(as_of_ms)),
            }
        }
    } else if start <= as_of_ms {
        Outcome::CheckedIn {
            at: at_ms((start - dice.between(0, 8)? * MINUTE_MS).max(created)),
        }
    } else if roll < 5 {
        Outcome::Cancelled {
            at: at_ms(dice.between(created, as_of_ms)?),
            reason: dice.pick(CANCEL_REASONS)?,
        }
    } else {
        Outcome::Booked
    };
    Ok(Some(PlannedBooking {
        id: RecordId::generate(at_ms(created), dice.entropy())?,
        bay,
        service,
        start: at_ms(start),
        end: at_ms(end),
        created_at: at_ms(created),
        walk_in,
        member,
        car: dice.next()?,
        by_manager: dice.chance(150)?,
        outcome,
    }))
}

/// What brought the car in.
#[derive(Clone, Copy)]
enum Source {
    Walk,
    PlanWash,
    PackageWash(usize),
    Booked(usize),
}

/// The first nightly expiry run (03:00 shop time) after `instant`.
fn nightly_after(tz: Tz, instant: DateTime<Utc>) -> DateTime<Utc> {
    let date = instant.with_timezone(&tz).date_naive();
    let three = NaiveTime::from_hms_opt(3, 0, 0).unwrap_or(NaiveTime::MIN);
    match local_instant(tz, date, three) {
        Some(run) if run > instant => run,
        _ => date
            .checked_add_days(Days::new(1))
            .and_then(|next| local_instant(tz, next, three))
            .unwrap_or(instant),
    }
}

/// A member's points book while their history is replayed.
struct Points {
    wallet: Wallet,
    entries: Vec<LedgerEntry>,
    redemptions: u64,
    expiries: u64,
}

impl Points {
    fn apply(&mut self, entry: LedgerEntry, stats: &mut MemberStats) -> Result<(), ServiceError> {
        self.wallet.apply(&entry).map_err(bug)?;
        stats.points_balance += entry.points;
        self.entries.push(entry);
        Ok(())
    }

    /// Runs every nightly expiry due up to `until` (a checkout runs one itself at its time).
    fn expire_until(
        &mut self,
        until: DateTime<Utc>,
        tz: Tz,
        stats: &mut MemberStats,
        entropy: &dyn Entropy,
    ) -> Result<(), ServiceError> {
        while let Some(first) = self.wallet.lots().first().map(|lot| lot.lot.expires_at) {
            if first > until {
                break;
            }
            let run = nightly_after(tz, first).min(until);
            let entries = plan_expiry(&self.wallet, run, entropy).map_err(bug)?;
            if entries.is_empty() {
                break;
            }
            for entry in entries {
                self.expiries += 1;
                self.apply(entry, stats)?;
            }
        }
        Ok(())
    }
}

fn seal(
    key: &MemberKey,
    table: &'static str,
    field: &'static str,
    record: RecordId,
    text: &str,
    entropy: &dyn Entropy,
) -> Result<Sealed, ServiceError> {
    Ok(seal_field(
        key,
        FieldContext::new(table, field, record),
        text.as_bytes(),
        entropy,
    )?)
}

/// The member and vehicle records, sealed exactly as `create_member` and `add_vehicle` seal
/// them, and the blind-index rows they add.
#[allow(clippy::too_many_arguments)]
fn person_records(
    ctx: &Context<'_>,
    person: &Person,
    member: RecordId,
    number: u64,
    joined: DateTime<Utc>,
    vehicle_ids: &[RecordId],
    out: &mut ChunkOut,
    spools: &mut Spools,
) -> Result<(), ServiceError> {
    let keys = ctx.keys;
    let key = MemberKey::generate(keys)?;
    let wrapped_key = ctx.vault.wrap_member_key(&key, member, keys)?;
    let optional = |field: &'static str, text: Option<&str>| {
        text.map(|t| seal(&key, MEMBERS_TABLE, field, member, t, keys))
            .transpose()
    };
    let phone_text = person.phone.as_ref().map(|p| p.to_storage_string());
    let birthday_text = person.birthday.map(|d| d.format("%Y-%m-%d").to_string());
    let index_tokens = member_index_tokens(
        ctx.vault,
        number,
        person.phone.as_ref(),
        person.email.as_deref(),
    );
    let record = MemberRecord {
        id: member,
        member_number: number,
        wrapped_key,
        name: seal(&key, MEMBERS_TABLE, "name", member, &person.name, keys)?,
        phone: optional("phone", phone_text.as_deref())?,
        email: optional("email", person.email.as_deref())?,
        birthday: optional("birthday", birthday_text.as_deref())?,
        notes: optional("notes", person.notes.as_deref())?,
        index_tokens,
        created_at: joined,
        updated_at: joined,
    };
    for token in &record.index_tokens {
        spools.token(token, member)?;
    }
    out.members
        .push((member.as_u128(), encode_record(&record)?));
    for (car, id) in person.cars.iter().zip(vehicle_ids) {
        let added = at_ms(joined.timestamp_millis() + 1);
        let vehicle = VehicleRecord {
            id: *id,
            member_id: member,
            plate: seal(&key, VEHICLES_TABLE, "plate", *id, &car.plate, keys)?,
            plate_token: ctx
                .vault
                .blind_index(BlindIndexKind::Plate, &car.plate)
                .to_bytes(),
            kind: car.kind,
            make_model: Some(car.make_model.clone()),
            colour: Some(car.colour.clone()),
            created_at: added,
            updated_at: added,
        };
        spools.token(&vehicle.plate_token, member)?;
        if let Some(tail) = plate_tail_token(ctx.vault, &car.plate) {
            spools.token(&tail, member)?;
        }
        out.vehicles.push((id.as_u128(), encode_record(&vehicle)?));
        out.member_vehicles.push((member.as_u128(), id.as_u128()));
        out.counts.vehicles += 1;
    }
    Ok(())
}

/// Uniform business time in `from..to` as Unix ms.
fn some_time_between(
    calendar: &Calendar,
    dice: &Dice,
    from: i64,
    to: i64,
) -> Result<i64, ServiceError> {
    let span = u64::try_from(to - from).unwrap_or(0);
    Ok(calendar.instant(from + i64::try_from(dice.below(span)?).unwrap_or(0)))
}

/// Generates member `index`: their person, cars, plan or package, visits, points, and the
/// links of their bookings; every record is encoded into `out` or spooled.
pub(super) fn generate_member(
    ctx: &Context<'_>,
    index: u64,
    out: &mut ChunkOut,
    spools: &mut Spools,
) -> Result<(), ServiceError> {
    let shop = ctx.shop;
    let calendar = ctx.calendar;
    let tz = calendar.tz();
    let dice = Dice::new(ctx.seed, Stream::Member(index));
    let person = person(&dice, ctx.today)?;
    let join = join_ms(calendar, ctx.seed, ctx.members, index);
    let joined = at_ms(join);
    let member = RecordId::generate(joined, dice.entropy())?;
    let number = ctx.number_base + index;
    let mut vehicle_ids = Vec::with_capacity(person.cars.len());
    for _ in &person.cars {
        vehicle_ids.push(RecordId::generate(at_ms(join + 1), dice.entropy())?);
    }
    vehicle_ids.sort_unstable();
    person_records(
        ctx,
        &person,
        member,
        number,
        joined,
        &vehicle_ids,
        out,
        spools,
    )?;

    // When they came: the visit they joined at, then walk-ins at their own rate while they
    // kept coming (a quarter drift away at some point).
    let as_of_ms = ctx.as_of.timestamp_millis();
    let join_b = calendar.business(join);
    let total_b = calendar.total();
    let end_b = if dice.chance(250)? {
        join_b + (total_b - join_b) * i64::try_from(dice.below(1000)?).unwrap_or(0) / 1000
    } else {
        total_b
    };
    let end_ms = calendar.instant(end_b).max(join);
    let active_days = (end_ms - join) / DAY_MS;
    let per_year = dice.between(4, 17)?;
    let walk_ins = per_year * active_days * dice.between(500, 1500)? / (365 * 1000);
    let mut events: Vec<(i64, Source)> = Vec::new();
    events.push((
        (join + dice.between(15, 40)? * MINUTE_MS).min(as_of_ms - 1),
        Source::Walk,
    ));
    for _ in 0..walk_ins {
        events.push((
            some_time_between(calendar, &dice, join_b, end_b)?,
            Source::Walk,
        ));
    }

    // An unlimited plan for a few regulars, bound to their first car.
    let mut plan: Option<(i64, Plan)> = None;
    if !vehicle_ids.is_empty() && active_days >= 45 && dice.chance(45)? {
        let sold = some_time_between(calendar, &dice, join_b, end_b)?;
        let product = dice.pick(&shop.plan_products)?;
        let terms = if product.months_per_term == 1 {
            *dice.pick(&[1u32, 1, 6])?
        } else {
            1
        };
        let months = product.months_per_term * terms;
        let valid_from = at_ms(sold).with_timezone(&tz).date_naive();
        let valid_until = valid_from
            .checked_add_months(Months::new(months))
            .and_then(|d| d.pred_opt())
            .ok_or_else(|| bug("plan dates"))?;
        let record = Plan {
            id: RecordId::generate(at_ms(sold), dice.entropy())?,
            member,
            vehicle: vehicle_ids[0],
            services: product.services.clone(),
            product: Some(product.id),
            months_per_term: product.months_per_term,
            price_per_term: product.price_per_term,
            tax_class: product.tax_class.clone(),
            valid_from,
            valid_until,
            washes_per_day: product.washes_per_day,
            status: PlanStatus::Active,
        };
        let amount = product.price_per_term.checked_mul(terms).map_err(bug)?;
        let sale = super::till::sale_record(
            ctx,
            &dice,
            SaleKind::PlanSold { plan: record.id },
            member,
            product.id,
            amount,
            &product.tax_class,
            at_ms(sold),
        )?;
        spools.sale(ctx, sold, &sale)?;
        record.validate().map_err(bug)?;
        let until = (sold + i64::from(months) * 30 * DAY_MS)
            .min(end_ms)
            .min(as_of_ms);
        let washes = (until - sold) / DAY_MS * dice.between(10, 25)? / 100;
        let (from_b, to_b) = (calendar.business(sold), calendar.business(until));
        for _ in 0..washes {
            events.push((
                some_time_between(calendar, &dice, from_b, to_b)?,
                Source::PlanWash,
            ));
        }
        plan = Some((sold, record));
    }

    // A prepaid package for some, partly or wholly used.
    let mut packages: Vec<(i64, Package)> = Vec::new();
    if dice.chance(55)? {
        let sold = some_time_between(calendar, &dice, join_b, end_b)?;
        let product = dice.pick(&shop.package_products)?;
        let sold_on = at_ms(sold).with_timezone(&tz).date_naive();
        let expires_on = match product.valid_months {
            Some(months) => Some(
                sold_on
                    .checked_add_months(Months::new(months))
                    .ok_or_else(|| bug("package expiry"))?,
            ),
            None => None,
        };
        let washes = product.washes;
        let service = shop
            .services
            .iter()
            .position(|s| s.id == product.service)
            .ok_or_else(|| bug("package service"))?;
        let package = Package {
            id: RecordId::generate(at_ms(sold), dice.entropy())?,
            member,
            service: product.service,
            total: washes,
            remaining: washes,
            expires_on,
        };
        let sale = super::till::sale_record(
            ctx,
            &dice,
            SaleKind::PackageSold {
                package: package.id,
            },
            member,
            product.id,
            product.price,
            &product.tax_class,
            at_ms(sold),
        )?;
        spools.sale(ctx, sold, &sale)?;
        package.validate().map_err(bug)?;
        let uses = dice.below(u64::from(washes) + 3)?;
        let sold_b = calendar.business(sold);
        for _ in 0..uses {
            events.push((
                some_time_between(calendar, &dice, sold_b, end_b.max(sold_b + 1))?,
                Source::PackageWash(service),
            ));
        }
        packages.push((sold, package));
    }

    // The bookings the bay calendar gave this member.
    if let Some(bookings) = ctx.bookings_of.get(&index) {
        for &booking in bookings {
            let planned = &ctx.bookings[booking];
            match planned.outcome {
                Outcome::Completed { checkout_at } => {
                    events.push((checkout_at.timestamp_millis(), Source::Booked(booking)));
                }
                _ => out.booked.push(super::BookingLink {
                    booking,
                    member,
                    vehicle: vehicle_ids
                        .get(usize::try_from(planned.car).unwrap_or(0) % vehicle_ids.len().max(1))
                        .copied(),
                    visit: None,
                }),
            }
        }
    }
    events.sort_by_key(|(at, _)| *at);

    let policy = &shop.policy;
    let point_value = Money::from_minor(policy.point_value_minor());
    let mut stats = MemberStats::default();
    let mut points = Points {
        wallet: Wallet::new(member),
        entries: Vec::new(),
        redemptions: 0,
        expiries: 0,
    };
    let mut plan_usage: BTreeMap<u32, u32> = BTreeMap::new();
    let mut vehicle_visits: Vec<(u128, u128)> = Vec::new();
    for (at, source) in events {
        let now = at_ms(at);
        points.expire_until(now, tz, &mut stats, dice.entropy())?;
        let car_choice = |dice: &Dice| -> Result<usize, ServiceError> {
            if vehicle_ids.len() > 1 && dice.chance(250)? {
                Ok(usize::try_from(dice.below(vehicle_ids.len() as u64)?).unwrap_or(0))
            } else {
                Ok(0)
            }
        };
        let (main, car) = match source {
            Source::Walk => (*dice.weighted_pick(WALK_IN_MIX)?, car_choice(&dice)?),
            Source::PlanWash => (*dice.pick(PLAN_SERVICES)?, 0),
            Source::PackageWash(service) => (service, car_choice(&dice)?),
            Source::Booked(booking) => {
                let planned = &ctx.bookings[booking];
                (
                    planned.service,
                    usize::try_from(planned.car).unwrap_or(0) % vehicle_ids.len().max(1),
                )
            }
        };
        let mut lines = vec![LineRequest {
            service: shop.services[main].clone(),
            quantity: 1,
            price_override: None,
        }];
        if dice.chance(160)? {
            lines.push(LineRequest {
                service: shop.services[*dice.weighted_pick(ADD_ONS)?].clone(),
                quantity: 1,
                price_override: None,
            });
        }
        let vehicle = vehicle_ids.get(car).copied();
        let local_date = now.with_timezone(&tz).date_naive();
        let day = day_key(local_date);
        let plans: Vec<(Plan, u32)> = plan
            .iter()
            .filter(|(sold, _)| *sold <= at)
            .map(|(_, p)| (p.clone(), plan_usage.get(&day).copied().unwrap_or(0)))
            .collect();
        let held: Vec<Package> = packages
            .iter()
            .filter(|(sold, _)| *sold <= at)
            .map(|(_, p)| p.clone())
            .collect();
        let available = points.wallet.available(now);
        let redemption = if available >= 200 && dice.chance(300)? {
            let reward = shop
                .free_washes
                .iter()
                .find(|(_, cost, service)| *service == main && *cost <= available);
            match reward {
                Some((id, cost, service)) if dice.chance(600)? => Some(Redemption::Reward {
                    reward_id: *id,
                    points_cost: *cost,
                    service: Some(shop.services[*service].id),
                }),
                _ => Some(Redemption::Points(
                    dice.between(2, (available / 100).min(20))? * 100,
                )),
            }
        } else {
            None
        };
        let mut request = CheckoutRequest {
            lines,
            vehicle,
            local_date,
            plans,
            packages: held,
            discount: None,
            redemption,
            points_balance: available,
            point_value,
            tax: shop.till.tax.clone(),
        };
        let priced = match price_checkout(&request) {
            Ok(priced) => priced,
            // More points than the bill, or a reward for a covered wash: the cashier would
            // simply not redeem this time.
            Err(_) if request.redemption.is_some() => {
                request.redemption = None;
                price_checkout(&request).map_err(bug)?
            }
            Err(err) => return Err(bug(err)),
        };
        let visit = RecordId::generate(now, dice.entropy())?;
        let mut redeemed = 0;
        let mut redeem_entry = None;
        let mut earn_entry = None;
        if priced.points_used > 0 {
            let entry = plan_redeem(
                &points.wallet,
                priced.points_used,
                Some(visit),
                now,
                dice.entropy(),
            )
            .map_err(bug)?;
            redeem_entry = Some(entry.id);
            points.apply(entry, &mut stats)?;
            points.redemptions += 1;
            redeemed = priced.points_used;
        }
        let tier = tier_for(stats.spend.total(now), policy);
        let earned = points_for(priced.eligible_spend.minor_units(), tier, policy);
        if earned > 0 {
            let entry =
                plan_earn(member, earned, Some(visit), now, policy, dice.entropy()).map_err(bug)?;
            earn_entry = Some(entry.id);
            points.apply(entry, &mut stats)?;
        }
        stats.visits += 1;
        stats.last_visit_at = Some(now);
        stats.spend.add(now, priced.tax.net.minor_units());
        stats.spend.prune(now);
        if !priced.plan_uses.is_empty() {
            *plan_usage.entry(day).or_insert(0) += priced.plan_uses.len() as u32;
        }
        for used in &priced.package_uses {
            if let Some((_, package)) = packages.iter_mut().find(|(_, p)| p.id == *used) {
                package.use_one().map_err(bug)?;
            }
        }
        let settlement = super::till::pay(&dice, priced.amount_due, shop.till.tips)?;
        let payment = main_method(&priced, &settlement, PaymentMethod::Card);
        let till = if dice.chance(150)? {
            Till::Manager
        } else {
            Till::Cashier
        };
        let shift = super::till::shift_id(tz, till, now.with_timezone(&tz).date_naive())?;
        let booking = match source {
            Source::Booked(booking) => {
                out.booked.push(super::BookingLink {
                    booking,
                    member,
                    vehicle,
                    visit: Some(visit),
                });
                Some(ctx.bookings[booking].id)
            }
            _ => None,
        };
        let mut record = VisitRecord {
            id: visit,
            member: Some(member),
            vehicle,
            booking,
            at: now,
            staff: super::till::staff_of(ctx, till),
            settlement,
            priced,
            payment,
            receipt_number: None,
            shift: Some(shift),
            adjustment_reason: None,
            approved_by: None,
            points_earned: earned,
            points_redeemed: redeemed,
            voided: None,
            refunds: Vec::new(),
        };
        // Now and then a customer comes straight back unhappy and a manager refunds part of
        // the bill, through the same rules as the refund screen.
        if record.priced.plan_uses.is_empty()
            && record.priced.package_uses.is_empty()
            && !record.settlement.charged.is_zero()
            && dice.chance(6)?
        {
            let refund = super::till::refund_part(ctx, &dice, &record, shift)?;
            for (entry, points_back) in [
                (redeem_entry, refund.points_restored),
                (earn_entry, refund.points_reversed),
            ] {
                if let Some(entry) = entry.filter(|_| points_back > 0) {
                    let reversal = crate::domain::loyalty::plan_partial_reversal(
                        &points.wallet,
                        entry,
                        points_back,
                        now,
                        dice.entropy(),
                    )
                    .map_err(bug)?;
                    points.apply(reversal, &mut stats)?;
                }
            }
            stats.spend.subtract(now, refund.net.minor_units());
            record.refunds.push(refund);
        }
        spools.visit(ctx, at, &record)?;
        out.member_visits.push((member.as_u128(), visit.as_u128()));
        if let Some(vehicle) = vehicle {
            vehicle_visits.push((vehicle.as_u128(), visit.as_u128()));
        }
        out.counts.visits += 1;
    }
    points.expire_until(ctx.as_of, tz, &mut stats, dice.entropy())?;
    if stats.points_balance != points.wallet.balance() {
        return Err(bug("points balance"));
    }
    vehicle_visits.sort_unstable();
    out.vehicle_visits.extend(vehicle_visits);

    let member_key = member.as_u128();
    for (seq, entry) in points.entries.iter().enumerate() {
        out.ledger
            .push((member_key, seq as u64, encode_record(entry)?));
    }
    out.counts.ledger_entries += points.entries.len() as u64;
    out.counts.redemptions += points.redemptions;
    out.counts.expiries += points.expiries;
    out.stats.push((member_key, encode_record(&stats)?));
    if let Some((_, plan)) = &plan {
        for (day, washes) in &plan_usage {
            spools.plan_usage(plan.id, *day, *washes)?;
        }
        out.plans.push((plan.id.as_u128(), encode_record(plan)?));
        out.member_plans.push((member_key, plan.id.as_u128()));
        out.counts.plans += 1;
    }
    for (_, package) in &packages {
        out.packages
            .push((package.id.as_u128(), encode_record(package)?));
        out.member_packages.push((member_key, package.id.as_u128()));
        out.counts.packages += 1;
    }
    out.counts.members += 1;
    Ok(())
}

/// Which members the bay calendar booked, so each member's generator finds its bookings.
pub(super) fn bookings_by_member(bookings: &[PlannedBooking]) -> HashMap<u64, Vec<usize>> {
    let mut map: HashMap<u64, Vec<usize>> = HashMap::new();
    for (index, booking) in bookings.iter().enumerate() {
        map.entry(booking.member).or_default().push(index);
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn joins_increase_and_nightly_runs_are_at_three() {
        let tz: Tz = super::super::shop::TIMEZONE.parse().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 5, 1, 20, 0, 0).unwrap();
        let first = NaiveDate::from_ymd_opt(2023, 5, 1).unwrap();
        let calendar = Calendar::new(tz, &OpeningHours::standard(), first, now);
        let mut last = i64::MIN;
        for index in 0..2000 {
            let at = join_ms(&calendar, 9, 2000, index);
            assert!(at > last);
            last = at;
        }
        assert!(last < now.timestamp_millis());
        let cut = join_ms(&calendar, 9, 2000, 700);
        assert_eq!(members_joined_before(&calendar, 9, 2000, cut), 700);
        let run = nightly_after(tz, now);
        assert!(run > now && run - now <= Duration::days(1));
        assert_eq!(run.with_timezone(&tz).format("%H:%M").to_string(), "03:00");
    }

    #[test]
    fn the_grid_rounds_up() {
        assert_eq!(on_grid(0, 0), 0);
        assert_eq!(on_grid(0, 1), SLOT_MS);
        assert_eq!(on_grid(100, 100 + SLOT_MS), 100 + SLOT_MS);
    }
}
