//! People and API keys. Admins add people (a role, a retailer's stores), disable and
//! enable them and make their set-password links; everyone in the console makes and
//! revokes their own API keys (an admin anyone's). Secrets are shown once, on the page
//! that made them.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{Errors, Field, FormView, Kind, optional};
use super::{Change, Nav, OwnChange, form_status, refused, restore, words};
use crate::db::{KeyListing, Page, Scope, User};
use crate::domain::{Language, Role};
use crate::http::AppState;
use crate::http::api::keys::{self, CreateKey};
use crate::http::api::users::{self, CreateUser, UpdateUser};
use crate::http::error::AppError;
use crate::http::extract::{Json, Path};
use crate::http::pages::PageError;
use crate::http::report_page::{Viewer, render};

/// What a page shows once, right after making it: a set-password link or a key.
pub(super) struct Secret {
    pub label: String,
    pub value: String,
    pub hint: &'static str,
}

#[derive(Template)]
#[template(path = "console_users.html")]
struct UsersPage {
    nav: Nav,
    note: Option<String>,
    secret: Option<Secret>,
    people: Vec<Person>,
    form: FormView,
}

struct Person {
    id: i64,
    email: String,
    role: &'static str,
    stores: String,
    has_password: bool,
    disabled: bool,
    me: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct UserForm {
    email: String,
    role: String,
    stores: String,
    password: String,
}

const USER_FIELDS: [&str; 4] = ["email", "role", "stores", "password"];

/// The refusal for someone who is not an admin, if they are not.
fn unless_admin(viewer: &Viewer) -> Option<Response> {
    (viewer.caller.role != Role::Admin).then(|| {
        refused(
            AppError::Forbidden(
                "only admins manage people; your own API keys are at /console/keys".into(),
            ),
            viewer.language,
        )
    })
}

async fn users_page(
    state: &AppState,
    viewer: &Viewer,
    form: &UserForm,
    errors: &Errors,
) -> Result<UsersPage, PageError> {
    let t = |english: &'static str| super::words::tr(viewer.language, english);
    let users = state
        .db
        .users(Page {
            after: 0,
            limit: 500,
        })
        .await?;
    let stores = state
        .db
        .stores(
            Page {
                after: 0,
                limit: 500,
            },
            &Scope::All,
        )
        .await?;
    let store_code = |id: &i64| {
        stores
            .iter()
            .find(|s| s.id == *id)
            .map_or_else(|| format!("#{id}"), |s| s.code.clone())
    };
    let people = users
        .iter()
        .map(|u: &User| Person {
            id: u.id,
            email: u.email.to_string(),
            role: u.role.as_str(),
            stores: u
                .store_ids
                .iter()
                .map(store_code)
                .collect::<Vec<_>>()
                .join(", "),
            has_password: u.has_password,
            disabled: u.disabled_at.is_some(),
            me: u.id == viewer.caller.user_id,
        })
        .collect();
    let roles = [
        ("analyst", "Analyst: reads everything, changes nothing"),
        ("admin", "Admin: changes everything"),
        ("retailer", "Retailer: their stores only"),
    ]
    .into_iter()
    .map(|(v, l)| (v.to_owned(), t(l).to_owned()))
    .collect();
    let fields = vec![
        Field::new("email", t("Email"), Kind::Text, &form.email)
            .required()
            .max(254),
        Field::new("role", t("Role"), Kind::Select(roles), &form.role),
        Field::new("stores", t("Store numbers"), Kind::Text, &form.stores)
            .max(1000)
            .hint(t(
                "A retailer's stores, separated by commas, such as SH-001, SH-002.",
            )),
        Field::new("password", t("Password"), Kind::Password, &form.password)
            .max(256)
            .hint(t(
                "Leave empty to get a one-time link they use to choose their own.",
            )),
    ];
    Ok(UsersPage {
        nav: Nav::new(viewer, "/console/users"),
        note: None,
        secret: None,
        people,
        form: FormView::new("/console/users".into(), t("Add person"), fields, errors),
    })
}

pub(super) async fn users(
    viewer: Viewer,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    if let Some(refusal) = unless_admin(&viewer) {
        return Ok(refusal);
    }
    // A password never rides along through the sign-in page: `kept` has none.
    let (restored, note) = restore::<UserForm>(raw.as_deref(), viewer.language);
    let form = restored.unwrap_or_else(|| UserForm {
        role: "analyst".into(),
        ..UserForm::default()
    });
    let mut page = users_page(&state, &viewer, &form, &Errors::default()).await?;
    page.form.note = note;
    page.note = saved_note(raw.as_deref(), viewer.language);
    render(StatusCode::OK, &page)
}

fn saved_note(raw: Option<&str>, language: Language) -> Option<String> {
    let saved = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "saved")?
        .1
        .into_owned();
    let note = match saved.as_str() {
        "added" => "Person added.",
        "disabled" => "Disabled: their sign-ins and API keys stopped at once.",
        "enabled" => "Enabled again.",
        "revoked" => "Key revoked: requests with it are refused from now on.",
        _ => "Saved.",
    };
    Some(words::tr(language, note).to_owned())
}

