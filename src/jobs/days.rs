//! Folds each UTC day into the day tier (`db::days`) and the credit tier (`db::credits`)
//! once it is over, and folds stale days of the credit tier again: at start (catching up on
//! every day not folded yet, a transaction a day or campaign-day) and then every minute.

use std::time::Duration;

use crate::db::{CreditStep, DayStep, Db, now_ms};

/// Stale days (a late conversion, a refund) are read from the touch paths until then.
const EVERY: Duration = Duration::from_secs(60);

/// Runs until the process ends.
pub async fn run(db: Db) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        catch_up(&db).await;
    }
}

/// Folds every day that is ready into both tiers; answers how many steps were folded.
pub async fn catch_up(db: &Db) -> usize {
    let mut folded = 0;
    loop {
        match db.fold_day(now_ms()).await {
            Ok(DayStep::Folded(_)) => {
                folded += 1;
                tokio::task::yield_now().await;
            }
            Ok(DayStep::Waiting) => break,
            Err(err) => {
                tracing::warn!(%err, "folding a day into the day tier failed");
                break;
            }
        }
    }
    loop {
        match db.fold_credits(now_ms()).await {
            Ok(CreditStep::Folded) => {
                folded += 1;
                tokio::task::yield_now().await;
            }
            Ok(CreditStep::Waiting) => return folded,
            Err(err) => {
                tracing::warn!(%err, "folding conversions into the credit tier failed");
                return folded;
            }
        }
    }
}
