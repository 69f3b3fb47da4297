//! Refunds of a paid visit: chosen units of its lines, an amount of money, or the whole visit
//! with its tip. Pure rules in whole minor units; the service stores what these compute, one
//! refund at a time, and hands the earlier ones back in so each refund knows what is left.
//!
//! The rules, in order:
//!
//! 1. **What is left.** Each line's units not yet refunded; the pre-tax part (`net`) and each
//!    tax not yet refunded; the goods money left (`net` plus taxes left); and the money left to
//!    give back: what was `charged` less every earlier refund's `amount`, so the tip and the
//!    visit's cash rounding are in it. A visit is finished when no unit and no money is left.
//! 2. **Lines.** A unit of line `i` carries `base_i / quantity_i` of the line's base (its amount
//!    after its share of discount and points: before tax when prices exclude tax, tax included
//!    when they include it), floored per line with [`prorate`]. Each tax `t` is refunded as
//!    `floor(tax_t × refunded base it applies to / tax_t's base)`. Exclusive prices: the net is
//!    the refunded base and the money is net plus taxes; inclusive prices: the money is the
//!    refunded base and the net is that less the taxes. Should that pass what is left (earlier
//!    amount refunds took value from every line), the money is shared out again over the net and
//!    taxes still left, as for an amount.
//! 3. **Amount.** An amount of money, at most what is left without the tip, shared out over the
//!    net and taxes still left in proportion (largest remainders, so each part stays within what
//!    is left of it). It refunds no units, so it returns no plan or package use.
//! 4. **The refund that leaves no goods money takes exactly what is left**: the rest of the net
//!    and of each tax, and all the money left except the tip — the visit's cash rounding
//!    included. So a visit refunded in pieces gives back exactly what was paid; no minor unit is
//!    lost to the flooring of the earlier pieces. Refunding every unit left, or an amount equal
//!    to all that is left, is such a refund.
//! 5. **Whole.** Every unit left and all the money left, the tip included. A tip is given back
//!    only this way: it was the staff's, not the price of a line, so refunding lines or an
//!    amount never touches it.
//! 6. **Points.** Earned points are reversed in proportion to the net refunded, floored and
//!    counted over all the visit's refunds: after a refund, `floor(earned × net refunded so far /
//!    visit net)` are reversed in total, so no refund reverses more than was earned less what
//!    earlier refunds reversed, and the refund that finishes the net reverses the rest. Redeemed
//!    points come back the same way: for points taken off the bill, in proportion to the net (or,
//!    when points and discounts paid for everything, to the refunded share of the line amounts);
//!    for a reward that paid for a unit, with that unit; for a reward given as a gift, when every
//!    unit is refunded. Refunding every unit left (or the whole visit) reverses and restores
//!    everything still outstanding.
//! 7. **Plan and package uses.** One use back per covered unit refunded.
//! 8. **Where the money goes.** By default back the way it came: card and mobile first, in the
//!    order the visit used them, each at most what it paid less what earlier refunds sent back to
//!    it, then cash. A manager may send it all to cash, or all to one method the visit was paid
//!    with (within what that method has left). When the shop rounds cash, the cash part of a
//!    refund that leaves goods money behind is rounded to the cash unit like a sale's (nearest,
//!    halves up; down when up would pass what is left), and the amount follows it, so a
//!    refund's tenders always add up to its amount. The refund that takes what is left is never
//!    rounded: it gives back exactly the rest.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::domain::catalog::PaymentMethod;
use crate::domain::checkout::{Coverage, PricedCheckout};
use crate::domain::money::{Money, MoneyError};
use crate::domain::receipt::RefundReceiptLine;
use crate::domain::tax::{TaxAmount, TaxClass, TaxError, TaxSettings, prorate};
use crate::domain::tender::{Settlement, Tender, TenderError, round_cash};
use crate::ids::RecordId;

/// Units of one priced line given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundedLine {
    /// Index into the visit's `priced.lines`.
    pub line: u32,
    pub quantity: u32,
}

/// What the manager asks to give back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundRequest {
    /// These units of these lines (a line may be named more than once; the units add up).
    Lines(Vec<RefundedLine>),
    /// This much money, without units.
    Amount(Money),
    /// Everything left, the tip included.
    Whole,
}

