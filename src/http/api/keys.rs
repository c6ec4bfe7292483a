//! `/api/v1/keys`: API keys. Everyone manages their own; an admin also anyone's. A key
//! does what its user may do, and stops when its user is disabled.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::time::to_rfc3339;
use super::{ErrorBody, required_text};
use crate::db::{KeyListing, generate_key};
use crate::domain::Role;
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// A label to recognise the key by, such as the integration that uses it.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub(crate) name: String,
    /// Admins only: make the key for this user instead of for yourself.
    pub(crate) user_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct KeyView {
    id: i64,
    name: String,
    /// The key's first characters, to tell keys apart.
    prefix: String,
    user_id: i64,
    email: String,
    created_at: String,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
}

impl From<KeyListing> for KeyView {
    fn from(k: KeyListing) -> Self {
        Self {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            user_id: k.user_id,
            email: k.email,
            created_at: to_rfc3339(k.created_at),
            last_used_at: k.last_used_at.map(to_rfc3339),
            revoked_at: k.revoked_at.map(to_rfc3339),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedKey {
    /// The key itself, shown this once: only its hash is kept.
    pub(crate) key: String,
    #[serde(flatten)]
    pub(crate) listing: KeyView,
}

#[derive(Serialize, ToSchema)]
pub struct KeyList {
    items: Vec<KeyView>,
}

/// Create an API key.
#[utoipa::path(post, path = "/api/v1/keys", tag = "keys", request_body = CreateKey,
    responses((status = 201, body = CreatedKey), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateKey>,
) -> Result<(StatusCode, Json<CreatedKey>)> {
    let name = required_text("name", &body.name, 100)?;
    let user_id = match body.user_id {
        Some(user) if user != caller.user_id => {
            if caller.role != Role::Admin {
                return Err(AppError::Forbidden(
                    "only admins make keys for other users; leave user_id out".into(),
                ));
            }
            let owner = state
                .db
                .user(user)
                .await
                .map_err(|_| AppError::invalid("user_id", format!("no user has id {user}")))?;
            if owner.disabled_at.is_some() {
                return Err(AppError::invalid("user_id", "that user is disabled"));
            }
            user
        }
        _ => caller.user_id,
    };
    let key = generate_key();
    let id = state.db.ensure_api_key(user_id, &name, &key).await?;
    let listing = state.db.api_key_listing(id).await?.into();
    tracing::info!(
        by = caller.user_id,
        key = id,
        user = user_id,
        "API key created"
    );
    Ok((StatusCode::CREATED, Json(CreatedKey { key, listing })))
}

/// List your API keys (an admin sees everyone's), revoked ones included.
#[utoipa::path(get, path = "/api/v1/keys", tag = "keys",
    responses((status = 200, body = KeyList)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<KeyList>> {
    let owner = (caller.role != Role::Admin).then_some(caller.user_id);
    let items = state
        .db
        .api_keys(owner)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(KeyList { items }))
}

/// Revoke an API key: requests with it are refused at once on this server and within a
/// second on the others. Someone else's key is not found unless you are an admin.
#[utoipa::path(delete, path = "/api/v1/keys/{id}", tag = "keys",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    let key = state.db.api_key_listing(id).await.map_err(missing("key"))?;
    if caller.role != Role::Admin && key.user_id != caller.user_id {
        return Err(AppError::NotFound("key"));
    }
    state.db.revoke_api_key(id).await.map_err(missing("key"))?;
    state.known_keys.forget_all();
    tracing::info!(by = caller.user_id, key = id, "API key revoked");
    Ok(StatusCode::NO_CONTENT)
}
