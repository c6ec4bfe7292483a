//! Campaigns: what the codes promote, where scans go, and when.

use super::{Db, DbError, DbResult, Flag, Page, conflict_as, credits, now_ms};
use crate::domain::attribution::{Model, Rules, Span};
use crate::domain::{Schedule, Slug, Status, TargetUrl, Tracking};

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
    #[sqlx(flatten)]
    pub landing: LandingContent,
    pub hero_image: Option<String>,
    pub hero_small: Option<String>,
    pub hero_width: Option<i64>,
    pub hero_height: Option<i64>,
    /// ISO 4217: the currency its reports and conversions are in.
    pub currency: String,
    #[sqlx(try_from = "String")]
    pub attribution_model: Model,
    pub lookback_ms: i64,
    pub half_life_ms: i64,
    #[sqlx(try_from = "String")]
    pub tracking: Tracking,
    pub created_at: i64,
}

/// What the landing page says and shows, as the API validated it: texts trimmed and
/// bounded, URLs checked, colours written `#rrggbb`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LandingContent {
    pub landing_title: Option<String>,
    pub landing_body: Option<String>,
    /// The buy-online call to action.
    pub cta_label: Option<String>,
    pub cta_url: Option<String>,
    pub store_finder_url: Option<String>,
    pub join_url: Option<String>,
    pub brand_color: Option<String>,
    pub background_color: Option<String>,
    pub hero_alt: Option<String>,
    /// The landing page offers "Share a photo".
    #[sqlx(try_from = "i64")]
    pub photo_sharing: Flag,
    /// New photos are shown at once instead of waiting for moderation.
    #[sqlx(try_from = "i64")]
    pub photo_auto_approve: Flag,
    /// Links the brand must show, such as ingredients or recycling.
    #[sqlx(try_from = "Option<String>")]
    pub info_links: InfoLinks,
}

/// A landing page's information links, stored as a JSON list.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InfoLinks(pub Vec<InfoLink>);

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InfoLink {
    pub label: String,
    pub url: String,
}

impl InfoLinks {
    fn to_json(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| serde_json::to_string(&self.0).unwrap_or_default())
    }
}

impl TryFrom<Option<String>> for InfoLinks {
    type Error = serde_json::Error;

    fn try_from(stored: Option<String>) -> Result<Self, Self::Error> {
        match stored {
            Some(json) => serde_json::from_str(&json).map(Self),
            None => Ok(Self::default()),
        }
    }
}

impl Default for LandingContent {
    fn default() -> Self {
        Self {
            landing_title: None,
            landing_body: None,
            cta_label: None,
            cta_url: None,
            store_finder_url: None,
            join_url: None,
            brand_color: None,
            background_color: None,
            hero_alt: None,
            photo_sharing: Flag(true),
            photo_auto_approve: Flag(false),
            info_links: InfoLinks::default(),
        }
    }
}

/// A campaign's hero image: two sizes of one picture, named as the media store keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hero {
    /// Double-density size, `width` x `height` pixels.
    pub image: String,
    /// Phone size.
    pub small: String,
    pub width: i64,
    pub height: i64,
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
    pub landing: LandingContent,
    pub currency: String,
    pub rules: Rules,
    pub tracking: Tracking,
}

/// What a campaign's edit replaces: its name, where its scans go and when it runs. Its slug
/// and currency stay (links are printed and conversions recorded with them).
#[derive(Debug, Clone)]
pub struct CampaignSettings {
    pub name: String,
    pub destination_url: Option<TargetUrl>,
    pub fallback_url: Option<TargetUrl>,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub tracking: Tracking,
}

impl Campaign {
    pub fn hero(&self) -> Option<Hero> {
        Some(Hero {
            image: self.hero_image.clone()?,
            small: self.hero_small.clone()?,
            width: self.hero_width?,
            height: self.hero_height?,
        })
    }

    /// How its reports credit conversions unless a report asks otherwise.
    pub fn rules(&self) -> Rules {
        let defaults = Rules::default();
        Rules {
            model: self.attribution_model,
            window: Span::from_ms(self.lookback_ms).unwrap_or(defaults.window),
            half_life: Span::from_ms(self.half_life_ms).unwrap_or(defaults.half_life),
        }
    }

    pub fn schedule(&self) -> Schedule {
        Schedule {
            status: self.status,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
        }
    }
}

pub(super) const COLUMNS: &str = "id, slug, name, destination_url, fallback_url, starts_at, ends_at, status, \
     landing_title, landing_body, cta_label, cta_url, store_finder_url, join_url, brand_color, \
     background_color, hero_alt, photo_sharing, photo_auto_approve, hero_image, hero_small, \
     info_links, hero_width, hero_height, currency, attribution_model, lookback_ms, \
     half_life_ms, tracking, created_at";

