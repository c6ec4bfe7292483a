//! API keys, stored as SHA-256 hashes: a leaked database leaks no usable key.

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{Db, DbError, DbResult, now_ms};

/// A stored key as listed: never the key itself, only the prefix it starts with.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyListing {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub role: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub role: String,
}

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
    /// Stores the hash of `key`; does nothing if that key already exists.
    pub async fn ensure_api_key(&self, name: &str, key: &str) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO api_keys (name, prefix, key_hash, role, created_at) \
             VALUES ($1, $2, $3, 'admin', $4) ON CONFLICT (key_hash) DO NOTHING",
        )
        .bind(name.to_owned())
        .bind(key.chars().take(7).collect::<String>())
        .bind(hash_key(key))
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn api_key(&self, key: &str) -> DbResult<Option<ApiKey>> {
        Ok(sqlx::query_as(
            "SELECT id, name, prefix, role FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash_key(key))
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn api_keys(&self) -> DbResult<Vec<KeyListing>> {
        Ok(sqlx::query_as(
            "SELECT id, name, prefix, role, created_at, revoked_at FROM api_keys ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?)
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
