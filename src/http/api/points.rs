//! Points: a campaign's rules (`PUT`/`GET /api/v1/campaigns/{id}/points-rules`; a campaign
//! with rules offers membership on its page), a member's ledger
//! (`GET /api/v1/members/{id}/points`), and points given or spent by the brand
//! (`POST /api/v1/members/{id}/points`; a spend larger than the balance is a 422).

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::time::to_rfc3339;
use super::{ErrorBody, Listing, PageQuery, multiline_text};
use crate::db::{Adjustment, LedgerEntry};
use crate::domain::points::{MAX_POINTS, PointsRules, Tier};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path, Query};

const NOTE_MAX: usize = 200;

/// What earns a member points from the campaign, and the limits.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointsRulesBody {
    /// For the first scan of a unique code: once per code, to the first member who claims
    /// it on the code's page (0: none).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    first_scan: i64,
    /// For each whole unit (yuan) of a purchase whose last scan before it was of this
    /// campaign, by a browser signed in as the member.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    per_yuan: i64,
    /// For a photo the member shared on the campaign's page, once it is approved.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    photo_approved: i64,
    /// To a member whose share link (`/r/{code}`) brought someone who joined.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    referral_join: i64,
    /// To a member whose share link brought someone who then bought: their first purchase.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    referral_purchase: i64,
    /// The points a member may earn from the campaign in any 24 hours.
    #[schema(minimum = 1, maximum = 1_000_000)]
    daily_cap: Option<i64>,
    /// The unique codes one network (/24 or /48) may claim in any 24 hours.
    #[schema(minimum = 1, maximum = 1_000_000)]
    network_daily_claims: Option<i64>,
    /// Lowest first; a member is in the highest tier whose `min_points` they earned in
    /// all, counted by the rules of the campaign they joined from.
    #[serde(default)]
    #[schema(max_items = 10)]
    tiers: Vec<TierBody>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierBody {
    #[schema(min_length = 1, max_length = 40)]
    name: String,
    #[schema(minimum = 0, maximum = 1_000_000)]
    min_points: i64,
}

