//! Repeat-purchase cohorts: how many people first scanned a campaign in each hour (kept by
//! the touches fold), and which of them bought, when.

use super::{Db, DbResult, ReportRange};

/// A buyer of one of the campaign's conversions: when they first scanned the campaign and
/// when they bought.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CohortPurchase {
    pub visitor_id: String,
    pub first_seen: i64,
    pub bought_at: i64,
}

impl Db {
    /// People first seen in the campaign per hour of the range.
    pub async fn cohort_sizes(
        &self,
        campaign_id: i64,
        range: ReportRange,
    ) -> DbResult<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT hour, visitors FROM visitor_cohorts \
             WHERE campaign_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour",
        )
        .bind(campaign_id)
        .bind(range.from)
        .bind(range.to)
        .fetch_all(self.pool())
        .await?)
    }

    /// The range's conversions whose touch paths reach the campaign (inside `window_ms`
    /// before each purchase) made by a visitor first seen in the range. A purchase keyed
    /// by a token or a store names no visitor and is left out.
    pub async fn cohort_purchases(
        &self,
        campaign_id: i64,
        range: ReportRange,
        window_ms: i64,
    ) -> DbResult<Vec<CohortPurchase>> {
        Ok(sqlx::query_as(
            "WITH reached AS (SELECT DISTINCT conversion_id FROM conversion_touches \
                 WHERE campaign_id = $1 AND converted_at >= $2 AND converted_at < $3 \
                 AND touched_at >= converted_at - $4 AND touched_at <= converted_at) \
             SELECT c.visitor_id, v.first_seen, c.occurred_at AS bought_at \
             FROM reached r JOIN conversions c ON c.id = r.conversion_id \
             JOIN campaign_visitors v ON v.campaign_id = $1 AND v.visitor_id = c.visitor_id \
             WHERE v.first_seen >= $2 AND v.first_seen < $3",
        )
        .bind(campaign_id)
        .bind(range.from)
        .bind(range.to)
        .bind(window_ms)
        .fetch_all(self.pool())
        .await?)
    }
}
