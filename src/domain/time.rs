//! Times as people and other programs read them: RFC 3339 in UTC, from the epoch
//! milliseconds the database keeps.

use chrono::{DateTime, Datelike, SecondsFormat, Utc};

pub fn to_rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

const MS_PER_HOUR: i64 = 3_600_000;

/// A report's time zone as a fixed offset from UTC in whole hours, `+08:00`, `-05:00`,
/// `+8` or `UTC`: days in it start on an hour boundary, as the hourly rollups need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UtcOffset(i64);

impl UtcOffset {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "{raw:?} is not a UTC offset in whole hours such as +08:00, -05:00 or UTC (zones with half-hour offsets cannot be split from hourly counts)"
            )
        };
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("utc") || raw == "Z" {
            return Ok(Self(0));
        }
        let (sign, rest) = match raw.as_bytes().first() {
            Some(b'+') => (1, &raw[1..]),
            Some(b'-') => (-1, &raw[1..]),
            _ => return Err(bad()),
        };
        let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "00"));
        if hours.is_empty()
            || hours.len() > 2
            || !hours.bytes().all(|b| b.is_ascii_digit())
            || minutes != "00"
        {
            return Err(bad());
        }
        let hours: i64 = hours.parse().map_err(|_| bad())?;
        if hours > 14 {
            return Err(bad());
        }
        Ok(Self(sign * hours * MS_PER_HOUR))
    }

    pub fn ms(self) -> i64 {
        self.0
    }

    /// The start (UTC epoch ms) of the day in this zone that `at` falls in.
    pub fn day_start(self, at: i64) -> i64 {
        let local = at + self.0;
        local - local.rem_euclid(24 * MS_PER_HOUR) - self.0
    }

    /// That day's date in this zone, `YYYY-MM-DD`.
    pub fn date(self, day_start: i64) -> String {
        DateTime::<Utc>::from_timestamp_millis(day_start + self.0)
            .unwrap_or_default()
            .format("%Y-%m-%d")
            .to_string()
    }
}

impl std::fmt::Display for UtcOffset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hours = self.0 / MS_PER_HOUR;
        write!(
            f,
            "{}{:02}:00",
            if hours < 0 { '-' } else { '+' },
            hours.abs()
        )
    }
}

/// How a time report buckets its counts: by the hour, day, week (Monday to Sunday) or
/// calendar month of the report's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interval {
    Hour,
    #[default]
    Day,
    Week,
    Month,
}

const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

impl Interval {
    pub const ALL: [Interval; 4] = [Self::Hour, Self::Day, Self::Week, Self::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|i| i.as_str() == raw.trim())
            .ok_or_else(|| format!("{raw:?} is not hour, day, week or month"))
    }

    /// The start (UTC epoch ms) of the bucket in `zone` that `at` falls in.
    pub fn start(self, zone: UtcOffset, at: i64) -> i64 {
        let local = at + zone.0;
        let local_start = match self {
            Self::Hour => local - local.rem_euclid(MS_PER_HOUR),
            Self::Day => local - local.rem_euclid(MS_PER_DAY),
            Self::Week => {
                let day = local.div_euclid(MS_PER_DAY);
                // 1970-01-01 was a Thursday: three days after a Monday.
                (day - (day + 3).rem_euclid(7)) * MS_PER_DAY
            }
            Self::Month => {
                let date = local_date(local);
                month_start(date.year(), date.month())
            }
        };
        local_start - zone.0
    }

    /// The start of the bucket after the one starting at `start`.
    pub fn next(self, zone: UtcOffset, start: i64) -> i64 {
        match self {
            Self::Hour => start + MS_PER_HOUR,
            Self::Day => start + MS_PER_DAY,
            Self::Week => start + 7 * MS_PER_DAY,
            Self::Month => {
                let date = local_date(start + zone.0);
                let (year, month) = match date.month() {
                    12 => (date.year() + 1, 1),
                    m => (date.year(), m + 1),
                };
                month_start(year, month) - zone.0
            }
        }
    }

    /// The bucket's name in the zone: `2026-11-30T14:00`, `2026-11-30`, the week's
    /// Monday `2026-11-30`, or `2026-11`.
    pub fn label(self, zone: UtcOffset, start: i64) -> String {
        let pattern = match self {
            Self::Hour => "%Y-%m-%dT%H:00",
            Self::Day | Self::Week => "%Y-%m-%d",
            Self::Month => "%Y-%m",
        };
        local_date_time(start + zone.0).format(pattern).to_string()
    }
}

