//! The service catalog (what the shop sells, for how long, at what price), the bays that
//! perform the services, and the ways a visit can be paid.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::field_error::FieldError;
use crate::domain::money::Money;
use crate::domain::sanitize::sanitize_line;
use crate::domain::tax::TaxClass;
use crate::ids::RecordId;

pub const NAME_MAX_CHARS: usize = 40;
pub const DURATION_MIN_MINUTES: u32 = 5;
pub const DURATION_MAX_MINUTES: u32 = 480;
pub const DURATION_STEP_MINUTES: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ServiceCategory {
    Exterior,
    Interior,
    FullService,
    Detailing,
    AddOn,
}

impl ServiceCategory {
    pub const ALL: [ServiceCategory; 5] = [
        ServiceCategory::Exterior,
        ServiceCategory::Interior,
        ServiceCategory::FullService,
        ServiceCategory::Detailing,
        ServiceCategory::AddOn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceCategory::Exterior => "exterior",
            ServiceCategory::Interior => "interior",
            ServiceCategory::FullService => "full-service",
            ServiceCategory::Detailing => "detailing",
            ServiceCategory::AddOn => "add-on",
        }
    }
}

impl fmt::Display for ServiceCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a service category; use one of exterior, interior, full-service, detailing, add-on"
)]
pub struct UnknownServiceCategory(String);

impl FromStr for ServiceCategory {
    type Err = UnknownServiceCategory;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase().replace('_', "-");
        ServiceCategory::ALL
            .into_iter()
            .find(|category| {
                category.as_str() == wanted || category.as_str().replace('-', "") == wanted
            })
            .ok_or_else(|| UnknownServiceCategory(sanitize_line(text).chars().take(24).collect()))
    }
}

/// Something the shop sells. Build with [`ServiceItem::new`]; call [`ServiceItem::validate`]
/// after editing fields directly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceItem {
    pub id: RecordId,
    pub name: String,
    pub category: ServiceCategory,
    pub duration_minutes: u32,
    pub price: Money,
    pub earns_points: bool,
    pub active: bool,
    pub tax_class: TaxClass,
}

impl ServiceItem {
    /// A service as entered or edited. The name is sanitised before it is checked and stored.
    pub fn new(
        id: RecordId,
        name: &str,
        category: ServiceCategory,
        duration_minutes: u32,
        price: Money,
        earns_points: bool,
        active: bool,
    ) -> Result<Self, FieldError> {
        let item = Self {
            id,
            name: sanitize_line(name),
            category,
            duration_minutes,
            price,
            earns_points,
            active,
            tax_class: TaxClass::Standard,
        };
        item.validate()?;
        Ok(item)
    }

    /// Checks every rule; the name must already be sanitised (as [`ServiceItem::new`] does).
    pub fn validate(&self) -> Result<(), FieldError> {
        validate_name(&self.name)?;
        validate_duration(self.duration_minutes)?;
        if self.price.is_negative() {
            return Err(FieldError::new(
                "price",
                "the price cannot be negative; enter 0 for a free service",
            ));
        }
        Ok(())
    }
}

/// A catalog or bay name: 1 to 40 characters after sanitising, and already sanitised.
pub fn validate_name(name: &str) -> Result<(), FieldError> {
    if sanitize_line(name) != name {
        return Err(FieldError::new(
            "name",
            "the name contains control characters or extra spaces; retype it",
        ));
    }
    let length = name.chars().count();
    if length == 0 {
        return Err(FieldError::new("name", "enter a name"));
    }
    if length > NAME_MAX_CHARS {
        return Err(FieldError::new(
            "name",
            format!("use at most {NAME_MAX_CHARS} characters (this one has {length})"),
        ));
    }
    Ok(())
}

fn validate_duration(minutes: u32) -> Result<(), FieldError> {
    if !(DURATION_MIN_MINUTES..=DURATION_MAX_MINUTES).contains(&minutes)
        || !minutes.is_multiple_of(DURATION_STEP_MINUTES)
    {
        return Err(FieldError::new(
            "duration",
            format!(
                "enter {DURATION_MIN_MINUTES} to {DURATION_MAX_MINUTES} minutes in steps of {DURATION_STEP_MINUTES}"
            ),
        ));
    }
    Ok(())
}

/// A wash bay: one car at a time, for the services it is equipped for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bay {
    pub id: RecordId,
    pub name: String,
    pub services: Vec<RecordId>,
    pub active: bool,
}

