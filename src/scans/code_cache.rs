//! Codes resolved from memory. Entries load lazily on first scan and are kept while they
//! are scanned (`generations.rs`), up to a fixed number; unknown tokens are remembered
//! apart, up to their own bound. Every instance polls the database's status-change counter
//! each second and drops everything when it moves, so a code, batch or campaign disabled
//! anywhere stops redirecting everywhere within seconds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::generations::{Found, Generations};
use super::outcome::{RoutedCode, Shared};
use crate::db::{
    CampaignSettings, Db, DbResult, Experiment, NewExperiment, NewNotice, NewOffer, Notice, Offer,
    ResolvedCode, RulesOwner, StatusTarget, StopReason, read_routing,
};
use crate::domain::Status;
use crate::domain::rules::{Rule, RuleSpec};
use crate::metrics::Metrics;

/// Codes per generation: up to twice this many are held, those scanned recently.
const KNOWN_PER_GENERATION: usize = 50_000;
/// Unknown tokens per generation, held apart so a flood of made-up tokens rotates only
/// these and never pushes out a real code.
const UNKNOWN_PER_GENERATION: usize = 10_000;
pub const REFRESH_EVERY: Duration = Duration::from_secs(1);

struct Entries {
    known: Generations<String, Arc<RoutedCode>>,
    /// Redirect rules and experiments read, by campaign and batch: every code they cover
    /// shares one copy.
    shared: HashMap<(i64, i64), Shared>,
    /// Tokens the database does not know, so repeating one stays off the database.
    unknown: Generations<String, ()>,
}

impl Entries {
    fn len(&self) -> usize {
        self.known.len() + self.unknown.len()
    }
}

pub struct CodeCache {
    db: Db,
    entries: RwLock<Entries>,
    /// Bumped on every clear; a load that started before a clear is not cached.
    generation: AtomicU64,
    metrics: Arc<Metrics>,
}

impl CodeCache {
    pub fn new(db: Db, metrics: Arc<Metrics>) -> Self {
        Self {
            db,
            entries: RwLock::new(Entries {
                known: Generations::new(KNOWN_PER_GENERATION),
                shared: HashMap::new(),
                unknown: Generations::new(UNKNOWN_PER_GENERATION),
            }),
            generation: AtomicU64::new(0),
            metrics,
        }
    }

    /// The code for a token of a ready batch, from memory when it can be.
    pub async fn get(&self, token: &str) -> DbResult<Option<Arc<RoutedCode>>> {
        if let Some(hit) = self.remembered(token) {
            self.metrics.code_lookup(true);
            return Ok(hit);
        }
        self.metrics.code_lookup(false);
        let generation = self.generation.load(Ordering::Acquire);
        let loaded = self.db.resolve_code(token).await?.map(|mut code| {
            let key = (code.campaign_id, code.batch_id);
            let read_before = self
                .entries
                .read()
                .ok()
                .and_then(|entries| entries.shared.get(&key).cloned());
            let shared = read_before.unwrap_or_else(|| Shared {
                rules: read_rules(&code),
                routing: code
                    .experiment_routing
                    .as_deref()
                    .and_then(read_routing)
                    .map(Arc::new),
            });
            code.batch_rules = None;
            code.campaign_rules = None;
            code.experiment_routing = None;
            (code, shared)
        });
        let Ok(mut entries) = self.entries.write() else {
            return Ok(loaded.map(|(code, shared)| Arc::new(RoutedCode::with(code, shared))));
        };
        if self.generation.load(Ordering::Acquire) != generation {
            // Cleared while this load ran: answer with it, keep nothing of it.
            return Ok(loaded.map(|(code, shared)| Arc::new(RoutedCode::with(code, shared))));
        }
        let routed = loaded.map(|(code, shared)| {
            let key = (code.campaign_id, code.batch_id);
            let shared = entries.shared.entry(key).or_insert(shared).clone();
            Arc::new(RoutedCode::with(code, shared))
        });
        match &routed {
            Some(code) => entries.known.insert(token.to_owned(), code.clone()),
            None => entries.unknown.insert(token.to_owned(), ()),
        }
        self.metrics.code_cache_entries.set(entries.len() as i64);
        Ok(routed)
    }

    /// `Some(None)` is a remembered unknown token.
    fn remembered(&self, token: &str) -> Option<Option<Arc<RoutedCode>>> {
        let found = {
            let entries = self.entries.read().ok()?;
            match entries.known.peek(token) {
                Some(found) => found,
                None => return entries.unknown.peek(token).map(|_| None),
            }
        };
        match found {
            Found::Young(code) => Some(Some(code)),
            Found::Old(code) => {
                if let Ok(mut entries) = self.entries.write() {
                    entries.known.promote(token);
                }
                Some(Some(code))
            }
        }
    }

