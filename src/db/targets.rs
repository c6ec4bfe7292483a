//! A campaign's targets (kept as the JSON document the API took), and the funnel's counts
//! that the channel report does not already have: landing views and clicks from the event
//! rollups, repeat purchasers from the stored touch paths.

use std::collections::BTreeMap;

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::QueryAs;

use super::edges::{IN_DAYS, IN_HOURS};
use super::{Backend, Db, DbResult, ReportFilter, ReportRange, now_ms};

/// Human events of one kind (`view`, `click`) per channel; channel 0 holds visits that came
/// without a code.
#[derive(Debug, Default)]
pub struct EventCounts {
    pub by_channel: BTreeMap<i64, i64>,
    pub total: i64,
}

/// Buyers with at least two conversions credited to the campaign; per channel, those of
/// them whose paths the channel's scans are on.
#[derive(Debug, Default)]
pub struct RepeatPurchasers {
    pub by_channel: BTreeMap<i64, i64>,
    pub total: i64,
}

impl Db {
    pub async fn campaign_targets(&self, campaign_id: i64) -> DbResult<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT targets FROM campaign_targets WHERE campaign_id = $1")
                .bind(campaign_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(targets,)| targets))
    }

    /// Replaces the campaign's targets; `None` removes them.
    pub async fn set_campaign_targets(
        &self,
        campaign_id: i64,
        targets: Option<String>,
    ) -> DbResult<()> {
        let _turn = self.write_turn().await;
        match targets {
            Some(targets) => {
                sqlx::query(
                    "INSERT INTO campaign_targets (campaign_id, targets, updated_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (campaign_id) \
                     DO UPDATE SET targets = excluded.targets, updated_at = excluded.updated_at",
                )
                .bind(campaign_id)
                .bind(targets)
                .bind(now_ms())
                .execute(self.pool())
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM campaign_targets WHERE campaign_id = $1")
                    .bind(campaign_id)
                    .execute(self.pool())
                    .await?;
            }
        }
        Ok(())
    }

    /// Human events of `kind` (`view`, `click` or `photo`) in the range, per channel, from
    /// the event rollups.
    pub async fn event_counts(
        &self,
        campaign_id: i64,
        range: ReportRange,
        kind: &str,
        filter: &ReportFilter,
    ) -> DbResult<EventCounts> {
        let span = self.span(range, filter).await?;
        let f = filter.sql();
        let day_column = match kind {
            "view" => "views",
            "click" => "clicks",
            "photo" => "photos",
            _ => "0",
        };
        let rows: Vec<(i64, i64)> = span
            .bind(
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT channel_id, CAST(SUM(events) AS BIGINT) FROM ( \
                         SELECT channel_id, events FROM event_rollups \
                         WHERE campaign_id = $1 AND {IN_HOURS} AND kind = $8{f} \
                         UNION ALL SELECT channel_id, {day_column} FROM day_batches \
                         WHERE campaign_id = $1 AND {IN_DAYS}) AS t \
                     GROUP BY channel_id"
                )))
                .bind(campaign_id),
            )
            .bind(kind.to_owned())
            .fetch_all(self.pool())
            .await?;
        let edges = self.edge_events(campaign_id, &span, filter).await?;
        let edges = edges
            .into_iter()
            .filter(|e| e.kind == kind)
            .map(|e| (e.channel_id, 1));
        let mut counts = EventCounts::default();
        for (channel_id, events) in rows.into_iter().chain(edges) {
            counts.total += events;
            *counts.by_channel.entry(channel_id).or_default() += events;
        }
        Ok(counts)
    }

    /// Buyers who made at least two of the conversions in the range whose touch paths
    /// reach the campaign through a touch inside the filter (inside `window_ms` before
    /// each purchase). A buyer is the visitor, or the code for a purchase keyed by its
    /// token without a visitor; a till purchase keyed by its store names no one and is
    /// left out.
    pub async fn repeat_purchasers(
        &self,
        campaign_id: i64,
        range: ReportRange,
        window_ms: i64,
        filter: &ReportFilter,
    ) -> DbResult<RepeatPurchasers> {
        let reached = format!(
            "FROM conversion_touches WHERE campaign_id = $1 AND converted_at >= $2 \
             AND converted_at < $3 AND touched_at >= converted_at - $4 \
             AND touched_at <= converted_at AND buyer IS NOT NULL{}",
            filter.sql()
        );
        let binds = (campaign_id, range, window_ms);
        let mut repeat = RepeatPurchasers::default();
        match self.backend() {
            // One pass sorted by buyer, which PostgreSQL runs in parallel; not a join of
            // the paths with their own aggregate: a planner that misjudges the rows (right
            // after a large import) would run that join as a nested loop, recounting per row.
            Backend::Postgres => {
                let sql = format!(
                    "SELECT DISTINCT channel_id, buyer FROM (SELECT channel_id, buyer, \
                         MIN(conversion_id) OVER (PARTITION BY buyer) AS first_conversion, \
                         MAX(conversion_id) OVER (PARTITION BY buyer) AS last_conversion \
                         {reached}) reached \
                     WHERE first_conversion < last_conversion"
                );
                let rows: Vec<(i64, String)> =
                    bind_reached(sqlx::query_as(sqlx::AssertSqlSafe(sql)), binds)
                        .fetch_all(self.pool())
                        .await?;
                let mut buyers = std::collections::HashSet::new();
                for (channel_id, buyer) in rows {
                    *repeat.by_channel.entry(channel_id).or_default() += 1;
                    buyers.insert(buyer);
                }
                repeat.total = buyers.len() as i64;
            }
            // SQLite's window functions sort slowly, and it looks an IN list up in an index
            // it builds, never in a loop: the repeat buyers grouped first, then their
            // channels, counted in the database (half the time of the sort above and of
            // handing every repeat buyer's channels to the process).
            Backend::Sqlite => {
                let sql = format!(
                    "WITH repeat AS MATERIALIZED (SELECT buyer {reached} GROUP BY buyer \
                         HAVING MIN(conversion_id) < MAX(conversion_id)) \
                     SELECT channel_id, COUNT(DISTINCT buyer) {reached} \
                         AND buyer IN (SELECT buyer FROM repeat) GROUP BY channel_id \
                     UNION ALL SELECT NULL, COUNT(*) FROM repeat"
                );
                let rows: Vec<(Option<i64>, i64)> =
                    bind_reached(sqlx::query_as(sqlx::AssertSqlSafe(sql)), binds)
                        .fetch_all(self.pool())
                        .await?;
                for (channel_id, buyers) in rows {
                    match channel_id {
                        Some(id) => *repeat.by_channel.entry(id).or_default() += buyers,
                        None => repeat.total = buyers,
                    }
                }
            }
        }
        Ok(repeat)
    }
}

/// Binds the parameters of `repeat_purchasers`' paths: the campaign, the range's ends and
/// the window.
fn bind_reached<'q, O>(
    query: QueryAs<'q, Any, O, AnyArguments>,
    (campaign_id, range, window_ms): (i64, ReportRange, i64),
) -> QueryAs<'q, Any, O, AnyArguments> {
    query
        .bind(campaign_id)
        .bind(range.from)
        .bind(range.to)
        .bind(window_ms)
}