impl Bay {
    /// A bay as entered or edited. The name is sanitised; repeated services are kept once.
    pub fn new(
        id: RecordId,
        name: &str,
        services: Vec<RecordId>,
        active: bool,
    ) -> Result<Self, FieldError> {
        let mut unique: Vec<RecordId> = Vec::with_capacity(services.len());
        for service in services {
            if !unique.contains(&service) {
                unique.push(service);
            }
        }
        let bay = Self {
            id,
            name: sanitize_line(name),
            services: unique,
            active,
        };
        bay.validate()?;
        Ok(bay)
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        validate_name(&self.name)
    }

    /// Whether bookings for `service_id` may go to this bay now: it is equipped for the
    /// service and not taken out of use.
    pub fn serves(&self, service_id: RecordId) -> bool {
        self.active && self.services.contains(&service_id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentMethod {
    Cash,
    Card,
    Mobile,
    Plan,
    Package,
    Points,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 6] = [
        PaymentMethod::Cash,
        PaymentMethod::Card,
        PaymentMethod::Mobile,
        PaymentMethod::Plan,
        PaymentMethod::Package,
        PaymentMethod::Points,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card => "card",
            PaymentMethod::Mobile => "mobile",
            PaymentMethod::Plan => "plan",
            PaymentMethod::Package => "package",
            PaymentMethod::Points => "points",
        }
    }
}

impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a payment method; use one of cash, card, mobile, plan, package, points")]
pub struct UnknownPaymentMethod(String);

impl FromStr for PaymentMethod {
    type Err = UnknownPaymentMethod;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase();
        PaymentMethod::ALL
            .into_iter()
            .find(|method| method.as_str() == wanted)
            .ok_or_else(|| UnknownPaymentMethod(sanitize_line(text).chars().take(24).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> RecordId {
        RecordId::from_u128(n)
    }

    fn wash(name: &str, minutes: u32, price: i64) -> Result<ServiceItem, FieldError> {
        ServiceItem::new(
            id(1),
            name,
            ServiceCategory::Exterior,
            minutes,
            Money::from_minor(price),
            true,
            true,
        )
    }

    #[test]
    fn service_names_are_sanitised_and_limited_to_40_characters() {
        let item = wash("  Basic\u{202E} \t wash ", 15, 1250).unwrap();
        assert_eq!(item.name, "Basic wash");
        assert!(item.active);
        assert!(wash(&"精".repeat(40), 15, 1250).is_ok());
        let long = wash(&"a".repeat(41), 15, 1250).unwrap_err();
        assert_eq!(long.field(), "name");
        assert!(long.reason().contains("40"), "{long}");
        assert_eq!(wash(" \u{200B} ", 15, 1250).unwrap_err().field(), "name");

        let mut edited = wash("Basic wash", 15, 1250).unwrap();
        edited.name = "Basic\u{1B}[31m".into();
        assert_eq!(edited.validate().unwrap_err().field(), "name");
    }

    #[test]
    fn durations_are_5_to_480_minutes_in_steps_of_5() {
        for ok in [5, 15, 480] {
            assert!(wash("Wash", ok, 0).is_ok(), "{ok}");
        }
        for bad in [0, 4, 12, 485, 1000] {
            assert_eq!(
                wash("Wash", bad, 0).unwrap_err().field(),
                "duration",
                "{bad}"
            );
        }
    }

    #[test]
    fn prices_cannot_be_negative() {
        assert!(wash("Free rinse", 5, 0).is_ok());
        assert_eq!(wash("Wash", 15, -1).unwrap_err().field(), "price");
    }

    #[test]
    fn a_bay_serves_its_services_only_while_active() {
        let mut bay = Bay::new(id(9), "Bay 1", vec![id(1), id(2), id(1)], true).unwrap();
        assert_eq!(bay.services, vec![id(1), id(2)]);
        assert!(bay.serves(id(1)));
        assert!(!bay.serves(id(3)));
        bay.active = false;
        assert!(!bay.serves(id(1)));
        assert!(Bay::new(id(9), "", vec![], true).is_err());
    }

    #[test]
    fn categories_and_payment_methods_round_trip_through_text() {
        for category in ServiceCategory::ALL {
            assert_eq!(
                category.as_str().parse::<ServiceCategory>().unwrap(),
                category
            );
        }
        assert_eq!(
            "FullService".parse::<ServiceCategory>().unwrap(),
            ServiceCategory::FullService
        );
        assert!("polish".parse::<ServiceCategory>().is_err());
        for method in PaymentMethod::ALL {
            assert_eq!(method.as_str().parse::<PaymentMethod>().unwrap(), method);
            assert_eq!(method.to_string(), method.as_str());
        }
        assert_eq!(
            " CARD ".parse::<PaymentMethod>().unwrap(),
            PaymentMethod::Card
        );
        let err = "cheque\u{1B}"
            .parse::<PaymentMethod>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("cheque") && !err.contains('\u{1B}'), "{err}");
    }
}
