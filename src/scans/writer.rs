//! The group-commit scan writer. Handlers queue a scan and wait; one task commits whatever
//! is queued in one transaction and releases each waiter once its scan is durable. It never
//! waits on a timer: after taking what is queued it yields to the runtime so handlers that
//! are ready to run can enqueue too, and commits as soon as a yield brings nothing new.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::db::{Db, ScanRow, WriterConnection, now_ms};
use crate::group_commit::{self, Group as _, gather};
use crate::metrics::Metrics;

/// Scans per transaction; 22 parameters each stays under SQLite's 32766.
const MAX_GROUP: usize = 1000;
/// Queued scans before handlers wait for room: backpressure instead of unbounded memory.
const QUEUE_DEPTH: usize = 16_384;
const ATTEMPTS: u32 = 3;
/// A commit that has not finished after this long makes the writer unhealthy.
const STUCK_AFTER: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
#[error("the scan could not be stored")]
pub struct NotStored;

struct Pending {
    scan: ScanRow,
    stored: oneshot::Sender<bool>,
}

#[derive(Clone)]
pub struct ScanWriter {
    queue: mpsc::Sender<Pending>,
    health: Arc<Health>,
}

/// What the writer task tells `/healthz`.
#[derive(Default)]
struct Health {
    /// When the commit in progress started (epoch ms), 0 while the writer waits for scans.
    committing_since: AtomicI64,
    /// Whether the last group could not be stored.
    last_failed: AtomicBool,
}

impl ScanWriter {
    /// Starts the writer task; it ends after every `ScanWriter` clone is dropped and the
    /// queue is drained.
    pub fn start(db: Db, metrics: Arc<Metrics>) -> (Self, JoinHandle<()>) {
        let (queue, rx) = mpsc::channel(QUEUE_DEPTH);
        let health = Arc::new(Health::default());
        let task = tokio::spawn(run(db, rx, health.clone(), metrics));
        (Self { queue, health }, task)
    }

    /// Why the writer cannot store scans now, if it cannot: its task is gone, a commit has
    /// been stuck for seconds, or the last group failed after its retries.
    pub fn trouble(&self) -> Option<String> {
        if self.queue.is_closed() {
            return Some("the scan writer has stopped".into());
        }
        let since = self.health.committing_since.load(Ordering::Acquire);
        let stuck_ms = now_ms() - since;
        if since != 0 && stuck_ms >= STUCK_AFTER.as_millis() as i64 {
            return Some(format!(
                "the scan writer has not stored queued scans for {} s",
                stuck_ms / 1000
            ));
        }
        if self.health.last_failed.load(Ordering::Acquire) {
            return Some("the scan writer could not store the last group of scans".into());
        }
        None
    }

    /// Returns once the scan is committed.
    pub async fn record(&self, scan: ScanRow) -> Result<(), NotStored> {
        let (stored, done) = oneshot::channel();
        self.queue
            .send(Pending { scan, stored })
            .await
            .map_err(|_| NotStored)?;
        match done.await {
            Ok(true) => Ok(()),
            _ => Err(NotStored),
        }
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Pending>, health: Arc<Health>, metrics: Arc<Metrics>) {
    let mut group = Group::default();
    let mut conn = WriterConnection::default();
    while let Some(first) = rx.recv().await {
        group.push(first);
        gather(&mut rx, &mut group).await;
        metrics.writer_queue_depth.set(rx.len() as i64);
        health.committing_since.store(now_ms(), Ordering::Release);
        let started = Instant::now();
        let stored = commit(&db, &mut conn, &group.rows).await;
        health.committing_since.store(0, Ordering::Release);
        health.last_failed.store(!stored, Ordering::Release);
        metrics
            .writer_commit_seconds
            .observe(started.elapsed().as_secs_f64());
        metrics.writer_group_size.observe(group.rows.len() as f64);
        if !stored {
            metrics.writer_failed_groups.inc();
        }
        group.rows.clear();
        for waiter in group.waiters.drain(..) {
            let _ = waiter.send(stored);
        }
    }
}

/// The scans of one transaction and, in the same order, who waits for each.
#[derive(Default)]
struct Group {
    rows: Vec<ScanRow>,
    waiters: Vec<oneshot::Sender<bool>>,
}

impl group_commit::Group<Pending> for Group {
    fn push(&mut self, pending: Pending) {
        self.rows.push(pending.scan);
        self.waiters.push(pending.stored);
    }

