//! `/api/v1/channels`

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::time::to_rfc3339;
use super::{ChannelKindName, ErrorBody, Listing, PageQuery, StatusName, required_text};
use crate::db::{Channel, NewChannel};
use crate::domain::{ChannelKind, Slug, Status};
use crate::http::AppState;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path, Query};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChannel {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub(crate) name: String,
    #[schema(value_type = ChannelKindName)]
    pub(crate) kind: String,
    /// Used as `utm_source`; made from `name` when absent.
    #[schema(max_length = 64, pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub(crate) slug: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ChannelView {
    id: i64,
    slug: String,
    name: String,
    kind: String,
    /// `disabled`: not offered for new batches; its codes still resolve.
    #[schema(value_type = StatusName)]
    status: String,
    created_at: String,
}

impl From<Channel> for ChannelView {
    fn from(c: Channel) -> Self {
        Self {
            id: c.id,
            slug: c.slug,
            name: c.name,
            kind: c.kind.as_str().to_owned(),
            status: c.status.as_str().to_owned(),
            created_at: to_rfc3339(c.created_at),
        }
    }
}

/// Create a channel.
#[utoipa::path(post, path = "/api/v1/channels", tag = "channels", request_body = CreateChannel,
    responses((status = 201, body = ChannelView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Json(body): Json<CreateChannel>,
) -> Result<(StatusCode, Json<ChannelView>)> {
    let channel = state.db.create_channel(body.validate()?).await?;
    Ok((StatusCode::CREATED, Json(channel.into())))
}

impl CreateChannel {
    pub(crate) fn validate(self) -> Result<NewChannel> {
        let name = required_text("name", &self.name, 200)?;
        let kind = ChannelKind::parse(&self.kind).map_err(|m| AppError::invalid("kind", m))?;
        let slug = match &self.slug {
            Some(s) => Slug::parse(s),
            None => Slug::from_name(&name),
        }
        .map_err(|m| AppError::invalid("slug", m))?;
        Ok(NewChannel { slug, name, kind })
    }
}

/// List channels, oldest first.
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels", params(PageQuery),
    responses((status = 200, body = Listing<ChannelView>)))]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Listing<ChannelView>>> {
    let page = query.page()?;
    let items = state
        .db
        .channels(page)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(Listing::new(items, page, |c: &ChannelView| c.id)))
}

/// Read one channel.
#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "channels",
    responses((status = 200, body = ChannelView), (status = 404, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<ChannelView>> {
    let channel = state.db.channel(id).await.map_err(missing("channel"))?;
    Ok(Json(channel.into()))
}

/// What `PATCH /api/v1/channels/{id}` changes: its name, kind or status. Its slug, the
/// `utm_source` shops have already seen, stays.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelChange {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub(crate) name: Option<String>,
    #[schema(value_type = Option<ChannelKindName>)]
    pub(crate) kind: Option<String>,
    /// `disabled` retires the channel: it is not offered for new batches; codes already
    /// printed for it keep resolving.
    #[schema(value_type = Option<StatusName>)]
    pub(crate) status: Option<String>,
}

impl ChannelChange {
    /// Checks the change against the channel as it is, then stores it.
    pub(crate) async fn apply(self, state: &AppState, id: i64) -> Result<Channel> {
        let current = state.db.channel(id).await.map_err(missing("channel"))?;
        if self.name.is_none() && self.kind.is_none() && self.status.is_none() {
            return Err(AppError::invalid(
                "name",
                "send at least one of name, kind and status",
            ));
        }
        let name = match &self.name {
            Some(name) => required_text("name", name, 200)?,
            None => current.name,
        };
        let kind = match &self.kind {
            Some(kind) => ChannelKind::parse(kind).map_err(|m| AppError::invalid("kind", m))?,
            None => current.kind,
        };
        let status = match &self.status {
            Some(status) => Status::parse(status).map_err(|m| AppError::invalid("status", m))?,
            None => current.status,
        };
        state
            .db
            .update_channel(id, name, kind, status)
            .await
            .map_err(missing("channel"))
    }
}

/// Rename a channel, change its kind or retire it (`status`); its slug stays.
#[utoipa::path(patch, path = "/api/v1/channels/{id}", tag = "channels", request_body = ChannelChange,
    responses((status = 200, body = ChannelView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<ChannelChange>,
) -> Result<Json<ChannelView>> {
    Ok(Json(body.apply(&state, id).await?.into()))
}
