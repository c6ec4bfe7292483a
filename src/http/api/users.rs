//! `/api/v1/users`: accounts, managed by admins. A user made without a password gets a
//! one-time link to set one (scanloop sends no mail: the admin passes the link on).

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::time::to_rfc3339;
use super::{ErrorBody, Listing, PageQuery, RoleName};
use crate::accounts::{self, password};
use crate::db::{NewUser, User, UserChange};
use crate::domain::account::{check_password, check_role_stores};
use crate::domain::{Email, Role};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path, Query};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Their sign-in name; kept lowercased, unique.
    #[schema(min_length = 3, max_length = 254)]
    pub(crate) email: String,
    /// At least 10 characters and not easy to guess. Leave it out to get a one-time link
    /// that lets them choose their own.
    #[schema(min_length = 10, max_length = 256)]
    pub(crate) password: Option<String>,
    #[schema(value_type = RoleName)]
    pub(crate) role: String,
    /// A retailer's stores (at least one); only retailers have stores.
    #[serde(default)]
    pub(crate) store_ids: Vec<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[schema(value_type = Option<RoleName>)]
    pub(crate) role: Option<String>,
    /// Replaces a retailer's stores.
    pub(crate) store_ids: Option<Vec<i64>>,
    /// `true` stops the user's keys and sign-ins at once; `false` lets them back.
    pub(crate) disabled: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    id: i64,
    email: String,
    #[schema(value_type = RoleName)]
    role: &'static str,
    store_ids: Vec<i64>,
    /// Whether they have set a password (without one they cannot sign in).
    has_password: bool,
    disabled: bool,
    created_at: String,
    updated_at: String,
    disabled_at: Option<String>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email.to_string(),
            role: u.role.as_str(),
            store_ids: u.store_ids,
            has_password: u.has_password,
            disabled: u.disabled_at.is_some(),
            created_at: to_rfc3339(u.created_at),
            updated_at: to_rfc3339(u.updated_at),
            disabled_at: u.disabled_at.map(to_rfc3339),
        }
    }
}

/// A one-time link that sets the user's password; shown once.
#[derive(Serialize, ToSchema)]
pub struct PasswordLink {
    pub(crate) url: String,
    pub(crate) expires_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedUser {
    pub(crate) user: UserView,
    /// Present when the user was made without a password.
    pub(crate) set_password: Option<PasswordLink>,
}

/// A retailer has stores and no one else does; every store must exist.
async fn check_stores(state: &AppState, role: Role, store_ids: &[i64]) -> Result<()> {
    check_role_stores(role, store_ids.len()).map_err(|m| AppError::invalid("store_ids", m))?;
    match state.db.unknown_stores(store_ids).await?.first() {
        Some(id) => Err(AppError::invalid(
            "store_ids",
            format!("no store has id {id}"),
        )),
        None => Ok(()),
    }
}

fn parse_role(raw: &str) -> Result<Role> {
    Role::parse(raw).map_err(|m| AppError::invalid("role", m))
}

/// Create a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = CreatedUser), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateUser>,
) -> Result<(StatusCode, Json<CreatedUser>)> {
    let email = Email::parse(&body.email).map_err(|m| AppError::invalid("email", m))?;
    let role = parse_role(&body.role)?;
    let mut store_ids = body.store_ids;
    store_ids.sort_unstable();
    store_ids.dedup();
    check_stores(&state, role, &store_ids).await?;
    let password_hash = match body.password {
        Some(password) => {
            check_password(&password, &email).map_err(|m| AppError::invalid("password", m))?;
            Some(password::hash(password).await?)
        }
        None => None,
    };
    let needs_link = password_hash.is_none();
    let user = state
        .db
        .create_user(NewUser {
            email,
            role,
            password_hash,
            store_ids,
        })
        .await?;
    let set_password = if needs_link {
        let (url, expires_at) =
            accounts::password_link(&state.db, user.id, &state.settings.public_url).await?;
        Some(PasswordLink {
            url,
            expires_at: to_rfc3339(expires_at),
        })
    } else {
        None
    };
    tracing::info!(by = caller.user_id, user = user.id, role = %user.role, "user created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user: user.into(),
            set_password,
        }),
    ))
}

/// List users, oldest first.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(PageQuery),
    responses((status = 200, body = Listing<UserView>)))]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Listing<UserView>>> {
    let page = query.page()?;
    let items = state
        .db
        .users(page)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(Listing::new(items, page, |u: &UserView| u.id)))
}

/// Read one user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<UserView>> {
    let user = state.db.user(id).await.map_err(missing("user"))?;
    Ok(Json(user.into()))
}

/// Change a user's role or stores, or disable them (their keys stop at once) or enable
/// them again. The last enabled admin can be neither disabled nor demoted.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UpdateUser,
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<UpdateUser>,
) -> Result<Json<UserView>> {
    let current = state.db.user(id).await.map_err(missing("user"))?;
    let role = body.role.as_deref().map(parse_role).transpose()?;
    let final_role = role.unwrap_or(current.role);
    let mut store_ids = match body.store_ids {
        Some(ids) => Some(ids),
        // Someone who stops being a retailer stops having stores.
        None if final_role != Role::Retailer && !current.store_ids.is_empty() => Some(Vec::new()),
        None => None,
    };
    if let Some(ids) = &mut store_ids {
        ids.sort_unstable();
        ids.dedup();
    }
    let final_stores = store_ids.as_deref().unwrap_or(&current.store_ids);
    check_stores(&state, final_role, final_stores).await?;
    let user = state
        .db
        .update_user(
            id,
            UserChange {
                role,
                store_ids,
                disabled: body.disabled,
            },
        )
        .await
        .map_err(missing("user"))?;
    state.known_keys.forget_all();
    tracing::info!(by = caller.user_id, user = id, role = %user.role,
        disabled = user.disabled_at.is_some(), "user changed");
    Ok(Json(user.into()))
}

/// Make a one-time link that sets the user's password (valid for 24 hours; an earlier
/// link stops working). Shown once: pass it to them yourself.
#[utoipa::path(post, path = "/api/v1/users/{id}/password-link", tag = "users",
    responses((status = 201, body = PasswordLink), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn password_link(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<PasswordLink>)> {
    let user = state.db.user(id).await.map_err(missing("user"))?;
    if user.disabled_at.is_some() {
        return Err(AppError::Conflict(
            "this user is disabled; enable them first".into(),
        ));
    }
    let (url, expires_at) =
        accounts::password_link(&state.db, user.id, &state.settings.public_url).await?;
    Ok((
        StatusCode::CREATED,
        Json(PasswordLink {
            url,
            expires_at: to_rfc3339(expires_at),
        }),
    ))
}
