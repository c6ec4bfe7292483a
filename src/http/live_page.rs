//! `/live`: the scans of the signed-in user's stores (every store for the brand's people)
//! as they happen: a list of the latest, and a table of cities since the page opened. The
//! page's script listens to `/live/events`, the API's feed behind the session cookie;
//! the browser reconnects by itself with `Last-Event-ID`, so a dropped connection loses
//! nothing.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::api::scans::{resume_after, stream};
use super::console::remember_language;
use super::console::words::Words;
use super::error::AppError;
use super::pages::LanguageChoice;
use super::pages::PageError;
use super::report_page::render;
use super::session::SignedIn;
use crate::db::Page;
use crate::domain::Role;

/// The most campaigns, channels and stores the page names; others show by id.
const NAMED: i64 = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/live",
            get(page).layer(axum::middleware::from_fn(remember_language)),
        )
        .route("/live/events", get(events))
}

#[derive(Template)]
#[template(path = "live.html")]
struct LivePage {
    t: Words,
    email: String,
    csrf: String,
    home: &'static str,
    /// `{"campaigns": {id: name}, "channels": ..., "stores": ...}` for the script, with
    /// `<` escaped so no name can end the script element.
    names_json: String,
}

async fn page(
    signed_in: SignedIn,
    choice: LanguageChoice,
    State(state): State<AppState>,
) -> Result<Response, PageError> {
    let scope = signed_in.caller.scope();
    let all = Page {
        after: 0,
        limit: NAMED,
    };
    let mut names: BTreeMap<&str, BTreeMap<i64, String>> = BTreeMap::new();
    let campaigns = state.db.campaigns(all).await?;
    let reached = match signed_in.caller.role {
        Role::Retailer => Some(state.db.campaigns_in_stores(&scope).await?),
        Role::Admin | Role::Analyst => None,
    };
    names.insert(
        "campaigns",
        campaigns
            .into_iter()
            .filter(|c| reached.as_ref().is_none_or(|ids| ids.contains(&c.id)))
            .map(|c| (c.id, c.name))
            .collect(),
    );
    names.insert(
        "channels",
        state
            .db
            .channels(all)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
    );
    names.insert(
        "stores",
        state
            .db
            .stores(all, &scope)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect(),
    );
    let names_json = serde_json::to_string(&names)
        .map_err(|err| AppError::Internal(err.into()))?
        .replace('<', "\\u003c");
    let page = LivePage {
        t: Words {
            language: choice.language,
        },
        email: signed_in.email,
        csrf: signed_in.csrf,
        home: match signed_in.caller.role {
            Role::Retailer => "/store",
            Role::Admin | Role::Analyst => "/reports",
        },
        names_json,
    };
    render(StatusCode::OK, &page)
}

async fn events(
    signed_in: SignedIn,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Response {
    let answer = match resume_after(&headers, None) {
        Ok(after) => stream(&state, &signed_in.caller, &headers, after).await,
        Err(err) => Err(err),
    };
    match answer {
        Ok(events) => events.into_response(),
        Err(err) => PageError(err).into_response(),
    }
}
