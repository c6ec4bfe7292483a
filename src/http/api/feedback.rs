//! Post-purchase feedback: `GET /api/v1/feedback` (ratings and comments),
//! `GET /api/v1/reports/feedback` (per channel, batch and store), and the remedies low
//! ratings open: `GET /api/v1/remedies`, `PATCH /api/v1/remedies/{id}`.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::time::to_rfc3339;
use super::{ErrorBody, Listing, PageQuery, multiline_text};
use crate::db::{Feedback, FeedbackRow, Remedy};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path, Query};

const NOTE_MAX: usize = 1000;
const STATUSES: [&str; 3] = ["open", "in_progress", "done"];

#[derive(Serialize, ToSchema)]
pub struct FeedbackView {
    id: i64,
    conversion_id: i64,
    campaign_id: i64,
    /// Where the purchase's last scan of the campaign was.
    channel_id: Option<i64>,
    batch_id: Option<i64>,
    store_id: Option<i64>,
    member_id: Option<i64>,
    /// 1 (poor) to 5 (excellent).
    rating: i64,
    /// 2 or less: a remedy was opened.
    low: bool,
    comment: Option<String>,
    /// The photo sent with the rating (without metadata), and its thumbnail.
    photo_url: Option<String>,
    photo_thumb_url: Option<String>,
    remedy_id: Option<i64>,
    created_at: String,
}

