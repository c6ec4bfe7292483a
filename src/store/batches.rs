//! Batches: print runs of codes. A unique batch of N writes N codes in one transaction,
//! a chunk of rows per statement, so a million codes never sit in memory at once and a
//! failure leaves none behind.

use std::collections::HashSet;

use super::{Backend, Db, Page, StoreError, StoreResult, now_ms, values_list};
use crate::domain::Token;

/// Rows per multi-row INSERT: 3 parameters each stays well under both engines' limits.
const CODES_PER_STATEMENT: i64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchMode {
    /// One code for the whole run (a poster).
    Shared,
    /// One code per item, serials 1..=quantity (a production run of bottles).
    Unique,
}

impl BatchMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shared => "shared",
            Self::Unique => "unique",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Batch {
    pub id: i64,
    pub campaign_id: i64,
    pub channel_id: i64,
    pub store_id: Option<i64>,
    pub name: String,
    pub mode: String,
    pub quantity: i64,
    pub cost_cents: i64,
    pub gtin: Option<String>,
    pub lot: Option<String>,
    pub status: String,
    pub created_at: i64,
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
    pub gtin: Option<String>,
    pub lot: Option<String>,
}

const COLUMNS: &str = "id, campaign_id, channel_id, store_id, name, mode, quantity, cost_cents, \
     gtin, lot, status, created_at";

impl Db {
    /// Creates the batch and all its codes, or nothing.
    pub async fn create_batch(&self, new: NewBatch) -> StoreResult<Batch> {
        let mut tx = self.pool().begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO batches (campaign_id, channel_id, store_id, name, mode, quantity, \
             cost_cents, gtin, lot, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(new.campaign_id)
        .bind(new.channel_id)
        .bind(new.store_id)
        .bind(new.name)
        .bind(new.mode.as_str())
        .bind(new.quantity)
        .bind(new.cost_cents)
        .bind(new.gtin)
        .bind(new.lot)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;

        let codes = match new.mode {
            BatchMode::Shared => 1,
            BatchMode::Unique => new.quantity,
        };
        let mut first = 1;
        while first <= codes {
            let last = (first + CODES_PER_STATEMENT - 1).min(codes);
            insert_codes(&mut tx, self.backend(), id, first, last).await?;
            first = last + 1;
        }
        tx.commit().await?;
        self.batch(id).await
    }

    pub async fn batch(&self, id: i64) -> StoreResult<Batch> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM batches WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn batches(&self, campaign_id: Option<i64>, page: Page) -> StoreResult<Vec<Batch>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM batches WHERE id > $1 AND ($2 = 0 OR campaign_id = $2) \
             ORDER BY id LIMIT $3"
        )))
        .bind(page.after)
        .bind(campaign_id.unwrap_or(0))
        .bind(page.limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn set_batch_status(&self, id: i64, status: &str) -> StoreResult<Batch> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query("UPDATE batches SET status = $1 WHERE id = $2")
            .bind(status.to_owned())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Db::note_status_change(&mut *tx).await?;
        tx.commit().await?;
        self.batch(id).await
    }
}

/// Inserts serials `first..=last` with fresh tokens. A token that collides with an existing
/// one (about one in 10^6 batches of ten million) is skipped by the INSERT and its serial
/// gets a new token, so a batch never fails on bad luck.
async fn insert_codes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    batch_id: i64,
    first: i64,
    last: i64,
) -> StoreResult<()> {
    let mut serials: Vec<i64> = (first..=last).collect();
    while !serials.is_empty() {
        let sql = format!(
            "INSERT INTO codes (token, batch_id, serial) VALUES {} ON CONFLICT (token) DO NOTHING",
            values_list(backend, serials.len(), 3)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for serial in &serials {
            query = query
                .bind(Token::generate().to_string())
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
