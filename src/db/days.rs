//! The day tier: once a UTC day is over, its hourly rollups are folded into one table per
//! family a report reads (per batch, device class and place, the campaign's hours, and
//! visitor sketches per channel, device class, place and batch), so a long range reads a
//! row per day instead of every hour's cross product. Reports read the folded days from
//! here and the hours around them from the hourly rollups (`edges::Span`); the hourly
//! rollups stay, for hourly series and ranges in other time zones.
//!
//! A day is folded once it ended [`GRACE_MS`] ago (scans and events are stamped when they
//! arrive and written within moments) and the touches fold, which keeps the place counts,
//! has passed it. `days_folded_to` is the first day not folded; `rollups rebuild` lowers it
//! so the days it recounted are folded again.

use std::collections::BTreeMap;

use super::slice_sketches::fold_day_slices;
use super::{Db, DbResult, watermarks, webhooks};
use crate::domain::VisitorSketch;
use crate::domain::time::to_rfc3339;
use crate::domain::webhook_event::WebhookEvent;

pub const DAY_MS: i64 = 86_400_000;
/// How long after a day's end its hours may still be written to.
pub const GRACE_MS: i64 = 15 * 60 * 1000;
const JOB: &str = "days";
const ADVISORY_LOCK: i64 = 0x5c4e_1003;
/// Days that ended longer ago than this are folded without a `scans.daily` webhook: a
/// first fold over months of history, or a rebuild, must not flood the brand's endpoint.
const DAILY_EVENT_WITHIN_MS: i64 = 2 * DAY_MS;
/// The tables of the day tier, emptied from a day on when it is to be folded again.
const DAY_TABLES: [&str; 5] = [
    "day_batches",
    "day_devices",
    "day_places",
    "day_sketches",
    "day_slice_sketches",
];

/// What one step of the fold did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayStep {
    /// The day starting here was folded.
    Folded(i64),
    /// No day is ready yet (or another instance is folding one).
    Waiting,
}

/// Floor to the UTC day.
pub fn day_of(t: i64) -> i64 {
    t - t.rem_euclid(DAY_MS)
}

impl Db {
    /// The first UTC day (epoch ms) not folded into the day tier: reports read days before
    /// it from the tier. 0 before the first fold.
    pub async fn days_folded_to(&self) -> DbResult<i64> {
        watermarks::read(self.pool(), JOB).await
    }

    /// Folds the next day if it is ready at `now`.
    pub async fn fold_day(&self, now: i64) -> DbResult<DayStep> {
        let day = match self.days_folded_to().await? {
            0 => match self.first_rolled_up_day().await? {
                Some(day) => day,
                None => return Ok(DayStep::Waiting),
            },
            day => day,
        };
        let end = day + DAY_MS;
        if end + GRACE_MS > now || !self.touches_passed(end).await? {
            return Ok(DayStep::Waiting);
        }
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        if !watermarks::lock(self.backend(), &mut tx, ADVISORY_LOCK).await? {
            return Ok(DayStep::Waiting);
        }
        let stored = watermarks::read(&mut *tx, JOB).await?;
        if stored != 0 && stored != day {
            // Another instance folded it meanwhile.
            return Ok(DayStep::Waiting);
        }
        for sql in fold_day_sql() {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(day)
                .bind(end)
                .execute(&mut *tx)
                .await?;
        }
        fold_sketches(&mut tx, day).await?;
        fold_day_slices(&mut tx, self.backend(), day, end).await?;
        let daily = WebhookEvent::ScansDaily.as_str();
        if end + DAILY_EVENT_WITHIN_MS > now && webhooks::wanted(&mut tx, daily).await? {
            let payload = daily_summary(&mut tx, day).await?;
            webhooks::enqueue(&mut tx, daily, &payload).await?;
        }
        watermarks::write(&mut tx, JOB, end).await?;
        tx.commit().await?;
        Ok(DayStep::Folded(day))
    }