/// The paid visit a refund is taken from, as it was stored when it was paid.
#[derive(Debug, Clone, Copy)]
pub struct PaidVisit<'a> {
    pub priced: &'a PricedCheckout,
    pub settlement: &'a Settlement,
    pub points_earned: i64,
    pub points_redeemed: i64,
}

/// How the money goes back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefundOptions {
    /// `None`: back the way it was paid. `Some(Cash)`: all in cash (a manager's choice).
    /// `Some(Card)` or `Some(Mobile)`: all to that method, within what it has left.
    pub to_method: Option<PaymentMethod>,
    /// The shop's cash unit (5 for 0.05 CAD); `None` rounds nothing.
    pub cash_unit: Option<Money>,
}

/// What one refund gives back. The stored refund record keeps exactly these, beside who made
/// it, when, why and its receipt number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// The units given back, by line, in line order; empty for an amount.
    pub lines: Vec<RefundedLine>,
    /// The pre-tax part given back.
    pub net: Money,
    /// Each tax given back, in the visit's order; `base` is the part of that tax's base refunded.
    pub taxes: Vec<TaxAmount>,
    /// The money the customer gets back: `net` plus the taxes, adjusted by cash rounding, and
    /// for the refund that takes what is left, the visit's cash rounding (and, for a whole
    /// refund, the tip) too. Always `Σ tenders[].amount`.
    pub amount: Money,
    pub tenders: Vec<Tender>,
    /// Earned points this refund accounts as reversed (the ledger may take fewer when the
    /// member already spent them, and says so in its entry).
    pub points_reversed: i64,
    /// Redeemed points put back.
    pub points_restored: i64,
    /// One entry per plan use given back (an id repeats for several).
    pub plan_uses_returned: Vec<RecordId>,
    /// One entry per package wash given back.
    pub package_uses_returned: Vec<RecordId>,
}

/// What is still left to refund of a visit after its earlier refunds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refundable {
    /// Per priced line, the units not yet refunded.
    pub units_left: Vec<u32>,
    pub net_left: Money,
    /// Per visit tax, in the visit's order: the base and the amount not yet refunded.
    pub taxes_left: Vec<TaxAmount>,
    /// `net_left` plus the taxes left.
    pub goods_left: Money,
    /// All money not yet given back: `charged` less every earlier refund's amount.
    pub money_left: Money,
    /// The part of `money_left` that is the tip, given back only by a whole refund.
    pub tip_left: Money,
    /// What each payment method can still take back, in the order the visit used them.
    pub methods_left: Vec<(PaymentMethod, Money)>,
    /// Earned points already reversed and redeemed points already restored.
    pub points_reversed: i64,
    pub points_restored: i64,
    /// The net already refunded.
    pub net_refunded: Money,
}

impl Refundable {
    /// The most a refund of lines or an amount can give back (the tip stays).
    pub fn money_without_tip(&self) -> Money {
        Money::from_minor(
            self.money_left
                .minor_units()
                .saturating_sub(self.tip_left.minor_units())
                .max(0),
        )
    }

    /// Nothing is left: no unit, no money.
    pub fn is_finished(&self) -> bool {
        self.money_left.is_zero() && self.units_left.iter().all(|units| *units == 0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    #[error(
        "everything on this visit has already been refunded; there is nothing left to give back"
    )]
    NothingLeft,
    #[error("choose at least one line and how many of its units to refund")]
    NoLines,
    #[error("the visit has no line {line}; choose one of its lines")]
    UnknownLine { line: usize },
    #[error("refund at least 1 unit of line {line}, or leave the line out")]
    ZeroUnits { line: usize },
    #[error(
        "line {line} has only {left} unit(s) left to refund, not {asked}; refund at most {left}"
    )]
    TooManyUnits { line: usize, asked: u32, left: u32 },
    #[error("a refund amount must be more than zero")]
    AmountNotPositive,
    #[error(
        "that is more than is left to refund on this visit (a tip is refunded only with the whole visit); enter at most the amount left"
    )]
    AmountTooLarge { asked: Money, most: Money },
    #[error("{method} is not money and cannot take a refund; refund to card, mobile or cash")]
    NotAMoneyMethod { method: PaymentMethod },
    #[error(
        "{method} cannot take back that much on this visit (it paid less); send the money back the way it was paid, or in cash"
    )]
    MethodShort { method: PaymentMethod, most: Money },
    #[error("this refund would give nothing back; choose lines or an amount")]
    NothingToRefund,
    #[error(
        "the visit's stored figures do not add up ({problem}); run `frontdesk verify` before refunding it"
    )]
    Inconsistent { problem: &'static str },
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error(transparent)]
    Tax(#[from] TaxError),
}

