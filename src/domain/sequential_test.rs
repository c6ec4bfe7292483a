//! Judging an experiment's variants against its control on the share of visitors who buy,
//! in a way that stays valid however often the team looks: the mixture sequential
//! probability ratio test (mSPRT; Johari, Pekelis and Walsh, "Always valid inference",
//! 2017) on the difference of two rates, with a normal mixture over the difference.
//!
//! Each variant is compared with the control. The statistic `Λ` is a likelihood ratio
//! averaged over plausible differences; with no real difference the chance that it ever
//! reaches `1/α`, at any look, is at most `α` (Ville's inequality). With several variants
//! each comparison uses `α / (variants - 1)`, so the chance of any false winner stays at
//! most `α` (5%). The tests check this against simulated experiments.
//!
//! The decision rule: once every variant has `min_sample` visitors, a variant whose `Λ`
//! passes and whose rate is above the control's wins (the best such one if several); if
//! every other variant is worse than the control with `Λ` passing, the control wins.

/// The chance of declaring a winner when no variant differs from the control.
pub const ALPHA: f64 = 0.05;
/// The spread of the differences the mixture expects, relative to the pooled rate: lifts
/// around a quarter of the rate are what a landing page's wording tends to move.
const MIXTURE_SPREAD: f64 = 0.25;
const Z_95: f64 = 1.959_963_984_540_054;

/// A variant's visitors and the visitors among them who bought.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Arm {
    pub visitors: u64,
    pub converted: u64,
}

impl Arm {
    pub fn rate(self) -> f64 {
        if self.visitors == 0 {
            0.0
        } else {
            self.converted as f64 / self.visitors as f64
        }
    }

    /// The rate's 95% interval (Wilson's score interval: sound near 0 and with few visitors).
    pub fn interval(self) -> (f64, f64) {
        if self.visitors == 0 {
            return (0.0, 1.0);
        }
        let n = self.visitors as f64;
        let p = self.rate();
        let z2 = Z_95 * Z_95;
        let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
        let half = Z_95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
        ((centre - half).max(0.0), (centre + half).min(1.0))
    }
}

/// The chance that `variant`'s true rate is above `control`'s, from their posteriors
/// (uniform priors, so Beta(1 + bought, 1 + did not)), by the normal approximation of the
/// difference. Descriptive: the decision is the sequential test's.
pub fn chance_to_beat(control: Arm, variant: Arm) -> f64 {
    let posterior = |arm: Arm| {
        let a = arm.converted as f64 + 1.0;
        let b = (arm.visitors - arm.converted.min(arm.visitors)) as f64 + 1.0;
        let mean = a / (a + b);
        let var = a * b / ((a + b) * (a + b) * (a + b + 1.0));
        (mean, var)
    };
    let (mc, vc) = posterior(control);
    let (mv, vv) = posterior(variant);
    normal_cdf((mv - mc) / (vc + vv).sqrt())
}

/// The mSPRT statistic for `variant` against `control`: 1 means no evidence either way.
pub fn likelihood_ratio(control: Arm, variant: Arm) -> f64 {
    if control.visitors == 0 || variant.visitors == 0 {
        return 1.0;
    }
    let pooled = (control.converted + variant.converted) as f64
        / (control.visitors + variant.visitors) as f64;
    // The difference's variance with no real difference (the pooled rate in both).
    let v =
        pooled * (1.0 - pooled) * (1.0 / control.visitors as f64 + 1.0 / variant.visitors as f64);
    if v <= 0.0 {
        return 1.0;
    }
    let tau2 = (MIXTURE_SPREAD * pooled).powi(2);
    let diff = variant.rate() - control.rate();
    (v / (v + tau2)).sqrt() * (diff * diff * tau2 / (2.0 * v * (v + tau2))).exp()
}

/// The always-valid p-value of a comparison: the least `α` at which it would pass now.
pub fn p_value(control: Arm, variant: Arm) -> f64 {
    (1.0 / likelihood_ratio(control, variant)).min(1.0)
}

