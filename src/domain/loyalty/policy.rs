//! The shop's points settings: earn rate, lot lifetime, tiers, point value and rewards. A
//! [`PointsPolicy`] is always valid; edit a [`PointsPolicySettings`] and validate it back.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ids::RecordId;

/// Longest lot lifetime a policy may set; longer is almost certainly a typo.
pub const MAX_LOT_EXPIRY_MONTHS: u32 = 120;
/// Highest tier multiplier (×10); e.g. 1500 where 150 was meant is refused.
pub const MAX_MULTIPLIER_PERCENT: u32 = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub name: String,
    pub min_rolling_spend_minor: i64,
    /// 100 = ×1, 150 = ×1.5.
    pub multiplier_percent: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reward {
    pub id: RecordId,
    pub name: String,
    pub points_cost: i64,
    /// The service this reward gives for free, if it is one.
    pub service: Option<RecordId>,
}

/// The editable, unvalidated form of a [`PointsPolicy`] (and its stored form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsPolicySettings {
    /// Spend (minor units) per point, e.g. 100 = 1 point per 1.00.
    pub earn_unit_minor: i64,
    pub lot_expiry_months: u32,
    pub tiers: Vec<Tier>,
    /// What one point is worth when redeemed as a discount, e.g. 1 = 0.01.
    pub point_value_minor: i64,
    pub rewards: Vec<Reward>,
}

impl Default for PointsPolicySettings {
    fn default() -> Self {
        Self {
            earn_unit_minor: 100,
            lot_expiry_months: 12,
            tiers: vec![
                Tier {
                    name: "Member".to_owned(),
                    min_rolling_spend_minor: 0,
                    multiplier_percent: 100,
                },
                Tier {
                    name: "Silver".to_owned(),
                    min_rolling_spend_minor: 50_000,
                    multiplier_percent: 125,
                },
                Tier {
                    name: "Gold".to_owned(),
                    min_rolling_spend_minor: 150_000,
                    multiplier_percent: 150,
                },
            ],
            point_value_minor: 1,
            rewards: Vec::new(),
        }
    }
}

impl PointsPolicySettings {
    pub fn validate(self) -> Result<PointsPolicy, PolicyError> {
        PointsPolicy::try_from(self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error(
        "the earn unit must be at least 1 minor unit of spend per point (got {0}); e.g. 100 for 1 point per 1.00"
    )]
    EarnUnitNotPositive(i64),
    #[error(
        "points must expire after 1 to {MAX_LOT_EXPIRY_MONTHS} months (got {0}); choose a lifetime in that range"
    )]
    LotExpiryOutOfRange(u32),
    #[error(
        "a point must be worth at least 1 minor unit when redeemed (got {0}); set a positive point value"
    )]
    PointValueNotPositive(i64),
    #[error("the points policy needs at least one tier; add a base tier with a threshold of 0")]
    NoTiers,
    #[error(
        "the first tier must start at a rolling spend of 0 (it starts at {0}); lower its threshold to 0"
    )]
    FirstTierNotZero(i64),
    #[error("tier {position} has an empty name; give every tier a name")]
    TierNameEmpty { position: usize },
    #[error("two tiers are called `{0}`; give every tier a different name")]
    DuplicateTierName(String),
    #[error(
        "tier `{name}` starts at {threshold}, which is not above the tier before it ({previous}); sort tiers by rising threshold with no repeats"
    )]
    TiersNotAscending {
        name: String,
        threshold: i64,
        previous: i64,
    },
    #[error(
        "tier `{name}` has a multiplier of {percent}%; multipliers must be between 100% (×1) and {MAX_MULTIPLIER_PERCENT}% (×10)"
    )]
    MultiplierOutOfRange { name: String, percent: u32 },
    #[error("reward {position} has an empty name; give every reward a name")]
    RewardNameEmpty { position: usize },
    #[error("reward `{name}` costs {cost} points; a reward must cost at least 1 point")]
    RewardCostNotPositive { name: String, cost: i64 },
    #[error("reward id {0} appears more than once; each reward needs its own id")]
    DuplicateReward(RecordId),
}

/// A validated points policy: tiers sorted by strictly rising threshold starting at 0, every
/// multiplier in 100..=1000 %, positive earn unit and point value, lot lifetime 1..=120 months.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PointsPolicySettings", into = "PointsPolicySettings")]
pub struct PointsPolicy {
    settings: PointsPolicySettings,
}

impl Default for PointsPolicy {
    /// 1 point per 1.00, lots live 12 months, Member ×1 / Silver from 500.00 ×1.25 / Gold from
    /// 1500.00 ×1.5, one point = 0.01 — amounts assume a currency with two minor digits.
    fn default() -> Self {
        Self {
            settings: PointsPolicySettings::default(),
        }
    }
}

