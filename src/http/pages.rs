//! HTML pages: the campaign landing page, and every failure a consumer can meet shown as a
//! friendly page in their language. Handlers return `Result<Response, PageError>`, so `?`
//! works as it does in the API; the `localise` layer re-renders a failure page in the
//! language the visitor's `Accept-Language` asks for.

use askama::Template;
use axum::Router;
use std::convert::Infallible;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::error::{AppError, missing};
use super::extract::Path;
use crate::domain::Language;

/// Inlined into every page: one round trip fewer on a slow phone network, and no link that
/// a public URL with a path prefix could break.
pub const STYLESHEET: &str = include_str!("../../static/style.css");

pub fn router() -> Router<AppState> {
    Router::new().route("/c/{slug}", get(campaign_page))
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

/// Layer over the consumer-facing routes: failure pages speak the visitor's language.
pub async fn localise(request: Request, next: Next) -> Response {
    // Kept, not parsed: most responses are not failures and need no language.
    let accepted = request.headers().get(header::ACCEPT_LANGUAGE).cloned();
    let response = next.run(request).await;
    let Some(&FailurePage(status)) = response.extensions().get::<FailurePage>() else {
        return response;
    };
    let language = accepted
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .map_or(Language::English, Language::negotiate);
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
    let (heading, advice) = failure_text(status, language);
    render(
        status,
        ErrorPage {
            lang: language.code(),
            heading,
            advice,
        },
    )
}

/// What a consumer is told, by kind of failure: what happened and what to do about it.
fn failure_text(status: StatusCode, language: Language) -> (&'static str, &'static str) {
    use Language::{Chinese, English};
    match (status, language) {
        (StatusCode::NOT_FOUND, English) => (
            "We could not find this code",
            "The link may be mistyped, or the code was never issued. If you scanned a printed \
             code, try scanning it again in good light.",
        ),
        (StatusCode::NOT_FOUND, Chinese) => (
            "找不到这个二维码",
            "链接可能有误，或这个二维码从未发放。如果您扫描的是印刷的二维码，请在光线充足处再扫一次。",
        ),
        (StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS, English) => (
            "Please try again in a moment",
            "We are busy right now. Scanning the code again will work shortly.",
        ),
        (StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS, Chinese) => {
            ("请稍后再试", "我们现在有点忙。稍等片刻再扫一次就可以了。")
        }
        (s, English) if s.is_server_error() => (
            "Something went wrong",
            "The problem is on our side, not yours. Please try again in a moment.",
        ),
        (s, Chinese) if s.is_server_error() => {
            ("出错了", "问题出在我们这边，与您无关。请稍后再试。")
        }
        (_, English) => (
            "This link does not work",
            "Check that the address is complete, or scan the printed code again.",
        ),
        (_, Chinese) => (
            "此链接无法打开",
            "请检查地址是否完整，或重新扫描印刷的二维码。",
        ),
    }
}

fn render(status: StatusCode, page: impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(%err, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    lang: &'static str,
    title: String,
    body: Option<String>,
    cta_label: String,
    cta_url: Option<String>,
    active: bool,
    not_running: &'static str,
}

async fn campaign_page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    request_language: RequestLanguage,
) -> Result<Response, PageError> {
    let campaign = state
        .db
        .campaign_by_slug(&slug)
        .await
        .map_err(missing("campaign"))?;
    let language = request_language.0;
    let (learn_more, not_running) = match language {
        Language::English => (
            "Learn more",
            "This campaign is not running right now. Thank you for scanning.",
        ),
        Language::Chinese => ("了解更多", "此活动目前未在进行中。感谢您的扫描。"),
    };
    Ok(render(
        StatusCode::OK,
        CampaignPage {
            lang: language.code(),
            active: campaign.schedule().is_running(crate::db::now_ms()),
            title: campaign.landing_title.unwrap_or(campaign.name),
            body: campaign.landing_body,
            cta_label: campaign.cta_label.unwrap_or_else(|| learn_more.into()),
            cta_url: campaign.cta_url.or(campaign.destination_url),
            not_running,
        },
    ))
}

/// The language a page is written in, from the request's `Accept-Language`.
pub struct RequestLanguage(pub Language);

impl<S: Send + Sync> FromRequestParts<S> for RequestLanguage {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Self(language_of(&parts.headers)))
    }
}

fn language_of(headers: &HeaderMap) -> Language {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Language::English, Language::negotiate)
}
