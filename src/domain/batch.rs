//! What a batch is: its mode, and how far the generation of its codes has come.

/// How many codes a print run gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchMode {
    /// One code for the whole run (a poster).
    Shared,
    /// One code per item, serials 1..=quantity (a production run of bottles).
    Unique,
}

impl BatchMode {
    pub const ALL: [Self; 2] = [Self::Shared, Self::Unique];

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "shared" => Ok(Self::Shared),
            "unique" => Ok(Self::Unique),
            _ => Err("must be \"shared\" or \"unique\"".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shared => "shared",
            Self::Unique => "unique",
        }
    }

    /// Codes a run of `quantity` items needs.
    pub fn codes_for(self, quantity: i64) -> i64 {
        match self {
            Self::Shared => 1,
            Self::Unique => quantity,
        }
    }
}

impl TryFrom<String> for BatchMode {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

/// Where the generation of a batch's codes stands. Codes resolve, export and render only
/// once their batch is `Ready`, so a half-made batch never looks usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// Codes are being written in chunks by a background job.
    Generating,
    /// Every code is written.
    Ready,
    /// Generation gave up; the codes written so far are removed.
    Failed,
}

impl Generation {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "generating" => Ok(Self::Generating),
            "ready" => Ok(Self::Ready),
            "failed" => Ok(Self::Failed),
            _ => Err(format!("unknown generation state {raw:?}")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Generating => "generating",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }
}

impl TryFrom<String> for Generation {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_run_needs_one_code_and_a_unique_run_one_per_item() {
        assert_eq!(BatchMode::Shared.codes_for(40), 1);
        assert_eq!(BatchMode::Unique.codes_for(40), 40);
    }

    #[test]
    fn modes_and_states_round_trip() {
        for mode in [BatchMode::Shared, BatchMode::Unique] {
            assert_eq!(BatchMode::parse(mode.as_str()), Ok(mode));
        }
        for state in [
            Generation::Generating,
            Generation::Ready,
            Generation::Failed,
        ] {
            assert_eq!(Generation::parse(state.as_str()), Ok(state));
        }
        assert!(BatchMode::parse("many").is_err());
        assert!(Generation::parse("done").is_err());
    }
}
