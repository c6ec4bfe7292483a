//! Scans as the live feed shows them: in id order after a point, with what a brand may see
//! of each (never the visitor, the address or a position finer than the city).

use serde::Serialize;

use super::{Db, DbResult, Scope};
use crate::domain::time::to_rfc3339;

/// One scan on the live feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveScan {
    /// The scan's id: the feed's order, and what `Last-Event-ID` names.
    pub id: i64,
    /// When it was made, RFC 3339 in UTC.
    pub at: String,
    pub campaign_id: i64,
    pub channel_id: i64,
    pub batch_id: i64,
    // Left out when not known: at thousands of scans a second, every byte goes to every
    // listener.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// `mobile`, `tablet`, `desktop`, `other` or `bot`.
    pub device: String,
    /// Where the scan was sent: `destination`, `landing` (the campaign's page) or
    /// `fallback` (the campaign is not running, or the code is disabled).
    pub outcome: String,
}

type LiveRow = (
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

impl From<LiveRow> for LiveScan {
    fn from(row: LiveRow) -> Self {
        let (id, at, campaign_id, channel_id, batch_id, store_id, country, region, city) = (
            row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8,
        );
        Self {
            id,
            at: to_rfc3339(at),
            campaign_id,
            channel_id,
            batch_id,
            store_id,
            country,
            region,
            city,
            device: row.9,
            outcome: row.10,
        }
    }
}

impl Db {
    /// Up to `limit` scans with ids after `after` (and at most `until`), in id order,
    /// of the stores `scope` reaches.
    pub async fn live_scans(
        &self,
        after: i64,
        until: i64,
        scope: &Scope,
        limit: i64,
    ) -> DbResult<Vec<LiveScan>> {
        let rows: Vec<LiveRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, scanned_at, campaign_id, channel_id, batch_id, store_id, country, \
             region, city, device, outcome FROM scans WHERE id > $1 AND id <= $2 AND {} \
             ORDER BY id LIMIT $3",
            scope.sql("store_id")
        )))
        .bind(after)
        .bind(until)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(LiveScan::from).collect())
    }
}
