//! Recording conversions: the one path the API, shop webhooks and till imports share. The
//! key is matched to the scans before the purchase once, when it arrives, and that touch
//! path is stored with it; reports credit it with any model and window on read.
//!
//! A writer task records them a group at a time, like the scan and event writers: it
//! waits once per group for the scans before them to be folded into touches, matches each
//! key, checks currencies, and stores the whole group with its paths in one transaction.
//! One commit (and one write turn) per group instead of per purchase is what keeps
//! thousands of purchases a second from slowing the redirect on SQLite.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::db::{ConversionKey, Db, DbError, KeyMatch, NewConversion, Recorded, Touch, TouchesOf};
use crate::domain::attribution::LONGEST_WINDOW;
use crate::group_commit::{self, gather};
use crate::jobs::code_history::FoldProgress;
use crate::scans::code_cache::CodeCache;

/// How long a group waits for the scans committed before it to be folded into the
/// touches it reads (usually milliseconds; longer when another instance folds; not at all
/// when touches are far behind).
const FOLD_WAIT: Duration = Duration::from_secs(3);
/// Conversions per transaction: 12 parameters each, and their touch rows inserted in
/// slices, stay under both engines' parameter limits.
const MAX_GROUP: usize = 500;
/// Queued conversions before callers wait for room.
const QUEUE_DEPTH: usize = 4096;
const ATTEMPTS: u32 = 3;

#[derive(Clone)]
pub struct ConversionRecorder {
    queue: mpsc::Sender<Pending>,
}

struct Pending {
    new: NewConversion,
    answer: oneshot::Sender<Result<Recorded, RecordError>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A campaign the purchase would be credited to reports in another currency.
    #[error(
        "currency: this purchase is in {given} but campaign {campaign_id} reports in {campaign}; report it in {campaign}"
    )]
    Currency {
        given: String,
        campaign_id: i64,
        campaign: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
    /// The group it was part of could not be committed (the cause is logged once).
    #[error("the conversion could not be stored: {0}")]
    NotStored(String),
}

impl ConversionRecorder {
    /// Starts the writer task; it ends after every `ConversionRecorder` clone is dropped
    /// and the queue is drained.
    pub fn start(db: Db, codes: Arc<CodeCache>, fold: FoldProgress) -> (Self, JoinHandle<()>) {
        let (queue, rx) = mpsc::channel(QUEUE_DEPTH);
        (Self { queue }, tokio::spawn(run(db, codes, fold, rx)))
    }

    /// Records the conversion with its touch path, or answers the one recorded before
    /// (the insert finds a repeated order; it is not looked up first). Conversions are
    /// recorded in the order they are queued, so of two with one order the first wins.
    pub async fn record(&self, new: NewConversion) -> Result<Recorded, RecordError> {
        self.queue(new).await?.recorded().await
    }

    /// Queues the conversion (waiting only for room) and answers at once: an import
    /// queues rows in file order and keeps many in flight.
    pub async fn queue(&self, new: NewConversion) -> Result<Queued, RecordError> {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Pending { new, answer })
            .await
            .map_err(|_| stopped())?;
        Ok(Queued(answered))
    }
}

/// A queued conversion; [`Queued::recorded`] waits for its answer.
pub struct Queued(oneshot::Receiver<Result<Recorded, RecordError>>);

impl Queued {
    pub async fn recorded(self) -> Result<Recorded, RecordError> {
        self.0.await.map_err(|_| stopped())?
    }
}

fn stopped() -> RecordError {
    RecordError::NotStored("the conversion writer has stopped".into())
}

#[derive(Default)]
struct Group(Vec<Pending>);

impl group_commit::Group<Pending> for Group {
    fn push(&mut self, pending: Pending) {
        self.0.push(pending);
    }

    fn is_full(&self) -> bool {
        self.0.len() >= MAX_GROUP
    }
}

