//! Codes that look copied: a unique code (one printed item) scanned from more cities than
//! one item travels to, more times in an hour than one person scans, or after the item was
//! bought. Read from the per-code history (`code_stats`, `code_cities`), never raw scans.

use std::collections::BTreeMap;

use super::{Db, DbResult, FoldStep, now_ms, watermarks, webhooks};
use crate::domain::time::to_rfc3339;
use crate::domain::webhook_event::WebhookEvent;

/// The thresholds the report defaults to, and `code.suspicious` is sent at.
pub const DEFAULT_CITIES: i64 = 3;
pub const DEFAULT_PER_HOUR: i64 = 20;

const ALERTS: &str = "code_alerts";
/// Names the watch's advisory lock (PostgreSQL).
const ADVISORY_LOCK: i64 = 0x5c4e_1004;

/// The thresholds a code is judged by; each is "more than".
#[derive(Debug, Clone, Copy)]
pub struct Suspicion {
    pub cities: i64,
    pub per_hour: i64,
    pub limit: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SuspiciousCode {
    pub code_id: i64,
    pub token: String,
    pub serial: i64,
    pub batch_id: i64,
    pub scans: i64,
    pub cities: i64,
    pub first_scan_at: Option<i64>,
    pub first_country: Option<String>,
    pub first_city: Option<String>,
    pub last_scan_at: Option<i64>,
    pub peak_hour_at: Option<i64>,
    pub peak_hour_scans: i64,
    /// When the item was first bought (a purchase keyed by its token).
    pub bought_at: Option<i64>,
}

impl Db {
    /// Looks at the unique codes scanned in the next `limit` scans the touches fold has
    /// passed (so their busiest hours are counted) and, for each newly past a default
    /// threshold, notes it and queues a `code.suspicious` delivery in one transaction:
    /// each code and reason is sent once, whichever instance sees it first.
    pub async fn alert_suspicious_codes(&self, limit: i64) -> DbResult<FoldStep> {
        let from = watermarks::read(self.pool(), ALERTS).await?;
        let folded = self.touches_watermark().await?;
        let to = folded.min(from + limit);
        let watermarks::Step {
            mut tx,
            turn: _turn,
        } = match watermarks::begin_step(self, ALERTS, ADVISORY_LOCK, (from, to)).await? {
            Ok(step) => step,
            Err(answer) => return Ok(answer),
        };
        let now = now_ms();
        let alerted: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO code_alerts (code_id, reason, sent_at) \
             SELECT s.code_id, r.reason, $3 FROM code_stats s \
             JOIN codes k ON k.id = s.code_id JOIN batches b ON b.id = k.batch_id \
             JOIN (SELECT 'cities' AS reason UNION ALL SELECT 'per_hour' \
                   UNION ALL SELECT 'after_purchase') r \
             ON (r.reason = 'cities' AND s.cities > {DEFAULT_CITIES}) \
             OR (r.reason = 'per_hour' AND s.peak_hour_scans > {DEFAULT_PER_HOUR}) \
             OR (r.reason = 'after_purchase' AND EXISTS (SELECT 1 FROM conversions c \
                 WHERE c.key_kind = 'token' AND c.key_value = k.token \
                 AND c.occurred_at < s.last_scan_at)) \
             WHERE s.code_id IN (SELECT code_id FROM scans \
                 WHERE id > $1 AND id <= $2 AND is_bot = 0) AND b.mode = 'unique' \
             ORDER BY s.code_id, r.reason ON CONFLICT DO NOTHING RETURNING code_id, reason"
        )))
        .bind(from)
        .bind(to)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let event = WebhookEvent::CodeSuspicious.as_str();
        if !alerted.is_empty() && webhooks::wanted(&mut tx, event).await? {
            for (code_id, reason) in &alerted {
                let payload = alert_payload(&mut tx, *code_id, reason, now).await?;
                webhooks::enqueue(&mut tx, event, &payload.to_string()).await?;
            }
        }
        watermarks::write(&mut tx, ALERTS, to).await?;
        tx.commit().await?;
        Ok(FoldStep::Folded {
            scans: to - from,
            more: to < folded,
        })
    }

    /// The campaign's unique codes over any of the thresholds, by id, at most
    /// `suspicion.limit`, with the places each was scanned from.
    pub async fn suspicious_codes(
        &self,
        campaign_id: i64,
        suspicion: Suspicion,
    ) -> DbResult<Vec<(SuspiciousCode, Vec<String>)>> {
        let Suspicion {
            cities,
            per_hour,
            limit,
        } = suspicion;
        // The thresholds are validated integers written into the SQL, so each engine can
        // use the partial indexes (over 1) that hold the few codes past them.
        let codes: Vec<SuspiciousCode> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH flagged AS ( \
                 SELECT code_id FROM code_stats WHERE cities > 1 AND cities > {cities} \
                 UNION SELECT code_id FROM code_stats \
                     WHERE peak_hour_scans > 1 AND peak_hour_scans > {per_hour} \
                 UNION SELECT k.id FROM conversions c JOIN codes k ON k.token = c.key_value \
                     JOIN code_stats s ON s.code_id = k.id \
                     WHERE c.campaign_id = $1 AND c.key_kind = 'token' \
                     AND s.last_scan_at > c.occurred_at) \
             SELECT k.id AS code_id, k.token, k.serial, k.batch_id, s.scans, s.cities, \
             s.first_scan_at, s.first_country, s.first_city, s.last_scan_at, s.peak_hour_at, \
             s.peak_hour_scans, (SELECT MIN(c.occurred_at) FROM conversions c \
                 WHERE c.key_kind = 'token' AND c.key_value = k.token) AS bought_at \
             FROM flagged f JOIN code_stats s ON s.code_id = f.code_id \
             JOIN codes k ON k.id = f.code_id JOIN batches b ON b.id = k.batch_id \
             WHERE b.campaign_id = $1 AND b.mode = 'unique' ORDER BY k.id LIMIT {limit}"
        )))
        .bind(campaign_id)
        .fetch_all(self.pool())
        .await?;
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = codes.iter().map(|c| c.code_id.to_string()).collect();
        let places: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT code_id, place FROM code_cities WHERE code_id IN ({}) \
             ORDER BY code_id, place",
            ids.join(",")
        )))
        .fetch_all(self.pool())
        .await?;
        let mut by_code: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (code_id, place) in places {
            by_code.entry(code_id).or_default().push(place);
        }
        Ok(codes
            .into_iter()
            .map(|c| {
                let places = by_code.remove(&c.code_id).unwrap_or_default();
                (c, places)
            })
            .collect())
    }
}

