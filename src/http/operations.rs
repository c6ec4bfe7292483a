//! For operators: `/healthz` (the database and the scan writer), `/metrics` (Prometheus
//! text, behind `SCANLOOP_METRICS_TOKEN` when set), and the layer that counts and times
//! every request by its route template.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::AppError;
use crate::metrics::{Metrics, RequestLabels, RouteLabel};

/// 200 "ok", or 503 with the reason: the database does not answer, or the scan writer has
/// stopped, is stuck, or could not store its last group.
pub async fn healthz(State(state): State<AppState>) -> Response {
    if let Some(trouble) = state.writer.trouble() {
        tracing::warn!(%trouble, "health check failed");
        return (StatusCode::SERVICE_UNAVAILABLE, trouble).into_response();
    }
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(err) => {
            tracing::warn!(%err, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the database does not answer",
            )
                .into_response()
        }
    }
}

pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.settings.metrics_token
        && !bearer_matches(&headers, token)
    {
        return AppError::Unauthorized.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// Compares digests, so the time taken says nothing about how much of the token matched.
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    Sha256::digest(sent.as_bytes()) == Sha256::digest(token.as_bytes())
}

/// Counts and times each request under its route template (`/s/{token}`, not the token),
/// so the number of series stays fixed whatever paths are asked for.
pub async fn track_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    count_request(&state.metrics, route, started, response.status());
    response
}

/// What `track_requests` notes of one request; the scan routes call it themselves.
pub fn count_request(metrics: &Metrics, route: String, started: Instant, status: StatusCode) {
    metrics
        .http_duration
        .get_or_create(&RouteLabel {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .http_requests
        .get_or_create(&RequestLabels {
            route,
            status: status.as_u16(),
        })
        .inc();
}
