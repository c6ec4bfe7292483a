//! Limited offers: `POST /api/v1/campaigns/{id}/offers` sends the first `limit` people (or
//! unique codes) to scan the campaign's codes, or one batch's, to the offer's URL, and
//! everyone after to its fallback; exact across instances. `GET /api/v1/offers/{id}` says
//! how many places remain; `DELETE` ends it. Offers are kept after they end.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::landing::url_field;
use super::time::to_rfc3339;
use super::{ErrorBody, OfferCountsName};
use crate::db::{DbError, NewOffer, Offer};
use crate::domain::{BatchMode, OfferCounts, TargetUrl};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path};

/// The most places one offer gives.
const MAX_LIMIT: i64 = 100_000_000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOffer {
    /// How many claim the offer: the first this many (1 to 100,000,000).
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub(crate) limit: i64,
    /// `visitors` (default): each person once, whichever codes they scan; `codes`: each
    /// unique code (printed item) once, whoever scans it (shared codes take no part).
    #[schema(value_type = Option<OfferCountsName>)]
    pub(crate) counts: Option<String>,
    /// Where the first ones go (http or https).
    #[schema(max_length = 2048, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://")]
    pub(crate) url: String,
    /// Where the rest go once the places are taken; without one, where the campaign sends
    /// them anyway.
    #[schema(max_length = 2048, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://")]
    pub(crate) fallback_url: Option<String>,
    /// Only this batch's codes (of this campaign) take part; without one, all of them. A
    /// batch's own offer wins over the campaign's.
    pub(crate) batch_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct OfferView {
    id: i64,
    campaign_id: i64,
    batch_id: Option<i64>,
    #[schema(value_type = OfferCountsName)]
    counts: &'static str,
    limit: i64,
    /// Places taken.
    claimed: i64,
    /// Places left.
    remaining: i64,
    url: String,
    fallback_url: Option<String>,
    /// `standing`, `used_up` (every place taken; scans go to the fallback) or `ended`.
    status: &'static str,
    created_at: String,
    created_by: i64,
    ended_at: Option<String>,
    ended_by: Option<i64>,
}

impl From<Offer> for OfferView {
    fn from(o: Offer) -> Self {
        let status = o.status();
        Self {
            id: o.id,
            campaign_id: o.campaign_id,
            batch_id: o.batch_id,
            counts: o.counts.as_str(),
            limit: o.max_claims,
            claimed: o.claimed,
            remaining: o.remaining(),
            status,
            url: o.url,
            fallback_url: o.fallback_url,
            created_at: to_rfc3339(o.created_at),
            created_by: o.created_by,
            ended_at: o.ended_at.map(to_rfc3339),
            ended_by: o.ended_by,
        }
    }
}

impl CreateOffer {
    async fn validate(self, state: &AppState, campaign_id: i64, by: i64) -> Result<NewOffer> {
        let campaign = state
            .db
            .campaign(campaign_id)
            .await
            .map_err(missing("campaign"))?;
        if !campaign.tracking.is_full() {
            return Err(AppError::Conflict(
                "the campaign does not track (tracking none), so it runs no offers: an offer \
                 must know who claimed it"
                    .into(),
            ));
        }
        if !(1..=MAX_LIMIT).contains(&self.limit) {
            return Err(AppError::invalid(
                "limit",
                format!("must be from 1 to {MAX_LIMIT}, not {}", self.limit),
            ));
        }
        let counts = match self.counts.as_deref() {
            Some(raw) => OfferCounts::parse(raw).map_err(|m| AppError::invalid("counts", m))?,
            None => OfferCounts::Visitors,
        };
        let url = TargetUrl::parse(&self.url)
            .map_err(|m| AppError::invalid("url", m))?
            .into_string();
        let fallback_url =
            url_field("fallback_url", self.fallback_url.as_deref())?.map(TargetUrl::into_string);
        if let Some(batch_id) = self.batch_id {
            let batch = state
                .db
                .batch(batch_id)
                .await
                .ok()
                .filter(|b| b.campaign_id == campaign_id)
                .ok_or_else(|| {
                    AppError::invalid(
                        "batch_id",
                        format!("batch {batch_id} is not one of this campaign's"),
                    )
                })?;
            if counts == OfferCounts::Codes && batch.mode == BatchMode::Shared {
                return Err(AppError::invalid(
                    "counts",
                    "a shared batch is one code, so it cannot count codes: count visitors",
                ));
            }
        }
        Ok(NewOffer {
            campaign_id,
            batch_id: self.batch_id,
            counts,
            max_claims: self.limit,
            url,
            fallback_url,
            created_by: by,
        })
    }
}

/// Start a limited offer on a campaign's codes (or one batch's).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/offers", tag = "offers", request_body = CreateOffer,
    responses((status = 201, body = OfferView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "An offer already stands for the campaign (or the batch), or the campaign does not track."),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<CreateOffer>,
) -> Result<(StatusCode, Json<OfferView>)> {
    let new = body.validate(&state, id, caller.user_id).await?;
    let offer = match state.codes.start_offer(new).await {
        Ok(offer) => offer,
        Err(DbError::Conflict(message)) => return Err(AppError::Conflict(message)),
        Err(err) => return Err(missing("campaign")(err)),
    };
    tracing::info!(
        user = caller.user_id,
        offer = offer.id,
        campaign = id,
        limit = offer.max_claims,
        "offer started"
    );
    Ok((StatusCode::CREATED, Json(offer.into())))
}

/// A campaign's offers, standing and ended, newest first.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/offers", tag = "offers",
    responses((status = 200, body = Vec<OfferView>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<OfferView>>> {
    state.db.campaign(id).await.map_err(missing("campaign"))?;
    let offers = state.db.campaign_offers(id).await?;
    Ok(Json(offers.into_iter().map(OfferView::from).collect()))
}

/// Read one offer: how many places are taken and left.
#[utoipa::path(get, path = "/api/v1/offers/{id}", tag = "offers",
    responses((status = 200, body = OfferView), (status = 404, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<OfferView>> {
    let offer = state.db.offer(id).await.map_err(missing("offer"))?;
    Ok(Json(offer.into()))
}

/// End an offer: its codes go where their campaign sends them again. The offer and its
/// claims are kept.
#[utoipa::path(delete, path = "/api/v1/offers/{id}", tag = "offers",
    responses((status = 200, body = OfferView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Already ended.")))]
pub async fn end(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<OfferView>> {
    let offer = state
        .codes
        .end_offer(id, caller.user_id)
        .await
        .map_err(missing("offer"))?;
    tracing::info!(user = caller.user_id, offer = id, "offer ended");
    Ok(Json(offer.into()))
}