    /// Makes every day from the one holding `from` on be folded again (after its hourly
    /// rollups were rebuilt): reports read those days from the hourly rollups until then.
    pub async fn unfold_days_from(&self, from: i64) -> DbResult<()> {
        let day = day_of(from);
        let _turn = self.write_turn().await;
        // The fold's lock, so a fold in flight on another instance cannot raise the
        // watermark back over the days lowered here: wait for it (folds are short).
        let mut tx = loop {
            let mut tx = self.begin_write().await?;
            if watermarks::lock(self.backend(), &mut tx, ADVISORY_LOCK).await? {
                break tx;
            }
            drop(tx);
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        let folded_to = watermarks::read(&mut *tx, JOB).await?;
        if folded_to <= day {
            return Ok(());
        }
        watermarks::write(&mut tx, JOB, day).await?;
        for table in DAY_TABLES {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE day >= $1"
            )))
            .bind(day)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM hour_totals WHERE hour >= $1")
            .bind(day)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The day of the oldest hourly rollup, where a first fold starts.
    async fn first_rolled_up_day(&self) -> DbResult<Option<i64>> {
        let (scans, events): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT MIN(hour) FROM scan_rollups), (SELECT MIN(hour) FROM event_rollups)",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(scans.into_iter().chain(events).min().map(day_of))
    }

    /// Whether the touches fold (which keeps the place counts) has passed every scan made
    /// before `t`: the first scan it has not folded is from `t` on, or there is none.
    async fn touches_passed(&self, t: i64) -> DbResult<bool> {
        let next: Option<(i64,)> =
            sqlx::query_as("SELECT scanned_at FROM scans WHERE id > $1 ORDER BY id LIMIT 1")
                .bind(self.touches_watermark().await?)
                .fetch_optional(self.pool())
                .await?;
        Ok(next.is_none_or(|(at,)| at >= t))
    }
}

/// An `event_rollups` row's people's events as the tier's three columns.
pub(super) const EVENT_COLUMNS: &str = "CASE WHEN kind = 'view' THEN events ELSE 0 END AS views, \
     CASE WHEN kind = 'click' THEN events ELSE 0 END AS clicks, \
     CASE WHEN kind = 'photo' THEN events ELSE 0 END AS photos";

/// The day's families from its hours `[$1, $2)` of every campaign.
fn fold_day_sql() -> [String; 4] {
    let hours = "hour >= $1 AND hour < $2";
    // Place rollups are keyed by campaign first: read per campaign of the day's scans.
    let places = "campaign_id IN (SELECT DISTINCT campaign_id FROM scan_rollups \
                  WHERE hour >= $1 AND hour < $2) AND hour >= $1 AND hour < $2";
    let events = EVENT_COLUMNS;
    [
        format!(
            "INSERT INTO day_batches (campaign_id, day, batch_id, channel_id, store_id, scans, \
             bot_scans, new_visitors, views, clicks, photos) \
             SELECT campaign_id, $1, batch_id, MAX(channel_id), MAX(store_id), SUM(scans), \
             SUM(bot_scans), SUM(new_visitors), SUM(views), SUM(clicks), SUM(photos) FROM ( \
                 SELECT campaign_id, batch_id, channel_id, store_id, scans, bot_scans, \
                 new_visitors, 0 AS views, 0 AS clicks, 0 AS photos FROM scan_rollups \
                 WHERE {hours} \
                 UNION ALL SELECT campaign_id, batch_id, channel_id, store_id, 0, 0, 0, {events} \
                 FROM event_rollups WHERE {hours}) AS d \
             GROUP BY campaign_id, batch_id"
        ),
        format!(
            "INSERT INTO day_devices (campaign_id, day, device, scans, bot_scans, views, clicks, \
             photos) \
             SELECT campaign_id, $1, device, SUM(scans), SUM(bot_scans), SUM(views), \
             SUM(clicks), SUM(photos) FROM ( \
                 SELECT campaign_id, device, scans, bot_scans, 0 AS views, 0 AS clicks, \
                 0 AS photos FROM scan_rollups WHERE {hours} \
                 UNION ALL SELECT campaign_id, device, 0, 0, {events} \
                 FROM event_rollups WHERE {hours}) AS d \
             GROUP BY campaign_id, device"
        ),
        format!(
            "INSERT INTO day_places (campaign_id, day, country, region, city, scans, bot_scans, \
             views, clicks, photos) \
             SELECT campaign_id, $1, country, region, city, SUM(scans), SUM(bot_scans), \
             SUM(views), SUM(clicks), SUM(photos) FROM ( \
                 SELECT campaign_id, country, region, city, scans, bot_scans, 0 AS views, \
                 0 AS clicks, 0 AS photos FROM place_rollups WHERE {places} \
                 UNION ALL SELECT campaign_id, country, '', '', 0, 0, {events} \
                 FROM event_rollups WHERE {hours}) AS d \
             GROUP BY campaign_id, country, region, city"
        ),
        format!(
            "INSERT INTO hour_totals (campaign_id, hour, scans, bot_scans, new_visitors, views, \
             clicks, photos) \
             SELECT campaign_id, hour, SUM(scans), SUM(bot_scans), SUM(new_visitors), \
             SUM(views), SUM(clicks), SUM(photos) FROM ( \
                 SELECT campaign_id, hour, scans, bot_scans, new_visitors, 0 AS views, \
                 0 AS clicks, 0 AS photos FROM scan_rollups WHERE {hours} \
                 UNION ALL SELECT campaign_id, hour, 0, 0, 0, {events} \
                 FROM event_rollups WHERE {hours}) AS d \
             GROUP BY campaign_id, hour"
        ),
    ]
}

