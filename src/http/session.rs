//! Signed-in browsers: the `sl_session` cookie (a random secret; the database keeps its
//! SHA-256, so every instance can check it), read into the same `Caller` an API key gives,
//! and the CSRF token its forms carry.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::auth::Caller;
use super::pages::PageError;
use crate::accounts::secret::hash_secret;
pub use crate::accounts::secret::same_secret;
use crate::config::Settings;
use crate::db::now_ms;

pub const SESSION_COOKIE: &str = "sl_session";
/// A session's last use is written at most this often (its idle time is counted from it).
const TOUCH_EVERY_MS: i64 = 60_000;

/// Someone signed in, on a page. Without a live session the page answers with a redirect
/// to the sign-in form, which comes back to the page afterwards (and says the session
/// ended when the browser had one).
pub struct SignedIn {
    pub caller: Caller,
    pub email: String,
    /// Goes into every form of the page; a change without it is refused.
    pub csrf: String,
    pub session_hash: String,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let back_here = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_sign_in(back_here, false));
        };
        let hash = hash_secret(&secret);
        let now = now_ms();
        let idle = state.settings.session_idle.as_millis() as i64;
        let found = state
            .db
            .session(&hash, now, idle)
            .await
            .map_err(|err| PageError(err.into()).into_response())?;
        let Some(session) = found else {
            return Err(to_sign_in(back_here, true));
        };
        if now - session.last_seen_at > TOUCH_EVERY_MS {
            let (db, hash) = (state.db.clone(), hash.clone());
            tokio::spawn(async move {
                if let Err(err) = db.touch_session(&hash, now).await {
                    tracing::warn!(error = %err, "noting a session's use failed");
                }
            });
        }
        Ok(SignedIn {
            caller: Caller {
                user_id: session.user_id,
                role: session.role,
                store_ids: session.store_ids,
                key_id: None,
            },
            email: session.email,
            csrf: session.csrf_token,
            session_hash: hash,
        })
    }
}

impl SignedIn {
    /// Whether a form's `csrf` field is this session's token (compared in constant time).
    pub fn csrf_matches(&self, sent: &str) -> bool {
        same_secret(&self.csrf, sent)
    }
}

/// The sign-in form, coming back to `next` afterwards.
fn to_sign_in(next: &str, ended: bool) -> Response {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("next", next);
    if ended {
        query.append_pair("ended", "1");
    }
    Redirect::to(&format!("/login?{}", query.finish())).into_response()
}

/// A cookie's value from the request, if it was sent and is not empty.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name && !v.is_empty()).then(|| v.to_owned())
        })
}

/// A `Set-Cookie` for `name` on `path`, HttpOnly and SameSite=Strict (Secure when the site
/// is served over https); `max_age` 0 removes it.
pub fn set_cookie(
    settings: &Settings,
    name: &str,
    value: &str,
    path: &str,
    max_age: u64,
) -> (header::HeaderName, HeaderValue) {
    let secure = if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    );
    (
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("cookie values are URL-safe"),
    )
}

/// Where to go after signing in: a path of this site, never another one.
pub fn local_next(next: Option<&str>) -> String {
    match next {
        Some(next)
            if next.starts_with('/')
                && !next.starts_with("//")
                && !next.contains('\\')
                && !next.starts_with("/login") =>
        {
            next.to_owned()
        }
        _ => "/console".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_only_sends_people_back_to_this_site() {
        assert_eq!(
            local_next(Some("/reports/campaigns/3?tz=%2B08:00")),
            "/reports/campaigns/3?tz=%2B08:00"
        );
        for elsewhere in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "/login?next=/login",
            "reports",
        ] {
            assert_eq!(local_next(Some(elsewhere)), "/console", "{elsewhere}");
        }
        assert_eq!(local_next(None), "/console");
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        assert!(!same_secret("", "a"));
    }
}
