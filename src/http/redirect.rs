//! `GET /s/{token}`: the hot path. Resolve the code from memory, describe the visit and the
//! visitor, wait until the scan is committed, then redirect.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::pages;
use crate::db::{ResolvedCode, now_ms};
use crate::domain::Token;
use crate::scans::{Outcome, Visit, Visitor, decide};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/s/{token}", get(scan))
        .route("/S/{token}", get(scan))
}

async fn scan(
    State(state): State<AppState>,
    method: Method,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = token.ok().and_then(|Path(raw)| Token::parse(&raw)) else {
        return pages::not_found();
    };
    let code = match state.codes.get(token.as_str()).await {
        Ok(Some(code)) => code,
        Ok(None) => return pages::not_found(),
        Err(err) => {
            tracing::error!(%err, "code lookup failed");
            return pages::unavailable();
        }
    };
    let now = now_ms();
    let outcome = decide(&code, now);
    let visit = Visit::describe(&state.visit_context(), peer.ip(), &method, &headers);
    let visitor = Visitor::identify(&headers, visit.is_bot);
    let row = visit.scan_row(now, &code, &visitor, outcome.label());
    if state.writer.record(row).await.is_err() {
        return pages::unavailable();
    }
    redirect(
        &target(&outcome, &code),
        &visitor,
        state.settings.secure_cookies,
    )
}

fn redirect(target: &str, visitor: &Visitor, secure_cookies: bool) -> Response {
    let mut response = (StatusCode::FOUND, [(header::CACHE_CONTROL, "no-store")]).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(target) {
        headers.insert(header::LOCATION, value);
    }
    if let Some(cookie) = visitor.set_cookie(secure_cookies) {
        headers.insert(header::SET_COOKIE, cookie);
    }
    response
}

fn target(outcome: &Outcome, code: &ResolvedCode) -> String {
    match outcome {
        Outcome::Destination(url) | Outcome::Fallback(url) => url.clone(),
        Outcome::Landing => format!("/c/{}", code.campaign_slug),
    }
}
