//! Rebuilding the rollups reports read from the raw scans: hourly counts per batch,
//! country and device, the visitor sketches per channel and hour, and the counts and
//! sketches per place (and the sketches per device class and batch).
//! For when a rollup is in doubt (a bug, a restored backup): reports then read what the raw
//! scans say.
//!
//! It works a campaign and a few hours at a time, each in its own short transaction, so a
//! running server's scans keep flowing. Only hours whose raw scans are all kept are
//! rebuilt: the hours before the oldest kept scan (removed by retention) keep their
//! rollups, and so does that scan's own hour when older scans were removed. The day tier
//! is folded again from the rebuilt hours (`days`).

use std::collections::BTreeMap;

use super::slice_sketches::{Family, ScanRange, fold_slices};
use super::{Backend, Db, DbError, DbResult, packed, values_list, watermarks};
use crate::domain::VisitorSketch;

const MS_PER_HOUR: i64 = 3_600_000;
/// Hours per transaction: a few thousand scans each at ten million over ninety days.
const CHUNK_HOURS: i64 = 6;

/// What a rebuild went through.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    pub campaigns: i64,
    /// Hour-chunks rewritten (a campaign's hours with scans, [`CHUNK_HOURS`] at a time).
    pub chunks: i64,
    pub scans: i64,
    /// The first hour rebuilt (epoch ms); `None` without raw scans.
    pub from: Option<i64>,
}

