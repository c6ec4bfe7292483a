//! Deleting old raw scans, events and touches, and visitors not seen since. Reports read rollups and sketches, and per-code
//! history is folded from scans, so those stay; only the raw rows go, and scans only once
//! the fold has counted them.

use super::code_history::fold_watermark;
use super::edges::RAW_KEPT_FROM;
use super::{Db, DbResult};

impl Db {
    /// Deletes up to `limit` of the oldest scans made before `cutoff_ms` that the per-code
    /// history has already folded; returns how many went. Fewer than `limit` means none
    /// are left to delete now.
    ///
    /// Scan ids grow with time, so the oldest ids are the oldest scans and the walk needs
    /// no index on the scan time (which would cost a page write per scan). A scan whose
    /// time is out of order with its id (clocks of several instances) waits for the next
    /// sweep.
    pub async fn delete_old_scans(&self, cutoff_ms: i64, limit: i64) -> DbResult<u64> {
        let folded = fold_watermark(self.pool()).await?;
        let _turn = self.write_turn().await;
        self.note_raw_kept_from(cutoff_ms).await?;
        let deleted = sqlx::query(
            "DELETE FROM scans WHERE id IN \
             (SELECT id FROM scans WHERE id <= $1 ORDER BY id LIMIT $2) AND scanned_at < $3",
        )
        .bind(folded)
        .bind(limit)
        .bind(cutoff_ms)
        .execute(self.pool())
        .await?;
        Ok(deleted.rows_affected())
    }

    /// Deletes up to `limit` of the oldest landing events (views, clicks with their click
    /// ids) made before `cutoff_ms`; their hourly rollups stay. Walks ids like scans.
    pub async fn delete_old_events(&self, cutoff_ms: i64, limit: i64) -> DbResult<u64> {
        let _turn = self.write_turn().await;
        self.note_raw_kept_from(cutoff_ms).await?;
        let deleted = sqlx::query(
            "DELETE FROM events WHERE id IN \
             (SELECT id FROM events ORDER BY id LIMIT $1) AND occurred_at < $2",
        )
        .bind(limit)
        .bind(cutoff_ms)
        .execute(self.pool())
        .await?;
        Ok(deleted.rows_affected())
    }

    /// Deletes up to `limit` of the oldest folded touches (a visitor's scans as
    /// conversions find them) made before `cutoff_ms`. Walks scan ids like scans.
    pub async fn delete_old_touches(&self, cutoff_ms: i64, limit: i64) -> DbResult<u64> {
        let _turn = self.write_turn().await;
        let deleted = sqlx::query(
            "DELETE FROM touches WHERE scan_id IN \
             (SELECT scan_id FROM touches ORDER BY scan_id LIMIT $1) AND touched_at < $2",
        )
        .bind(limit)
        .bind(cutoff_ms)
        .execute(self.pool())
        .await?;
        Ok(deleted.rows_affected())
    }

    /// Deletes up to `limit` visitors (as a campaign knows them) not seen since
    /// `cutoff_ms`: their record is about a person, like the raw rows it came from.
    pub async fn delete_old_visitors(&self, cutoff_ms: i64, limit: i64) -> DbResult<u64> {
        let _turn = self.write_turn().await;
        let deleted = sqlx::query(
            "DELETE FROM visitors WHERE (campaign_id, visitor_id) IN \
             (SELECT campaign_id, visitor_id FROM visitors WHERE last_seen < $1 LIMIT $2)",
        )
        .bind(cutoff_ms)
        .bind(limit)
        .execute(self.pool())
        .await?;
        Ok(deleted.rows_affected())
    }

    /// Notes, before raw rows older than `cutoff_ms` go, that raw rows are complete only
    /// from then on: a report splits an hour at its edges only where they are.
    async fn note_raw_kept_from(&self, cutoff_ms: i64) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO job_watermarks (job, value) VALUES ($1, $2) ON CONFLICT (job) \
             DO UPDATE SET value = CASE WHEN excluded.value > job_watermarks.value \
             THEN excluded.value ELSE job_watermarks.value END",
        )
        .bind(RAW_KEPT_FROM.to_owned())
        .bind(cutoff_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
