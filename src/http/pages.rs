//! HTML pages: the campaign landing page, and every failure a consumer can meet shown as a
//! friendly page in their language. Handlers return `Result<Response, PageError>`, so `?`
//! works as it does in the API; the `localise` layer re-renders a failure page in the
//! visitor's language. That language is the one they switched to (`?lang=zh`, remembered
//! in the `sl_lang` cookie), else the one their `Accept-Language` asks for.

use askama::Template;
use axum::Router;
use std::convert::Infallible;

use axum::extract::DefaultBodyLimit;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;

use super::AppState;
use super::error::AppError;
use super::join_page as join;
use super::landing_page as landing;
use super::member_page as member;
use super::photos_page as photos;
use super::strings::{Failure, strings};
use crate::domain::Language;
use crate::media::MAX_UPLOAD_BYTES;

/// The cookie that remembers a visitor's choice of language.
const LANGUAGE_COOKIE: &str = "sl_lang";
const ONE_YEAR_SECS: u32 = 365 * 24 * 3600;

/// Inlined into every page: one round trip fewer on a slow phone network, and no link that
/// a public URL with a path prefix could break.
pub const STYLESHEET: &str = include_str!("../../static/style.css");

/// Room in a photo upload's body for the form around the photo (boundaries, caption).
const FORM_OVERHEAD: usize = 64 * 1024;

/// The consumer pages, compressed (gzip or Brotli, as the phone accepts): they are read
/// on slow mobile networks. The redirect is not: it has no body to shrink.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{slug}", get(landing::page))
        .route("/c/{slug}/go/{action}", get(landing::click))
        .route(
            "/c/{slug}/photos",
            get(photos::page)
                .post(photos::upload)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + FORM_OVERHEAD)),
        )
        .route("/c/{slug}/photos/{id}/delete", post(photos::delete))
        .route("/c/{slug}/join", get(join::page).post(join::send))
        .route("/c/{slug}/join/code", post(join::check_code))
        .route("/c/{slug}/claim", post(super::claim::claim))
        .route(
            "/c/{slug}/feedback",
            get(super::feedback_page::page)
                .post(super::feedback_page::send)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + FORM_OVERHEAD)),
        )
        .route("/r/{code}", get(super::referral_page::follow))
        .route("/feedback/{link}", get(super::feedback_page::link))
        .route("/me", get(member::page))
        .route("/me/data", get(member::data))
        .route("/me/sign-out", post(member::sign_out))
        .route("/me/delete", post(member::delete))
        .route("/notices/{id}", get(super::notice_page::page))
        .layer(CompressionLayer::new())
}

/// A failure on a page: the same `AppError` as the API, answered as HTML with its status.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(err: E) -> Self {
        Self(err.into())
    }
}

/// Marks a response as a failure page, so `localise` can re-render it.
#[derive(Clone, Copy)]
struct FailurePage(StatusCode);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.log_if_internal();
        let status = self.0.status();
        let mut response = failure_page(status, Language::English);
        response.extensions_mut().insert(FailurePage(status));
        response
    }
}

/// Layer over the consumer-facing routes (the scan routes call `localised` themselves):
/// failure pages speak the visitor's language.
pub async fn localise(request: Request, next: Next) -> Response {
    // Kept, not parsed, and without allocating: most responses are not failures and need
    // no language.
    let accepted = request.headers().get(header::ACCEPT_LANGUAGE).cloned();
    let cookie = request.headers().get(header::COOKIE).cloned();
    let query = request.uri().query().filter(|q| q.contains("lang="));
    let query = query.map(str::to_owned);
    let response = next.run(request).await;
    if response.extensions().get::<FailurePage>().is_none() {
        return response;
    }
    let mut headers = HeaderMap::new();
    for (name, value) in [
        (header::ACCEPT_LANGUAGE, accepted),
        (header::COOKIE, cookie),
    ] {
        if let Some(value) = value {
            headers.insert(name, value);
        }
    }
    localised(response, query.as_deref(), &headers)
}

/// `response`, or the failure page it is in the language the request's `query` and
/// `headers` ask for.
pub fn localised(response: Response, query: Option<&str>, headers: &HeaderMap) -> Response {
    let Some(&FailurePage(status)) = response.extensions().get::<FailurePage>() else {
        return response;
    };
    let language = LanguageChoice::of(query, headers).language;
    if language == Language::English {
        return response;
    }
    let mut page = failure_page(status, language);
    // Keep what the failure said besides its body, such as a 405's Allow.
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            page.headers_mut().insert(name, value.clone());
        }
    }
    page
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    lang: &'static str,
    heading: &'static str,
    advice: &'static str,
}

fn failure_page(status: StatusCode, language: Language) -> Response {
    let failure = failure_text(status, language);
    render(
        status,
        ErrorPage {
            lang: language.code(),
            heading: failure.heading,
            advice: failure.advice,
        },
    )
}

/// What a consumer is told, by kind of failure.
fn failure_text(status: StatusCode, language: Language) -> &'static Failure {
    let strings = strings(language);
    match status {
        StatusCode::NOT_FOUND => &strings.not_found,
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => &strings.busy,
        s if s.is_server_error() => &strings.broken,
        _ => &strings.bad_link,
    }
}

/// A 303 to `to`: where a form's answer, or a page that only passes on, sends the browser.
pub(super) fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

pub(super) fn render(status: StatusCode, page: impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(%err, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The language a page is written in: a `?lang=` switch, else the `sl_lang` cookie, else
/// the request's `Accept-Language`, else English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LanguageChoice {
    pub language: Language,
    /// Chosen by a switch link just now: the answer sets the cookie.
    switched: bool,
}

impl LanguageChoice {
    pub(crate) fn of(query: Option<&str>, headers: &HeaderMap) -> Self {
        let switched = query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .find_map(|pair| pair.strip_prefix("lang="))
            .and_then(Language::from_code);
        if let Some(language) = switched {
            return Self {
                language,
                switched: true,
            };
        }
        let remembered = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().strip_prefix(LANGUAGE_COOKIE)?.strip_prefix('='))
            .find_map(Language::from_code);
        let language = remembered.unwrap_or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map_or(Language::English, Language::negotiate)
        });
        Self {
            language,
            switched: false,
        }
    }

    /// After a switch, the answer remembers the choice for a year.
    pub(super) fn remember(self, response: &mut Response) {
        if !self.switched {
            return;
        }
        let cookie = format!(
            "{LANGUAGE_COOKIE}={}; Max-Age={ONE_YEAR_SECS}; Path=/; SameSite=Lax",
            self.language.code()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for LanguageChoice {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Self::of(parts.uri.query(), &parts.headers))
    }
}
