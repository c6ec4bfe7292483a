//! Sources: shops that post conversions through signed webhooks, with their secrets.

use rand::RngCore;

use super::{Db, DbError, DbResult, conflict_as, now_ms};

/// How long a rotated-out secret is still accepted, so a shop can switch without losing
/// a webhook.
pub const ROTATION_GRACE_MS: i64 = 24 * 3_600_000;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Source {
    pub id: i64,
    pub name: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_until: Option<i64>,
    pub created_at: i64,
    pub rotated_at: Option<i64>,
}

impl Source {
    /// The secrets a signature may be made with at `now`.
    pub fn live_secrets(&self, now: i64) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_until)
            && now < until
        {
            secrets.push(previous);
        }
        secrets
    }
}

/// A new signing secret: `whsec_` and 64 hex digits of CSPRNG output (256 bits).
fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

const COLUMNS: &str = "id, name, secret, previous_secret, previous_until, created_at, rotated_at";

impl Db {
    pub async fn create_source(&self, name: &str) -> DbResult<Source> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO sources (name, secret, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name.to_owned())
        .bind(generate_secret())
        .bind(now_ms())
        .fetch_one(self.pool())
        .await
        .map_err(conflict_as("a source with this name"))?;
        self.source(id).await
    }

    pub async fn source(&self, id: i64) -> DbResult<Source> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sources WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)
    }

    pub async fn source_by_name(&self, name: &str) -> DbResult<Option<Source>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sources WHERE name = $1"
        )))
        .bind(name.to_owned())
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn sources(&self) -> DbResult<Vec<Source>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sources ORDER BY id"
        )))
        .fetch_all(self.pool())
        .await?)
    }

    /// A new secret; the one it replaces is still accepted for [`ROTATION_GRACE_MS`].
    pub async fn rotate_source_secret(&self, id: i64) -> DbResult<Source> {
        let now = now_ms();
        let changed = sqlx::query(
            "UPDATE sources SET previous_secret = secret, previous_until = $1, secret = $2, \
             rotated_at = $3 WHERE id = $4",
        )
        .bind(now + ROTATION_GRACE_MS)
        .bind(generate_secret())
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(DbError::NotFound);
        }
        self.source(id).await
    }
}
