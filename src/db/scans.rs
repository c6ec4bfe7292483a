//! Writing scans: a whole group of scans, their hourly rollups and visitor sketches in one
//! transaction, a single multi-row statement per table. On SQLite the statements travel
//! to sqlx's connection thread in two trips (each trip is two thread switches, which
//! showed up as a large share of the redirect's cost); PostgreSQL runs them one by one in
//! an ordinary transaction. Rows that other instances may update at the same time are
//! written in key order, so two PostgreSQL writers cannot deadlock on them.

use std::collections::BTreeMap;

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::query::Query;
use sqlx::{Executor, Row};

use super::{Backend, Db, DbResult, ResolvedCode, values_list};
use crate::domain::VisitorSketch;

const MS_PER_HOUR: i64 = 3_600_000;

/// One resolution of a code, as stored. No raw IP: only its /24 or /48 network.
#[derive(Debug, Clone, Default)]
pub struct ScanRow {
    pub scanned_at: i64,
    pub code_id: i64,
    pub batch_id: i64,
    pub campaign_id: i64,
    pub channel_id: i64,
    pub store_id: Option<i64>,
    pub visitor_id: Option<String>,
    pub is_new_visitor: bool,
    pub ip_prefix: Option<String>,
    pub country: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub device: &'static str,
    pub os: Option<String>,
    pub browser: Option<String>,
    pub is_bot: bool,
    pub referrer_host: Option<String>,
    pub language: Option<String>,
    pub outcome: &'static str,
    /// The experiment variant a person was shown, while the experiment runs.
    pub variant_id: Option<i64>,
    /// A scan of a no-tracking campaign: it only adds one to its code's count for the
    /// hour (`counted_scans`); every field about the person is empty.
    pub count_only: bool,
}

impl ScanRow {
    /// A scan of a no-tracking campaign's `code` at `now`: where it went, nothing more.
    pub fn counted(now: i64, code: &ResolvedCode, outcome: &'static str) -> Self {
        Self {
            scanned_at: now,
            code_id: code.code_id,
            batch_id: code.batch_id,
            campaign_id: code.campaign_id,
            channel_id: code.channel_id,
            outcome,
            count_only: true,
            ..Self::default()
        }
    }

    fn hour(&self) -> i64 {
        self.scanned_at - self.scanned_at.rem_euclid(MS_PER_HOUR)
    }
}

#[derive(Default)]
struct RollupCounts {
    campaign_id: i64,
    channel_id: i64,
    store_id: Option<i64>,
    scans: i64,
    bot_scans: i64,
    new_visitors: i64,
}

/// Hour, batch, country, device.
type RollupKey<'a> = (i64, i64, &'a str, &'a str);
/// Campaign, channel, hour.
type SketchKey = (i64, i64, i64);
type AnyQuery = Query<'static, sqlx::Any, AnyArguments>;

/// Code, hour.
type CountKey = (i64, i64);

#[derive(Default)]
struct Count {
    campaign_id: i64,
    batch_id: i64,
    scans: i64,
}

/// A group's writes, computed before any statement runs.
struct GroupWrites<'a> {
    /// The tracked scans, stored whole.
    scans: Vec<&'a ScanRow>,
    /// The scans of no-tracking campaigns, counted.
    counts: BTreeMap<CountKey, Count>,
    rollups: BTreeMap<RollupKey<'a>, RollupCounts>,
    /// The group's own visitors; merged with the stored sketches before writing.
    sketches: BTreeMap<SketchKey, VisitorSketch>,
}

/// The scan writer's own connection, kept from group to group: on SQLite a connection
/// that another one has written behind starts over with a cold page cache.
#[derive(Default)]
pub struct WriterConnection(Option<PoolConnection<sqlx::Any>>);

impl Db {
    /// Stores `scans` atomically with their rollups and sketches. The caller caps the group
    /// size so the parameter count stays under SQLite's limit (32766).
    pub async fn insert_scans(
        &self,
        slot: &mut WriterConnection,
        scans: &[ScanRow],
    ) -> DbResult<()> {
        if scans.is_empty() {
            return Ok(());
        }
        let conn = match &mut slot.0 {
            Some(conn) => conn,
            None => slot.0.insert(self.pool().acquire().await?),
        };
        let writes = GroupWrites::of(scans);
        let _turn = self.write_turn().await;
        let result = match self.backend() {
            Backend::Sqlite => insert_scans_sqlite(conn, writes).await,
            Backend::Postgres => insert_scans_postgres(conn, writes).await,
        };
        if result.is_err() {
            // Whatever went wrong may be the connection's; the next group takes another.
            slot.0 = None;
        }
        result
    }
}

