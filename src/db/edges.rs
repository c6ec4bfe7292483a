//! Reports to the minute: a range's whole hours are read from the rollups (the whole UTC
//! days among them from the day tier, `days`), and the parts of an hour at its edges
//! (09:30 to 10:00, 17:00 to 17:45) from the raw scans and events, which the reports fold
//! in as the rollups would have. An edge in an hour whose raw rows retention may have
//! removed is read as its whole hour from the rollups instead.

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::QueryAs;

use super::days::{DAY_MS, day_of};
use super::{Db, DbResult, ReportFilter, ReportRange, watermarks};

const MS_PER_HOUR: i64 = 3_600_000;
/// The watermark retention raises before removing raw scans and events older than it.
pub(super) const RAW_KEPT_FROM: &str = "raw_kept_from";

/// How a range is read: `hours` from the rollups (`[start, end)`, hour-aligned, possibly
/// empty), the folded whole days among them (`days`, empty as `(0, 0)`) from the day tier,
/// `edges` from the raw rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub hours: (i64, i64),
    pub days: (i64, i64),
    pub edges: Vec<(i64, i64)>,
}

/// A tiered query's condition on the hourly rollups: the span's hours outside its days
/// (bound as `$2` to `$5` by [`Span::bind`]).
pub const IN_HOURS: &str = "((hour >= $2 AND hour < $3) OR (hour >= $4 AND hour < $5))";
/// A tiered query's condition on the day tier (`$6`, `$7`).
pub const IN_DAYS: &str = "day >= $6 AND day < $7";

impl ReportRange {
    /// Splits the range, given that raw rows are kept from `raw_since` on and days are
    /// folded before `days_folded_to`.
    pub fn span(self, raw_since: i64, days_folded_to: i64, now: i64) -> Span {
        let mut span = self.hourly_span(raw_since, now);
        let (from, to) = span.hours;
        let first_day = day_of(from + DAY_MS - 1);
        let end_day = day_of(to).min(day_of(days_folded_to));
        if first_day < end_day {
            span.days = (first_day, end_day);
        }
        span
    }

    /// Splits the range into whole hours and edges. A range that ends at `now` or later
    /// reads its last hour whole from the rollups: nothing in it comes after now, and the
    /// current hour of a busy campaign is many raw rows.
    fn hourly_span(self, raw_since: i64, now: i64) -> Span {
        let floor = |t: i64| t - t.rem_euclid(MS_PER_HOUR);
        let ceil = |t: i64| floor(t + MS_PER_HOUR - 1);
        let from = self.from;
        let to = if self.to >= now {
            ceil(self.to)
        } else {
            self.to
        };
        let raw = |edge_hour: i64| edge_hour >= raw_since;
        if floor(from) == floor(to) || ceil(from) > floor(to) {
            // Inside one hour.
            return if from % MS_PER_HOUR == 0 && to % MS_PER_HOUR == 0 {
                Span {
                    hours: (from, to),
                    days: (0, 0),
                    edges: Vec::new(),
                }
            } else if raw(floor(from)) {
                Span {
                    hours: (floor(from), floor(from)),
                    days: (0, 0),
                    edges: vec![(from, to)],
                }
            } else {
                Span {
                    hours: (floor(from), ceil(to)),
                    days: (0, 0),
                    edges: Vec::new(),
                }
            };
        }
        let mut span = Span {
            hours: (ceil(from), floor(to)),
            days: (0, 0),
            edges: Vec::new(),
        };
        if from != ceil(from) {
            if raw(floor(from)) {
                span.edges.push((from, ceil(from)));
            } else {
                span.hours.0 = floor(from);
            }
        }
        if to != floor(to) {
            if raw(floor(to)) {
                span.edges.push((floor(to), to));
            } else {
                span.hours.1 = ceil(to);
            }
        }
        span
    }
}

impl Span {
    /// The span's hours outside its days: read from the hourly rollups.
    pub fn hour_ranges(&self) -> [(i64, i64); 2] {
        let (from, to) = self.hours;
        let (first_day, end_day) = self.days;
        if first_day < end_day {
            [(from, first_day), (end_day, to)]
        } else {
            [(from, to), (to, to)]
        }
    }