async fn run(db: Db, codes: Arc<CodeCache>, fold: FoldProgress, mut rx: mpsc::Receiver<Pending>) {
    let mut currencies = Currencies::default();
    let mut group = Group::default();
    while let Some(first) = rx.recv().await {
        group_commit::Group::push(&mut group, first);
        gather(&mut rx, &mut group).await;
        let pending = std::mem::take(&mut group.0);
        record_group(&db, &codes, &fold, &mut currencies, pending).await;
    }
}

async fn record_group(
    db: &Db,
    codes: &CodeCache,
    fold: &FoldProgress,
    currencies: &mut Currencies,
    group: Vec<Pending>,
) {
    match fold.catch_up(db, FOLD_WAIT).await {
        Ok(true) => {}
        // Under a flood of scans touches fall behind; a log line per group would flood
        // the log too.
        Ok(false) => tracing::debug!("touches are behind the scans; paths may miss the latest"),
        Err(err) => tracing::warn!(%err, "could not tell how far touches are folded"),
    }
    let matched = match_group(db, codes, currencies, group).await;
    if matched.is_empty() {
        return;
    }
    let items: Vec<(&NewConversion, &KeyMatch)> =
        matched.iter().map(|(p, found)| (&p.new, found)).collect();
    let mut recorded = Err(String::new());
    for attempt in 1..=ATTEMPTS {
        match db.record_conversions(&items).await {
            Ok(done) => {
                recorded = Ok(done);
                break;
            }
            Err(err) => {
                tracing::error!(%err, attempt, conversions = items.len(), "storing conversions failed");
                recorded = Err(err.to_string());
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
            }
        }
    }
    match recorded {
        Ok(done) => {
            for ((pending, _), result) in matched.into_iter().zip(done) {
                let _ = pending.answer.send(result.map_err(RecordError::Db));
            }
        }
        Err(err) => {
            for (pending, _) in matched {
                let _ = pending
                    .answer
                    .send(Err(RecordError::NotStored(err.clone())));
            }
        }
    }
}

/// Matches each conversion's key to its touch path (the group's paths in one read) and
/// checks its currencies; answers those refused.
async fn match_group(
    db: &Db,
    codes: &CodeCache,
    currencies: &mut Currencies,
    group: Vec<Pending>,
) -> Vec<(Pending, KeyMatch)> {
    let mut resolved = Vec::with_capacity(group.len());
    let mut wanted = Vec::new();
    for pending in group {
        match resolve(db, codes, &pending.new.key).await {
            Ok(mut key) => {
                let at = pending.new.occurred_at;
                if let Some(of) = key.read.take() {
                    wanted.push((of, at - LONGEST_WINDOW.ms(), at));
                    key.reads = true;
                }
                resolved.push((pending, key));
            }
            Err(err) => {
                let _ = pending.answer.send(Err(err.into()));
            }
        }
    }
    let mut paths = match db.touches_of(&wanted).await {
        Ok(paths) => paths.into_iter(),
        Err(err) => {
            tracing::error!(%err, "reading touch paths failed");
            for (pending, _) in resolved {
                let _ = pending
                    .answer
                    .send(Err(RecordError::NotStored(err.to_string())));
            }
            return Vec::new();
        }
    };
    let mut matched = Vec::with_capacity(resolved.len());
    for (pending, key) in resolved {
        let touches = if key.reads {
            paths.next().unwrap_or_default()
        } else {
            Vec::new()
        };
        let found = key.finish(touches, pending.new.occurred_at);
        match check_currencies(db, currencies, &pending.new, &found).await {
            Ok(()) => matched.push((pending, found)),
            Err(err) => {
                let _ = pending.answer.send(Err(err));
            }
        }
    }
    matched
}

/// Every campaign the purchase names or touched must report in its currency.
async fn check_currencies(
    db: &Db,
    currencies: &mut Currencies,
    new: &NewConversion,
    matched: &KeyMatch,
) -> Result<(), RecordError> {
    let mut campaigns: Vec<i64> = matched.touches.iter().map(|t| t.campaign_id).collect();
    campaigns.extend(matched.campaign_id);
    campaigns.sort_unstable();
    campaigns.dedup();
    for campaign_id in campaigns {
        let currency = currencies.of(db, campaign_id).await?;
        if currency.is_some_and(|c| c != new.currency) {
            return Err(RecordError::Currency {
                given: new.currency.clone(),
                campaign_id,
                campaign: currency.unwrap_or_default().to_owned(),
            });
        }
    }
    Ok(())
}

