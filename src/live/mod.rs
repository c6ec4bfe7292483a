//! The live scan feed. One job per instance reads the scans committed since its last read
//! (every instance's: they share the table), a quarter-second at a time, and hands each
//! read to every listener at once as one batch; a listener sends its caller the scans it
//! may see. Reading the table instead of listening to this instance's writer is what
//! makes the feed whole across several instances, and keeps the redirect's path untouched.
//!
//! No gaps and no duplicates: the job moves past a gap in scan ids only once it fills (or
//! goes stale, as the history fold does, `GapWatch`), a listener sends only ids after the
//! last it sent, and a listener that reconnects with `Last-Event-ID` reads what it missed
//! from the table, up to [`MAX_CATCH_UP`] scans of the last [`MAX_CATCH_UP_IDS`]; past that
//! it is told what it skipped.
//! Memory is bounded: batches wait in one shared ring of [`BACKLOG`], and a slow client's
//! connection holds at most [`PER_CLIENT`] events; a client too slow for the ring is told
//! what it skipped (it may reconnect from its last event to read it from the table).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{broadcast, mpsc, watch};

use crate::db::{Db, DbResult, LiveScan, Scope};
use crate::jobs::code_history::GapWatch;

pub mod wire;
use wire::Frame;

/// How often the job reads new scans while someone listens.
const EVERY: Duration = Duration::from_millis(250);
/// Scans per read of the table.
const READ: i64 = 1_000;
/// Batches kept for listeners; one that falls further behind reads from the table.
const BACKLOG: usize = 256;
/// Events waiting to be sent on one connection.
const PER_CLIENT: usize = 8;
/// The most scans a listener reads back from the table after a reconnect.
pub const MAX_CATCH_UP: i64 = 5_000;
/// How far back (in scan ids) a reconnect reads the table at most.
const MAX_CATCH_UP_IDS: i64 = 50_000;

/// One read of the table: the scans after `from` up to `last_id`, in id order, and their
/// event for listeners who may see them all (written once, not once per listener).
pub struct LiveBatch {
    pub from: i64,
    pub last_id: i64,
    pub scans: Vec<LiveScan>,
    whole: Arc<Frame>,
}

/// The feed: the batches read so far, and the last scan id they cover.
pub struct LiveFeed {
    batches: broadcast::Sender<Arc<LiveBatch>>,
    read_to: AtomicI64,
    /// Set when the server shuts down: listeners end, so their connections can close.
    closing: watch::Sender<bool>,
}

impl Default for LiveFeed {
    fn default() -> Self {
        Self {
            batches: broadcast::channel(BACKLOG).0,
            read_to: AtomicI64::new(0),
            closing: watch::channel(false).0,
        }
    }
}

/// What a listener is told besides scans: that it skipped some.
#[derive(Serialize)]
struct Skipped {
    /// The scans after this id up to `to` were not sent.
    after: i64,
    to: i64,
}