impl FeedbackView {
    fn new(f: Feedback, media: &str) -> Self {
        Self {
            id: f.id,
            conversion_id: f.conversion_id,
            campaign_id: f.campaign_id,
            channel_id: f.channel_id,
            batch_id: f.batch_id,
            store_id: f.store_id,
            member_id: f.member_id,
            rating: f.rating,
            low: f.rating <= crate::db::LOW_RATING,
            comment: f.comment,
            photo_url: f.photo.map(|name| format!("{media}/{name}")),
            photo_thumb_url: f.photo_thumb.map(|name| format!("{media}/{name}")),
            remedy_id: f.remedy_id,
            created_at: to_rfc3339(f.created_at),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedbackFilter {
    campaign_id: Option<i64>,
    /// Only ratings at or below this (2: the low ones).
    #[param(minimum = 1, maximum = 5)]
    max_rating: Option<i64>,
}

/// Ratings and comments, oldest first.
#[utoipa::path(get, path = "/api/v1/feedback", tag = "members", params(PageQuery, FeedbackFilter),
    responses((status = 200, body = Listing<FeedbackView>), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
    Query(filter): Query<FeedbackFilter>,
) -> Result<Json<Listing<FeedbackView>>> {
    let page = query.page()?;
    if filter.max_rating.is_some_and(|r| !(1..=5).contains(&r)) {
        return Err(AppError::BadRequest("max_rating must be 1 to 5".into()));
    }
    let rows = state
        .db
        .feedback(filter.campaign_id, filter.max_rating, page)
        .await?;
    let media = media_base(&state);
    let items = rows
        .into_iter()
        .map(|f| FeedbackView::new(f, &media))
        .collect();
    Ok(Json(Listing::new(items, page, |f: &FeedbackView| f.id)))
}

#[derive(Serialize, ToSchema)]
pub struct FeedbackReport {
    campaign_id: i64,
    total: FeedbackCounts,
    channels: Vec<FeedbackCounts>,
    batches: Vec<FeedbackCounts>,
    stores: Vec<FeedbackCounts>,
}

#[derive(Serialize, ToSchema)]
pub struct FeedbackCounts {
    /// The channel, batch or store (absent in the total, and for purchases placed nowhere).
    id: Option<i64>,
    ratings: i64,
    average_rating: Option<f64>,
    /// Ratings of 2 or less.
    low: i64,
}

impl From<FeedbackRow> for FeedbackCounts {
    fn from(row: FeedbackRow) -> Self {
        Self {
            id: row.id,
            ratings: row.ratings,
            average_rating: (row.ratings > 0).then(|| row.rating_sum as f64 / row.ratings as f64),
            low: row.low,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedbackReportQuery {
    campaign_id: i64,
}

/// A campaign's ratings per channel, batch and store of each purchase's last scan.
#[utoipa::path(get, path = "/api/v1/reports/feedback", tag = "reports", params(FeedbackReportQuery),
    responses((status = 200, body = FeedbackReport), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    Query(query): Query<FeedbackReportQuery>,
) -> Result<Json<FeedbackReport>> {
    let id = query.campaign_id;
    state.db.campaign(id).await.map_err(missing("campaign"))?;
    let rows = |column| state.db.feedback_by(id, column);
    let (channels, batches, stores) = (
        rows("channel_id").await?,
        rows("batch_id").await?,
        rows("store_id").await?,
    );
    let total = FeedbackRow {
        id: None,
        ratings: channels.iter().map(|r| r.ratings).sum(),
        rating_sum: channels.iter().map(|r| r.rating_sum).sum(),
        low: channels.iter().map(|r| r.low).sum(),
    };
    let counts = |rows: Vec<FeedbackRow>| rows.into_iter().map(FeedbackCounts::from).collect();
    Ok(Json(FeedbackReport {
        campaign_id: id,
        total: total.into(),
        channels: counts(channels),
        batches: counts(batches),
        stores: counts(stores),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct RemedyView {
    id: i64,
    feedback_id: i64,
    conversion_id: i64,
    campaign_id: i64,
    /// `open`, `in_progress` or `done`.
    status: String,
    rating: i64,
    comment: Option<String>,
    /// The photo sent with the rating.
    photo_url: Option<String>,
    /// The user who last moved it on.
    handled_by: Option<i64>,
    note: Option<String>,
    created_at: String,
    updated_at: String,
}

impl RemedyView {
    fn new(r: Remedy, media: &str) -> Self {
        Self {
            id: r.id,
            feedback_id: r.feedback_id,
            conversion_id: r.conversion_id,
            campaign_id: r.campaign_id,
            status: r.status,
            rating: r.rating,
            comment: r.comment,
            photo_url: r.photo.map(|name| format!("{media}/{name}")),
            handled_by: r.handled_by,
            note: r.note,
            created_at: to_rfc3339(r.created_at),
            updated_at: to_rfc3339(r.updated_at),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemedyFilter {
    /// `open`, `in_progress` or `done`.
    status: Option<String>,
}

/// Remedies low ratings opened, oldest first: `?status=open` is the to-do list.
#[utoipa::path(get, path = "/api/v1/remedies", tag = "members", params(PageQuery, RemedyFilter),
    responses((status = 200, body = Listing<RemedyView>), (status = 400, body = ErrorBody)))]
pub async fn remedies(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
    Query(filter): Query<RemedyFilter>,
) -> Result<Json<Listing<RemedyView>>> {
    let page = query.page()?;
    let status = filter.status.as_deref();
    if status.is_some_and(|s| !STATUSES.contains(&s)) {
        return Err(AppError::BadRequest(
            "status must be open, in_progress or done".into(),
        ));
    }
    let rows = state.db.remedies(status, page).await?;
    let media = media_base(&state);
    let items = rows
        .into_iter()
        .map(|r| RemedyView::new(r, &media))
        .collect();
    Ok(Json(Listing::new(items, page, |r: &RemedyView| r.id)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemedyChange {
    /// `open`, `in_progress` or `done`.
    pub(crate) status: Option<String>,
    /// What was done, for whoever reads it next.
    #[schema(max_length = 1000)]
    pub(crate) note: Option<String>,
}

/// Move a remedy on; whoever does it is noted as having handled it.
#[utoipa::path(patch, path = "/api/v1/remedies/{id}", tag = "members", request_body = RemedyChange,
    responses((status = 200, body = RemedyView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_remedy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<RemedyChange>,
) -> Result<Json<RemedyView>> {
    let status = body.status.as_deref();
    if status.is_some_and(|s| !STATUSES.contains(&s)) {
        return Err(AppError::invalid(
            "status",
            "must be open, in_progress or done",
        ));
    }
    let note = multiline_text("note", body.note.as_deref(), NOTE_MAX)?;
    if status.is_none() && note.is_none() {
        return Err(AppError::invalid("status", "send a status or a note"));
    }
    let remedy = state
        .db
        .update_remedy(id, status, note.as_deref(), caller.user_id)
        .await
        .map_err(missing("remedy"))?;
    Ok(Json(RemedyView::new(remedy, &media_base(&state))))
}

/// Where stored pictures are served.
fn media_base(state: &AppState) -> String {
    format!("{}/media", state.settings.public_url)
}
