//! Who is calling the API. `Caller` is an extractor: the API router's layer demands one for
//! every route, so no route can forget the check, and a handler that needs to know who asked
//! takes `Caller` as an argument (found again in the request's extensions, not re-queried).

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use super::error::AppError;

/// The authenticated caller: an API key for now; users, roles and store scopes come with
/// accounts.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key_id: i64,
    pub key_name: String,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let key = bearer_key(&parts.headers).ok_or(AppError::Unauthorized)?;
        let key = state.db.api_key(key).await?.ok_or(AppError::Unauthorized)?;
        let caller = Caller {
            key_id: key.id,
            key_name: key.name,
        };
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// The layer over `/api/v1`: a request without a valid key is answered 401 before routing.
pub async fn require_caller(caller: Caller, mut request: Request, next: Next) -> Response {
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
