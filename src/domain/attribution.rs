//! Attribution: how one purchase's credit is shared among the scans that led to it.
//!
//! Credit is counted in billionths ([`CREDIT_UNIT`] is one whole conversion) and revenue in
//! cents, both split with the largest-remainder rule, so each conversion's shares sum to
//! exactly one conversion and exactly its amount, and any sum of them stays exact.

use std::fmt;

/// One whole conversion, in the integer units credit is counted in.
pub const CREDIT_UNIT: i64 = 1_000_000_000;
const MS_PER_SECOND: i64 = 1_000;
/// The longest lookback window (and half-life) a campaign or a report may ask for. A
/// conversion's touch path covers this much time before it, so any window fits inside.
pub const LONGEST_WINDOW: Span = Span(90 * 86_400_000);
pub const DEFAULT_WINDOW: Span = Span(7 * 86_400_000);
pub const DEFAULT_HALF_LIFE: Span = Span(86_400_000);

/// How a conversion's credit is shared among its qualifying touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Model {
    /// All to the latest touch.
    #[default]
    LastTouch,
    /// All to the earliest touch.
    FirstTouch,
    /// Equal shares.
    Linear,
    /// Halving for every half-life between the touch and the purchase.
    TimeDecay,
    /// 40% to the first, 40% to the last, 20% shared by those between.
    PositionBased,
}

impl Model {
    pub const ALL: [Model; 5] = [
        Self::LastTouch,
        Self::FirstTouch,
        Self::Linear,
        Self::TimeDecay,
        Self::PositionBased,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LastTouch => "last_touch",
            Self::FirstTouch => "first_touch",
            Self::Linear => "linear",
            Self::TimeDecay => "time_decay",
            Self::PositionBased => "position_based",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == raw)
            .ok_or_else(|| {
                format!(
                    "{raw:?} is not a model; use one of {}",
                    Self::ALL.map(Self::as_str).join(", ")
                )
            })
    }
}

impl TryFrom<String> for Model {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

/// A length of time as people write it: `7d`, `36h`, `90m` or `3600s`, from one second to
/// [`LONGEST_WINDOW`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span(i64);

impl Span {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = || format!("{raw:?} is not a duration such as 7d, 36h, 90m or 3600s");
        if !raw.is_ascii() {
            return Err(bad());
        }
        let (digits, unit) = raw.split_at(raw.len().saturating_sub(1));
        let per: i64 = match unit {
            "d" => 86_400 * MS_PER_SECOND,
            "h" => 3_600 * MS_PER_SECOND,
            "m" => 60 * MS_PER_SECOND,
            "s" => MS_PER_SECOND,
            _ => return Err(bad()),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let count: i64 = digits.parse().map_err(|_| bad())?;
        let span = count.checked_mul(per).map(Span).ok_or_else(bad)?;
        if span.0 == 0 || span > LONGEST_WINDOW {
            return Err(format!("{raw:?} must be from 1s to {LONGEST_WINDOW}"));
        }
        Ok(span)
    }

    pub fn from_ms(ms: i64) -> Option<Self> {
        (1..=LONGEST_WINDOW.0).contains(&ms).then_some(Span(ms))
    }

    pub fn ms(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Span {
    /// In the largest unit that writes it whole: `7d`, `36h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.0 / MS_PER_SECOND;
        let (count, unit) = [(86_400, "d"), (3_600, "h"), (60, "m")]
            .into_iter()
            .find(|(per, _)| seconds % per == 0)
            .map_or((seconds, "s"), |(per, unit)| (seconds / per, unit));
        write!(f, "{count}{unit}")
    }
}

/// The model and window a report (or a campaign by default) credits conversions with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub model: Model,
    pub window: Span,
    /// Used by [`Model::TimeDecay`] only.
    pub half_life: Span,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            model: Model::LastTouch,
            window: DEFAULT_WINDOW,
            half_life: DEFAULT_HALF_LIFE,
        }
    }
}

