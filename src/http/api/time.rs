//! API times: RFC 3339 in and out, epoch milliseconds in the database.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use crate::http::error::{AppError, Result};

pub fn to_rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Accepts `2026-05-01T08:00:00Z` (any offset) or a plain date `2026-05-01` (UTC midnight).
pub fn parse(field: &str, raw: &str) -> Result<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(d
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp_millis());
    }
    Err(AppError::invalid(
        field,
        format!(
            "{raw:?} is not an RFC 3339 time such as 2026-05-01T08:00:00Z or a date such as 2026-05-01"
        ),
    ))
}

pub fn parse_optional(field: &str, raw: Option<&str>) -> Result<Option<i64>> {
    raw.map(|r| parse(field, r)).transpose()
}
