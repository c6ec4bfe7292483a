//! `/api/v1/campaigns`

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::attribution::{Attribution, AttributionView};
use super::conversions::currency;
use super::landing::{Landing, LandingView, url_field};
use super::time::{parse_optional, to_rfc3339};
use super::{ErrorBody, Listing, PageQuery, StatusName, TrackingName, required_text};
use crate::db::{Campaign, CampaignSettings, NewCampaign, StatusTarget};
use crate::domain::attribution::Rules;
use crate::domain::{Slug, Status, Tracking};

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
    pub(crate) name: String,
    /// URL name, a-z 0-9 and single inner hyphens; made from `name` when absent.
    #[schema(max_length = 64, pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub(crate) slug: Option<String>,
    /// Where scans go (http or https); without one they go to the landing page.
    #[schema(max_length = 2048, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://")]
    pub(crate) destination_url: Option<String>,
    /// Where scans go when the campaign is disabled or outside its dates.
    #[schema(max_length = 2048, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://")]
    pub(crate) fallback_url: Option<String>,
    /// RFC 3339 time (or YYYY-MM-DD), 1970 to 9999-12-31T23:00:00Z.
    #[schema(format = DateTime)]
    pub(crate) starts_at: Option<String>,
    /// After `starts_at`.
    #[schema(format = DateTime)]
    pub(crate) ends_at: Option<String>,
    pub(crate) landing: Option<Landing>,
    /// ISO 4217 currency of its reports and conversions (default CNY); it cannot change
    /// later.
    #[schema(pattern = r"^[A-Za-z]{3}$")]
    pub(crate) currency: Option<String>,
    /// How its reports credit conversions unless a report asks otherwise.
    pub(crate) attribution: Option<Attribution>,
    /// `full` (the default) or `none`: see `CampaignView.tracking`.
    #[schema(value_type = Option<TrackingName>)]
    pub(crate) tracking: Option<String>,
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
    #[schema(value_type = TrackingName)]
    tracking: String,
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
            tracking: c.tracking.as_str().to_owned(),
            created_at: to_rfc3339(c.created_at),
        }
    }
}

impl CreateCampaign {
    pub(crate) fn validate(self) -> Result<NewCampaign> {
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
            tracking: tracking_field(self.tracking.as_deref())?.unwrap_or_default(),
        })
    }
}

fn tracking_field(raw: Option<&str>) -> Result<Option<Tracking>> {
    raw.map(|t| Tracking::parse(t).map_err(|m| AppError::invalid("tracking", m)))
        .transpose()
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

/// What `PATCH /api/v1/campaigns/{id}` changes: any of these, the rest stays. `null`
/// removes an optional one (a destination, a fallback, a date).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CampaignChange {
    /// `active` or `disabled` (a disabled campaign's codes go to its fallback URL).
    #[schema(value_type = Option<StatusName>)]
    pub status: Option<String>,
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: Option<String>,
    /// Where scans go from now on, printed codes included; `null`: to the landing page.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable, max_length = 2048, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://")]
    pub destination_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable, max_length = 2048, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://")]
    pub fallback_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable, format = DateTime)]
    pub starts_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable, format = DateTime)]
    pub ends_at: Option<Option<String>>,
    /// `full` or `none`, for the scans from now on; what was stored stays.
    #[schema(value_type = Option<TrackingName>)]
    pub tracking: Option<String>,
}

/// A field that was sent, `null` or not: `Some(None)` for `null`, `None` (the default) when
/// absent.
pub(super) fn present<'de, D, T>(
    deserializer: D,
) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl CampaignChange {
    fn touches_settings(&self) -> bool {
        self.name.is_some()
            || self.destination_url.is_some()
            || self.fallback_url.is_some()
            || self.starts_at.is_some()
            || self.ends_at.is_some()
            || self.tracking.is_some()
    }

    /// The campaign's settings with this change applied, checked as a new campaign's are.
    pub fn settings(&self, current: &Campaign) -> Result<CampaignSettings> {
        let name = match &self.name {
            Some(name) => required_text("name", name, 200)?,
            None => current.name.clone(),
        };
        let url = |field: &str, change: &Option<Option<String>>, now: &Option<String>| match change
        {
            Some(sent) => url_field(field, sent.as_deref()),
            None => url_field(field, now.as_deref()),
        };
        let time = |field: &str, change: &Option<Option<String>>, now: Option<i64>| match change {
            Some(sent) => parse_optional(field, sent.as_deref()),
            None => Ok(now),
        };
        let starts_at = time("starts_at", &self.starts_at, current.starts_at)?;
        let ends_at = time("ends_at", &self.ends_at, current.ends_at)?;
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            return Err(AppError::invalid("ends_at", "must be after starts_at"));
        }
        Ok(CampaignSettings {
            name,
            destination_url: url(
                "destination_url",
                &self.destination_url,
                &current.destination_url,
            )?,
            fallback_url: url("fallback_url", &self.fallback_url, &current.fallback_url)?,
            starts_at,
            ends_at,
            tracking: tracking_field(self.tracking.as_deref())?.unwrap_or(current.tracking),
        })
    }

    /// Checks the whole change, then applies it: the settings, then the status.
    pub async fn apply(&self, state: &AppState, caller: &Caller, id: i64) -> Result<Campaign> {
        let current = state.db.campaign(id).await.map_err(missing("campaign"))?;
        let status = self
            .status
            .as_deref()
            .map(|s| Status::parse(s).map_err(|m| AppError::invalid("status", m)))
            .transpose()?;
        if !self.touches_settings() && status.is_none() {
            return Err(AppError::invalid(
                "status",
                "send at least one of status, name, destination_url, fallback_url, starts_at, \
                 ends_at or tracking",
            ));
        }
        if self.touches_settings() {
            let settings = self.settings(&current)?;
            state
                .codes
                .change_campaign(id, settings)
                .await
                .map_err(missing("campaign"))?;
            tracing::info!(
                user = caller.user_id,
                key = caller.key_id,
                campaign = id,
                "campaign changed"
            );
        }
        if let Some(status) = status {
            state
                .codes
                .change_status(StatusTarget::Campaign(id), status)
                .await
                .map_err(missing("campaign"))?;
            tracing::info!(
                user = caller.user_id,
                key = caller.key_id,
                campaign = id,
                status = status.as_str(),
                "status changed"
            );
        }
        state.db.campaign(id).await.map_err(missing("campaign"))
    }
}

/// Change a campaign: enable or disable it, rename it, or change where its codes go (printed
/// ones too) and when it runs. Its slug and currency stay.
#[utoipa::path(patch, path = "/api/v1/campaigns/{id}", tag = "campaigns", request_body = CampaignChange,
    responses((status = 200, body = CampaignView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<CampaignChange>,
) -> Result<Json<CampaignView>> {
    let campaign = body.apply(&state, &caller, id).await?;
    Ok(Json(CampaignView::new(campaign, &state)))
}