/// Store numbers as typed (`SH-001, SH-002`) to their ids; an unknown one is the field's
/// error.
async fn store_ids(state: &AppState, typed: &str) -> Result<Vec<i64>, AppError> {
    let mut ids = Vec::new();
    for code in typed
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match state.db.store_id(code).await? {
            Some(id) => ids.push(id),
            None => {
                return Err(AppError::invalid(
                    "stores",
                    format!("no store has the number {code:?}"),
                ));
            }
        }
    }
    Ok(ids)
}

pub(super) async fn create_user(
    State(state): State<AppState>,
    Change { viewer, mut form }: Change<UserForm>,
) -> Result<Response, PageError> {
    let made = match store_ids(&state, &form.stores).await {
        Ok(store_ids) => {
            let body = CreateUser {
                email: form.email.clone(),
                password: optional(&form.password),
                role: form.role.clone(),
                store_ids,
            };
            users::create(State(state.clone()), viewer.caller.clone(), Json(body)).await
        }
        Err(err) => Err(err),
    };
    // A password typed is never sent back into the page.
    form.password.clear();
    match made {
        Ok((_, Json(created))) => {
            let Some(link) = created.set_password else {
                return Ok(Redirect::to("/console/users?saved=added").into_response());
            };
            let mut page =
                users_page(&state, &viewer, &UserForm::default(), &Errors::default()).await?;
            page.note = Some(words::tr(viewer.language, "Person added.").into());
            page.secret = Some(Secret {
                label: words::tr(viewer.language, "Set-password link for {}")
                    .replace("{}", form.email.trim()),
                value: link.url,
                hint: words::tr(
                    viewer.language,
                    "Shown this once and valid for 24 hours: send it to them yourself (scanloop sends no mail).",
                ),
            });
            render(StatusCode::CREATED, &page)
        }
        Err(err) => {
            let mut errors = Errors::default();
            let err = match err {
                AppError::Validation { field, message } if field == "store_ids" => {
                    AppError::invalid("stores", message)
                }
                other => other,
            };
            errors.place(err, &USER_FIELDS)?;
            let page = users_page(&state, &viewer, &form, &errors).await?;
            render(form_status(false), &page)
        }
    }
}

#[derive(Deserialize)]
pub(super) struct Nothing {}

/// `disable`, `enable` or `password-link` for a person.
pub(super) async fn user_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    Change { viewer, .. }: Change<Nothing>,
) -> Result<Response, PageError> {
    let disabled = match action.as_str() {
        "disable" => true,
        "enable" => false,
        "password-link" => {
            let (_, Json(link)) = match users::password_link(State(state.clone()), Path(id)).await {
                Ok(made) => made,
                Err(err @ AppError::Conflict(_)) => return Ok(refused(err, viewer.language)),
                Err(err) => return Err(err.into()),
            };
            let user = state.db.user(id).await?;
            let mut page =
                users_page(&state, &viewer, &UserForm::default(), &Errors::default()).await?;
            page.secret = Some(Secret {
                label: words::tr(viewer.language, "Set-password link for {}")
                    .replace("{}", &user.email.to_string()),
                value: link.url,
                hint: words::tr(
                    viewer.language,
                    "Shown this once and valid for 24 hours; an earlier link stopped working.",
                ),
            });
            return render(StatusCode::CREATED, &page);
        }
        _ => return Err(AppError::NotFound("action").into()),
    };
    let change = UpdateUser {
        role: None,
        store_ids: None,
        disabled: Some(disabled),
    };
    let language = viewer.language;
    match users::update(State(state), viewer.caller, Path(id), Json(change)).await {
        Ok(_) => {
            let saved = if disabled { "disabled" } else { "enabled" };
            Ok(Redirect::to(&format!("/console/users?saved={saved}")).into_response())
        }
        // The last admin stays.
        Err(err @ AppError::Conflict(_)) => Ok(refused(err, language)),
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "console_keys.html")]
struct KeysPage {
    nav: Nav,
    note: Option<String>,
    secret: Option<Secret>,
    keys: Vec<KeyRow>,
    form: FormView,
}

