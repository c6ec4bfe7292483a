//! Browser sessions, kept by the hash of their cookie so every instance shares them.

use super::{Db, DbResult, now_ms};
use crate::domain::Role;

/// A live session and who it is for.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
    pub store_ids: Vec<i64>,
    pub csrf_token: String,
    pub last_seen_at: i64,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: i64,
    email: String,
    #[sqlx(try_from = "String")]
    role: Role,
    csrf_token: String,
    last_seen_at: i64,
}

impl Db {
    /// Starts a session for `user_id` until `expires_at`; sessions already over are
    /// swept out on the way.
    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: i64,
    ) -> DbResult<()> {
        let now = now_ms();
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, \
             expires_at) VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(id_hash.to_owned())
        .bind(user_id)
        .bind(csrf_token.to_owned())
        .bind(now)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The session `id_hash` if it is live at `now`: not past its absolute expiry, seen
    /// within `idle_ms`, and its user enabled.
    pub async fn session(
        &self,
        id_hash: &str,
        now: i64,
        idle_ms: i64,
    ) -> DbResult<Option<SessionUser>> {
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT s.user_id, u.email, u.role, s.csrf_token, s.last_seen_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $2 - $3 \
             AND u.disabled_at IS NULL",
        )
        .bind(id_hash.to_owned())
        .bind(now)
        .bind(idle_ms)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let store_ids = self.user_store_ids(row.user_id).await?;
        Ok(Some(SessionUser {
            user_id: row.user_id,
            email: row.email,
            role: row.role,
            store_ids,
            csrf_token: row.csrf_token,
            last_seen_at: row.last_seen_at,
        }))
    }

    /// Notes that the session was used at `now` (its idle time starts again).
    pub async fn touch_session(&self, id_hash: &str, now: i64) -> DbResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(id_hash.to_owned())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn end_session(&self, id_hash: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash.to_owned())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Signs `user_id` out everywhere; answers how many sessions ended.
    pub async fn end_user_sessions(&self, user_id: i64) -> DbResult<u64> {
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(ended.rows_affected())
    }
}