    fn is_full(&self) -> bool {
        self.rows.len() >= MAX_GROUP
    }
}

async fn commit(db: &Db, conn: &mut WriterConnection, rows: &[ScanRow]) -> bool {
    for attempt in 1..=ATTEMPTS {
        match db.insert_scans(conn, rows).await {
            Ok(()) => return true,
            Err(err) => {
                tracing::error!(%err, attempt, scans = rows.len(), "storing scans failed");
                tokio::time::sleep(std::time::Duration::from_millis(50 * u64::from(attempt))).await;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(code_id: i64) -> (Pending, oneshot::Receiver<bool>) {
        let (stored, done) = oneshot::channel();
        let scan = ScanRow {
            code_id,
            ..ScanRow::default()
        };
        (Pending { scan, stored }, done)
    }

    #[tokio::test]
    async fn scans_queued_while_the_writer_yields_share_one_group() {
        let (queue, mut rx) = mpsc::channel(QUEUE_DEPTH);
        // On this single-threaded runtime the senders run only when the writer yields.
        for code_id in 0..50 {
            let queue = queue.clone();
            tokio::spawn(async move {
                let (p, _done) = pending(code_id);
                let _ = queue.send(p).await;
            });
        }
        let mut group = Group::default();
        group.push(rx.recv().await.unwrap());
        gather(&mut rx, &mut group).await;
        assert_eq!(group.rows.len(), 50);
        assert_eq!(group.waiters.len(), 50);
        let ids: Vec<i64> = group.rows.iter().map(|r| r.code_id).collect();
        assert_eq!(ids, (0..50).collect::<Vec<_>>(), "queue order is kept");
    }

    #[tokio::test]
    async fn a_group_is_capped_and_the_rest_waits_for_the_next() {
        let (queue, mut rx) = mpsc::channel(QUEUE_DEPTH);
        let mut receipts = Vec::new();
        for code_id in 0..2_500 {
            let (p, done) = pending(code_id);
            queue.try_send(p).unwrap();
            receipts.push(done);
        }
        let mut sizes = Vec::new();
        while !rx.is_empty() {
            let mut group = Group::default();
            group.push(rx.recv().await.unwrap());
            gather(&mut rx, &mut group).await;
            sizes.push(group.rows.len());
        }
        assert_eq!(sizes, [MAX_GROUP, MAX_GROUP, 500]);
    }

    #[tokio::test]
    async fn the_writer_commits_a_group_as_soon_as_nothing_new_arrives() {
        let (queue, mut rx) = mpsc::channel(QUEUE_DEPTH);
        let (p, _done) = pending(1);
        queue.try_send(p).unwrap();
        let mut group = Group::default();
        group.push(rx.recv().await.unwrap());
        // A sender that is still open but idle must not hold the group back.
        tokio::time::timeout(
            std::time::Duration::from_secs(1),
            gather(&mut rx, &mut group),
        )
        .await
        .expect("gather returns without waiting for more");
        assert_eq!(group.rows.len(), 1);
    }

    #[test]
    fn trouble_names_a_stopped_a_stuck_and_a_failing_writer() {
        let (queue, rx) = mpsc::channel(1);
        let writer = ScanWriter {
            queue,
            health: Arc::default(),
        };
        assert_eq!(writer.trouble(), None);
        writer
            .health
            .committing_since
            .store(now_ms() - 1_000, Ordering::Release);
        assert_eq!(writer.trouble(), None, "a commit of a second is not stuck");
        writer
            .health
            .committing_since
            .store(now_ms() - 7_000, Ordering::Release);
        let stuck = writer.trouble().unwrap();
        assert!(stuck.contains("for 7 s"), "{stuck}");
        writer.health.committing_since.store(0, Ordering::Release);
        writer.health.last_failed.store(true, Ordering::Release);
        assert!(writer.trouble().unwrap().contains("could not store"));
        drop(rx);
        assert!(writer.trouble().unwrap().contains("stopped"));
    }
}