impl Rules {
    /// Whether a touch at `touched_at` may be credited for a purchase at `converted_at`:
    /// not after it, and not longer before it than the window (a touch exactly a window
    /// before still counts).
    pub fn qualifies(&self, touched_at: i64, converted_at: i64) -> bool {
        touched_at <= converted_at && converted_at - touched_at <= self.window.ms()
    }

    /// Each qualifying touch's credit in billionths of a conversion, summing to exactly
    /// [`CREDIT_UNIT`]; empty when none qualifies. `touched_at` is in time order.
    pub fn credit(&self, converted_at: i64, touched_at: &[i64]) -> Vec<i64> {
        let weights: Vec<f64> = match self.model {
            Model::LastTouch => one_hot(touched_at.len(), touched_at.len().saturating_sub(1)),
            Model::FirstTouch => one_hot(touched_at.len(), 0),
            Model::Linear => vec![1.0; touched_at.len()],
            Model::TimeDecay => {
                let half_life = self.half_life.ms() as f64;
                touched_at
                    .iter()
                    .map(|&t| 0.5f64.powf((converted_at - t) as f64 / half_life))
                    .collect()
            }
            Model::PositionBased => position_based(touched_at.len()),
        };
        split(CREDIT_UNIT, &weights)
    }
}

fn one_hot(len: usize, at: usize) -> Vec<f64> {
    (0..len).map(|i| if i == at { 1.0 } else { 0.0 }).collect()
}

/// 40/20/40; one touch takes all, two share evenly.
fn position_based(len: usize) -> Vec<f64> {
    match len {
        0 => Vec::new(),
        1 => vec![1.0],
        2 => vec![0.5, 0.5],
        n => {
            let middle = 0.2 / (n - 2) as f64;
            (0..n)
                .map(|i| if i == 0 || i == n - 1 { 0.4 } else { middle })
                .collect()
        }
    }
}

/// Splits `total` in proportion to `weights` into integers that sum to exactly `total`:
/// each share rounded down, then the units left over go to the largest remainders (the
/// earlier share on a tie). Empty weights, or weights summing to zero, split nothing.
pub fn split(total: i64, weights: &[f64]) -> Vec<i64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum.is_nan() || sum <= 0.0 {
        return Vec::new();
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut shares: Vec<i64> = exact.iter().map(|e| e.floor() as i64).collect();
    let mut left = total - shares.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    // Float rounding can leave the floors a unit or so off either way; hand out (or take
    // back) whole units until the sum is exact.
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        if left > 0 {
            shares[i] += 1;
            left -= 1;
        } else if shares[i] > 0 {
            shares[i] -= 1;
            left += 1;
        }
    }
    shares
}