impl LiveFeed {
    /// Ends every listener's stream (the server is shutting down).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    fn read_to(&self) -> i64 {
        self.read_to.load(Ordering::Acquire)
    }

    /// Reads new scans while anyone listens, and keeps up with the table cheaply while
    /// no one does, so a new listener starts at now.
    pub async fn run(self: Arc<Self>, db: Db) {
        // From the scans committed by now: a listener asks for older ones itself.
        loop {
            match db.last_scan_id().await {
                Ok(last) => {
                    self.read_to.fetch_max(last, Ordering::AcqRel);
                    break;
                }
                Err(err) => tracing::warn!(%err, "the live feed could not start; trying again"),
            }
            tokio::time::sleep(EVERY).await;
        }
        let mut gaps = GapWatch::default();
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(err) = self.step(&db, &mut gaps).await {
                tracing::warn!(%err, "the live feed could not read scans; trying again");
            }
        }
    }

    async fn step(&self, db: &Db, gaps: &mut GapWatch) -> DbResult<()> {
        if self.batches.receiver_count() == 0 {
            let last = db.last_scan_id().await?;
            self.read_to.fetch_max(last, Ordering::AcqRel);
            return Ok(());
        }
        loop {
            let from = self.read_to();
            let scans = db.live_scans(from, i64::MAX, &Scope::All, READ).await?;
            let ids: Vec<i64> = scans.iter().map(|s| s.id).collect();
            let ready = gaps.foldable(from, &ids, Instant::now());
            let Some(last_id) = ids[..ready].last().copied() else {
                return Ok(());
            };
            let mut scans = scans;
            scans.truncate(ready);
            let whole = event("scans", last_id, &scans);
            self.read_to.store(last_id, Ordering::Release);
            let batch = LiveBatch {
                from,
                last_id,
                scans,
                whole,
            };
            // No one listening any more is no failure.
            let _ = self.batches.send(Arc::new(batch));
            if (ready as i64) < READ {
                return Ok(());
            }
        }
    }

    /// The scans `scope` may see as server-sent events, from after `after` (a
    /// `Last-Event-ID`) or from now: each event a batch (`event: scans`, its `id` the last
    /// scan id, `data` a JSON array), or `event: skipped` with the ids not sent. The
    /// channel closes when the listener ends (its client left, or the server is closing).
    pub async fn listen(
        self: &Arc<Self>,
        db: Db,
        scope: Scope,
        after: Option<i64>,
    ) -> DbResult<mpsc::Receiver<Arc<Frame>>> {
        // Subscribed first: every batch read from here on reaches the listener.
        let mut batches = self.batches.subscribe();
        let mut closing = self.closing.subscribe();
        // From now: the scans committed before the answer are passed over, though the job
        // may not have read them yet.
        let sent = match after {
            Some(after) => after,
            None => db.last_scan_id().await?,
        };
        let (events, frames) = mpsc::channel(PER_CLIENT);
        let feed = self.clone();
        tokio::spawn(async move {
            let mut listener = Listener {
                db,
                scope,
                events,
                sent,
                lagged: false,
            };
            // Only gone clients and a failing database end a listener.
            let ended: Result<(), ListenerGone> = async {
                listener.catch_up(feed.read_to()).await?;
                loop {
                    let received = tokio::select! {
                        received = batches.recv() => received,
                        () = listener.events.closed() => return Err(ListenerGone::Client),
                        _ = closing.wait_for(|closing| *closing) => return Ok(()),
                    };
                    match received {
                        Ok(batch) => listener.send_batch(&batch).await?,
                        // Too slow for the ring: what it missed is skipped, not read
                        // again, so a slow client costs no more than a fast one.
                        Err(broadcast::error::RecvError::Lagged(_)) => listener.lagged = true,
                        Err(broadcast::error::RecvError::Closed) => return Ok(()),
                    }
                }
            }
            .await;
            if let Err(ListenerGone::Database(err)) = ended {
                tracing::warn!(%err, "a live feed listener could not read scans");
            }
        });
        Ok(frames)
    }
}

/// Why a listener stopped.
#[derive(Debug)]
enum ListenerGone {
    Client,
    Database(crate::db::DbError),
}

impl From<crate::db::DbError> for ListenerGone {
    fn from(err: crate::db::DbError) -> Self {
        Self::Database(err)
    }
}

/// One connection's side of the feed.
struct Listener {
    db: Db,
    scope: Scope,
    events: mpsc::Sender<Arc<Frame>>,
    /// The last scan id sent (or passed over as not the caller's).
    sent: i64,
    /// Batches were lost to a full ring since the last one sent.
    lagged: bool,
}

impl Listener {
    /// Sends what the listener missed up to `to` from the table: at most [`MAX_CATCH_UP`]
    /// scans of the last [`MAX_CATCH_UP_IDS`] ids (so a feed of a few stores resumed from
    /// long ago reads a bounded stretch of the table); past that, says what it skipped.
    async fn catch_up(&mut self, to: i64) -> Result<(), ListenerGone> {
        let oldest = to - MAX_CATCH_UP_IDS;
        if self.sent < oldest {
            let skipped = Skipped {
                after: self.sent,
                to: oldest,
            };
            self.send(event("skipped", oldest, &skipped)).await?;
            self.sent = oldest;
        }
        let mut budget = MAX_CATCH_UP;
        while self.sent < to {
            if budget == 0 {
                let skipped = Skipped {
                    after: self.sent,
                    to,
                };
                self.send(event("skipped", to, &skipped)).await?;
                self.sent = to;
                break;
            }
            let read = READ.min(budget);
            let scans = self.db.live_scans(self.sent, to, &self.scope, read).await?;
            budget -= read;
            let Some(last) = scans.last().map(|s| s.id) else {
                self.sent = to;
                break;
            };
            self.send(event("scans", last, &scans)).await?;
            self.sent = last;
        }
        Ok(())
    }

