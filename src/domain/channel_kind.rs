//! Where a channel's codes are placed; reports compare channels by it.

/// The kinds a channel can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    Packaging,
    Poster,
    Store,
    Media,
    Social,
    Event,
    Other,
}

impl ChannelKind {
    pub const ALL: [Self; 7] = [
        Self::Packaging,
        Self::Poster,
        Self::Store,
        Self::Media,
        Self::Social,
        Self::Event,
        Self::Other,
    ];

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
                format!("must be one of {}", names.join(", "))
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Packaging => "packaging",
            Self::Poster => "poster",
            Self::Store => "store",
            Self::Media => "media",
            Self::Social => "social",
            Self::Event => "event",
            Self::Other => "other",
        }
    }
}

impl TryFrom<String> for ChannelKind {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_and_unknown_kinds_name_the_choices() {
        for kind in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(kind.as_str()), Ok(kind));
        }
        let err = ChannelKind::parse("billboard").unwrap_err();
        assert!(err.contains("packaging") && err.contains("other"), "{err}");
    }
}
