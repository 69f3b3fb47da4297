//! Refunds of part or all of a visit (a manager, or a cashier with a manager's approval at the
//! counter): what comes back is worked out by [`crate::domain::refund`]; this writes it — the
//! visit's refund record, the member's points ledger and statistics, plan and package uses, a
//! receipt number and the drawer — with its audit entry, in one transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::checkout::day_key;
use super::points::{append_entries, stats_of, wallet_of};
use super::{Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::domain::access::Operation;
use crate::domain::catalog::{PaymentMethod, ServiceItem};
use crate::domain::checkout::{Coverage, PricedCheckout};
use crate::domain::loyalty::{EntryKind, LedgerEntry, plan_partial_reversal};
use crate::domain::money::Money;
use crate::domain::plans::Package;
use crate::domain::receipt::{
    ReceiptHeader, ReceiptLanguage, RefundReceipt as RefundReceiptText, RefundReceiptLine,
    refund_receipt,
};
use crate::domain::refund::{
    PaidVisit, Refund, RefundOptions, RefundRequest, Refundable, compute_refund, line_taxes,
    refund_receipt_lines, refundable,
};
use crate::domain::sanitize::sanitize_line;
use crate::domain::schedule::format_local;
use crate::domain::tax::TaxClass;
use crate::ids::RecordId;
use crate::store::ReadAccess;
use crate::store::daily_totals;
use crate::store::records::{ReceiptFor, RefundRecord, TillSettings, VisitRecord};
use crate::store::schema::{MEMBER_STATS, PACKAGES, SERVICES, VISITS};

/// The longest reason kept with a refund.
const MAX_REASON_CHARS: usize = 200;

/// A refund as the front end asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundInput {
    pub visit: RecordId,
    pub request: RefundRequest,
    /// Required; kept with the refund (never in the audit log, which names no customer).
    pub reason: String,
    /// `None`: back the way it was paid. `Some(Cash)`: all in cash. `Some(Card | Mobile)`: all
    /// to that method, within what it paid.
    pub to_method: Option<PaymentMethod>,
}

/// A refund made, with its receipt.
#[derive(Debug, Clone)]
pub struct RefundReceipt {
    pub visit: RecordId,
    pub refund: RecordId,
    pub receipt_number: u64,
    /// Money, tax, points and uses given back.
    pub given_back: Refund,
    /// The member's points balance afterwards; `None` for a guest.
    pub points_balance: Option<i64>,
    /// Plain text in the shop's receipt language; no personal field beyond the member number.
    pub receipt: String,
}

/// One line of a visit as the refund dialog offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundableLine {
    /// The index a [`crate::domain::refund::RefundedLine`] names.
    pub line: u32,
    pub name: String,
    pub quantity: u32,
    pub units_left: u32,
    pub unit_price: Money,
    /// What the line cost before discounts, points and tax (zero when covered).
    pub amount: Money,
    /// What paid for it instead of money: a plan, a package or a points reward.
    pub covered_by: Option<PaymentMethod>,
}

/// A visit with what is left to refund of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitRefundDetail {
    pub visit: RecordId,
    pub member: Option<RecordId>,
    pub at_local: String,
    pub receipt_number: Option<u64>,
    pub voided: bool,
    /// What the customer was charged, tip and cash rounding included.
    pub charged: Money,
    /// Given back by refunds so far.
    pub refunded: Money,
    /// The most a refund of lines or an amount can still give back (the tip stays).
    pub refundable: Money,
    /// The tip still held; only a refund of the whole visit gives it back.
    pub tip_left: Money,
    pub tax_included: bool,
    pub lines: Vec<RefundableLine>,
    /// What each payment method can still take back, in the order the visit used them.
    pub methods_left: Vec<(PaymentMethod, Money)>,
    /// Nothing is left to refund.
    pub finished: bool,
}

