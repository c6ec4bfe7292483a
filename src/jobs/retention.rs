//! Retention: once a day (and at start), raw scans older than `SCANLOOP_RETENTION_DAYS` are
//! deleted in small chunks with a pause between them, so scans keep getting their turn.
//! Rollups, visitor sketches and per-code history stay (see `db::retention`).

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
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, days, "deleted raw scans past retention"),
            Err(err) => tracing::warn!(%err, "deleting old scans failed; trying again tomorrow"),
        }
    }
}

/// Deletes every folded scan made more than `days` days before `now`; returns how many.
pub async fn sweep(db: &Db, days: u32, now: i64) -> DbResult<u64> {
    let cutoff = now - i64::from(days) * DAY_MS;
    let mut total = 0;
    loop {
        let deleted = db.delete_old_scans(cutoff, CHUNK).await?;
        total += deleted;
        if deleted < CHUNK as u64 {
            return Ok(total);
        }
        tokio::time::sleep(PAUSE).await;
    }
}
