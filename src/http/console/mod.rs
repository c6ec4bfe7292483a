//! The brand console: the pages a brand team works in after signing in. Campaigns (their
//! settings, landing page and batches, with downloads and generation progress), channels
//! and stores. Admins change things; analysts read the same pages without the forms;
//! retailers have their stores' dashboard instead (`/store`).
//!
//! Every change is a form posted with the session's CSRF token and checked by the API's
//! own validation, so the console refuses what the API refuses with the same messages,
//! shown next to the field with what was typed kept. A form posted after the session
//! ended goes through the sign-in page and comes back filled in (`Change`).

mod batches;
mod campaigns;
mod catalog;
mod experiments;
pub(crate) mod form;
mod home;
mod landing;
mod notices;
mod offers;
mod people;
mod photos;
mod remedies;
pub(crate) mod words;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::de::DeserializeOwned;
use tower_http::compression::CompressionLayer;

use super::AppState;
use super::error::AppError;
use super::pages::LanguageChoice;
use super::report_page::{Viewer, render};
use super::session::{SignedIn, same_secret};
use crate::domain::{Language, Role};
use words::Words;

/// Forms are small: a landing page's text is the largest field (10,000 characters).
const FORM_LIMIT: usize = 256 * 1024;
/// A form longer than this, encoded, does not ride along through the sign-in page.
const KEPT_LIMIT: usize = 4000;

pub fn router() -> Router<AppState> {
    let pages = Router::new()
        .route("/console", get(home::home))
        .route("/console/campaigns", get(campaigns::list))
        .route(
            "/console/campaigns/new",
            get(campaigns::new_form).post(campaigns::create),
        )
        .route("/console/campaigns/{id}", get(campaigns::show))
        .route(
            "/console/campaigns/{id}/settings",
            get(campaigns::settings_form).post(campaigns::save_settings),
        )
        .route(
            "/console/campaigns/{id}/status",
            get(to_parent).post(campaigns::set_status),
        )
        .route(
            "/console/campaigns/{id}/landing",
            get(landing::form).post(landing::save),
        )
        .route(
            "/console/campaigns/{id}/hero",
            get(to_parent)
                .post(landing::hero)
                .layer(DefaultBodyLimit::max(
                    crate::media::MAX_UPLOAD_BYTES + 64 * 1024,
                )),
        )
        .route("/console/campaigns/{id}/preview", get(landing::preview))
        .route(
            "/console/campaigns/{id}/batches/new",
            get(batches::new_form).post(batches::create),
        )
        .route("/console/batches/{id}", get(batches::show))
        .route(
            "/console/batches/{id}/status",
            get(to_parent).post(batches::set_status),
        )
        .route(
            "/console/batches/{id}/notices",
            get(notices::new_form).post(notices::create),
        )
        .route(
            "/console/notices/{id}/lift",
            get(|| async { Redirect::to("/console/campaigns") }).post(notices::lift),
        )
        .route(
            "/console/campaigns/{id}/offers",
            get(offers::new_form).post(offers::create),
        )
        .route(
            "/console/offers/{id}/end",
            get(|| async { Redirect::to("/console/campaigns") }).post(offers::end),
        )
        .route("/console/experiments/{id}", get(experiments::show))
        .route(
            "/console/experiments/{id}/stop",
            get(to_parent).post(experiments::stop),
        )
        .route("/console/remedies", get(remedies::list))
        .route(
            "/console/remedies/{id}",
            get(|| async { Redirect::to("/console/remedies") }).post(remedies::update),
        )
        .route("/console/photos", get(photos::queue))
        .route(
            "/console/photos/{id}/{decision}",
            get(to_photos).post(photos::decide),
        )
        .route(
            "/console/users",
            get(people::users).post(people::create_user),
        )
        .route(
            "/console/users/{id}/{action}",
            get(to_users).post(people::user_action),
        )
        .route("/console/keys", get(people::keys).post(people::create_key))
        .route(
            "/console/keys/{id}/revoke",
            get(to_keys).post(people::revoke_key),
        )
        .route(
            "/console/channels",
            get(catalog::channels).post(catalog::create_channel),
        )
        .route(
            "/console/stores",
            get(catalog::stores).post(catalog::create_store),
        )
        .route(
            "/console/channels/{id}/status",
            get(to_parent).post(catalog::set_channel_status),
        )
        .route(
            "/console/stores/{id}/status",
            get(to_parent).post(catalog::set_store_status),
        )
        .route(
            "/console/channels/{id}",
            get(catalog::channel).post(catalog::save_channel),
        )
        .route(
            "/console/stores/{id}",
            get(catalog::store).post(catalog::save_store),
        )
        .layer(axum::middleware::from_fn(remember_language))
        .layer(CompressionLayer::new());
    // Downloads stream as they are made, ZIPs and PDFs already compressed: no layer.
    pages.route("/console/batches/{id}/files/{file}", get(batches::download))
}