impl TryFrom<PointsPolicySettings> for PointsPolicy {
    type Error = PolicyError;

    fn try_from(settings: PointsPolicySettings) -> Result<Self, Self::Error> {
        validate(&settings)?;
        Ok(Self { settings })
    }
}

impl From<PointsPolicy> for PointsPolicySettings {
    fn from(policy: PointsPolicy) -> Self {
        policy.settings
    }
}

impl PointsPolicy {
    pub fn earn_unit_minor(&self) -> i64 {
        self.settings.earn_unit_minor
    }

    pub fn lot_expiry_months(&self) -> u32 {
        self.settings.lot_expiry_months
    }

    /// Never empty; sorted by strictly rising threshold, the first at 0.
    pub fn tiers(&self) -> &[Tier] {
        &self.settings.tiers
    }

    pub fn point_value_minor(&self) -> i64 {
        self.settings.point_value_minor
    }

    pub fn rewards(&self) -> &[Reward] {
        &self.settings.rewards
    }

    pub fn reward(&self, id: RecordId) -> Option<&Reward> {
        self.settings.rewards.iter().find(|reward| reward.id == id)
    }

    /// The discount (minor units) that redeeming `points` buys; saturates rather than overflows.
    pub fn redemption_value_minor(&self, points: i64) -> i64 {
        points
            .max(0)
            .saturating_mul(self.settings.point_value_minor)
    }

    /// A copy to edit; validate it again to get a new policy.
    pub fn settings(&self) -> PointsPolicySettings {
        self.settings.clone()
    }

    /// The base tier (threshold 0).
    pub fn base_tier(&self) -> &Tier {
        // Validation guarantees at least one tier; index 0 is the base.
        &self.settings.tiers[0]
    }
}

fn validate(settings: &PointsPolicySettings) -> Result<(), PolicyError> {
    if settings.earn_unit_minor < 1 {
        return Err(PolicyError::EarnUnitNotPositive(settings.earn_unit_minor));
    }
    if !(1..=MAX_LOT_EXPIRY_MONTHS).contains(&settings.lot_expiry_months) {
        return Err(PolicyError::LotExpiryOutOfRange(settings.lot_expiry_months));
    }
    if settings.point_value_minor < 1 {
        return Err(PolicyError::PointValueNotPositive(
            settings.point_value_minor,
        ));
    }
    validate_tiers(&settings.tiers)?;
    validate_rewards(&settings.rewards)
}

fn validate_tiers(tiers: &[Tier]) -> Result<(), PolicyError> {
    let first = tiers.first().ok_or(PolicyError::NoTiers)?;
    if first.min_rolling_spend_minor != 0 {
        return Err(PolicyError::FirstTierNotZero(first.min_rolling_spend_minor));
    }
    let mut names = BTreeSet::new();
    let mut previous: Option<i64> = None;
    for (index, tier) in tiers.iter().enumerate() {
        let name = tier.name.trim();
        if name.is_empty() {
            return Err(PolicyError::TierNameEmpty {
                position: index + 1,
            });
        }
        if !names.insert(name.to_lowercase()) {
            return Err(PolicyError::DuplicateTierName(name.to_owned()));
        }
        if let Some(previous) = previous
            && tier.min_rolling_spend_minor <= previous
        {
            return Err(PolicyError::TiersNotAscending {
                name: name.to_owned(),
                threshold: tier.min_rolling_spend_minor,
                previous,
            });
        }
        if !(100..=MAX_MULTIPLIER_PERCENT).contains(&tier.multiplier_percent) {
            return Err(PolicyError::MultiplierOutOfRange {
                name: name.to_owned(),
                percent: tier.multiplier_percent,
            });
        }
        previous = Some(tier.min_rolling_spend_minor);
    }
    Ok(())
}

