//! Folding people's scans into `touches` (indexed by visitor, code and store), where a
//! conversion finds the scans that led to it. It follows the per-code history fold: it
//! reads only scans that fold has passed, so the id-gap rule there holds here too.
//!
//! Its indexes grow in random order (a visitor id is random), so each touch costs a page
//! write the scans' own tables avoid; the job runs it on a budget (see
//! `jobs::code_history`). The same step counts each code's busiest hour, notes each
//! campaign's new visitors for its cohorts, counts scans per place, and adds people to the
//! sketches per device class, place and batch (`slice_sketches`), on that budget.

use std::collections::BTreeMap;

use super::code_history::{fold_busiest_hours, fold_watermark};
use super::slice_sketches::{ScanRange, fold_slices};
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
        let watermarks::Step {
            mut tx,
            turn: _turn,
        } = match watermarks::begin_step(self, JOB, ADVISORY_LOCK, (from, to)).await? {
            Ok(step) => step,
            Err(answer) => return Ok(answer),
        };
        sqlx::query(
            "INSERT INTO touches (scan_id, touched_at, visitor_id, code_id, batch_id, \
             campaign_id, channel_id, store_id, device, country, region, city, variant_id) \
             SELECT id, scanned_at, visitor_id, code_id, batch_id, campaign_id, channel_id, \
             store_id, device, country, region, city, variant_id FROM scans \
             WHERE id > $1 AND id <= $2 AND is_bot = 0 ON CONFLICT DO NOTHING",
        )
        .bind(from)
        .bind(to)
        .execute(&mut *tx)
        .await?;
        fold_busiest_hours(&mut tx, from, to).await?;
        fold_campaign_visitors(&mut tx, from, to).await?;
        fold_places(&mut tx, from, to).await?;
        fold_slices(&mut tx, self.backend(), ScanRange::Ids { from, to }).await?;
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

const MS_PER_HOUR: i64 = 3_600_000;

/// Adds the people first seen in a campaign among scans `(from, to]` to its visitors, and
/// counts them in the hour they first scanned it (a cohort's size, read without counting
/// visitors). A visitor already known is neither added nor counted again.
async fn fold_campaign_visitors(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    from: i64,
    to: i64,
) -> DbResult<()> {
    let new: Vec<(i64, i64)> = sqlx::query_as(
        "INSERT INTO campaign_visitors (campaign_id, visitor_id, first_seen) \
         SELECT campaign_id, visitor_id, MIN(scanned_at) FROM scans \
         WHERE id > $1 AND id <= $2 AND is_bot = 0 AND visitor_id IS NOT NULL \
         GROUP BY campaign_id, visitor_id \
         ON CONFLICT DO NOTHING RETURNING campaign_id, first_seen",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut **tx)
    .await?;
    let mut cohorts: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for (campaign_id, first_seen) in new {
        let hour = first_seen - first_seen.rem_euclid(MS_PER_HOUR);
        *cohorts.entry((campaign_id, hour)).or_default() += 1;
    }
    for ((campaign_id, hour), visitors) in cohorts {
        sqlx::query(
            "INSERT INTO visitor_cohorts (campaign_id, hour, visitors) VALUES ($1, $2, $3) \
             ON CONFLICT (campaign_id, hour) \
             DO UPDATE SET visitors = visitor_cohorts.visitors + excluded.visitors",
        )
        .bind(campaign_id)
        .bind(hour)
        .bind(visitors)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Counts scans `(from, to]` (people's and bots') per campaign, hour and place.
async fn fold_places(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    from: i64,
    to: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO place_rollups (campaign_id, hour, country, region, city, scans, \
         bot_scans) SELECT campaign_id, scanned_at - scanned_at % 3600000, \
         COALESCE(country, ''), COALESCE(region, ''), COALESCE(city, ''), SUM(1 - is_bot), \
         SUM(is_bot) FROM scans WHERE id > $1 AND id <= $2 \
         GROUP BY campaign_id, scanned_at - scanned_at % 3600000, COALESCE(country, ''), \
         COALESCE(region, ''), COALESCE(city, '') \
         ON CONFLICT (campaign_id, hour, country, region, city) DO UPDATE SET \
         scans = place_rollups.scans + excluded.scans, \
         bot_scans = place_rollups.bot_scans + excluded.bot_scans",
    )
    .bind(from)
    .bind(to)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
