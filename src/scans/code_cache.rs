//! Codes resolved from memory. Entries load lazily on first scan; every instance polls the
//! database's status-change counter each second and drops everything when it moves, so a
//! code, batch or campaign disabled anywhere stops redirecting everywhere within seconds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::db::{Db, DbResult, ResolvedCode, StatusTarget};
use crate::domain::Status;

const CACHE_CAPACITY: usize = 500_000;
pub const REFRESH_EVERY: Duration = Duration::from_secs(1);

/// `None` caches a token that does not exist, so a flood of bad tokens stays off the database.
type Entry = Option<Arc<ResolvedCode>>;

pub struct CodeCache {
    db: Db,
    entries: RwLock<HashMap<String, Entry>>,
    /// Bumped on every clear; a load that started before a clear is not cached.
    generation: AtomicU64,
}

impl CodeCache {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            entries: RwLock::default(),
            generation: AtomicU64::new(0),
        }
    }

    pub async fn get(&self, token: &str) -> DbResult<Entry> {
        if let Some(hit) = self.entries.read().ok().and_then(|e| e.get(token).cloned()) {
            return Ok(hit);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let loaded = self.db.resolve_code(token).await?.map(Arc::new);
        if let Ok(mut entries) = self.entries.write()
            && self.generation.load(Ordering::Acquire) == generation
        {
            if entries.len() >= CACHE_CAPACITY {
                entries.clear();
            }
            entries.insert(token.to_owned(), loaded.clone());
        }
        Ok(loaded)
    }

    /// Enables or disables a campaign, batch or code: the one way statuses change, so no
    /// caller can forget that this instance's cache (and, through the database, every
    /// other instance's) must drop what it holds.
    pub async fn change_status(&self, target: StatusTarget<'_>, status: Status) -> DbResult<()> {
        self.db.set_status(target, status).await?;
        self.clear();
        Ok(())
    }

    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.clear();
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
