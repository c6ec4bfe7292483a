//! Repeat-purchase cohorts: how many people first scanned a campaign in each hour (kept by
//! the touches fold), and how many of them bought in each period after.

use super::{Db, DbResult, ReportRange};
use crate::domain::time::{Interval, UtcOffset};

impl Db {
    /// People first seen in the campaign per hour of the range.
    pub async fn cohort_sizes(
        &self,
        campaign_id: i64,
        range: ReportRange,
    ) -> DbResult<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT hour, visitors FROM visitor_cohorts \
             WHERE campaign_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour",
        )
        .bind(campaign_id)
        .bind(range.from)
        .bind(range.to)
        .fetch_all(self.pool())
        .await?)
    }

    /// Distinct buyers per cohort (the `interval` bucket in `zone` of their first scan of
    /// the campaign) and bucket they bought in: conversions in the range whose touch paths
    /// reach the campaign (inside `window_ms` before each purchase), by visitors first seen
    /// in the range, bought after their first scan and by `until`. A purchase keyed by a
    /// token or a store names no visitor and is left out. Counted in the database: a 90-day
    /// range has 100,000 purchases, and a row each took most of the report's time. (A
    /// conversion's touches share its buyer, first scan and time, so counting distinct
    /// buyers needs no distinct conversions first.)
    pub async fn cohort_buyers(
        &self,
        campaign_id: i64,
        range: ReportRange,
        window_ms: i64,
        (interval, zone): (Interval, UtcOffset),
        until: i64,
    ) -> DbResult<Vec<(i64, i64, i64)>> {
        let cohort = bucket_sql(interval, zone, "first_seen", range.from, until);
        let bought = bucket_sql(interval, zone, "converted_at", range.from, until);
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {cohort} AS cohort, {bought} AS bought, COUNT(DISTINCT buyer) \
             FROM conversion_touches WHERE campaign_id = $1 AND converted_at >= $2 \
             AND converted_at < $3 AND touched_at >= converted_at - $4 \
             AND touched_at <= converted_at AND first_seen >= $2 AND first_seen < $3 \
             AND converted_at >= first_seen AND converted_at <= $5 \
             GROUP BY {cohort}, {bought}"
        )))
        .bind(campaign_id)
        .bind(range.from)
        .bind(range.to)
        .bind(window_ms)
        .bind(until)
        .fetch_all(self.pool())
        .await?)
    }
}

/// SQL for the start of the `interval` bucket in `zone` holding `column` (epoch ms): days
/// and weeks (from Monday; 1970-01-01 was a Thursday) by arithmetic, months by the calendar's
/// boundaries between `from` and `until` (at most 25 in a report's two years).
fn bucket_sql(interval: Interval, zone: UtcOffset, column: &str, from: i64, until: i64) -> String {
    const DAY: i64 = 86_400_000;
    let offset = zone.ms();
    match interval {
        Interval::Hour => format!("({column} - {column} % 3600000)"),
        Interval::Day => format!("({column} - ({column} + {offset}) % {DAY})"),
        Interval::Week => format!(
            "({column} - ({column} + {offset} + {}) % {})",
            3 * DAY,
            7 * DAY
        ),
        Interval::Month => {
            let mut start = interval.start(zone, from);
            let mut sql = String::from("CASE");
            loop {
                let next = interval.next(zone, start);
                if next > until {
                    break;
                }
                sql.push_str(&format!(" WHEN {column} < {next} THEN {start}"));
                start = next;
            }
            sql.push_str(&format!(" ELSE {start} END"));
            sql
        }
    }
}
