//! The daily totals table: one row per shop-local day ([`DayTotals`]), written in the same
//! transaction as the visit, void, refund or sale it summarises, and rebuilt from the visits
//! and sales themselves when an older store is opened (schema 8) or a demo store is filled.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use redb::{ReadableMultimapTable, ReadableTable, WriteTransaction};

use super::StoreError;
use super::codec::{decode, encode};
use super::records::{
    BookingRecord, RefundRecord, SaleKind, SaleRecord, ShopSettings, VehicleRecord, VisitRecord,
};
use super::schema::{
    BOOKINGS, DAILY_TOTALS, MEMBER_VISITS, META, META_SETTINGS, SALES, VEHICLES, VISITS,
};
use super::transactions::{ReadAccess, StoreWriter};
use crate::domain::reports::{DayTotals, SaleType, VisitFacts, Visitor, day_key};
use crate::domain::vehicle::VehicleKind;
use crate::ids::RecordId;

/// What a visit's row needs from other records: the bay its booking held and for how long,
/// the kind of vehicle, and whether it was the member's first visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitContext {
    pub bay: Option<(RecordId, u32)>,
    pub vehicle: Option<VehicleKind>,
    pub visitor: Visitor,
}

/// The shop-local date of an instant, in the zone reports use.
pub fn local_date(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

fn booked_minutes(booking: &BookingRecord) -> u32 {
    u32::try_from((booking.end - booking.start).num_minutes().max(0)).unwrap_or(u32::MAX)
}

/// A visit's context from lookups by id; `first_visit` gives a member's earliest visit.
pub fn visit_context(
    visit: &VisitRecord,
    booking: impl FnOnce(RecordId) -> Result<Option<BookingRecord>, StoreError>,
    vehicle: impl FnOnce(RecordId) -> Result<Option<VehicleRecord>, StoreError>,
    first_visit: impl FnOnce(RecordId) -> Result<Option<RecordId>, StoreError>,
) -> Result<VisitContext, StoreError> {
    let bay = match visit.booking {
        Some(id) => booking(id)?.map(|b| (b.bay, booked_minutes(&b))),
        None => None,
    };
    let vehicle = match visit.vehicle {
        Some(id) => vehicle(id)?.map(|v| v.kind),
        None => None,
    };
    let visitor = match visit.member {
        None => Visitor::Walk,
        Some(member) => match first_visit(member)? {
            Some(first) if first != visit.id => Visitor::ReturningMember,
            _ => Visitor::NewMember,
        },
    };
    Ok(VisitContext {
        bay,
        vehicle,
        visitor,
    })
}

/// [`visit_context`] read through a transaction.
pub fn context_in<R: ReadAccess + ?Sized>(
    reader: &R,
    visit: &VisitRecord,
) -> Result<VisitContext, StoreError> {
    visit_context(
        visit,
        |id| reader.get::<BookingRecord>(BOOKINGS, id, "booking"),
        |id| reader.vehicle(id),
        |member| reader.first_linked(MEMBER_VISITS, member),
    )
}

fn facts<'a>(tz: Tz, visit: &'a VisitRecord, context: &VisitContext) -> VisitFacts<'a> {
    VisitFacts {
        hour: visit.at.with_timezone(&tz).hour(),
        visitor: context.visitor,
        priced: &visit.priced,
        settlement: &visit.settlement,
        covered_by: visit.payment,
        bay: context.bay,
        vehicle: context.vehicle,
        points_earned: visit.points_earned,
        points_redeemed: visit.points_redeemed,
    }
}

fn sale_type(kind: SaleKind) -> SaleType {
    match kind {
        SaleKind::PlanSold { .. } => SaleType::PlanSold,
        SaleKind::PlanRenewed { .. } => SaleType::PlanRenewed,
        SaleKind::PackageSold { .. } => SaleType::PackageSold,
    }
}

/// Adds up records into rows by day key. Refunds are folded on their own day.
#[derive(Debug, Default)]
pub struct DayFold {
    pub days: BTreeMap<u32, DayTotals>,
}

impl DayFold {
    fn day(&mut self, tz: Tz, at: DateTime<Utc>) -> &mut DayTotals {
        self.days.entry(day_key(local_date(tz, at))).or_default()
    }

    /// A visit as it stands now: counted, and if voided taken out again into `voided`.
    pub fn visit(&mut self, tz: Tz, visit: &VisitRecord, context: &VisitContext) {
        let facts = facts(tz, visit, context);
        let day = self.day(tz, visit.at);
        day.add_visit(&facts);
        if visit.voided.is_some() {
            day.void_visit(&facts);
        }
    }

    pub fn refund(&mut self, tz: Tz, refund: &RefundRecord) {
        self.day(tz, refund.at).add_refund(
            refund.amount.minor_units(),
            &refund.tenders,
            &refund.taxes,
        );
    }

    pub fn sale(&mut self, tz: Tz, sale: &SaleRecord) {
        self.day(tz, sale.at).add_sale(
            sale_type(sale.kind),
            &sale.settlement,
            sale.payment,
            &sale.tax.taxes,
        );
    }
}

fn read_row<R: ReadAccess + ?Sized>(reader: &R, key: u32) -> Result<DayTotals, StoreError> {
    Ok(match reader.daily_totals_bytes(key)? {
        Some(bytes) => decode("daily totals", &bytes)?,
        None => DayTotals::default(),
    })
}

fn change_day(
    writer: &mut StoreWriter,
    tz: Tz,
    at: DateTime<Utc>,
    change: impl FnOnce(&mut DayTotals),
) -> Result<(), StoreError> {
    let key = day_key(local_date(tz, at));
    let mut row = read_row(&*writer, key)?;
    change(&mut row);
    writer.put_daily_totals(key, &encode(&row)?)
}

