//! `/password/{token}`: the one-time link an admin (or `scanloop users`) hands a user to
//! set their password. The token in the path is the only credential; it is never logged
//! in full and the page sends no referrer.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::AppState;
use super::error::AppError;
use super::pages::PageError;
use super::report_page::render;
use crate::accounts::password;
use crate::accounts::secret::hash_secret;
use crate::db::DbError;
use crate::domain::account::check_password;

pub fn router() -> Router<AppState> {
    Router::new().route("/password/{token}", get(form).post(set))
}

pub enum LinkState {
    Open(String),
    Done(String),
    Gone,
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    state: LinkState,
    error: Option<String>,
}

fn page(
    status: StatusCode,
    state: LinkState,
    error: Option<String>,
) -> Result<Response, PageError> {
    let mut response = render(status, &PasswordPage { state, error })?;
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

async fn form(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    match state.db.password_link_user(&hash_secret(&token)).await? {
        Some(user) => page(
            StatusCode::OK,
            LinkState::Open(user.email.to_string()),
            None,
        ),
        None => page(StatusCode::NOT_FOUND, LinkState::Gone, None),
    }
}

#[derive(Deserialize)]
struct NewPassword {
    password: String,
    again: String,
}

async fn set(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<NewPassword>,
) -> Result<Response, PageError> {
    let hashed = hash_secret(&token);
    let Some(user) = state.db.password_link_user(&hashed).await? else {
        return page(StatusCode::NOT_FOUND, LinkState::Gone, None);
    };
    let email = user.email.to_string();
    let refused = if form.password != form.again {
        Some("The two passwords differ; type the same one twice.".to_owned())
    } else {
        check_password(&form.password, &user.email)
            .err()
            .map(|why| format!("That password {why}."))
    };
    if let Some(error) = refused {
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            LinkState::Open(email),
            Some(error),
        );
    }
    let hash = password::hash(form.password)
        .await
        .map_err(AppError::Internal)?;
    match state.db.use_password_link(&hashed, &hash).await {
        Ok(user_id) => {
            tracing::info!(user = user_id, "password set through a one-time link");
            page(StatusCode::OK, LinkState::Done(email), None)
        }
        // Used or expired between the check and now (a second submission).
        Err(DbError::NotFound) => page(StatusCode::NOT_FOUND, LinkState::Gone, None),
        Err(err) => Err(AppError::from(err).into()),
    }
}