impl From<PointsRules> for PointsRulesBody {
    fn from(rules: PointsRules) -> Self {
        Self {
            first_scan: rules.first_scan,
            per_yuan: rules.per_yuan,
            photo_approved: rules.photo_approved,
            referral_join: rules.referral_join,
            referral_purchase: rules.referral_purchase,
            daily_cap: rules.daily_cap,
            network_daily_claims: rules.network_daily_claims,
            tiers: rules
                .tiers
                .into_iter()
                .map(|t| TierBody {
                    name: t.name,
                    min_points: t.min_points,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EntryView {
    id: i64,
    /// Negative for a spend.
    points: i64,
    balance_after: i64,
    /// `first_scan`, `purchase`, `photo`, `referral_join`, `referral_purchase`, `spend`,
    /// `adjust` or `deleted` (the balance forfeited when the member deleted themselves).
    reason: String,
    campaign_id: Option<i64>,
    code_id: Option<i64>,
    conversion_id: Option<i64>,
    photo_id: Option<i64>,
    /// The member whose joining or purchase earned a referral's points.
    referred_id: Option<i64>,
    note: Option<String>,
    /// The user who gave or spent them through the API.
    created_by: Option<i64>,
    created_at: String,
}

impl From<LedgerEntry> for EntryView {
    fn from(e: LedgerEntry) -> Self {
        Self {
            id: e.id,
            points: e.points,
            balance_after: e.balance_after,
            reason: e.reason,
            campaign_id: e.campaign_id,
            code_id: e.code_id,
            conversion_id: e.conversion_id,
            photo_id: e.photo_id,
            referred_id: e.referred_id,
            note: e.note,
            created_by: e.created_by,
            created_at: to_rfc3339(e.created_at),
        }
    }
}

/// Set the campaign's points rules; replaces the rules set before.
#[utoipa::path(put, path = "/api/v1/campaigns/{id}/points-rules", tag = "members",
    params(("id" = i64, Path, description = "Campaign id")), request_body = PointsRulesBody,
    responses((status = 200, body = PointsRulesBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_rules(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<PointsRulesBody>,
) -> Result<Json<PointsRulesBody>> {
    state.db.campaign(id).await.map_err(missing("campaign"))?;
    let rules = PointsRules {
        first_scan: body.first_scan,
        per_yuan: body.per_yuan,
        photo_approved: body.photo_approved,
        referral_join: body.referral_join,
        referral_purchase: body.referral_purchase,
        daily_cap: body.daily_cap,
        network_daily_claims: body.network_daily_claims,
        tiers: body
            .tiers
            .into_iter()
            .map(|t| Tier {
                name: t.name,
                min_points: t.min_points,
            })
            .collect(),
    }
    .check()
    .map_err(|(field, why)| AppError::invalid(&field, why))?;
    state
        .db
        .set_points_rules(id, &rules, caller.user_id)
        .await?;
    tracing::info!(user = caller.user_id, campaign = id, "points rules set");
    Ok(Json(rules.into()))
}

/// The campaign's points rules: all 0 and no tiers (nothing earns points) until they are
/// set. 404 for no such campaign.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/points-rules", tag = "members",
    params(("id" = i64, Path, description = "Campaign id")),
    responses((status = 200, body = PointsRulesBody), (status = 404, body = ErrorBody)))]
pub async fn get_rules(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<PointsRulesBody>> {
    state.db.campaign(id).await.map_err(missing("campaign"))?;
    let rules = state.db.points_rules(id).await?.unwrap_or_default();
    Ok(Json(rules.into()))
}

/// A member's points ledger, oldest first.
#[utoipa::path(get, path = "/api/v1/members/{id}/points", tag = "members", params(PageQuery),
    responses((status = 200, body = Listing<EntryView>), (status = 404, body = ErrorBody)))]
pub async fn ledger(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Listing<EntryView>>> {
    let page = query.page()?;
    state.db.member(id).await.map_err(missing("member"))?;
    let entries = state.db.ledger(id, page).await?;
    let items = entries.into_iter().map(EntryView::from).collect();
    Ok(Json(Listing::new(items, page, |e: &EntryView| e.id)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustBody {
    /// Points to give, or negative to spend (a reward redeemed).
    #[schema(minimum = -1_000_000, maximum = 1_000_000)]
    points: i64,
    /// Why, for the member's history.
    #[schema(max_length = 200)]
    note: Option<String>,
}

/// Give a member points, or spend theirs; a spend larger than the balance changes nothing.
#[utoipa::path(post, path = "/api/v1/members/{id}/points", tag = "members", request_body = AdjustBody,
    responses((status = 201, body = EntryView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The member deleted their membership."),
        (status = 422, body = ErrorBody)))]
pub async fn adjust(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<AdjustBody>,
) -> Result<(StatusCode, Json<EntryView>)> {
    if body.points == 0 || body.points.abs() > MAX_POINTS {
        return Err(AppError::invalid(
            "points",
            format!("must be between -{MAX_POINTS} and {MAX_POINTS}, and not 0"),
        ));
    }
    let note = multiline_text("note", body.note.as_deref(), NOTE_MAX)?;
    let member = state.db.member(id).await.map_err(missing("member"))?;
    if member.deleted_at.is_some() {
        return Err(AppError::Conflict(
            "this member deleted their membership".into(),
        ));
    }
    let adjustment = Adjustment {
        member_id: id,
        points: body.points,
        note: note.as_deref(),
        by: caller.user_id,
    };
    match state.db.adjust_points(&adjustment).await? {
        Ok(entry) => Ok((StatusCode::CREATED, Json(entry.into()))),
        Err(balance) => Err(AppError::invalid(
            "points",
            format!(
                "the member has {balance} points: a spend of {} is larger than the balance",
                -body.points
            ),
        )),
    }
}
