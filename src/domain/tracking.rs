//! Whether a campaign's scans are tracked. Some labels may not track their readers (an EU
//! wine e-label's page must carry no tracking or marketing), so a campaign can be counted
//! only.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tracking {
    /// Every scan is stored with its coarse place, device and visitor, as reports need.
    #[default]
    Full,
    /// Nothing about the person is recorded or derived: no cookie, no place, no device, no
    /// visitor; each code's scans are only counted per hour.
    None,
}

impl Tracking {
    pub const ALL: [Self; 2] = [Self::Full, Self::None];

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "full" => Ok(Self::Full),
            "none" => Ok(Self::None),
            _ => Err("must be \"full\" or \"none\"".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::None => "none",
        }
    }

    pub fn is_full(self) -> bool {
        self == Self::Full
    }
}

impl TryFrom<String> for Tracking {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl fmt::Display for Tracking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_round_trips_and_nothing_else_parses() {
        for tracking in Tracking::ALL {
            assert_eq!(Tracking::parse(tracking.as_str()), Ok(tracking));
        }
        assert!(Tracking::parse("off").unwrap_err().contains("\"none\""));
        assert_eq!(Tracking::default(), Tracking::Full);
    }
}
