//! `frontdesk verify`'s checks of the takings: every receipt number used once with no gaps,
//! each visit's lines, discounts, tax and rounding adding up to its total, tenders adding up to
//! what was charged, refunds never exceeding what was paid, and every closed drawer's expected
//! cash matching its movements. Nothing here is decrypted.

use std::collections::HashMap;

use crate::domain::catalog::PaymentMethod;
use crate::domain::checkout::PricedCheckout;
use crate::domain::drawer::{CashFlows, MovementKind, Shift, expected_cash};
use crate::domain::money::{Money, MoneyError};
use crate::domain::site::{FIRST_SITE, SiteIndex};
use crate::domain::tax::InvoiceTax;
use crate::domain::tender::{Settlement, Tender};
use crate::ids::RecordId;
use crate::store::records::{ReceiptFor, SaleRecord, VisitRecord};
use crate::store::schema::{META_SITES, SALES, SHIFTS, VISITS};
use crate::store::{ReadAccess, StoreError, StoreReader, decode_record};

/// What the till checks covered, for the verify report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TillCounts {
    pub visits: u64,
    pub sales: u64,
    pub refunds: u64,
    pub receipts: u64,
    pub closed_shifts: u64,
}

/// Receipt numbers claimed by visits, refunds and sales, by site: each site numbers its own.
type Claims = HashMap<(SiteIndex, u64), ReceiptFor>;

/// The site each receipt was issued at, by what it was issued for (only a chain's other
/// sites are kept: anything else is the first site's).
type RecordSites = HashMap<(u8, RecordId, Option<RecordId>), SiteIndex>;

fn receipt_key(what: &ReceiptFor) -> (u8, RecordId, Option<RecordId>) {
    match *what {
        ReceiptFor::Visit(id) => (0, id, None),
        ReceiptFor::Sale(id) => (1, id, None),
        ReceiptFor::Refund { visit, refund } => (2, visit, Some(refund)),
    }
}

fn site_in(sites: &RecordSites, what: &ReceiptFor) -> SiteIndex {
    sites.get(&receipt_key(what)).copied().unwrap_or(FIRST_SITE)
}

/// Cash in and out of one drawer as the visits, sales and refunds recorded it.
#[derive(Default)]
struct DrawerCash {
    sales: Money,
    refunds: Money,
    /// Cash of visits later voided, with when: a void before the drawer closed took the cash
    /// back out of it, one after left the closed count as it was.
    voided: Vec<(chrono::DateTime<chrono::Utc>, Money)>,
}

impl DrawerCash {
    /// Cash sales as the drawer saw them when it closed at `closed_at`.
    fn sales_at_close(&self, closed_at: chrono::DateTime<chrono::Utc>) -> Result<Money, String> {
        let voided = Money::checked_sum(
            self.voided
                .iter()
                .filter(|(at, _)| *at <= closed_at)
                .map(|(_, cash)| *cash),
        )
        .map_err(money)?;
        self.sales.checked_sub(voided).map_err(money)
    }
}

pub(super) fn check_till(reader: &StoreReader) -> Result<TillCounts, String> {
    let fail = |err: StoreError| err.to_string();
    let mut counts = TillCounts::default();
    let mut claimed: Claims = HashMap::new();
    let mut sites = RecordSites::new();
    let chain = chain_sites(reader).map_err(fail)?;
    for site in chain.iter().filter(|site| **site != FIRST_SITE) {
        let mut failure = None;
        reader
            .scan_receipts_at(*site, &mut |_, bytes| match decode_record::<ReceiptFor>(
                "receipt", bytes,
            ) {
                Ok(what) => {
                    sites.insert(receipt_key(&what), *site);
                    true
                }
                Err(err) => {
                    failure = Some(err);
                    false
                }
            })
            .map_err(fail)?;
        if let Some(err) = failure {
            return Err(fail(err));
        }
    }
    let mut drawers: HashMap<RecordId, DrawerCash> = HashMap::new();
    let mut problem: Option<String> = None;
    reader
        .scan_by_id(VISITS, &mut |_, bytes| {
            let visit: VisitRecord = decode_record("visit", bytes)?;
            counts.visits += 1;
            counts.refunds += visit.refunds.len() as u64;
            if problem.is_none() {
                problem = check_visit(&visit, &sites, &mut claimed, &mut drawers)
                    .err()
                    .map(|why| {
                        format!(
                            "visit {}{}: {why}",
                            visit.id,
                            receipt_label(visit.receipt_number)
                        )
                    });
            }
            Ok(())
        })
        .map_err(fail)?;
    if let Some(problem) = problem {
        return Err(problem);
    }
    let mut problem: Option<String> = None;
    reader
        .scan_by_id(SALES, &mut |_, bytes| {
            let sale: SaleRecord = decode_record("sale", bytes)?;
            counts.sales += 1;
            if problem.is_none() {
                problem = check_sale(&sale, &sites, &mut claimed, &mut drawers)
                    .err()
                    .map(|why| {
                        format!(
                            "sale {}{}: {why}",
                            sale.id,
                            receipt_label(sale.receipt_number)
                        )
                    });
            }
            Ok(())
        })
        .map_err(fail)?;
    if let Some(problem) = problem {
        return Err(problem);
    }
    counts.receipts = 0;
    for site in &chain {
        counts.receipts += check_receipt_numbers(reader, *site, &claimed)?;
    }
    if let Some((site, number)) = claimed.keys().find(|(site, _)| !chain.contains(site)) {
        return Err(format!(
            "receipt #{number}{} is on a record of a site the chain does not have",
            of_site(*site)
        ));
    }
    counts.closed_shifts = check_drawers(reader, &drawers)?;
    Ok(counts)
}

