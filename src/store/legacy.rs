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
#[cfg_attr(test, derive(Serialize))]
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
#[cfg_attr(test, derive(Serialize))]
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
#[cfg_attr(test, derive(Serialize))]
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
#[cfg_attr(test, derive(Serialize))]
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
#[cfg_attr(test, derive(Serialize))]
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use redb::Database;

    use super::*;
    use crate::store::schema::{META, META_SCHEMA_VERSION, RECEIPTS};
    use crate::store::{ReadAccess, Store};

    const VISIT: u128 = 7;
    const SALE: u128 = 8;
    const PLAN: u128 = 9;
    const SERVICE: u128 = 10;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 18, 0, 0).single().unwrap()
    }

    fn old_visit() -> VisitRecordV4 {
        let line = PricedLine {
            service_id: RecordId::from_u128(SERVICE),
            name: "Basic wash".into(),
            quantity: 2,
            unit_price: Money::from_minor(1250),
            overridden: false,
            covered_by: None,
            amount: Money::from_minor(2500),
        };
        VisitRecordV4 {
            id: RecordId::from_u128(VISIT),
            member: None,
            vehicle: None,
            booking: None,
            at: at(),
            staff: RecordId::from_u128(1),
            priced: PricedCheckoutV4 {
                lines: vec![line],
                subtotal: Money::from_minor(2500),
                discount: Money::from_minor(250),
                points_used: 0,
                points_value: Money::ZERO,
                total: Money::from_minor(2250),
                eligible_spend: Money::from_minor(2250),
                plan_uses: Vec::new(),
                package_uses: Vec::new(),
            },
            payment: PaymentMethod::Cash,
            adjustment_reason: Some("regular".into()),
            points_earned: 22,
            points_redeemed: 0,
            voided: None,
        }
    }

    #[test]
    fn a_schema_4_file_keeps_every_visit_sale_plan_and_service_in_the_new_layout() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path()).unwrap());
        {
            let db = Database::open(Store::file_in(dir.path())).unwrap();
            let tx = db.begin_write().unwrap();
            // A schema 4 file has no till tables.
            tx.delete_table(RECEIPTS).unwrap();
            let put = |table: TableDefinition<u128, &[u8]>, id: u128, bytes: Vec<u8>| {
                tx.open_table(table)
                    .unwrap()
                    .insert(id, bytes.as_slice())
                    .unwrap();
            };
            put(VISITS, VISIT, encode(&old_visit()).unwrap());
            put(
                SALES,
                SALE,
                encode(&SaleRecordV4 {
                    id: RecordId::from_u128(SALE),
                    kind: SaleKind::PlanSold {
                        plan: RecordId::from_u128(PLAN),
                    },
                    member: RecordId::from_u128(2),
                    amount: Money::from_minor(3999),
                    payment: PaymentMethod::Card,
                    staff: RecordId::from_u128(1),
                    at: at(),
                })
                .unwrap(),
            );
            put(
                PLANS,
                PLAN,
                encode(&PlanV4 {
                    id: RecordId::from_u128(PLAN),
                    member: RecordId::from_u128(2),
                    vehicle: RecordId::from_u128(3),
                    services: vec![RecordId::from_u128(SERVICE)],
                    price_per_month: Money::from_minor(3999),
                    valid_from: at().date_naive(),
                    valid_until: at().date_naive(),
                    washes_per_day: 1,
                    status: PlanStatus::Active,
                })
                .unwrap(),
            );
            put(
                SERVICES,
                SERVICE,
                encode(&ServiceItemV4 {
                    id: RecordId::from_u128(SERVICE),
                    name: "Basic wash".into(),
                    category: ServiceCategory::Exterior,
                    duration_minutes: 15,
                    price: Money::from_minor(1250),
                    earns_points: true,
                    active: true,
                })
                .unwrap(),
            );
            tx.open_table(META)
                .unwrap()
                .insert(META_SCHEMA_VERSION, 4u32.to_le_bytes().as_slice())
                .unwrap();
            tx.commit().unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let reader = store.read().unwrap();
        let visit: VisitRecord = reader
            .get(VISITS, RecordId::from_u128(VISIT), "visit")
            .unwrap()
            .unwrap();
        assert_eq!(visit.priced.total, Money::from_minor(2250));
        assert_eq!(visit.priced.amount_due, Money::from_minor(2250));
        assert_eq!(visit.priced.tax.net, Money::from_minor(2250));
        assert_eq!(visit.priced.tax.line_bases, vec![Money::from_minor(2250)]);
        assert_eq!(visit.settlement.charged, Money::from_minor(2250));
        assert_eq!(visit.settlement.tenders.len(), 1);
        assert_eq!(visit.settlement.tenders[0].method, PaymentMethod::Cash);
        assert_eq!(visit.receipt_number, None);
        assert_eq!(visit.adjustment_reason.as_deref(), Some("regular"));
        assert_eq!(visit.points_earned, 22);
        let sale: SaleRecord = reader
            .get(SALES, RecordId::from_u128(SALE), "sale")
            .unwrap()
            .unwrap();
        assert_eq!(sale.settlement.charged, Money::from_minor(3999));
        assert_eq!(sale.product, None);
        let plan: Plan = reader
            .get(PLANS, RecordId::from_u128(PLAN), "plan")
            .unwrap()
            .unwrap();
        assert_eq!(
            (plan.months_per_term, plan.price_per_term),
            (1, Money::from_minor(3999))
        );
        let service: ServiceItem = reader
            .get(SERVICES, RecordId::from_u128(SERVICE), "service")
            .unwrap()
            .unwrap();
        assert_eq!(service.tax_class, TaxClass::Standard);
        assert_eq!(reader.next_receipt_number().unwrap(), 1);
    }
}