    /// Enables or disables a campaign, batch or code: the one way statuses change, so no
    /// caller can forget that this instance's cache (and, through the database, every
    /// other instance's) must drop what it holds.
    pub async fn change_status(&self, target: StatusTarget<'_>, status: Status) -> DbResult<()> {
        self.db.set_status(target, status).await?;
        self.clear();
        Ok(())
    }

    /// Replaces a campaign's settings (where its codes go and when) and drops what this
    /// instance holds; every other instance drops its cache within a second.
    pub async fn change_campaign(&self, id: i64, settings: CampaignSettings) -> DbResult<()> {
        self.db.set_campaign_settings(id, settings).await?;
        self.clear();
        Ok(())
    }

    /// Puts up a recall notice: the codes it covers go to its page, here at once and on
    /// every other instance within a second.
    pub async fn put_up_notice(&self, new: NewNotice) -> DbResult<Notice> {
        let notice = self.db.create_notice(new).await?;
        self.clear();
        Ok(notice)
    }

    /// Lifts a recall notice: its codes go where their campaign sends them again.
    pub async fn lift_notice(&self, id: i64, lifted_by: i64) -> DbResult<Notice> {
        let notice = self.db.lift_notice(id, lifted_by).await?;
        self.clear();
        Ok(notice)
    }

    /// Replaces a campaign's or a batch's redirect rules: codes route by them here at
    /// once and on every other instance within a second.
    pub async fn set_rules(&self, owner: RulesOwner, json: Option<String>) -> DbResult<()> {
        self.db.set_rules(owner, json).await?;
        self.clear();
        Ok(())
    }

    /// Starts a limited offer: scans of its codes claim places, here at once and on every
    /// other instance within a second.
    pub async fn start_offer(&self, new: NewOffer) -> DbResult<Offer> {
        let offer = self.db.create_offer(new).await?;
        self.clear();
        Ok(offer)
    }

    /// Ends a limited offer: its codes go where their campaign sends them again.
    pub async fn end_offer(&self, id: i64, ended_by: i64) -> DbResult<Offer> {
        let offer = self.db.end_offer(id, ended_by).await?;
        self.clear();
        Ok(offer)
    }

    /// Starts an experiment: its campaign's scans and pages follow its variants, here at
    /// once and on every other instance within a second.
    pub async fn start_experiment(&self, new: NewExperiment) -> DbResult<Experiment> {
        let experiment = self.db.create_experiment(new).await?;
        self.clear();
        Ok(experiment)
    }

    /// Stops an experiment: `winner` takes all its traffic, or with none the campaign's
    /// own page and destination come back.
    pub async fn stop_experiment(
        &self,
        id: i64,
        winner: Option<i64>,
        reason: StopReason,
        user_id: Option<i64>,
        figures: &str,
    ) -> DbResult<Experiment> {
        let experiment = self
            .db
            .stop_experiment(id, winner, reason, user_id, figures)
            .await?;
        self.clear();
        Ok(experiment)
    }

    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.known.clear();
            entries.shared.clear();
            entries.unknown.clear();
            self.metrics.code_cache_entries.set(0);
        }
    }

    /// Runs until the process ends: drops the cache whenever any instance changed a status.
    pub async fn follow_status_changes(self: Arc<Self>) {
        let mut seen = self.db.last_status_change().await.unwrap_or(0);
        let mut tick = tokio::time::interval(REFRESH_EVERY);
        loop {
            tick.tick().await;
            match self.db.last_status_change().await {
                Ok(latest) if latest != seen => {
                    seen = latest;
                    self.clear();
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(%err, "cannot poll status changes"),
            }
        }
    }
}

/// A loaded code's redirect rules, its batch's first, read from what was saved (and
/// checked) then. Every code of a batch shares the rules read once.
fn read_rules(code: &ResolvedCode) -> Arc<[Rule]> {
    let mut rules = Vec::new();
    for (owner, json) in [
        ("batch", &code.batch_rules),
        ("campaign", &code.campaign_rules),
    ] {
        let Some(json) = json else { continue };
        let specs: Vec<RuleSpec> = match serde_json::from_str(json) {
            Ok(specs) => specs,
            Err(err) => {
                tracing::error!(%err, owner, code = code.code_id, "unreadable saved rules left out");
                continue;
            }
        };
        for (i, spec) in specs.iter().enumerate() {
            match spec.compile(i) {
                Ok(rule) => rules.push(rule),
                Err(err) => tracing::error!(
                    field = err.field,
                    message = err.message,
                    owner,
                    "a saved rule that no longer reads is left out"
                ),
            }
        }
    }
    rules.into()
}
