//! Folding scans into per-code history (`code_stats`, `code_cities`) and city visitors
//! off the redirect's path (each code's busiest hour is counted later, by the touches fold). One step counts the scans after the job's watermark, grouped
//! by code, and writes the counts and the new watermark in one transaction, so nothing is
//! counted twice. On PostgreSQL an advisory lock lets one instance fold at a time.

use super::{Db, DbResult, now_ms, watermarks};

const JOB: &str = "code_history";
const MS_PER_DAY: i64 = 86_400_000;
/// Days of city visitors kept: a week, and the day it started on.
const CITY_VISITOR_DAYS: i64 = 8;
/// Any constant both sides agree on; it names the fold's advisory lock.
const ADVISORY_LOCK: i64 = 0x5c4e_1001;
/// What one fold step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldStep {
    /// Another instance holds the fold (PostgreSQL).
    Busy,
    /// Folded this many scans; `more` when the step was full, so more may be waiting.
    Folded { scans: i64, more: bool },
}

impl Db {
    /// Folds the scans after the watermark, at most `limit` of them. When their ids are not
    /// contiguous, `foldable` is shown the ids read (in order, after the watermark) and says
    /// how many may be folded now: it stops at a gap that a transaction in flight may fill.
    ///
    /// The database counts the scans (grouped by code) before the write turn is taken, so
    /// scans wait only for the writes; the write re-checks the watermark, and a step whose
    /// watermark moved meanwhile writes nothing.
    pub async fn fold_code_history(
        &self,
        limit: i64,
        foldable: impl FnOnce(i64, &[i64]) -> usize,
    ) -> DbResult<FoldStep> {
        let from = fold_watermark(self.pool()).await?;
        let (max, count): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(MAX(id), $1), COUNT(*) FROM scans WHERE id > $1 AND id <= $2",
        )
        .bind(from)
        .bind(from + limit)
        .fetch_one(self.pool())
        .await?;
        let full = max - from == limit;
        let to = if count == max - from {
            max
        } else {
            let ids: Vec<(i64,)> =
                sqlx::query_as("SELECT id FROM scans WHERE id > $1 AND id <= $2 ORDER BY id")
                    .bind(from)
                    .bind(from + limit)
                    .fetch_all(self.pool())
                    .await?;
            let ids: Vec<i64> = ids.into_iter().map(|(id,)| id).collect();
            match foldable(from, &ids).min(ids.len()) {
                0 => from,
                n => ids[n - 1],
            }
        };
        let watermarks::Step {
            mut tx,
            turn: _turn,
        } = match watermarks::begin_step(self, JOB, ADVISORY_LOCK, (from, to)).await? {
            Ok(step) => step,
            Err(answer) => return Ok(answer),
        };
        fold_range(&mut tx, from, to).await?;
        watermarks::write(&mut tx, JOB, to).await?;
        tx.commit().await?;
        Ok(FoldStep::Folded {
            scans: count.min(to - from),
            more: full && to == max,
        })
    }
}

