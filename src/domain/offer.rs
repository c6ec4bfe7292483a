//! What a limited offer counts: each person once, or each printed item once.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferCounts {
    /// Each visitor (the `sl_vid` cookie) claims once, whichever codes they scan.
    Visitors,
    /// Each unique code (one printed item) claims once, whoever scans it; shared codes
    /// take no part.
    Codes,
}

impl OfferCounts {
    pub const ALL: [Self; 2] = [Self::Visitors, Self::Codes];

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "visitors" => Ok(Self::Visitors),
            "codes" => Ok(Self::Codes),
            _ => Err("must be \"visitors\" or \"codes\"".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visitors => "visitors",
            Self::Codes => "codes",
        }
    }
}

impl TryFrom<String> for OfferCounts {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_round_trip_and_nothing_else_parses() {
        for counts in OfferCounts::ALL {
            assert_eq!(OfferCounts::parse(counts.as_str()), Ok(counts));
        }
        assert!(OfferCounts::parse("people").is_err());
    }
}
