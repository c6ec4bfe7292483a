//! Enabling and disabling campaigns, batches and codes. Every change is noted in
//! `cache_invalidations` in the same transaction, so every instance's code cache drops what
//! it holds (see `scans::code_cache`, which is the one caller).

use super::{Db, DbError, DbResult, now_ms};
use crate::domain::Status;

/// What a status change applies to.
#[derive(Debug, Clone, Copy)]
pub enum StatusTarget<'a> {
    Campaign(i64),
    Batch(i64),
    Code(&'a str),
}

impl Db {
    pub(crate) async fn set_status(
        &self,
        target: StatusTarget<'_>,
        status: Status,
    ) -> DbResult<()> {
        let mut tx = self.begin_write().await?;
        let update = match target {
            StatusTarget::Campaign(id) => {
                sqlx::query("UPDATE campaigns SET status = $1 WHERE id = $2")
                    .bind(status.as_str())
                    .bind(id)
            }
            StatusTarget::Batch(id) => sqlx::query("UPDATE batches SET status = $1 WHERE id = $2")
                .bind(status.as_str())
                .bind(id),
            StatusTarget::Code(token) => {
                sqlx::query("UPDATE codes SET status = $1 WHERE token = $2")
                    .bind(status.as_str())
                    .bind(token.to_owned())
            }
        };
        if update.execute(&mut *tx).await?.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        Db::note_status_change(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Tells every instance that what codes resolve to changed, so caches drop what they hold.
    pub(crate) async fn note_status_change<'e, E>(executor: E) -> DbResult<()>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        sqlx::query("INSERT INTO cache_invalidations (changed_at) VALUES ($1)")
            .bind(now_ms())
            .execute(executor)
            .await?;
        Ok(())
    }

    /// The newest status change; a cache compares it with the one it last saw.
    pub async fn last_status_change(&self) -> DbResult<i64> {
        let (id,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM cache_invalidations")
            .fetch_one(self.pool())
            .await?;
        Ok(id)
    }
}