async fn insert_scans_sqlite(
    conn: &mut PoolConnection<sqlx::Any>,
    mut writes: GroupWrites<'_>,
) -> DbResult<()> {
    let backend = Backend::Sqlite;
    let keys = writes.sketches.len();
    let mut first = String::from("BEGIN IMMEDIATE");
    if !writes.scans.is_empty() {
        first = format!(
            "{first}; {}; {}",
            scans_sql(backend, writes.scans.len()),
            rollups_sql(backend, writes.rollups.len()),
        );
    }
    if !writes.counts.is_empty() {
        first = format!("{first}; {}", counts_sql(backend, writes.counts.len()));
    }
    let mut second = String::new();
    // A group of bots alone has no sketch to read or write.
    if keys > 0 {
        first = format!("{first}; {}", stored_sketches_sql(backend, keys, false));
        second = format!("{}; ", sketches_sql(backend, keys, REPLACE_SKETCH));
    }
    second.push_str("COMMIT");
    let result = async {
        let query = writes.bind_stored_sketch_keys(
            writes.bind_counts(writes.bind_rollups(writes.bind_scans(statement(first)))),
        );
        let stored = query.fetch_all(&mut **conn).await?;
        writes.merge_stored_sketches(stored)?;
        writes
            .bind_sketches(statement(second), VisitorSketch::to_bytes)
            .execute(&mut **conn)
            .await?;
        DbResult::Ok(())
    }
    .await;
    if result.is_err() {
        // The transaction was opened by SQL, so sqlx does not know to end it.
        if conn.execute("ROLLBACK").await.is_err() {
            conn.close_on_drop();
        }
    }
    result
}

