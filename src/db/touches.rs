//! Folding people's scans into `touches` (indexed by visitor, code and store), where a
//! conversion finds the scans that led to it. It follows the per-code history fold: it
//! reads only scans that fold has passed, so the id-gap rule there holds here too.
//!
//! Its indexes grow in random order (a visitor id is random), so each touch costs a page
//! write the scans' own tables avoid; the job runs it on a budget (see
//! `jobs::code_history`). The same step counts each code's busiest hour, on that budget.

use super::code_history::{fold_busiest_hours, fold_watermark};
use super::{Db, DbResult, FoldStep, now_ms, watermarks};
use crate::domain::attribution::LONGEST_WINDOW;

const JOB: &str = "touches";
/// Names this fold's advisory lock (PostgreSQL).
const ADVISORY_LOCK: i64 = 0x5c4e_1002;

impl Db {
    /// How far touches have been folded: every person's scan up to this id is in them.
    pub async fn touches_watermark(&self) -> DbResult<i64> {
        watermarks::read(self.pool(), JOB).await
    }

    /// Folds up to `limit` scans the history fold has passed into touches, and forgets
    /// as many touches older than the longest lookback window.
    pub async fn fold_touches(&self, limit: i64) -> DbResult<FoldStep> {
        let from = self.touches_watermark().await?;
        let history = fold_watermark(self.pool()).await?;
        let to = history.min(from + limit);
        if to <= from {
            return Ok(FoldStep::Folded {
                scans: 0,
                more: false,
            });
        }
        let _turn = self.write_turn().await;
        let mut tx = self.pool().begin().await?;
        if !watermarks::lock(self.backend(), &mut tx, ADVISORY_LOCK).await? {
            return Ok(FoldStep::Busy);
        }
        if watermarks::read(&mut *tx, JOB).await? != from {
            // Another instance folded these meanwhile.
            return Ok(FoldStep::Folded {
                scans: 0,
                more: true,
            });
        }
        sqlx::query(
            "INSERT INTO touches (scan_id, touched_at, visitor_id, code_id, batch_id, \
             campaign_id, channel_id, store_id) SELECT id, scanned_at, visitor_id, code_id, \
             batch_id, campaign_id, channel_id, store_id FROM scans \
             WHERE id > $1 AND id <= $2 AND is_bot = 0 ON CONFLICT DO NOTHING",
        )
        .bind(from)
        .bind(to)
        .execute(&mut *tx)
        .await?;
        fold_busiest_hours(&mut tx, from, to).await?;
        sqlx::query(
            "DELETE FROM touches WHERE scan_id IN \
             (SELECT scan_id FROM touches ORDER BY scan_id LIMIT $1) AND touched_at < $2",
        )
        .bind(limit)
        .bind(now_ms() - LONGEST_WINDOW.ms())
        .execute(&mut *tx)
        .await?;
        watermarks::write(&mut tx, JOB, to).await?;
        tx.commit().await?;
        Ok(FoldStep::Folded {
            scans: to - from,
            more: to < history,
        })
    }
}
