//! The switch a brand flips on a campaign, a batch or a code.

use std::fmt;

/// `Active` sends scans on; `Disabled` sends them to the campaign's fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Disabled,
}

impl Status {
    pub const ALL: [Self; 2] = [Self::Active, Self::Disabled];

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "active" => Ok(Self::Active),
            "disabled" => Ok(Self::Disabled),
            _ => Err("must be \"active\" or \"disabled\"".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }
}

impl TryFrom<String> for Status {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_nothing_else_parses() {
        for status in [Status::Active, Status::Disabled] {
            assert_eq!(Status::parse(status.as_str()), Ok(status));
        }
        assert!(Status::parse("Active").is_err());
        assert!(Status::parse("").is_err());
    }
}
