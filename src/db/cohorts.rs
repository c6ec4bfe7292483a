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
             GROUP BY 1, 2"
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
/// starts between `from` and `until` (at most 25 in a report's two years).
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
            let mut starts = vec![interval.start(zone, from)];
            loop {
                let next = interval.next(zone, starts[starts.len() - 1]);
                if next > until {
                    break;
                }
                starts.push(next);
            }
            month_case(column, &starts)
        }
    }
}

/// The start among `starts` (ascending) of the bucket holding `column`, as nested CASEs
/// halving the list: five comparisons a row for two years of months, not twenty-five.
fn month_case(column: &str, starts: &[i64]) -> String {
    match starts {
        [] => "NULL".to_owned(),
        [only] => only.to_string(),
        _ => {
            let middle = starts.len() / 2;
            format!(
                "CASE WHEN {column} < {} THEN {} ELSE {} END",
                starts[middle],
                month_case(column, &starts[..middle]),
                month_case(column, &starts[middle..])
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_found_by_halving_the_starts() {
        assert_eq!(month_case("t", &[10]), "10");
        assert_eq!(
            month_case("t", &[10, 20, 30]),
            "CASE WHEN t < 20 THEN 10 ELSE CASE WHEN t < 30 THEN 20 ELSE 30 END END"
        );
    }
}
