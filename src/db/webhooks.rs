//! Outbound webhooks: subscriptions, and their outbox. An event is written as one pending
//! delivery per subscribed webhook in the transaction that made the event (`enqueue`), so
//! it survives a restart. The delivery worker takes a due delivery by moving its
//! `next_attempt_at` forward from the value it read (a lease no other worker can also
//! take), sends it, and records how it went.

use sqlx::Any;

use super::{Db, DbError, DbResult, now_ms};

/// Attempts before a delivery is given up (failed); the waits between them grow.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a taken delivery is left to its worker before another may take it.
pub const LEASE_MS: i64 = 60_000;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    /// Event names, space-separated.
    pub events: String,
    /// `active`, `failing` (its last delivery was given up) or `disabled`.
    pub status: String,
    pub created_by: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub payload: String,
    pub created_at: i64,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_attempt_at: Option<i64>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

/// A delivery due now, with where it goes and the secret it is signed with.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    #[sqlx(flatten)]
    pub delivery: Delivery,
    pub url: String,
    pub secret: String,
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub enum Attempt {
    Delivered { status: i64 },
    Failed { status: Option<i64>, error: String },
}

const WEBHOOK: &str = "id, url, events, status, created_by, created_at";
const DELIVERY: &str = "id, webhook_id, event, payload, created_at, state, attempts, \
     next_attempt_at, last_attempt_at, last_status, last_error, delivered_at";

/// The wait before attempt `attempts + 1`: 10 s, then five times longer each time up to
/// an hour (10 s, 50 s, 4 min, 21 min, 1 h, 1 h, 1 h).
pub fn backoff_ms(attempts: i64) -> i64 {
    let mut wait: i64 = 10_000;
    for _ in 1..attempts {
        wait = (wait * 5).min(3_600_000);
    }
    wait
}

/// Writes `payload` as a pending delivery of `event` for every webhook that wants it, in
/// the caller's transaction.
pub(crate) async fn enqueue(
    tx: &mut sqlx::Transaction<'_, Any>,
    event: &str,
    payload: &str,
) -> DbResult<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO webhook_deliveries (webhook_id, event, payload, created_at, state, \
         attempts, next_attempt_at) \
         SELECT id, $1, $2, $3, 'pending', 0, $3 FROM webhooks \
         WHERE status <> 'disabled' AND (' ' || events || ' ') LIKE $4",
    )
    .bind(event)
    .bind(payload)
    .bind(now)
    .bind(format!("% {event} %"))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether any webhook wants `event`: producers skip building payloads nobody reads.
pub(crate) async fn wanted(tx: &mut sqlx::Transaction<'_, Any>, event: &str) -> DbResult<bool> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM webhooks WHERE status <> 'disabled' \
         AND (' ' || events || ' ') LIKE $1",
    )
    .bind(format!("% {event} %"))
    .fetch_one(&mut **tx)
    .await?;
    Ok(n > 0)
}

