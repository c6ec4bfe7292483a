//! Channels: where codes are placed (packaging, poster, store, ...).

use super::{Db, DbError, DbResult, Page, conflict_as, now_ms};
use crate::domain::{ChannelKind, Slug, Status};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Channel {
    pub id: i64,
    pub slug: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub kind: ChannelKind,
    /// A disabled channel is not offered for new batches; its printed codes still resolve.
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub created_at: i64,
}

const COLUMNS: &str = "id, slug, name, kind, status, created_at";

#[derive(Debug, Clone)]
pub struct NewChannel {
    pub slug: Slug,
    pub name: String,
    pub kind: ChannelKind,
}

impl Db {
    pub async fn create_channel(&self, new: NewChannel) -> DbResult<Channel> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO channels (slug, name, kind, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(new.slug.into_string())
        .bind(new.name)
        .bind(new.kind.as_str())
        .bind(now_ms())
        .fetch_one(self.pool())
        .await
        .map_err(conflict_as("a channel with this slug"))?;
        self.channel(id).await
    }

    /// Renames a channel, changes its kind or retires it; its slug (the `utm_source` shops
    /// have seen) stays.
    pub async fn update_channel(
        &self,
        id: i64,
        name: String,
        kind: ChannelKind,
        status: Status,
    ) -> DbResult<Channel> {
        let changed =
            sqlx::query("UPDATE channels SET name = $1, kind = $2, status = $3 WHERE id = $4")
                .bind(name)
                .bind(kind.as_str())
                .bind(status.as_str())
                .bind(id)
                .execute(self.pool())
                .await?
                .rows_affected();
        if changed == 0 {
            return Err(DbError::NotFound);
        }
        self.channel(id).await
    }

    pub async fn channel(&self, id: i64) -> DbResult<Channel> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM channels WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)
    }

    pub async fn channels(&self, page: Page) -> DbResult<Vec<Channel>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM channels WHERE id > $1 ORDER BY id LIMIT $2"
        )))
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(self.pool())
        .await?)
    }
}
