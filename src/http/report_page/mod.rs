//! The report pages brand teams read in a browser: `/reports` lists the campaigns and
//! `/reports/campaigns/{id}` shows one: headline numbers against targets, the campaign's
//! flow, scans and conversions over time, channels, the funnel per channel and the codes
//! that look copied, with its filters in the URL (so a link shares the same view) and CSV
//! downloads of each report.
//!
//! They are behind a session (`/login`): admins and analysts read them; retailers are sent
//! to their stores' dashboard (`/store`).

pub(crate) mod charts;
pub(crate) mod numbers;
mod view;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tower_http::compression::CompressionLayer;

use super::AppState;
use super::api::breakdowns::{self, LevelQuery};
use super::api::reports;
use super::api::suspicious::{self, SuspiciousQuery};
use super::api::variant_report::{self, ExperimentQuery};
use super::api::{cohorts, funnel};
use super::error::AppError;
use super::extract::Query;
use super::pages::{LanguageChoice, PageError};
use super::session::{SignedIn, local_next};
use crate::db::Page;
use crate::domain::{Language, Role};
use crate::http::auth::Caller;
use crate::http::console::Nav;

pub const STYLESHEET: &str = include_str!("../../../static/report.css");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports", get(index))
        .route("/reports/login", get(old_login))
        .route("/reports/campaigns/{id}", get(view::campaign))
        .route("/reports/campaigns/{id}/{file}", get(csv))
        .layer(CompressionLayer::new())
}

/// Someone signed in who may read the brand's reports (an admin or an analyst). Without a
/// session a page answers with a redirect to the sign-in form, which comes back to it.
pub struct Viewer {
    pub email: String,
    /// For the sign-out form in the page's header.
    pub csrf: String,
    /// For the API's handlers the CSV downloads go through.
    pub caller: Caller,
    /// The console's language: a `?lang=` switch, the `sl_lang` cookie, `Accept-Language`.
    pub language: Language,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        if signed_in.caller.role == Role::Retailer {
            // Signing in lands on `/console`: a store manager's home is their dashboard.
            if matches!(parts.uri.path(), "/reports" | "/console") {
                return Err(Redirect::to("/store").into_response());
            }
            return Err(PageError(AppError::Forbidden(
                "the brand's report pages are for admins and analysts; your stores' \
                 dashboard is at /store"
                    .into(),
            ))
            .into_response());
        }
        let Ok(choice) = LanguageChoice::from_request_parts(parts, state).await;
        Ok(Viewer {
            email: signed_in.email,
            csrf: signed_in.csrf,
            caller: signed_in.caller,
            language: choice.language,
        })
    }
}

#[derive(Template)]
#[template(path = "report_index.html")]
struct IndexPage {
    nav: Nav,
    campaigns: Vec<CampaignLink>,
}

struct CampaignLink {
    id: i64,
    name: String,
    slug: String,
    status: &'static str,
}

async fn index(viewer: Viewer, State(state): State<AppState>) -> Result<Response, PageError> {
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
    let nav = Nav::new(&viewer, "/reports");
    render(StatusCode::OK, &IndexPage { nav, campaigns })
}

/// The key form the report pages had before accounts: bookmarks of it go to signing in.
async fn old_login(Query(query): Query<OldLogin>) -> Redirect {
    let next = local_next(query.next.as_deref());
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", &next)
        .finish();
    Redirect::permanent(&format!("/login?{query}"))
}

#[derive(Deserialize)]
struct OldLogin {
    next: Option<String>,
}

/// A report of the page's campaign as CSV, with the page's filters: what the API answers
/// with `format=csv`, behind the page's cookie instead of a bearer key.
async fn csv(
    viewer: Viewer,
    State(state): State<AppState>,
    Path((id, file)): Path<(i64, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let filters = view::Filters::parse(raw.as_deref());
    let mut query = filters.report_query(id);
    query.format = Some("csv".into());
    let (state, caller) = (State(state), viewer.caller);
    let answer = match file.as_str() {
        "channels.csv" => reports::channels(state, caller, Query(query)).await,
        "batches.csv" => reports::batches(state, caller, Query(query)).await,
        "stores.csv" => reports::stores(state, caller, Query(query)).await,
        "devices.csv" => breakdowns::devices(state, caller, Query(query)).await,
        "variants.csv" => {
            let latest = ExperimentQuery {
                experiment_id: None,
            };
            variant_report::variants(state, caller, Query(query), Query(latest)).await
        }
        "regions.csv" => {
            let level = LevelQuery {
                level: Some("city".into()),
            };
            breakdowns::regions(state, caller, Query(query), Query(level)).await
        }
        "time.csv" => reports::time(state, caller, Query(query)).await,
        "funnel.csv" => funnel::funnel(state, caller, Query(query)).await,
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
