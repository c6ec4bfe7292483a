//! `GET /api/v1/reports/referrals`: what members' share links brought a campaign.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ErrorBody;
use super::time::parse_optional;
use crate::db::now_ms;
use crate::http::AppState;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Query};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReferralQuery {
    campaign_id: i64,
    /// Visits and joins from this time: RFC 3339 or YYYY-MM-DD (default: the beginning).
    from: Option<String>,
    /// Visits and joins before this time (default: now).
    to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReferralReport {
    campaign_id: i64,
    /// Members whose share link was opened at least once: sharing happens in chat apps,
    /// out of sight, so a link counts as shared once someone followed it.
    sharers: i64,
    /// Browsers that came through a share link (each counted once).
    visits: i64,
    /// Members who joined through a share link.
    joins: i64,
    /// Of them, those who bought after joining.
    buyers: i64,
    /// Members who joined from the campaign's pages, through a link or not.
    members: i64,
    /// New members each member brought: `joins` over the members who were not brought.
    new_members_per_member: Option<f64>,
    /// Joins per visit.
    join_rate: Option<f64>,
}

/// What members' share links brought the campaign they joined from, by the time of each
/// visit and join.
#[utoipa::path(get, path = "/api/v1/reports/referrals", tag = "reports", params(ReferralQuery),
    responses((status = 200, body = ReferralReport), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn referrals(
    State(state): State<AppState>,
    Query(query): Query<ReferralQuery>,
) -> Result<Json<ReferralReport>> {
    let from = parse_optional("from", query.from.as_deref())?.unwrap_or(0);
    let to = parse_optional("to", query.to.as_deref())?.unwrap_or_else(|| now_ms() + 1);
    if to <= from {
        return Err(AppError::invalid("to", "must be after from"));
    }
    state
        .db
        .campaign(query.campaign_id)
        .await
        .map_err(missing("campaign"))?;
    let counts = state
        .db
        .referral_counts(query.campaign_id, from, to)
        .await?;
    let ratio = |part: i64, whole: i64| (whole > 0).then(|| part as f64 / whole as f64);
    Ok(Json(ReferralReport {
        campaign_id: query.campaign_id,
        sharers: counts.sharers,
        visits: counts.visits,
        joins: counts.joins,
        buyers: counts.buyers,
        members: counts.members,
        new_members_per_member: ratio(counts.joins, counts.members - counts.joins),
        join_rate: ratio(counts.joins, counts.visits),
    }))
}