/// What a key names, before the group's touches are read.
#[derive(Default)]
struct ResolvedKey {
    found: KeyMatch,
    /// Whose touches make the path.
    read: Option<TouchesOf>,
    /// Whether `read` was taken into the group's read.
    reads: bool,
    /// A buy click's own code: the path when the visitor's scans are unknown.
    click: Option<Touch>,
    /// A visitor key is found only if the visitor has scans.
    found_by_touches: bool,
}

impl ResolvedKey {
    /// The match, with the touches read for it (at most [`crate::db::MAX_TOUCHES`], the
    /// latest, within [`LONGEST_WINDOW`], oldest first).
    fn finish(self, touches: Vec<Touch>, occurred_at: i64) -> KeyMatch {
        let mut found = self.found;
        if self.found_by_touches {
            found.found = !touches.is_empty();
        }
        found.touches = touches;
        // Without the visitor's scans (a cookie refused), the click still names the code
        // that brought them to the page.
        if found.touches.is_empty()
            && let Some(click) = self.click
            && (occurred_at - LONGEST_WINDOW.ms()..=occurred_at).contains(&click.touched_at)
        {
            found.touches.push(click);
        }
        found
    }
}

/// What `key` names: a click (its visitor, else its code), a visitor, a code (through the
/// code cache, which knows the codes people scan: no read) or a store.
async fn resolve(db: &Db, codes: &CodeCache, key: &ConversionKey) -> Result<ResolvedKey, DbError> {
    let mut resolved = ResolvedKey::default();
    match key {
        ConversionKey::Click(click_id) => {
            let Some(click) = db.click(click_id).await? else {
                return Ok(resolved);
            };
            resolved.found.found = true;
            resolved.found.campaign_id = Some(click.campaign_id);
            resolved.found.visitor_id = click.visitor_id.clone();
            resolved.read = click.visitor_id.map(TouchesOf::Visitor);
            if let (Some(code_id), Some(batch_id), Some(channel_id)) =
                (click.code_id, click.batch_id, click.channel_id)
            {
                resolved.click = Some(Touch {
                    scan_id: None,
                    touched_at: click.occurred_at,
                    code_id,
                    batch_id,
                    campaign_id: click.campaign_id,
                    channel_id,
                    store_id: click.store_id,
                    device: click.device,
                    country: click.country,
                    region: None,
                    city: click.city,
                    variant_id: click.variant_id,
                });
            }
        }
        ConversionKey::Visitor(visitor) => {
            resolved.found.visitor_id = Some(visitor.clone());
            resolved.read = Some(TouchesOf::Visitor(visitor.clone()));
            resolved.found_by_touches = true;
        }
        ConversionKey::Token(token) => {
            if let Some(code) = codes.get(token).await? {
                resolved.found.found = true;
                resolved.found.campaign_id = Some(code.campaign_id);
                resolved.read = Some(TouchesOf::Code(code.code_id));
            }
        }
        ConversionKey::Store(code) => {
            if let Some(store_id) = db.store_id(code).await? {
                resolved.found.found = true;
                resolved.read = Some(TouchesOf::Store(store_id));
            }
        }
    }
    Ok(resolved)
}

/// Campaigns' currencies, which never change once a campaign is created, so they are kept.
#[derive(Default)]
struct Currencies(HashMap<i64, String>);

impl Currencies {
    async fn of(&mut self, db: &Db, campaign_id: i64) -> Result<Option<&str>, DbError> {
        if let std::collections::hash_map::Entry::Vacant(entry) = self.0.entry(campaign_id) {
            match db.campaign_currency(campaign_id).await? {
                Some(currency) => entry.insert(currency),
                None => return Ok(None),
            };
        }
        Ok(self.0.get(&campaign_id).map(String::as_str))
    }
}