impl From<TenderError> for RefundError {
    fn from(error: TenderError) -> Self {
        match error {
            TenderError::Money(money) => RefundError::Money(money),
            _ => RefundError::Inconsistent {
                problem: "the cash unit cannot round a refund",
            },
        }
    }
}

fn inconsistent(problem: &'static str) -> RefundError {
    RefundError::Inconsistent { problem }
}

/// Which of the visit's taxes (`priced.tax.taxes`, by position) applied to each priced line.
///
/// A visit keeps each tax's base but not each line's tax class, so this takes the classes of
/// the lines' services and the shop's taxes as they are now, and keeps them only for a tax whose
/// stored base they reproduce exactly. A tax they do not reproduce (its classes or the shop's
/// taxes changed since) is treated as applying to every line, so a refund of lines takes it in
/// proportion to the whole visit.
pub fn line_taxes(
    priced: &PricedCheckout,
    classes: &[TaxClass],
    settings: &TaxSettings,
) -> Vec<Vec<bool>> {
    let lines = priced.lines.len();
    let mut membership = vec![vec![true; priced.tax.taxes.len()]; lines];
    for (tax_index, tax) in priced.tax.taxes.iter().enumerate() {
        let wanted = tax.name.to_lowercase();
        let Some(shop_index) = settings
            .taxes
            .iter()
            .position(|rate| rate.name.to_lowercase() == wanted)
        else {
            continue;
        };
        let applies: Vec<bool> = (0..lines)
            .map(|line| {
                let class = classes.get(line).cloned().unwrap_or_default();
                settings.applies(&class, shop_index)
            })
            .collect();
        let base: i128 = applies
            .iter()
            .zip(&priced.tax.line_bases)
            .filter(|(applies, _)| **applies)
            .map(|(_, base)| i128::from(base.minor_units()))
            .sum();
        if base == i128::from(tax.base.minor_units()) {
            for (line, applies) in applies.into_iter().enumerate() {
                membership[line][tax_index] = applies;
            }
        }
    }
    membership
}