/// What a refund would give back, shown before it is confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundPreview {
    pub given_back: Refund,
    /// The receipt's lines: before tax when prices exclude it, tax included when they include it.
    pub lines: Vec<RefundReceiptLine>,
    pub tax_included: bool,
}

/// The pure part of a stored refund, for working out what is left.
pub(super) fn refund_of(record: &RefundRecord) -> Refund {
    Refund {
        lines: record.lines.clone(),
        net: record.net,
        taxes: record.taxes.clone(),
        amount: record.amount,
        tenders: record.tenders.clone(),
        points_reversed: record.points_reversed,
        points_restored: record.points_restored,
        plan_uses_returned: record.plan_uses_returned.clone(),
        package_uses_returned: record.package_uses_returned.clone(),
    }
}

fn paid(visit: &VisitRecord) -> PaidVisit<'_> {
    PaidVisit {
        priced: &visit.priced,
        settlement: &visit.settlement,
        points_earned: visit.points_earned,
        points_redeemed: visit.points_redeemed,
    }
}

fn earlier_refunds(visit: &VisitRecord) -> Vec<Refund> {
    visit.refunds.iter().map(refund_of).collect()
}

fn invalid(err: impl std::fmt::Display) -> ServiceError {
    ServiceError::invalid(err.to_string())
}

fn refuse_voided(visit: &VisitRecord) -> Result<(), ServiceError> {
    if visit.voided.is_some() {
        return Err(ServiceError::invalid(
            "this visit was voided, so there is nothing to refund",
        ));
    }
    Ok(())
}

/// The tax class of each priced line's service as the catalog has it now (standard for a
/// service no longer there); [`line_taxes`] keeps a class only where it reproduces the visit.
fn line_classes(
    reader: &impl ReadAccess,
    priced: &PricedCheckout,
) -> Result<Vec<TaxClass>, ServiceError> {
    let mut classes = Vec::with_capacity(priced.lines.len());
    for line in &priced.lines {
        let class = reader
            .get::<ServiceItem>(SERVICES, line.service_id, "service")?
            .map(|service| service.tax_class)
            .unwrap_or_default();
        classes.push(class);
    }
    Ok(classes)
}

/// Works out the refund of `visit` asked for, as it stands in `reader`.
fn plan_refund(
    reader: &impl ReadAccess,
    visit: &VisitRecord,
    request: &RefundRequest,
    to_method: Option<PaymentMethod>,
    till: &TillSettings,
) -> Result<Refund, ServiceError> {
    refuse_voided(visit)?;
    let classes = line_classes(reader, &visit.priced)?;
    let taxed = line_taxes(&visit.priced, &classes, &till.tax);
    compute_refund(
        &paid(visit),
        &taxed,
        &earlier_refunds(visit),
        request,
        RefundOptions {
            to_method,
            cash_unit: till.cash_unit,
        },
    )
    .map_err(invalid)
}

fn count_by_id(ids: &[RecordId]) -> BTreeMap<RecordId, u32> {
    let mut counts = BTreeMap::new();
    for id in ids {
        *counts.entry(*id).or_insert(0u32) += 1;
    }
    counts
}

fn covered_method(coverage: Option<Coverage>) -> Option<PaymentMethod> {
    match coverage? {
        Coverage::Plan(_) => Some(PaymentMethod::Plan),
        Coverage::Package(_) => Some(PaymentMethod::Package),
        Coverage::Reward(_) => Some(PaymentMethod::Points),
    }
}

/// The visit's own earn or redeem entry in its member's ledger.
fn visit_entry(entries: &[LedgerEntry], visit: RecordId, kind: EntryKind) -> Option<RecordId> {
    entries
        .iter()
        .find(|entry| entry.visit == Some(visit) && entry.kind == kind)
        .map(|entry| entry.id)
}

