//! A/B experiments: started with their variants (fixed from then on), stopped (by hand,
//! at their end date, or when a winner is found), and what each variant's visitors did.
//! Starting and stopping rewrite the experiment's routing, the JSON the code cache and the
//! landing page read, and are noted for every instance's code cache in the same
//! transaction. Every change is kept in `experiment_log`.

use std::collections::BTreeMap;

use super::{Db, DbError, DbResult, ReportFilter, ReportRange, SliceCounts, now_ms, take_row_turn};
use crate::domain::experiment::{RoutedVariant, Routing, VariantLanding};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Experiment {
    pub id: i64,
    pub campaign_id: i64,
    pub name: String,
    /// `running` or `stopped`.
    pub status: String,
    pub min_sample: i64,
    pub ends_at: Option<i64>,
    #[sqlx(try_from = "i64")]
    pub auto_stop: super::Flag,
    pub winner_id: Option<i64>,
    pub created_by: i64,
    pub started_at: i64,
    pub stopped_at: Option<i64>,
    pub stop_reason: Option<String>,
    #[sqlx(skip)]
    pub variants: Vec<Variant>,
}

impl Experiment {
    pub fn is_running(&self) -> bool {
        self.status == "running"
    }

    /// `running` or `stopped`, as pages name it.
    pub fn state(&self) -> &'static str {
        if self.is_running() {
            "running"
        } else {
            "stopped"
        }
    }

    /// What scans and pages follow while it runs, or after it stopped with a winner.
    pub fn routing(&self, winner: Option<i64>) -> Routing {
        Routing {
            experiment_id: self.id,
            variants: self
                .variants
                .iter()
                .map(|v| RoutedVariant {
                    id: v.id,
                    weight: v.weight as u32,
                    destination_url: v.destination_url.clone(),
                    landing: v.landing.clone(),
                })
                .collect(),
            winner,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub id: i64,
    pub name: String,
    pub weight: i64,
    pub landing: Option<VariantLanding>,
    pub destination_url: Option<String>,
}

/// An experiment to start, validated by the caller.
#[derive(Debug, Clone)]
pub struct NewExperiment {
    pub campaign_id: i64,
    pub name: String,
    pub min_sample: i64,
    pub ends_at: Option<i64>,
    pub auto_stop: bool,
    pub variants: Vec<NewVariant>,
    pub created_by: i64,
}

#[derive(Debug, Clone)]
pub struct NewVariant {
    pub name: String,
    pub weight: i64,
    pub landing: Option<VariantLanding>,
    pub destination_url: Option<String>,
}

/// Settings that may change while an experiment runs: none of them changes its design.
#[derive(Debug, Clone, Default)]
pub struct ExperimentChange {
    pub name: Option<String>,
    pub min_sample: Option<i64>,
    /// `Some(None)` removes the end date.
    pub ends_at: Option<Option<i64>>,
    pub auto_stop: Option<bool>,
}

/// How an experiment came to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// Someone stopped it.
    Manual,
    /// Its end date came.
    Ended,
    /// A winner was found and it was set to stop then.
    AutoStop,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Ended => "ended",
            Self::AutoStop => "auto_stop",
        }
    }
}

/// One line of an experiment's log: `started`, `changed`, `winner_found` or `stopped`,
/// with the report's figures at that moment where it matters.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LogEntry {
    pub at: i64,
    pub event: String,
    pub user_id: Option<i64>,
    pub figures: Option<String>,
}

/// What one variant's visitors did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VariantCounts {
    pub scans: i64,
    pub visitors: i64,
    pub views: i64,
    pub clicks: i64,
    /// Visitors who bought after their first scan in the variant.
    pub buyers: i64,
    pub conversions: i64,
    /// Net of refunds, in the campaign's currency.
    pub revenue_cents: i64,
}

/// What the people shown one variant did in a report's range.
#[derive(Debug, Clone, Default)]
pub struct VariantSlice {
    pub counts: SliceCounts,
    /// Distinct people among the scans, counted exactly.
    pub visitors: i64,
}

const COLUMNS: &str = "id, campaign_id, name, status, min_sample, ends_at, auto_stop, winner_id, \
     created_by, started_at, stopped_at, stop_reason";

/// Variant ids as an SQL list of the experiment's own.
const VARIANTS_OF: &str = "SELECT id FROM experiment_variants WHERE experiment_id = $1";