/// What is left of `visit` after `earlier` refunds, checking that they fit within it.
pub fn refundable(visit: &PaidVisit<'_>, earlier: &[Refund]) -> Result<Refundable, RefundError> {
    let priced = visit.priced;
    if priced.tax.line_bases.len() != priced.lines.len() {
        return Err(inconsistent(
            "its tax has a base for a different number of lines",
        ));
    }
    let mut units_left: Vec<u32> = priced.lines.iter().map(|line| line.quantity).collect();
    let mut net_left = priced.tax.net;
    let mut taxes_left: Vec<TaxAmount> = priced.tax.taxes.clone();
    let mut money_left = visit.settlement.charged;
    let mut refunded_by_method: HashMap<PaymentMethod, Money> = HashMap::new();
    let mut points_reversed = 0i64;
    let mut points_restored = 0i64;
    let mut net_refunded = Money::ZERO;
    for refund in earlier {
        for line in &refund.lines {
            let left = usize::try_from(line.line)
                .ok()
                .and_then(|index| units_left.get_mut(index))
                .ok_or(inconsistent(
                    "an earlier refund names a line the visit does not have",
                ))?;
            *left = left.checked_sub(line.quantity).ok_or(inconsistent(
                "earlier refunds give back more units than were sold",
            ))?;
        }
        net_left = net_left.checked_sub(refund.net)?;
        net_refunded = net_refunded.checked_add(refund.net)?;
        for tax in &refund.taxes {
            let left = taxes_left
                .iter_mut()
                .find(|left| left.name == tax.name)
                .ok_or(inconsistent(
                    "an earlier refund gives back a tax the visit did not charge",
                ))?;
            left.amount = left.amount.checked_sub(tax.amount)?;
            left.base = left.base.checked_sub(tax.base)?;
        }
        money_left = money_left.checked_sub(refund.amount)?;
        for tender in &refund.tenders {
            let sent = refunded_by_method
                .entry(tender.method)
                .or_insert(Money::ZERO);
            *sent = sent.checked_add(tender.amount)?;
        }
        points_reversed = points_reversed
            .checked_add(refund.points_reversed)
            .ok_or(inconsistent("earlier refunds reverse too many points"))?;
        points_restored = points_restored
            .checked_add(refund.points_restored)
            .ok_or(inconsistent("earlier refunds restore too many points"))?;
    }
    if net_left.is_negative()
        || money_left.is_negative()
        || taxes_left
            .iter()
            .any(|tax| tax.amount.is_negative() || tax.base.is_negative())
    {
        return Err(inconsistent(
            "earlier refunds give back more than the visit was paid",
        ));
    }
    if !(0..=visit.points_earned.max(0)).contains(&points_reversed)
        || !(0..=visit.points_redeemed.max(0)).contains(&points_restored)
    {
        return Err(inconsistent(
            "earlier refunds move more points than the visit did",
        ));
    }
    let goods_left = Money::checked_sum(
        std::iter::once(net_left).chain(taxes_left.iter().map(|tax| tax.amount)),
    )?;
    let mut methods_left: Vec<(PaymentMethod, Money)> = Vec::new();
    for (method, paid) in visit.settlement.by_method() {
        let sent = refunded_by_method
            .get(&method)
            .copied()
            .unwrap_or(Money::ZERO);
        let left = paid.checked_sub(sent)?;
        methods_left.push((method, left.max(Money::ZERO)));
    }
    let tip_left = visit.settlement.tip.max(Money::ZERO).min(money_left);
    Ok(Refundable {
        units_left,
        net_left,
        taxes_left,
        goods_left,
        money_left,
        tip_left,
        methods_left,
        points_reversed,
        points_restored,
        net_refunded,
    })
}

/// The net and each tax of one refund.
struct Parts {
    net: Money,
    taxes: Vec<Money>,
    /// Per tax, the part of its base refunded.
    bases: Vec<Money>,
}

impl Parts {
    fn goods(&self) -> Result<Money, MoneyError> {
        Money::checked_sum(std::iter::once(self.net).chain(self.taxes.iter().copied()))
    }

    fn fits(&self, left: &Refundable) -> bool {
        !self.net.is_negative()
            && self.net <= left.net_left
            && self
                .taxes
                .iter()
                .zip(&left.taxes_left)
                .all(|(tax, left)| !tax.is_negative() && *tax <= left.amount)
    }

    /// Everything left.
    fn all_left(left: &Refundable) -> Self {
        Self {
            net: left.net_left,
            taxes: left.taxes_left.iter().map(|tax| tax.amount).collect(),
            bases: left.taxes_left.iter().map(|tax| tax.base).collect(),
        }
    }

    /// `goods` (less than all that is left) shared over the net and taxes left in proportion;
    /// the bases follow the same share.
    fn share_of_left(goods: Money, left: &Refundable) -> Result<Self, RefundError> {
        let weights: Vec<Money> = std::iter::once(left.net_left)
            .chain(left.taxes_left.iter().map(|tax| tax.amount))
            .collect();
        let mut shares = share_out(goods, &weights)?.into_iter();
        let net = shares.next().unwrap_or(Money::ZERO);
        let taxes: Vec<Money> = shares.collect();
        let bases = left
            .taxes_left
            .iter()
            .map(|tax| prorate(tax.base, goods, left.goods_left))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { net, taxes, bases })
    }
}

