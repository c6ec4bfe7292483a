//! Scans as the live feed shows them: in id order after a point, with what a brand may see
//! of each (never the visitor, the address or a position finer than the city).

use serde::Serialize;

// The fields hold no control characters: numbers, ISO country codes, place names from the
// location database, our own words.
use super::packed::{FIELD, ROW};
use super::{Backend, Db, DbError, DbResult, Scope};
use crate::domain::time::to_rfc3339;

/// One scan on the live feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveScan {
    /// The scan's id: the feed's order, and what `Last-Event-ID` names.
    pub id: i64,
    /// When it was made, RFC 3339 in UTC.
    pub at: String,
    pub campaign_id: i64,
    pub channel_id: i64,
    pub batch_id: i64,
    // Left out when not known: at thousands of scans a second, every byte goes to every
    // listener.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// `mobile`, `tablet`, `desktop`, `other` or `bot`.
    pub device: String,
    /// Where the scan was sent: `destination`, `landing` (the campaign's page),
    /// `fallback` (the campaign is not running, or the code is disabled) or `notice` (a
    /// recall notice covers the code).
    pub outcome: String,
}

impl LiveScan {
    /// A scan from its packed fields: id, time, campaign, channel, batch, store, country,
    /// region, city, device, outcome (an absent one empty).
    fn unpack(row: &str) -> Option<Self> {
        let mut fields = row.split(FIELD);
        let mut next = || fields.next();
        let number = |field: Option<&str>| field?.parse::<i64>().ok();
        let text = |field: Option<&str>| field.filter(|f| !f.is_empty()).map(str::to_owned);
        let id = number(next())?;
        let at = number(next())?;
        Some(Self {
            id,
            at: to_rfc3339(at),
            campaign_id: number(next())?,
            channel_id: number(next())?,
            batch_id: number(next())?,
            store_id: number(next()),
            country: text(next()),
            region: text(next()),
            city: text(next()),
            device: next()?.to_owned(),
            outcome: next()?.to_owned(),
        })
    }
}

impl Db {
    /// Up to `limit` scans with ids after `after` (and at most `until`), in id order,
    /// of the stores `scope` reaches.
    ///
    /// The rows come packed into one text: this runs several times a second at thousands
    /// of scans a second, and a row at a time would cost a hand-over between the database
    /// thread and the reader per row.
    pub async fn live_scans(
        &self,
        after: i64,
        until: i64,
        scope: &Scope,
        limit: i64,
    ) -> DbResult<Vec<LiveScan>> {
        let (cast, sep, aggregate) = match self.backend() {
            Backend::Sqlite => ("", "char(31)", "group_concat(line, char(30) ORDER BY id)"),
            Backend::Postgres => ("::text", "chr(31)", "string_agg(line, chr(30) ORDER BY id)"),
        };
        let packed: (Option<String>,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {aggregate} FROM (SELECT id, id{cast} || {sep} || scanned_at{cast} || {sep} \
             || campaign_id{cast} || {sep} || channel_id{cast} || {sep} || batch_id{cast} \
             || {sep} || COALESCE(store_id{cast}, '') || {sep} || COALESCE(country, '') \
             || {sep} || COALESCE(region, '') || {sep} || COALESCE(city, '') || {sep} \
             || device || {sep} || outcome AS line \
             FROM scans WHERE id > $1 AND id <= $2 AND {} ORDER BY id LIMIT $3) page",
            scope.sql("store_id")
        )))
        .bind(after)
        .bind(until)
        .bind(limit)
        .fetch_one(self.pool())
        .await?;
        let Some(packed) = packed.0 else {
            return Ok(Vec::new());
        };
        packed
            .split(ROW)
            .map(|row| {
                LiveScan::unpack(row).ok_or_else(|| {
                    let message = format!("a scan the live feed cannot read: {row:?}");
                    DbError::Db(sqlx::Error::Decode(message.into()))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_row_reads_back_with_absent_fields_absent() {
        let row = [
            "7",
            "1764547200000",
            "1",
            "2",
            "3",
            "",
            "CN",
            "",
            "Suzhou",
            "mobile",
            "landing",
        ]
        .join("\u{1f}");
        let scan = LiveScan::unpack(&row).unwrap();
        assert_eq!((scan.id, scan.campaign_id, scan.batch_id), (7, 1, 3));
        assert_eq!(scan.at, "2025-12-01T00:00:00.000Z");
        assert_eq!(scan.store_id, None);
        assert_eq!(scan.country.as_deref(), Some("CN"));
        assert_eq!(scan.region, None);
        assert_eq!(
            (scan.device.as_str(), scan.outcome.as_str()),
            ("mobile", "landing")
        );
        assert!(LiveScan::unpack("7\u{1f}x").is_none());
    }
}
