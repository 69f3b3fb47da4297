//! Pricing a checkout without taking payment, so the cashier can tell the customer the total
//! (and what a plan, package or points cover) before asking for money. It gathers exactly what
//! [`Service::checkout`] gathers — the booked service, active plans with the day's use,
//! packages, the points that can be spent now, the member's tier — and runs the same pure
//! [`price_checkout`], but writes nothing: no visit, no ledger entry, no audit entry.
//!
//! It also carries the till's cash unit and tip setting, so a front end can settle the bill in
//! advance with [`CheckoutPreview::settle`] — the same [`settle`] the checkout runs — and show
//! the cash rounding and the change before any money changes hands.

use super::checkout::{CheckoutInput, CheckoutLine, GatheredCheckout};
use super::points::{stats_of, wallet_of};
use super::{Service, ServiceError, Session};
use crate::domain::access::Operation;
use crate::domain::checkout::{CheckoutRequest, PricedCheckout, price_checkout};
use crate::domain::loyalty::{points_for, tier_for};
use crate::domain::money::Money;
use crate::domain::sanitize::sanitize_line;
use crate::domain::tax::InvoiceTax;
use crate::domain::tender::{Settlement, TenderError, TenderRequest, settle};
use crate::ids::RecordId;

/// What a checkout would come to if it were taken now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutPreview {
    /// The lines that would be charged: the booked service once when the input had none.
    pub lines: Vec<CheckoutLine>,
    /// The customer, from the input or else from the booking.
    pub member: Option<RecordId>,
    pub vehicle: Option<RecordId>,
    /// Plain per the masking policy; lets a front end find the member's masked summary.
    pub member_number: Option<u64>,
    pub priced: PricedCheckout,
    /// What the member would earn; zero for a guest.
    pub points_to_earn: i64,
    /// Points the member can spend now (lots past their expiry excluded); `None` for a guest.
    pub points_available: Option<i64>,
    /// The member's tier before this visit; `None` for a guest.
    pub tier: Option<String>,
    /// The smallest coin cash is rounded to (0.05 CAD); `None` rounds nothing.
    pub cash_unit: Option<Money>,
    /// The shop takes tips; otherwise checkout refuses one.
    pub takes_tips: bool,
}

/// Why a previewed payment would be refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettleError {
    #[error("this shop does not take tips; a manager can turn tips on in settings")]
    TipsOff,
    #[error(transparent)]
    Tender(#[from] TenderError),
}

impl CheckoutPreview {
    /// Each tax by name and rate, the pre-tax amount and whether prices include the taxes.
    pub fn tax(&self) -> &InvoiceTax {
        &self.priced.tax
    }

    /// What the customer owes before any tip or cash rounding; tenders settle this.
    pub fn amount_due(&self) -> Money {
        self.priced.amount_due
    }

    /// Settles the bill as [`Service::checkout`] will when given these `tenders` and `tip`:
    /// the same function on the same amount due and cash unit, so what the screen shows as
    /// rounding and change is what the receipt will say. A tip is refused here when the shop
    /// takes none, as checkout refuses it.
    pub fn settle(&self, tip: Money, tenders: &[TenderRequest]) -> Result<Settlement, SettleError> {
        if !tip.is_zero() && !self.takes_tips {
            return Err(SettleError::TipsOff);
        }
        Ok(settle(
            self.priced.amount_due,
            tip,
            tenders,
            self.cash_unit,
        )?)
    }
}

fn invalid(err: impl std::fmt::Display) -> ServiceError {
    ServiceError::invalid(err.to_string())
}

impl Service {
    /// Prices `input` as [`Service::checkout`] would at this moment, refusing what it would
    /// refuse (a discount from a cashier, too many points, a completed booking), without
    /// writing anything.
    pub fn preview_checkout(
        &self,
        session: &Session,
        input: &CheckoutInput,
    ) -> Result<CheckoutPreview, ServiceError> {
        self.authorize(session, Operation::Checkout)?;
        let adjusts =
            input.discount.is_some() || input.lines.iter().any(|l| l.price_override.is_some());
        // A cashier's discount rests on a manager's one-use approval, which the checkout itself
        // must use: the preview only looks that it is there.
        if adjusts {
            self.authorize_keeping_approval(session, Operation::OverridePrice)?;
            let has_reason = input
                .adjustment_reason
                .as_deref()
                .map(sanitize_line)
                .is_some_and(|reason| !reason.is_empty());
            if !has_reason {
                return Err(ServiceError::invalid(
                    "say why the price is changed; the reason is kept with the visit",
                ));
            }
        }
        let now = self.clock.now();
        let till = self.till_settings()?;
        let GatheredCheckout {
            member,
            vehicle,
            wanted,
            lines,
            plans,
            packages,
            member_number,
            local_date,
            policy,
            redemption,
            ..
        } = self.gather_checkout(input, now)?;
        let (points_available, tier) = match member {
            Some(id) => {
                let reader = self.store.read()?;
                // Checkout expires overdue lots first and then spends what is left, which is
                // exactly what `available` counts.
                let available = wallet_of(&reader, id)?.0.available(now);
                let stats = stats_of(&reader, id)?;
                let tier = tier_for(stats.spend.total(now), &policy).clone();
                (Some(available), Some(tier))
            }
            None => (None, None),
        };
        let request = CheckoutRequest {
            lines,
            vehicle,
            local_date,
            plans,
            packages,
            discount: input.discount,
            redemption,
            points_balance: points_available.unwrap_or(0),
            point_value: Money::from_minor(policy.point_value_minor()),
            tax: till.tax,
        };
        let priced = price_checkout(&request).map_err(invalid)?;
        let points_to_earn = match &tier {
            Some(tier) => points_for(priced.eligible_spend.minor_units(), tier, &policy),
            None => 0,
        };
        Ok(CheckoutPreview {
            lines: wanted,
            member,
            vehicle,
            member_number,
            priced,
            points_to_earn,
            points_available,
            tier: tier.map(|t| t.name),
            cash_unit: till.cash_unit,
            takes_tips: till.tips,
        })
    }
}