/// In the checkout's transaction, after the visit and its member link are written.
pub fn record_visit(
    writer: &mut StoreWriter,
    tz: Tz,
    visit: &VisitRecord,
) -> Result<(), StoreError> {
    let context = context_in(&*writer, visit)?;
    let facts = facts(tz, visit, &context);
    change_day(writer, tz, visit.at, |day| day.add_visit(&facts))
}

/// In the void's transaction: the visit leaves its own day's figures.
pub fn record_void(
    writer: &mut StoreWriter,
    tz: Tz,
    visit: &VisitRecord,
) -> Result<(), StoreError> {
    let context = context_in(&*writer, visit)?;
    let facts = facts(tz, visit, &context);
    change_day(writer, tz, visit.at, |day| day.void_visit(&facts))
}

/// In the refund's transaction: counted on the day it is given.
pub fn record_refund(
    writer: &mut StoreWriter,
    tz: Tz,
    refund: &RefundRecord,
) -> Result<(), StoreError> {
    change_day(writer, tz, refund.at, |day| {
        day.add_refund(refund.amount.minor_units(), &refund.tenders, &refund.taxes)
    })
}

/// In the sale's transaction.
pub fn record_sale(writer: &mut StoreWriter, tz: Tz, sale: &SaleRecord) -> Result<(), StoreError> {
    change_day(writer, tz, sale.at, |day| {
        day.add_sale(
            sale_type(sale.kind),
            &sale.settlement,
            sale.payment,
            &sale.tax.taxes,
        )
    })
}

/// The shop's zone as the settings name it; UTC for a store without settings or with a zone
/// this build does not know (the service refuses to work in such a store until it is set).
fn shop_zone_in(tx: &WriteTransaction) -> Result<Tz, StoreError> {
    let meta = tx.open_table(META)?;
    let Some(bytes) = meta.get(META_SETTINGS)? else {
        return Ok(Tz::UTC);
    };
    let settings: ShopSettings = decode("settings", bytes.value())?;
    Ok(settings.timezone.parse::<Tz>().unwrap_or(Tz::UTC))
}

/// Replaces every daily row with one built from the visits and sales, inside `tx`: the
/// schema 8 migration and the demo generator. Returns the number of days written.
pub fn rebuild(tx: &WriteTransaction) -> Result<u64, StoreError> {
    let tz = shop_zone_in(tx)?;
    let mut fold = DayFold::default();
    {
        let visits = tx.open_table(VISITS)?;
        let bookings = tx.open_table(BOOKINGS)?;
        let vehicles = tx.open_table(VEHICLES)?;
        let member_visits = tx.open_multimap_table(MEMBER_VISITS)?;
        for row in visits.iter()? {
            let (_, bytes) = row?;
            let visit: VisitRecord = decode("visit", bytes.value())?;
            let context = visit_context(
                &visit,
                |id| {
                    bookings
                        .get(id.as_u128())?
                        .map(|b| decode("booking", b.value()))
                        .transpose()
                },
                |id| {
                    vehicles
                        .get(id.as_u128())?
                        .map(|v| decode("vehicle", v.value()))
                        .transpose()
                },
                |member| {
                    Ok(match member_visits.get(member.as_u128())?.next() {
                        Some(first) => Some(RecordId::from_u128(first?.value())),
                        None => None,
                    })
                },
            )?;
            fold.visit(tz, &visit, &context);
            for refund in &visit.refunds {
                fold.refund(tz, refund);
            }
        }
        let sales = tx.open_table(SALES)?;
        for row in sales.iter()? {
            let (_, bytes) = row?;
            let sale: SaleRecord = decode("sale", bytes.value())?;
            fold.sale(tz, &sale);
        }
    }
    let mut table = tx.open_table(DAILY_TOTALS)?;
    table.retain(|_, _| false)?;
    let mut written = 0;
    for (key, row) in fold.days {
        table.insert(key, encode(&row)?.as_slice())?;
        written += 1;
    }
    Ok(written)
}

/// [`rebuild`] through the store's own reads and writes, so it runs on either engine
/// (a PostgreSQL store has no redb transaction to hand).
pub fn rebuild_through(writer: &mut StoreWriter) -> Result<u64, StoreError> {
    let tz = writer
        .settings()?
        .and_then(|settings| settings.timezone.parse::<Tz>().ok())
        .unwrap_or(Tz::UTC);
    let mut fold = DayFold::default();
    let mut visits = Vec::new();
    writer.scan_by_id(VISITS, &mut |_, bytes| {
        visits.push(decode::<VisitRecord>("visit", bytes)?);
        Ok(())
    })?;
    for visit in &visits {
        let context = context_in(&*writer, visit)?;
        fold.visit(tz, visit, &context);
        for refund in &visit.refunds {
            fold.refund(tz, refund);
        }
    }
    writer.scan_by_id(SALES, &mut |_, bytes| {
        let sale: SaleRecord = decode("sale", bytes)?;
        fold.sale(tz, &sale);
        Ok(())
    })?;
    let mut stale = Vec::new();
    writer
        .daily_totals_between(0, u32::MAX)?
        .into_iter()
        .for_each(|(day, _)| stale.push(day));
    for day in stale {
        writer.delete_daily_totals(day)?;
    }
    let mut written = 0;
    for (key, row) in fold.days {
        writer.put_daily_totals(key, &encode(&row)?)?;
        written += 1;
    }
    Ok(written)
}
