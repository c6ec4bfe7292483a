//! Batches: print runs of codes. Codes are written in chunks, each chunk in its own short
//! transaction together with the batch's progress (`codes_generated`), so a scan never
//! waits behind a whole batch, and a process that dies mid-way leaves a batch that resumes
//! exactly where its last chunk committed. Whoever generates a batch holds a lease on it,
//! renewed with every chunk: an instance that dies lets its lease run out and another one
//! takes over; a chunk whose lease was taken commits nothing.

use std::collections::HashSet;

use super::{Backend, Db, DbError, DbResult, Page, Scope, now_ms, values_list};
use crate::domain::{BatchMode, Generation, Gtin, LinkStyle, Status, TokenFamily};

/// Codes per chunk transaction: about 12 ms of SQLite's write lock, so a scan that waits
/// behind a chunk still answers well inside 100 ms; 3 parameters each stays well under
/// both engines' limits.
const CODES_PER_CHUNK: i64 = 1000;
/// A lease not renewed for this long is taken to belong to a dead process.
const LEASE_MS: i64 = 15_000;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Batch {
    pub id: i64,
    pub campaign_id: i64,
    pub channel_id: i64,
    pub store_id: Option<i64>,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub mode: BatchMode,
    pub quantity: i64,
    pub cost_cents: i64,
    pub gtin: Option<String>,
    pub lot: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: Status,
    #[sqlx(try_from = "String")]
    pub generation: Generation,
    pub codes_generated: i64,
    pub created_at: i64,
}

impl Batch {
    /// Codes the batch has when generation is done.
    pub fn codes_total(&self) -> i64 {
        self.mode.codes_for(self.quantity)
    }

    pub fn link_style(&self) -> LinkStyle {
        LinkStyle::for_batch(self.gtin.as_deref(), self.lot.as_deref(), self.mode)
    }
}

#[derive(Debug, Clone)]
pub struct NewBatch {
    pub campaign_id: i64,
    pub channel_id: i64,
    pub store_id: Option<i64>,
    pub name: String,
    pub mode: BatchMode,
    /// Printed items; a shared batch still records it but makes one code.
    pub quantity: i64,
    pub cost_cents: i64,
    pub gtin: Option<Gtin>,
    pub lot: Option<String>,
}

/// What became of one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkDone {
    /// The chunk committed; more remain.
    Progress,
    /// The last chunk committed: the batch is ready.
    Finished,
    /// Another process holds the lease (or the batch is no longer generating): stop.
    LeaseLost,
}

const COLUMNS: &str = "id, campaign_id, channel_id, store_id, name, mode, quantity, cost_cents, \
     gtin, lot, status, generation, codes_generated, created_at";

