//! Logos: the PNG drawn in the centre of a campaign's or a batch's codes.

use super::{Db, DbError, DbResult, now_ms};

/// What a logo belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoOwner {
    Campaign(i64),
    Batch(i64),
}

impl LogoOwner {
    fn key(self) -> (&'static str, i64) {
        match self {
            Self::Campaign(id) => ("campaign", id),
            Self::Batch(id) => ("batch", id),
        }
    }
}

/// A stored logo's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoInfo {
    pub width: i64,
    pub height: i64,
    pub bytes: i64,
    pub updated_at: i64,
}

impl Db {
    /// Stores (or replaces) the owner's logo, a PNG made by `Logo::normalise`.
    pub async fn set_logo(
        &self,
        owner: LogoOwner,
        png: Vec<u8>,
        (width, height): (u32, u32),
    ) -> DbResult<LogoInfo> {
        let (kind, id) = owner.key();
        let bytes = png.len() as i64;
        let now = now_ms();
        sqlx::query(
            "INSERT INTO logos (owner, owner_id, png, width, height, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (owner, owner_id) DO UPDATE SET png = excluded.png, \
             width = excluded.width, height = excluded.height, updated_at = excluded.updated_at",
        )
        .bind(kind)
        .bind(id)
        .bind(png)
        .bind(i64::from(width))
        .bind(i64::from(height))
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(LogoInfo {
            width: width.into(),
            height: height.into(),
            bytes,
            updated_at: now,
        })
    }

    /// The owner's own logo, as stored.
    pub async fn logo(&self, owner: LogoOwner) -> DbResult<Vec<u8>> {
        let (kind, id) = owner.key();
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT png FROM logos WHERE owner = $1 AND owner_id = $2")
                .bind(kind)
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        row.map(|(png,)| png).ok_or(DbError::NotFound)
    }

    /// Removes the owner's logo; `NotFound` if it had none.
    pub async fn delete_logo(&self, owner: LogoOwner) -> DbResult<()> {
        let (kind, id) = owner.key();
        let deleted = sqlx::query("DELETE FROM logos WHERE owner = $1 AND owner_id = $2")
            .bind(kind)
            .bind(id)
            .execute(self.pool())
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    /// The logo the codes of batch `id` are drawn with: the batch's own, else its
    /// campaign's, else none.
    pub async fn batch_logo(&self, id: i64) -> DbResult<Option<Vec<u8>>> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as(
            "SELECT l.png FROM batches b JOIN logos l \
             ON (l.owner = 'batch' AND l.owner_id = b.id) \
             OR (l.owner = 'campaign' AND l.owner_id = b.campaign_id) \
             WHERE b.id = $1 ORDER BY l.owner LIMIT 1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(png,)| png))
    }
}
