//! Who is calling the API. `Caller` is an extractor: the API router's layer demands one for
//! every route, so no route can forget the check, and a handler that needs to know who asked
//! takes `Caller` as an argument (found again in the request's extensions, not re-queried).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::access;
use super::error::AppError;
use crate::db::{Scope, hash_key, now_ms};
use crate::domain::Role;

/// The authenticated caller: the user an API key (or a page's session) belongs to, with
/// their role and (for a retailer) stores. Every check of what a request may do starts
/// from this one value.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub role: Role,
    /// A retailer's stores; empty for other roles.
    pub store_ids: Vec<i64>,
    /// The API key used; none for a signed-in browser.
    pub key_id: Option<i64>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let key = bearer_key(&parts.headers).ok_or(AppError::Unauthorized)?;
        let caller = Caller::with_key(state, key).await?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

impl Caller {
    /// The stores whose records the caller may see.
    pub fn scope(&self) -> Scope {
        match self.role {
            Role::Retailer => Scope::Stores(self.store_ids.clone()),
            Role::Admin | Role::Analyst => Scope::All,
        }
    }

    /// The caller an API key names; 401 for a key that is unknown or revoked.
    pub async fn with_key(state: &AppState, key: &str) -> Result<Self, AppError> {
        if let Some(caller) = state.known_keys.get(key) {
            return Ok(caller);
        }
        let found = state.db.api_key(key).await?.ok_or(AppError::Unauthorized)?;
        let caller = Caller {
            user_id: found.user_id,
            role: found.role,
            store_ids: found.store_ids,
            key_id: Some(found.id),
        };
        state.known_keys.remember(key, caller.clone());
        // At most once a second per key (then it is remembered), and off the request's path.
        let db = state.db.clone();
        tokio::spawn(async move {
            if let Err(err) = db.note_key_used(found.id, now_ms()).await {
                tracing::warn!(error = %err, "noting a key's last use failed");
            }
        });
        Ok(caller)
    }
}

/// How long a key found valid is taken as valid without asking the database again: a
/// key revoked, or its user disabled or changed, on another instance or by `scanloop keys
/// revoke` is refused (or seen changed) within this time; on this instance at once.
const REMEMBER_KEYS_FOR: Duration = Duration::from_secs(1);

/// Keys found valid in the last [`REMEMBER_KEYS_FOR`], by their hash: a busy integration
/// (a shop posting thousands of purchases a second) is not a database read per request.
/// Only valid keys are kept, so guessing cannot grow it.
#[derive(Default)]
pub struct KnownKeys(Mutex<HashMap<String, (Caller, Instant)>>);

impl KnownKeys {
    fn get(&self, key: &str) -> Option<Caller> {
        let known = self.0.lock().expect("not poisoned");
        let (caller, since) = known.get(&hash_key(key))?;
        (since.elapsed() < REMEMBER_KEYS_FOR).then(|| caller.clone())
    }

    fn remember(&self, key: &str, caller: Caller) {
        let mut known = self.0.lock().expect("not poisoned");
        known.retain(|_, (_, since)| since.elapsed() < REMEMBER_KEYS_FOR);
        known.insert(hash_key(key), (caller, Instant::now()));
    }

    /// Forgets every key: after a key is revoked or a user changed, the next request with
    /// any key reads what is stored.
    pub fn forget_all(&self) {
        self.0.lock().expect("not poisoned").clear();
    }
}

/// The layer over `/api/v1`: a request without a valid key is answered 401, and one its
/// caller's role may not make 403, before the handler runs (`access::allowed`).
pub async fn require_caller(caller: Caller, mut request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    if let Some(route) = route
        && let Err(refused) = access::allowed(&caller, request.method(), &route)
    {
        return refused.into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

fn bearer_key(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|key| !key.is_empty())
}