    /// The batch's scans the listener has not sent and may see, after saying what it
    /// skipped if it fell behind.
    async fn send_batch(&mut self, batch: &LiveBatch) -> Result<(), ListenerGone> {
        if std::mem::take(&mut self.lagged) && batch.from > self.sent {
            let skipped = Skipped {
                after: self.sent,
                to: batch.from,
            };
            self.send(event("skipped", batch.from, &skipped)).await?;
            self.sent = batch.from;
        }
        if batch.from >= self.sent && self.scope == Scope::All {
            if !batch.scans.is_empty() {
                self.send(batch.whole.clone()).await?;
            }
        } else {
            let scans: Vec<&LiveScan> = batch
                .scans
                .iter()
                .filter(|s| s.id > self.sent && self.scope.admits(s.store_id))
                .collect();
            if !scans.is_empty() {
                self.send(event("scans", batch.last_id, &scans)).await?;
            }
        }
        self.sent = self.sent.max(batch.last_id);
        Ok(())
    }

    async fn send(&self, frame: Arc<Frame>) -> Result<(), ListenerGone> {
        self.events
            .send(frame)
            .await
            .map_err(|_| ListenerGone::Client)
    }
}

fn event(name: &str, id: i64, data: &impl Serialize) -> Arc<Frame> {
    // Scans and skip marks are plain data: serialising them does not fail.
    let json = serde_json::to_string(data).unwrap_or_else(|_| "null".into());
    Arc::new(Frame::event(name, id, &json))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(id: i64, store_id: Option<i64>) -> LiveScan {
        LiveScan {
            id,
            at: String::new(),
            campaign_id: 1,
            channel_id: 1,
            batch_id: 1,
            store_id,
            country: None,
            region: None,
            city: None,
            device: "mobile".into(),
            outcome: "landing".into(),
        }
    }

    fn batch(from: i64, scans: Vec<LiveScan>) -> LiveBatch {
        LiveBatch {
            from,
            last_id: scans.last().map_or(from, |s| s.id),
            whole: event("scans", scans.last().map_or(from, |s| s.id), &scans),
            scans,
        }
    }

    /// What a listener sent, as the text on the wire.
    async fn sent(out: &mut mpsc::Receiver<Arc<Frame>>) -> String {
        out.try_recv().expect("an event").text_of().to_owned()
    }

    #[tokio::test]
    async fn a_listener_says_what_it_skipped_and_sends_only_what_its_stores_reach() {
        let file = std::env::temp_dir().join(format!("scanloop-live-{}.db", std::process::id()));
        let db = Db::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        let (events, mut out) = mpsc::channel(PER_CLIENT);
        let mut listener = Listener {
            db,
            scope: Scope::Stores(vec![7]),
            events,
            sent: 10,
            lagged: true,
        };
        let read = batch(
            20,
            vec![scan(21, Some(7)), scan(22, Some(8)), scan(23, None)],
        );
        listener.send_batch(&read).await.unwrap();
        let skipped = sent(&mut out).await;
        assert!(skipped.contains("event: skipped"), "{skipped}");
        assert!(skipped.contains(r#"{"after":10,"to":20}"#), "{skipped}");
        let scans = sent(&mut out).await;
        assert!(
            scans.contains("id: 23") && scans.contains(r#""id":21"#),
            "{scans}"
        );
        assert!(
            !scans.contains(r#""id":22"#),
            "another store's scan: {scans}"
        );
        assert_eq!(listener.sent, 23);
        // A batch already sent (as a catch-up overlaps the ring) is not sent again, and one
        // with nothing of theirs sends nothing.
        listener.send_batch(&read).await.unwrap();
        listener
            .send_batch(&batch(23, vec![scan(24, Some(8))]))
            .await
            .unwrap();
        assert!(out.try_recv().is_err());
        assert_eq!(listener.sent, 24);
        // A listener of every store gets the batch's JSON as it was written once.
        listener.scope = Scope::All;
        let read = batch(24, vec![scan(25, None)]);
        listener.send_batch(&read).await.unwrap();
        assert!(sent(&mut out).await.contains(r#""id":25"#));
        // Resumed from long ago, it reads back a bounded stretch only.
        listener.sent = 0;
        listener.catch_up(MAX_CATCH_UP_IDS + 10).await.unwrap();
        let skipped = sent(&mut out).await;
        assert!(skipped.contains(r#"{"after":0,"to":10}"#), "{skipped}");
        assert_eq!(listener.sent, MAX_CATCH_UP_IDS + 10);
        let _ = std::fs::remove_file(file);
    }
}
