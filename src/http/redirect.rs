//! `GET /s/{token}`: the hot path. Resolve the code from memory, describe the visit and the
//! visitor, wait until the scan is committed, then redirect.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::time::Instant;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, MatchedPath, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use super::AppState;
use super::error::AppError;
use super::operations;
use super::pages::{self, PageError};
use crate::db::{Claim, ResolvedCode, ScanRow, now_ms};
use crate::domain::Token;
use crate::domain::rules::ScanFacts;
use crate::scans::{Outcome, RoutedCode, StandingOffer, Visit, Visitor};

/// The scan routes are the hot path. They are merged after the site's layers and take only
/// tracing and panic catching, as one layer: every `Router::layer` wraps each route again,
/// and a `from_fn` layer also boxes the inner service and its future on every request. So
/// the handler counts the request and localises a failure page itself (`finish`), which
/// other routes leave to `operations::track_requests` and `pages::localise`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/s/{token}", get(scan))
        .route("/S/{token}", get(scan))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(
            ServiceBuilder::new()
                .layer(TraceLayer::new_for_http())
                .layer(CatchPanicLayer::new()),
        )
}

async fn scan(
    State(state): State<AppState>,
    route: MatchedPath,
    method: Method,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    token: Result<Path<String>, PathRejection>,
    RawQuery(scan_query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let started = Instant::now();
    let query = scan_query.as_deref();
    let answer = answer_scan(&state, &method, peer, token, query, &headers).await;
    let response = answer.unwrap_or_else(|err| PageError(err).into_response());
    finish(&state, &route, started, response, query, &headers)
}

async fn answer_scan(
    state: &AppState,
    method: &Method,
    peer: SocketAddr,
    token: Result<Path<String>, PathRejection>,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let token = token
        .ok()
        .and_then(|Path(raw)| Token::parse(&raw))
        .ok_or(AppError::NotFound("code"))?;
    let code = state
        .codes
        .get(token.as_str())
        .await
        .map_err(|err| {
            tracing::error!(%err, "code lookup failed");
            AppError::Unavailable
        })?
        .ok_or(AppError::NotFound("code"))?;
    record_and_redirect(
        state,
        &code,
        peer,
        method,
        headers,
        StatusCode::FOUND,
        Query {
            rules_read: query.unwrap_or(""),
            passed_on: "",
        },
    )
    .await
}

async fn method_not_allowed(
    State(state): State<AppState>,
    route: MatchedPath,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let started = Instant::now();
    let response = PageError(AppError::MethodNotAllowed(method.to_string())).into_response();
    finish(
        &state,
        &route,
        started,
        response,
        query.as_deref(),
        &headers,
    )
}

/// What the site's layers do for other routes: a failure page in the visitor's language,
/// the request counted and timed under its route.
fn finish(
    state: &AppState,
    route: &MatchedPath,
    started: Instant,
    response: Response,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    let response = pages::localised(response, query, headers);
    let route = route.as_str().to_owned();
    operations::count_request(&state.metrics, route, started, response.status());
    response
}

/// A scan's query: what redirect rules read, and what is passed on to where it goes.
pub(super) struct Query<'a> {
    pub rules_read: &'a str,
    /// Already encoded; added to the target when not empty.
    pub passed_on: &'a str,
}

/// Records a scan of `code` and, once it is committed, redirects with `status` to where
/// the scan goes. GS1 Digital Link scans come through here too.
pub(super) async fn record_and_redirect(
    state: &AppState,
    code: &RoutedCode,
    peer: SocketAddr,
    method: &Method,
    headers: &HeaderMap,
    status: StatusCode,
    query: Query<'_>,
) -> Result<Response, AppError> {
    let now = now_ms();
    let outcome = code.outcome(now);
    if !code.tracking.is_full() {
        return count_and_redirect(state, code, outcome, method, status, query.passed_on, now)
            .await;
    }
    let visit = Visit::describe(&state.visit_context(), peer.ip(), method, headers);
    let visitor = Visitor::identify(headers, visit.is_bot);
    // Bots and link previews are not people; a HEAD request is no scan by one.
    let person = !visit.is_bot && method == Method::GET;
    let ruled = code.has_rules().then(|| {
        let first_scan = person.then(|| code.note_person_scan());
        code.ruled(
            outcome,
            &facts(&visit, code, now, first_scan, query.rules_read),
        )
    });
    let (variant_id, outcome) = match (ruled.flatten(), code.offer_for(outcome)) {
        (Some(ruled), _) => (None, ruled),
        (None, Some(offer)) if person => {
            (None, claim(state, code, offer, &visitor, outcome).await?)
        }
        (None, _) => {
            let visitor_id = visitor.id.as_deref().filter(|_| person);
            code.experimented(outcome, visitor_id)
                .unwrap_or((None, outcome))
        }
    };
    let row = ScanRow {
        variant_id,
        ..visit.scan_row(now, code, &visitor, outcome.label())
    };
    state
        .writer
        .record(row)
        .await
        .map_err(|_| AppError::Unavailable)?;
    state.metrics.scan_stored(outcome.label(), visit.is_bot);
    let cookie = visitor.set_cookie(state.settings.secure_cookies);
    Ok(redirect(
        state,
        code,
        outcome,
        status,
        query.passed_on,
        cookie,
    ))
}

