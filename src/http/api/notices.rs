//! Recall notices: `POST /api/v1/batches/{id}/notices` puts a batch (or a serial range of
//! it) under a notice, so every scan of those codes goes to the notice's page (recorded
//! with outcome `notice`) on every instance within a few seconds; `DELETE
//! /api/v1/notices/{id}` lifts it. Notices are kept after they are lifted, with who put
//! them up and who took them down.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::time::to_rfc3339;
use super::{ErrorBody, multiline_text, optional_text};
use crate::db::{DbError, NewNotice, Notice};
use crate::domain::{BatchMode, Generation, TargetUrl};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path};

/// A text in English and Chinese; one of the two may be left out (the page shows the
/// other).
#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Bilingual {
    #[schema(max_length = 2000)]
    pub(crate) en: Option<String>,
    #[schema(max_length = 2000)]
    pub(crate) zh: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNotice {
    /// The first serial under the notice (a unique batch); with `to_serial`. Both left
    /// out: the whole batch.
    #[schema(minimum = 1)]
    pub(crate) from_serial: Option<i64>,
    #[schema(minimum = 1)]
    pub(crate) to_serial: Option<i64>,
    /// The notice's heading (up to 200 characters each).
    pub(crate) title: Bilingual,
    /// What people should know and do: several lines allowed.
    pub(crate) text: Bilingual,
    /// A link for more (an http or https URL): the recall page, a form, a hotline page.
    #[schema(max_length = 2048)]
    pub(crate) url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NoticeView {
    id: i64,
    pub(crate) batch_id: i64,
    from_serial: i64,
    to_serial: i64,
    title: Bilingual,
    text: Bilingual,
    url: Option<String>,
    /// Where scans of the covered codes go.
    page: String,
    /// `standing` or `lifted`.
    status: &'static str,
    created_at: String,
    created_by: i64,
    created_by_email: Option<String>,
    lifted_at: Option<String>,
    lifted_by: Option<i64>,
    lifted_by_email: Option<String>,
}

impl NoticeView {
    fn new(n: Notice, public_url: &str) -> Self {
        Self {
            id: n.id,
            batch_id: n.batch_id,
            from_serial: n.from_serial,
            to_serial: n.to_serial,
            title: Bilingual {
                en: n.title_en,
                zh: n.title_zh,
            },
            text: Bilingual {
                en: n.text_en,
                zh: n.text_zh,
            },
            url: n.url,
            page: format!("{public_url}/notices/{}", n.id),
            status: if n.lifted_at.is_some() {
                "lifted"
            } else {
                "standing"
            },
            created_at: to_rfc3339(n.created_at),
            created_by: n.created_by,
            created_by_email: n.created_by_email,
            lifted_at: n.lifted_at.map(to_rfc3339),
            lifted_by: n.lifted_by,
            lifted_by_email: n.lifted_by_email,
        }
    }
}

impl CreateNotice {
    /// Checks the notice against its batch: a range only on a unique batch, inside it, in
    /// order; words in at least one language, the same languages for title and text.
    async fn validate(self, state: &AppState, batch_id: i64, by: i64) -> Result<NewNotice> {
        let batch = state.db.batch(batch_id).await.map_err(missing("batch"))?;
        if batch.generation != Generation::Ready {
            return Err(AppError::Conflict(
                "the batch is still generating (or failed): a notice covers printed codes".into(),
            ));
        }
        let size = batch.codes_total();
        let (from, to) = match (self.from_serial, self.to_serial) {
            (None, None) => (1, size),
            (Some(_), Some(_)) if batch.mode == BatchMode::Shared => {
                return Err(AppError::invalid(
                    "from_serial",
                    "a shared batch is one code: leave out from_serial and to_serial",
                ));
            }
            (Some(from), Some(to)) if from < 1 || to > size => {
                return Err(AppError::invalid(
                    "from_serial",
                    format!("the batch's serials are 1 to {size}"),
                ));
            }
            (Some(from), Some(to)) if from > to => {
                return Err(AppError::invalid(
                    "to_serial",
                    "must not be below from_serial",
                ));
            }
            (Some(from), Some(to)) => (from, to),
            _ => {
                return Err(AppError::invalid(
                    "to_serial",
                    "give both from_serial and to_serial, or neither (the whole batch)",
                ));
            }
        };
        let title_en = optional_text("title.en", self.title.en.as_deref(), 200)?;
        let title_zh = optional_text("title.zh", self.title.zh.as_deref(), 200)?;
        let text_en = multiline_text("text.en", self.text.en.as_deref(), 2000)?;
        let text_zh = multiline_text("text.zh", self.text.zh.as_deref(), 2000)?;
        if title_en.is_none() && title_zh.is_none() {
            return Err(AppError::invalid(
                "title",
                "give a title in English (en), Chinese (zh) or both",
            ));
        }
        for (language, title, text) in [("en", &title_en, &text_en), ("zh", &title_zh, &text_zh)] {
            if title.is_some() != text.is_some() {
                return Err(AppError::invalid(
                    &format!("text.{language}"),
                    "give the title and the text in the same languages",
                ));
            }
        }
        let url = match optional_text("url", self.url.as_deref(), 2048)? {
            Some(url) => Some(
                TargetUrl::parse(&url)
                    .map_err(|m| AppError::invalid("url", m))?
                    .into_string(),
            ),
            None => None,
        };
        Ok(NewNotice {
            batch_id,
            from_serial: from,
            to_serial: to,
            title_en,
            title_zh,
            text_en,
            text_zh,
            url,
            created_by: by,
        })
    }
}

/// Put a batch, or a serial range of a unique batch, under a recall notice.
#[utoipa::path(post, path = "/api/v1/batches/{id}/notices", tag = "notices", request_body = CreateNotice,
    responses((status = 201, body = NoticeView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The batch is not ready."),
        (status = 422, body = ErrorBody, description = "Bad input, or a standing notice covers some of these serials.")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<CreateNotice>,
) -> Result<(StatusCode, Json<NoticeView>)> {
    let new = body.validate(&state, id, caller.user_id).await?;
    let (from, to) = (new.from_serial, new.to_serial);
    let notice = match state.codes.put_up_notice(new).await {
        Ok(notice) => notice,
        // Overlapping a standing notice is bad input: the caller chose the serials.
        Err(DbError::Conflict(message)) => return Err(AppError::invalid("from_serial", message)),
        Err(err) => return Err(missing("batch")(err)),
    };
    tracing::info!(
        user = caller.user_id,
        notice = notice.id,
        batch = id,
        from,
        to,
        "notice put up"
    );
    let view = NoticeView::new(notice, &state.settings.public_url);
    Ok((StatusCode::CREATED, Json(view)))
}

/// A batch's notices, standing and lifted, newest first.
#[utoipa::path(get, path = "/api/v1/batches/{id}/notices", tag = "notices",
    responses((status = 200, body = Vec<NoticeView>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<NoticeView>>> {
    state.db.batch(id).await.map_err(missing("batch"))?;
    let notices = state.db.batch_notices(id).await?;
    let public_url = &state.settings.public_url;
    Ok(Json(
        notices
            .into_iter()
            .map(|n| NoticeView::new(n, public_url))
            .collect(),
    ))
}

/// Read one notice.
#[utoipa::path(get, path = "/api/v1/notices/{id}", tag = "notices",
    responses((status = 200, body = NoticeView), (status = 404, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<NoticeView>> {
    let notice = state.db.notice(id).await.map_err(missing("notice"))?;
    Ok(Json(NoticeView::new(notice, &state.settings.public_url)))
}

/// Lift a notice: its codes go where their campaign sends them again. The notice is kept,
/// with who lifted it.
#[utoipa::path(delete, path = "/api/v1/notices/{id}", tag = "notices",
    responses((status = 200, body = NoticeView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Already lifted.")))]
pub async fn lift(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<NoticeView>> {
    let notice = state
        .codes
        .lift_notice(id, caller.user_id)
        .await
        .map_err(missing("notice"))?;
    tracing::info!(user = caller.user_id, notice = id, "notice lifted");
    Ok(Json(NoticeView::new(notice, &state.settings.public_url)))
}
