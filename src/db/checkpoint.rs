//! SQLite WAL checkpoints, moved off the scan writer's path. With automatic checkpoints the
//! connection that commits past the threshold copies the log into the database file while
//! every waiting scan waits with it; that showed up as the redirect's tail latency. So the
//! connections never checkpoint on their own (`wal_autocheckpoint = 0`) and one task does
//! it in the background.

use std::time::Duration;

use super::{Db, DbResult};

const EVERY: Duration = Duration::from_secs(1);
/// A log this long (about 16 MB of 4 KiB pages) is restarted from its beginning. A passive
/// checkpoint copies pages without waiting for the writer, but under steady writes the log
/// never ends up fully copied, so it would only grow, and every page lookup searches it.
/// The restart briefly holds the writer; 64 MB made those pauses long enough to show in
/// the p99, and 256 MB stalled scans for 0.7 s.
const RESTART_AT_FRAMES: i64 = 4_096;

impl Db {
    /// Copies committed pages from the log into the database file; returns the log's
    /// length in frames. `restart` waits for the writer and lets the next one start the
    /// log over.
    pub async fn checkpoint(&self, restart: bool) -> DbResult<i64> {
        let sql = if restart {
            "PRAGMA wal_checkpoint(RESTART)"
        } else {
            "PRAGMA wal_checkpoint(PASSIVE)"
        };
        let (_busy, log, _copied): (i64, i64, i64) =
            sqlx::query_as(sql).fetch_one(self.pool()).await?;
        Ok(log)
    }

    /// Runs until the process ends; started on SQLite only.
    pub async fn keep_checkpointing(self) {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match self.checkpoint(false).await {
                Ok(log) if log >= RESTART_AT_FRAMES => {
                    if let Err(err) = self.checkpoint(true).await {
                        tracing::warn!(%err, "restarting the write-ahead log failed");
                    }
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(%err, "checkpoint failed"),
            }
        }
    }
}
