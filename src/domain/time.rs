//! Times as people and other programs read them: RFC 3339 in UTC, from the epoch
//! milliseconds the database keeps.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn to_rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}