impl Db {
    /// Starts an experiment on its campaign, unless one already runs there. A winner of an
    /// earlier experiment stops taking the traffic.
    pub async fn create_experiment(&self, new: NewExperiment) -> DbResult<Experiment> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        // Two starts on one campaign take turns, so both cannot pass the check below.
        take_row_turn(&mut tx, "campaigns", new.campaign_id).await?;
        let running: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM experiments WHERE campaign_id = $1 AND status = 'running'",
        )
        .bind(new.campaign_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((id,)) = running {
            return Err(DbError::Conflict(format!(
                "experiment {id} is already running on this campaign: stop it first"
            )));
        }
        sqlx::query("UPDATE experiments SET routing = NULL WHERE campaign_id = $1")
            .bind(new.campaign_id)
            .execute(&mut *tx)
            .await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO experiments (campaign_id, name, status, min_sample, ends_at, auto_stop, \
             created_by, started_at) VALUES ($1, $2, 'running', $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(new.campaign_id)
        .bind(&new.name)
        .bind(new.min_sample)
        .bind(new.ends_at)
        .bind(i64::from(new.auto_stop))
        .bind(new.created_by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let mut variants = Vec::with_capacity(new.variants.len());
        for (position, v) in new.variants.into_iter().enumerate() {
            // Texts only: serialising cannot fail.
            let landing = v
                .landing
                .as_ref()
                .and_then(|l| serde_json::to_string(l).ok());
            let (variant_id,): (i64,) = sqlx::query_as(
                "INSERT INTO experiment_variants (experiment_id, position, name, weight, \
                 landing, destination_url) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(id)
            .bind(position as i64)
            .bind(&v.name)
            .bind(v.weight)
            .bind(landing)
            .bind(&v.destination_url)
            .fetch_one(&mut *tx)
            .await?;
            variants.push(Variant {
                id: variant_id,
                name: v.name,
                weight: v.weight,
                landing: v.landing,
                destination_url: v.destination_url,
            });
        }
        let started = Experiment {
            id,
            campaign_id: new.campaign_id,
            name: new.name,
            status: "running".into(),
            min_sample: new.min_sample,
            ends_at: new.ends_at,
            auto_stop: super::Flag(new.auto_stop),
            winner_id: None,
            created_by: new.created_by,
            started_at: now,
            stopped_at: None,
            stop_reason: None,
            variants,
        };
        set_routing(&mut tx, id, Some(&started.routing(None))).await?;
        log(&mut tx, id, "started", Some(new.created_by), None).await?;
        Db::note_status_change(&mut *tx).await?;
        tx.commit().await?;
        Ok(started)
    }

    /// Changes settings of a running experiment; a stopped one is a conflict.
    pub async fn change_experiment(
        &self,
        id: i64,
        change: ExperimentChange,
        user_id: i64,
    ) -> DbResult<Experiment> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE experiments SET name = COALESCE($1, name), \
             min_sample = COALESCE($2, min_sample), \
             ends_at = CASE WHEN $3 = 1 THEN $4 ELSE ends_at END, \
             auto_stop = COALESCE($5, auto_stop) \
             WHERE id = $6 AND status = 'running'",
        )
        .bind(change.name)
        .bind(change.min_sample)
        .bind(i64::from(change.ends_at.is_some()))
        .bind(change.ends_at.flatten())
        .bind(change.auto_stop.map(i64::from))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            drop(tx);
            self.experiment(id).await?;
            return Err(DbError::Conflict(format!(
                "experiment {id} has stopped: start a new experiment instead"
            )));
        }
        log(&mut tx, id, "changed", Some(user_id), None).await?;
        tx.commit().await?;
        self.experiment(id).await
    }

    /// Stops a running experiment: `winner` (a variant of it) takes all traffic from now
    /// on, or, with none, the campaign's own page and destination come back. `figures` is
    /// the report at this moment, kept in the log. Stopping one that stopped is a conflict.
    pub async fn stop_experiment(
        &self,
        id: i64,
        winner: Option<i64>,
        reason: StopReason,
        user_id: Option<i64>,
        figures: &str,
    ) -> DbResult<Experiment> {
        let experiment = self.experiment(id).await?;
        let routing = winner.map(|w| experiment.routing(Some(w)));
        let mut tx = self.begin_write().await?;
        let stopped = sqlx::query(
            "UPDATE experiments SET status = 'stopped', stopped_at = $1, stop_reason = $2, \
             winner_id = $3 WHERE id = $4 AND status = 'running'",
        )
        .bind(now_ms())
        .bind(reason.as_str())
        .bind(winner)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if stopped == 0 {
            return Err(DbError::Conflict(format!(
                "experiment {id} has already stopped"
            )));
        }
        set_routing(&mut tx, id, routing.as_ref()).await?;
        log(&mut tx, id, "stopped", user_id, Some(figures)).await?;
        Db::note_status_change(&mut *tx).await?;
        tx.commit().await?;
        self.experiment(id).await
    }

    /// Notes in the log that the test found a winner, once per experiment; false if it was
    /// noted before (by this instance or another).
    pub async fn note_winner_found(&self, id: i64, figures: &str) -> DbResult<bool> {
        let mut tx = self.begin_write().await?;
        let noted: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM experiment_log WHERE experiment_id = $1 AND event = 'winner_found'",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if noted.is_some() {
            return Ok(false);
        }
        log(&mut tx, id, "winner_found", None, Some(figures)).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn experiment(&self, id: i64) -> DbResult<Experiment> {
        let mut experiment: Experiment = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM experiments WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)?;
        experiment.variants = self.variants(id).await?;
        Ok(experiment)
    }

    /// A campaign's experiments, newest first.
    pub async fn campaign_experiments(&self, campaign_id: i64) -> DbResult<Vec<Experiment>> {
        let ids: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM experiments WHERE campaign_id = $1 ORDER BY id DESC")
                .bind(campaign_id)
                .fetch_all(self.pool())
                .await?;
        let mut experiments = Vec::with_capacity(ids.len());
        for (id,) in ids {
            experiments.push(self.experiment(id).await?);
        }
        Ok(experiments)
    }

    /// A campaign's latest experiment, if it has had one.
    pub async fn latest_experiment(&self, campaign_id: i64) -> DbResult<Option<Experiment>> {
        let id: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM experiments WHERE campaign_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(campaign_id)
        .fetch_optional(self.pool())
        .await?;
        match id {
            Some((id,)) => Ok(Some(self.experiment(id).await?)),
            None => Ok(None),
        }
    }

    /// The experiments running anywhere, for the job that ends and decides them.
    pub async fn running_experiments(&self) -> DbResult<Vec<i64>> {
        let ids: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM experiments WHERE status = 'running' ORDER BY id")
                .fetch_all(self.pool())
                .await?;
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }

    /// The routing a campaign's pages follow: its running experiment's, or the winner's of
    /// the last one that stopped with one.
    pub async fn campaign_routing(&self, campaign_id: i64) -> DbResult<Option<Routing>> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT routing FROM experiments WHERE campaign_id = $1 AND routing IS NOT NULL",
        )
        .bind(campaign_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.and_then(|(json,)| read_routing(&json)))
    }

    pub async fn experiment_log(&self, id: i64) -> DbResult<Vec<LogEntry>> {
        Ok(sqlx::query_as(
            "SELECT at, event, user_id, figures FROM experiment_log \
             WHERE experiment_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?)
    }

    /// What each variant's visitors did while the experiment ran: scans, visitors, views
    /// and clicks carry their variant; a purchase counts for the variant of its buyer when
    /// its path crosses the campaign, after the buyer's first scan in the experiment.
    pub async fn variant_counts(
        &self,
        experiment: &Experiment,
    ) -> DbResult<BTreeMap<i64, VariantCounts>> {
        let until = experiment.stopped_at.unwrap_or(i64::MAX);
        let mut counts: BTreeMap<i64, VariantCounts> = experiment
            .variants
            .iter()
            .map(|v| (v.id, VariantCounts::default()))
            .collect();
        let scans: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT variant_id, COUNT(*), COUNT(DISTINCT visitor_id) FROM scans \
             WHERE variant_id IN ({VARIANTS_OF}) AND scanned_at < $2 GROUP BY variant_id"
        )))
        .bind(experiment.id)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        for (variant, scans, visitors) in scans {
            if let Some(c) = counts.get_mut(&variant) {
                c.scans = scans;
                c.visitors = visitors;
            }
        }
        let events: Vec<(i64, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT variant_id, kind, COUNT(*) FROM events \
             WHERE variant_id IN ({VARIANTS_OF}) AND occurred_at < $2 AND is_bot = 0 \
             GROUP BY variant_id, kind"
        )))
        .bind(experiment.id)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        for (variant, kind, n) in events {
            if let Some(c) = counts.get_mut(&variant) {
                match kind.as_str() {
                    "view" => c.views = n,
                    "click" => c.clicks = n,
                    _ => {}
                }
            }
        }
        let bought: Vec<(i64, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT a.variant_id, COUNT(DISTINCT a.visitor_id), COUNT(*), \
             CAST(COALESCE(SUM(c.amount_cents - c.refunded_cents), 0) AS BIGINT) \
             FROM (SELECT visitor_id, MIN(variant_id) AS variant_id, MIN(scanned_at) AS first_at \
                   FROM scans WHERE variant_id IN ({VARIANTS_OF}) AND scanned_at < $2 \
                   GROUP BY visitor_id) a \
             JOIN (SELECT DISTINCT conversion_id, buyer FROM conversion_touches \
                   WHERE campaign_id = $3 AND converted_at >= $4) t ON t.buyer = a.visitor_id \
             JOIN conversions c ON c.id = t.conversion_id \
             WHERE c.occurred_at >= a.first_at \
             GROUP BY a.variant_id"
        )))
        .bind(experiment.id)
        .bind(until)
        .bind(experiment.campaign_id)
        .bind(experiment.started_at)
        .fetch_all(self.pool())
        .await?;
        for (variant, buyers, conversions, revenue) in bought {
            if let Some(c) = counts.get_mut(&variant) {
                c.buyers = buyers;
                c.conversions = conversions;
                c.revenue_cents = revenue;
            }
        }
        Ok(counts)
    }

    /// The scans and people's events of each of the experiment's variants in `range`
    /// inside `filter`, counted from the raw rows that carry the variant (bots' carry
    /// none).
    pub async fn variant_slices(
        &self,
        experiment_id: i64,
        range: ReportRange,
        filter: &ReportFilter,
    ) -> DbResult<BTreeMap<i64, VariantSlice>> {
        let f = filter.sql();
        let mut slices: BTreeMap<i64, VariantSlice> = BTreeMap::new();
        let scans: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT variant_id, COUNT(*), COUNT(DISTINCT visitor_id) FROM scans \
             WHERE variant_id IN ({VARIANTS_OF}) AND scanned_at >= $2 AND scanned_at < $3 \
             AND is_bot = 0{f} GROUP BY variant_id"
        )))
        .bind(experiment_id)
        .bind(range.from)
        .bind(range.to)
        .fetch_all(self.pool())
        .await?;
        for (variant, scans, visitors) in scans {
            let slice = slices.entry(variant).or_default();
            slice.counts.scans = scans;
            slice.visitors = visitors;
        }
        let events: Vec<(i64, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT variant_id, kind, COUNT(*) FROM events \
             WHERE variant_id IN ({VARIANTS_OF}) AND occurred_at >= $2 AND occurred_at < $3 \
             AND is_bot = 0{f} GROUP BY variant_id, kind"
        )))
        .bind(experiment_id)
        .bind(range.from)
        .bind(range.to)
        .fetch_all(self.pool())
        .await?;
        for (variant, kind, n) in events {
            let counts = &mut slices.entry(variant).or_default().counts;
            match kind.as_str() {
                "view" => counts.landing_views += n,
                "click" => counts.cta_clicks += n,
                "photo" => counts.photo_shares += n,
                _ => {}
            }
        }
        Ok(slices)
    }

    async fn variants(&self, experiment_id: i64) -> DbResult<Vec<Variant>> {
        let rows: Vec<VariantRow> = sqlx::query_as(
            "SELECT id, name, weight, landing, destination_url FROM experiment_variants \
             WHERE experiment_id = $1 ORDER BY position",
        )
        .bind(experiment_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| Variant {
                id: row.id,
                name: row.name,
                weight: row.weight,
                landing: row
                    .landing
                    .and_then(|json| serde_json::from_str(&json).ok()),
                destination_url: row.destination_url,
            })
            .collect())
    }
}

#[derive(sqlx::FromRow)]
struct VariantRow {
    id: i64,
    name: String,
    weight: i64,
    landing: Option<String>,
    destination_url: Option<String>,
}

/// A stored routing, or `None` (logged) if it no longer reads.
pub fn read_routing(json: &str) -> Option<Routing> {
    serde_json::from_str(json)
        .inspect_err(|err| tracing::error!(%err, "an unreadable experiment routing is left out"))
        .ok()
}

async fn set_routing(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    routing: Option<&Routing>,
) -> DbResult<()> {
    // Numbers and texts only: serialising cannot fail.
    let json = routing.and_then(|r| serde_json::to_string(r).ok());
    sqlx::query("UPDATE experiments SET routing = $1 WHERE id = $2")
        .bind(json)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn log(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    event: &str,
    user_id: Option<i64>,
    figures: Option<&str>,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO experiment_log (experiment_id, at, event, user_id, figures) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(now_ms())
    .bind(event)
    .bind(user_id)
    .bind(figures)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
