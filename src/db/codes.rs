//! Codes: one token each, what a scan of it resolves to, and its scan history.

use super::{Backend, Db, DbError, DbResult, Scope};
use crate::domain::{BatchMode, Generation, LinkStyle, Schedule, Status, Tracking};

/// A code with its batch's generation state and the history folded from its scans.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeRecord {
    pub id: i64,
    pub token: String,
    pub batch_id: i64,
    pub serial: i64,
    #[sqlx(try_from = "String")]
    pub status: Status,
    #[sqlx(try_from = "String")]
    pub generation: Generation,
    #[sqlx(try_from = "String")]
    pub mode: BatchMode,
    pub gtin: Option<String>,
    pub lot: Option<String>,
    #[sqlx(flatten)]
    pub history: CodeHistory,
}

impl CodeRecord {
    pub fn link_style(&self) -> LinkStyle {
        LinkStyle::for_batch(self.gtin.as_deref(), self.lot.as_deref(), self.mode)
    }
}

/// A page of a batch's listing packed by the database into one text: a line per code,
/// `serial,token,status,scans,first_scan_at` (the last empty when never scanned), in serial
/// order. One row instead of thousands: the driver's cost per row was most of a codes.csv.
#[derive(Debug, Clone, Default)]
pub struct PackedListing {
    pub lines: String,
    pub codes: i64,
    pub last_serial: i64,
}

impl PackedListing {
    /// Each code's serial and token.
    pub fn serials_and_tokens(&self) -> impl Iterator<Item = (i64, &str)> {
        self.lines.lines().filter_map(|line| {
            let mut fields = line.split(',');
            let serial = fields.next()?.parse().ok()?;
            Some((serial, fields.next()?))
        })
    }
}

/// Which bottle was scanned, when first, how often and from how many cities (bots apart).
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct CodeHistory {
    pub scans: i64,
    pub bot_scans: i64,
    pub first_scan_at: Option<i64>,
    pub first_scan_country: Option<String>,
    pub first_scan_city: Option<String>,
    pub last_scan_at: Option<i64>,
    pub cities: i64,
}

/// Everything the redirect needs about a code, in one row: the cache holds these.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResolvedCode {
    pub code_id: i64,
    pub token: String,
    pub serial: i64,
    #[sqlx(try_from = "String")]
    pub code_status: Status,
    pub batch_id: i64,
    #[sqlx(try_from = "String")]
    pub batch_status: Status,
    pub store_id: Option<i64>,
    /// The batch's GTIN-14 and lot: a GS1 Digital Link path must agree with them.
    pub gtin: Option<String>,
    pub lot: Option<String>,
    pub channel_id: i64,
    pub channel_slug: String,
    pub campaign_id: i64,
    pub campaign_slug: String,
    #[sqlx(try_from = "String")]
    pub campaign_status: Status,
    pub destination_url: Option<String>,
    pub fallback_url: Option<String>,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    #[sqlx(try_from = "String")]
    pub tracking: Tracking,
    /// The standing recall notice that covers the code, if any.
    pub notice_id: Option<i64>,
    #[sqlx(try_from = "String")]
    pub batch_mode: BatchMode,
    /// The standing limited offer its scans may claim (the batch's own before the
    /// campaign's), if any.
    pub offer_id: Option<i64>,
    pub offer_counts: Option<String>,
    pub offer_url: Option<String>,
    pub offer_fallback_url: Option<String>,
    /// The redirect rules (JSON, as saved) of its campaign and of its batch.
    pub campaign_rules: Option<String>,
    pub batch_rules: Option<String>,
    /// The routing (JSON) of its campaign's running experiment, or of the winner of the
    /// last one that stopped with one.
    pub experiment_routing: Option<String>,
    /// People's scans of it folded into its history when it was loaded.
    pub stored_scans: i64,
}

impl ResolvedCode {
    pub fn schedule(&self) -> Schedule {
        Schedule {
            status: self.campaign_status,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
        }
    }
}

const RECORD: &str = "SELECT c.id, c.token, c.batch_id, c.serial, c.status, b.generation, \
     b.mode, b.gtin, b.lot, \
     COALESCE(s.scans, 0) AS scans, COALESCE(s.bot_scans, 0) AS bot_scans, \
     s.first_scan_at, s.first_country AS first_scan_country, s.first_city AS first_scan_city, \
     s.last_scan_at, COALESCE(s.cities, 0) AS cities \
     FROM codes c JOIN batches b ON b.id = c.batch_id \
     LEFT JOIN code_stats s ON s.code_id = c.id";