/// A language chosen with the header's switch is remembered (the `sl_lang` cookie).
pub(crate) async fn remember_language(
    choice: LanguageChoice,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    choice.remember(&mut response);
    response
}

/// The console's navigation, in every page's header: where you are, what your role may
/// open, and the sign-out form.
pub struct Nav {
    pub email: String,
    pub csrf: String,
    pub role: Role,
    pub here: &'static str,
    pub language: Language,
}

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

impl Nav {
    pub fn new(viewer: &Viewer, here: &'static str) -> Self {
        Self {
            email: viewer.email.clone(),
            csrf: viewer.csrf.clone(),
            role: viewer.caller.role,
            here,
            language: viewer.language,
        }
    }

    /// A sentence of the console in the page's language.
    pub fn tr(&self, english: &'static str) -> &'static str {
        words::tr(self.language, english)
    }

    /// A value from data (a channel's kind) in the page's language when the table knows it.
    pub fn tr_value(&self, value: &str) -> String {
        Words {
            language: self.language,
        }
        .tr_value(value)
    }

    /// The language switch's label, in the other language.
    pub fn other_language(&self) -> &'static str {
        Words {
            language: self.language,
        }
        .other_language()
    }

    pub fn admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn links(&self) -> Vec<NavLink> {
        let links: &[(&str, &str)] = &[
            ("/console", "Home"),
            ("/console/campaigns", "Campaigns"),
            ("/console/channels", "Channels"),
            ("/console/stores", "Stores"),
            ("/console/photos", "Photos"),
            ("/console/remedies", "Remedies"),
            ("/reports", "Reports"),
            ("/live", "Live"),
            ("/console/users", "People"),
            ("/console/keys", "API keys"),
        ];
        links
            .iter()
            .filter(|(href, _)| *href != "/console/users" || self.admin())
            .map(|&(href, label)| NavLink {
                href,
                label: self.tr(label),
                current: href == self.here,
            })
            .collect()
    }
}

/// A console form sent by someone who may change things (an admin), its CSRF token
/// checked, its fields read into `T`.
///
/// Without a live session the browser goes to the sign-in page, which then comes back to
/// the form's page with what was typed in the query (`kept`), so nothing typed is lost.
pub struct Change<T> {
    pub viewer: Viewer,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Change<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (viewer, form) = read_form(request, state, true).await?;
        Ok(Change { viewer, form })
    }
}

/// A console form about the sender's own things (their API keys), which analysts may send
/// too; checked like `Change`.
pub struct OwnChange<T> {
    pub viewer: Viewer,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for OwnChange<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (viewer, form) = read_form(request, state, false).await?;
        Ok(OwnChange { viewer, form })
    }
}

/// A posted form's request parts and body, once a live session is known to have sent it;
/// without one, the sign-in page that comes back with the fields (`sign_in_keeping`).
pub(crate) async fn signed_in_form(
    request: Request,
    state: &AppState,
) -> Result<(Parts, Bytes), Response> {
    let (mut parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_LIMIT).await.map_err(|_| {
        let choice = LanguageChoice::of(parts.uri.query(), &parts.headers);
        refused(AppError::TooLarge(TOO_LARGE_FORM.into()), choice.language)
    })?;
    if SignedIn::from_request_parts(&mut parts, state)
        .await
        .is_err()
    {
        return Err(sign_in_keeping(parts.uri.path(), &bytes));
    }
    Ok((parts, bytes))
}