impl Db {
    /// Inserts the batch, generating and without codes yet, leased to `owner` when given
    /// (the caller generates it at once) or free for any generator to claim.
    pub async fn insert_batch(&self, new: NewBatch, owner: Option<&str>) -> DbResult<Batch> {
        let now = now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO batches (campaign_id, channel_id, store_id, name, mode, quantity, \
             cost_cents, gtin, lot, created_at, generation, codes_generated, lease_owner, \
             lease_until) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'generating', 0, $11, $12) \
             RETURNING id",
        )
        .bind(new.campaign_id)
        .bind(new.channel_id)
        .bind(new.store_id)
        .bind(new.name)
        .bind(new.mode.as_str())
        .bind(new.quantity)
        .bind(new.cost_cents)
        .bind(new.gtin.map(Gtin::into_string))
        .bind(new.lot)
        .bind(now)
        .bind(owner.map(str::to_owned))
        .bind(owner.map(|_| now + LEASE_MS))
        .fetch_one(self.pool())
        .await
        .map_err(|err| match &err {
            // Only the shared-batch Digital Link index is unique on batches.
            sqlx::Error::Database(db) if db.is_unique_violation() => DbError::Conflict(
                "another shared batch already prints the GS1 Digital Link of this GTIN and \
                 lot; give this batch a lot of its own"
                    .into(),
            ),
            _ => DbError::Db(err),
        })?;
        self.batch(id).await
    }

    pub async fn batch(&self, id: i64) -> DbResult<Batch> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM batches WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)
    }

    /// Batch `id` if it is in `scope` (a retailer's: bound to one of their stores).
    pub async fn batch_in(&self, scope: &Scope, id: i64) -> DbResult<Batch> {
        let batch = self.batch(id).await?;
        if !scope.admits(batch.store_id) {
            return Err(DbError::NotFound);
        }
        Ok(batch)
    }

    pub async fn batches(
        &self,
        campaign_id: Option<i64>,
        page: Page,
        scope: &Scope,
    ) -> DbResult<Vec<Batch>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM batches WHERE id > $1 AND ($2 = 0 OR campaign_id = $2) \
             AND {} ORDER BY id LIMIT $3",
            scope.sql("store_id")
        )))
        .bind(page.after)
        .bind(campaign_id.unwrap_or(0))
        .bind(page.limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Codes still to be written by batches that are generating: the queue's length.
    pub async fn codes_waiting(&self) -> DbResult<i64> {
        let (waiting,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN mode = 'unique' THEN quantity ELSE 1 END \
             - codes_generated), 0) AS BIGINT) FROM batches WHERE generation = 'generating'",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(waiting)
    }

    /// Takes the oldest generating batch whose lease is free or run out, for `owner`.
    pub async fn claim_batch(&self, owner: &str) -> DbResult<Option<Batch>> {
        let now = now_ms();
        let candidates: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM batches WHERE generation = 'generating' \
             AND (lease_until IS NULL OR lease_until < $1) ORDER BY id LIMIT 8",
        )
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        for (id,) in candidates {
            // Conditional on the lease still being free: two instances cannot both win.
            let claimed = sqlx::query(
                "UPDATE batches SET lease_owner = $1, lease_until = $2 WHERE id = $3 \
                 AND generation = 'generating' AND (lease_until IS NULL OR lease_until < $4)",
            )
            .bind(owner.to_owned())
            .bind(now + LEASE_MS)
            .bind(id)
            .bind(now)
            .execute(self.pool())
            .await?;
            if claimed.rows_affected() == 1 {
                return self.batch(id).await.map(Some);
            }
        }
        Ok(None)
    }

    /// Frees every lease: on SQLite one process owns the database, so at start any lease
    /// belongs to a process that is gone.
    pub async fn release_all_leases(&self) -> DbResult<()> {
        sqlx::query("UPDATE batches SET lease_owner = NULL, lease_until = NULL WHERE generation = 'generating'")
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Writes the next chunk of `batch`'s codes in one transaction with its progress, if
    /// `owner` still holds the lease. The chunk starts after the committed progress, read
    /// inside the transaction, so a resumed batch never writes a serial twice.
    pub async fn generate_chunk(&self, batch_id: i64, owner: &str) -> DbResult<ChunkDone> {
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT CASE WHEN mode = 'unique' THEN quantity ELSE 1 END, codes_generated \
             FROM batches WHERE id = $1 AND generation = 'generating' AND lease_owner = $2",
        )
        .bind(batch_id)
        .bind(owner.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((total, generated)) = row else {
            return Ok(ChunkDone::LeaseLost);
        };
        let first = generated + 1;
        let last = (generated + CODES_PER_CHUNK).min(total);
        if first <= last {
            insert_codes(&mut tx, self.backend(), batch_id, first, last).await?;
        }
        let finished = last >= total;
        sqlx::query(
            "UPDATE batches SET codes_generated = $1, lease_until = $2, \
             generation = CASE WHEN $3 = 1 THEN 'ready' ELSE generation END, \
             lease_owner = CASE WHEN $3 = 1 THEN NULL ELSE lease_owner END \
             WHERE id = $4",
        )
        .bind(last.max(generated))
        .bind(now_ms() + LEASE_MS)
        .bind(i64::from(finished))
        .bind(batch_id)
        .execute(&mut *tx)
        .await?;
        if finished {
            // Caches may hold "no such code" for tokens that resolve from now on.
            Db::note_status_change(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(if finished {
            ChunkDone::Finished
        } else {
            ChunkDone::Progress
        })
    }

    /// Gives up on a batch that `owner` generates: it is marked failed at once, so it never
    /// looks usable, and its codes are removed afterwards (see `remove_failed_codes`).
    pub async fn fail_batch(&self, batch_id: i64, owner: &str) -> DbResult<()> {
        sqlx::query(
            "UPDATE batches SET generation = 'failed', lease_owner = NULL, lease_until = NULL \
             WHERE id = $1 AND generation = 'generating' AND lease_owner = $2",
        )
        .bind(batch_id)
        .bind(owner.to_owned())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Deletes the codes of failed batches, a chunk per transaction; returns how many went.
    pub async fn remove_failed_codes(&self) -> DbResult<u64> {
        let mut removed = 0;
        loop {
            let _turn = self.write_turn().await;
            let done = sqlx::query(
                "DELETE FROM codes WHERE id IN (SELECT c.id FROM codes c \
                 JOIN batches b ON b.id = c.batch_id WHERE b.generation = 'failed' LIMIT $1)",
            )
            .bind(CODES_PER_CHUNK)
            .execute(self.pool())
            .await?;
            removed += done.rows_affected();
            if done.rows_affected() < CODES_PER_CHUNK as u64 {
                return Ok(removed);
            }
        }
    }
}

/// Inserts serials `first..=last` with fresh tokens of one family, so they sit together in
/// the token index (see `TokenFamily`). A token that collides with an existing
/// one (about one in 10^6 batches of ten million) is skipped by the INSERT and its serial
/// gets a new token, so a batch never fails on bad luck.
async fn insert_codes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    batch_id: i64,
    first: i64,
    last: i64,
) -> DbResult<()> {
    let mut serials: Vec<i64> = (first..=last).collect();
    let family = TokenFamily::new();
    while !serials.is_empty() {
        let sql = format!(
            "INSERT INTO codes (token, batch_id, serial) VALUES {} ON CONFLICT (token) DO NOTHING",
            values_list(backend, serials.len(), 3)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for serial in &serials {
            query = query
                .bind(family.token().to_string())
                .bind(batch_id)
                .bind(*serial);
        }
        let inserted = query.execute(&mut **tx).await?.rows_affected();
        if inserted == serials.len() as u64 {
            return Ok(());
        }
        let stored: Vec<(i64,)> = sqlx::query_as(
            "SELECT serial FROM codes WHERE batch_id = $1 AND serial >= $2 AND serial <= $3",
        )
        .bind(batch_id)
        .bind(first)
        .bind(last)
        .fetch_all(&mut **tx)
        .await?;
        let stored: HashSet<i64> = stored.into_iter().map(|(s,)| s).collect();
        serials.retain(|s| !stored.contains(s));
    }
    Ok(())
}
