//! Folds each UTC day into the day tier once it is over (`db::days`): at start (catching up
//! on every day not folded yet, one transaction a day) and then every few minutes.

use std::time::Duration;

use crate::db::{DayStep, Db, now_ms};

const EVERY: Duration = Duration::from_secs(5 * 60);

/// Runs until the process ends.
pub async fn run(db: Db) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        catch_up(&db).await;
    }
}

/// Folds every day that is ready; answers how many were folded.
pub async fn catch_up(db: &Db) -> usize {
    let mut folded = 0;
    loop {
        match db.fold_day(now_ms()).await {
            Ok(DayStep::Folded(_)) => {
                folded += 1;
                tokio::task::yield_now().await;
            }
            Ok(DayStep::Waiting) => return folded,
            Err(err) => {
                tracing::warn!(%err, "folding a day into the day tier failed");
                return folded;
            }
        }
    }
}