impl Service {
    /// A visit's lines with the units left to refund and the money left, for the refund dialog.
    pub fn visit_detail(
        &self,
        session: &Session,
        visit: RecordId,
    ) -> Result<VisitRefundDetail, ServiceError> {
        self.authorize(session, Operation::OpenMember)?;
        let tz = self.shop_zone()?;
        let record = self
            .store
            .read()?
            .get::<VisitRecord>(VISITS, visit, "visit")?
            .ok_or(ServiceError::NotFound("visit"))?;
        let left: Refundable =
            refundable(&paid(&record), &earlier_refunds(&record)).map_err(invalid)?;
        let lines = record
            .priced
            .lines
            .iter()
            .zip(&left.units_left)
            .enumerate()
            .map(|(index, (line, units_left))| RefundableLine {
                line: u32::try_from(index).unwrap_or(u32::MAX),
                name: line.name.clone(),
                quantity: line.quantity,
                units_left: if record.voided.is_some() {
                    0
                } else {
                    *units_left
                },
                unit_price: line.unit_price,
                amount: line.amount,
                covered_by: covered_method(line.covered_by),
            })
            .collect();
        let refunded = Money::checked_sum(record.refunds.iter().map(|refund| refund.amount))
            .map_err(invalid)?;
        Ok(VisitRefundDetail {
            visit,
            member: record.member,
            at_local: format_local(tz, record.at),
            receipt_number: record.receipt_number,
            voided: record.voided.is_some(),
            charged: record.settlement.charged,
            refunded,
            refundable: left.money_without_tip(),
            tip_left: left.tip_left,
            tax_included: record.priced.tax.included,
            lines,
            methods_left: left.methods_left.clone(),
            finished: record.voided.is_some() || left.is_finished(),
        })
    }

    /// What a refund would give back, computed exactly as [`Service::refund_visit`] would,
    /// without making it. Anyone who may open the member may look; making it is the manager's.
    pub fn preview_refund(
        &self,
        session: &Session,
        input: &RefundInput,
    ) -> Result<RefundPreview, ServiceError> {
        self.authorize(session, Operation::OpenMember)?;
        let till = self.till_settings()?;
        let reader = self.store.read()?;
        let record = reader
            .get::<VisitRecord>(VISITS, input.visit, "visit")?
            .ok_or(ServiceError::NotFound("visit"))?;
        let given_back = plan_refund(&reader, &record, &input.request, input.to_method, &till)?;
        let lines = refund_receipt_lines(&record.priced, &given_back).map_err(invalid)?;
        Ok(RefundPreview {
            given_back,
            lines,
            tax_included: record.priced.tax.included,
        })
    }

