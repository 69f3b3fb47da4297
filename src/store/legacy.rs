//! Record layouts of earlier schemas, kept only to rewrite old files in the current layout.
//! Postcard is not self-describing, so a record gaining a field must be read with its old
//! shape once and written back with the new one.

use chrono::{DateTime, NaiveDate, Utc};
use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;
use super::codec::{decode, encode};
use super::records::{SaleKind, SaleRecord, VisitRecord, VoidRecord};
use super::schema::{PLANS, SALES, SERVICES, VISITS};
use crate::domain::catalog::{PaymentMethod, ServiceCategory, ServiceItem};
use crate::domain::checkout::{PricedCheckout, PricedLine};
use crate::domain::money::Money;
use crate::domain::plans::{Plan, PlanStatus};
use crate::domain::tax::{InvoiceTax, TaxClass, TaxSettings, TaxableLine, tax_invoice};
use crate::domain::tender::{Settlement, Tender};
use crate::ids::RecordId;

#[derive(Deserialize)]
struct ServiceItemV4 {
    id: RecordId,
    name: String,
    category: ServiceCategory,
    duration_minutes: u32,
    price: Money,
    earns_points: bool,
    active: bool,
}

#[derive(Deserialize)]
struct PlanV4 {
    id: RecordId,
    member: RecordId,
    vehicle: RecordId,
    services: Vec<RecordId>,
    price_per_month: Money,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
    washes_per_day: u32,
    status: PlanStatus,
}

#[derive(Deserialize)]
struct PricedCheckoutV4 {
    lines: Vec<PricedLine>,
    subtotal: Money,
    discount: Money,
    points_used: i64,
    points_value: Money,
    total: Money,
    eligible_spend: Money,
    plan_uses: Vec<RecordId>,
    package_uses: Vec<RecordId>,
}

#[derive(Deserialize)]
struct VisitRecordV4 {
    id: RecordId,
    member: Option<RecordId>,
    vehicle: Option<RecordId>,
    booking: Option<RecordId>,
    at: DateTime<Utc>,
    staff: RecordId,
    priced: PricedCheckoutV4,
    payment: PaymentMethod,
    adjustment_reason: Option<String>,
    points_earned: i64,
    points_redeemed: i64,
    voided: Option<VoidRecord>,
}

#[derive(Deserialize)]
struct SaleRecordV4 {
    id: RecordId,
    kind: SaleKind,
    member: RecordId,
    amount: Money,
    payment: PaymentMethod,
    staff: RecordId,
    at: DateTime<Utc>,
}

/// Rewrites services, plans, visits and sales in the schema 5 layout. Shops had no taxes
/// before schema 5, so every old amount is untaxed and was paid in one tender.
pub(super) fn upgrade_records_to_5(tx: &WriteTransaction) -> Result<(), StoreError> {
    rewrite(tx, SERVICES, "service", |old: ServiceItemV4| {
        Ok(ServiceItem {
            id: old.id,
            name: old.name,
            category: old.category,
            duration_minutes: old.duration_minutes,
            price: old.price,
            earns_points: old.earns_points,
            active: old.active,
            tax_class: TaxClass::Standard,
        })
    })?;
    rewrite(tx, PLANS, "plan", |old: PlanV4| {
        Ok(Plan {
            id: old.id,
            member: old.member,
            vehicle: old.vehicle,
            services: old.services,
            product: None,
            months_per_term: 1,
            price_per_term: old.price_per_month,
            tax_class: TaxClass::Standard,
            valid_from: old.valid_from,
            valid_until: old.valid_until,
            washes_per_day: old.washes_per_day,
            status: old.status,
        })
    })?;
    rewrite(tx, VISITS, "visit", |old: VisitRecordV4| {
        let priced = old.priced;
        let taxable: Vec<TaxableLine> = priced
            .lines
            .iter()
            .map(|line| TaxableLine {
                amount: line.amount,
                class: TaxClass::Standard,
            })
            .collect();
        let reduction = priced
            .discount
            .checked_add(priced.points_value)
            .map_err(|err| StoreError::Corrupt(format!("an old visit cannot be read: {err}")))?;
        let tax = tax_invoice(&TaxSettings::default(), &taxable, reduction)
            .map_err(|err| StoreError::Corrupt(format!("an old visit cannot be read: {err}")))?;
        Ok(VisitRecord {
            id: old.id,
            member: old.member,
            vehicle: old.vehicle,
            booking: old.booking,
            at: old.at,
            staff: old.staff,
            settlement: single_tender(old.payment, priced.total),
            priced: PricedCheckout {
                lines: priced.lines,
                subtotal: priced.subtotal,
                discount: priced.discount,
                points_used: priced.points_used,
                points_value: priced.points_value,
                total: priced.total,
                amount_due: priced.total,
                tax,
                eligible_spend: priced.eligible_spend,
                plan_uses: priced.plan_uses,
                package_uses: priced.package_uses,
            },
            payment: old.payment,
            receipt_number: None,
            shift: None,
            adjustment_reason: old.adjustment_reason,
            approved_by: None,
            points_earned: old.points_earned,
            points_redeemed: old.points_redeemed,
            voided: old.voided,
            refunds: Vec::new(),
        })
    })?;
    rewrite(tx, SALES, "sale", |old: SaleRecordV4| {
        Ok(SaleRecord {
            id: old.id,
            kind: old.kind,
            member: old.member,
            amount: old.amount,
            payment: old.payment,
            staff: old.staff,
            at: old.at,
            product: None,
            off_list_reason: None,
            approved_by: None,
            tax: InvoiceTax {
                line_bases: vec![old.amount],
                reduced_total: old.amount,
                net: old.amount,
                amount_due: old.amount,
                ..InvoiceTax::default()
            },
            settlement: single_tender(old.payment, old.amount),
            receipt_number: None,
            shift: None,
        })
    })
}

/// An old bill paid whole by one method.
fn single_tender(payment: PaymentMethod, amount: Money) -> Settlement {
    let tenders = if amount.is_zero() {
        Vec::new()
    } else {
        vec![Tender {
            method: payment,
            amount,
            tendered: None,
            change: Money::ZERO,
        }]
    };
    Settlement {
        tenders,
        tip: Money::ZERO,
        cash_rounding: Money::ZERO,
        charged: amount,
    }
}

fn rewrite<Old: DeserializeOwned, New: Serialize>(
    tx: &WriteTransaction,
    table: TableDefinition<u128, &[u8]>,
    what: &str,
    upgrade: impl Fn(Old) -> Result<New, StoreError>,
) -> Result<(), StoreError> {
    let mut opened = tx.open_table(table)?;
    let mut rewritten = Vec::new();
    for row in opened.iter()? {
        let (id, bytes) = row?;
        let old: Old = decode(what, bytes.value())?;
        rewritten.push((id.value(), encode(&upgrade(old)?)?));
    }
    for (id, bytes) in rewritten {
        opened.insert(id, bytes.as_slice())?;
    }
    Ok(())
}