fn validate_rewards(rewards: &[Reward]) -> Result<(), PolicyError> {
    let mut ids = BTreeSet::new();
    for (index, reward) in rewards.iter().enumerate() {
        if reward.name.trim().is_empty() {
            return Err(PolicyError::RewardNameEmpty {
                position: index + 1,
            });
        }
        if reward.points_cost < 1 {
            return Err(PolicyError::RewardCostNotPositive {
                name: reward.name.trim().to_owned(),
                cost: reward.points_cost,
            });
        }
        if !ids.insert(reward.id) {
            return Err(PolicyError::DuplicateReward(reward.id));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(name: &str, threshold: i64, percent: u32) -> Tier {
        Tier {
            name: name.to_owned(),
            min_rolling_spend_minor: threshold,
            multiplier_percent: percent,
        }
    }

    #[test]
    fn default_policy_is_valid_and_matches_the_spec() {
        let policy = PointsPolicy::default();
        assert_eq!(policy.settings().validate().unwrap(), policy);
        assert_eq!(policy.earn_unit_minor(), 100);
        assert_eq!(policy.lot_expiry_months(), 12);
        assert_eq!(policy.point_value_minor(), 1);
        assert_eq!(
            policy.tiers(),
            &[
                tier("Member", 0, 100),
                tier("Silver", 50_000, 125),
                tier("Gold", 150_000, 150)
            ]
        );
        assert_eq!(policy.base_tier().name, "Member");
        assert_eq!(policy.redemption_value_minor(250), 250);
        assert_eq!(policy.redemption_value_minor(-5), 0);
    }

    #[test]
    fn tiers_must_start_at_zero_rise_strictly_and_never_shrink_points() {
        let with_tiers = |tiers: Vec<Tier>| {
            PointsPolicySettings {
                tiers,
                ..PointsPolicySettings::default()
            }
            .validate()
        };
        assert_eq!(with_tiers(vec![]), Err(PolicyError::NoTiers));
        assert_eq!(
            with_tiers(vec![tier("Base", 100, 100)]),
            Err(PolicyError::FirstTierNotZero(100))
        );
        assert!(matches!(
            with_tiers(vec![tier("Base", 0, 100), tier("Gold", 0, 150)]),
            Err(PolicyError::TiersNotAscending { .. })
        ));
        assert!(matches!(
            with_tiers(vec![
                tier("Base", 0, 100),
                tier("Gold", 900, 150),
                tier("Silver", 500, 125)
            ]),
            Err(PolicyError::TiersNotAscending { .. })
        ));
        assert!(matches!(
            with_tiers(vec![tier("Base", 0, 90)]),
            Err(PolicyError::MultiplierOutOfRange { percent: 90, .. })
        ));
        assert!(matches!(
            with_tiers(vec![tier("Base", 0, 1500)]),
            Err(PolicyError::MultiplierOutOfRange { .. })
        ));
        assert!(matches!(
            with_tiers(vec![tier("Base", 0, 100), tier(" base ", 10, 100)]),
            Err(PolicyError::DuplicateTierName(_))
        ));
        assert!(matches!(
            with_tiers(vec![tier("  ", 0, 100)]),
            Err(PolicyError::TierNameEmpty { position: 1 })
        ));
        assert!(with_tiers(vec![tier("Only", 0, 100)]).is_ok());
    }

    #[test]
    fn scalar_settings_are_range_checked() {
        let base = PointsPolicySettings::default;
        let cases = [
            PointsPolicySettings {
                earn_unit_minor: 0,
                ..base()
            },
            PointsPolicySettings {
                lot_expiry_months: 0,
                ..base()
            },
            PointsPolicySettings {
                lot_expiry_months: MAX_LOT_EXPIRY_MONTHS + 1,
                ..base()
            },
            PointsPolicySettings {
                point_value_minor: 0,
                ..base()
            },
        ];
        for case in cases {
            assert!(case.validate().is_err());
        }
    }

    #[test]
    fn rewards_need_a_name_a_cost_and_a_unique_id() {
        let id = RecordId::from_u128(7);
        let reward = |name: &str, cost: i64| Reward {
            id,
            name: name.to_owned(),
            points_cost: cost,
            service: None,
        };
        let with_rewards = |rewards: Vec<Reward>| {
            PointsPolicySettings {
                rewards,
                ..PointsPolicySettings::default()
            }
            .validate()
        };
        assert!(matches!(
            with_rewards(vec![reward("", 10)]),
            Err(PolicyError::RewardNameEmpty { .. })
        ));
        assert!(matches!(
            with_rewards(vec![reward("Free wash", 0)]),
            Err(PolicyError::RewardCostNotPositive { .. })
        ));
        assert!(matches!(
            with_rewards(vec![reward("Free wash", 500), reward("Wax", 300)]),
            Err(PolicyError::DuplicateReward(_))
        ));
        let policy = with_rewards(vec![reward("Free wash", 500)]).unwrap();
        assert_eq!(policy.reward(id).unwrap().points_cost, 500);
        assert!(policy.reward(RecordId::from_u128(8)).is_none());
    }

    #[test]
    fn deserialising_validates() {
        let bad = PointsPolicySettings {
            tiers: vec![],
            ..PointsPolicySettings::default()
        };
        let bytes = postcard::to_allocvec(&bad).unwrap();
        assert!(postcard::from_bytes::<PointsPolicy>(&bytes).is_err());

        let good = PointsPolicy::default();
        let bytes = postcard::to_allocvec(&good).unwrap();
        assert_eq!(postcard::from_bytes::<PointsPolicy>(&bytes).unwrap(), good);
    }
}
