//! HTML pages: the campaign landing page and the friendly not-found page.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::extract::Path;
use crate::db::DbError;

pub fn router() -> Router<AppState> {
    Router::new().route("/c/{slug}", get(campaign_page))
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    title: String,
    body: Option<String>,
    cta_label: String,
    cta_url: Option<String>,
    active: bool,
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage;

#[derive(Template)]
#[template(path = "unavailable.html")]
struct UnavailablePage;

fn render(status: StatusCode, page: impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(%err, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// What a consumer sees for a link that leads nowhere: no redirect, a page that says so.
pub fn not_found() -> Response {
    render(StatusCode::NOT_FOUND, NotFoundPage)
}

/// What a consumer sees when the scan could not be stored: try again, nothing is lost.
pub fn unavailable() -> Response {
    render(StatusCode::SERVICE_UNAVAILABLE, UnavailablePage)
}

async fn campaign_page(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let campaign = match state.db.campaign_by_slug(&slug).await {
        Ok(c) => c,
        Err(DbError::NotFound) => return not_found(),
        Err(err) => {
            tracing::error!(%err, "campaign page failed");
            return unavailable();
        }
    };
    let active = campaign.schedule().is_running(crate::db::now_ms());
    render(
        StatusCode::OK,
        CampaignPage {
            title: campaign.landing_title.unwrap_or(campaign.name),
            body: campaign.landing_body,
            cta_label: campaign.cta_label.unwrap_or_else(|| "Learn more".into()),
            cta_url: campaign.cta_url.or(campaign.destination_url),
            active,
        },
    )
}