impl Db {
    /// The code as a scan sees it; `None` for unknown tokens and for codes of batches that
    /// are not ready, which must not resolve yet.
    pub async fn resolve_code(&self, token: &str) -> DbResult<Option<ResolvedCode>> {
        Ok(sqlx::query_as(
            "SELECT c.id AS code_id, c.token, c.serial, c.status AS code_status, \
             b.id AS batch_id, b.status AS batch_status, b.store_id, b.gtin, b.lot, \
             ch.id AS channel_id, ch.slug AS channel_slug, \
             k.id AS campaign_id, k.slug AS campaign_slug, k.status AS campaign_status, \
             k.destination_url, k.fallback_url, k.starts_at, k.ends_at, k.tracking, \
             (SELECT n.id FROM notices n WHERE n.batch_id = b.id AND n.lifted_at IS NULL \
              AND n.from_serial <= c.serial AND n.to_serial >= c.serial LIMIT 1) AS notice_id, \
             b.mode AS batch_mode, o.id AS offer_id, o.counts AS offer_counts, \
             o.url AS offer_url, o.fallback_url AS offer_fallback_url, \
             k.rules AS campaign_rules, b.rules AS batch_rules, \
             (SELECT e.routing FROM experiments e WHERE e.campaign_id = k.id \
              AND e.routing IS NOT NULL) AS experiment_routing, \
             COALESCE((SELECT h.scans FROM code_stats h WHERE h.code_id = c.id), 0) \
              AS stored_scans \
             FROM codes c JOIN batches b ON b.id = c.batch_id \
             JOIN channels ch ON ch.id = b.channel_id JOIN campaigns k ON k.id = b.campaign_id \
             LEFT JOIN offers o ON o.id = (SELECT s.id FROM offers s \
              WHERE s.campaign_id = k.id AND s.ended_at IS NULL \
              AND (s.batch_id IS NULL OR s.batch_id = b.id) \
              ORDER BY s.batch_id IS NULL, s.id DESC LIMIT 1) \
             WHERE c.token = $1 AND b.generation = 'ready'",
        )
        .bind(token.to_owned())
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn code(&self, token: &str) -> DbResult<CodeRecord> {
        self.code_in(&Scope::All, token).await
    }

    /// Code `token` if its batch is in `scope` (a retailer's: bound to one of their
    /// stores).
    pub async fn code_in(&self, scope: &Scope, token: &str) -> DbResult<CodeRecord> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{RECORD} WHERE c.token = $1 AND {}",
            scope.sql("b.store_id")
        )))
        .bind(token.to_owned())
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)
    }

    /// The codes of serials `after_serial + 1 ..= after_serial + limit`, packed (see
    /// `PackedListing`). A ready batch's serials are exactly 1 to its size, so a range of
    /// serials is a page; bounding both ends (rather than `LIMIT`) keeps PostgreSQL from
    /// reading every remaining code for each page when its statistics are stale, as they
    /// are right after a large batch is written.
    pub async fn packed_listing(
        &self,
        batch_id: i64,
        after_serial: i64,
        limit: i64,
    ) -> DbResult<PackedListing> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT group_concat(line, char(10) ORDER BY serial), COUNT(*), MAX(serial) \
                 FROM (SELECT c.serial, c.serial || ',' || c.token || ',' || c.status || ',' \
                 || COALESCE(s.scans, 0) || ',' || COALESCE(s.first_scan_at, '') AS line \
                 FROM codes c LEFT JOIN code_stats s ON s.code_id = c.id \
                 WHERE c.batch_id = $1 AND c.serial > $2 AND c.serial <= $2 + $3)"
            }
            Backend::Postgres => {
                "SELECT string_agg(line, E'\\n' ORDER BY serial), COUNT(*), MAX(serial) \
                 FROM (SELECT c.serial, c.serial::text || ',' || c.token || ',' || c.status \
                 || ',' || COALESCE(s.scans, 0)::text || ',' \
                 || COALESCE(s.first_scan_at::text, '') AS line \
                 FROM codes c LEFT JOIN code_stats s ON s.code_id = c.id \
                 WHERE c.batch_id = $1 AND c.serial > $2 AND c.serial <= $2 + $3) page"
            }
        };
        let (lines, codes, last_serial): (Option<String>, i64, Option<i64>) = sqlx::query_as(sql)
            .bind(batch_id)
            .bind(after_serial)
            .bind(limit)
            .fetch_one(self.pool())
            .await?;
        Ok(PackedListing {
            lines: lines.unwrap_or_default(),
            codes,
            last_serial: last_serial.unwrap_or(after_serial),
        })
    }

    /// Codes of a batch in serial order after `after_serial`, with their history.
    pub async fn codes_page(
        &self,
        batch_id: i64,
        after_serial: i64,
        limit: i64,
    ) -> DbResult<Vec<CodeRecord>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{RECORD} WHERE c.batch_id = $1 AND c.serial > $2 ORDER BY c.serial LIMIT $3"
        )))
        .bind(batch_id)
        .bind(after_serial)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