impl Db {
    /// The highest scan id committed so far (0 with none).
    pub async fn last_scan_id(&self) -> DbResult<i64> {
        let (id,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM scans")
            .fetch_one(self.pool())
            .await?;
        Ok(id)
    }

    /// People (not bots) who scanned the campaign's codes from `city` in the last seven
    /// days, as folded so far.
    pub async fn people_in_city(
        &self,
        campaign_id: i64,
        country: &str,
        city: &str,
    ) -> DbResult<i64> {
        let today = now_ms() - now_ms().rem_euclid(MS_PER_DAY);
        let (people,): (i64,) = sqlx::query_as(
            "SELECT COUNT(DISTINCT visitor_id) FROM city_visitors \
             WHERE campaign_id = $1 AND country = $2 AND city = $3 AND day >= $4",
        )
        .bind(campaign_id)
        .bind(country.to_owned())
        .bind(city.to_owned())
        .bind(today - 6 * MS_PER_DAY)
        .fetch_one(self.pool())
        .await?;
        Ok(people)
    }
}

/// The id of the last scan the fold has counted.
pub(super) async fn fold_watermark(pool: &sqlx::AnyPool) -> DbResult<i64> {
    watermarks::read(pool, JOB).await
}

/// Folds the scans with ids in `(from, to]` inside the database, so no scan travels to
/// the process and back: counts and the first scan by a person per code, the places, and
/// who scanned each campaign from which city that day.
async fn fold_range(tx: &mut sqlx::Transaction<'_, sqlx::Any>, from: i64, to: i64) -> DbResult<()> {
    // The SET expressions read the stored row: a code's first scan is kept once set.
    sqlx::query(
        "INSERT INTO code_stats (code_id, scans, bot_scans, first_scan_at, first_country, \
         first_city, last_scan_at, cities) \
         SELECT g.code_id, g.scans, g.bots, f.scanned_at, f.country, f.city, g.last_at, 0 \
         FROM (SELECT code_id, SUM(1 - is_bot) AS scans, SUM(is_bot) AS bots, \
               MIN(CASE WHEN is_bot = 0 THEN id END) AS first_id, \
               MAX(CASE WHEN is_bot = 0 THEN scanned_at END) AS last_at \
               FROM scans WHERE id > $1 AND id <= $2 GROUP BY code_id) g \
         LEFT JOIN scans f ON f.id = g.first_id WHERE true \
         ON CONFLICT (code_id) DO UPDATE SET \
         scans = code_stats.scans + excluded.scans, \
         bot_scans = code_stats.bot_scans + excluded.bot_scans, \
         first_country = CASE WHEN code_stats.first_scan_at IS NULL \
             THEN excluded.first_country ELSE code_stats.first_country END, \
         first_city = CASE WHEN code_stats.first_scan_at IS NULL \
             THEN excluded.first_city ELSE code_stats.first_city END, \
         first_scan_at = COALESCE(code_stats.first_scan_at, excluded.first_scan_at), \
         last_scan_at = COALESCE(excluded.last_scan_at, code_stats.last_scan_at)",
    )
    .bind(from)
    .bind(to)
    .execute(&mut **tx)
    .await?;
    let places = sqlx::query(
        "INSERT INTO code_cities (code_id, place) \
         SELECT DISTINCT code_id, COALESCE(country, '') || '/' || city FROM scans \
         WHERE id > $1 AND id <= $2 AND is_bot = 0 AND city IS NOT NULL \
         ON CONFLICT DO NOTHING",
    )
    .bind(from)
    .bind(to)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO city_visitors (campaign_id, country, city, day, visitor_id) \
         SELECT DISTINCT campaign_id, COALESCE(country, ''), city, \
         scanned_at - scanned_at % 86400000, visitor_id FROM scans \
         WHERE id > $1 AND id <= $2 AND is_bot = 0 AND city IS NOT NULL \
         AND visitor_id IS NOT NULL ON CONFLICT DO NOTHING",
    )
    .bind(from)
    .bind(to)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM city_visitors WHERE day < $1")
        .bind(now_ms() - CITY_VISITOR_DAYS * MS_PER_DAY)
        .execute(&mut **tx)
        .await?;
    if places.rows_affected() > 0 {
        sqlx::query(
            "UPDATE code_stats SET cities = (SELECT COUNT(*) FROM code_cities p \
             WHERE p.code_id = code_stats.code_id) \
             WHERE code_id IN (SELECT code_id FROM scans \
             WHERE id > $1 AND id <= $2 AND is_bot = 0 AND city IS NOT NULL)",
        )
        .bind(from)
        .bind(to)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Counts each code's people's scans per clock hour into its latest hour and its busiest
/// (`hour_*`, `peak_hour_*`) of the codes `code_stats` holds. Under load a step holds the
/// scans of one hour, or of two at the turn of an hour, so this is one statement or two.
/// A late scan of an hour before a code's latest (on PostgreSQL, committed out of order)
/// is left out of its hours. The touches fold calls it, on its budget of the write turn:
/// in the history fold's step it cost the redirect 8-10% under full load.
pub(super) async fn fold_busiest_hours(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    from: i64,
    to: i64,
) -> DbResult<()> {
    let hours: Vec<(i64,)> = sqlx::query_as(
        "SELECT DISTINCT scanned_at - scanned_at % 3600000 FROM scans \
         WHERE id > $1 AND id <= $2 AND is_bot = 0 ORDER BY 1",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut **tx)
    .await?;
    // The code's scans in this hour with the step's.
    let now = "(CASE WHEN hour_at = $3 THEN hour_scans ELSE 0 END + g.n)";
    for (hour,) in hours {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE code_stats SET hour_scans = {now}, \
             peak_hour_at = CASE WHEN {now} > peak_hour_scans THEN $3 ELSE peak_hour_at END, \
             peak_hour_scans = CASE WHEN {now} > peak_hour_scans THEN {now} \
                 ELSE peak_hour_scans END, \
             hour_at = $3 \
             FROM (SELECT code_id, COUNT(*) AS n FROM scans WHERE id > $1 AND id <= $2 \
                 AND is_bot = 0 AND scanned_at >= $3 AND scanned_at < $3 + 3600000 \
                 GROUP BY code_id) g \
             WHERE code_stats.code_id = g.code_id \
             AND (code_stats.hour_at IS NULL OR code_stats.hour_at <= $3)"
        )))
        .bind(from)
        .bind(to)
        .bind(hour)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
