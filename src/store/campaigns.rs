//! Campaigns: what the codes promote, where scans go, and when.

use super::{Db, Page, StoreError, StoreResult, conflict_as, now_ms};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Campaign {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub destination_url: Option<String>,
    pub fallback_url: Option<String>,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub status: String,
    pub landing_title: Option<String>,
    pub landing_body: Option<String>,
    pub cta_label: Option<String>,
    pub cta_url: Option<String>,
    pub created_at: i64,
}

/// A validated campaign, ready to insert.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub slug: String,
    pub name: String,
    pub destination_url: Option<String>,
    pub fallback_url: Option<String>,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub landing_title: Option<String>,
    pub landing_body: Option<String>,
    pub cta_label: Option<String>,
    pub cta_url: Option<String>,
}

const COLUMNS: &str = "id, slug, name, destination_url, fallback_url, starts_at, ends_at, status, \
     landing_title, landing_body, cta_label, cta_url, created_at";

impl Db {
    pub async fn create_campaign(&self, new: NewCampaign) -> StoreResult<Campaign> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO campaigns (slug, name, destination_url, fallback_url, starts_at, ends_at, \
             landing_title, landing_body, cta_label, cta_url, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(new.slug)
        .bind(new.name)
        .bind(new.destination_url)
        .bind(new.fallback_url)
        .bind(new.starts_at)
        .bind(new.ends_at)
        .bind(new.landing_title)
        .bind(new.landing_body)
        .bind(new.cta_label)
        .bind(new.cta_url)
        .bind(now_ms())
        .fetch_one(self.pool())
        .await
        .map_err(conflict_as("a campaign with this slug"))?;
        self.campaign(id).await
    }

    pub async fn campaign(&self, id: i64) -> StoreResult<Campaign> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM campaigns WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn campaign_by_slug(&self, slug: &str) -> StoreResult<Campaign> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM campaigns WHERE slug = $1"
        )))
        .bind(slug.to_owned())
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn campaigns(&self, page: Page) -> StoreResult<Vec<Campaign>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM campaigns WHERE id > $1 ORDER BY id LIMIT $2"
        )))
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn set_campaign_status(&self, id: i64, status: &str) -> StoreResult<Campaign> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query("UPDATE campaigns SET status = $1 WHERE id = $2")
            .bind(status.to_owned())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Db::note_status_change(&mut *tx).await?;
        tx.commit().await?;
        self.campaign(id).await
    }
}
