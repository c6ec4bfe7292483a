//! Codes that look copied: a unique code (one printed item) scanned from more cities than
//! one item travels to, more times in an hour than one person scans, or after the item was
//! bought. Read from the per-code history (`code_stats`, `code_cities`), never raw scans.

use std::collections::BTreeMap;

use super::{Db, DbResult};

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
