//! A campaign's points rules: what earns a member points, how many a member may earn from
//! the campaign in 24 hours, how many unique codes one network may claim in 24 hours, and
//! the tiers members reach by the points they earned in all.

use serde::{Deserialize, Serialize};

/// Points for one thing at most; a cap at most.
pub const MAX_POINTS: i64 = 1_000_000;
pub const MAX_TIERS: usize = 10;
const MAX_TIER_NAME: usize = 40;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PointsRules {
    /// For the first scan of a unique code: once per code, to the first member to claim it.
    pub first_scan: i64,
    /// For each whole unit (yuan) of a purchase whose last scan was of the campaign.
    pub per_yuan: i64,
    /// For a photo shared on the campaign's page, once it is approved.
    pub photo_approved: i64,
    /// To a member whose share link brought someone who joined.
    pub referral_join: i64,
    /// To a member whose share link brought someone who then bought (their first purchase).
    pub referral_purchase: i64,
    /// For the points a member may earn from the campaign in 24 hours (none: no cap).
    pub daily_cap: Option<i64>,
    /// Unique codes one network (/24 or /48) may claim in 24 hours (none: no cap).
    pub network_daily_claims: Option<i64>,
    /// Lowest first; a member is in the highest one whose `min_points` they earned.
    pub tiers: Vec<Tier>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub name: String,
    pub min_points: i64,
}

/// A rule that cannot be kept: the field, and why.
pub type Refusal = (String, String);

impl PointsRules {
    /// The rules, or the first field out of bounds.
    pub fn check(self) -> Result<Self, Refusal> {
        let bounded = |field: &str, value: i64, low: i64| {
            if (low..=MAX_POINTS).contains(&value) {
                Ok(())
            } else {
                Err((
                    field.to_owned(),
                    format!("must be between {low} and {MAX_POINTS}"),
                ))
            }
        };
        for (field, value) in [
            ("first_scan", self.first_scan),
            ("per_yuan", self.per_yuan),
            ("photo_approved", self.photo_approved),
            ("referral_join", self.referral_join),
            ("referral_purchase", self.referral_purchase),
        ] {
            bounded(field, value, 0)?;
        }
        if let Some(cap) = self.daily_cap {
            bounded("daily_cap", cap, 1)?;
        }
        if let Some(cap) = self.network_daily_claims {
            bounded("network_daily_claims", cap, 1)?;
        }
        if self.tiers.len() > MAX_TIERS {
            return Err(("tiers".into(), format!("at most {MAX_TIERS} tiers")));
        }
        let mut tiers = self.tiers;
        for (i, tier) in tiers.iter_mut().enumerate() {
            tier.name = tier.name.trim().to_owned();
            if tier.name.is_empty()
                || tier.name.chars().count() > MAX_TIER_NAME
                || tier.name.chars().any(char::is_control)
            {
                return Err((
                    format!("tiers[{i}].name"),
                    format!("must be 1 to {MAX_TIER_NAME} characters, on one line"),
                ));
            }
            bounded(&format!("tiers[{i}].min_points"), tier.min_points, 0)?;
        }
        for (i, pair) in tiers.windows(2).enumerate() {
            if pair[1].min_points <= pair[0].min_points {
                return Err((
                    format!("tiers[{}].min_points", i + 1),
                    "must be more than the tier before: list tiers lowest first".into(),
                ));
            }
            if pair[1].name.eq_ignore_ascii_case(&pair[0].name) {
                return Err((format!("tiers[{}].name", i + 1), "is used twice".into()));
            }
        }
        Ok(Self { tiers, ..self })
    }

    /// Points for a purchase of `amount_cents` (whole units only).
    pub fn for_purchase(&self, amount_cents: i64) -> i64 {
        (amount_cents.max(0) / 100).saturating_mul(self.per_yuan)
    }

    /// The tier of a member who earned `earned` points, and the next one with the points
    /// still needed to reach it.
    pub fn tier(&self, earned: i64) -> (Option<&Tier>, Option<(&Tier, i64)>) {
        let reached = self.tiers.iter().rev().find(|t| earned >= t.min_points);
        let next = self
            .tiers
            .iter()
            .find(|t| earned < t.min_points)
            .map(|t| (t, t.min_points - earned));
        (reached, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(name: &str, min_points: i64) -> Tier {
        Tier {
            name: name.into(),
            min_points,
        }
    }

    #[test]
    fn tiers_are_reached_by_points_earned() {
        let rules = PointsRules {
            tiers: vec![tier("Silver", 100), tier("Gold", 500)],
            ..Default::default()
        }
        .check()
        .unwrap();
        assert_eq!(rules.tier(0), (None, Some((&rules.tiers[0], 100))));
        assert_eq!(
            rules.tier(100),
            (Some(&rules.tiers[0]), Some((&rules.tiers[1], 400)))
        );
        assert_eq!(rules.tier(9_999), (Some(&rules.tiers[1]), None));
    }

    #[test]
    fn purchases_earn_per_whole_yuan() {
        let rules = PointsRules {
            per_yuan: 2,
            ..Default::default()
        };
        assert_eq!(rules.for_purchase(12_999), 258);
        assert_eq!(rules.for_purchase(99), 0);
        assert_eq!(rules.for_purchase(-500), 0);
    }

    #[test]
    fn rules_out_of_bounds_name_their_field() {
        let refused = |rules: PointsRules| rules.check().unwrap_err().0;
        assert_eq!(
            refused(PointsRules {
                first_scan: -1,
                ..Default::default()
            }),
            "first_scan"
        );
        assert_eq!(
            refused(PointsRules {
                daily_cap: Some(0),
                ..Default::default()
            }),
            "daily_cap"
        );
        assert_eq!(
            refused(PointsRules {
                tiers: vec![tier("Gold", 500), tier("Silver", 100)],
                ..Default::default()
            }),
            "tiers[1].min_points"
        );
        assert_eq!(
            refused(PointsRules {
                tiers: vec![tier(" ", 5)],
                ..Default::default()
            }),
            "tiers[0].name"
        );
    }
}