/// What the redirect rules read of a scan.
fn facts<'a>(
    visit: &'a Visit,
    code: &RoutedCode,
    now: i64,
    first_scan: Option<bool>,
    query: &'a str,
) -> ScanFacts<'a> {
    ScanFacts {
        device: visit.device.class,
        os: visit.device.os.as_deref(),
        country: visit.location.country.as_deref(),
        region: visit.location.region.as_deref(),
        city: visit.location.city.as_deref(),
        language: visit.language.as_deref(),
        now_ms: now,
        channel_id: code.channel_id,
        store_id: code.store_id,
        first_scan,
        query,
    }
}

/// Where a scan that may claim a limited offer goes: the offer's URL if it took (or had)
/// a place, its fallback if the places were gone, `outcome` if it takes no part or the
/// offer has no fallback of its own.
async fn claim<'a>(
    state: &AppState,
    code: &'a RoutedCode,
    offer: &'a StandingOffer,
    visitor: &Visitor,
    outcome: Outcome<'a>,
) -> Result<Outcome<'a>, AppError> {
    let Some(claimant) = offer.claimant(code, visitor.id.as_deref()) else {
        return Ok(outcome);
    };
    match state.db.claim_offer(offer.id, &claimant).await {
        Ok(Claim::Won) => Ok(Outcome::Offer(&offer.url)),
        Ok(Claim::Over) => Ok(offer
            .fallback_url
            .as_deref()
            .map_or(outcome, Outcome::OfferOver)),
        Err(err) => {
            tracing::error!(%err, offer = offer.id, "claiming an offer failed");
            Err(AppError::Unavailable)
        }
    }
}

/// A scan of a no-tracking campaign: nothing about the request is looked at or kept (no
/// cookie, place or device); a GET adds one to its code's count for the hour, committed
/// before the answer like every scan.
async fn count_and_redirect(
    state: &AppState,
    code: &RoutedCode,
    outcome: Outcome<'_>,
    method: &Method,
    status: StatusCode,
    query: &str,
    now: i64,
) -> Result<Response, AppError> {
    if method != Method::HEAD {
        state
            .writer
            .record(ScanRow::counted(now, code, outcome.label()))
            .await
            .map_err(|_| AppError::Unavailable)?;
        state.metrics.scan_stored(outcome.label(), false);
    }
    Ok(redirect(state, code, outcome, status, query, None))
}

/// The answer to a scan: `status` to where `outcome` goes, `passed_on` (already encoded)
/// added to its query when not empty, and the visitor's cookie when one is set.
fn redirect(
    state: &AppState,
    code: &RoutedCode,
    outcome: Outcome<'_>,
    status: StatusCode,
    passed_on: &str,
    cookie: Option<HeaderValue>,
) -> Response {
    let target = target(outcome, code, state.settings.path_prefix());
    let target = if passed_on.is_empty() {
        target
    } else {
        Cow::Owned(with_query(&target, passed_on))
    };
    let mut response = (status, [(header::CACHE_CONTROL, "no-store")]).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&target) {
        headers.insert(header::LOCATION, value);
    }
    if let Some(cookie) = cookie {
        headers.insert(header::SET_COOKIE, cookie);
    }
    response
}

/// `target` with `query` added to its own query, before any fragment.
pub(super) fn with_query(target: &str, query: &str) -> String {
    let (before_fragment, fragment) = match target.find('#') {
        Some(i) => target.split_at(i),
        None => (target, ""),
    };
    let joiner = if before_fragment.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{before_fragment}{joiner}{query}{fragment}")
}

/// `path_prefix` is the public URL's path (`/qr` for `https://go.example.com/qr`): the
/// landing page is reached through the same proxy path as the scan. It is told which code
/// was scanned (`?code=`), so what the visitor does there counts for that code's channel.
pub(super) fn target<'a>(
    outcome: Outcome<'a>,
    code: &ResolvedCode,
    path_prefix: &str,
) -> Cow<'a, str> {
    match outcome {
        Outcome::Destination(url)
        | Outcome::Fallback(url)
        | Outcome::Offer(url)
        | Outcome::OfferOver(url)
        | Outcome::Rule(url) => Cow::Borrowed(url),
        Outcome::Landing if !code.tracking.is_full() => {
            Cow::Owned(format!("{path_prefix}/c/{}", code.campaign_slug))
        }
        Outcome::Landing => Cow::Owned(format!(
            "{path_prefix}/c/{}?code={}",
            code.campaign_slug, code.token
        )),
        Outcome::RuleVariantPage(variant) => Cow::Owned(format!(
            "{path_prefix}/c/{}?code={}&v={variant}",
            code.campaign_slug, code.token
        )),
        Outcome::Notice(id) => Cow::Owned(format!("{path_prefix}/notices/{id}")),
    }
}

#[cfg(test)]
mod tests {
    use super::with_query;

    #[test]
    fn a_passed_on_query_joins_the_targets_own_before_its_fragment() {
        assert_eq!(with_query("/c/tea", "a=1"), "/c/tea?a=1");
        assert_eq!(
            with_query("https://x.cn/p?utm=q", "a=1"),
            "https://x.cn/p?utm=q&a=1"
        );
        assert_eq!(
            with_query("https://x.cn/p#top", "a=1"),
            "https://x.cn/p?a=1#top"
        );
    }
}