impl Db {
    pub async fn create_webhook(
        &self,
        url: &str,
        events: &str,
        secret: &str,
        created_by: i64,
    ) -> DbResult<Webhook> {
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO webhooks (url, events, secret, status, created_by, created_at) \
             VALUES ($1, $2, $3, 'active', $4, $5) RETURNING id",
        )
        .bind(url)
        .bind(events)
        .bind(secret)
        .bind(created_by)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        self.webhook(id).await
    }

    pub async fn webhook(&self, id: i64) -> DbResult<Webhook> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {WEBHOOK} FROM webhooks WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)
    }

    /// Every webhook, disabled ones too, newest first.
    pub async fn webhooks(&self) -> DbResult<Vec<Webhook>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {WEBHOOK} FROM webhooks ORDER BY id DESC"
        )))
        .fetch_all(self.pool())
        .await?)
    }

    /// Disables a webhook: nothing new is queued for it and what is pending is not sent.
    pub async fn disable_webhook(&self, id: i64) -> DbResult<Webhook> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query("UPDATE webhooks SET status = 'disabled' WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(DbError::NotFound);
        }
        sqlx::query(
            "UPDATE webhook_deliveries SET state = 'failed', last_error = 'webhook disabled' \
             WHERE webhook_id = $1 AND state = 'pending'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.webhook(id).await
    }

    /// A webhook's latest deliveries, newest first.
    pub async fn deliveries(&self, webhook_id: i64, limit: i64) -> DbResult<Vec<Delivery>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY} FROM webhook_deliveries WHERE webhook_id = $1 \
             ORDER BY id DESC LIMIT $2"
        )))
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn delivery(&self, webhook_id: i64, id: i64) -> DbResult<Delivery> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY} FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2"
        )))
        .bind(id)
        .bind(webhook_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)
    }

    /// Sends a delivery again at once, with its attempts counted afresh, whatever became
    /// of it; a disabled webhook's is a conflict.
    pub async fn redeliver(&self, webhook_id: i64, id: i64) -> DbResult<Delivery> {
        let webhook = self.webhook(webhook_id).await?;
        if webhook.status == "disabled" {
            return Err(DbError::Conflict(format!(
                "webhook {webhook_id} is disabled: create a new one"
            )));
        }
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, \
             next_attempt_at = $1 WHERE id = $2 AND webhook_id = $3",
        )
        .bind(now_ms())
        .bind(id)
        .bind(webhook_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(DbError::NotFound);
        }
        tx.commit().await?;
        self.delivery(webhook_id, id).await
    }

    /// Deletes finished deliveries (delivered or given up) created before `before`;
    /// returns how many.
    pub async fn prune_deliveries(&self, before: i64) -> DbResult<u64> {
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query(
            "DELETE FROM webhook_deliveries WHERE state <> 'pending' AND created_at < $1",
        )
        .bind(before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(deleted)
    }

    /// Pending deliveries due by `now`, oldest first, with their webhook's URL and secret.
    pub async fn due_deliveries(&self, now: i64, limit: i64) -> DbResult<Vec<Due>> {
        let columns: Vec<String> = DELIVERY.split(", ").map(|c| format!("d.{c}")).collect();
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {}, w.url, w.secret FROM webhook_deliveries d \
             JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND w.status <> 'disabled' \
             ORDER BY d.next_attempt_at, d.id LIMIT $2",
            columns.join(", ")
        )))
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Takes a due delivery for one attempt: true if this worker got it (its
    /// `next_attempt_at` was still what was read).
    pub async fn take_delivery(&self, delivery: &Delivery, now: i64) -> DbResult<bool> {
        let mut tx = self.begin_write().await?;
        let taken = sqlx::query(
            "UPDATE webhook_deliveries SET next_attempt_at = $1 \
             WHERE id = $2 AND state = 'pending' AND next_attempt_at = $3",
        )
        .bind(now + LEASE_MS)
        .bind(delivery.id)
        .bind(delivery.next_attempt_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(taken == 1)
    }

    /// Records an attempt: delivered, or failed and due again after a longer wait (given
    /// up after `MAX_ATTEMPTS`, which marks its webhook failing until one succeeds).
    pub async fn finish_attempt(&self, delivery: &Delivery, attempt: Attempt) -> DbResult<()> {
        let now = now_ms();
        let attempts = delivery.attempts + 1;
        let mut tx = self.begin_write().await?;
        match attempt {
            Attempt::Delivered { status } => {
                sqlx::query(
                    "UPDATE webhook_deliveries SET state = 'delivered', attempts = $1, \
                     last_attempt_at = $2, last_status = $3, last_error = NULL, \
                     delivered_at = $2 WHERE id = $4",
                )
                .bind(attempts)
                .bind(now)
                .bind(status)
                .bind(delivery.id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE webhooks SET status = 'active' WHERE id = $1 AND status = 'failing'",
                )
                .bind(delivery.webhook_id)
                .execute(&mut *tx)
                .await?;
            }
            Attempt::Failed { status, error } => {
                let given_up = attempts >= MAX_ATTEMPTS;
                sqlx::query(
                    "UPDATE webhook_deliveries SET state = $1, attempts = $2, \
                     next_attempt_at = $3, last_attempt_at = $4, last_status = $5, \
                     last_error = $6 WHERE id = $7",
                )
                .bind(if given_up { "failed" } else { "pending" })
                .bind(attempts)
                .bind(now + backoff_ms(attempts))
                .bind(now)
                .bind(status)
                .bind(error)
                .bind(delivery.id)
                .execute(&mut *tx)
                .await?;
                if given_up {
                    sqlx::query(
                        "UPDATE webhooks SET status = 'failing' WHERE id = $1 AND status = 'active'",
                    )
                    .bind(delivery.webhook_id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_to_an_hour() {
        let waits: Vec<i64> = (1..=MAX_ATTEMPTS).map(|a| backoff_ms(a) / 1000).collect();
        assert_eq!(waits, [10, 50, 250, 1250, 3600, 3600, 3600, 3600]);
    }
}
