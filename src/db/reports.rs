//! Channel reports, read from the rollups and batch costs, never from the raw scans.

use std::collections::BTreeMap;

use super::{Db, DbResult};
use crate::domain::VisitorSketch;

/// Hour-aligned range `[from, to)` in epoch milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct ReportRange {
    pub from: i64,
    pub to: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ChannelReportRow {
    pub channel_id: i64,
    pub channel: String,
    pub channel_slug: String,
    pub kind: String,
    pub scans: i64,
    pub unique_visitors: i64,
    pub new_visitors: i64,
    pub bot_scans: i64,
    pub spend_cents: i64,
}

impl Db {
    /// One row per channel that has a batch in the campaign.
    pub async fn channel_report(
        &self,
        campaign_id: i64,
        range: ReportRange,
    ) -> DbResult<Vec<ChannelReportRow>> {
        let channels: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
            "SELECT ch.id, ch.name, ch.slug, ch.kind, CAST(COALESCE(SUM(b.cost_cents), 0) AS BIGINT) \
             FROM batches b JOIN channels ch ON ch.id = b.channel_id \
             WHERE b.campaign_id = $1 GROUP BY ch.id, ch.name, ch.slug, ch.kind",
        )
        .bind(campaign_id)
        .fetch_all(self.pool())
        .await?;
        let mut rows: BTreeMap<i64, ChannelReportRow> = channels
            .into_iter()
            .map(|(id, name, slug, kind, spend)| {
                let row = ChannelReportRow {
                    channel_id: id,
                    channel: name,
                    channel_slug: slug,
                    kind,
                    spend_cents: spend,
                    ..Default::default()
                };
                (id, row)
            })
            .collect();

        let counts: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT channel_id, CAST(SUM(scans) AS BIGINT), CAST(SUM(bot_scans) AS BIGINT), \
             CAST(SUM(new_visitors) AS BIGINT) FROM scan_rollups \
             WHERE campaign_id = $1 AND hour >= $2 AND hour < $3 GROUP BY channel_id",
        )
        .bind(campaign_id)
        .bind(range.from)
        .bind(range.to)
        .fetch_all(self.pool())
        .await?;
        for (channel_id, scans, bots, new) in counts {
            if let Some(row) = rows.get_mut(&channel_id) {
                row.scans = scans;
                row.bot_scans = bots;
                row.new_visitors = new;
            }
        }

        let sketches: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT channel_id, sketch FROM visitor_sketches \
             WHERE campaign_id = $1 AND hour >= $2 AND hour < $3",
        )
        .bind(campaign_id)
        .bind(range.from)
        .bind(range.to)
        .fetch_all(self.pool())
        .await?;
        let mut visitors: BTreeMap<i64, VisitorSketch> = BTreeMap::new();
        for (channel_id, bytes) in sketches {
            match VisitorSketch::from_bytes(&bytes) {
                Ok(sketch) => visitors.entry(channel_id).or_default().merge(&sketch),
                Err(err) => tracing::error!(%err, channel_id, "skipping a damaged visitor sketch"),
            }
        }
        for (channel_id, sketch) in visitors {
            if let Some(row) = rows.get_mut(&channel_id) {
                row.unique_visitors = sketch.estimate();
            }
        }
        Ok(rows.into_values().collect())
    }
}
