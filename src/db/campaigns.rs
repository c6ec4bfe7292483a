//! Campaigns: what the codes promote, where scans go, and when.

use super::{Db, DbError, DbResult, Page, conflict_as, now_ms};
use crate::domain::{Schedule, Slug, Status, TargetUrl};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Campaign {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub destination_url: Option<String>,
    pub fallback_url: Option<String>,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub landing_title: Option<String>,
    pub landing_body: Option<String>,
    pub cta_label: Option<String>,
    pub cta_url: Option<String>,
    pub created_at: i64,
}

/// A validated campaign, ready to insert.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub slug: Slug,
    pub name: String,
    pub destination_url: Option<TargetUrl>,
    pub fallback_url: Option<TargetUrl>,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub landing_title: Option<String>,
    pub landing_body: Option<String>,
    pub cta_label: Option<String>,
    pub cta_url: Option<TargetUrl>,
}

impl Campaign {
    pub fn schedule(&self) -> Schedule {
        Schedule {
            status: self.status,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
        }
    }
}

const COLUMNS: &str = "id, slug, name, destination_url, fallback_url, starts_at, ends_at, status, \
     landing_title, landing_body, cta_label, cta_url, created_at";

impl Db {
    pub async fn create_campaign(&self, new: NewCampaign) -> DbResult<Campaign> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO campaigns (slug, name, destination_url, fallback_url, starts_at, ends_at, \
             landing_title, landing_body, cta_label, cta_url, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(new.slug.into_string())
        .bind(new.name)
        .bind(new.destination_url.map(TargetUrl::into_string))
        .bind(new.fallback_url.map(TargetUrl::into_string))
        .bind(new.starts_at)
        .bind(new.ends_at)
        .bind(new.landing_title)
        .bind(new.landing_body)
        .bind(new.cta_label)
        .bind(new.cta_url.map(TargetUrl::into_string))
        .bind(now_ms())
        .fetch_one(self.pool())
        .await
        .map_err(conflict_as("a campaign with this slug"))?;
        self.campaign(id).await
    }

    pub async fn campaign(&self, id: i64) -> DbResult<Campaign> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM campaigns WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)
    }

    pub async fn campaign_by_slug(&self, slug: &str) -> DbResult<Campaign> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM campaigns WHERE slug = $1"
        )))
        .bind(slug.to_owned())
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)
    }

    pub async fn campaigns(&self, page: Page) -> DbResult<Vec<Campaign>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM campaigns WHERE id > $1 ORDER BY id LIMIT $2"
        )))
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(self.pool())
        .await?)
    }
}
