//! The per-code history fold: every second, folds the scans committed since the last step
//! into `code_stats` (see `db::code_history`), in bounded steps, until it has caught up.
//! Scans of one code within a step become one write. Then it folds them into the touches
//! conversions read (`db::touches`), and into the visitors (`db::visitors`), each on a
//! budget.
//!
//! Scan ids come from one sequence, but on PostgreSQL two instances commit in any order: a
//! scan with a lower id may become visible after one with a higher id. Moving the
//! watermark past such a gap would skip the late scan for good, so a step stops at a gap
//! and waits for it to fill. A gap that stays open longer than any scan transaction lasts
//! was left by a rolled-back group and is stepped over.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};

use crate::db::{Db, DbResult, FoldStep};

const EVERY: Duration = Duration::from_secs(1);
/// Scans per step. A step holds the write turn while it folds, so scans wait for it. Under
/// full load (scanloop on one core) a step of 1,000 scans held it 4-7 ms and the redirect's
/// p99 was 10-13 ms; steps of 4,000, 16-20 ms. Steps of 500 keep the p99 near 6-8 ms at
/// the same throughput.
const STEP: i64 = 500;
/// Scans per touches step, and how much of the time the touches fold may hold the write
/// turn. Each touch costs random index writes (about 40 us a scan on SQLite here): folding
/// touches in step with the history cut the redirect from 40,000 to 16,000 scans/s. At a
/// tenth of the time they keep up with about 2,500 scans/s, fall behind under a flood
/// (and catch up after it), and short steps keep the scans' wait for the turn short.
const TOUCHES_STEP: i64 = 100;
const TOUCHES_SHARE: f64 = 0.1;
/// Scans the touches may be behind for a conversion to wait for them: about a second of
/// the touches fold at its share of the turn.
const WAIT_FOR_AT_MOST: i64 = 2_000;
/// Scans per visitors step, and its share of the write turn: like the touches, a random
/// index write per person.
const VISITORS_STEP: i64 = 100;
const VISITORS_SHARE: f64 = 0.1;
/// Scans looked at per step of the suspicious-codes watch.
const ALERT_STEP: i64 = 2_000;
/// The longest a round of touches (or visitors) runs before the history fold gets its
/// turn again.
const ROUND: Duration = Duration::from_secs(1);
/// The shortest pause between folds that conversions wake.
const WOKEN_AT_MOST_EVERY: Duration = Duration::from_millis(20);
/// A gap in scan ids older than this is taken as never to be filled.
const GAP_GRACE: Duration = Duration::from_secs(30);

/// The gap in scan ids that a step stopped at, and since when.
#[derive(Debug, Default)]
pub struct GapWatch {
    open: Option<(i64, Instant)>,
}

impl GapWatch {
    /// How many of `ids` (read in order after `watermark`) form a run without gaps that
    /// are still young at `now`.
    pub fn foldable(&mut self, watermark: i64, ids: &[i64], now: Instant) -> usize {
        let mut expected = watermark + 1;
        for (i, &id) in ids.iter().enumerate() {
            if id != expected && !self.is_stale(expected, now) {
                return i;
            }
            expected = id + 1;
        }
        ids.len()
    }

    fn is_stale(&mut self, missing: i64, now: Instant) -> bool {
        match self.open {
            Some((id, since)) if id == missing => now.duration_since(since) >= GAP_GRACE,
            _ => {
                self.open = Some((missing, now));
                false
            }
        }
    }
}

/// How far touches have been folded, shared with those who need every scan before a
/// moment in them: a conversion reads its touch path from the folded touches.
#[derive(Clone)]
pub struct FoldProgress {
    wake: Arc<Notify>,
    folded: watch::Receiver<i64>,
}

/// The job's side of [`FoldProgress`].
pub struct FoldReporter {
    wake: Arc<Notify>,
    folded: watch::Sender<i64>,
}

/// A fold handle and the job's side of it.
pub fn progress() -> (FoldProgress, FoldReporter) {
    let wake = Arc::new(Notify::new());
    let (tx, rx) = watch::channel(0);
    (
        FoldProgress {
            wake: wake.clone(),
            folded: rx,
        },
        FoldReporter { wake, folded: tx },
    )
}

impl FoldProgress {
    /// Waits until every scan committed before the call is in the touches, for at most
    /// `limit`; answers whether it was. Wakes the job instead of waiting for its tick.
    /// When touches are far behind (a flood of scans), it does not wait at all: they would
    /// not catch up within `limit`.
    pub async fn catch_up(&self, db: &Db, limit: Duration) -> DbResult<bool> {
        let target = db.last_scan_id().await?;
        let mut folded = self.folded.clone();
        if *folded.borrow() >= target {
            return Ok(true);
        }
        if target - *folded.borrow() > WAIT_FOR_AT_MOST
            && target - db.touches_watermark().await? > WAIT_FOR_AT_MOST
        {
            return Ok(false);
        }
        self.wake.notify_one();
        let caught_up = tokio::time::timeout(limit, folded.wait_for(|&w| w >= target)).await;
        Ok(matches!(caught_up, Ok(Ok(_))))
    }
}

