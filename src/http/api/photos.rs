//! `/api/v1/photos`: moderation of the photos consumers share. New photos wait as
//! `pending` (unless their campaign approves at once); approving shows one in the
//! campaign's gallery, rejecting hides it; deleting removes it and its files.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::time::to_rfc3339;
use super::{ErrorBody, Listing, PageQuery, PhotoStatusName};
use crate::db::{Photo, PhotoStatus};
use crate::http::AppState;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path, Query};
use crate::http::media::forget_unused;

#[derive(Serialize, ToSchema)]
pub struct PhotoView {
    id: i64,
    campaign_id: i64,
    #[schema(value_type = PhotoStatusName)]
    status: String,
    caption: Option<String>,
    /// The display size (up to 1280 pixels a side), a JPEG with no metadata.
    url: String,
    /// A thumbnail, up to 360 pixels a side.
    thumbnail_url: String,
    width: i64,
    height: i64,
    /// Where it was shared from, by the sharer's network: country and city only.
    country: Option<String>,
    city: Option<String>,
    /// The channel of the code whose scan led to the photo, when known.
    channel_id: Option<i64>,
    created_at: String,
    reviewed_at: Option<String>,
}

impl PhotoView {
    fn new(photo: Photo, state: &AppState) -> Self {
        let media = format!("{}/media", state.settings.public_url);
        Self {
            id: photo.id,
            campaign_id: photo.campaign_id,
            status: photo.status.as_str().to_owned(),
            caption: photo.caption,
            url: format!("{media}/{}", photo.image),
            thumbnail_url: format!("{media}/{}", photo.thumb),
            width: photo.width,
            height: photo.height,
            country: photo.country,
            city: photo.city,
            channel_id: photo.channel_id,
            created_at: to_rfc3339(photo.created_at),
            reviewed_at: photo.reviewed_at.map(to_rfc3339),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PhotoFilter {
    /// Only photos with this status, e.g. `pending` for the moderation queue.
    #[param(value_type = Option<PhotoStatusName>)]
    status: Option<String>,
    /// Only photos of this campaign.
    campaign_id: Option<i64>,
}

/// List shared photos, oldest first: `?status=pending` is the moderation queue.
#[utoipa::path(get, path = "/api/v1/photos", tag = "photos", params(PageQuery, PhotoFilter),
    responses((status = 200, body = Listing<PhotoView>)))]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
    Query(filter): Query<PhotoFilter>,
) -> Result<Json<Listing<PhotoView>>> {
    let page = query.page()?;
    let status = filter
        .status
        .as_deref()
        .map(|raw| {
            PhotoStatus::parse(raw).ok_or_else(|| {
                AppError::BadRequest("status must be pending, approved or rejected".into())
            })
        })
        .transpose()?;
    let photos = state.db.photos(status, filter.campaign_id, page).await?;
    let items = photos
        .into_iter()
        .map(|p| PhotoView::new(p, &state))
        .collect();
    Ok(Json(Listing::new(items, page, |p: &PhotoView| p.id)))
}

async fn review(state: AppState, id: i64, status: PhotoStatus) -> Result<Json<PhotoView>> {
    let photo = state
        .db
        .review_photo(id, status)
        .await
        .map_err(missing("photo"))?;
    Ok(Json(PhotoView::new(photo, &state)))
}

/// Approve a photo: it appears in its campaign's gallery.
#[utoipa::path(post, path = "/api/v1/photos/{id}/approve", tag = "photos",
    responses((status = 200, body = PhotoView), (status = 404, body = ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<PhotoView>> {
    review(state, id, PhotoStatus::Approved).await
}

/// Reject a photo: it is not shown (its sharer still sees it, marked as waiting, and may
/// delete it).
#[utoipa::path(post, path = "/api/v1/photos/{id}/reject", tag = "photos",
    responses((status = 200, body = PhotoView), (status = 404, body = ErrorBody)))]
pub async fn reject(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<PhotoView>> {
    review(state, id, PhotoStatus::Rejected).await
}

/// Delete a photo and its files.
#[utoipa::path(delete, path = "/api/v1/photos/{id}", tag = "photos",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(State(state): State<AppState>, Path(id): Path<i64>) -> Result<StatusCode> {
    let photo = state
        .db
        .delete_photo(id, None)
        .await
        .map_err(missing("photo"))?;
    forget_unused(&state, [photo.image, photo.thumb]).await;
    Ok(StatusCode::NO_CONTENT)
}