async fn insert_scans_postgres(
    conn: &mut PoolConnection<sqlx::Any>,
    mut writes: GroupWrites<'_>,
) -> DbResult<()> {
    let backend = Backend::Postgres;
    let mut tx = sqlx::Connection::begin(&mut **conn).await?;
    if !writes.scans.is_empty() {
        writes
            .bind_scans(statement(scans_sql(backend, writes.scans.len())))
            .execute(&mut *tx)
            .await?;
        writes
            .bind_rollups(statement(rollups_sql(backend, writes.rollups.len())))
            .execute(&mut *tx)
            .await?;
    }
    if !writes.counts.is_empty() {
        writes
            .bind_counts(statement(counts_sql(backend, writes.counts.len())))
            .execute(&mut *tx)
            .await?;
    }
    let keys = writes.sketches.len();
    if keys > 0 {
        // FOR UPDATE locks only rows that exist: create the missing ones first, so two
        // instances starting the same hour cannot both write it and lose a sketch.
        let empty = VisitorSketch::default().to_bytes();
        writes
            .bind_sketches(statement(sketches_sql(backend, keys, KEEP_SKETCH)), |_| {
                empty.clone()
            })
            .execute(&mut *tx)
            .await?;
        let stored = writes
            .bind_stored_sketch_keys(statement(stored_sketches_sql(backend, keys, true)))
            .fetch_all(&mut *tx)
            .await?;
        writes.merge_stored_sketches(stored)?;
        writes
            .bind_sketches(
                statement(sketches_sql(backend, keys, REPLACE_SKETCH)),
                VisitorSketch::to_bytes,
            )
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Texts vary with the group's size, yet sqlx's statement cache still pays: the common
/// sizes recur, and turning the cache off for these cost a fifth of the throughput.
fn statement(sql: String) -> AnyQuery {
    sqlx::query(sqlx::AssertSqlSafe(sql))
}

fn scans_sql(backend: Backend, rows: usize) -> String {
    format!(
        "INSERT INTO scans (scanned_at, code_id, batch_id, campaign_id, channel_id, store_id, \
         visitor_id, is_new_visitor, ip_prefix, country, region, city, latitude, longitude, \
         device, os, browser, is_bot, referrer_host, language, outcome, variant_id) VALUES {}",
        values_list(backend, rows, 22)
    )
}

fn rollups_sql(backend: Backend, rows: usize) -> String {
    format!(
        "INSERT INTO scan_rollups (hour, batch_id, country, device, campaign_id, channel_id, \
         store_id, scans, bot_scans, new_visitors) VALUES {} \
         ON CONFLICT (hour, batch_id, country, device) DO UPDATE SET \
         scans = scan_rollups.scans + excluded.scans, \
         bot_scans = scan_rollups.bot_scans + excluded.bot_scans, \
         new_visitors = scan_rollups.new_visitors + excluded.new_visitors",
        values_list(backend, rows, 10)
    )
}

fn counts_sql(backend: Backend, rows: usize) -> String {
    format!(
        "INSERT INTO counted_scans (code_id, hour, campaign_id, batch_id, scans) VALUES {} \
         ON CONFLICT (code_id, hour) DO UPDATE SET scans = counted_scans.scans + excluded.scans",
        values_list(backend, rows, 5)
    )
}

fn stored_sketches_sql(backend: Backend, keys: usize, lock: bool) -> String {
    format!(
        "SELECT campaign_id, channel_id, hour, sketch FROM visitor_sketches \
         WHERE (campaign_id, channel_id, hour) IN (VALUES {}) \
         ORDER BY campaign_id, channel_id, hour{}",
        values_list(backend, keys, 3),
        if lock { " FOR UPDATE" } else { "" }
    )
}

const REPLACE_SKETCH: &str =
    "ON CONFLICT (campaign_id, channel_id, hour) DO UPDATE SET sketch = excluded.sketch";
const KEEP_SKETCH: &str = "ON CONFLICT DO NOTHING";

fn sketches_sql(backend: Backend, keys: usize, on_conflict: &str) -> String {
    format!(
        "INSERT INTO visitor_sketches (campaign_id, channel_id, hour, sketch) VALUES {} {}",
        values_list(backend, keys, 4),
        on_conflict
    )
}

impl<'a> GroupWrites<'a> {
    fn of(scans: &'a [ScanRow]) -> Self {
        let mut rollups: BTreeMap<RollupKey<'a>, RollupCounts> = BTreeMap::new();
        let mut sketches: BTreeMap<SketchKey, VisitorSketch> = BTreeMap::new();
        let mut counts: BTreeMap<CountKey, Count> = BTreeMap::new();
        let mut tracked = Vec::with_capacity(scans.len());
        for s in scans {
            let hour = s.hour();
            if s.count_only {
                let count = counts.entry((s.code_id, hour)).or_default();
                count.campaign_id = s.campaign_id;
                count.batch_id = s.batch_id;
                count.scans += 1;
                continue;
            }
            tracked.push(s);
            let key = (
                hour,
                s.batch_id,
                s.country.as_deref().unwrap_or(""),
                s.device,
            );
            let counts = rollups.entry(key).or_default();
            counts.campaign_id = s.campaign_id;
            counts.channel_id = s.channel_id;
            counts.store_id = s.store_id;
            if s.is_bot {
                counts.bot_scans += 1;
                continue;
            }
            counts.scans += 1;
            counts.new_visitors += i64::from(s.is_new_visitor);
            if let Some(visitor) = &s.visitor_id {
                let key = (s.campaign_id, s.channel_id, hour);
                sketches.entry(key).or_default().insert(visitor);
            }
        }
        Self {
            scans: tracked,
            counts,
            rollups,
            sketches,
        }
    }

    fn bind_scans(&self, mut query: AnyQuery) -> AnyQuery {
        for s in &self.scans {
            query = query
                .bind(s.scanned_at)
                .bind(s.code_id)
                .bind(s.batch_id)
                .bind(s.campaign_id)
                .bind(s.channel_id)
                .bind(s.store_id)
                .bind(s.visitor_id.clone())
                .bind(i64::from(s.is_new_visitor))
                .bind(s.ip_prefix.clone())
                .bind(s.country.clone())
                .bind(s.region.clone())
                .bind(s.city.clone())
                .bind(s.latitude)
                .bind(s.longitude)
                .bind(s.device)
                .bind(s.os.clone())
                .bind(s.browser.clone())
                .bind(i64::from(s.is_bot))
                .bind(s.referrer_host.clone())
                .bind(s.language.clone())
                .bind(s.outcome)
                .bind(s.variant_id);
        }
        query
    }

    fn bind_rollups(&self, mut query: AnyQuery) -> AnyQuery {
        for (&(hour, batch_id, country, device), c) in &self.rollups {
            query = query
                .bind(hour)
                .bind(batch_id)
                .bind(country.to_owned())
                .bind(device)
                .bind(c.campaign_id)
                .bind(c.channel_id)
                .bind(c.store_id)
                .bind(c.scans)
                .bind(c.bot_scans)
                .bind(c.new_visitors);
        }
        query
    }

    fn bind_counts(&self, mut query: AnyQuery) -> AnyQuery {
        for (&(code_id, hour), c) in &self.counts {
            query = query
                .bind(code_id)
                .bind(hour)
                .bind(c.campaign_id)
                .bind(c.batch_id)
                .bind(c.scans);
        }
        query
    }

    fn bind_stored_sketch_keys(&self, mut query: AnyQuery) -> AnyQuery {
        for &(campaign_id, channel_id, hour) in self.sketches.keys() {
            query = query.bind(campaign_id).bind(channel_id).bind(hour);
        }
        query
    }

    fn bind_sketches(
        &self,
        mut query: AnyQuery,
        contents: impl Fn(&VisitorSketch) -> Vec<u8>,
    ) -> AnyQuery {
        for (&(campaign_id, channel_id, hour), sketch) in &self.sketches {
            query = query
                .bind(campaign_id)
                .bind(channel_id)
                .bind(hour)
                .bind(contents(sketch));
        }
        query
    }

    /// Folds the group's visitors into the stored sketches, which become what is written.
    fn merge_stored_sketches(&mut self, stored: Vec<AnyRow>) -> DbResult<()> {
        for row in stored {
            let key: SketchKey = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            let bytes: Vec<u8> = row.try_get(3)?;
            let Some(fresh) = self.sketches.get_mut(&key) else {
                continue;
            };
            match VisitorSketch::from_bytes(&bytes) {
                Ok(mut sketch) => {
                    sketch.merge(fresh);
                    *fresh = sketch;
                }
                // Derived data: a damaged sketch is replaced rather than failing every scan.
                Err(err) => tracing::error!(%err, ?key, "replacing a damaged visitor sketch"),
            }
        }
        Ok(())
    }
}