/// The decision on an experiment's arms (the control first), or `None` while undecided.
/// Returns the winner's position.
pub fn winner(arms: &[Arm], min_sample: u64) -> Option<usize> {
    let (control, others) = arms.split_first()?;
    if others.is_empty() || arms.iter().any(|arm| arm.visitors < min_sample) {
        return None;
    }
    let alpha = ALPHA / others.len() as f64;
    let passes = |arm: &Arm| p_value(*control, *arm) <= alpha;
    let better = others
        .iter()
        .enumerate()
        .filter(|(_, arm)| passes(arm) && arm.rate() > control.rate())
        .max_by(|(_, a), (_, b)| a.rate().total_cmp(&b.rate()));
    if let Some((i, _)) = better {
        return Some(i + 1);
    }
    others
        .iter()
        .all(|arm| passes(arm) && arm.rate() < control.rate())
        .then_some(0)
}

/// The standard normal distribution function (Abramowitz and Stegun 7.1.26 for erf, good to
/// 1.5e-7: far finer than a percentage shown to a whole point).
fn normal_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return 0.5;
    }
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-z * z).exp();
    if x >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    /// Runs `experiments` simulated experiments with the given true rates, the team looking
    /// after every `step` visitors per variant up to `horizon`, and counts how often each
    /// variant was declared the winner at some look.
    fn simulate(rates: &[f64], experiments: u32, step: u64, horizon: u64, seed: u64) -> Vec<u32> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut wins = vec![0; rates.len()];
        for _ in 0..experiments {
            let mut arms = vec![Arm::default(); rates.len()];
            while arms[0].visitors < horizon {
                for (arm, rate) in arms.iter_mut().zip(rates) {
                    for _ in 0..step {
                        arm.visitors += 1;
                        arm.converted += u64::from(rng.random::<f64>() < *rate);
                    }
                }
                if let Some(w) = winner(&arms, 100) {
                    wins[w] += 1;
                    break;
                }
            }
        }
        wins
    }

    #[test]
    fn with_no_real_difference_a_winner_is_declared_in_at_most_about_5_percent() {
        // 1,000 experiments of two variants at 5%, looked at 50 times each.
        let wins = simulate(&[0.05, 0.05], 1_000, 100, 5_000, 1);
        let declared: u32 = wins.iter().sum();
        assert!(
            declared <= 55,
            "{declared} of 1000 declared a winner: {wins:?}"
        );
        // And with four variants, Bonferroni keeps the whole experiment's rate down.
        let wins = simulate(&[0.1, 0.1, 0.1, 0.1], 500, 100, 3_000, 2);
        let declared: u32 = wins.iter().sum();
        assert!(
            declared <= 28,
            "{declared} of 500 declared a winner: {wins:?}"
        );
    }

    #[test]
    fn a_real_lift_is_found() {
        // 5% against 7.5%: a 50% lift, found in most experiments within 5,000 visitors.
        let wins = simulate(&[0.05, 0.075], 200, 100, 5_000, 3);
        assert!(wins[1] >= 140, "{wins:?}");
        assert!(wins[0] <= 2, "{wins:?}");
    }

    #[test]
    fn nothing_is_decided_before_the_minimum_sample() {
        let arms = [
            Arm {
                visitors: 99,
                converted: 0,
            },
            Arm {
                visitors: 99,
                converted: 90,
            },
        ];
        assert_eq!(winner(&arms, 100), None);
        assert_eq!(winner(&arms, 50), Some(1));
    }

    #[test]
    fn the_control_wins_when_every_other_variant_is_clearly_worse() {
        let arms = [
            Arm {
                visitors: 1_000,
                converted: 200,
            },
            Arm {
                visitors: 1_000,
                converted: 50,
            },
            Arm {
                visitors: 1_000,
                converted: 40,
            },
        ];
        assert_eq!(winner(&arms, 100), Some(0));
    }

    #[test]
    fn intervals_and_chances_read_sensibly() {
        let arm = Arm {
            visitors: 1_000,
            converted: 100,
        };
        let (low, high) = arm.interval();
        assert!(
            (low - 0.0829).abs() < 0.001 && (high - 0.1202).abs() < 0.001,
            "{low} {high}"
        );
        assert_eq!(Arm::default().interval(), (0.0, 1.0));
        let even = chance_to_beat(arm, arm);
        assert!((even - 0.5).abs() < 1e-6, "{even}");
        let better = chance_to_beat(
            arm,
            Arm {
                visitors: 1_000,
                converted: 140,
            },
        );
        assert!(better > 0.99, "{better}");
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
    }
}