/// Shares `total` out in proportion to `weights`: floors first, then one minor unit each to
/// the largest remainders (the earliest on a tie). With `0 ≤ total ≤ Σ weights` no share
/// passes its weight. All zero when the weights are.
fn share_out(total: Money, weights: &[Money]) -> Result<Vec<Money>, RefundError> {
    let whole: i128 = weights.iter().map(|w| i128::from(w.minor_units())).sum();
    if whole <= 0 || total.minor_units() <= 0 {
        return Ok(vec![Money::ZERO; weights.len()]);
    }
    let total_wide = i128::from(total.minor_units());
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for weight in weights {
        let product = total_wide * i128::from(weight.minor_units().max(0));
        shares.push(product / whole);
        remainders.push(product % whole);
    }
    let given: i128 = shares.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&index| (std::cmp::Reverse(remainders[index]), index));
    for &index in order
        .iter()
        .take(usize::try_from(total_wide - given).unwrap_or(0))
    {
        shares[index] += 1;
    }
    shares
        .into_iter()
        .map(|share| {
            i64::try_from(share).map(Money::from_minor).map_err(|_| {
                RefundError::Money(MoneyError::Overflow {
                    operation: "share out",
                })
            })
        })
        .collect()
}

/// `floor(amount × part / whole)` for points; 0 when `whole` is 0 or less.
fn points_share(amount: i64, part: i128, whole: i128) -> i64 {
    if whole <= 0 || amount <= 0 || part <= 0 {
        return 0;
    }
    i64::try_from(i128::from(amount) * part.min(whole) / whole).unwrap_or(amount)
}

/// The units asked for, per line, checked against what is left.
fn units_asked(request: &RefundRequest, left: &Refundable) -> Result<Vec<u32>, RefundError> {
    let lines = left.units_left.len();
    match request {
        RefundRequest::Lines(asked) => {
            if asked.is_empty() {
                return Err(RefundError::NoLines);
            }
            let mut units = vec![0u32; lines];
            for line in asked {
                let index = usize::try_from(line.line).unwrap_or(usize::MAX);
                let number = index.saturating_add(1);
                let slot = units
                    .get_mut(index)
                    .ok_or(RefundError::UnknownLine { line: number })?;
                if line.quantity == 0 {
                    return Err(RefundError::ZeroUnits { line: number });
                }
                *slot = slot.saturating_add(line.quantity);
            }
            for (index, (asked, left)) in units.iter().zip(&left.units_left).enumerate() {
                if asked > left {
                    return Err(RefundError::TooManyUnits {
                        line: index + 1,
                        asked: *asked,
                        left: *left,
                    });
                }
            }
            Ok(units)
        }
        RefundRequest::Amount(_) => Ok(vec![0; lines]),
        RefundRequest::Whole => Ok(left.units_left.clone()),
    }
}

/// The net and taxes of refunding `units` by rule 2, before checking them against what is left.
fn parts_of_units(
    priced: &PricedCheckout,
    taxed: &[Vec<bool>],
    units: &[u32],
) -> Result<Parts, RefundError> {
    let taxes = &priced.tax.taxes;
    let mut refunded_base = Money::ZERO;
    let mut base_per_tax = vec![Money::ZERO; taxes.len()];
    for (index, (line, base)) in priced.lines.iter().zip(&priced.tax.line_bases).enumerate() {
        let asked = units.get(index).copied().unwrap_or(0);
        if asked == 0 || line.quantity == 0 {
            continue;
        }
        let part = prorate(
            *base,
            Money::from_minor(i64::from(asked)),
            Money::from_minor(i64::from(line.quantity)),
        )?;
        refunded_base = refunded_base.checked_add(part)?;
        for (tax_index, tax_base) in base_per_tax.iter_mut().enumerate() {
            let applies = taxed
                .get(index)
                .and_then(|line| line.get(tax_index))
                .copied()
                .unwrap_or(true);
            if applies {
                *tax_base = tax_base.checked_add(part)?;
            }
        }
    }
    let amounts = taxes
        .iter()
        .zip(&base_per_tax)
        .map(|(tax, base)| prorate(tax.amount, *base, tax.base))
        .collect::<Result<Vec<_>, _>>()?;
    let tax_total = Money::checked_sum(amounts.iter().copied())?;
    let net = if priced.tax.included {
        refunded_base.checked_sub(tax_total)?
    } else {
        refunded_base
    };
    Ok(Parts {
        net,
        taxes: amounts,
        bases: base_per_tax,
    })
}

