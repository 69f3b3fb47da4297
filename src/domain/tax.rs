//! PLACEHOLDER types (replaced by the helper's module on merge).
use serde::{Deserialize, Serialize};
use crate::domain::money::Money;
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRate { pub name: String, pub basis_points: u32 }
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxSettings { pub prices_include_tax: bool, pub taxes: Vec<TaxRate> }
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaxClass { #[default] Standard, Exempt, Only(Vec<String>) }
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxableLine { pub amount: Money, pub class: TaxClass }
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxAmount { pub name: String, pub basis_points: u32, pub base: Money, pub amount: Money }
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceTax {
    pub included: bool, pub taxes: Vec<TaxAmount>, pub line_bases: Vec<Money>, pub reduced_total: Money,
    pub tax_total: Money, pub net: Money, pub amount_due: Money,
}
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tax")]
pub struct TaxError;
pub fn tax_invoice(_settings: &TaxSettings, lines: &[TaxableLine], reduction: Money) -> Result<InvoiceTax, TaxError> {
    let total: i64 = lines.iter().map(|l| l.amount.minor_units()).sum::<i64>() - reduction.minor_units();
    Ok(InvoiceTax { reduced_total: Money::from_minor(total), net: Money::from_minor(total), amount_due: Money::from_minor(total), line_bases: lines.iter().map(|l| l.amount).collect(), ..Default::default() })
}
pub fn prorate(amount: Money, part: Money, whole: Money) -> Result<Money, TaxError> {
    if whole.is_zero() { return Ok(Money::ZERO); }
    Ok(Money::from_minor((i128::from(amount.minor_units()) * i128::from(part.minor_units()) / i128::from(whole.minor_units())) as i64))
}
impl TaxSettings {
    pub fn validate(&self) -> Result<(), crate::domain::FieldError> { Ok(()) }
    pub fn is_none(&self) -> bool { self.taxes.is_empty() }
}
impl TaxClass {
    pub fn label(&self) -> String { String::new() }
    pub fn parse(_text: &str, _settings: &TaxSettings) -> Result<TaxClass, TaxError> { Ok(TaxClass::Standard) }
}
