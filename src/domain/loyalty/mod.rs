//! Loyalty points (SPEC section 7): the points policy and tiers, earning, and the lot-based
//! ledger. Pure rules with integer maths only; the store persists what these compute.

pub mod earn;
pub mod ledger;
pub mod policy;

pub use earn::{ROLLING_MONTHS, RollingSpend, points_for, tier_for};
pub use ledger::{
    EntryKind, LedgerEntry, LedgerError, Lot, LotAllocation, LotBalance, Wallet, plan_adjust,
    plan_earn, plan_expiry, plan_partial_reversal, plan_redeem, plan_void,
};
pub use policy::{
    MAX_LOT_EXPIRY_MONTHS, MAX_MULTIPLIER_PERCENT, PointsPolicy, PointsPolicySettings, PolicyError,
    Reward, Tier,
};

#[cfg(test)]
mod tests {
    /// Money and points are integer-only (SPEC 7); the needles are split so this file does not
    /// match itself.
    #[test]
    fn no_floating_point_in_loyalty_sources() {
        let float_types = [concat!("f", "32"), concat!("f", "64")];
        let sources = [
            ("mod.rs", include_str!("mod.rs")),
            ("earn.rs", include_str!("earn.rs")),
            ("ledger.rs", include_str!("ledger.rs")),
            ("policy.rs", include_str!("policy.rs")),
        ];
        for (file, text) in sources {
            for float_type in float_types {
                assert!(
                    !text.contains(float_type),
                    "{file} mentions `{float_type}`; loyalty maths must stay in integers"
                );
            }
        }
    }
}
