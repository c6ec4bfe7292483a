//! The stages of the brand's funnel a visitor moves through, each reached by something
//! they did in a campaign: scanning (aware), seeing the landing page (interested),
//! following a call to action (considering), joining or claiming a code's points
//! (intending), buying (customer), buying again (loyal).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Aware,
    Interested,
    Considering,
    Intending,
    Customer,
    Loyal,
}

impl Stage {
    pub const ALL: [Self; 6] = [
        Self::Aware,
        Self::Interested,
        Self::Considering,
        Self::Intending,
        Self::Customer,
        Self::Loyal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aware => "aware",
            Self::Interested => "interested",
            Self::Considering => "considering",
            Self::Intending => "intending",
            Self::Customer => "customer",
            Self::Loyal => "loyal",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|stage| stage.as_str() == raw)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
                format!("{raw:?} is not a stage: use {}", known.join(", "))
            })
    }

    /// The stage's place in the funnel, 1 (aware) to 6 (loyal); 0 is "not seen yet".
    pub fn level(self) -> i64 {
        self as i64 + 1
    }

    pub fn from_level(level: i64) -> Option<Self> {
        usize::try_from(level - 1)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_round_trip_by_name_and_level() {
        for stage in Stage::ALL {
            assert_eq!(Stage::parse(stage.as_str()), Ok(stage));
            assert_eq!(Stage::from_level(stage.level()), Some(stage));
        }
        assert_eq!(Stage::from_level(0), None);
        assert_eq!(Stage::from_level(7), None);
        let err = Stage::parse("lead").unwrap_err();
        assert!(err.contains("aware") && err.contains("loyal"), "{err}");
    }
}
