//! One error type for every handler: JSON `{"error": {"code", "message"}}` with the status
//! that fits. Internal details are logged here once and never sent.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::db::DbError;
use crate::heavy::HeavyError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("missing or unknown API key: send Authorization: Bearer <key>")]
    Unauthorized,
    /// A caller whose role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A webhook whose signature does not verify.
    #[error("{0}")]
    BadSignature(String),
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0} is not allowed here; the Allow header lists the methods that are")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    RateLimited(String),
    #[error("the request took longer than {0} s and was stopped; send it again, or ask for less")]
    TimedOut(u64),
    #[error("the service is busy; try again")]
    Unavailable,
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    /// Internal failures are logged once, where they are answered; their details are never sent.
    pub(super) fn log_if_internal(&self) {
        if let Self::Internal(err) = self {
            tracing::error!(error = ?err, "request failed");
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::BadSignature(_) => (StatusCode::UNAUTHORIZED, "bad_signature"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::Validation { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Self::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::TimedOut(_) => (StatusCode::REQUEST_TIMEOUT, "timeout"),
            Self::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log_if_internal();
        let (status, code) = self.status_and_code();
        let body = Json(json!({ "error": { "code": code, "message": self.to_string() } }));
        let mut response = (status, body).into_response();
        if matches!(self, Self::Unauthorized) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                "Bearer".parse().expect("static header"),
            );
        }
        response
    }
}

impl From<DbError> for AppError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::NotFound => Self::NotFound("record"),
            DbError::Conflict(message) => Self::Conflict(message),
            DbError::Db(err) => Self::Internal(err.into()),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => {
                Self::TooLarge("the request body is too large (limit 64 KiB)".into())
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                Self::BadRequest("send a JSON body with Content-Type: application/json".into())
            }
            _ => Self::BadRequest(format!("invalid JSON body: {}", rejection.body_text())),
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        Self::BadRequest(format!("invalid path: {}", rejection.body_text()))
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        Self::BadRequest(format!("invalid query string: {}", rejection.body_text()))
    }
}

/// Maps the database's `NotFound` to a 404 that names what was missing.
pub fn missing(what: &'static str) -> impl Fn(DbError) -> AppError {
    move |err| match err {
        DbError::NotFound => AppError::NotFound(what),
        other => other.into(),
    }
}

impl From<HeavyError> for AppError {
    fn from(err: HeavyError) -> Self {
        match err {
            HeavyError::Busy => Self::RateLimited(err.to_string()),
            HeavyError::Failed(_) => Self::Internal(err.into()),
        }
    }
}
