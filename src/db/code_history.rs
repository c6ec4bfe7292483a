//! Folding scans into per-code history (`code_stats`, `code_cities`) off the redirect's
//! path. One step reads the scans after the job's watermark, in id order, and writes their
//! counts and the new watermark in one transaction, so nothing is counted twice. On
//! PostgreSQL an advisory lock lets one instance fold at a time.

use std::collections::{BTreeMap, BTreeSet};

use super::{Backend, Db, DbResult, values_list};

const JOB: &str = "code_history";
/// Any constant both sides agree on; it names the fold's advisory lock.
const ADVISORY_LOCK: i64 = 0x5c4e_1001;
/// Rows per multi-row statement: 8 parameters each stays under SQLite's 32766.
const ROWS_PER_STATEMENT: usize = 1000;

/// The columns of a scan that the history needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScanForHistory {
    pub id: i64,
    pub code_id: i64,
    pub scanned_at: i64,
    pub is_bot: i64,
    pub country: Option<String>,
    pub city: Option<String>,
}

/// What one fold step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldStep {
    /// Another instance holds the fold (PostgreSQL).
    Busy,
    /// Folded this many scans; `read` is how many were read past the watermark.
    Folded { folded: usize, read: usize },
}

/// A code's counts from one step's scans.
#[derive(Debug, Default, PartialEq)]
struct Delta {
    scans: i64,
    bot_scans: i64,
    first: Option<(i64, Option<String>, Option<String>)>,
    last_scan_at: Option<i64>,
    places: BTreeSet<String>,
}

