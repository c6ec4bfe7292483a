//! Photo moderation: the photos consumers shared, waiting ones first (oldest first, a
//! queue), with their thumbnails, campaign, place and caption; admins approve, reject or
//! delete each.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::people::Nothing;
use super::{Change, Nav, words};
use crate::db::{Page, PhotoStatus};
use crate::http::AppState;
use crate::http::api::photos;
use crate::http::error::AppError;
use crate::http::extract::{Path, Query};
use crate::http::pages::PageError;
use crate::http::report_page::{Viewer, render};

const PER_PAGE: i64 = 48;

#[derive(Template)]
#[template(path = "console_photos.html")]
struct QueuePage {
    nav: Nav,
    note: Option<&'static str>,
    status: &'static str,
    photos: Vec<Shared>,
    more: Option<String>,
}

struct Shared {
    id: i64,
    thumb: String,
    image: String,
    campaign: String,
    place: String,
    caption: String,
    at: String,
    status: &'static str,
}

#[derive(Deserialize)]
pub(super) struct QueueQuery {
    status: Option<String>,
    after: Option<i64>,
    saved: Option<String>,
}

pub(super) async fn queue(
    viewer: Viewer,
    State(state): State<AppState>,
    Query(query): Query<QueueQuery>,
) -> Result<Response, PageError> {
    let status = match query.status.as_deref() {
        None | Some("") => PhotoStatus::Pending,
        Some(raw) => PhotoStatus::parse(raw).ok_or_else(|| {
            AppError::BadRequest("status must be pending, approved or rejected".into())
        })?,
    };
    let found = state
        .db
        .photos(
            Some(status),
            None,
            Page {
                after: query.after.unwrap_or(0),
                limit: PER_PAGE + 1,
            },
        )
        .await?;
    let more = (found.len() as i64 > PER_PAGE).then(|| {
        let last = found[PER_PAGE as usize - 1].id;
        format!("/console/photos?status={}&after={last}", status.as_str())
    });
    let campaigns = state.db.campaign_names().await?;
    let prefix = state.settings.path_prefix();
    let photos = found
        .into_iter()
        .take(PER_PAGE as usize)
        .map(|p| Shared {
            id: p.id,
            thumb: format!("{prefix}/media/{}", p.thumb),
            image: format!("{prefix}/media/{}", p.image),
            campaign: campaigns
                .iter()
                .find(|(id, _)| *id == p.campaign_id)
                .map_or_else(String::new, |(_, name)| name.clone()),
            place: [p.city.as_deref(), p.country.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
            caption: p.caption.unwrap_or_default(),
            at: chrono::DateTime::from_timestamp_millis(p.created_at)
                .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default(),
            status: p.status.as_str(),
        })
        .collect();
    let note = match query.saved.as_deref() {
        Some("approve") => Some("Approved: it shows in the campaign's gallery."),
        Some("reject") => Some("Rejected: it is not shown."),
        Some("delete") => Some("Deleted, with its files."),
        _ => None,
    }
    .map(|note| words::tr(viewer.language, note));
    let page = QueuePage {
        nav: Nav::new(&viewer, "/console/photos"),
        note,
        status: status.as_str(),
        photos,
        more,
    };
    render(StatusCode::OK, &page)
}

/// `approve`, `reject` or `delete` a photo, then back to the list it was in.
pub(super) async fn decide(
    State(state): State<AppState>,
    Path((id, decision)): Path<(i64, String)>,
    Change { viewer, .. }: Change<Nothing>,
) -> Result<Response, PageError> {
    let before = state
        .db
        .photo(id)
        .await
        .map_err(crate::http::error::missing("photo"))?;
    match decision.as_str() {
        "approve" => {
            photos::approve(State(state), Path(id)).await?;
        }
        "reject" => {
            photos::reject(State(state), Path(id)).await?;
        }
        "delete" => {
            photos::delete(State(state), Path(id)).await?;
        }
        _ => return Err(AppError::NotFound("decision").into()),
    }
    tracing::info!(
        user = viewer.caller.user_id,
        photo = id,
        decision,
        "photo moderated"
    );
    let back = format!(
        "/console/photos?status={}&saved={decision}",
        before.status.as_str()
    );
    Ok(Redirect::to(&back).into_response())
}