    /// Refunds chosen lines, an amount, or the whole of a visit, with a reason. Earned points are
    /// reversed and redeemed points restored in proportion, plan and package uses given back,
    /// the member's spend reduced by the net refunded, and the refund gets the next receipt
    /// number. A tip is given back only by a whole refund. A voided visit cannot be refunded,
    /// and a visit with refunds cannot be voided.
    pub fn refund_visit(
        &self,
        session: &Session,
        input: RefundInput,
    ) -> Result<RefundReceipt, ServiceError> {
        let reason: String = sanitize_line(&input.reason)
            .chars()
            .take(MAX_REASON_CHARS)
            .collect();
        if reason.is_empty() {
            return Err(ServiceError::invalid(
                "say why the visit is refunded; the reason is kept with the refund",
            ));
        }
        // A cashier gets here only with a manager's approval, which this call uses up.
        let caller = self.authorize(session, Operation::RefundVisit)?;
        let now = self.clock.now();
        let tz = self.shop_zone()?;
        let till = self.till_settings()?;
        let currency = self.settings()?.currency;
        let refund_id = RecordId::generate(now, self.entropy.as_ref())?;
        let mut draft = caller.draft(AuditAction::VisitRefunded);
        draft.objects = vec![input.visit.to_string(), refund_id.to_string()];
        let (visit, record, member_number, points_balance) = self.write_audited(
            |writer, draft| {
                let mut visit = writer
                    .get::<VisitRecord>(VISITS, input.visit, "visit")?
                    .ok_or(ServiceError::NotFound("visit"))?;
                let given_back =
                    plan_refund(writer, &visit, &input.request, input.to_method, &till)?;
                let mut points_balance = None;
                let mut member_number = None;
                if let Some(member) = visit.member {
                    draft.objects.push(member.to_string());
                    member_number = writer.member_number_of(member)?;
                    let mut stats = stats_of(writer, member)?;
                    let entries =
                        self.refund_ledger_entries(writer, member, &visit, &given_back, now)?;
                    append_entries(writer, member, &mut stats, &entries)?;
                    stats.spend.subtract(visit.at, given_back.net.minor_units());
                    writer.put(MEMBER_STATS, member, &stats)?;
                    points_balance = Some(stats.points_balance);
                }
                let day = day_key(visit.at.with_timezone(&tz).date_naive());
                for (plan, uses) in count_by_id(&given_back.plan_uses_returned) {
                    let used = writer.plan_usage(plan, day)?;
                    writer.set_plan_usage(plan, day, used.saturating_sub(uses))?;
                }
                for (package_id, uses) in count_by_id(&given_back.package_uses_returned) {
                    if let Some(mut package) =
                        writer.get::<Package>(PACKAGES, package_id, "package")?
                    {
                        package.remaining =
                            package.remaining.saturating_add(uses).min(package.total);
                        writer.put(PACKAGES, package_id, &package)?;
                    }
                }
                let receipt_number = writer.issue_receipt_at(
                    self.site,
                    &ReceiptFor::Refund {
                        visit: visit.id,
                        refund: refund_id,
                    },
                )?;
                let shift = self.site_shift(writer, caller.staff_id)?;
                writer.note_for_alerts(crate::domain::alerts::AlertSignal::ShiftAdjustment {
                    amount_minor: given_back.amount.minor_units(),
                });
                let record = RefundRecord {
                    id: refund_id,
                    at: now,
                    by: caller.staff_id,
                    approved_by: caller.approver_id(),
                    reason: reason.clone(),
                    receipt_number,
                    lines: given_back.lines.clone(),
                    net: given_back.net,
                    taxes: given_back.taxes.clone(),
                    amount: given_back.amount,
                    tenders: given_back.tenders.clone(),
                    points_reversed: given_back.points_reversed,
                    points_restored: given_back.points_restored,
                    plan_uses_returned: given_back.plan_uses_returned.clone(),
                    package_uses_returned: given_back.package_uses_returned.clone(),
                    shift,
                };
                visit.refunds.push(record.clone());
                writer.put(VISITS, visit.id, &visit)?;
                daily_totals::record_refund(writer, tz, &record)?;
                draft.add_detail(refund_audit_detail(&record, &currency));
                Ok((visit, record, member_number, points_balance))
            },
            draft,
        )?;
        let receipt = self.refund_receipt_text(&visit, &record, member_number, false)?;
        Ok(RefundReceipt {
            visit: visit.id,
            refund: record.id,
            receipt_number: record.receipt_number,
            given_back: refund_of(&record),
            points_balance,
            receipt,
        })
    }

    /// The ledger entries of one refund for the visit's member: redeemed points put back first,
    /// then earned points taken back (which may then come from the points just restored).
    fn refund_ledger_entries(
        &self,
        writer: &crate::store::StoreWriter,
        member: RecordId,
        visit: &VisitRecord,
        given_back: &Refund,
        now: DateTime<Utc>,
    ) -> Result<Vec<LedgerEntry>, ServiceError> {
        let (mut wallet, entries) = wallet_of(writer, member)?;
        let missing = || {
            ServiceError::invalid(
                "the visit's points are missing from the member's ledger; run `frontdesk verify`",
            )
        };
        let mut planned = Vec::new();
        if given_back.points_restored > 0 {
            let redeem = visit_entry(&entries, visit.id, EntryKind::Redeem).ok_or_else(missing)?;
            let entry = plan_partial_reversal(
                &wallet,
                redeem,
                given_back.points_restored,
                now,
                self.entropy.as_ref(),
            )
            .map_err(invalid)?;
            wallet.apply(&entry).map_err(invalid)?;
            planned.push(entry);
        }
        if given_back.points_reversed > 0 {
            let earn = visit_entry(&entries, visit.id, EntryKind::Earn).ok_or_else(missing)?;
            let entry = plan_partial_reversal(
                &wallet,
                earn,
                given_back.points_reversed,
                now,
                self.entropy.as_ref(),
            )
            .map_err(invalid)?;
            planned.push(entry);
        }
        Ok(planned)
    }

