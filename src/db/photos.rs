//! Photos consumers share: stored pending (or approved, when the campaign approves at
//! once), reviewed through the API, shown in the campaign's gallery, deleted by whoever
//! shared them.

use super::{Db, DbError, DbResult, Page, now_ms, points};

/// How far a photo has come through moderation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoStatus {
    Pending,
    Approved,
    Rejected,
}

impl PhotoStatus {
    pub const ALL: [PhotoStatus; 3] = [Self::Pending, Self::Approved, Self::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

impl TryFrom<String> for PhotoStatus {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("unknown photo status {raw:?}"))
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Photo {
    pub id: i64,
    pub campaign_id: i64,
    pub visitor_id: String,
    #[sqlx(try_from = "String")]
    pub status: PhotoStatus,
    pub caption: Option<String>,
    /// Display size and thumbnail, as the media store names them.
    pub image: String,
    pub thumb: String,
    pub width: i64,
    pub height: i64,
    pub country: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub code_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub created_at: i64,
    pub reviewed_at: Option<i64>,
}

/// A photo to store; its files are already written.
#[derive(Debug, Clone)]
pub struct NewPhoto {
    pub campaign_id: i64,
    pub visitor_id: String,
    pub status: PhotoStatus,
    pub caption: Option<String>,
    pub image: String,
    pub thumb: String,
    pub width: i64,
    pub height: i64,
    pub country: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub code_id: Option<i64>,
    pub channel_id: Option<i64>,
}

const COLUMNS: &str = "id, campaign_id, visitor_id, status, caption, image, thumb, width, \
     height, country, city, latitude, longitude, code_id, channel_id, created_at, reviewed_at";

impl Db {
    /// Stores a photo; one approved at once earns its sharer's points in the same
    /// transaction.
    pub async fn create_photo(&self, new: NewPhoto) -> DbResult<Photo> {
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO photos (campaign_id, visitor_id, status, caption, image, thumb, width, \
             height, country, city, latitude, longitude, code_id, channel_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             RETURNING id",
        )
        .bind(new.campaign_id)
        .bind(new.visitor_id)
        .bind(new.status.as_str())
        .bind(new.caption)
        .bind(new.image)
        .bind(new.thumb)
        .bind(new.width)
        .bind(new.height)
        .bind(new.country)
        .bind(new.city)
        .bind(new.latitude)
        .bind(new.longitude)
        .bind(new.code_id)
        .bind(new.channel_id)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        points::earn_for_photo(&mut tx, id, now_ms()).await?;
        tx.commit().await?;
        self.photo(id).await
    }

    pub async fn photo(&self, id: i64) -> DbResult<Photo> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM photos WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)
    }

    /// Photos for moderation, oldest first, optionally of one status and one campaign.
    pub async fn photos(
        &self,
        status: Option<PhotoStatus>,
        campaign_id: Option<i64>,
        page: Page,
    ) -> DbResult<Vec<Photo>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM photos WHERE id > $1 \
             AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR campaign_id = $3) \
             ORDER BY id LIMIT $4"
        )))
        .bind(page.after)
        .bind(status.map(PhotoStatus::as_str))
        .bind(campaign_id)
        .bind(page.limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// What the gallery may show a visitor: the campaign's latest approved photos, and the
    /// visitor's own photos whatever their status (they see their pending ones).
    pub async fn gallery(
        &self,
        campaign_id: i64,
        visitor_id: Option<&str>,
        limit: i64,
    ) -> DbResult<Vec<Photo>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM photos WHERE campaign_id = $1 \
             AND (status = 'approved' OR visitor_id = $2) ORDER BY id DESC LIMIT $3"
        )))
        .bind(campaign_id)
        .bind(visitor_id.unwrap_or("").to_owned())
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Sets a photo's status; approving it earns its sharer's points (once) in the same
    /// transaction.
    pub async fn review_photo(&self, id: i64, status: PhotoStatus) -> DbResult<Photo> {
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query("UPDATE photos SET status = $1, reviewed_at = $2 WHERE id = $3")
            .bind(status.as_str())
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(DbError::NotFound);
        }
        points::earn_for_photo(&mut tx, id, now_ms()).await?;
        tx.commit().await?;
        self.photo(id).await
    }

    /// Deletes a photo; with `visitor_id`, only if that visitor shared it. Answers the
    /// deleted photo, whose files the caller removes when nothing else shows them.
    pub async fn delete_photo(&self, id: i64, visitor_id: Option<&str>) -> DbResult<Photo> {
        let photo = self.photo(id).await?;
        if visitor_id.is_some_and(|v| v != photo.visitor_id) {
            return Err(DbError::NotFound);
        }
        sqlx::query("DELETE FROM photos WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(photo)
    }

    /// Whether any photo or campaign still shows the picture file `name`.
    pub async fn media_in_use(&self, name: &str) -> DbResult<bool> {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM photos WHERE image = $1 OR thumb = $1) + \
             (SELECT COUNT(*) FROM campaigns WHERE hero_image = $1 OR hero_small = $1) + \
             (SELECT COUNT(*) FROM feedback WHERE photo = $1 OR photo_thumb = $1)",
        )
        .bind(name.to_owned())
        .fetch_one(self.pool())
        .await?;
        Ok(count > 0)
    }
}