struct KeyRow {
    id: i64,
    name: String,
    prefix: String,
    email: String,
    created: String,
    last_used: String,
    revoked: bool,
}

impl KeyRow {
    fn new(k: KeyListing) -> Self {
        let day = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default()
        };
        Self {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            email: k.email,
            created: day(k.created_at),
            last_used: k.last_used_at.map(day).unwrap_or_default(),
            revoked: k.revoked_at.is_some(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct KeyForm {
    name: String,
}

async fn keys_page(
    state: &AppState,
    viewer: &Viewer,
    form: &KeyForm,
    errors: &Errors,
) -> Result<KeysPage, PageError> {
    let t = |english: &'static str| super::words::tr(viewer.language, english);
    let owner = (viewer.caller.role != Role::Admin).then_some(viewer.caller.user_id);
    let keys = state
        .db
        .api_keys(owner)
        .await?
        .into_iter()
        .map(KeyRow::new)
        .collect();
    let fields = vec![
        Field::new("name", t("Name"), Kind::Text, &form.name)
            .required()
            .max(100)
            .hint(t(
                "What uses it, such as “Tmall webhook relay” or “BI export”.",
            )),
    ];
    Ok(KeysPage {
        nav: Nav::new(viewer, "/console/keys"),
        note: None,
        secret: None,
        keys,
        form: FormView::new("/console/keys".into(), t("Make a key"), fields, errors),
    })
}

pub(super) async fn keys(
    viewer: Viewer,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (restored, note) = restore::<KeyForm>(raw.as_deref(), viewer.language);
    let mut page = keys_page(
        &state,
        &viewer,
        &restored.unwrap_or_default(),
        &Errors::default(),
    )
    .await?;
    page.form.note = note;
    page.note = saved_note(raw.as_deref(), viewer.language);
    render(StatusCode::OK, &page)
}

pub(super) async fn create_key(
    State(state): State<AppState>,
    OwnChange { viewer, form }: OwnChange<KeyForm>,
) -> Result<Response, PageError> {
    let body = CreateKey {
        name: form.name.clone(),
        user_id: None,
    };
    match keys::create(State(state.clone()), viewer.caller.clone(), Json(body)).await {
        Ok((_, Json(created))) => {
            let mut page =
                keys_page(&state, &viewer, &KeyForm::default(), &Errors::default()).await?;
            page.note = Some(words::tr(viewer.language, "Key made.").into());
            page.secret = Some(Secret {
                label: words::tr(viewer.language, "API key “{}”").replace("{}", form.name.trim()),
                value: created.key,
                hint: words::tr(
                    viewer.language,
                    "Shown this once: only its hash is kept. Send it as Authorization: Bearer <key>.",
                ),
            });
            render(StatusCode::CREATED, &page)
        }
        Err(err) => {
            let mut errors = Errors::default();
            errors.place(err, &["name"])?;
            let page = keys_page(&state, &viewer, &form, &errors).await?;
            render(form_status(false), &page)
        }
    }
}

pub(super) async fn revoke_key(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    OwnChange { viewer, .. }: OwnChange<Nothing>,
) -> Result<Response, PageError> {
    keys::revoke(State(state), viewer.caller, Path(id)).await?;
    Ok(Redirect::to("/console/keys?saved=revoked").into_response())
}
