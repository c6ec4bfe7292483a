//! `GET /api/v1/scans/live`: scans as they are committed, as server-sent events (see
//! `crate::live`), within the caller's stores.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::ErrorBody;
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result};
use crate::http::extract::Query;
use crate::live::wire::{self, Encoding};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LiveQuery {
    /// Start after this scan id, for clients that cannot send `Last-Event-ID` (the header
    /// wins); without either, the feed starts at now.
    #[param(minimum = 0)]
    after: Option<i64>,
}

/// Every scan as it is committed, within the caller's stores: `event: scans` with `id` the
/// last scan id it covers (where to resume) and `data` a JSON array of scans (id, at,
/// campaign_id, channel_id, batch_id, store_id, country, region, city, device, outcome;
/// never the visitor, the address or a position finer than the city), and `event:
/// skipped` (`after`, `to`) for what a slow connection missed, or a reconnect from more
/// than 5,000 scans (or 50,000 scan ids) ago. Reconnecting with `Last-Event-ID` resumes
/// after that event: no gaps, no duplicates. Gzipped for clients that accept it.
#[utoipa::path(get, path = "/api/v1/scans/live", tag = "scans", params(LiveQuery),
    responses((status = 200, description = "A stream of server-sent events.", content_type = "text/event-stream", body = String),
        (status = 400, body = ErrorBody)))]
pub async fn live(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query<LiveQuery>,
) -> Result<Response> {
    let after = resume_after(&headers, query.after)?;
    stream(&state, &caller, &headers, after).await
}

/// The caller's feed from after `after` (or now: from the scans committed before the
/// answer), gzipped when the request accepts it.
pub(crate) async fn stream(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    after: Option<i64>,
) -> Result<Response> {
    let frames = state
        .live
        .listen(state.db.clone(), caller.scope(), after)
        .await?;
    let encoding = Encoding::accepted(headers);
    let mut response = Response::new(Body::from_stream(wire::body(frames, encoding)));
    let answer = response.headers_mut();
    answer.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    answer.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    answer.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // A proxy that buffers would hold the events back.
    answer.insert("x-accel-buffering", HeaderValue::from_static("no"));
    if encoding == Encoding::Gzip {
        answer.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    Ok(response)
}

/// Where a (re)connecting client resumes: its `Last-Event-ID`, else `after`.
pub(crate) fn resume_after(headers: &HeaderMap, after: Option<i64>) -> Result<Option<i64>> {
    let from_header = headers
        .get("last-event-id")
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|id| *id >= 0)
                .ok_or_else(|| {
                    AppError::BadRequest(
                        "Last-Event-ID: not a scan id (the id of an event this feed sent)".into(),
                    )
                })
        })
        .transpose()?;
    if let Some(after) = after
        && after < 0
    {
        return Err(AppError::BadRequest("after: a scan id, 0 or more".into()));
    }
    Ok(from_header.or(after))
}