impl Db {
    /// Folds up to `limit` scans after the watermark. `foldable` picks how many of the
    /// scans read (in id order, after `watermark`) may be folded now: the caller stops at
    /// an id gap that may still be filled by a transaction in flight.
    pub async fn fold_code_history(
        &self,
        limit: i64,
        foldable: impl FnOnce(i64, &[ScanForHistory]) -> usize,
    ) -> DbResult<FoldStep> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool().begin().await?;
        if self.backend() == Backend::Postgres {
            let (locked,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_xact_lock($1)")
                .bind(ADVISORY_LOCK)
                .fetch_one(&mut *tx)
                .await?;
            if !locked {
                return Ok(FoldStep::Busy);
            }
        }
        let watermark: Option<(i64,)> =
            sqlx::query_as("SELECT value FROM job_watermarks WHERE job = $1")
                .bind(JOB)
                .fetch_optional(&mut *tx)
                .await?;
        let watermark = watermark.map_or(0, |(v,)| v);
        let scans: Vec<ScanForHistory> = sqlx::query_as(
            "SELECT id, code_id, scanned_at, is_bot, country, city FROM scans \
             WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(watermark)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let folded = foldable(watermark, &scans).min(scans.len());
        if folded == 0 {
            return Ok(FoldStep::Folded {
                folded: 0,
                read: scans.len(),
            });
        }
        let deltas = deltas(&scans[..folded]);
        write_deltas(&mut tx, self.backend(), &deltas).await?;
        sqlx::query(
            "INSERT INTO job_watermarks (job, value) VALUES ($1, $2) \
             ON CONFLICT (job) DO UPDATE SET value = excluded.value",
        )
        .bind(JOB)
        .bind(scans[folded - 1].id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(FoldStep::Folded {
            folded,
            read: scans.len(),
        })
    }
}

/// Per-code counts, in id order so the first scan of a code is its earliest folded one.
fn deltas(scans: &[ScanForHistory]) -> BTreeMap<i64, Delta> {
    let mut deltas: BTreeMap<i64, Delta> = BTreeMap::new();
    for scan in scans {
        let delta = deltas.entry(scan.code_id).or_default();
        if scan.is_bot != 0 {
            delta.bot_scans += 1;
            continue;
        }
        delta.scans += 1;
        delta
            .first
            .get_or_insert_with(|| (scan.scanned_at, scan.country.clone(), scan.city.clone()));
        delta.last_scan_at = Some(scan.scanned_at);
        if let Some(city) = &scan.city {
            let country = scan.country.as_deref().unwrap_or("");
            delta.places.insert(format!("{country}/{city}"));
        }
    }
    deltas
}

async fn write_deltas(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    deltas: &BTreeMap<i64, Delta>,
) -> DbResult<()> {
    let rows: Vec<(&i64, &Delta)> = deltas.iter().collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        // The SET expressions read the stored row: a code's first scan is kept once set.
        let sql = format!(
            "INSERT INTO code_stats (code_id, scans, bot_scans, first_scan_at, first_country, \
             first_city, last_scan_at, cities) VALUES {} \
             ON CONFLICT (code_id) DO UPDATE SET \
             scans = code_stats.scans + excluded.scans, \
             bot_scans = code_stats.bot_scans + excluded.bot_scans, \
             first_country = CASE WHEN code_stats.first_scan_at IS NULL \
                 THEN excluded.first_country ELSE code_stats.first_country END, \
             first_city = CASE WHEN code_stats.first_scan_at IS NULL \
                 THEN excluded.first_city ELSE code_stats.first_city END, \
             first_scan_at = COALESCE(code_stats.first_scan_at, excluded.first_scan_at), \
             last_scan_at = COALESCE(excluded.last_scan_at, code_stats.last_scan_at)",
            values_list(backend, chunk.len(), 8)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (code_id, d) in chunk {
            let (first_at, country, city) = d.first.clone().unwrap_or_default();
            query = query
                .bind(**code_id)
                .bind(d.scans)
                .bind(d.bot_scans)
                .bind(d.first.as_ref().map(|_| first_at))
                .bind(country)
                .bind(city)
                .bind(d.last_scan_at)
                .bind(0_i64);
        }
        query.execute(&mut **tx).await?;
    }

    let places: Vec<(i64, &str)> = deltas
        .iter()
        .flat_map(|(code, d)| d.places.iter().map(move |p| (*code, p.as_str())))
        .collect();
    for chunk in places.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO code_cities (code_id, place) VALUES {} ON CONFLICT DO NOTHING",
            values_list(backend, chunk.len(), 2)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (code_id, place) in chunk {
            query = query.bind(*code_id).bind(place.to_string());
        }
        query.execute(&mut **tx).await?;
    }
    let codes_with_places: Vec<i64> = deltas
        .iter()
        .filter(|(_, d)| !d.places.is_empty())
        .map(|(code, _)| *code)
        .collect();
    for chunk in codes_with_places.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "UPDATE code_stats SET cities = (SELECT COUNT(*) FROM code_cities p \
             WHERE p.code_id = code_stats.code_id) WHERE code_id IN (VALUES {})",
            values_list(backend, chunk.len(), 1)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for code_id in chunk {
            query = query.bind(*code_id);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(id: i64, code_id: i64, bot: bool, city: Option<&str>) -> ScanForHistory {
        ScanForHistory {
            id,
            code_id,
            scanned_at: id * 1000,
            is_bot: i64::from(bot),
            country: city.map(|_| "CN".to_owned()),
            city: city.map(str::to_owned),
        }
    }

    #[test]
    fn deltas_count_people_and_bots_apart_and_keep_the_first_human_scan() {
        let scans = [
            scan(1, 7, true, Some("Beijing")),
            scan(2, 7, false, Some("Shanghai")),
            scan(3, 7, false, Some("Shanghai")),
            scan(4, 7, false, Some("Hangzhou")),
            scan(5, 8, false, None),
        ];
        let d = deltas(&scans);
        let seven = &d[&7];
        assert_eq!((seven.scans, seven.bot_scans), (3, 1));
        assert_eq!(
            seven.first,
            Some((2000, Some("CN".into()), Some("Shanghai".into())))
        );
        assert_eq!(seven.last_scan_at, Some(4000));
        let places: Vec<&str> = seven.places.iter().map(String::as_str).collect();
        assert_eq!(
            places,
            ["CN/Hangzhou", "CN/Shanghai"],
            "the bot's city is not counted"
        );
        assert!(d[&8].places.is_empty());
        assert_eq!(d[&8].first, Some((5000, None, None)));
    }
}