impl Db {
    pub async fn create_campaign(&self, new: NewCampaign) -> DbResult<Campaign> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO campaigns (slug, name, destination_url, fallback_url, starts_at, ends_at, \
             landing_title, landing_body, cta_label, cta_url, store_finder_url, join_url, \
             brand_color, background_color, hero_alt, photo_sharing, photo_auto_approve, \
             currency, attribution_model, lookback_ms, half_life_ms, created_at, info_links, \
             tracking) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) RETURNING id",
        )
        .bind(new.slug.into_string())
        .bind(new.name)
        .bind(new.destination_url.map(TargetUrl::into_string))
        .bind(new.fallback_url.map(TargetUrl::into_string))
        .bind(new.starts_at)
        .bind(new.ends_at)
        .bind(new.landing.landing_title)
        .bind(new.landing.landing_body)
        .bind(new.landing.cta_label)
        .bind(new.landing.cta_url)
        .bind(new.landing.store_finder_url)
        .bind(new.landing.join_url)
        .bind(new.landing.brand_color)
        .bind(new.landing.background_color)
        .bind(new.landing.hero_alt)
        .bind(i64::from(new.landing.photo_sharing.0))
        .bind(i64::from(new.landing.photo_auto_approve.0))
        .bind(new.currency)
        .bind(new.rules.model.as_str())
        .bind(new.rules.window.ms())
        .bind(new.rules.half_life.ms())
        .bind(now_ms())
        .bind(new.landing.info_links.to_json())
        .bind(new.tracking.as_str())
        .fetch_one(self.pool())
        .await
        .map_err(conflict_as("a campaign with this slug"))?;
        self.campaign(id).await
    }

    /// Replaces the campaign's settings, noting the change for every instance's code cache
    /// in the same transaction (codes route with them); `scans::CodeCache::change_campaign`
    /// is the one caller.
    pub(crate) async fn set_campaign_settings(
        &self,
        id: i64,
        settings: CampaignSettings,
    ) -> DbResult<()> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE campaigns SET name = $1, destination_url = $2, fallback_url = $3, \
             starts_at = $4, ends_at = $5, tracking = $6 WHERE id = $7",
        )
        .bind(settings.name)
        .bind(settings.destination_url.map(TargetUrl::into_string))
        .bind(settings.fallback_url.map(TargetUrl::into_string))
        .bind(settings.starts_at)
        .bind(settings.ends_at)
        .bind(settings.tracking.as_str())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(DbError::NotFound);
        }
        Db::note_status_change(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces everything the landing page says; the hero image stays.
    pub async fn set_landing(&self, id: i64, landing: LandingContent) -> DbResult<Campaign> {
        let changed = sqlx::query(
            "UPDATE campaigns SET landing_title = $1, landing_body = $2, cta_label = $3, \
             cta_url = $4, store_finder_url = $5, join_url = $6, brand_color = $7, \
             background_color = $8, hero_alt = $9, photo_sharing = $10, \
             photo_auto_approve = $11, info_links = $12 WHERE id = $13",
        )
        .bind(landing.landing_title)
        .bind(landing.landing_body)
        .bind(landing.cta_label)
        .bind(landing.cta_url)
        .bind(landing.store_finder_url)
        .bind(landing.join_url)
        .bind(landing.brand_color)
        .bind(landing.background_color)
        .bind(landing.hero_alt)
        .bind(i64::from(landing.photo_sharing.0))
        .bind(i64::from(landing.photo_auto_approve.0))
        .bind(landing.info_links.to_json())
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(DbError::NotFound);
        }
        self.campaign(id).await
    }

    /// Replaces how the campaign's reports credit conversions by default. A new window or
    /// half-life makes the campaign's folded credit stale (`credits`).
    pub async fn set_attribution(&self, id: i64, rules: Rules) -> DbResult<Campaign> {
        let before = self.campaign(id).await?.rules();
        let turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE campaigns SET attribution_model = $1, lookback_ms = $2, half_life_ms = $3 \
             WHERE id = $4",
        )
        .bind(rules.model.as_str())
        .bind(rules.window.ms())
        .bind(rules.half_life.ms())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(DbError::NotFound);
        }
        if (before.window, before.half_life) != (rules.window, rules.half_life) {
            credits::mark_campaign_stale(&mut tx, id).await?;
        }
        tx.commit().await?;
        drop(turn);
        self.campaign(id).await
    }

    /// Sets (or with `None` removes) the hero image; answers the one it replaced.
    pub async fn set_hero(&self, id: i64, hero: Option<Hero>) -> DbResult<Option<Hero>> {
        let before = self.campaign(id).await?.hero();
        let (image, small, width, height) = match hero {
            Some(h) => (Some(h.image), Some(h.small), Some(h.width), Some(h.height)),
            None => (None, None, None, None),
        };
        sqlx::query(
            "UPDATE campaigns SET hero_image = $1, hero_small = $2, hero_width = $3, \
             hero_height = $4 WHERE id = $5",
        )
        .bind(image)
        .bind(small)
        .bind(width)
        .bind(height)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(before)
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