/// Runs until the process ends.
pub async fn run(db: Db, reporter: Arc<FoldReporter>) {
    let mut gaps = GapWatch::default();
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = reporter.wake.notified() => {}
        }
        loop {
            let step = db
                .fold_code_history(STEP, |watermark, ids| {
                    gaps.foldable(watermark, ids, Instant::now())
                })
                .await;
            match step {
                Ok(FoldStep::Folded { more: true, .. }) => tokio::task::yield_now().await,
                // Caught up, or stopped at a gap: wait for the next tick.
                Ok(FoldStep::Folded { more: false, .. }) => break,
                Ok(FoldStep::Busy) => break,
                Err(err) => {
                    tracing::warn!(%err, "folding scans into code history failed");
                    break;
                }
            }
        }
        fold_touches(&db, &reporter).await;
        fold_visitors(&db).await;
        alert_suspicious_codes(&db).await;
        // Woken by many conversions at once, fold at most this often: each step commits.
        tokio::time::sleep(WOKEN_AT_MOST_EVERY).await;
    }
}

/// Folds touches up to the history's watermark for at most `ROUND`, holding the write
/// turn at most `TOUCHES_SHARE` of that time: under a flood of scans touches fall behind
/// (conversions wait for them a bounded time) instead of slowing the redirect.
async fn fold_touches(db: &Db, reporter: &FoldReporter) {
    on_budget(TOUCHES_SHARE, || async move {
        let step = db.fold_touches(TOUCHES_STEP).await;
        // Another instance may have folded (PostgreSQL): the stored watermark is the one
        // to report either way.
        match db.touches_watermark().await {
            Ok(watermark) => {
                reporter
                    .folded
                    .send_if_modified(|w| std::mem::replace(w, watermark) != watermark);
            }
            Err(err) => tracing::warn!(%err, "reading the touches' watermark failed"),
        }
        step.inspect_err(|err| tracing::warn!(%err, "folding scans into touches failed"))
    })
    .await;
}

/// Folds scans into the visitors (`db::visitors`) the same way, on a budget of its own:
/// nothing waits for them but reports of stages and audiences.
async fn fold_visitors(db: &Db) {
    on_budget(VISITORS_SHARE, || async move {
        db.fold_visitors(VISITORS_STEP)
            .await
            .inspect_err(|err| tracing::warn!(%err, "folding scans into visitors failed"))
    })
    .await;
}

/// Sends `code.suspicious` for the codes the folded scans pushed past a threshold (see
/// `db::suspicious`): a few indexed reads per code scanned, so it keeps up without a budget.
async fn alert_suspicious_codes(db: &Db) {
    loop {
        match db.alert_suspicious_codes(ALERT_STEP).await {
            Ok(FoldStep::Folded { more: true, .. }) => tokio::task::yield_now().await,
            Ok(_) => return,
            Err(err) => {
                tracing::warn!(%err, "looking for suspicious codes failed");
                return;
            }
        }
    }
}

/// Runs `step` while it says more is waiting, for at most `ROUND`, pausing after each so
/// that it holds the write turn at most `share` of the time.
async fn on_budget<F, Fut>(share: f64, mut step: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = DbResult<FoldStep>>,
{
    let round = Instant::now();
    loop {
        let started = Instant::now();
        match step().await {
            Ok(FoldStep::Folded { more: true, .. }) if round.elapsed() < ROUND => {
                let pause = started.elapsed().mul_f64((1.0 - share) / share);
                tokio::time::sleep(pause).await;
            }
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_without_gaps_is_folded_whole() {
        let mut gaps = GapWatch::default();
        let now = Instant::now();
        assert_eq!(gaps.foldable(10, &([11, 12, 13]), now), 3);
        assert_eq!(gaps.foldable(0, &[], now), 0);
    }

    #[test]
    fn a_young_gap_stops_the_step_and_a_stale_one_is_stepped_over() {
        let mut gaps = GapWatch::default();
        let start = Instant::now();
        let read = [11, 12, 15, 16];
        assert_eq!(
            gaps.foldable(10, &read, start),
            2,
            "13 and 14 may still commit"
        );
        let later = start + GAP_GRACE - Duration::from_millis(1);
        assert_eq!(gaps.foldable(12, &read[2..], later), 0);
        let stale = start + GAP_GRACE;
        assert_eq!(gaps.foldable(12, &read[2..], stale), 2);
    }

    #[test]
    fn a_gap_before_the_first_scan_counts_too() {
        let mut gaps = GapWatch::default();
        let start = Instant::now();
        assert_eq!(gaps.foldable(0, &([3, 4]), start), 0);
        assert_eq!(gaps.foldable(0, &([3, 4]), start + GAP_GRACE), 2);
    }

    #[test]
    fn a_new_gap_gets_its_own_grace() {
        let mut gaps = GapWatch::default();
        let start = Instant::now();
        assert_eq!(gaps.foldable(0, &([2]), start), 0);
        // Scan 1 arrived; now 3 is missing, seen for the first time much later.
        let later = start + GAP_GRACE * 2;
        assert_eq!(gaps.foldable(0, &([1, 2, 4]), later), 2);
    }
}
