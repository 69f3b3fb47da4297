//! The manager's price list of plan and package products. A cashier sells only what is on it,
//! at its price; a plan or package once sold keeps the terms it was sold under, so editing the
//! list never changes what a customer already bought.

use serde::{Deserialize, Serialize};

use crate::domain::catalog::validate_name;
use crate::domain::field_error::FieldError;
use crate::domain::money::Money;
use crate::domain::sanitize::sanitize_line;
use crate::domain::tax::TaxClass;
use crate::ids::RecordId;

/// Longest plan term on the list; a year is what shops sell, two leaves room for promotions.
pub const MAX_MONTHS_PER_TERM: u32 = 24;
/// Most washes in one package.
pub const MAX_PACKAGE_WASHES: u32 = 100;
/// Most washes a plan allows in one day.
pub const MAX_WASHES_PER_DAY: u32 = 10;

/// An unlimited plan as the shop sells it: bound to the one vehicle it is sold for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanProduct {
    pub id: RecordId,
    pub name: String,
    pub services: Vec<RecordId>,
    pub months_per_term: u32,
    pub price_per_term: Money,
    pub washes_per_day: u32,
    pub tax_class: TaxClass,
    /// Retired products stay on file for the plans sold from them but are no longer offered.
    pub active: bool,
}

/// A prepaid bundle of washes of one service as the shop sells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageProduct {
    pub id: RecordId,
    pub name: String,
    pub service: RecordId,
    pub washes: u32,
    pub price: Money,
    /// Months it stays usable after the sale; `None` never expires.
    pub valid_months: Option<u32>,
    pub tax_class: TaxClass,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Product {
    Plan(PlanProduct),
    Package(PackageProduct),
}

impl Product {
    pub fn id(&self) -> RecordId {
        match self {
            Product::Plan(plan) => plan.id,
            Product::Package(package) => package.id,
        }
    }

    /// The same product under another id (a new product gets its id from the service).
    pub fn with_id(mut self, id: RecordId) -> Self {
        match &mut self {
            Product::Plan(plan) => plan.id = id,
            Product::Package(package) => package.id = id,
        }
        self
    }

    pub fn name(&self) -> &str {
        match self {
            Product::Plan(plan) => &plan.name,
            Product::Package(package) => &package.name,
        }
    }

    pub fn active(&self) -> bool {
        match self {
            Product::Plan(plan) => plan.active,
            Product::Package(package) => package.active,
        }
    }

    /// The name is sanitised here, then every rule is checked.
    pub fn normalised(mut self) -> Result<Self, FieldError> {
        match &mut self {
            Product::Plan(plan) => {
                plan.name = sanitize_line(&plan.name);
                plan.validate()?;
            }
            Product::Package(package) => {
                package.name = sanitize_line(&package.name);
                package.validate()?;
            }
        }
        Ok(self)
    }
}

impl PlanProduct {
    pub fn validate(&self) -> Result<(), FieldError> {
        validate_name(&self.name)?;
        if self.services.is_empty() {
            return Err(FieldError::new(
                "services",
                "choose at least one service the plan covers",
            ));
        }
        if !(1..=MAX_MONTHS_PER_TERM).contains(&self.months_per_term) {
            return Err(FieldError::new(
                "months",
                format!("a plan term is 1 to {MAX_MONTHS_PER_TERM} months"),
            ));
        }
        if self.price_per_term.is_negative() {
            return Err(FieldError::new("price", "the price cannot be negative"));
        }
        if !(1..=MAX_WASHES_PER_DAY).contains(&self.washes_per_day) {
            return Err(FieldError::new(
                "washes_per_day",
                format!("allow 1 to {MAX_WASHES_PER_DAY} washes a day"),
            ));
        }
        Ok(())
    }
}

impl PackageProduct {
    pub fn validate(&self) -> Result<(), FieldError> {
        validate_name(&self.name)?;
        if !(1..=MAX_PACKAGE_WASHES).contains(&self.washes) {
            return Err(FieldError::new(
                "washes",
                format!("a package holds 1 to {MAX_PACKAGE_WASHES} washes"),
            ));
        }
        if self.price.is_negative() {
            return Err(FieldError::new("price", "the price cannot be negative"));
        }
        if self
            .valid_months
            .is_some_and(|months| !(1..=60).contains(&months))
        {
            return Err(FieldError::new(
                "valid_months",
                "a package stays valid 1 to 60 months, or leave it empty for no expiry",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> PlanProduct {
        PlanProduct {
            id: RecordId::from_u128(1),
            name: "  Unlimited\u{7} basic ".into(),
            services: vec![RecordId::from_u128(9)],
            months_per_term: 1,
            price_per_term: Money::from_minor(3999),
            washes_per_day: 1,
            tax_class: TaxClass::Standard,
            active: true,
        }
    }

    #[test]
    fn names_are_sanitised_and_terms_checked() {
        let product = Product::Plan(plan()).normalised().unwrap();
        assert_eq!(product.name(), "Unlimited basic");
        for broken in [
            PlanProduct {
                services: vec![],
                ..plan()
            },
            PlanProduct {
                months_per_term: 0,
                ..plan()
            },
            PlanProduct {
                price_per_term: Money::from_minor(-1),
                ..plan()
            },
            PlanProduct {
                washes_per_day: 0,
                ..plan()
            },
        ] {
            assert!(Product::Plan(broken).normalised().is_err());
        }
        let package = PackageProduct {
            id: RecordId::from_u128(2),
            name: "Ten washes".into(),
            service: RecordId::from_u128(9),
            washes: 10,
            price: Money::from_minor(9900),
            valid_months: Some(12),
            tax_class: TaxClass::Exempt,
            active: true,
        };
        assert!(Product::Package(package.clone()).normalised().is_ok());
        let too_many = PackageProduct {
            washes: 101,
            ..package
        };
        assert!(Product::Package(too_many).normalised().is_err());
    }
}