fn receipt_label(number: Option<u64>) -> String {
    number.map_or_else(String::new, |n| format!(" (receipt #{n})"))
}

fn money(err: MoneyError) -> String {
    format!("its amounts overflow: {err}")
}

fn claim(
    claimed: &mut Claims,
    site: SiteIndex,
    number: Option<u64>,
    what: ReceiptFor,
) -> Result<(), String> {
    if let Some(number) = number
        && claimed.insert((site, number), what).is_some()
    {
        return Err(format!("receipt #{number}{} is used twice", of_site(site)));
    }
    Ok(())
}

fn check_visit(
    visit: &VisitRecord,
    sites: &RecordSites,
    claimed: &mut Claims,
    drawers: &mut HashMap<RecordId, DrawerCash>,
) -> Result<(), String> {
    let what = ReceiptFor::Visit(visit.id);
    claim(claimed, site_in(sites, &what), visit.receipt_number, what)?;
    check_priced(&visit.priced)?;
    check_settlement(&visit.settlement, visit.priced.amount_due)?;
    if let Some(shift) = visit.shift {
        let cash = drawers.entry(shift).or_default();
        let taken = visit.settlement.cash_taken();
        cash.sales = cash.sales.checked_add(taken).map_err(money)?;
        if let Some(void) = &visit.voided {
            cash.voided.push((void.at, taken));
        }
    }
    let mut refunded = Money::ZERO;
    for refund in &visit.refunds {
        let what = ReceiptFor::Refund {
            visit: visit.id,
            refund: refund.id,
        };
        claim(
            claimed,
            site_in(sites, &what),
            Some(refund.receipt_number),
            what,
        )?;
        let returned =
            Money::checked_sum(refund.tenders.iter().map(|t| t.amount)).map_err(money)?;
        if returned != refund.amount {
            return Err(format!(
                "refund {} gives back {} minor units but its tenders return {}",
                refund.id,
                refund.amount.minor_units(),
                returned.minor_units()
            ));
        }
        refunded = refunded.checked_add(refund.amount).map_err(money)?;
        if let Some(shift) = refund.shift {
            let cash: Money = Money::checked_sum(
                refund
                    .tenders
                    .iter()
                    .filter(|t| t.method == PaymentMethod::Cash)
                    .map(|t| t.amount),
            )
            .map_err(money)?;
            let drawer = drawers.entry(shift).or_default();
            drawer.refunds = drawer.refunds.checked_add(cash).map_err(money)?;
        }
    }
    if refunded > visit.settlement.charged {
        return Err(format!(
            "refunds give back {} minor units, more than the {} paid",
            refunded.minor_units(),
            visit.settlement.charged.minor_units()
        ));
    }
    Ok(())
}

fn check_sale(
    sale: &SaleRecord,
    sites: &RecordSites,
    claimed: &mut Claims,
    drawers: &mut HashMap<RecordId, DrawerCash>,
) -> Result<(), String> {
    let what = ReceiptFor::Sale(sale.id);
    claim(claimed, site_in(sites, &what), sale.receipt_number, what)?;
    if sale.tax.reduced_total != sale.amount {
        return Err(format!(
            "its price is {} minor units but its tax was worked out on {}",
            sale.amount.minor_units(),
            sale.tax.reduced_total.minor_units()
        ));
    }
    check_tax(&sale.tax)?;
    check_settlement(&sale.settlement, sale.tax.amount_due)?;
    if let Some(shift) = sale.shift {
        let cash = drawers.entry(shift).or_default();
        cash.sales = cash
            .sales
            .checked_add(sale.settlement.cash_taken())
            .map_err(money)?;
    }
    Ok(())
}

