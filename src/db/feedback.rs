//! Feedback on purchases and the remedies low ratings open. A buyer may rate a purchase of
//! the last 30 days whose touch path crosses the campaign, once; the rating, its remedy
//! and the `feedback.received` webhook are written in one transaction.

use super::{Db, DbError, DbResult, Page, conflict_as, now_ms, webhooks};
use crate::accounts::secret::same_secret;
use crate::domain::time::to_rfc3339;
use crate::domain::webhook_event::WebhookEvent;

/// How long after a purchase its buyer may rate it.
pub const FEEDBACK_WITHIN_MS: i64 = 30 * 24 * 3_600_000;
/// Ratings at or below this open a remedy.
pub const LOW_RATING: i64 = 2;

/// A purchase its buyer may rate.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Rateable {
    pub conversion_id: i64,
    pub occurred_at: i64,
    pub amount_cents: i64,
    pub currency: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Feedback {
    pub id: i64,
    pub conversion_id: i64,
    pub campaign_id: i64,
    pub channel_id: Option<i64>,
    pub batch_id: Option<i64>,
    pub store_id: Option<i64>,
    pub member_id: Option<i64>,
    pub rating: i64,
    pub comment: Option<String>,
    pub photo: Option<String>,
    pub photo_thumb: Option<String>,
    pub created_at: i64,
    pub remedy_id: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Remedy {
    pub id: i64,
    pub feedback_id: i64,
    pub status: String,
    pub handled_by: Option<i64>,
    pub note: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub rating: i64,
    pub comment: Option<String>,
    pub photo: Option<String>,
    pub campaign_id: i64,
    pub conversion_id: i64,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    #[sqlx(flatten)]
    rateable: Rateable,
    feedback_token: Option<String>,
}

/// A rating to store.
#[derive(Debug, Clone)]
pub struct NewFeedback<'a> {
    pub conversion_id: i64,
    pub campaign_id: i64,
    pub visitor_id: &'a str,
    pub rating: i64,
    pub comment: Option<&'a str>,
    /// The photo's stored renditions (display, thumbnail), and its URL for the webhook.
    pub photo: Option<(&'a str, &'a str)>,
    pub photo_url: Option<&'a str>,
}

/// Feedback counted per channel, batch or store.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedbackRow {
    pub id: Option<i64>,
    pub ratings: i64,
    pub rating_sum: i64,
    pub low: i64,
}

const FEEDBACK: &str = "f.id, f.conversion_id, f.campaign_id, f.channel_id, f.batch_id, \
     f.store_id, f.member_id, f.rating, f.comment, f.photo, f.photo_thumb, f.created_at, \
     r.id AS remedy_id";
const REMEDY: &str = "r.id, r.feedback_id, r.status, r.handled_by, r.note, r.created_at, \
     r.updated_at, f.rating, f.comment, f.photo, f.campaign_id, f.conversion_id";

/// The browsers whose purchases count as `visitor_id`'s: those of the member it is
/// signed in as, or itself.
const BROWSERS: &str = "(SELECT v2.visitor_id FROM member_visitors v1 JOIN member_visitors v2 \
     ON v2.member_id = v1.member_id WHERE v1.visitor_id = $1 UNION SELECT $1)";

