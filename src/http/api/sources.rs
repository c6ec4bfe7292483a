//! `/api/v1/sources`: shops that post conversions through signed webhooks. A source's
//! secret is shown when it is created or rotated, never listed.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use super::conversions::source_name;
use super::time::to_rfc3339;
use crate::db::Source;
use crate::http::AppState;
use crate::http::error::{Result, missing};
use crate::http::extract::{Json, Path};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSource {
    /// The source's name, as conversions carry it: tmall, jd, shopify... (a-z, 0-9, `_`,
    /// `-`, up to 32).
    #[schema(max_length = 32, pattern = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]
    name: String,
}

#[derive(Serialize, ToSchema)]
pub struct SourceView {
    id: i64,
    name: String,
    /// Where the shop posts conversions, signed with the secret.
    webhook_url: String,
    created_at: String,
    rotated_at: Option<String>,
    /// Until when the secret before the last rotation is still accepted.
    previous_secret_valid_until: Option<String>,
    /// Shown only when created or rotated: keep it, it cannot be read again.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl SourceView {
    fn new(source: Source, state: &AppState, with_secret: bool) -> Self {
        Self {
            webhook_url: format!(
                "{}/hooks/conversions/{}",
                state.settings.public_url, source.name
            ),
            id: source.id,
            name: source.name,
            created_at: to_rfc3339(source.created_at),
            rotated_at: source.rotated_at.map(to_rfc3339),
            previous_secret_valid_until: source.previous_until.map(to_rfc3339),
            secret: with_secret.then_some(source.secret),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SourceList {
    items: Vec<SourceView>,
}

/// Create a source; the answer holds its signing secret, shown this once.
#[utoipa::path(post, path = "/api/v1/sources", tag = "conversions", request_body = CreateSource,
    responses((status = 201, body = SourceView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Json(body): Json<CreateSource>,
) -> Result<(StatusCode, Json<SourceView>)> {
    let name = source_name(&body.name)?;
    let source = state.db.create_source(&name).await?;
    Ok((
        StatusCode::CREATED,
        Json(SourceView::new(source, &state, true)),
    ))
}

/// List sources (without their secrets).
#[utoipa::path(get, path = "/api/v1/sources", tag = "conversions",
    responses((status = 200, body = SourceList)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<SourceList>> {
    let items = state.db.sources().await?;
    let items = items
        .into_iter()
        .map(|s| SourceView::new(s, &state, false))
        .collect();
    Ok(Json(SourceList { items }))
}

/// Issue a new secret, shown this once; the one before is still accepted for 24 hours,
/// so the shop can sign with both (two `v1=`) while it switches.
#[utoipa::path(post, path = "/api/v1/sources/{id}/rotate", tag = "conversions",
    responses((status = 200, body = SourceView), (status = 404, body = ErrorBody)))]
pub async fn rotate(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<SourceView>> {
    let source = state
        .db
        .rotate_source_secret(id)
        .await
        .map_err(missing("source"))?;
    Ok(Json(SourceView::new(source, &state, true)))
}