    /// Binds `$2` to `$7` of a query reading [`IN_HOURS`] and [`IN_DAYS`].
    pub fn bind<'q, O>(
        &self,
        query: QueryAs<'q, Any, O, AnyArguments>,
    ) -> QueryAs<'q, Any, O, AnyArguments> {
        let [(a, b), (c, d)] = self.hour_ranges();
        query
            .bind(a)
            .bind(b)
            .bind(c)
            .bind(d)
            .bind(self.days.0)
            .bind(self.days.1)
    }
}

/// A raw scan at an edge of a range, with what the rollups count it by.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EdgeScan {
    pub scanned_at: i64,
    pub batch_id: i64,
    pub channel_id: i64,
    pub store_id: Option<i64>,
    pub country: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    pub device: String,
    pub is_bot: i64,
    pub is_new_visitor: i64,
    pub visitor_id: Option<String>,
}

impl EdgeScan {
    pub fn hour(&self) -> i64 {
        self.scanned_at - self.scanned_at.rem_euclid(MS_PER_HOUR)
    }

    pub fn is_bot(&self) -> bool {
        self.is_bot != 0
    }

    /// A person seen for the first time (bots are never new visitors in the rollups).
    pub fn is_new(&self) -> bool {
        !self.is_bot() && self.is_new_visitor != 0
    }
}

/// A person's raw event at an edge of a range (bots' events are not counted).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EdgeEvent {
    pub occurred_at: i64,
    pub kind: String,
    /// 0 for a visit that came without a code, as in the rollups.
    pub channel_id: i64,
    pub device: String,
    pub country: String,
}

impl EdgeEvent {
    pub fn hour(&self) -> i64 {
        self.occurred_at - self.occurred_at.rem_euclid(MS_PER_HOUR)
    }
}

impl Db {
    /// How `range` is read: raw rows are complete from the latest retention cutoff on
    /// (before any sweep, from the start). The day tier is kept per campaign: a filtered
    /// report reads every whole hour from the hourly rollups instead.
    pub async fn span(&self, range: ReportRange, filter: &ReportFilter) -> DbResult<Span> {
        let raw_since = watermarks::read(self.pool(), RAW_KEPT_FROM).await?;
        let days_folded_to = match filter.is_whole() {
            true => self.days_folded_to().await?,
            false => 0,
        };
        Ok(range.span(raw_since, days_folded_to, super::now_ms()))
    }