impl Db {
    /// The latest purchase of the last 30 days by `visitor_id` (or the member it is signed
    /// in as) whose path crosses the campaign and that was not rated yet.
    pub async fn rateable_purchase(
        &self,
        visitor_id: &str,
        campaign_id: i64,
    ) -> DbResult<Option<Rateable>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT c.id AS conversion_id, c.occurred_at, c.amount_cents, c.currency \
             FROM conversions c WHERE c.visitor_id IN {BROWSERS} AND c.occurred_at > $3 \
             AND EXISTS (SELECT 1 FROM conversion_touches t WHERE t.conversion_id = c.id \
             AND t.campaign_id = $2) \
             AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.conversion_id = c.id) \
             ORDER BY c.occurred_at DESC LIMIT 1"
        )))
        .bind(visitor_id)
        .bind(campaign_id)
        .bind(now_ms() - FEEDBACK_WITHIN_MS)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The purchase a feedback link names (`id` and its secret), while it may be rated
    /// on the campaign's page.
    pub async fn rateable_by_link(
        &self,
        id: i64,
        token: &str,
        campaign_id: i64,
    ) -> DbResult<Option<Rateable>> {
        let found: Option<(Rateable, Option<String>)> = sqlx::query_as(
            "SELECT c.id AS conversion_id, c.occurred_at, c.amount_cents, c.currency, \
             c.feedback_token FROM conversions c WHERE c.id = $1 AND c.occurred_at > $3 \
             AND EXISTS (SELECT 1 FROM conversion_touches t WHERE t.conversion_id = c.id \
             AND t.campaign_id = $2) \
             AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.conversion_id = c.id)",
        )
        .bind(id)
        .bind(campaign_id)
        .bind(now_ms() - FEEDBACK_WITHIN_MS)
        .fetch_optional(self.pool())
        .await?
        .map(|row: LinkRow| (row.rateable, row.feedback_token));
        Ok(found.and_then(|(rateable, stored)| {
            stored
                .filter(|stored| same_secret(stored, token))
                .map(|_| rateable)
        }))
    }

    /// The campaign a purchase's feedback link leads to: that of its last scan.
    pub async fn feedback_campaign(&self, id: i64, token: &str) -> DbResult<Option<String>> {
        let found: Option<(Option<String>, String)> = sqlx::query_as(
            "SELECT c.feedback_token, k.slug FROM conversions c \
             JOIN conversion_touches t ON t.conversion_id = c.id \
             JOIN campaigns k ON k.id = t.campaign_id \
             WHERE c.id = $1 ORDER BY t.position DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(found.and_then(|(stored, slug)| {
            stored
                .filter(|stored| same_secret(stored, token))
                .map(|_| slug)
        }))
    }

    /// Stores a rating, placed by the purchase's last scan of the campaign, with a remedy
    /// when it is low and its webhook; a purchase rated before is a `Conflict`.
    pub async fn record_feedback(&self, new: &NewFeedback<'_>) -> DbResult<Feedback> {
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let now = now_ms();
        let place: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT channel_id, batch_id, store_id FROM conversion_touches \
             WHERE conversion_id = $1 AND campaign_id = $2 ORDER BY position DESC LIMIT 1",
        )
        .bind(new.conversion_id)
        .bind(new.campaign_id)
        .fetch_optional(&mut *tx)
        .await?;
        let member: Option<(i64,)> = sqlx::query_as(
            "SELECT v.member_id FROM member_visitors v JOIN members m ON m.id = v.member_id \
             WHERE v.visitor_id = $1 AND m.deleted_at IS NULL",
        )
        .bind(new.visitor_id)
        .fetch_optional(&mut *tx)
        .await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO feedback (conversion_id, campaign_id, channel_id, batch_id, store_id, \
             visitor_id, member_id, rating, comment, photo, photo_thumb, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(new.conversion_id)
        .bind(new.campaign_id)
        .bind(place.map(|p| p.0))
        .bind(place.map(|p| p.1))
        .bind(place.and_then(|p| p.2))
        .bind(new.visitor_id)
        .bind(member.map(|m| m.0))
        .bind(new.rating)
        .bind(new.comment)
        .bind(new.photo.map(|p| p.0))
        .bind(new.photo.map(|p| p.1))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict_as("feedback on this purchase"))?;
        let low = new.rating <= LOW_RATING;
        if low {
            sqlx::query(
                "INSERT INTO remedies (feedback_id, status, created_at, updated_at) \
                 VALUES ($1, 'open', $2, $2)",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let received = WebhookEvent::FeedbackReceived.as_str();
        if webhooks::wanted(&mut tx, received).await? {
            let payload = serde_json::json!({
                "feedback_id": id,
                "conversion_id": new.conversion_id,
                "campaign_id": new.campaign_id,
                "channel_id": place.map(|p| p.0),
                "batch_id": place.map(|p| p.1),
                "store_id": place.and_then(|p| p.2),
                "member_id": member.map(|m| m.0),
                "rating": new.rating,
                "low": low,
                "comment": new.comment,
                "photo_url": new.photo_url,
                "at": to_rfc3339(now),
            });
            webhooks::enqueue(&mut tx, received, &payload.to_string()).await?;
        }
        tx.commit().await?;
        self.feedback_by_id(id).await
    }

    pub async fn feedback_by_id(&self, id: i64) -> DbResult<Feedback> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {FEEDBACK} FROM feedback f LEFT JOIN remedies r ON r.feedback_id = f.id \
             WHERE f.id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)
    }

    /// Feedback in id order, of one campaign and at most one rating when asked.
    pub async fn feedback(
        &self,
        campaign_id: Option<i64>,
        max_rating: Option<i64>,
        page: Page,
    ) -> DbResult<Vec<Feedback>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {FEEDBACK} FROM feedback f LEFT JOIN remedies r ON r.feedback_id = f.id \
             WHERE f.id > $1 AND ($2 IS NULL OR f.campaign_id = $2) \
             AND ($3 IS NULL OR f.rating <= $3) ORDER BY f.id LIMIT $4"
        )))
        .bind(page.after)
        .bind(campaign_id)
        .bind(max_rating)
        .bind(page.limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// A campaign's feedback counted by `column` (`channel_id`, `batch_id` or `store_id`).
    pub async fn feedback_by(
        &self,
        campaign_id: i64,
        column: &'static str,
    ) -> DbResult<Vec<FeedbackRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {column} AS id, COUNT(*) AS ratings, \
             CAST(SUM(rating) AS BIGINT) AS rating_sum, \
             CAST(SUM(CASE WHEN rating <= {LOW_RATING} THEN 1 ELSE 0 END) AS BIGINT) AS low \
             FROM feedback WHERE campaign_id = $1 GROUP BY {column} ORDER BY {column}"
        )))
        .bind(campaign_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn remedies(&self, status: Option<&str>, page: Page) -> DbResult<Vec<Remedy>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {REMEDY} FROM remedies r JOIN feedback f ON f.id = r.feedback_id \
             WHERE r.id > $1 AND ($2 IS NULL OR r.status = $2) ORDER BY r.id LIMIT $3"
        )))
        .bind(page.after)
        .bind(status)
        .bind(page.limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn remedy(&self, id: i64) -> DbResult<Remedy> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {REMEDY} FROM remedies r JOIN feedback f ON f.id = r.feedback_id \
             WHERE r.id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)
    }

    /// Moves a remedy on, noting who handled it.
    pub async fn update_remedy(
        &self,
        id: i64,
        status: Option<&str>,
        note: Option<&str>,
        by: i64,
    ) -> DbResult<Remedy> {
        let changed = sqlx::query(
            "UPDATE remedies SET status = COALESCE($2, status), note = COALESCE($3, note), \
             handled_by = $4, updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(note)
        .bind(by)
        .bind(now_ms())
        .execute(self.pool())
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(DbError::NotFound);
        }
        self.remedy(id).await
    }
}