impl Db {
    /// Rebuilds the scan rollups, visitor sketches and place rollups of every campaign
    /// (or of `campaign_id`) from the raw scans kept.
    pub async fn rebuild_rollups(&self, campaign_id: Option<i64>) -> DbResult<Rebuilt> {
        let mut rebuilt = Rebuilt::default();
        let Some(from) = self.first_complete_hour().await? else {
            return Ok(rebuilt);
        };
        rebuilt.from = Some(from);
        // The day tier is folded from these hours: reports read the hours until it is
        // folded again, once now and once more after the last chunk (the fold may have
        // passed a day in between).
        self.unfold_days_from(from).await?;
        let campaigns: Vec<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT c.id, (SELECT MIN(scanned_at) FROM scans s WHERE s.campaign_id = c.id \
                 AND s.scanned_at >= $1), \
             (SELECT MAX(scanned_at) FROM scans s WHERE s.campaign_id = c.id) \
             FROM campaigns c WHERE $2 IS NULL OR c.id = $2 ORDER BY c.id",
        )
        .bind(from)
        .bind(campaign_id)
        .fetch_all(self.pool())
        .await?;
        for (campaign, first, last) in campaigns {
            rebuilt.campaigns += 1;
            let (Some(first), Some(last)) = (first, last) else {
                continue;
            };
            let mut start = first - first.rem_euclid(MS_PER_HOUR);
            while start <= last {
                let end = start + CHUNK_HOURS * MS_PER_HOUR;
                rebuilt.scans += self.rebuild_chunk(campaign, start, end).await?;
                rebuilt.chunks += 1;
                start = end;
            }
        }
        self.unfold_days_from(from).await?;
        Ok(rebuilt)
    }

    /// The first hour whose raw scans are all kept: the oldest kept scan's hour, or the
    /// hour after it when rollups show older scans were removed.
    async fn first_complete_hour(&self) -> DbResult<Option<i64>> {
        let (oldest,): (Option<i64>,) = sqlx::query_as("SELECT MIN(scanned_at) FROM scans")
            .fetch_one(self.pool())
            .await?;
        let Some(oldest) = oldest else {
            return Ok(None);
        };
        let hour = oldest - oldest.rem_euclid(MS_PER_HOUR);
        let (removed,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM scan_rollups WHERE hour < $1")
                .bind(hour)
                .fetch_one(self.pool())
                .await?;
        Ok(Some(if removed > 0 {
            hour + MS_PER_HOUR
        } else {
            hour
        }))
    }

    /// Rewrites one campaign's rollups for `[start, end)` from its raw scans, in one
    /// transaction; answers the scans counted.
    async fn rebuild_chunk(&self, campaign_id: i64, start: i64, end: i64) -> DbResult<i64> {
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        match self.backend() {
            // Writers wait for the chunk; on SQLite the first write below takes the lock.
            Backend::Postgres => {
                sqlx::query(
                    "LOCK TABLE scan_rollups, visitor_sketches, place_rollups, slice_sketches \
                     IN SHARE ROW EXCLUSIVE MODE",
                )
                .execute(&mut *tx)
                .await?;
            }
            Backend::Sqlite => {}
        }
        for (table, families) in [
            ("scan_rollups", String::new()),
            ("visitor_sketches", String::new()),
            ("place_rollups", String::new()),
            ("slice_sketches", Family::every_sql()),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE campaign_id = $1{families} AND hour >= $2 AND hour < $3"
            )))
            .bind(campaign_id)
            .bind(start)
            .bind(end)
            .execute(&mut *tx)
            .await?;
        }
        let (scans,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM scans \
             WHERE campaign_id = $1 AND scanned_at >= $2 AND scanned_at < $3",
        )
        .bind(campaign_id)
        .bind(start)
        .bind(end)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO scan_rollups (hour, batch_id, country, device, campaign_id, \
             channel_id, store_id, scans, bot_scans, new_visitors) \
             SELECT scanned_at - scanned_at % 3600000, batch_id, COALESCE(country, ''), \
             device, MIN(campaign_id), MIN(channel_id), MIN(store_id), SUM(1 - is_bot), \
             SUM(is_bot), SUM(CASE WHEN is_bot = 0 THEN is_new_visitor ELSE 0 END) \
             FROM scans WHERE campaign_id = $1 AND scanned_at >= $2 AND scanned_at < $3 \
             GROUP BY scanned_at - scanned_at % 3600000, batch_id, COALESCE(country, ''), \
             device",
        )
        .bind(campaign_id)
        .bind(start)
        .bind(end)
        .execute(&mut *tx)
        .await?;
        // Places and slice sketches are folded with the touches: only the scans that fold
        // has passed, or it would count the rest a second time.
        let folded = watermarks::read(&mut *tx, "touches").await?;
        sqlx::query(
            "INSERT INTO place_rollups (campaign_id, hour, country, region, city, scans, \
             bot_scans) SELECT campaign_id, scanned_at - scanned_at % 3600000, \
             COALESCE(country, ''), COALESCE(region, ''), COALESCE(city, ''), \
             SUM(1 - is_bot), SUM(is_bot) FROM scans \
             WHERE campaign_id = $1 AND scanned_at >= $2 AND scanned_at < $3 AND id <= $4 \
             GROUP BY campaign_id, scanned_at - scanned_at % 3600000, COALESCE(country, ''), \
             COALESCE(region, ''), COALESCE(city, '')",
        )
        .bind(campaign_id)
        .bind(start)
        .bind(end)
        .bind(folded)
        .execute(&mut *tx)
        .await?;
        let chunk = ScanRange::Hours {
            campaign_id,
            start,
            end,
            folded_to: folded,
        };
        fold_slices(&mut tx, self.backend(), chunk).await?;
        let (visitors,): (Option<String>,) = sqlx::query_as(sqlx::AssertSqlSafe(packed::rows_sql(
            self.backend(),
            &[
                "channel_id",
                "scanned_at - scanned_at % 3600000",
                "visitor_id",
            ],
            "FROM scans WHERE campaign_id = $1 AND scanned_at >= $2 AND scanned_at < $3 \
             AND is_bot = 0 AND visitor_id IS NOT NULL",
        )))
        .bind(campaign_id)
        .bind(start)
        .bind(end)
        .fetch_one(&mut *tx)
        .await?;
        let mut sketches: BTreeMap<(i64, i64), VisitorSketch> = BTreeMap::new();
        for row in packed::rows(visitors.as_deref()) {
            let (channel_id, hour, visitor) = channel_visitor(row).ok_or_else(|| {
                let message = format!("a scan the rebuild cannot read: {row:?}");
                DbError::Db(sqlx::Error::Decode(message.into()))
            })?;
            sketches
                .entry((channel_id, hour))
                .or_default()
                .insert(visitor);
        }
        let sketches: Vec<((i64, i64), VisitorSketch)> = sketches.into_iter().collect();
        for slice in sketches.chunks(1000) {
            let sql = format!(
                "INSERT INTO visitor_sketches (campaign_id, channel_id, hour, sketch) VALUES {}",
                values_list(self.backend(), slice.len(), 4)
            );
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
            for ((channel_id, hour), sketch) in slice {
                insert = insert
                    .bind(campaign_id)
                    .bind(*channel_id)
                    .bind(*hour)
                    .bind(sketch.to_bytes());
            }
            insert.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(scans)
    }
}

/// A packed row of a rebuild's people: channel, hour and visitor (last, so that it reads
/// back whole).
fn channel_visitor(row: &str) -> Option<(i64, i64, &str)> {
    let mut fields = row.splitn(3, packed::FIELD);
    let channel_id = fields.next()?.parse().ok()?;
    let hour = fields.next()?.parse().ok()?;
    Some((channel_id, hour, fields.next()?))
}