/// Lines, discount, points and tax add up to the amount due.
fn check_priced(priced: &PricedCheckout) -> Result<(), String> {
    for line in &priced.lines {
        let expected = if line.covered_by.is_some() {
            Money::ZERO
        } else {
            line.unit_price.checked_mul(line.quantity).map_err(money)?
        };
        if line.amount != expected {
            return Err(format!(
                "the line for {} units says {} minor units but {} × {} is {}",
                line.quantity,
                line.amount.minor_units(),
                line.quantity,
                line.unit_price.minor_units(),
                expected.minor_units()
            ));
        }
    }
    let lines = Money::checked_sum(priced.lines.iter().map(|l| l.amount)).map_err(money)?;
    if lines != priced.subtotal {
        return Err(format!(
            "its lines add up to {} minor units but its subtotal says {}",
            lines.minor_units(),
            priced.subtotal.minor_units()
        ));
    }
    let total = priced
        .subtotal
        .checked_sub(priced.discount)
        .and_then(|t| t.checked_sub(priced.points_value))
        .map_err(money)?;
    if total != priced.total {
        return Err(format!(
            "subtotal less discount and points is {} minor units but its total says {}",
            total.minor_units(),
            priced.total.minor_units()
        ));
    }
    if priced.tax.reduced_total != priced.total {
        return Err(format!(
            "its tax was worked out on {} minor units but its total is {}",
            priced.tax.reduced_total.minor_units(),
            priced.total.minor_units()
        ));
    }
    check_tax(&priced.tax)?;
    if priced.amount_due != priced.tax.amount_due {
        return Err(format!(
            "it says {} minor units are due but its tax makes it {}",
            priced.amount_due.minor_units(),
            priced.tax.amount_due.minor_units()
        ));
    }
    Ok(())
}

/// Each tax adds up, and net plus tax is the amount due.
fn check_tax(tax: &InvoiceTax) -> Result<(), String> {
    let taxes = Money::checked_sum(tax.taxes.iter().map(|t| t.amount)).map_err(money)?;
    let bases = Money::checked_sum(tax.line_bases.iter().copied()).map_err(money)?;
    let due = if tax.included {
        tax.reduced_total
    } else {
        tax.reduced_total.checked_add(taxes).map_err(money)?
    };
    let net_and_tax = tax.net.checked_add(taxes).map_err(money)?;
    if taxes != tax.tax_total
        || bases != tax.reduced_total
        || due != tax.amount_due
        || net_and_tax != tax.amount_due
    {
        return Err(format!(
            "its tax does not add up: taxes {} (recorded {}), net {}, amount due {}",
            taxes.minor_units(),
            tax.tax_total.minor_units(),
            tax.net.minor_units(),
            tax.amount_due.minor_units()
        ));
    }
    Ok(())
}

/// Tenders add up to what was charged, which is the amount due plus tip and cash rounding,
/// and change is what was handed over less the cash taken.
fn check_settlement(settlement: &Settlement, amount_due: Money) -> Result<(), String> {
    let tenders = Money::checked_sum(settlement.tenders.iter().map(|t| t.amount)).map_err(money)?;
    let charged = amount_due
        .checked_add(settlement.tip)
        .and_then(|c| c.checked_add(settlement.cash_rounding))
        .map_err(money)?;
    if tenders != settlement.charged || charged != settlement.charged {
        return Err(format!(
            "its tenders add up to {} minor units, it was charged {}, and amount due plus tip and rounding is {}",
            tenders.minor_units(),
            settlement.charged.minor_units(),
            charged.minor_units()
        ));
    }
    for Tender {
        amount,
        tendered,
        change,
        ..
    } in &settlement.tenders
    {
        if let Some(tendered) = tendered
            && tendered.checked_sub(*change).map_err(money)? != *amount
        {
            return Err(format!(
                "{} minor units handed over less {} change is not the {} taken",
                tendered.minor_units(),
                change.minor_units(),
                amount.minor_units()
            ));
        }
    }
    Ok(())
}

