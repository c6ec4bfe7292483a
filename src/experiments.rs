//! An experiment's report (each variant's funnel, its conversion rate with a 95% interval,
//! the chance it beats the control and the sequential test's verdict) and what follows
//! from it: an experiment past its end date stops, a winner found is logged with the
//! figures, and one set to stop itself sends everyone to the winner. `settle` does this
//! wherever an experiment is read, and a job does it every half minute for the rest.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{Db, DbError, DbResult, Experiment, StopReason, now_ms};
use crate::domain::sequential_test::{self, ALPHA, Arm};
use crate::scans::CodeCache;

/// How often the job looks at running experiments.
pub const CHECK_EVERY: Duration = Duration::from_secs(30);

/// The test the report's verdict comes from, as the report names it.
pub const TEST_NAME: &str = "mSPRT (mixture sequential probability ratio test), always valid";

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub experiment_id: i64,
    /// `running` or `stopped`.
    pub status: String,
    /// What the verdict comes from: a sequential test that stays valid however often the
    /// report is read.
    pub test: &'static str,
    /// The chance of declaring a winner when no variant differs (split over the
    /// comparisons with the control).
    pub alpha: f64,
    /// Visitors each variant needs before a winner may be declared.
    pub min_sample: i64,
    /// The campaign's currency: revenue is in its cents.
    pub currency: String,
    pub variants: Vec<VariantReport>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VariantReport {
    pub id: i64,
    pub name: String,
    /// The first variant: the others are compared with it.
    pub control: bool,
    pub weight: i64,
    pub scans: i64,
    pub unique_scanners: i64,
    pub landing_views: i64,
    pub cta_clicks: i64,
    /// Purchases by this variant's visitors after their first scan in it (their paths
    /// cross the campaign).
    pub conversions: i64,
    /// Visitors who bought: the conversion rate's numerator.
    pub buyers: i64,
    /// Net of refunds.
    pub revenue_cents: i64,
    /// Buyers per unique scanner.
    pub conversion_rate: f64,
    /// The rate's 95% interval (Wilson).
    pub conversion_rate_low: f64,
    pub conversion_rate_high: f64,
    /// The chance its true rate is above the control's (Bayesian, uniform priors);
    /// absent for the control.
    pub chance_to_beat_control: Option<f64>,
    /// The sequential test's always-valid p-value against the control; below
    /// `alpha / (variants - 1)` it differs.
    pub p_value: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Verdict {
    /// `collecting` (a variant is below the minimum sample), `undecided`, or `winner`.
    pub state: &'static str,
    pub winner_variant_id: Option<i64>,
    /// The verdict in a sentence.
    pub summary: String,
}

/// Builds the report of `experiment` from what its variants' visitors did.
pub async fn report(db: &Db, experiment: &Experiment) -> DbResult<Report> {
    let counts = db.variant_counts(experiment).await?;
    let currency = db.campaign(experiment.campaign_id).await?.currency;
    let arms: Vec<Arm> = experiment
        .variants
        .iter()
        .map(|v| {
            let c = counts.get(&v.id).copied().unwrap_or_default();
            Arm {
                visitors: c.visitors.max(0) as u64,
                converted: c.buyers.clamp(0, c.visitors.max(0)) as u64,
            }
        })
        .collect();
    let control = arms.first().copied().unwrap_or_default();
    let variants = experiment
        .variants
        .iter()
        .zip(&arms)
        .enumerate()
        .map(|(i, (v, arm))| {
            let c = counts.get(&v.id).copied().unwrap_or_default();
            let (low, high) = arm.interval();
            VariantReport {
                id: v.id,
                name: v.name.clone(),
                control: i == 0,
                weight: v.weight,
                scans: c.scans,
                unique_scanners: c.visitors,
                landing_views: c.views,
                cta_clicks: c.clicks,
                conversions: c.conversions,
                buyers: c.buyers,
                revenue_cents: c.revenue_cents,
                conversion_rate: arm.rate(),
                conversion_rate_low: low,
                conversion_rate_high: high,
                chance_to_beat_control: (i > 0)
                    .then(|| sequential_test::chance_to_beat(control, *arm)),
                p_value: (i > 0).then(|| sequential_test::p_value(control, *arm)),
            }
        })
        .collect();
    let min_sample = experiment.min_sample.max(1) as u64;
    let winner = sequential_test::winner(&arms, min_sample);
    let verdict = verdict(experiment, &arms, winner, min_sample);
    Ok(Report {
        experiment_id: experiment.id,
        status: experiment.status.clone(),
        test: TEST_NAME,
        alpha: ALPHA,
        min_sample: experiment.min_sample,
        currency,
        variants,
        verdict,
    })
}

fn verdict(experiment: &Experiment, arms: &[Arm], winner: Option<usize>, min: u64) -> Verdict {
    let name = |i: usize| experiment.variants[i].name.clone();
    match winner {
        Some(i) => Verdict {
            state: "winner",
            winner_variant_id: Some(experiment.variants[i].id),
            summary: if i == 0 {
                format!(
                    "the control, {}, converts better than every other variant",
                    name(0)
                )
            } else {
                format!("{} converts better than the control, {}", name(i), name(0))
            },
        },
        None => {
            let fewest = arms.iter().map(|a| a.visitors).min().unwrap_or(0);
            if fewest < min {
                Verdict {
                    state: "collecting",
                    winner_variant_id: None,
                    summary: format!(
                        "the smallest variant has {fewest} of the {min} visitors needed before a winner may be declared"
                    ),
                }
            } else {
                Verdict {
                    state: "undecided",
                    winner_variant_id: None,
                    summary: "no variant differs from the control with enough certainty yet".into(),
                }
            }
        }
    }
}

/// Reads experiment `id` and acts on it while it runs: past its end date it stops (the
/// winner, if the test found one and it may stop itself, takes all traffic; otherwise the
/// campaign's own page comes back); a winner found is logged once, and an experiment set to
/// stop itself stops then. Returns the experiment and its report as they stand after.
pub async fn settle(db: &Db, codes: &CodeCache, id: i64) -> DbResult<(Experiment, Report)> {
    let experiment = db.experiment(id).await?;
    let report = report(db, &experiment).await?;
    if !experiment.is_running() {
        return Ok((experiment, report));
    }
    let winner = report.verdict.winner_variant_id;
    let figures = serde_json::to_string(&report).unwrap_or_default();
    if winner.is_some() && db.note_winner_found(id, &figures).await? {
        tracing::info!(experiment = id, winner = ?winner, "experiment found a winner");
    }
    let auto_stop = experiment.auto_stop.0;
    let ended = experiment.ends_at.is_some_and(|end| end <= now_ms());
    let reason = match (winner, auto_stop, ended) {
        (Some(_), true, _) => StopReason::AutoStop,
        (_, _, true) => StopReason::Ended,
        _ => return Ok((experiment, report)),
    };
    let send_to = winner.filter(|_| auto_stop);
    match codes
        .stop_experiment(id, send_to, reason, None, &figures)
        .await
    {
        Ok(stopped) => {
            tracing::info!(experiment = id, reason = reason.as_str(), winner = ?send_to, "experiment stopped");
            let report = self::report(db, &stopped).await?;
            Ok((stopped, report))
        }
        // Another instance stopped it first.
        Err(DbError::Conflict(_)) => {
            let experiment = db.experiment(id).await?;
            let report = self::report(db, &experiment).await?;
            Ok((experiment, report))
        }
        Err(err) => Err(err),
    }
}

/// Settles every running experiment, every `CHECK_EVERY`, so end dates and automatic
/// stops happen when nobody reads the reports.
pub async fn run(db: Db, codes: Arc<CodeCache>) {
    let mut tick = tokio::time::interval(CHECK_EVERY);
    loop {
        tick.tick().await;
        let running = match db.running_experiments().await {
            Ok(ids) => ids,
            Err(err) => {
                tracing::warn!(%err, "cannot read the running experiments");
                continue;
            }
        };
        for id in running {
            if let Err(err) = settle(&db, &codes, id).await {
                tracing::warn!(%err, experiment = id, "cannot settle an experiment");
            }
        }
    }
}