    /// A refund's receipt text in the shop's receipt language, as printed when it was made
    /// (`reprint: false`) or again later.
    pub(super) fn refund_receipt_text(
        &self,
        visit: &VisitRecord,
        refund: &RefundRecord,
        member_number: Option<u64>,
        reprint: bool,
    ) -> Result<String, ServiceError> {
        let settings = self.settings()?;
        let tz = self.shop_zone()?;
        let till = self.till_settings()?;
        let given_back = refund_of(refund);
        let mut lines = refund_receipt_lines(&visit.priced, &given_back).map_err(invalid)?;
        let goods = Money::checked_sum(
            std::iter::once(refund.net).chain(refund.taxes.iter().map(|tax| tax.amount)),
        )
        .map_err(invalid)?;
        if lines.is_empty() && !goods.is_zero() {
            // An amount refunds no line; the receipt still says what the money was for.
            lines.push(RefundReceiptLine {
                name: amount_refunded_label(till.receipt_language).to_owned(),
                quantity: 1,
                amount: if visit.priced.tax.included {
                    goods
                } else {
                    refund.net
                },
            });
        }
        Ok(refund_receipt(
            &ReceiptHeader {
                shop_name: &settings.shop_name,
                currency: &settings.currency,
                when_local: &format_local(tz, refund.at),
                number: Some(refund.receipt_number),
                member_number,
                language: till.receipt_language,
                reprint,
            },
            &RefundReceiptText {
                original: visit.receipt_number,
                lines: &lines,
                net: refund.net,
                taxes: &refund.taxes,
                tax_included: visit.priced.tax.included,
                amount: refund.amount,
                tenders: &refund.tenders,
                points_reversed: refund.points_reversed,
                points_restored: refund.points_restored,
            },
        ))
    }
}

/// The receipt line of a refund of an amount, in the receipt's language.
fn amount_refunded_label(language: ReceiptLanguage) -> &'static str {
    match language {
        ReceiptLanguage::English => "Part of the visit",
        ReceiptLanguage::SimplifiedChinese => "部分退款",
    }
}

/// Ids, amounts and counts only: the audit log names no customer, and the reason (which staff
/// may have written a name into) stays with the refund.
fn refund_audit_detail(
    record: &RefundRecord,
    currency: &crate::domain::currency::Currency,
) -> String {
    let taxes: Vec<String> = record
        .taxes
        .iter()
        .map(|tax| format!("{} {}", tax.name, tax.amount.format(currency)))
        .collect();
    let tenders: Vec<String> = record
        .tenders
        .iter()
        .map(|tender| format!("{} {}", tender.method, tender.amount.format(currency)))
        .collect();
    format!(
        "refund receipt #{}: {} back ({} before tax{}{}), to {}; points reversed {}, restored {}; plan uses {}, package uses {}",
        record.receipt_number,
        record.amount.format(currency),
        record.net.format(currency),
        if taxes.is_empty() { "" } else { ", " },
        taxes.join(", "),
        if tenders.is_empty() {
            "nothing".to_owned()
        } else {
            tenders.join(" + ")
        },
        record.points_reversed,
        record.points_restored,
        record.plan_uses_returned.len(),
        record.package_uses_returned.len(),
    )
}
