//! `GET /s/{token}`: the hot path. Resolve the code from memory, describe the visit, wait
//! until the scan is committed, then redirect.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rand::RngCore;

use super::AppState;
use super::pages;
use crate::db::{ResolvedCode, ScanRow, now_ms};
use crate::domain::Token;
use crate::scans::client::{anonymise, client_ip};
use crate::scans::{Outcome, decide};

const VISITOR_COOKIE: &str = "sl_vid";
const ONE_YEAR_SECS: u32 = 365 * 24 * 3600;

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
    let device = state
        .devices
        .parse(header_str(&headers, header::USER_AGENT).unwrap_or(""));
    // HEAD is what link checkers and previewers send; no person reads a HEAD answer.
    let is_bot = device.is_bot || method == Method::HEAD;
    let forwarded = header_str(&headers, "x-forwarded-for");
    let ip = client_ip(peer.ip(), forwarded, &state.settings.trusted_proxies);
    let location = state.geo.locate(ip);
    let known_visitor = visitor_from_cookie(&headers);
    let visitor = match (&known_visitor, is_bot) {
        (Some(id), _) => Some(id.clone()),
        (None, false) => Some(new_visitor_id()),
        (None, true) => None,
    };
    let row = ScanRow {
        scanned_at: now,
        code_id: code.code_id,
        batch_id: code.batch_id,
        campaign_id: code.campaign_id,
        channel_id: code.channel_id,
        store_id: code.store_id,
        visitor_id: visitor.clone(),
        is_new_visitor: known_visitor.is_none() && !is_bot,
        ip_prefix: Some(anonymise(ip)),
        country: location.country.clone(),
        region: location.region.clone(),
        city: location.city.clone(),
        latitude: location.latitude,
        longitude: location.longitude,
        device: device.class,
        os: device.os.clone(),
        browser: device.browser.clone(),
        is_bot,
        referrer_host: referrer_host(&headers),
        language: language(&headers),
        outcome: outcome.label(),
    };
    if state.writer.record(row).await.is_err() {
        return pages::unavailable();
    }
    let target = target(&outcome, &code);
    let mut response = (StatusCode::FOUND, [(header::CACHE_CONTROL, "no-store")]).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&target) {
        headers.insert(header::LOCATION, value);
    }
    if let (None, Some(id)) = (known_visitor, visitor) {
        let secure = if state.settings.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        let cookie = format!(
            "{VISITOR_COOKIE}={id}; Max-Age={ONE_YEAR_SECS}; Path=/; HttpOnly; SameSite=Lax{secure}"
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.insert(header::SET_COOKIE, value);
        }
    }
    response
}

fn target(outcome: &Outcome, code: &ResolvedCode) -> String {
    match outcome {
        Outcome::Destination(url) | Outcome::Fallback(url) => url.clone(),
        Outcome::Landing => format!("/c/{}", code.campaign_slug),
    }
}

fn header_str<K: header::AsHeaderName>(headers: &HeaderMap, name: K) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// 128 random bits as 32 hex digits.
fn new_visitor_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn visitor_from_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix(VISITOR_COOKIE)?.strip_prefix('='))
        .find(|id| {
            id.len() == 32
                && id
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
        .map(str::to_owned)
}

fn referrer_host(headers: &HeaderMap) -> Option<String> {
    let referer = header_str(headers, header::REFERER)?;
    let url = url::Url::parse(referer).ok()?;
    url.host_str().filter(|h| h.len() <= 253).map(str::to_owned)
}

/// The visitor's first language choice, e.g. `zh-cn`.
fn language(headers: &HeaderMap) -> Option<String> {
    let first = header_str(headers, header::ACCEPT_LANGUAGE)?
        .split(',')
        .next()?;
    let tag = first.split(';').next()?.trim().to_ascii_lowercase();
    let valid = !tag.is_empty()
        && tag.len() <= 35
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    valid.then_some(tag)
}
