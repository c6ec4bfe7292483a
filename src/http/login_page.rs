//! `/login` and `/logout`: signing in with email and password, and out (here, or
//! everywhere at once).
//!
//! A wrong password, an unknown email and a disabled account get the same answer after
//! the same work (a hash is checked every time). Attempts are limited per account and per
//! network. The sign-in form carries a token that must match a cookie set with the form
//! (double submit), so another site cannot sign a browser in to an account of its choosing;
//! signing out takes the session's own CSRF token.

use std::net::SocketAddr;
use std::time::Duration;

use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::AppState;
use super::error::AppError;
use super::pages::PageError;
use super::rate_limit::KeyedLimit;
use super::report_page::render;
use super::session::{SESSION_COOKIE, SignedIn, cookie, local_next, same_secret, set_cookie};
use crate::accounts::password;
use crate::accounts::secret::new_secret;
use crate::db::now_ms;
use crate::domain::Email;
use crate::scans::client::{anonymise, client_ip};

/// The sign-in form's half of the double submit.
const FORM_COOKIE: &str = "sl_login";
const FORM_COOKIE_SECS: u64 = 3600;
const NO_MATCH: &str = "That email and password do not match an account that can sign in.";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(form).post(sign_in))
        .route("/logout", post(sign_out))
}

/// How often anyone may try: an account 10 times at once, then once a minute; a network
/// (/24 or /48: an office shares one) 30 times at once, then once every 10 seconds.
/// Every attempt counts, a right one too, so the check costs nothing to keep.
pub struct SignInLimits {
    accounts: KeyedLimit,
    networks: KeyedLimit,
}

impl Default for SignInLimits {
    fn default() -> Self {
        Self {
            accounts: KeyedLimit::new(10, Duration::from_secs(60)),
            networks: KeyedLimit::new(30, Duration::from_secs(10)),
        }
    }
}

impl SignInLimits {
    fn allow(&self, account: &str, network: &str) -> bool {
        self.networks.allow(network) && self.accounts.allow(account)
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    email: String,
    note: Option<&'static str>,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
struct FormQuery {
    next: Option<String>,
    /// Set when a page sent someone here because their session had ended.
    ended: Option<String>,
    signed_out: Option<String>,
}

/// The form with a fresh token in it and in its cookie.
fn login_page(
    state: &AppState,
    status: StatusCode,
    next: String,
    email: String,
    note: Option<&'static str>,
    error: Option<&'static str>,
) -> Result<Response, PageError> {
    let (csrf, _) = new_secret();
    let mut response = render(
        status,
        &LoginPage {
            csrf: csrf.clone(),
            next,
            email,
            note,
            error,
        },
    )?;
    let (name, value) = set_cookie(
        &state.settings,
        FORM_COOKIE,
        &csrf,
        "/login",
        FORM_COOKIE_SECS,
    );
    response.headers_mut().append(name, value);
    Ok(response)
}

async fn form(
    State(state): State<AppState>,
    Query(query): Query<FormQuery>,
) -> Result<Response, PageError> {
    let note = if query.ended.is_some() {
        Some("Your session ended: sign in again to go on where you were.")
    } else if query.signed_out.is_some() {
        Some("You are signed out.")
    } else {
        None
    };
    let next = local_next(query.next.as_deref());
    login_page(&state, StatusCode::OK, next, String::new(), note, None)
}

#[derive(Deserialize)]
struct SignInForm {
    email: String,
    password: String,
    next: Option<String>,
    csrf: String,
}

async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, PageError> {
    let next = local_next(form.next.as_deref());
    let typed = form.email.trim().to_owned();
    let retry = |status, error| {
        login_page(
            &state,
            status,
            next.clone(),
            typed.clone(),
            None,
            Some(error),
        )
    };
    let form_token = cookie(&headers, FORM_COOKIE).unwrap_or_default();
    if form_token.is_empty() || !same_secret(&form_token, &form.csrf) {
        return retry(
            StatusCode::FORBIDDEN,
            "This sign-in form had expired (or cookies are off); it is fresh now, try again.",
        );
    }
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let network = anonymise(client_ip(
        peer.ip(),
        forwarded,
        &state.settings.trusted_proxies,
    ));
    let Ok(email) = Email::parse(&form.email) else {
        return retry(
            StatusCode::UNPROCESSABLE_ENTITY,
            "That is not an email address; sign in with the one your account was made for.",
        );
    };
    if !state.sign_in_limits.allow(email.as_str(), &network) {
        return retry(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-in attempts for this account or from this network: wait a minute, then try again.",
        );
    }
    let account = state.db.sign_in(&email).await.map_err(AppError::from)?;
    // The hash is checked even when there is no account to sign in to, so a wrong
    // password and an unknown email take the same time.
    let (user_id, stored) = match account {
        Some(a) if !a.disabled => (Some(a.user_id), a.password_hash),
        _ => (None, None),
    };
    let matches = password::verify(form.password, stored)
        .await
        .map_err(AppError::Internal)?;
    let Some(user_id) = user_id.filter(|_| matches) else {
        tracing::info!(network, "sign-in refused");
        return retry(StatusCode::UNAUTHORIZED, NO_MATCH);
    };
    let (secret, secret_hash) = new_secret();
    let (csrf, _) = new_secret();
    let lasts = state.settings.session_max;
    state
        .db
        .create_session(
            &secret_hash,
            user_id,
            &csrf,
            now_ms() + lasts.as_millis() as i64,
        )
        .await
        .map_err(AppError::from)?;
    tracing::info!(user = user_id, "signed in");
    let mut response = Redirect::to(&next).into_response();
    let headers = response.headers_mut();
    let (name, value) = set_cookie(
        &state.settings,
        SESSION_COOKIE,
        &secret,
        "/",
        lasts.as_secs(),
    );
    headers.append(name, value);
    let (name, value) = set_cookie(&state.settings, FORM_COOKIE, "", "/login", 0);
    headers.append(name, value);
    Ok(response)
}

#[derive(Deserialize)]
struct SignOutForm {
    csrf: String,
    /// Any value: end every session of this user, on every device.
    everywhere: Option<String>,
}

async fn sign_out(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Form(form): Form<SignOutForm>,
) -> Result<Response, PageError> {
    if !signed_in.csrf_matches(&form.csrf) {
        return Err(AppError::Forbidden(
            "this form is out of date or came from another site; reload the page and try again"
                .into(),
        )
        .into());
    }
    let user = signed_in.caller.user_id;
    if form.everywhere.is_some() {
        let ended = state
            .db
            .end_user_sessions(user)
            .await
            .map_err(AppError::from)?;
        tracing::info!(user, sessions = ended, "signed out everywhere");
    } else {
        state
            .db
            .end_session(&signed_in.session_hash)
            .await
            .map_err(AppError::from)?;
        tracing::info!(user, "signed out");
    }
    let mut response = Redirect::to("/login?signed_out=1").into_response();
    let (name, value) = set_cookie(&state.settings, SESSION_COOKIE, "", "/", 0);
    response.headers_mut().append(name, value);
    Ok(response)
}
