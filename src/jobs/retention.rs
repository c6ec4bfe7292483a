//! Retention: once a day (and at start), raw scans, landing events and touches older than
//! `SCANLOOP_RETENTION_DAYS`, and visitors not seen in that time, are deleted in small
//! chunks with a pause between them, so scans keep getting their turn. Rollups, visitor sketches and per-code history stay (see
//! `db::retention`).

use std::time::Duration;

use crate::db::{Db, DbResult, now_ms};

const EVERY: Duration = Duration::from_secs(24 * 60 * 60);
const CHUNK: i64 = 1_000;
const PAUSE: Duration = Duration::from_millis(20);
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Runs until the process ends.
pub async fn run(db: Db, days: u32) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match sweep(&db, days, now_ms()).await {
            Ok(Swept {
                scans: 0,
                events: 0,
                touches: 0,
                visitors: 0,
            }) => {}
            Ok(Swept {
                scans,
                events,
                touches,
                visitors,
            }) => {
                tracing::info!(
                    scans,
                    events,
                    touches,
                    visitors,
                    days,
                    "deleted raw rows past retention"
                );
            }
            Err(err) => tracing::warn!(%err, "deleting old rows failed; trying again tomorrow"),
        }
    }
}

/// What one sweep deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub scans: u64,
    pub events: u64,
    /// Folded scans as conversions find them (kept 90 days at most in any case).
    pub touches: u64,
    /// Visitors (as a campaign knows them) not seen since the cutoff.
    pub visitors: u64,
}

/// Deletes every folded scan, and every event and touch, made more than `days` days before `now`.
pub async fn sweep(db: &Db, days: u32, now: i64) -> DbResult<Swept> {
    let cutoff = now - i64::from(days) * DAY_MS;
    Ok(Swept {
        scans: in_chunks(|| db.delete_old_scans(cutoff, CHUNK)).await?,
        events: in_chunks(|| db.delete_old_events(cutoff, CHUNK)).await?,
        touches: in_chunks(|| db.delete_old_touches(cutoff, CHUNK)).await?,
        visitors: in_chunks(|| db.delete_old_visitors(cutoff, CHUNK)).await?,
    })
}

/// Runs `chunk` until it deletes fewer than a chunk; returns how many went in all.
async fn in_chunks<F: Future<Output = DbResult<u64>>>(chunk: impl Fn() -> F) -> DbResult<u64> {
    let mut total = 0;
    loop {
        let deleted = chunk().await?;
        total += deleted;
        if deleted < CHUNK as u64 {
            return Ok(total);
        }
        tokio::time::sleep(PAUSE).await;
    }
}
