//! Writing scans: a whole group of scans, their rollups and their codes' counters in one
//! transaction, a single multi-row statement per table.

use std::collections::{HashMap, HashSet};

use super::{Db, StoreResult};

const MS_PER_HOUR: i64 = 3_600_000;

/// One resolution of a code, as stored. No raw IP: only its /24 or /48 network.
#[derive(Debug, Clone)]
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
}

impl ScanRow {
    fn hour(&self) -> i64 {
        self.scanned_at - self.scanned_at.rem_euclid(MS_PER_HOUR)
    }
}

/// `($1, $2, ...), (...)` for `rows` rows of `width` parameters.
fn placeholders(rows: usize, width: usize) -> String {
    let mut sql = String::with_capacity(rows * width * 5);
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ",(" });
        for col in 0..width {
            if col > 0 {
                sql.push(',');
            }
            sql.push('$');
            sql.push_str(&(row * width + col + 1).to_string());
        }
        sql.push(')');
    }
    sql
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

impl Db {
    /// Stores `scans` atomically with their rollups. The caller caps the group size so the
    /// parameter count stays under SQLite's limit (32766).
    pub async fn insert_scans(&self, scans: &[ScanRow]) -> StoreResult<()> {
        if scans.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool().begin().await?;

        let sql = format!(
            "INSERT INTO scans (scanned_at, code_id, batch_id, campaign_id, channel_id, store_id, \
             visitor_id, is_new_visitor, ip_prefix, country, region, city, latitude, longitude, \
             device, os, browser, is_bot, referrer_host, language, outcome) VALUES {}",
            placeholders(scans.len(), 21)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for s in scans {
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
                .bind(s.outcome);
        }
        query.execute(&mut *tx).await?;

        upsert_rollups(&mut tx, scans).await?;
        insert_visitor_hours(&mut tx, scans).await?;
        bump_code_counters(&mut tx, scans).await?;
        tx.commit().await?;
        Ok(())
    }
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

async fn upsert_rollups(tx: &mut Tx<'_>, scans: &[ScanRow]) -> StoreResult<()> {
    let mut groups: HashMap<(i64, i64, &str, &str), RollupCounts> = HashMap::new();
    for s in scans {
        let key = (
            s.hour(),
            s.batch_id,
            s.country.as_deref().unwrap_or(""),
            s.device,
        );
        let counts = groups.entry(key).or_default();
        counts.campaign_id = s.campaign_id;
        counts.channel_id = s.channel_id;
        counts.store_id = s.store_id;
        if s.is_bot {
            counts.bot_scans += 1;
        } else {
            counts.scans += 1;
            counts.new_visitors += i64::from(s.is_new_visitor);
        }
    }
    let sql = format!(
        "INSERT INTO scan_rollups (hour, batch_id, country, device, campaign_id, channel_id, \
         store_id, scans, bot_scans, new_visitors) VALUES {} \
         ON CONFLICT (hour, batch_id, country, device) DO UPDATE SET \
         scans = scan_rollups.scans + excluded.scans, \
         bot_scans = scan_rollups.bot_scans + excluded.bot_scans, \
         new_visitors = scan_rollups.new_visitors + excluded.new_visitors",
        placeholders(groups.len(), 10)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for ((hour, batch_id, country, device), c) in groups {
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
    query.execute(&mut **tx).await?;
    Ok(())
}

async fn insert_visitor_hours(tx: &mut Tx<'_>, scans: &[ScanRow]) -> StoreResult<()> {
    let seen: HashSet<(i64, i64, i64, &str)> = scans
        .iter()
        .filter(|s| !s.is_bot)
        .filter_map(|s| {
            Some((
                s.campaign_id,
                s.channel_id,
                s.hour(),
                s.visitor_id.as_deref()?,
            ))
        })
        .collect();
    if seen.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO rollup_visitors (campaign_id, channel_id, hour, visitor_id) VALUES {} \
         ON CONFLICT DO NOTHING",
        placeholders(seen.len(), 4)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (campaign_id, channel_id, hour, visitor) in seen {
        query = query
            .bind(campaign_id)
            .bind(channel_id)
            .bind(hour)
            .bind(visitor.to_owned());
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// Keeps `codes.scan_count` and `first_scan_at` current for human scans; both engines
/// name a VALUES list's columns column1, column2, ...
async fn bump_code_counters(tx: &mut Tx<'_>, scans: &[ScanRow]) -> StoreResult<()> {
    let mut per_code: HashMap<i64, (i64, i64)> = HashMap::new();
    for s in scans.iter().filter(|s| !s.is_bot) {
        let entry = per_code.entry(s.code_id).or_insert((0, s.scanned_at));
        entry.0 += 1;
        entry.1 = entry.1.min(s.scanned_at);
    }
    if per_code.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE codes SET scan_count = codes.scan_count + v.column2, \
         first_scan_at = COALESCE(codes.first_scan_at, v.column3) \
         FROM (VALUES {}) AS v WHERE codes.id = v.column1",
        placeholders(per_code.len(), 3)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (code_id, (count, first)) in per_code {
        query = query.bind(code_id).bind(count).bind(first);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}
