//! Codes: one token each, and what a scan of it resolves to.

use super::{Db, StoreError, StoreResult};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeRecord {
    pub id: i64,
    pub token: String,
    pub batch_id: i64,
    pub serial: i64,
    pub status: String,
}

/// Everything the redirect needs about a code, in one row: the cache holds these.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResolvedCode {
    pub code_id: i64,
    pub token: String,
    pub serial: i64,
    pub code_status: String,
    pub batch_id: i64,
    pub batch_status: String,
    pub store_id: Option<i64>,
    pub channel_id: i64,
    pub channel_slug: String,
    pub campaign_id: i64,
    pub campaign_slug: String,
    pub campaign_status: String,
    pub destination_url: Option<String>,
    pub fallback_url: Option<String>,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
}

impl Db {
    pub async fn resolve_code(&self, token: &str) -> StoreResult<Option<ResolvedCode>> {
        Ok(sqlx::query_as(
            "SELECT c.id AS code_id, c.token, c.serial, c.status AS code_status, \
             b.id AS batch_id, b.status AS batch_status, b.store_id, \
             ch.id AS channel_id, ch.slug AS channel_slug, \
             k.id AS campaign_id, k.slug AS campaign_slug, k.status AS campaign_status, \
             k.destination_url, k.fallback_url, k.starts_at, k.ends_at \
             FROM codes c JOIN batches b ON b.id = c.batch_id \
             JOIN channels ch ON ch.id = b.channel_id JOIN campaigns k ON k.id = b.campaign_id \
             WHERE c.token = $1",
        )
        .bind(token.to_owned())
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn code(&self, token: &str) -> StoreResult<CodeRecord> {
        sqlx::query_as("SELECT id, token, batch_id, serial, status FROM codes WHERE token = $1")
            .bind(token.to_owned())
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Codes of a batch in serial order after `after_serial`: the CSV export pages with it.
    pub async fn codes_page(
        &self,
        batch_id: i64,
        after_serial: i64,
        limit: i64,
    ) -> StoreResult<Vec<CodeRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, token, batch_id, serial, status FROM codes WHERE batch_id = $1 AND serial > $2 ORDER BY serial LIMIT $3",
        )
        .bind(batch_id)
        .bind(after_serial)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn set_code_status(&self, token: &str, status: &str) -> StoreResult<CodeRecord> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query("UPDATE codes SET status = $1 WHERE token = $2")
            .bind(status.to_owned())
            .bind(token.to_owned())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Db::note_status_change(&mut *tx).await?;
        tx.commit().await?;
        self.code(token).await
    }
}
