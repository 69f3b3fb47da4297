//! Vehicle descriptions that are not personal data (the plate is, and lives in the vault).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VehicleKind {
    Sedan,
    Hatchback,
    Suv,
    Van,
    Pickup,
    Motorbike,
    Other,
}

impl VehicleKind {
    pub const ALL: [VehicleKind; 7] = [
        VehicleKind::Sedan,
        VehicleKind::Hatchback,
        VehicleKind::Suv,
        VehicleKind::Van,
        VehicleKind::Pickup,
        VehicleKind::Motorbike,
        VehicleKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VehicleKind::Sedan => "sedan",
            VehicleKind::Hatchback => "hatchback",
            VehicleKind::Suv => "suv",
            VehicleKind::Van => "van",
            VehicleKind::Pickup => "pickup",
            VehicleKind::Motorbike => "motorbike",
            VehicleKind::Other => "other",
        }
    }
}

impl fmt::Display for VehicleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "`{0}` is not a vehicle type; use one of sedan, hatchback, suv, van, pickup, motorbike, other"
)]
pub struct UnknownVehicleKind(String);

impl FromStr for VehicleKind {
    type Err = UnknownVehicleKind;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase();
        VehicleKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == wanted)
            .ok_or_else(|| UnknownVehicleKind(wanted.chars().take(32).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_text() {
        for kind in VehicleKind::ALL {
            assert_eq!(kind.as_str().parse::<VehicleKind>().unwrap(), kind);
        }
        assert!("tank".parse::<VehicleKind>().is_err());
    }
}
