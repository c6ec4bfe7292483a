//! How a campaign credits conversions by default: `PUT /api/v1/campaigns/{id}/attribution`,
//! and the same three settings as a report's query parameters.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::campaigns::CampaignView;
use super::{ErrorBody, ModelName};
use crate::domain::attribution::{Model, Rules, Span};
use crate::http::AppState;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path};

/// The attribution settings; what is left out keeps its default (`last_touch`, `7d`, `24h`).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Attribution {
    #[schema(value_type = Option<ModelName>)]
    model: Option<String>,
    /// Lookback window: how long before a purchase a scan may still be credited, such as
    /// `7d`, `36h`, `90m` (1 s to 90 days).
    #[schema(pattern = r"^[0-9]+[dhms]$")]
    window: Option<String>,
    /// Half-life of `time_decay`: a scan this much older than another gets half its credit.
    #[schema(pattern = r"^[0-9]+[dhms]$")]
    half_life: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AttributionView {
    #[schema(value_type = ModelName)]
    pub(crate) model: &'static str,
    pub(crate) window: String,
    pub(crate) half_life: String,
}

impl From<Rules> for AttributionView {
    fn from(r: Rules) -> Self {
        Self {
            model: r.model.as_str(),
            window: r.window.to_string(),
            half_life: r.half_life.to_string(),
        }
    }
}

impl Attribution {
    /// The settings over `base`: each one given replaces the one there.
    pub fn over(&self, base: Rules) -> Result<Rules> {
        rules_over(
            base,
            self.model.as_deref(),
            self.window.as_deref(),
            self.half_life.as_deref(),
        )
    }
}

/// `model`, `window` and `half_life` as given, over `base`.
pub fn rules_over(
    base: Rules,
    model: Option<&str>,
    window: Option<&str>,
    half_life: Option<&str>,
) -> Result<Rules> {
    Ok(Rules {
        model: model
            .map(|m| Model::parse(m).map_err(|e| AppError::invalid("model", e)))
            .transpose()?
            .unwrap_or(base.model),
        window: window
            .map(|w| Span::parse(w).map_err(|e| AppError::invalid("window", e)))
            .transpose()?
            .unwrap_or(base.window),
        half_life: half_life
            .map(|h| Span::parse(h).map_err(|e| AppError::invalid("half_life", e)))
            .transpose()?
            .unwrap_or(base.half_life),
    })
}

/// Set how the campaign's reports credit conversions unless a report asks otherwise.
#[utoipa::path(put, path = "/api/v1/campaigns/{id}/attribution", tag = "campaigns", request_body = Attribution,
    responses((status = 200, body = CampaignView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_attribution(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<Attribution>,
) -> Result<Json<CampaignView>> {
    let rules = body.over(Rules::default())?;
    let campaign = state
        .db
        .set_attribution(id, rules)
        .await
        .map_err(missing("campaign"))?;
    Ok(Json(CampaignView::new(campaign, &state)))
}
