//! What a campaign's team planned with: a number for each funnel step, the rate into a
//! step, and money (CPA at most, ROAS and revenue at least), and whether what happened is
//! behind that plan. A count is judged against the share of it due by now: the share of
//! the campaign's run that has passed.

/// The funnel's steps, in order: each one's people or actions come from the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Scans,
    UniqueScanners,
    LandingViews,
    CtaClicks,
    Conversions,
    RepeatPurchasers,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Scans,
        Step::UniqueScanners,
        Step::LandingViews,
        Step::CtaClicks,
        Step::Conversions,
        Step::RepeatPurchasers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scans => "scans",
            Self::UniqueScanners => "unique_scanners",
            Self::LandingViews => "landing_views",
            Self::CtaClicks => "cta_clicks",
            Self::Conversions => "conversions",
            Self::RepeatPurchasers => "repeat_purchasers",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// The largest count or amount a target may name.
pub const MOST: i64 = 1_000_000_000_000;
/// The largest rate into a step (views per scanner may pass 1; a hundred cannot be meant).
pub const MOST_RATE: f64 = 100.0;

/// A campaign's targets; what is absent is not planned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Targets {
    /// By [`Step::index`].
    pub counts: [Option<i64>; 6],
    /// The rate into each step from the one before, by [`Step::index`] (none into scans).
    pub rates: [Option<f64>; 6],
    pub cpa_cents: Option<i64>,
    pub roas: Option<f64>,
    pub revenue_cents: Option<i64>,
}

impl Targets {
    /// Why a count or amount cannot be a target, if it cannot.
    pub fn check_count(value: i64) -> Result<(), String> {
        if (1..=MOST).contains(&value) {
            Ok(())
        } else {
            Err(format!("must be from 1 to {MOST}, not {value}"))
        }
    }

    /// Why a rate or ROAS cannot be a target, if it cannot.
    pub fn check_rate(value: f64) -> Result<(), String> {
        if value.is_finite() && value > 0.0 && value <= MOST_RATE {
            Ok(())
        } else {
            Err(format!(
                "must be above 0 and at most {MOST_RATE} (0.3 is 30%), not {value}"
            ))
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The money targets a CPA and a ROAS miss: `cpa_cents` above its target, `roas`
    /// below.
    pub fn money_behind(&self, cpa_cents: Option<i64>, roas: Option<f64>) -> Vec<&'static str> {
        let mut behind = Vec::new();
        if self.cpa_behind(cpa_cents) == Some(true) {
            behind.push("cpa_cents");
        }
        if self.roas_behind(roas) == Some(true) {
            behind.push("roas");
        }
        behind
    }

    /// Whether a CPA is above its target; unknown without a target or a CPA (no
    /// conversions).
    pub fn cpa_behind(&self, cpa_cents: Option<i64>) -> Option<bool> {
        Some(cpa_cents? > self.cpa_cents?)
    }

    /// Whether a ROAS is below its target; unknown without a target or a ROAS (no spend).
    pub fn roas_behind(&self, roas: Option<f64>) -> Option<bool> {
        Some(roas? < self.roas?)
    }
}

/// When the campaign runs, to tell how much of a count target is due by `now`.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub starts_at: i64,
    pub ends_at: Option<i64>,
}

impl Run {
    /// The share of the run that has passed at `now`, 0 to 1; unknown without an end.
    pub fn elapsed(self, now: i64) -> Option<f64> {
        let ends_at = self.ends_at?;
        if ends_at <= self.starts_at {
            return Some(1.0);
        }
        let share = (now - self.starts_at) as f64 / (ends_at - self.starts_at) as f64;
        Some(share.clamp(0.0, 1.0))
    }
}

/// How a count stands against its target: what is due by now (the target times the share
/// of the run passed; the whole target without a known end) and whether it is behind that.
pub fn count_progress(count: f64, target: i64, elapsed: Option<f64>) -> (f64, bool) {
    let due = target as f64 * elapsed.unwrap_or(1.0);
    (due, count < due)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_is_judged_against_the_share_of_the_run_passed() {
        let run = Run {
            starts_at: 1_000,
            ends_at: Some(11_000),
        };
        assert_eq!(run.elapsed(0), Some(0.0));
        assert_eq!(run.elapsed(3_500), Some(0.25));
        assert_eq!(run.elapsed(20_000), Some(1.0));
        // A quarter through, 10,000 scanners planned: 2,500 are due.
        assert_eq!(count_progress(2_499.0, 10_000, Some(0.25)), (2_500.0, true));
        assert_eq!(
            count_progress(2_500.0, 10_000, Some(0.25)),
            (2_500.0, false)
        );
        // Without an end the whole target is due.
        let open = Run {
            starts_at: 1_000,
            ends_at: None,
        };
        assert_eq!(open.elapsed(5_000), None);
        assert_eq!(count_progress(9_999.0, 10_000, None), (10_000.0, true));
        // A run that ends as it starts is over.
        let instant = Run {
            starts_at: 5,
            ends_at: Some(5),
        };
        assert_eq!(instant.elapsed(0), Some(1.0));
    }

    #[test]
    fn targets_outside_their_bounds_are_refused() {
        assert!(Targets::check_count(1).is_ok());
        assert!(Targets::check_count(MOST).is_ok());
        assert!(Targets::check_count(0).is_err());
        assert!(Targets::check_count(MOST + 1).is_err());
        assert!(Targets::check_rate(0.3).is_ok());
        assert!(Targets::check_rate(MOST_RATE).is_ok());
        for bad in [0.0, -0.1, MOST_RATE + 0.1, f64::NAN, f64::INFINITY] {
            assert!(Targets::check_rate(bad).is_err(), "{bad}");
        }
        assert!(Targets::default().is_empty());
    }

    #[test]
    fn steps_are_in_funnel_order() {
        for (i, step) in Step::ALL.iter().enumerate() {
            assert_eq!(step.index(), i);
        }
        assert_eq!(Step::CtaClicks.as_str(), "cta_clicks");
    }
}