/// Works out one refund of `visit` by the rules in the module documentation. `taxed` says which
/// taxes applied to which line (see [`line_taxes`]); `earlier` are the visit's refunds so far.
pub fn compute_refund(
    visit: &PaidVisit<'_>,
    taxed: &[Vec<bool>],
    earlier: &[Refund],
    request: &RefundRequest,
    options: RefundOptions,
) -> Result<Refund, RefundError> {
    let left = refundable(visit, earlier)?;
    if left.is_finished() {
        return Err(RefundError::NothingLeft);
    }
    if let Some(method) = options.to_method
        && matches!(
            method,
            PaymentMethod::Plan | PaymentMethod::Package | PaymentMethod::Points
        )
    {
        return Err(RefundError::NotAMoneyMethod { method });
    }
    let whole = matches!(request, RefundRequest::Whole);
    let most_without_tip = left.money_without_tip();
    if let RefundRequest::Amount(asked) = request {
        if asked.minor_units() <= 0 {
            return Err(RefundError::AmountNotPositive);
        }
        if *asked > most_without_tip {
            return Err(RefundError::AmountTooLarge {
                asked: *asked,
                most: most_without_tip,
            });
        }
    }
    let units = units_asked(request, &left)?;
    let every_unit = whole
        || units
            .iter()
            .zip(&left.units_left)
            .all(|(asked, left)| asked == left);

    // Rules 2 to 5: the net and taxes, and whether this refund takes all goods left.
    let (parts, takes_the_rest) = if every_unit {
        (Parts::all_left(&left), true)
    } else {
        match request {
            RefundRequest::Amount(asked) => {
                let goods = (*asked).min(left.goods_left);
                if *asked == most_without_tip || goods == left.goods_left {
                    (Parts::all_left(&left), true)
                } else {
                    (Parts::share_of_left(goods, &left)?, false)
                }
            }
            _ => {
                let mut parts = parts_of_units(visit.priced, taxed, &units)?;
                let goods = parts.goods()?;
                if goods >= left.goods_left {
                    (Parts::all_left(&left), true)
                } else {
                    if !parts.fits(&left) {
                        let bases = parts.bases;
                        parts = Parts::share_of_left(goods, &left)?;
                        parts.bases = bases;
                    }
                    for (base, base_left) in parts.bases.iter_mut().zip(&left.taxes_left) {
                        *base = (*base).min(base_left.base);
                    }
                    (parts, false)
                }
            }
        }
    };

    // Rule 4 and 5: the money.
    let cap = if whole {
        left.money_left
    } else {
        most_without_tip
    };
    let amount = if takes_the_rest {
        cap
    } else {
        match request {
            RefundRequest::Amount(asked) => *asked,
            _ => parts.goods()?.min(cap),
        }
    };
    let (tenders, amount) = money_back(amount, &left, options, !takes_the_rest, cap)?;

    // Rule 6: points, counted over all the visit's refunds.
    let net_after = left.net_refunded.checked_add(parts.net)?;
    let visit_net = i128::from(visit.priced.tax.net.minor_units());
    let earned = visit.points_earned.max(0);
    let reversed_after = if every_unit {
        earned
    } else {
        points_share(earned, i128::from(net_after.minor_units()), visit_net)
    };
    let points_reversed =
        (reversed_after - left.points_reversed).clamp(0, earned - left.points_reversed);
    let redeemed = visit.points_redeemed.max(0);
    let restored_after = if every_unit {
        redeemed
    } else {
        restored_in_total(visit, &left, &units, net_after)
    };
    let points_restored =
        (restored_after - left.points_restored).clamp(0, redeemed - left.points_restored);

    // Rule 7: uses.
    let mut plan_uses_returned = Vec::new();
    let mut package_uses_returned = Vec::new();
    let mut lines = Vec::new();
    for (index, (line, asked)) in visit.priced.lines.iter().zip(&units).enumerate() {
        if *asked == 0 {
            continue;
        }
        lines.push(RefundedLine {
            line: u32::try_from(index).map_err(|_| inconsistent("the visit has too many lines"))?,
            quantity: *asked,
        });
        let uses = usize::try_from(*asked).unwrap_or(0);
        match line.covered_by {
            Some(Coverage::Plan(plan)) => {
                plan_uses_returned.extend(std::iter::repeat_n(plan, uses))
            }
            Some(Coverage::Package(package)) => {
                package_uses_returned.extend(std::iter::repeat_n(package, uses));
            }
            Some(Coverage::Reward(_)) | None => {}
        }
    }

    let taxes: Vec<TaxAmount> = visit
        .priced
        .tax
        .taxes
        .iter()
        .zip(parts.taxes.iter().zip(&parts.bases))
        .filter(|(_, (amount, base))| !amount.is_zero() || !base.is_zero())
        .map(|(tax, (amount, base))| TaxAmount {
            name: tax.name.clone(),
            basis_points: tax.basis_points,
            base: *base,
            amount: *amount,
        })
        .collect();
    let refund = Refund {
        lines,
        net: parts.net,
        taxes,
        amount,
        tenders,
        points_reversed,
        points_restored,
        plan_uses_returned,
        package_uses_returned,
    };
    let gives_nothing = refund.lines.is_empty()
        && refund.amount.is_zero()
        && refund.net.is_zero()
        && refund.taxes.is_empty()
        && refund.points_reversed == 0
        && refund.points_restored == 0;
    if gives_nothing {
        return Err(RefundError::NothingToRefund);
    }
    Ok(refund)
}

