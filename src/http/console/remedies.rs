//! Remedies: the low ratings buyers gave (2 or less), each a task for someone at the
//! brand: open ones first, oldest first; admins start one, then mark it done with a note of
//! what was done, through the API's handler, which notes who handled it.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Change, Nav, words};
use crate::db::Page;
use crate::http::AppState;
use crate::http::api::feedback::{self, RemedyChange};
use crate::http::error::AppError;
use crate::http::extract::{Json, Path, Query};
use crate::http::pages::PageError;
use crate::http::report_page::{Viewer, render};

const PER_PAGE: i64 = 50;
const STATUSES: [(&str, &str); 3] = [
    ("open", "Open"),
    ("in_progress", "In progress"),
    ("done", "Done"),
];

#[derive(Template)]
#[template(path = "console_remedies.html")]
struct RemediesPage {
    nav: Nav,
    note: Option<&'static str>,
    status: &'static str,
    remedies: Vec<Task>,
    more: Option<String>,
}

struct Task {
    id: i64,
    rating: i64,
    comment: String,
    /// The photo sent with the rating.
    photo: Option<String>,
    campaign: String,
    at: String,
    handled: String,
    note: String,
    status: String,
}

#[derive(Deserialize)]
pub(super) struct ListQuery {
    status: Option<String>,
    after: Option<i64>,
    saved: Option<String>,
}

pub(super) async fn list(
    viewer: Viewer,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let status = match query.status.as_deref() {
        None | Some("") => "open",
        Some(raw) => STATUSES
            .iter()
            .map(|(s, _)| *s)
            .find(|s| *s == raw)
            .ok_or_else(|| {
                AppError::BadRequest("status must be open, in_progress or done".into())
            })?,
    };
    let page = Page {
        after: query.after.unwrap_or(0),
        limit: PER_PAGE + 1,
    };
    let found = state.db.remedies(Some(status), page).await?;
    let more = (found.len() as i64 > PER_PAGE).then(|| {
        let last = found[PER_PAGE as usize - 1].id;
        format!("/console/remedies?status={status}&after={last}")
    });
    let campaigns = state.db.campaign_names().await?;
    let users = state
        .db
        .users(Page {
            after: 0,
            limit: 10_000,
        })
        .await?;
    let remedies = found
        .into_iter()
        .take(PER_PAGE as usize)
        .map(|r| Task {
            id: r.id,
            rating: r.rating,
            comment: r.comment.unwrap_or_default(),
            photo: r
                .photo
                .map(|name| format!("{}/media/{name}", state.settings.path_prefix())),
            campaign: campaigns
                .iter()
                .find(|(id, _)| *id == r.campaign_id)
                .map_or_else(String::new, |(_, name)| name.clone()),
            at: chrono::DateTime::from_timestamp_millis(r.created_at)
                .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default(),
            handled: r
                .handled_by
                .and_then(|id| users.iter().find(|u| u.id == id))
                .map_or_else(String::new, |u| u.email.to_string()),
            note: r.note.unwrap_or_default(),
            status: r.status,
        })
        .collect();
    let note = match query.saved.as_deref() {
        Some("in_progress") => Some("Started: it is in progress."),
        Some("done") => Some("Done."),
        Some("open") => Some("Opened again."),
        _ => None,
    }
    .map(|note| words::tr(viewer.language, note));
    let page = RemediesPage {
        nav: Nav::new(&viewer, "/console/remedies"),
        note,
        status,
        remedies,
        more,
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(super) struct RemedyForm {
    status: String,
    #[serde(default)]
    note: String,
}

/// Moves a remedy on, then back to the list it was in.
pub(super) async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Change { viewer, form }: Change<RemedyForm>,
) -> Result<Response, PageError> {
    let before = state
        .db
        .remedy(id)
        .await
        .map_err(crate::http::error::missing("remedy"))?;
    let note = form.note.trim();
    let change = RemedyChange {
        status: Some(form.status.clone()),
        note: (!note.is_empty()).then(|| note.to_owned()),
    };
    feedback::update_remedy(State(state), viewer.caller, Path(id), Json(change)).await?;
    let back = format!(
        "/console/remedies?status={}&saved={}",
        before.status, form.status
    );
    Ok(Redirect::to(&back).into_response())
}
