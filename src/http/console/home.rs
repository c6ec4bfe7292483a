//! The console's home page: what needs attention (photos to review, batches being made),
//! the campaigns with their last week's scans, and where to start when there is nothing.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::Nav;
use super::campaigns::{CampaignRow, scans_by_campaign};
use crate::db::{Overview, Search, now_ms};
use crate::http::AppState;
use crate::http::pages::PageError;
use crate::http::report_page::numbers::count;
use crate::http::report_page::{Viewer, render};

/// Campaigns on the home page; the list has the rest.
const LATEST: i64 = 8;

#[derive(Template)]
#[template(path = "console_home.html")]
struct HomePage {
    nav: Nav,
    overview: Overview,
    rows: Vec<CampaignRow>,
    scans_7d: String,
}

pub(super) async fn home(
    viewer: Viewer,
    State(state): State<AppState>,
) -> Result<Response, PageError> {
    let overview = state.db.overview().await?;
    let now = now_ms();
    let scans = scans_by_campaign(&state, now).await?;
    let latest = state
        .db
        .search_campaigns(Search {
            text: "",
            before: 0,
            limit: LATEST,
        })
        .await?;
    let campaigns: Vec<CampaignRow> = latest
        .iter()
        .map(|c| CampaignRow::new(c, scans(c.id), now, viewer.language))
        .collect();
    let scans_7d: i64 = state
        .db
        .scans_by_campaign_since(now - 7 * 86_400_000)
        .await?
        .iter()
        .map(|(_, n)| n)
        .sum();
    let page = HomePage {
        nav: Nav::new(&viewer, "/console"),
        overview,
        rows: campaigns,
        scans_7d: count(scans_7d as f64),
    };
    render(StatusCode::OK, &page)
}
