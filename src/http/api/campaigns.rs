//! `/api/v1/campaigns`

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::attribution::{Attribution, AttributionView};
use super::conversions::currency;
use super::landing::{Landing, LandingView, url_field};
use super::time::{parse_optional, to_rfc3339};
use super::{ErrorBody, Listing, PageQuery, StatusChange, required_text};
use crate::db::{Campaign, NewCampaign, StatusTarget};
use crate::domain::Slug;
use crate::domain::attribution::Rules;

/// The currency of a campaign created without one.
const DEFAULT_CURRENCY: &str = "CNY";
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path, Query};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaign {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    name: String,
    /// URL name, a-z 0-9 and single inner hyphens; made from `name` when absent.
    #[schema(max_length = 64, pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    slug: Option<String>,
    /// Where scans go (http or https); without one they go to the landing page.
    #[schema(max_length = 2048, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://")]
    destination_url: Option<String>,
    /// Where scans go when the campaign is disabled or outside its dates.
    #[schema(max_length = 2048, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://")]
    fallback_url: Option<String>,
    /// RFC 3339 time (or YYYY-MM-DD), 1970 to 9999-12-31T23:00:00Z.
    #[schema(format = DateTime)]
    starts_at: Option<String>,
    /// After `starts_at`.
    #[schema(format = DateTime)]
    ends_at: Option<String>,
    landing: Option<Landing>,
    /// ISO 4217 currency of its reports and conversions (default CNY); it cannot change
    /// later.
    #[schema(pattern = r"^[A-Za-z]{3}$")]
    currency: Option<String>,
    /// How its reports credit conversions unless a report asks otherwise.
    attribution: Option<Attribution>,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignView {
    id: i64,
    slug: String,
    name: String,
    destination_url: Option<String>,
    fallback_url: Option<String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    /// `active` or `disabled`.
    status: String,
    landing: LandingView,
    /// The campaign's own page.
    landing_url: String,
    currency: String,
    attribution: AttributionView,
    created_at: String,
}

impl CampaignView {
    pub fn new(c: Campaign, state: &AppState) -> Self {
        Self {
            landing: LandingView::new(&c, &state.settings.public_url),
            landing_url: format!("{}/c/{}", state.settings.public_url, c.slug),
            attribution: c.rules().into(),
            id: c.id,
            slug: c.slug,
            name: c.name,
            destination_url: c.destination_url,
            fallback_url: c.fallback_url,
            starts_at: c.starts_at.map(to_rfc3339),
            ends_at: c.ends_at.map(to_rfc3339),
            status: c.status.as_str().to_owned(),
            currency: c.currency,
            created_at: to_rfc3339(c.created_at),
        }
    }
}

impl CreateCampaign {
    fn validate(self) -> Result<NewCampaign> {
        let name = required_text("name", &self.name, 200)?;
        let slug = match &self.slug {
            Some(s) => Slug::parse(s),
            None => Slug::from_name(&name),
        }
        .map_err(|m| AppError::invalid("slug", m))?;
        let starts_at = parse_optional("starts_at", self.starts_at.as_deref())?;
        let ends_at = parse_optional("ends_at", self.ends_at.as_deref())?;
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            return Err(AppError::invalid("ends_at", "must be after starts_at"));
        }
        Ok(NewCampaign {
            slug,
            name,
            destination_url: url_field("destination_url", self.destination_url.as_deref())?,
            fallback_url: url_field("fallback_url", self.fallback_url.as_deref())?,
            starts_at,
            ends_at,
            landing: self.landing.unwrap_or_default().validate()?,
            currency: currency(
                "currency",
                self.currency.as_deref().unwrap_or(DEFAULT_CURRENCY),
            )?,
            rules: self
                .attribution
                .unwrap_or_default()
                .over(Rules::default())?,
        })
    }
}

/// Create a campaign.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CreateCampaign,
    responses((status = 201, body = CampaignView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Json(body): Json<CreateCampaign>,
) -> Result<(StatusCode, Json<CampaignView>)> {
    let campaign = state.db.create_campaign(body.validate()?).await?;
    Ok((
        StatusCode::CREATED,
        Json(CampaignView::new(campaign, &state)),
    ))
}

/// List campaigns, oldest first.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", params(PageQuery),
    responses((status = 200, body = Listing<CampaignView>)))]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Listing<CampaignView>>> {
    let page = query.page()?;
    let items = state.db.campaigns(page).await?;
    let items = items
        .into_iter()
        .map(|c| CampaignView::new(c, &state))
        .collect();
    Ok(Json(Listing::new(items, page, |c: &CampaignView| c.id)))
}

/// Read one campaign.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns",
    responses((status = 200, body = CampaignView), (status = 404, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<CampaignView>> {
    let campaign = state.db.campaign(id).await.map_err(missing("campaign"))?;
    Ok(Json(CampaignView::new(campaign, &state)))
}

/// Enable or disable a campaign: a disabled campaign's codes go to its fallback URL.
#[utoipa::path(patch, path = "/api/v1/campaigns/{id}", tag = "campaigns", request_body = StatusChange,
    responses((status = 200, body = CampaignView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<StatusChange>,
) -> Result<Json<CampaignView>> {
    body.apply(&state, &caller, StatusTarget::Campaign(id), "campaign")
        .await?;
    let campaign = state.db.campaign(id).await.map_err(missing("campaign"))?;
    Ok(Json(CampaignView::new(campaign, &state)))
}