/// Splits `amount_cents` in proportion to credits (as [`Rules::credit`] gives them).
pub fn split_cents(amount_cents: i64, credits: &[i64]) -> Vec<i64> {
    let weights: Vec<f64> = credits.iter().map(|&c| c as f64).collect();
    split(amount_cents, &weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;

    fn rules(model: Model) -> Rules {
        Rules {
            model,
            ..Rules::default()
        }
    }

    #[test]
    fn spans_read_and_write_as_people_do() {
        assert_eq!(Span::parse("7d").unwrap().ms(), 7 * DAY);
        assert_eq!(Span::parse("36h").unwrap().ms(), 36 * HOUR);
        assert_eq!(Span::parse("90m").unwrap().ms(), 90 * 60_000);
        assert_eq!(Span::parse("3600s").unwrap().ms(), HOUR);
        assert_eq!(Span::parse("90d").unwrap(), LONGEST_WINDOW);
        assert_eq!(Span::parse("48h").unwrap().to_string(), "2d");
        assert_eq!(Span::parse("90m").unwrap().to_string(), "90m");
        assert_eq!(Span::parse("61s").unwrap().to_string(), "61s");
        for bad in [
            "",
            "d",
            "7",
            "7w",
            "-1d",
            "0h",
            "91d",
            "1.5d",
            "+7d",
            "99999999999999999d",
        ] {
            assert!(Span::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn models_parse_by_their_names() {
        for model in Model::ALL {
            assert_eq!(Model::parse(model.as_str()), Ok(model));
        }
        assert!(Model::parse("last").unwrap_err().contains("last_touch"));
    }

    #[test]
    fn the_window_edge_is_inclusive_and_the_future_never_counts() {
        let r = Rules::default();
        let bought = 10 * DAY;
        assert!(
            r.qualifies(bought - 7 * DAY, bought),
            "exactly a window before"
        );
        assert!(
            !r.qualifies(bought - 7 * DAY - 1_000, bought),
            "one second outside"
        );
        assert!(r.qualifies(bought, bought), "at the moment of purchase");
        assert!(!r.qualifies(bought + 1, bought), "after the purchase");
    }

    #[test]
    fn each_model_shares_one_conversion_as_computed_by_hand() {
        let bought = 10 * DAY;
        let touches = [
            bought - 48 * HOUR,
            bought - 24 * HOUR,
            bought - 12 * HOUR,
            bought,
        ];
        let unit = CREDIT_UNIT;
        assert_eq!(
            rules(Model::LastTouch).credit(bought, &touches),
            [0, 0, 0, unit]
        );
        assert_eq!(
            rules(Model::FirstTouch).credit(bought, &touches),
            [unit, 0, 0, 0]
        );
        assert_eq!(rules(Model::Linear).credit(bought, &touches), [unit / 4; 4]);
        assert_eq!(
            rules(Model::PositionBased).credit(bought, &touches),
            [400_000_000, 100_000_000, 100_000_000, 400_000_000]
        );
        // Half-life 24 h: weights 1/4, 1/2, 1/sqrt(2), 1 over their sum 2.457106781:
        // 101745679.88, 203491359.77, 287780240.81, 406982719.54 billionths; the three
        // units left after rounding down go to .88, .81 and .77.
        let decay = rules(Model::TimeDecay).credit(bought, &touches);
        assert_eq!(decay, [101_745_680, 203_491_360, 287_780_241, 406_982_719]);
        assert_eq!(decay.iter().sum::<i64>(), unit);
    }

    #[test]
    fn position_based_with_one_or_two_touches() {
        let r = rules(Model::PositionBased);
        assert_eq!(r.credit(5, &[5]), [CREDIT_UNIT]);
        assert_eq!(r.credit(5, &[1, 5]), [CREDIT_UNIT / 2; 2]);
        assert_eq!(r.credit(5, &[]), Vec::<i64>::new());
    }

    #[test]
    fn thirds_still_sum_to_exactly_one() {
        let credit = rules(Model::Linear).credit(3, &[1, 2, 3]);
        assert_eq!(credit, [333_333_334, 333_333_333, 333_333_333]);
        let cents = split_cents(100, &credit);
        assert_eq!(cents, [34, 33, 33]);
    }

    #[test]
    fn a_million_conversions_sum_exactly_to_the_cent() {
        let r = rules(Model::TimeDecay);
        let (mut credit, mut cents, mut paid) = (0i64, 0i64, 0i64);
        for i in 0..1_000_000i64 {
            let bought = 100 * DAY + i;
            let touches: Vec<i64> = (0..(1 + i % 7))
                .map(|k| bought - k * 5 * HOUR - i % 977)
                .rev()
                .collect();
            let shares = r.credit(bought, &touches);
            let amount = 1 + (i * 7919) % 99_999;
            credit += shares.iter().sum::<i64>();
            cents += split_cents(amount, &shares).iter().sum::<i64>();
            paid += amount;
        }
        assert_eq!(credit, 1_000_000 * CREDIT_UNIT);
        assert_eq!(cents, paid);
    }
}