/// What `code.suspicious` tells: the code, why, and its history so far.
async fn alert_payload(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    code_id: i64,
    reason: &str,
    now: i64,
) -> DbResult<serde_json::Value> {
    let (token, serial, batch_id, campaign_id, scans, cities, first_scan_at, last_scan_at, peak): (
        String,
        i64,
        i64,
        i64,
        i64,
        i64,
        Option<i64>,
        Option<i64>,
        i64,
    ) = sqlx::query_as(
        "SELECT k.token, k.serial, k.batch_id, b.campaign_id, s.scans, s.cities, \
         s.first_scan_at, s.last_scan_at, s.peak_hour_scans FROM code_stats s \
         JOIN codes k ON k.id = s.code_id JOIN batches b ON b.id = k.batch_id \
         WHERE s.code_id = $1",
    )
    .bind(code_id)
    .fetch_one(&mut **tx)
    .await?;
    let (bought_at,): (Option<i64>,) = sqlx::query_as(
        "SELECT MIN(occurred_at) FROM conversions WHERE key_kind = 'token' AND key_value = $1",
    )
    .bind(token.clone())
    .fetch_one(&mut **tx)
    .await?;
    let places: Vec<(String,)> =
        sqlx::query_as("SELECT place FROM code_cities WHERE code_id = $1 ORDER BY place")
            .bind(code_id)
            .fetch_all(&mut **tx)
            .await?;
    Ok(serde_json::json!({
        "code_id": code_id,
        "token": token,
        "serial": serial,
        "batch_id": batch_id,
        "campaign_id": campaign_id,
        "reason": reason,
        "scans": scans,
        "cities": cities,
        "places": places.into_iter().map(|(p,)| p).collect::<Vec<_>>(),
        "peak_hour_scans": peak,
        "first_scan_at": first_scan_at.map(to_rfc3339),
        "last_scan_at": last_scan_at.map(to_rfc3339),
        "bought_at": bought_at.map(to_rfc3339),
        "at": to_rfc3339(now),
    }))
}
