//! PLACEHOLDER types (replaced by the helper's module on merge).
use serde::{Deserialize, Serialize};
use crate::domain::catalog::PaymentMethod;
use crate::domain::money::Money;
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenderRequest { pub method: PaymentMethod, pub amount: Option<Money>, pub tendered: Option<Money> }
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tender { pub method: PaymentMethod, pub amount: Money, pub tendered: Option<Money>, pub change: Money }
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement { pub tenders: Vec<Tender>, pub tip: Money, pub cash_rounding: Money, pub charged: Money }
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tender")]
pub struct TenderError;
pub fn round_cash(amount: Money, _unit: Option<Money>) -> Result<Money, TenderError> { Ok(amount) }
pub fn settle(amount_due: Money, tip: Money, requests: &[TenderRequest], _cash_unit: Option<Money>) -> Result<Settlement, TenderError> {
    let charged = Money::from_minor(amount_due.minor_units() + tip.minor_units());
    let method = requests.first().map(|r| r.method).unwrap_or(PaymentMethod::Card);
    Ok(Settlement { tenders: if charged.is_zero() { vec![] } else { vec![Tender { method, amount: charged, tendered: None, change: Money::ZERO }] }, tip, cash_rounding: Money::ZERO, charged })
}
impl Settlement {
    pub fn cash_taken(&self) -> Money { Money::from_minor(self.tenders.iter().filter(|t| t.method == PaymentMethod::Cash).map(|t| t.amount.minor_units()).sum()) }
    pub fn by_method(&self) -> Vec<(PaymentMethod, Money)> { self.tenders.iter().map(|t| (t.method, t.amount)).collect() }
}