/// Receipt numbers run 1, 2, 3, … with no gap, each names the record that carries it, and the
/// counter stands just past the last one.
fn check_receipt_numbers(
    reader: &StoreReader,
    site: SiteIndex,
    claimed: &Claims,
) -> Result<u64, String> {
    let mut expected = 1u64;
    let mut problem = None;
    let at = of_site(site);
    reader
        .scan_receipts_at(site, &mut |number, bytes| {
            if number != expected {
                problem = Some(format!(
                    "receipt numbers{at} jump from {} to {number}; receipt #{} is missing",
                    expected.saturating_sub(1),
                    expected
                ));
                return false;
            }
            match decode_record::<ReceiptFor>("receipt", bytes) {
                Ok(what) if claimed.get(&(site, number)) == Some(&what) => {}
                Ok(_) => {
                    problem = Some(format!(
                        "receipt #{number}{at} is issued for a record that does not carry that number"
                    ));
                    return false;
                }
                Err(err) => {
                    problem = Some(err.to_string());
                    return false;
                }
            }
            expected += 1;
            true
        })
        .map_err(|err| err.to_string())?;
    if let Some(problem) = problem {
        return Err(problem);
    }
    let issued = expected - 1;
    if let Some((_, stray)) = claimed
        .keys()
        .find(|(of, number)| *of == site && *number > issued)
    {
        return Err(format!(
            "receipt #{stray}{at} is on a record but was never issued"
        ));
    }
    let next = reader
        .next_receipt_number_at(site)
        .map_err(|err| err.to_string())?;
    if next != expected {
        return Err(format!(
            "the next receipt number{at} is {next}, but {issued} receipts were issued"
        ));
    }
    Ok(issued)
}

/// Names a site in a message, except the first (a single shop's messages stay as they were).
fn of_site(site: SiteIndex) -> String {
    if site == FIRST_SITE {
        String::new()
    } else {
        format!(" of site {site}")
    }
}

/// Every site index of the chain (the first alone for a single shop).
fn chain_sites(reader: &StoreReader) -> Result<Vec<SiteIndex>, StoreError> {
    let registry: Option<crate::domain::site::SiteRegistry> = reader.meta_record(META_SITES)?;
    Ok(registry.map_or_else(
        || vec![FIRST_SITE],
        |registry| registry.sites.iter().map(|site| site.index).collect(),
    ))
}

/// Every closed drawer's expected cash is its float, plus cash taken, less cash refunded,
/// paid out and dropped; the recorded figures match the visits and sales.
fn check_drawers(
    reader: &StoreReader,
    drawers: &HashMap<RecordId, DrawerCash>,
) -> Result<u64, String> {
    let mut closed = 0;
    let mut problem = None;
    reader
        .scan_by_id(SHIFTS, &mut |_, bytes| {
            let shift: Shift = decode_record("shift", bytes)?;
            if problem.is_some() {
                return Ok(());
            }
            let Some(closing) = &shift.closed else {
                return Ok(());
            };
            closed += 1;
            let zero = DrawerCash::default();
            let cash = drawers.get(&shift.id).unwrap_or(&zero);
            let cash_sales = match cash.sales_at_close(closing.at) {
                Ok(sales) => sales,
                Err(why) => {
                    problem = Some(format!("shift {}: {why}", shift.id));
                    return Ok(());
                }
            };
            let movements = |kind| {
                Money::checked_sum(
                    shift
                        .movements
                        .iter()
                        .filter(|m| m.kind == kind)
                        .map(|m| m.amount),
                )
            };
            let flows = (|| -> Result<CashFlows, MoneyError> {
                Ok(CashFlows {
                    float: shift.float,
                    cash_sales,
                    cash_refunds: cash.refunds,
                    paid_outs: movements(MovementKind::PaidOut)?,
                    drops: movements(MovementKind::Drop)?,
                })
            })();
            let expected = flows
                .map_err(money)
                .and_then(|flows| expected_cash(&flows).map_err(|err| err.to_string()));
            problem = match expected {
                Err(why) => Some(format!("shift {}: {why}", shift.id)),
                Ok(expected)
                    if expected != closing.expected
                        || cash_sales != closing.cash_sales
                        || cash.refunds != closing.cash_refunds =>
                {
                    Some(format!(
                        "shift {} was closed expecting {} minor units in the drawer, but its float and cash movements make {}",
                        shift.id,
                        closing.expected.minor_units(),
                        expected.minor_units()
                    ))
                }
                Ok(_) => None,
            };
            Ok(())
        })
        .map_err(|err| err.to_string())?;
    problem.map_or(Ok(closed), Err)
}