async fn read_form<T: DeserializeOwned + Send>(
    request: Request,
    state: &AppState,
    admins_only: bool,
) -> Result<(Viewer, T), Response> {
    let (mut parts, bytes) = signed_in_form(request, state).await?;
    let viewer = Viewer::from_request_parts(&mut parts, state).await?;
    if admins_only && viewer.caller.role != Role::Admin {
        return Err(refused(
            AppError::Forbidden(ADMINS_ONLY.into()),
            viewer.language,
        ));
    }
    let sent = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if !same_secret(&sent, &viewer.csrf) {
        return Err(refused(
            AppError::Forbidden(STALE_FORM.into()),
            viewer.language,
        ));
    }
    let request = Request::from_parts(parts, Body::from(bytes));
    let axum::Form(form) = axum::Form::<T>::from_request(request, state)
        .await
        .map_err(|err| refused(AppError::BadRequest(err.body_text()), viewer.language))?;
    Ok((viewer, form))
}

#[derive(askama::Template)]
#[template(path = "console_refused.html")]
struct RefusedPage {
    t: Words,
    heading: &'static str,
    message: String,
}

/// A form or download refused as a whole (not allowed, a stale token, unreadable, not
/// ready): its status and the message saying why, on a page of its own in the console's
/// language (the console's own messages too; the API's stay English).
pub(super) fn refused(err: AppError, language: Language) -> Response {
    let status = err.status();
    let heading = match status {
        StatusCode::FORBIDDEN => "Not changed",
        StatusCode::PAYLOAD_TOO_LARGE => "Too large",
        StatusCode::CONFLICT => "Not ready",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::TOO_MANY_REQUESTS => "Busy",
        _ => "Not understood",
    };
    let t = Words { language };
    let page = RefusedPage {
        heading: t.tr(heading),
        message: t.tr_value(&err.to_string()),
        t,
    };
    match render(status, &page) {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

/// The sign-in page, coming back to `path` with the form's fields (its token and any
/// password left out: a link ends up in histories and logs) and `kept=1`, when they are
/// short enough to travel in a link.
fn sign_in_keeping(path: &str, body: &[u8]) -> Response {
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(body)
        .filter(|(k, _)| k != "csrf" && k != "password")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut back = path.to_owned();
    if !fields.is_empty() {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(&fields);
        query.append_pair("kept", "1");
        let query = query.finish();
        if query.len() <= KEPT_LIMIT {
            back = format!("{path}?{query}");
        }
    }
    let login: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", &back)
        .append_pair("ended", "1")
        .finish();
    Redirect::to(&format!("/login?{login}")).into_response()
}

/// A form's fields kept through the sign-in page, and the note saying so in `language`.
pub(super) fn restore<T: DeserializeOwned>(
    query: Option<&str>,
    language: Language,
) -> (Option<T>, Option<String>) {
    let restored = kept::<T>(query);
    let note = restored
        .is_some()
        .then(|| words::tr(language, KEPT_NOTE).to_owned());
    (restored, note)
}

/// Fields kept through the sign-in page (`?...&kept=1`), read as the form would be.
pub(crate) fn kept<T: DeserializeOwned>(query: Option<&str>) -> Option<T> {
    let query = query?;
    url::form_urlencoded::parse(query.as_bytes())
        .any(|(k, v)| k == "kept" && v == "1")
        .then(|| serde_urlencoded_form(query))?
}

fn serde_urlencoded_form<T: DeserializeOwned>(query: &str) -> Option<T> {
    axum::extract::Query::<T>::try_from_uri(&format!("/?{query}").parse().ok()?)
        .ok()
        .map(|q| q.0)
}

const TOO_LARGE_FORM: &str = "the form is larger than 256 KiB: shorten its texts";
const ADMINS_ONLY: &str = "only admins change campaigns, batches, channels, stores, photos and \
     accounts; nothing was changed";
pub const STALE_FORM: &str = "this form had expired or came from another page; nothing was \
     changed. Open the page again and send the form from there.";

pub(crate) const KEPT_NOTE: &str =
    "Your session had ended. Here is what you typed: check it and send it again.";

/// The page an action belongs to, for a link to an action's own address (the sign-in
/// page comes back there after a session ended).
async fn to_parent(uri: axum::http::Uri) -> Redirect {
    let path = uri.path();
    let parent = path.rsplit_once('/').map_or("/console", |(p, _)| p);
    Redirect::to(parent)
}

async fn to_photos() -> Redirect {
    Redirect::to("/console/photos")
}

async fn to_users() -> Redirect {
    Redirect::to("/console/users")
}

async fn to_keys() -> Redirect {
    Redirect::to("/console/keys")
}

/// A status for a form sent with mistakes: the page again, with them marked.
pub fn form_status(ok: bool) -> StatusCode {
    if ok {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}
