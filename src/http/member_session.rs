//! A member signed in on a phone: the `sl_member` cookie (256 random bits, kept as their
//! SHA-256 in `member_sessions`), separate from the `sl_vid` visitor cookie, whose id shops
//! and integrators see and which must never be enough to act as a member. The cookie is
//! SameSite=Lax, so the page a scan opens knows the member; forms that change something
//! carry a token derived from the cookie's secret, which another site cannot read.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::AppError;
use super::pages::PageError;
use super::session::{cookie, same_secret};
use crate::accounts::secret::hash_secret;
use crate::config::Settings;
use crate::db::{Member, now_ms};

pub const MEMBER_COOKIE: &str = "sl_member";

/// The member the request's cookie signs in, if any.
pub(super) struct MaybeMember(pub Option<SignedInMember>);

pub(super) struct SignedInMember {
    pub member: Member,
    secret: String,
}

impl SignedInMember {
    /// The token this session's forms carry.
    pub fn form_token(&self) -> String {
        form_token(&self.secret)
    }

    /// Whether a form's `token` field is this session's (compared in constant time).
    pub fn token_matches(&self, sent: &str) -> bool {
        same_secret(&self.form_token(), sent)
    }

    pub fn session_hash(&self) -> String {
        hash_secret(&self.secret)
    }
}

fn form_token(secret: &str) -> String {
    hex::encode(Sha256::digest(format!("form:{secret}").as_bytes()))
}

impl FromRequestParts<AppState> for MaybeMember {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let Some(secret) = cookie(&parts.headers, MEMBER_COOKIE) else {
            return Ok(Self(None));
        };
        let member = state
            .db
            .member_by_session(&hash_secret(&secret), now_ms())
            .await
            .map_err(AppError::from)?;
        Ok(Self(member.map(|member| SignedInMember { member, secret })))
    }
}

/// `Set-Cookie` for a member's session (`max_age_secs` 0 removes it).
pub(super) fn member_cookie(settings: &Settings, secret: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let path = format!("{}/", settings.path_prefix());
    HeaderValue::from_str(&format!(
        "{MEMBER_COOKIE}={secret}; Path={path}; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("sl_member=; Max-Age=0"))
}

/// Adds `cookie` to a response's headers.
pub(super) fn with_cookie(
    mut response: axum::response::Response,
    cookie: HeaderValue,
) -> axum::response::Response {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}