/// Redeemed points restored in total once this refund is made (before clamping), by rule 6.
fn restored_in_total(
    visit: &PaidVisit<'_>,
    left: &Refundable,
    units: &[u32],
    net_after: Money,
) -> i64 {
    let priced = visit.priced;
    let redeemed = visit.points_redeemed.max(0);
    let units_after = |index: usize| -> i128 {
        let quantity = priced.lines.get(index).map_or(0, |line| line.quantity);
        let left = left.units_left.get(index).copied().unwrap_or(0);
        let asked = units.get(index).copied().unwrap_or(0);
        i128::from(quantity.saturating_sub(left).saturating_add(asked))
    };
    let reward_lines: Vec<usize> = priced
        .lines
        .iter()
        .enumerate()
        .filter(|(_, line)| matches!(line.covered_by, Some(Coverage::Reward(_))))
        .map(|(index, _)| index)
        .collect();
    if !reward_lines.is_empty() {
        let refunded: i128 = reward_lines.iter().map(|&index| units_after(index)).sum();
        let sold: i128 = reward_lines
            .iter()
            .map(|&index| i128::from(priced.lines[index].quantity))
            .sum();
        return points_share(redeemed, refunded, sold);
    }
    if priced.points_value.is_zero() {
        // A reward given as a gift paid for nothing on the bill: it comes back with everything.
        return 0;
    }
    let visit_net = i128::from(priced.tax.net.minor_units());
    if visit_net > 0 {
        return points_share(redeemed, i128::from(net_after.minor_units()), visit_net);
    }
    // Points and discount paid for everything: share by the line amounts refunded.
    let refunded_amounts: i128 = priced
        .lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.quantity > 0)
        .map(|(index, line)| {
            i128::from(line.amount.minor_units()) * units_after(index) / i128::from(line.quantity)
        })
        .sum();
    points_share(
        redeemed,
        refunded_amounts,
        i128::from(priced.subtotal.minor_units()),
    )
}

