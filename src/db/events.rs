//! Writing events (landing views, clicks): a group per transaction, one multi-row INSERT
//! with the group's hourly rollups, like scans. Rollups are written in key order, so two
//! PostgreSQL instances cannot deadlock on them.

use std::collections::BTreeMap;

use super::visitors::{self, Sighting};
use super::{Db, DbResult, values_list};

const MS_PER_HOUR: i64 = 3_600_000;

/// One thing a visitor did on the campaign's pages, as stored. The code is the one whose
/// scan led there, when the visit came from a scan.
#[derive(Debug, Clone, Default)]
pub struct EventRow {
    pub occurred_at: i64,
    pub kind: &'static str,
    pub action: Option<&'static str>,
    pub campaign_id: i64,
    pub channel_id: Option<i64>,
    pub batch_id: Option<i64>,
    pub store_id: Option<i64>,
    pub code_id: Option<i64>,
    pub visitor_id: Option<String>,
    pub is_bot: bool,
    /// The buy-online click's id, passed to the shop as `sl_click`.
    pub click_id: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub device: &'static str,
    /// The experiment variant the visitor was shown, while the experiment runs.
    pub variant_id: Option<i64>,
}

/// Hour, campaign, batch (0: none), kind, action ('' none), country ('' unknown), device.
type RollupKey<'a> = (i64, i64, i64, &'a str, &'a str, &'a str, &'a str);

#[derive(Default)]
struct RollupCounts {
    channel_id: i64,
    store_id: Option<i64>,
    events: i64,
    bot_events: i64,
}

impl Db {
    /// Stores `events` with their rollups atomically. The caller caps the group so the
    /// parameter count stays under SQLite's limit (32766).
    pub async fn insert_events(&self, events: &[EventRow]) -> DbResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut rollups: BTreeMap<RollupKey<'_>, RollupCounts> = BTreeMap::new();
        for e in events {
            let key = (
                e.occurred_at - e.occurred_at.rem_euclid(MS_PER_HOUR),
                e.campaign_id,
                e.batch_id.unwrap_or(0),
                e.kind,
                e.action.unwrap_or(""),
                e.country.as_deref().unwrap_or(""),
                e.device,
            );
            let counts = rollups.entry(key).or_default();
            counts.channel_id = e.channel_id.unwrap_or(0);
            counts.store_id = e.store_id;
            if e.is_bot {
                counts.bot_events += 1;
            } else {
                counts.events += 1;
            }
        }
        let backend = self.backend();
        let insert = format!(
            "INSERT INTO events (occurred_at, kind, action, campaign_id, channel_id, batch_id, \
             store_id, code_id, visitor_id, is_bot, click_id, country, city, device, variant_id) VALUES {}",
            values_list(backend, events.len(), 15)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(insert));
        for e in events {
            query = query
                .bind(e.occurred_at)
                .bind(e.kind)
                .bind(e.action)
                .bind(e.campaign_id)
                .bind(e.channel_id)
                .bind(e.batch_id)
                .bind(e.store_id)
                .bind(e.code_id)
                .bind(e.visitor_id.clone())
                .bind(i64::from(e.is_bot))
                .bind(e.click_id.clone())
                .bind(e.country.clone())
                .bind(e.city.clone())
                .bind(e.device)
                .bind(e.variant_id);
        }
        let upsert = format!(
            "INSERT INTO event_rollups (hour, campaign_id, batch_id, kind, action, country, \
             device, channel_id, store_id, events, bot_events) VALUES {} \
             ON CONFLICT (hour, campaign_id, batch_id, kind, action, country, device) \
             DO UPDATE SET events = event_rollups.events + excluded.events, \
             bot_events = event_rollups.bot_events + excluded.bot_events",
            values_list(backend, rollups.len(), 11)
        );
        let mut counted = sqlx::query(sqlx::AssertSqlSafe(upsert));
        for (&(hour, campaign_id, batch_id, kind, action, country, device), c) in &rollups {
            counted = counted
                .bind(hour)
                .bind(campaign_id)
                .bind(batch_id)
                .bind(kind)
                .bind(action)
                .bind(country)
                .bind(device)
                .bind(c.channel_id)
                .bind(c.store_id)
                .bind(c.events)
                .bind(c.bot_events);
        }
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        query.execute(&mut *tx).await?;
        counted.execute(&mut *tx).await?;
        visitors::note(
            &mut tx,
            backend,
            events.iter().filter_map(sighting).collect(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// What a person's event tells of them: seeing the landing page makes them interested,
/// following a call to action or sharing a photo considering.
fn sighting(e: &EventRow) -> Option<Sighting> {
    let visitor_id = e.visitor_id.as_deref().filter(|_| !e.is_bot)?;
    let at = e.occurred_at;
    Some(Sighting {
        channel_id: e.channel_id,
        store_id: e.store_id,
        country: e.country.clone(),
        city: e.city.clone(),
        events: 1,
        interested_at: (e.kind == "view").then_some(at),
        considering_at: (e.kind == "click" || e.kind == "photo").then_some(at),
        ..Sighting::at(e.campaign_id, visitor_id, at)
    })
}
