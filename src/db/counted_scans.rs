//! The scans of no-tracking campaigns: a count per code and hour, written by the scan
//! writer (`scans.rs`), read here per hour and per batch.

use super::{Db, DbResult};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountedScans {
    /// Scans per clock hour (its start, epoch ms), in time order.
    pub hours: Vec<(i64, i64)>,
    /// Scans per batch, in batch order.
    pub batches: Vec<(i64, i64)>,
}

impl Db {
    /// Campaign `campaign_id`'s counted scans in the hours starting in `from..to`.
    pub async fn counted_scans(
        &self,
        campaign_id: i64,
        from: i64,
        to: i64,
    ) -> DbResult<CountedScans> {
        let read = |by: &'static str| {
            sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(format!(
                "SELECT {by}, CAST(SUM(scans) AS BIGINT) FROM counted_scans \
                 WHERE campaign_id = $1 AND hour >= $2 AND hour < $3 GROUP BY {by} ORDER BY {by}"
            )))
            .bind(campaign_id)
            .bind(from)
            .bind(to)
            .fetch_all(self.pool())
        };
        Ok(CountedScans {
            hours: read("hour").await?,
            batches: read("batch_id").await?,
        })
    }
}
