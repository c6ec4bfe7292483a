//! The event writer: a group-commit writer like the scan writer's, for what visitors do on
//! the campaign's pages. A landing view is queued and the page answered at once (no page
//! waits on a commit); a click waits for its commit, because its id is what a purchase
//! reported later is attributed by.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::db::{Db, EventRow};
use crate::group_commit::{self, gather};
use crate::metrics::{EventLabels, Metrics};

/// Events per transaction; 15 parameters each stays under SQLite's 32766.
const MAX_GROUP: usize = 1000;
/// Queued events before callers wait for room: backpressure instead of unbounded memory.
const QUEUE_DEPTH: usize = 16_384;
const ATTEMPTS: u32 = 3;

#[derive(Debug, thiserror::Error)]
#[error("the event could not be stored")]
pub struct NotStored;

struct Pending {
    event: EventRow,
    /// Told whether the event was stored, for a caller that waits.
    stored: Option<oneshot::Sender<bool>>,
}

#[derive(Clone)]
pub struct EventWriter {
    queue: mpsc::Sender<Pending>,
}

impl EventWriter {
    /// Starts the writer task; it ends after every `EventWriter` clone is dropped and the
    /// queue is drained.
    pub fn start(db: Db, metrics: Arc<Metrics>) -> (Self, JoinHandle<()>) {
        let (queue, rx) = mpsc::channel(QUEUE_DEPTH);
        (Self { queue }, tokio::spawn(run(db, rx, metrics)))
    }

    /// Queues an event without waiting for its commit (only for room in the queue).
    pub async fn record_soon(&self, event: EventRow) {
        let pending = Pending {
            event,
            stored: None,
        };
        if self.queue.send(pending).await.is_err() {
            tracing::error!("the event writer has stopped; an event was not stored");
        }
    }

    /// Returns once the event is committed.
    pub async fn record(&self, event: EventRow) -> Result<(), NotStored> {
        let (stored, done) = oneshot::channel();
        let pending = Pending {
            event,
            stored: Some(stored),
        };
        self.queue.send(pending).await.map_err(|_| NotStored)?;
        match done.await {
            Ok(true) => Ok(()),
            _ => Err(NotStored),
        }
    }
}

#[derive(Default)]
struct Group {
    rows: Vec<EventRow>,
    waiters: Vec<oneshot::Sender<bool>>,
}

impl group_commit::Group<Pending> for Group {
    fn push(&mut self, pending: Pending) {
        self.rows.push(pending.event);
        self.waiters.extend(pending.stored);
    }

    fn is_full(&self) -> bool {
        self.rows.len() >= MAX_GROUP
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Pending>, metrics: Arc<Metrics>) {
    let mut group = Group::default();
    while let Some(first) = rx.recv().await {
        group_commit::Group::push(&mut group, first);
        gather(&mut rx, &mut group).await;
        let stored = commit(&db, &group.rows).await;
        if stored {
            for event in &group.rows {
                let labels = EventLabels {
                    kind: event.kind,
                    action: event.action.unwrap_or(""),
                };
                metrics.events.get_or_create(&labels).inc();
            }
        } else {
            metrics.event_writer_failed_groups.inc();
        }
        group.rows.clear();
        for waiter in group.waiters.drain(..) {
            let _ = waiter.send(stored);
        }
    }
}

async fn commit(db: &Db, rows: &[EventRow]) -> bool {
    for attempt in 1..=ATTEMPTS {
        match db.insert_events(rows).await {
            Ok(()) => return true,
            Err(err) => {
                tracing::error!(%err, attempt, events = rows.len(), "storing events failed");
                tokio::time::sleep(std::time::Duration::from_millis(50 * u64::from(attempt))).await;
            }
        }
    }
    false
}
