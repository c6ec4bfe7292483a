//! A/B landing experiments as scans and pages meet them: the variants with their traffic
//! weights, and which one a visitor sees. The choice is a hash of the experiment and the
//! visitor id, so a visitor sees the same variant on every scan, on every instance, with no
//! lookup; bots and visits without a visitor see the control (the first variant).

use serde::{Deserialize, Serialize};

/// Weights are whole percentages that add up to this.
pub const TOTAL_WEIGHT: u32 = 100;
/// The least share of traffic a variant may get.
pub const MIN_WEIGHT: u32 = 5;
pub const MIN_VARIANTS: usize = 2;
pub const MAX_VARIANTS: usize = 4;

/// What the scans and the landing page need of an experiment, stored as JSON with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    pub experiment_id: i64,
    /// In the experiment's order; the first is the control.
    pub variants: Vec<RoutedVariant>,
    /// Set once the experiment stopped and sent everyone to one variant.
    #[serde(default)]
    pub winner: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutedVariant {
    pub id: i64,
    pub weight: u32,
    /// Where the variant's scans go; the landing page when absent.
    #[serde(default)]
    pub destination_url: Option<String>,
    /// What the variant's landing page says instead of the campaign's.
    #[serde(default)]
    pub landing: Option<VariantLanding>,
}

/// The parts of a landing page a variant may say differently; absent ones stay the
/// campaign's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantLanding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cta_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cta_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_color: Option<String>,
}

impl VariantLanding {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// The variant a visit is shown, and whether it counts for the experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown<'a> {
    pub variant: &'a RoutedVariant,
    /// The variant's position in the experiment.
    pub position: usize,
    /// The visit is part of the running experiment: its scan and events carry the variant.
    pub counts: bool,
}

impl Routing {
    /// What `visitor_id` is shown (`None`: a bot, or a visit without a visitor): the winner
    /// once there is one, else the visitor's own variant, else the control.
    pub fn shown(&self, visitor_id: Option<&str>) -> Option<Shown<'_>> {
        if let Some(winner) = self.winner {
            let position = self.variants.iter().position(|v| v.id == winner)?;
            return Some(Shown {
                variant: &self.variants[position],
                position,
                counts: false,
            });
        }
        let (position, counts) = match visitor_id {
            Some(visitor) => (self.position_of(visitor), true),
            None => (0, false),
        };
        self.variants.get(position).map(|variant| Shown {
            variant,
            position,
            counts,
        })
    }

    /// The visitor's variant: their bucket of 100, from a hash of the experiment and
    /// visitor id, falls in one variant's share of the weights.
    pub fn position_of(&self, visitor_id: &str) -> usize {
        let bucket = bucket(self.experiment_id, visitor_id);
        let mut upper = 0;
        for (position, variant) in self.variants.iter().enumerate() {
            upper += variant.weight;
            if bucket < upper {
                return position;
            }
        }
        self.variants.len().saturating_sub(1)
    }
}

/// 0..100 from FNV-1a over the experiment id and the visitor id: stable across instances
/// and releases (the standard library's hasher promises neither), and different per
/// experiment, so one visitor is not always in the first variant.
fn bucket(experiment_id: i64, visitor_id: &str) -> u32 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut hash = OFFSET;
    for byte in experiment_id
        .to_le_bytes()
        .iter()
        .chain(visitor_id.as_bytes())
    {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(PRIME);
    }
    // The high bits mix best; 2^32 buckets folded onto 100 skew by under 1e-7.
    ((hash >> 32) % u64::from(TOTAL_WEIGHT)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routing(weights: &[u32]) -> Routing {
        Routing {
            experiment_id: 7,
            variants: weights
                .iter()
                .enumerate()
                .map(|(i, weight)| RoutedVariant {
                    id: 100 + i as i64,
                    weight: *weight,
                    destination_url: None,
                    landing: None,
                })
                .collect(),
            winner: None,
        }
    }

    #[test]
    fn a_visitor_always_gets_the_same_variant() {
        let routing = routing(&[50, 50]);
        for i in 0..100 {
            let visitor = format!("visitor-{i}");
            let first = routing.position_of(&visitor);
            assert!((0..10).all(|_| routing.position_of(&visitor) == first));
        }
    }

    #[test]
    fn traffic_follows_the_weights() {
        let routing = routing(&[20, 30, 50]);
        let mut seen = [0u32; 3];
        for i in 0..30_000 {
            seen[routing.position_of(&format!("{i:032x}"))] += 1;
        }
        for (count, weight) in seen.iter().zip([20.0, 30.0, 50.0]) {
            let share = f64::from(*count) / 300.0;
            assert!((share - weight).abs() < 1.5, "{seen:?}");
        }
    }

    #[test]
    fn experiments_split_visitors_independently() {
        let mut other = routing(&[50, 50]);
        other.experiment_id = 8;
        let first = routing(&[50, 50]);
        let same = (0..2_000)
            .filter(|i| {
                let v = format!("v{i}");
                first.position_of(&v) == other.position_of(&v)
            })
            .count();
        assert!((800..1_200).contains(&same), "{same}");
    }

    #[test]
    fn bots_see_the_control_and_a_winner_takes_everyone() {
        let mut routing = routing(&[50, 50]);
        let bot = routing.shown(None).unwrap();
        assert_eq!((bot.position, bot.counts), (0, false));
        let person = routing.shown(Some("abc")).unwrap();
        assert!(person.counts);
        routing.winner = Some(101);
        for visitor in [None, Some("abc"), Some("xyz")] {
            let shown = routing.shown(visitor).unwrap();
            assert_eq!((shown.variant.id, shown.counts), (101, false));
        }
    }
}