fn local_date_time(local_ms: i64) -> chrono::NaiveDateTime {
    DateTime::<Utc>::from_timestamp_millis(local_ms)
        .unwrap_or_default()
        .naive_utc()
}

fn local_date(local_ms: i64) -> chrono::NaiveDate {
    local_date_time(local_ms).date()
}

/// Midnight of the first of a month, as milliseconds of local time.
fn month_start(year: i32, month: u32) -> i64 {
    chrono::NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(0, |t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_start_at_local_hours_mondays_and_firsts_of_the_month() {
        let shanghai = UtcOffset::parse("+08:00").unwrap();
        // 2026-11-30T15:59:59Z: Monday 23:59:59 in Shanghai.
        let at = 1_796_054_399_000;
        let week = Interval::Week.start(shanghai, at);
        assert_eq!(Interval::Week.label(shanghai, week), "2026-11-30");
        assert_eq!(Interval::Week.start(shanghai, at + 1_000), week);
        assert_eq!(
            Interval::Week.label(shanghai, Interval::Week.next(shanghai, week)),
            "2026-12-07"
        );
        let month = Interval::Month.start(shanghai, at);
        assert_eq!(Interval::Month.label(shanghai, month), "2026-11");
        // A second later it is December there.
        assert_eq!(Interval::Month.start(shanghai, at + 1_000), at + 1_000);
        assert_eq!(Interval::Month.next(shanghai, month), at + 1_000);
        let december = Interval::Month.start(shanghai, at + 1_000);
        assert_eq!(
            Interval::Month.label(shanghai, Interval::Month.next(shanghai, december)),
            "2027-01"
        );
        let hour = Interval::Hour.start(shanghai, at);
        assert_eq!(Interval::Hour.label(shanghai, hour), "2026-11-30T23:00");
        assert_eq!(Interval::Day.start(shanghai, at), shanghai.day_start(at));
        assert!(Interval::parse("fortnight").is_err());
        assert_eq!(Interval::parse("week"), Ok(Interval::Week));
    }

    #[test]
    fn offsets_read_in_whole_hours_and_days_start_at_local_midnight() {
        let shanghai = UtcOffset::parse("+08:00").unwrap();
        assert_eq!(UtcOffset::parse("+8").unwrap(), shanghai);
        assert_eq!(UtcOffset::parse("UTC").unwrap(), UtcOffset::default());
        assert_eq!(UtcOffset::parse("-05:00").unwrap().to_string(), "-05:00");
        for bad in ["+05:30", "08:00", "+15", "Asia/Shanghai", "", "+", "+1:5"] {
            assert!(UtcOffset::parse(bad).is_err(), "{bad}");
        }
        // 2026-11-30T15:59:59Z is 23:59:59 in Shanghai; a second later it is December.
        let before = 1_796_054_399_000;
        assert_eq!(shanghai.date(shanghai.day_start(before)), "2026-11-30");
        assert_eq!(
            shanghai.date(shanghai.day_start(before + 1_000)),
            "2026-12-01"
        );
        assert_eq!(shanghai.day_start(before + 1_000), before + 1_000);
        assert_eq!(
            UtcOffset::default().date(UtcOffset::default().day_start(before)),
            "2026-11-30"
        );
    }
}