/// Rule 8: the tenders for `amount`, and the amount after rounding the cash part when `round`.
/// `cap` is the most this refund may give back in all.
fn money_back(
    amount: Money,
    left: &Refundable,
    options: RefundOptions,
    round: bool,
    cap: Money,
) -> Result<(Vec<Tender>, Money), RefundError> {
    if amount.minor_units() <= 0 {
        return Ok((Vec::new(), Money::ZERO));
    }
    let method_left = |method: PaymentMethod| {
        left.methods_left
            .iter()
            .find(|(used, _)| *used == method)
            .map_or(Money::ZERO, |(_, left)| *left)
    };
    let mut parts: Vec<(PaymentMethod, Money)> = Vec::new();
    match options.to_method {
        Some(PaymentMethod::Cash) => parts.push((PaymentMethod::Cash, amount)),
        Some(method) => {
            let most = method_left(method);
            if amount > most {
                return Err(RefundError::MethodShort { method, most });
            }
            parts.push((method, amount));
        }
        None => {
            let mut remaining = amount;
            let non_cash = left
                .methods_left
                .iter()
                .filter(|(method, _)| *method != PaymentMethod::Cash);
            let cash = left
                .methods_left
                .iter()
                .filter(|(method, _)| *method == PaymentMethod::Cash);
            for (method, method_left) in non_cash.chain(cash) {
                let take = remaining.min(*method_left);
                if take.minor_units() > 0 {
                    parts.push((*method, take));
                    remaining = remaining.checked_sub(take)?;
                }
            }
            if remaining.minor_units() > 0 {
                return Err(inconsistent(
                    "its payments do not cover what is left to refund",
                ));
            }
        }
    }
    let mut total = amount;
    if round && let Some((PaymentMethod::Cash, cash)) = parts.last_mut() {
        let others = amount.checked_sub(*cash)?;
        let mut limit = cap.checked_sub(others)?;
        if options.to_method.is_none() {
            limit = limit.min(method_left(PaymentMethod::Cash));
        }
        let rounded = round_cash(*cash, options.cash_unit)?;
        let rounded = if rounded <= limit {
            rounded
        } else {
            round_down(*cash, options.cash_unit)
        };
        total = others.checked_add(rounded)?;
        *cash = rounded;
    }
    let tenders = parts
        .into_iter()
        .filter(|(_, amount)| amount.minor_units() > 0)
        .map(|(method, amount)| Tender {
            method,
            amount,
            tendered: (method == PaymentMethod::Cash).then_some(amount),
            change: Money::ZERO,
        })
        .collect();
    Ok((tenders, total))
}

fn round_down(amount: Money, unit: Option<Money>) -> Money {
    match unit.map(Money::minor_units).filter(|unit| *unit > 1) {
        Some(unit) => {
            Money::from_minor(amount.minor_units() - amount.minor_units().rem_euclid(unit))
        }
        None => amount,
    }
}

/// The refund receipt's lines: each refunded line with its units and the money for them, before
/// tax when prices exclude tax and tax included when they include it. The amounts add up to the
/// refund's net (exclusive) or its net plus taxes (inclusive), shared in proportion to each
/// line's base, so a reprint shows the same figures as the original.
pub fn refund_receipt_lines(
    priced: &PricedCheckout,
    refund: &Refund,
) -> Result<Vec<RefundReceiptLine>, RefundError> {
    let tax_total = Money::checked_sum(refund.taxes.iter().map(|tax| tax.amount))?;
    let target = if priced.tax.included {
        refund.net.checked_add(tax_total)?
    } else {
        refund.net
    };
    let mut weights = Vec::with_capacity(refund.lines.len());
    for refunded in &refund.lines {
        let index = usize::try_from(refunded.line).unwrap_or(usize::MAX);
        let (Some(line), Some(base)) = (priced.lines.get(index), priced.tax.line_bases.get(index))
        else {
            return Err(inconsistent(
                "a refund names a line the visit does not have",
            ));
        };
        weights.push(if line.quantity == 0 {
            Money::ZERO
        } else {
            prorate(
                *base,
                Money::from_minor(i64::from(refunded.quantity)),
                Money::from_minor(i64::from(line.quantity)),
            )?
        });
    }
    if weights.iter().all(|weight| weight.is_zero()) {
        weights = refund
            .lines
            .iter()
            .map(|line| Money::from_minor(i64::from(line.quantity)))
            .collect();
    }
    let amounts = share_out(target, &weights)?;
    Ok(refund
        .lines
        .iter()
        .zip(amounts)
        .map(|(refunded, amount)| RefundReceiptLine {
            name: usize::try_from(refunded.line)
                .ok()
                .and_then(|index| priced.lines.get(index))
                .map(|line| line.name.clone())
                .unwrap_or_default(),
            quantity: refunded.quantity,
            amount,
        })
        .collect())
}

#[cfg(test)]
mod tests;
