//! API keys, stored as SHA-256 hashes: a leaked database leaks no usable key.

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{Db, DbError, DbResult, now_ms};
use crate::domain::Role;

/// A stored key as listed: never the key itself, only the prefix it starts with.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyListing {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub user_id: i64,
    pub email: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A valid key and who holds it: what a request made with it may do.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: i64,
    pub user_id: i64,
    pub role: Role,
    pub store_ids: Vec<i64>,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: i64,
    user_id: i64,
    #[sqlx(try_from = "String")]
    role: Role,
}

const LISTING: &str = "SELECT k.id, k.name, k.prefix, k.user_id, u.email, k.created_at, \
    k.last_used_at, k.revoked_at FROM api_keys k JOIN users u ON u.id = k.user_id";

/// Keys are high-entropy random strings, so a plain SHA-256 is enough (no slow KDF needed).
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A new random key: `sl_` and 32 hex digits of CSPRNG output (128 bits).
pub fn generate_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    format!("sl_{}", hex::encode(bytes))
}

impl Db {
    /// Stores the hash of `key` for `user_id`; does nothing if that key already exists.
    /// Answers the key's id.
    pub async fn ensure_api_key(&self, user_id: i64, name: &str, key: &str) -> DbResult<i64> {
        sqlx::query(
            "INSERT INTO api_keys (name, prefix, key_hash, user_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_hash) DO NOTHING",
        )
        .bind(name.to_owned())
        .bind(key.chars().take(7).collect::<String>())
        .bind(hash_key(key))
        .bind(user_id)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        let (id,): (i64,) = sqlx::query_as("SELECT id FROM api_keys WHERE key_hash = $1")
            .bind(hash_key(key))
            .fetch_one(self.pool())
            .await?;
        Ok(id)
    }

    /// The key `key` if it is valid: not revoked, and its user enabled.
    pub async fn api_key(&self, key: &str) -> DbResult<Option<ApiKey>> {
        let row: Option<KeyRow> = sqlx::query_as(
            "SELECT k.id, k.user_id, u.role FROM api_keys k \
             JOIN users u ON u.id = k.user_id \
             WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.disabled_at IS NULL",
        )
        .bind(hash_key(key))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let store_ids = self.user_store_ids(row.user_id).await?;
        Ok(Some(ApiKey {
            id: row.id,
            user_id: row.user_id,
            role: row.role,
            store_ids,
        }))
    }

    /// Notes that key `id` was used at `at`, unless that was noted less than a minute
    /// before: a busy integration costs one write a minute, not one per request.
    pub async fn note_key_used(&self, id: i64, at: i64) -> DbResult<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "UPDATE api_keys SET last_used_at = $1 \
             WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1 - 60000)",
        )
        .bind(at)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Every key, or with `user_id` only that user's.
    pub async fn api_keys(&self, user_id: Option<i64>) -> DbResult<Vec<KeyListing>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{LISTING} WHERE $1 IS NULL OR k.user_id = $1 ORDER BY k.id"
        )))
        .bind(user_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn api_key_listing(&self, id: i64) -> DbResult<KeyListing> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{LISTING} WHERE k.id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(DbError::NotFound)
    }

    /// Revokes a key: requests with it are refused within a second (servers remember a
    /// valid key that long, `http::auth::KnownKeys`). `NotFound` when
    /// no key has that id; revoking a revoked key keeps its first revocation time.
    pub async fn revoke_api_key(&self, id: i64) -> DbResult<()> {
        let revoked =
            sqlx::query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
                .bind(now_ms())
                .bind(id)
                .execute(self.pool())
                .await?;
        if revoked.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }
}
