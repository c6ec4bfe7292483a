//! What a campaign's team planned with: `PUT` and `GET /api/v1/campaigns/{id}/targets`.
//! The funnel report shows progress against them.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::domain::targets::{Step, Targets};
use crate::http::AppState;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path};

/// A campaign's targets; leave out what is not planned (`{}` plans nothing). Counts are
/// for the whole campaign; a rate is into its step from the one before (0.3 is 30%).
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetsBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    scans: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unique_scanners: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    landing_views: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cta_clicks: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversions: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repeat_purchasers: Option<i64>,
    /// Landing views per unique scanner.
    #[serde(skip_serializing_if = "Option::is_none")]
    landing_views_rate: Option<f64>,
    /// Clicks per landing view.
    #[serde(skip_serializing_if = "Option::is_none")]
    cta_clicks_rate: Option<f64>,
    /// Conversions per click.
    #[serde(skip_serializing_if = "Option::is_none")]
    conversions_rate: Option<f64>,
    /// Repeat purchasers per conversion.
    #[serde(skip_serializing_if = "Option::is_none")]
    repeat_purchasers_rate: Option<f64>,
    /// Spend per conversion at most.
    #[serde(skip_serializing_if = "Option::is_none")]
    cpa_cents: Option<i64>,
    /// Revenue per unit of spend at least.
    #[serde(skip_serializing_if = "Option::is_none")]
    roas: Option<f64>,
    /// Revenue at least, net of refunds.
    #[serde(skip_serializing_if = "Option::is_none")]
    revenue_cents: Option<i64>,
}

impl TargetsBody {
    /// The targets, or a 422 naming the first field out of bounds.
    pub fn validate(&self) -> Result<Targets> {
        let count = |field: &str, value: Option<i64>| {
            value
                .map(|v| {
                    Targets::check_count(v)
                        .map(|()| v)
                        .map_err(|e| AppError::invalid(field, e))
                })
                .transpose()
        };
        let rate = |field: &str, value: Option<f64>| {
            value
                .map(|v| {
                    Targets::check_rate(v)
                        .map(|()| v)
                        .map_err(|e| AppError::invalid(field, e))
                })
                .transpose()
        };
        let mut targets = Targets {
            cpa_cents: count("cpa_cents", self.cpa_cents)?,
            roas: rate("roas", self.roas)?,
            revenue_cents: count("revenue_cents", self.revenue_cents)?,
            ..Targets::default()
        };
        let counts = [
            (Step::Scans, "scans", self.scans),
            (
                Step::UniqueScanners,
                "unique_scanners",
                self.unique_scanners,
            ),
            (Step::LandingViews, "landing_views", self.landing_views),
            (Step::CtaClicks, "cta_clicks", self.cta_clicks),
            (Step::Conversions, "conversions", self.conversions),
            (
                Step::RepeatPurchasers,
                "repeat_purchasers",
                self.repeat_purchasers,
            ),
        ];
        for (step, field, value) in counts {
            targets.counts[step.index()] = count(field, value)?;
        }
        let rates = [
            (
                Step::LandingViews,
                "landing_views_rate",
                self.landing_views_rate,
            ),
            (Step::CtaClicks, "cta_clicks_rate", self.cta_clicks_rate),
            (Step::Conversions, "conversions_rate", self.conversions_rate),
            (
                Step::RepeatPurchasers,
                "repeat_purchasers_rate",
                self.repeat_purchasers_rate,
            ),
        ];
        for (step, field, value) in rates {
            targets.rates[step.index()] = rate(field, value)?;
        }
        Ok(targets)
    }
}

/// The targets stored for a campaign (none: `{}`), validated again on the way out so a
/// stored document cannot break a report.
pub async fn stored(state: &AppState, campaign_id: i64) -> Result<(TargetsBody, Targets)> {
    let Some(json) = state.db.campaign_targets(campaign_id).await? else {
        return Ok((TargetsBody::default(), Targets::default()));
    };
    let body: TargetsBody = serde_json::from_str(&json)
        .map_err(|err| AppError::Internal(anyhow::anyhow!("stored targets: {err}")))?;
    let targets = body.validate()?;
    Ok((body, targets))
}

/// Set what the campaign's team plans to reach; replaces the targets set before.
#[utoipa::path(put, path = "/api/v1/campaigns/{id}/targets", tag = "reports",
    params(("id" = i64, Path, description = "Campaign id")), request_body = TargetsBody,
    responses((status = 200, body = TargetsBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_targets(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<TargetsBody>,
) -> Result<Json<TargetsBody>> {
    state.db.campaign(id).await.map_err(missing("campaign"))?;
    let targets = body.validate()?;
    let json = (!targets.is_empty())
        .then(|| serde_json::to_string(&body))
        .transpose()
        .map_err(|err| AppError::Internal(err.into()))?;
    state.db.set_campaign_targets(id, json).await?;
    Ok(Json(body))
}

/// The campaign's targets (`{}` when none are set).
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/targets", tag = "reports",
    params(("id" = i64, Path, description = "Campaign id")),
    responses((status = 200, body = TargetsBody), (status = 404, body = ErrorBody)))]
pub async fn get_targets(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<TargetsBody>> {
    state.db.campaign(id).await.map_err(missing("campaign"))?;
    Ok(Json(stored(&state, id).await?.0))
}
