//! Limited offers: the first N claims of a campaign's (or a batch's) scans go to the
//! offer's URL. A claim raises `claimed` only while it is below the limit, in the
//! transaction that inserts the claim: on PostgreSQL the offer's row lock makes instances
//! take turns, on SQLite the write lock does, so an offer never has one claim too many.
//! Creating and ending one is noted for every instance's code cache, as notices are.

use super::{Db, DbError, DbResult, now_ms, take_row_turn};
use crate::domain::OfferCounts;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Offer {
    pub id: i64,
    pub campaign_id: i64,
    pub batch_id: Option<i64>,
    #[sqlx(try_from = "String")]
    pub counts: OfferCounts,
    pub max_claims: i64,
    pub claimed: i64,
    pub url: String,
    pub fallback_url: Option<String>,
    pub created_by: i64,
    pub created_at: i64,
    pub ended_by: Option<i64>,
    pub ended_at: Option<i64>,
}

impl Offer {
    pub fn remaining(&self) -> i64 {
        self.max_claims - self.claimed
    }

    /// `standing`, `used_up` (every place taken) or `ended`.
    pub fn status(&self) -> &'static str {
        match (self.ended_at, self.remaining()) {
            (Some(_), _) => "ended",
            (None, 0) => "used_up",
            (None, _) => "standing",
        }
    }
}

/// An offer to start, validated by the caller.
#[derive(Debug, Clone)]
pub struct NewOffer {
    pub campaign_id: i64,
    pub batch_id: Option<i64>,
    pub counts: OfferCounts,
    pub max_claims: i64,
    pub url: String,
    pub fallback_url: Option<String>,
    pub created_by: i64,
}

/// What a claim came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The claimant is among the first: now, or before.
    Won,
    /// The offer was used up (or ended) before them.
    Over,
}

const COLUMNS: &str = "id, campaign_id, batch_id, counts, max_claims, claimed, url, \
     fallback_url, created_by, created_at, ended_by, ended_at";

impl Db {
    /// Starts an offer, unless one already stands for the same campaign and batch (a
    /// conflict naming it).
    pub async fn create_offer(&self, new: NewOffer) -> DbResult<Offer> {
        let mut tx = self.begin_write().await?;
        // Two offers of one campaign take turns, so both cannot pass the check below.
        take_row_turn(&mut tx, "campaigns", new.campaign_id).await?;
        let standing: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM offers WHERE campaign_id = $1 AND ended_at IS NULL \
             AND COALESCE(batch_id, 0) = $2 LIMIT 1",
        )
        .bind(new.campaign_id)
        .bind(new.batch_id.unwrap_or(0))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((id,)) = standing {
            let scope = match new.batch_id {
                Some(_) => "this batch",
                None => "the whole campaign",
            };
            return Err(DbError::Conflict(format!(
                "offer {id} already stands for {scope}: end it first"
            )));
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO offers (campaign_id, batch_id, counts, max_claims, url, fallback_url, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(new.campaign_id)
        .bind(new.batch_id)
        .bind(new.counts.as_str())
        .bind(new.max_claims)
        .bind(new.url)
        .bind(new.fallback_url)
        .bind(new.created_by)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        Db::note_status_change(&mut *tx).await?;
        tx.commit().await?;
        self.offer(id).await
    }

    /// Ends a standing offer: its codes go where the campaign sends them again. An offer
    /// already ended is a conflict.
    pub async fn end_offer(&self, id: i64, ended_by: i64) -> DbResult<Offer> {
        let mut tx = self.begin_write().await?;
        let ended = sqlx::query(
            "UPDATE offers SET ended_at = $1, ended_by = $2 WHERE id = $3 AND ended_at IS NULL",
        )
        .bind(now_ms())
        .bind(ended_by)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if ended == 0 {
            drop(tx);
            self.offer(id).await?;
            return Err(DbError::Conflict(format!("offer {id} has already ended")));
        }
        Db::note_status_change(&mut *tx).await?;
        tx.commit().await?;
        self.offer(id).await
    }

    pub async fn offer(&self, id: i64) -> DbResult<Offer> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM offers WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)
    }

    /// A campaign's offers, standing and ended, newest first.
    pub async fn campaign_offers(&self, campaign_id: i64) -> DbResult<Vec<Offer>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM offers WHERE campaign_id = $1 ORDER BY id DESC"
        )))
        .bind(campaign_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Claims offer `id` for `key` (a visitor or a code): won if `key` claimed it before,
    /// or if a claim is left and this one takes it. Claimants who won before are found
    /// with one read; an offer used up costs no write.
    pub async fn claim_offer(&self, id: i64, key: &str) -> DbResult<Claim> {
        let state: Option<(i64, i64)> = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM offer_claims WHERE offer_id = $1 AND claim_key = $2), \
             CAST(CASE WHEN claimed < max_claims AND ended_at IS NULL THEN 1 ELSE 0 END AS BIGINT) \
             FROM offers WHERE id = $1",
        )
        .bind(id)
        .bind(key.to_owned())
        .fetch_optional(self.pool())
        .await?;
        match state {
            None => return Err(DbError::NotFound),
            Some((1.., _)) => return Ok(Claim::Won),
            Some((_, 0)) => return Ok(Claim::Over),
            Some(_) => {}
        }
        let turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let taken = sqlx::query(
            "UPDATE offers SET claimed = claimed + 1 \
             WHERE id = $1 AND claimed < max_claims AND ended_at IS NULL",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken == 0 {
            drop(tx);
            drop(turn);
            // The last claim went while this one waited; perhaps to the same claimant.
            return Ok(if self.claimed_before(id, key).await? {
                Claim::Won
            } else {
                Claim::Over
            });
        }
        let inserted = sqlx::query(
            "INSERT INTO offer_claims (offer_id, claim_key, claimed_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(key.to_owned())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            tx.commit().await?;
        }
        // Otherwise the same claimant won a moment ago on another instance: dropping the
        // transaction keeps their one claim.
        Ok(Claim::Won)
    }

    async fn claimed_before(&self, id: i64, key: &str) -> DbResult<bool> {
        let found: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM offer_claims WHERE offer_id = $1 AND claim_key = $2")
                .bind(id)
                .bind(key.to_owned())
                .fetch_optional(self.pool())
                .await?;
        Ok(found.is_some())
    }
}
