//! `GET /api/v1/visitors/{id}`: a visitor (an `sl_vid` browser) as scanloop knows them:
//! when first and last seen, what they did in each campaign, the stage each reached, and
//! the member they signed in as. The id comes from a member's record, a conversion or a
//! webhook; no contact is ever shown here.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::ErrorBody;
use super::time::to_rfc3339;
use crate::db::VisitorCampaign;
use crate::domain::stage::Stage;
use crate::http::AppState;
use crate::http::error::{AppError, Result};
use crate::http::extract::{Json, Path};

#[derive(Serialize, ToSchema)]
pub struct VisitorView {
    visitor_id: String,
    first_seen: String,
    last_seen: String,
    scans: i64,
    /// Landing views, clicks and photos shared.
    events: i64,
    purchases: i64,
    /// The highest stage reached in any campaign.
    #[schema(value_type = String)]
    stage: Stage,
    /// The member this browser signed in as.
    member_id: Option<i64>,
    /// Earliest first.
    campaigns: Vec<VisitorCampaignView>,
}

#[derive(Serialize, ToSchema)]
pub struct VisitorCampaignView {
    campaign_id: i64,
    first_seen: String,
    last_seen: String,
    /// The channel and store of their first scan (or visit with a code) of the campaign.
    channel_id: Option<i64>,
    store_id: Option<i64>,
    /// The last coarse place they were seen in.
    country: Option<String>,
    city: Option<String>,
    scans: i64,
    events: i64,
    purchases: i64,
    #[schema(value_type = String)]
    stage: Stage,
    /// When each stage reached was first reached.
    reached: Vec<StageReached>,
}

#[derive(Serialize, ToSchema)]
pub struct StageReached {
    #[schema(value_type = String)]
    stage: Stage,
    at: String,
}

impl From<VisitorCampaign> for VisitorCampaignView {
    fn from(v: VisitorCampaign) -> Self {
        let reached = v
            .reached()
            .into_iter()
            .map(|(stage, at)| StageReached {
                stage,
                at: to_rfc3339(at),
            })
            .collect();
        Self {
            campaign_id: v.campaign_id,
            first_seen: to_rfc3339(v.first_seen),
            last_seen: to_rfc3339(v.last_seen),
            channel_id: v.channel_id,
            store_id: v.store_id,
            country: v.country.clone(),
            city: v.city.clone(),
            scans: v.scans,
            events: v.events,
            purchases: v.purchases,
            stage: v.stage(),
            reached,
        }
    }
}

/// One visitor across campaigns. Scans reach it within seconds of being made (a fold
/// behind the redirect); visits, purchases, joins and claims at once.
#[utoipa::path(get, path = "/api/v1/visitors/{id}", tag = "members",
    params(("id" = String, Path, description = "the visitor id: 32 lowercase hex digits")),
    responses((status = 200, body = VisitorView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<VisitorView>> {
    let well_formed = id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !well_formed {
        return Err(AppError::NotFound("visitor"));
    }
    let campaigns = state.db.visitor_campaigns(&id).await?;
    let (Some(first), Some(last)) = (
        campaigns.iter().map(|c| c.first_seen).min(),
        campaigns.iter().map(|c| c.last_seen).max(),
    ) else {
        return Err(AppError::NotFound("visitor"));
    };
    let member_id = state.db.member_of_visitor(&id).await?;
    Ok(Json(VisitorView {
        visitor_id: id,
        first_seen: to_rfc3339(first),
        last_seen: to_rfc3339(last),
        scans: campaigns.iter().map(|c| c.scans).sum(),
        events: campaigns.iter().map(|c| c.events).sum(),
        purchases: campaigns.iter().map(|c| c.purchases).sum(),
        stage: campaigns
            .iter()
            .map(VisitorCampaign::stage)
            .max()
            .unwrap_or(Stage::Aware),
        member_id,
        campaigns: campaigns.into_iter().map(Into::into).collect(),
    }))
}