/// What `scans.daily` says of the folded `day`: per campaign, its scans, bot scans, new
/// visitors, landing views and clicks (from the day just folded) and the purchases whose
/// paths cross it (gross of refunds, which may come later).
async fn daily_summary(tx: &mut sqlx::Transaction<'_, sqlx::Any>, day: i64) -> DbResult<String> {
    #[derive(Default, serde::Serialize)]
    struct Campaign {
        campaign_id: i64,
        name: String,
        scans: i64,
        bot_scans: i64,
        new_visitors: i64,
        landing_views: i64,
        cta_clicks: i64,
        conversions: i64,
        revenue_cents: i64,
    }
    let mut campaigns: BTreeMap<i64, Campaign> = BTreeMap::new();
    let rows: Vec<(i64, String, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT d.campaign_id, k.name, CAST(SUM(d.scans) AS BIGINT),          CAST(SUM(d.bot_scans) AS BIGINT), CAST(SUM(d.new_visitors) AS BIGINT),          CAST(SUM(d.views) AS BIGINT), CAST(SUM(d.clicks) AS BIGINT)          FROM day_batches d JOIN campaigns k ON k.id = d.campaign_id WHERE d.day = $1          GROUP BY d.campaign_id, k.name",
    )
    .bind(day)
    .fetch_all(&mut **tx)
    .await?;
    for (id, name, scans, bot_scans, new_visitors, views, clicks) in rows {
        campaigns.insert(
            id,
            Campaign {
                campaign_id: id,
                name,
                scans,
                bot_scans,
                new_visitors,
                landing_views: views,
                cta_clicks: clicks,
                ..Campaign::default()
            },
        );
    }
    let bought: Vec<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT t.campaign_id, k.name, COUNT(*), CAST(SUM(t.amount_cents) AS BIGINT)          FROM (SELECT DISTINCT campaign_id, conversion_id, amount_cents FROM conversion_touches                WHERE converted_at >= $1 AND converted_at < $2) t          JOIN campaigns k ON k.id = t.campaign_id GROUP BY t.campaign_id, k.name",
    )
    .bind(day)
    .bind(day + DAY_MS)
    .fetch_all(&mut **tx)
    .await?;
    for (id, name, conversions, revenue) in bought {
        let c = campaigns.entry(id).or_insert_with(|| Campaign {
            campaign_id: id,
            name,
            ..Campaign::default()
        });
        c.conversions = conversions;
        c.revenue_cents = revenue;
    }
    let campaigns: Vec<Campaign> = campaigns.into_values().collect();
    Ok(serde_json::json!({
        "event": WebhookEvent::ScansDaily.as_str(),
        "day": to_rfc3339(day)[..10],
        "from": to_rfc3339(day),
        "to": to_rfc3339(day + DAY_MS),
        "campaigns": campaigns,
    })
    .to_string())
}

/// Each channel's visitors of the day: its hourly sketches merged. Read per campaign and
/// channel (the sketches' key order), found from the day's hourly rollups.
async fn fold_sketches(tx: &mut sqlx::Transaction<'_, sqlx::Any>, day: i64) -> DbResult<()> {
    let channels: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT DISTINCT campaign_id, channel_id FROM scan_rollups \
         WHERE hour >= $1 AND hour < $2 AND scans > 0",
    )
    .bind(day)
    .bind(day + DAY_MS)
    .fetch_all(&mut **tx)
    .await?;
    for (campaign_id, channel_id) in channels {
        let hours: Vec<(Vec<u8>,)> = sqlx::query_as(
            "SELECT sketch FROM visitor_sketches \
             WHERE campaign_id = $1 AND channel_id = $2 AND hour >= $3 AND hour < $4",
        )
        .bind(campaign_id)
        .bind(channel_id)
        .bind(day)
        .bind(day + DAY_MS)
        .fetch_all(&mut **tx)
        .await?;
        let mut merged = VisitorSketch::default();
        for (bytes,) in hours {
            match VisitorSketch::from_bytes(&bytes) {
                Ok(sketch) => merged.merge(&sketch),
                Err(err) => tracing::error!(%err, channel_id, "skipping a damaged visitor sketch"),
            }
        }
        if merged == VisitorSketch::default() {
            continue;
        }
        sqlx::query(
            "INSERT INTO day_sketches (campaign_id, day, channel_id, sketch) VALUES ($1, $2, $3, $4)",
        )
        .bind(campaign_id)
        .bind(day)
        .bind(channel_id)
        .bind(merged.to_bytes())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