    /// The campaign's raw scans at the span's edges, inside the filter.
    pub async fn edge_scans(
        &self,
        campaign_id: i64,
        span: &Span,
        filter: &ReportFilter,
    ) -> DbResult<Vec<EdgeScan>> {
        let mut scans = Vec::new();
        for &(from, to) in &span.edges {
            let rows: Vec<EdgeScan> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT scanned_at, batch_id, channel_id, store_id, country, region, city, \
                 device, is_bot, is_new_visitor, visitor_id FROM scans \
                 WHERE campaign_id = $1 AND scanned_at >= $2 AND scanned_at < $3{}",
                filter.sql()
            )))
            .bind(campaign_id)
            .bind(from)
            .bind(to)
            .fetch_all(self.pool())
            .await?;
            scans.extend(rows);
        }
        Ok(scans)
    }

    /// The campaign's raw events by people at the span's edges, inside the filter.
    pub async fn edge_events(
        &self,
        campaign_id: i64,
        span: &Span,
        filter: &ReportFilter,
    ) -> DbResult<Vec<EdgeEvent>> {
        let mut events = Vec::new();
        for &(from, to) in &span.edges {
            let rows: Vec<EdgeEvent> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT occurred_at, kind, COALESCE(channel_id, 0) AS channel_id, device, \
                 COALESCE(country, '') AS country FROM events \
                 WHERE campaign_id = $1 AND occurred_at >= $2 AND occurred_at < $3 \
                 AND is_bot = 0{}",
                filter.sql()
            )))
            .bind(campaign_id)
            .bind(from)
            .bind(to)
            .fetch_all(self.pool())
            .await?;
            events.extend(rows);
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = MS_PER_HOUR;
    const M: i64 = 60_000;

    fn span(from: i64, to: i64, raw_since: i64) -> Span {
        ReportRange { from, to }.span(raw_since, 0, i64::MAX)
    }

    #[test]
    fn whole_hours_come_from_rollups_and_partial_ones_from_raw_rows() {
        let day = 100 * 24 * H;
        // 09:30 to 17:45: 10:00-17:00 from rollups, the two edges raw.
        assert_eq!(
            span(day + 9 * H + 30 * M, day + 17 * H + 45 * M, 0),
            Span {
                hours: (day + 10 * H, day + 17 * H),
                days: (0, 0),
                edges: vec![
                    (day + 9 * H + 30 * M, day + 10 * H),
                    (day + 17 * H, day + 17 * H + 45 * M)
                ],
            }
        );
        // Whole hours need no raw rows.
        assert_eq!(
            span(day + 9 * H, day + 12 * H, 0),
            Span {
                hours: (day + 9 * H, day + 12 * H),
                days: (0, 0),
                edges: vec![],
            }
        );
        // Inside one hour: all raw.
        assert_eq!(
            span(day + 9 * H + 10 * M, day + 9 * H + 20 * M, 0).edges,
            vec![(day + 9 * H + 10 * M, day + 9 * H + 20 * M)]
        );
        // 09:30 to 10:15: both edges, no whole hour.
        let s = span(day + 9 * H + 30 * M, day + 10 * H + 15 * M, 0);
        assert_eq!(s.hours.0, s.hours.1);
        assert_eq!(s.edges.len(), 2);
    }

    #[test]
    fn an_edge_whose_raw_rows_are_gone_is_read_as_its_whole_hour() {
        let day = 100 * 24 * H;
        // Raw rows kept from 12:00: the 09:30 edge is the whole 09:00 hour.
        assert_eq!(
            span(day + 9 * H + 30 * M, day + 17 * H + 45 * M, day + 12 * H),
            Span {
                hours: (day + 9 * H, day + 17 * H),
                days: (0, 0),
                edges: vec![(day + 17 * H, day + 17 * H + 45 * M)],
            }
        );
        assert_eq!(
            span(day + 9 * H + 10 * M, day + 9 * H + 20 * M, day + 12 * H),
            Span {
                hours: (day + 9 * H, day + 10 * H),
                days: (0, 0),
                edges: vec![],
            }
        );
    }

    #[test]
    fn folded_whole_days_come_from_the_day_tier_and_the_hours_around_them_from_rollups() {
        let day = 100 * DAY_MS;
        // 09:00 on day 0 to 17:00 on day 5, days folded up to day 4: days 1 to 3 whole.
        let range = ReportRange {
            from: day + 9 * H,
            to: day + 5 * DAY_MS + 17 * H,
        };
        let span = range.span(0, day + 4 * DAY_MS, i64::MAX);
        assert_eq!(span.days, (day + DAY_MS, day + 4 * DAY_MS));
        assert_eq!(
            span.hour_ranges(),
            [
                (day + 9 * H, day + DAY_MS),
                (day + 4 * DAY_MS, day + 5 * DAY_MS + 17 * H)
            ]
        );
        // Nothing folded: every hour from the rollups.
        let span = range.span(0, 0, i64::MAX);
        let end = day + 5 * DAY_MS + 17 * H;
        assert_eq!(span.days, (0, 0));
        assert_eq!(span.hour_ranges(), [(day + 9 * H, end), (end, end)]);
        // Less than a whole day: no day from the tier.
        let short = ReportRange {
            from: day + 9 * H,
            to: day + DAY_MS + 8 * H,
        };
        assert_eq!(short.span(0, day + 4 * DAY_MS, i64::MAX).days, (0, 0));
    }

    #[test]
    fn a_range_up_to_now_reads_the_current_hour_from_its_rollup() {
        let day = 100 * 24 * H;
        let now = day + 17 * H + 45 * M;
        assert_eq!(
            ReportRange {
                from: day + 9 * H,
                to: now
            }
            .span(0, 0, now),
            Span {
                hours: (day + 9 * H, day + 18 * H),
                days: (0, 0),
                edges: vec![],
            }
        );
    }
}
