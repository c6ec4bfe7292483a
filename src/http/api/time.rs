//! API times: RFC 3339 in and out, epoch milliseconds in the database.

use chrono::{DateTime, NaiveDate};

use crate::http::error::{AppError, Result};

/// 1970-01-01T00:00:00Z: the earliest time the API takes.
pub const EARLIEST_MS: i64 = 0;
/// 9999-12-31T23:00:00Z: the latest time the API takes, so a time rounded up to the next
/// hour still has a four-digit year.
pub const LATEST_MS: i64 = 253_402_297_200_000;

pub use crate::domain::time::to_rfc3339;

/// Accepts `2026-05-01T08:00:00Z` (any offset) or a plain date `2026-05-01` (UTC midnight),
/// from 1970 to 9999-12-31T23:00:00Z.
pub fn parse(field: &str, raw: &str) -> Result<i64> {
    let ms = parse_ms(raw).ok_or_else(|| {
        AppError::invalid(
            field,
            format!(
                "{raw:?} is not an RFC 3339 time such as 2026-05-01T08:00:00Z or a date such as 2026-05-01"
            ),
        )
    })?;
    if !(EARLIEST_MS..=LATEST_MS).contains(&ms) {
        return Err(AppError::invalid(
            field,
            format!("{raw:?} is outside 1970-01-01T00:00:00Z to 9999-12-31T23:00:00Z"),
        ));
    }
    Ok(ms)
}

fn parse_ms(raw: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.timestamp_millis());
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

pub fn parse_optional(field: &str, raw: Option<&str>) -> Result<Option<i64>> {
    raw.map(|r| parse(field, r)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_bounded_to_four_digit_years() {
        assert_eq!(parse("t", "1970-01-01").unwrap(), EARLIEST_MS);
        assert_eq!(parse("t", "9999-12-31T23:00:00Z").unwrap(), LATEST_MS);
        assert_eq!(to_rfc3339(LATEST_MS), "9999-12-31T23:00:00.000Z");
        for bad in [
            "1969-12-31T23:59:59Z",
            "9999-12-31T23:00:01Z",
            "+10000-01-01",
            "soon",
            "",
        ] {
            assert!(parse("t", bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse("t", "2026-05-01T10:00:00+02:00").unwrap(),
            1_777_622_400_000
        );
    }
}
