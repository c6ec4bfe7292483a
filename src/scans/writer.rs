//! The group-commit scan writer. Handlers queue a scan and wait; one task commits whatever
//! is queued in one transaction and releases each waiter once its scan is durable. It never
//! waits on a timer: after taking what is queued it yields to the runtime so handlers that
//! are ready to run can enqueue too, and commits as soon as a yield brings nothing new.

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::db::{Db, ScanRow, WriterConnection};

/// Scans per transaction; 21 parameters each stays under SQLite's 32766.
const MAX_GROUP: usize = 1000;
/// Queued scans before handlers wait for room: backpressure instead of unbounded memory.
const QUEUE_DEPTH: usize = 16_384;
const ATTEMPTS: u32 = 3;

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
}

impl ScanWriter {
    /// Starts the writer task; it ends after every `ScanWriter` clone is dropped and the
    /// queue is drained.
    pub fn start(db: Db) -> (Self, JoinHandle<()>) {
        let (queue, rx) = mpsc::channel(QUEUE_DEPTH);
        let task = tokio::spawn(run(db, rx));
        (Self { queue }, task)
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

async fn run(db: Db, mut rx: mpsc::Receiver<Pending>) {
    let mut group = Group::default();
    let mut conn = WriterConnection::default();
    while let Some(first) = rx.recv().await {
        group.push(first);
        gather(&mut rx, &mut group).await;
        let stored = commit(&db, &mut conn, &group.rows).await;
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

impl Group {
    fn push(&mut self, pending: Pending) {
        self.rows.push(pending.scan);
        self.waiters.push(pending.stored);
    }

    fn is_full(&self) -> bool {
        self.rows.len() >= MAX_GROUP
    }
}

async fn gather(rx: &mut mpsc::Receiver<Pending>, group: &mut Group) {
    loop {
        while !group.is_full() {
            match rx.try_recv() {
                Ok(pending) => group.push(pending),
                Err(_) => break,
            }
        }
        if group.is_full() {
            return;
        }
        tokio::task::yield_now().await;
        if rx.is_empty() {
            return;
        }
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
}
