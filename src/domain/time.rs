//! Times as people and other programs read them: RFC 3339 in UTC, from the epoch
//! milliseconds the database keeps.

use chrono::{DateTime, SecondsFormat, Utc};

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

#[cfg(test)]
mod tests {
    use super::*;

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
