//! The report pages brand teams read in a browser: `/reports` lists the campaigns and
//! `/reports/campaigns/{id}` shows one: headline numbers against targets, the campaign's
//! flow, scans and conversions over time, channels, the funnel per channel and the codes
//! that look copied, with its filters in the URL (so a link shares the same view) and CSV
//! downloads of each report.
//!
//! Until accounts exist the pages take an API key: a form puts it in an HttpOnly,
//! SameSite=Strict cookie scoped to `/reports`, and every request checks it as the API
//! checks a bearer key (a revoked key is refused within a second).

mod charts;
mod numbers;
mod view;

use askama::Template;
use axum::Router;
use axum::extract::{Form, FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_http::compression::CompressionLayer;

use super::AppState;
use super::api::breakdowns::{self, LevelQuery};
use super::api::reports;
use super::api::suspicious::{self, SuspiciousQuery};
use super::api::{cohorts, funnel};
use super::auth::Caller;
use super::error::AppError;
use super::extract::Query;
use super::pages::PageError;
use crate::db::Page;
use crate::domain::Role;

/// The cookie that carries the API key the report pages were opened with.
const KEY_COOKIE: &str = "sl_report_key";
const COOKIE_PATH: &str = "/reports";
/// A working day and a bit: long enough for a morning of reports, short for a shared laptop.
const KEY_COOKIE_SECS: u32 = 12 * 3600;

pub const STYLESHEET: &str = include_str!("../../../static/report.css");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports", get(index))
        .route("/reports/login", get(login_form).post(login))
        .route("/reports/logout", post(logout))
        .route("/reports/campaigns/{id}", get(view::campaign))
        .route("/reports/campaigns/{id}/{file}", get(csv))
        .layer(CompressionLayer::new())
}

/// Someone holding a valid API key in the report cookie. Without one, a page answers with
/// a redirect to the key form, which comes back to the page asked for.
pub struct Viewer;

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let to_login = || {
            let next = parts
                .uri
                .path_and_query()
                .map_or(COOKIE_PATH, |p| p.as_str());
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("next", next)
                .finish();
            Redirect::to(&format!("/reports/login?{query}")).into_response()
        };
        let Some(key) = cookie(&parts.headers, KEY_COOKIE) else {
            return Err(to_login());
        };
        match Caller::with_key(state, &key).await {
            Ok(caller) if caller.role == Role::Retailer => Err(PageError(AppError::Forbidden(
                "the brand's report pages are for admins and analysts".into(),
            ))
            .into_response()),
            Ok(_) => Ok(Viewer),
            Err(AppError::Unauthorized) => Err(to_login()),
            Err(err) => Err(PageError(err).into_response()),
        }
    }
}

#[derive(Template)]
#[template(path = "report_index.html")]
struct IndexPage {
    campaigns: Vec<CampaignLink>,
}

struct CampaignLink {
    id: i64,
    name: String,
    slug: String,
    status: &'static str,
}

async fn index(_: Viewer, State(state): State<AppState>) -> Result<Response, PageError> {
    let campaigns = state
        .db
        .campaigns(Page {
            after: 0,
            limit: 500,
        })
        .await?
        .into_iter()
        .map(|c| CampaignLink {
            id: c.id,
            name: c.name,
            slug: c.slug,
            status: c.status.as_str(),
        })
        .collect();
    render(StatusCode::OK, &IndexPage { campaigns })
}

#[derive(Template)]
#[template(path = "report_login.html")]
struct LoginPage {
    next: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

async fn login_form(Query(query): Query<LoginQuery>) -> Result<Response, PageError> {
    let next = local_next(query.next.as_deref());
    render(StatusCode::OK, &LoginPage { next, error: None })
}

#[derive(Deserialize)]
struct LoginForm {
    key: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let next = local_next(form.next.as_deref());
    let key = form.key.trim();
    match Caller::with_key(&state, key).await {
        Ok(caller) if caller.role == Role::Retailer => {
            let error = Some("That key is a retailer's: these pages are for the brand team.");
            return render(StatusCode::FORBIDDEN, &LoginPage { next, error });
        }
        Ok(_) => {}
        Err(AppError::Unauthorized) => {
            let error = Some("That key is not valid: it may be mistyped or revoked.");
            return render(StatusCode::UNAUTHORIZED, &LoginPage { next, error });
        }
        Err(err) => return Err(err.into()),
    }
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{KEY_COOKIE}={key}; Path={COOKIE_PATH}; Max-Age={KEY_COOKIE_SECS}; HttpOnly; SameSite=Strict{secure}"
    );
    let mut response = Redirect::to(&next).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| {
            AppError::BadRequest("key: an API key is letters, digits, - and _".into())
        })?,
    );
    Ok(response)
}

async fn logout() -> Response {
    let mut response = Redirect::to("/reports/login").into_response();
    let cookie = format!("{KEY_COOKIE}=; Path={COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Strict");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// A report of the page's campaign as CSV, with the page's filters: what the API answers
/// with `format=csv`, behind the page's cookie instead of a bearer key.
async fn csv(
    _: Viewer,
    State(state): State<AppState>,
    Path((id, file)): Path<(i64, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let filters = view::Filters::parse(raw.as_deref());
    let mut query = filters.report_query(id);
    query.format = Some("csv".into());
    let state = State(state);
    let answer = match file.as_str() {
        "channels.csv" => reports::channels(state, Query(query)).await,
        "batches.csv" => reports::batches(state, Query(query)).await,
        "stores.csv" => reports::stores(state, Query(query)).await,
        "devices.csv" => breakdowns::devices(state, Query(query)).await,
        "regions.csv" => {
            let level = LevelQuery {
                level: Some("city".into()),
            };
            breakdowns::regions(state, Query(query), Query(level)).await
        }
        "time.csv" => reports::time(state, Query(query)).await,
        "funnel.csv" => funnel::funnel(state, Query(query)).await,
        "cohorts.csv" => cohorts::cohorts_report(state, Query(view::cohort_query(&query))).await,
        "suspicious-codes.csv" => {
            let query = SuspiciousQuery {
                campaign_id: id,
                cities: None,
                per_hour: None,
                limit: Some(1000),
                format: Some("csv".into()),
            };
            suspicious::suspicious_codes(state, Query(query)).await
        }
        _ => Err(AppError::NotFound("report")),
    };
    Ok(answer?)
}

/// Where to go after the key form: a path of the report pages, never another site.
fn local_next(next: Option<&str>) -> String {
    match next {
        Some(next) if next.starts_with("/reports") && !next.contains("//") => next.to_owned(),
        _ => COOKIE_PATH.to_owned(),
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name && !v.is_empty()).then(|| v.to_owned())
        })
}

pub(crate) fn render(status: StatusCode, page: &impl Template) -> Result<Response, PageError> {
    let html = page
        .render()
        .map_err(|err| AppError::Internal(anyhow::anyhow!("rendering a report page: {err}")))?;
    let headers = [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    Ok((status, headers, Html(html)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_form_only_sends_people_back_to_report_pages() {
        assert_eq!(
            local_next(Some("/reports/campaigns/3?tz=%2B08:00")),
            "/reports/campaigns/3?tz=%2B08:00"
        );
        for elsewhere in [
            "https://evil.example/",
            "//evil.example/reports",
            "/api/v1/keys",
            "/reports//evil",
        ] {
            assert_eq!(local_next(Some(elsewhere)), "/reports", "{elsewhere}");
        }
        assert_eq!(local_next(None), "/reports");
    }
}
