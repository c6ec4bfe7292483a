//! `POST /hooks/conversions/{source}`: a shop posts a conversion (the body of
//! `POST /api/v1/conversions`) signed with its source's secret instead of an API key.
//! Nothing is read from a request whose signature does not verify.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

use super::AppState;
use super::api::{ConversionView, ReportConversion, record_conversion};
use super::error::{AppError, Result};
use super::extract::Path;
use crate::db::now_ms;
use crate::domain::signature::{SignatureError, verify};

pub const SIGNATURE_HEADER: &str = "x-scanloop-signature";

pub fn router() -> Router<AppState> {
    Router::new().route("/hooks/conversions/{source}", post(conversion))
}

async fn conversion(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, axum::Json<ConversionView>)> {
    let source = state
        .db
        .source_by_name(&name)
        .await?
        .ok_or(AppError::NotFound(
            "source (create it with POST /api/v1/sources)",
        ))?;
    let now = now_ms();
    let header = headers
        .get(SIGNATURE_HEADER)
        .map(|v| v.to_str().map_err(|_| SignatureError::Malformed))
        .transpose()
        .map_err(|err| AppError::BadSignature(err.to_string()))?;
    verify(
        header,
        &body,
        &source.live_secrets(now),
        now.div_euclid(1000),
    )
    .map_err(|err| AppError::BadSignature(err.to_string()))?;
    let report: ReportConversion = serde_json::from_slice(&body)
        .map_err(|err| AppError::BadRequest(format!("invalid JSON body: {err}")))?;
    let new = report.validate(now, Some(&source.name))?;
    let (status, view) = record_conversion(&state, new).await?;
    Ok((status, axum::Json(view)))
}
