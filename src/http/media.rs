//! `GET /media/{name}`: the pictures scanloop made (hero images, photos). A name is the
//! SHA-256 of the file, so its content never changes: browsers and proxies keep it for a
//! year, and a revalidation is answered 304 from the name alone.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::error::AppError;
use super::extract::Path;
use super::pages::PageError;

/// Removes picture files nothing shows any more (files are shared by content, so another
/// photo or campaign may still show one). A failure is logged: an orphan file is harmless.
pub(super) async fn forget_unused(state: &AppState, names: impl IntoIterator<Item = String>) {
    for name in names {
        match state.db.media_in_use(&name).await {
            Ok(false) => {}
            Ok(true) => continue,
            Err(err) => {
                tracing::warn!(%err, "could not tell whether a picture is still shown");
                continue;
            }
        }
        let media = state.media.clone();
        match tokio::task::spawn_blocking(move || media.remove(&name)).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(%err, "an unused picture could not be removed"),
            Err(err) => tracing::warn!(%err, "removing an unused picture failed"),
        }
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/media/{name}", get(picture))
}

async fn picture(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let path = state
        .media
        .path(&name)
        .ok_or(AppError::NotFound("picture"))?;
    let etag = format!("\"{}\"", name.trim_end_matches(".jpg"));
    let cached = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim().trim_start_matches("W/") == etag);
    let mut response = if cached {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let jpeg = match tokio::fs::read(&path).await {
            Ok(jpeg) => jpeg,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(AppError::NotFound("picture").into());
            }
            Err(e) => return Err(AppError::Internal(e.into()).into()),
        };
        ([(header::CONTENT_TYPE, "image/jpeg")], jpeg).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    Ok(response)
}
