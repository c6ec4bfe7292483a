//! `/api/v1/{campaigns,batches}/{id}/logo`: the logo drawn in the centre of a campaign's
//! or a batch's codes (a batch's own wins over its campaign's). The upload is the request
//! body, PNG or SVG; it is checked, rasterised when SVG, and stored as a fresh PNG.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::ErrorBody;
use super::time::to_rfc3339;
use crate::db::{LogoInfo, LogoOwner};
use crate::http::AppState;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path};
use crate::qr::{Logo, MAX_LOGO_BYTES};

#[derive(Serialize, ToSchema)]
pub struct LogoView {
    /// Pixels of the stored PNG, transparent borders trimmed, at most 512 on a side.
    width: i64,
    height: i64,
    /// Bytes of the stored PNG.
    bytes: i64,
    updated_at: String,
}

impl From<LogoInfo> for LogoView {
    fn from(info: LogoInfo) -> Self {
        Self {
            width: info.width,
            height: info.height,
            bytes: info.bytes,
            updated_at: to_rfc3339(info.updated_at),
        }
    }
}

/// The logo batch `id`'s codes are drawn with, decoded: its own, else its campaign's.
pub(super) async fn batch_logo(state: &AppState, id: i64) -> Result<Option<Arc<Logo>>> {
    let Some(png) = state.db.batch_logo(id).await? else {
        return Ok(None);
    };
    let logo = Logo::from_png(png)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored logo unreadable: {e}")))?;
    Ok(Some(Arc::new(logo)))
}

async fn ensure_owner(state: &AppState, owner: LogoOwner) -> Result<()> {
    match owner {
        LogoOwner::Campaign(id) => state.db.campaign(id).await.map(drop),
        LogoOwner::Batch(id) => state.db.batch(id).await.map(drop),
    }
    .map_err(missing(match owner {
        LogoOwner::Campaign(_) => "campaign",
        LogoOwner::Batch(_) => "batch",
    }))
}

async fn put(state: AppState, owner: LogoOwner, body: Body) -> Result<Json<LogoView>> {
    ensure_owner(&state, owner).await?;
    let upload = axum::body::to_bytes(body, MAX_LOGO_BYTES)
        .await
        .map_err(|_| {
            AppError::TooLarge(format!(
                "the logo is larger than {} KiB: send a smaller PNG or SVG",
                MAX_LOGO_BYTES / 1024
            ))
        })?;
    if upload.is_empty() {
        return Err(AppError::invalid(
            "body",
            "send the logo as the request body: a PNG or an SVG image",
        ));
    }
    // Decoding a 4096-pixel PNG or drawing an SVG is real work: off the scan threads.
    let (png, dimensions) = state
        .heavy
        .run(move || Logo::normalise(&upload))
        .await?
        .map_err(|e| AppError::invalid("body", e.0))?;
    let info = state.db.set_logo(owner, png, dimensions).await?;
    Ok(Json(info.into()))
}

async fn get(state: AppState, owner: LogoOwner) -> Result<Response> {
    let png = state.db.logo(owner).await.map_err(missing("logo"))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

async fn delete(state: AppState, owner: LogoOwner) -> Result<StatusCode> {
    state.db.delete_logo(owner).await.map_err(missing("logo"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Upload (or replace) the campaign's logo, drawn in the centre of its codes (unless
/// their batch has its own) with error correction H. The body is the image, PNG or SVG,
/// up to 1 MiB; an SVG is drawn to pixels here, without its text or linked images.
#[utoipa::path(put, path = "/api/v1/campaigns/{id}/logo", tag = "campaigns",
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 200, body = LogoView), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn put_campaign_logo(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    body: Body,
) -> Result<Json<LogoView>> {
    put(state, LogoOwner::Campaign(id), body).await
}

/// The campaign's logo as stored (PNG).
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/logo", tag = "campaigns",
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub async fn get_campaign_logo(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response> {
    get(state, LogoOwner::Campaign(id)).await
}

/// Remove the campaign's logo: its codes are drawn without one (unless their batch has
/// its own).
#[utoipa::path(delete, path = "/api/v1/campaigns/{id}/logo", tag = "campaigns",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_campaign_logo(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    delete(state, LogoOwner::Campaign(id)).await
}

/// Upload (or replace) the batch's own logo, drawn instead of its campaign's. The body
/// is the image, PNG or SVG, up to 1 MiB.
#[utoipa::path(put, path = "/api/v1/batches/{id}/logo", tag = "batches",
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 200, body = LogoView), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn put_batch_logo(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    body: Body,
) -> Result<Json<LogoView>> {
    put(state, LogoOwner::Batch(id), body).await
}

/// The batch's own logo as stored (PNG); its campaign's is at the campaign.
#[utoipa::path(get, path = "/api/v1/batches/{id}/logo", tag = "batches",
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub async fn get_batch_logo(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response> {
    get(state, LogoOwner::Batch(id)).await
}

/// Remove the batch's own logo: its codes are drawn with its campaign's, if any.
#[utoipa::path(delete, path = "/api/v1/batches/{id}/logo", tag = "batches",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_batch_logo(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    delete(state, LogoOwner::Batch(id)).await
}
