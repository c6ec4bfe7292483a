//! Generating batches of codes in chunks (see `db::batches`). Small batches are generated
//! inside the request that creates them; large ones are queued and a background job works
//! through them oldest first, on whichever instance claims each one.

use std::sync::Arc;
use std::time::Duration;

use rand::RngCore;
use tokio::sync::Notify;

use crate::db::{Batch, ChunkDone, Db, DbError, DbResult, NewBatch};
use crate::metrics::Metrics;
use crate::scans::CodeCache;

/// Batches with at most this many codes are made before the answer (201, ready).
pub const INLINE_CODES: i64 = 10_000;
/// Codes that may wait for generation at once, over all queued batches; past it a new
/// large batch is refused with 429.
pub const MAX_WAITING_CODES: i64 = 20_000_000;
/// How often the job looks for batches that nobody generates (another instance died).
const POLL: Duration = Duration::from_secs(2);
/// Tries of one chunk before the batch is given up as failed.
const ATTEMPTS: u32 = 4;

#[derive(Debug, thiserror::Error)]
pub enum GenerationError {
    #[error("the batch could not be generated and was marked failed")]
    Failed,
    #[error("another process took over the batch")]
    LeaseLost,
    #[error("{waiting} codes are already waiting to be generated (limit {MAX_WAITING_CODES})")]
    QueueFull { waiting: i64 },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A new batch: made before the answer, or queued for the background job.
#[derive(Debug)]
pub enum Created {
    Ready(Batch),
    Queued(Batch),
}

pub struct BatchGenerator {
    db: Db,
    codes: Arc<CodeCache>,
    /// Names this process on the leases it takes.
    owner: String,
    wake: Notify,
    metrics: Arc<Metrics>,
}

impl BatchGenerator {
    pub fn new(db: Db, codes: Arc<CodeCache>, metrics: Arc<Metrics>) -> Arc<Self> {
        let mut bytes = [0u8; 8];
        rand::rng().fill_bytes(&mut bytes);
        Arc::new(Self {
            db,
            codes,
            owner: format!("{}-{}", std::process::id(), hex::encode(bytes)),
            wake: Notify::new(),
            metrics,
        })
    }

    /// Creates a batch: small ones are generated at once, large ones queued (or refused
    /// when the queue is full).
    pub async fn create(self: &Arc<Self>, new: NewBatch) -> Result<Created, GenerationError> {
        let codes = new.mode.codes_for(new.quantity);
        if codes > INLINE_CODES {
            let waiting = self.db.codes_waiting().await?;
            if waiting + codes > MAX_WAITING_CODES {
                return Err(GenerationError::QueueFull { waiting });
            }
            let batch = self.db.insert_batch(new, None).await?;
            self.wake.notify_one();
            return Ok(Created::Queued(batch));
        }
        let batch = self.db.insert_batch(new, Some(&self.owner)).await?;
        // In a task of its own: a client that hangs up does not stop the batch half-way.
        let generator = self.clone();
        tokio::spawn(async move { generator.generate(batch.id).await })
            .await
            .map_err(|_| GenerationError::Failed)??;
        Ok(Created::Ready(self.db.batch(batch.id).await?))
    }

    /// Generates the batch leased to this process to its end, chunk by chunk.
    pub async fn generate(&self, batch_id: i64) -> Result<(), GenerationError> {
        loop {
            let done = self.chunk_with_retries(batch_id).await;
            self.count_waiting_codes().await;
            match done {
                Ok(ChunkDone::Progress) => {}
                Ok(ChunkDone::Finished) => {
                    self.codes.clear();
                    tracing::info!(batch = batch_id, "batch ready");
                    return Ok(());
                }
                Ok(ChunkDone::LeaseLost) => return Err(GenerationError::LeaseLost),
                Err(err) => {
                    tracing::error!(%err, batch = batch_id, "batch generation failed; marking it failed");
                    if let Err(err) = self.db.fail_batch(batch_id, &self.owner).await {
                        // The lease runs out and the batch is tried again elsewhere.
                        tracing::error!(%err, batch = batch_id, "cannot mark the batch failed");
                    }
                    self.remove_failed_codes().await;
                    return Err(GenerationError::Failed);
                }
            }
        }
    }

    async fn chunk_with_retries(&self, batch_id: i64) -> DbResult<ChunkDone> {
        let mut attempt = 1;
        loop {
            match self.db.generate_chunk(batch_id, &self.owner).await {
                Ok(done) => return Ok(done),
                Err(err) if attempt < ATTEMPTS => {
                    tracing::warn!(%err, batch = batch_id, attempt, "a chunk of codes failed; trying again");
                    tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                    attempt += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Keeps the progress metric current: codes of batches not yet generated.
    async fn count_waiting_codes(&self) {
        if let Ok(waiting) = self.db.codes_waiting().await {
            self.metrics.batch_codes_waiting.set(waiting);
        }
    }

    async fn remove_failed_codes(&self) {
        match self.db.remove_failed_codes().await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "removed the codes of failed batches"),
            Err(err) => tracing::error!(%err, "cannot remove the codes of failed batches"),
        }
    }

    /// The background job: generates queued batches and any whose generator died, and
    /// finishes removing the codes of failed batches.
    pub async fn run(self: Arc<Self>) {
        loop {
            self.remove_failed_codes().await;
            self.count_waiting_codes().await;
            loop {
                match self.db.claim_batch(&self.owner).await {
                    Ok(Some(batch)) => {
                        tracing::info!(
                            batch = batch.id,
                            from = batch.codes_generated,
                            "generating a batch"
                        );
                        let _ = self.generate(batch.id).await;
                    }
                    Ok(None) => break,
                    Err(err) => {
                        tracing::warn!(%err, "cannot look for batches to generate");
                        break;
                    }
                }
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }
}
