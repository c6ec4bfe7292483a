//! `/api/v1/batches`: print runs and their codes.

use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::time::to_rfc3339;
use super::{ErrorBody, Listing, PageQuery, StatusChange, optional_text, required_text};
use crate::domain::Gtin;
use crate::http::AppState;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path, Query};
use crate::store::{Batch, BatchMode, NewBatch, StoreError};

/// Largest batch: ten million items, a large production run.
pub const MAX_QUANTITY: i64 = 10_000_000;
/// Codes read per page while streaming the CSV.
const CSV_PAGE: i64 = 5_000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBatch {
    campaign_id: i64,
    channel_id: i64,
    store_id: Option<i64>,
    name: String,
    /// `shared` (one code for the run) or `unique` (one code per item).
    mode: String,
    /// Items printed; required for unique batches (1 to 10,000,000).
    quantity: Option<i64>,
    /// Print cost in cents, counted as spend in reports.
    cost_cents: Option<i64>,
    /// GS1 GTIN-8/12/13/14 with a valid check digit.
    gtin: Option<String>,
    /// Lot or batch number (GS1 AI 10), at most 20 characters.
    lot: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchView {
    id: i64,
    campaign_id: i64,
    channel_id: i64,
    store_id: Option<i64>,
    name: String,
    mode: String,
    quantity: i64,
    cost_cents: i64,
    gtin: Option<String>,
    lot: Option<String>,
    status: String,
    created_at: String,
    /// Where to download `serial,token,url` for the printer.
    codes_csv: String,
}

impl From<Batch> for BatchView {
    fn from(b: Batch) -> Self {
        Self {
            codes_csv: format!("/api/v1/batches/{}/codes.csv", b.id),
            id: b.id,
            campaign_id: b.campaign_id,
            channel_id: b.channel_id,
            store_id: b.store_id,
            name: b.name,
            mode: b.mode,
            quantity: b.quantity,
            cost_cents: b.cost_cents,
            gtin: b.gtin,
            lot: b.lot,
            status: b.status,
            created_at: to_rfc3339(b.created_at),
        }
    }
}

impl CreateBatch {
    async fn validate(self, state: &AppState) -> Result<NewBatch> {
        let name = required_text("name", &self.name, 200)?;
        let mode = match self.mode.as_str() {
            "shared" => BatchMode::Shared,
            "unique" => BatchMode::Unique,
            _ => {
                return Err(AppError::invalid(
                    "mode",
                    "must be \"shared\" or \"unique\"",
                ));
            }
        };
        let quantity = match (mode, self.quantity) {
            (BatchMode::Unique, None) => {
                return Err(AppError::invalid(
                    "quantity",
                    "is required for a unique batch",
                ));
            }
            (_, Some(q)) if !(1..=MAX_QUANTITY).contains(&q) => {
                return Err(AppError::invalid(
                    "quantity",
                    format!(
                        "must be between 1 and {MAX_QUANTITY} (split larger runs into several batches)"
                    ),
                ));
            }
            (_, q) => q.unwrap_or(1),
        };
        let cost_cents = self.cost_cents.unwrap_or(0);
        if !(0..=1_000_000_000_000).contains(&cost_cents) {
            return Err(AppError::invalid(
                "cost_cents",
                "must be between 0 and 1000000000000",
            ));
        }
        let gtin = self
            .gtin
            .map(|g| Gtin::parse(g.trim()).map_err(|m| AppError::invalid("gtin", m)))
            .transpose()?;
        let lot = optional_text("lot", self.lot.as_deref(), 20)?;
        if lot
            .as_deref()
            .is_some_and(|l| !l.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(AppError::invalid(
                "lot",
                "may hold only printable ASCII without spaces",
            ));
        }
        // Referenced records must exist: say which one is wrong rather than a bare 404.
        let exists = |field: &'static str, id: i64| {
            move |err: StoreError| match err {
                StoreError::NotFound => AppError::invalid(field, format!("no record with id {id}")),
                other => other.into(),
            }
        };
        state
            .db
            .campaign(self.campaign_id)
            .await
            .map_err(exists("campaign_id", self.campaign_id))?;
        state
            .db
            .channel(self.channel_id)
            .await
            .map_err(exists("channel_id", self.channel_id))?;
        if let Some(store_id) = self.store_id {
            state
                .db
                .store(store_id)
                .await
                .map_err(exists("store_id", store_id))?;
        }
        Ok(NewBatch {
            campaign_id: self.campaign_id,
            channel_id: self.channel_id,
            store_id: self.store_id,
            name,
            mode,
            quantity,
            cost_cents,
            gtin: gtin.map(Gtin::into_string),
            lot,
        })
    }
}

/// Create a batch and all its codes (one transaction: all or nothing).
#[utoipa::path(post, path = "/api/v1/batches", tag = "batches", request_body = CreateBatch,
    responses((status = 201, body = BatchView), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Json(body): Json<CreateBatch>,
) -> Result<(StatusCode, Json<BatchView>)> {
    let new = body.validate(&state).await?;
    let batch = state.db.create_batch(new).await?;
    Ok((StatusCode::CREATED, Json(batch.into())))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchFilter {
    /// Only batches of this campaign.
    campaign_id: Option<i64>,
}

/// List batches, oldest first.
#[utoipa::path(get, path = "/api/v1/batches", tag = "batches", params(PageQuery, BatchFilter),
    responses((status = 200, body = Listing<BatchView>)))]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
    Query(filter): Query<BatchFilter>,
) -> Result<Json<Listing<BatchView>>> {
    let page = query.page()?;
    let items = state.db.batches(filter.campaign_id, page).await?;
    let items = items.into_iter().map(Into::into).collect();
    Ok(Json(Listing::new(items, page, |b: &BatchView| b.id)))
}

/// Read one batch.
#[utoipa::path(get, path = "/api/v1/batches/{id}", tag = "batches",
    responses((status = 200, body = BatchView), (status = 404, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<BatchView>> {
    Ok(Json(
        state.db.batch(id).await.map_err(missing("batch"))?.into(),
    ))
}

/// Enable or disable every code of a batch.
#[utoipa::path(patch, path = "/api/v1/batches/{id}", tag = "batches", request_body = StatusChange,
    responses((status = 200, body = BatchView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<StatusChange>,
) -> Result<Json<BatchView>> {
    let batch = state
        .db
        .set_batch_status(id, body.validated()?)
        .await
        .map_err(missing("batch"))?;
    state.codes.clear();
    Ok(Json(batch.into()))
}

/// The batch's codes as CSV, `serial,token,url,status`, streamed page by page
/// so a million-code batch never sits in memory.
#[utoipa::path(get, path = "/api/v1/batches/{id}/codes.csv", tag = "batches",
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)))]
pub async fn codes_csv(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response> {
    state.db.batch(id).await.map_err(missing("batch"))?;
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<String>>(4);
    tokio::spawn(async move {
        let mut chunk = String::from("serial,token,url,status\n");
        let mut after = 0;
        loop {
            let codes = match state.db.codes_page(id, after, CSV_PAGE).await {
                Ok(codes) => codes,
                Err(err) => {
                    tracing::error!(%err, batch = id, "codes export failed");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            };
            for code in &codes {
                let url = state.settings.short_url(&code.token);
                chunk.push_str(&format!(
                    "{},{},{},{}\n",
                    code.serial, code.token, url, code.status
                ));
            }
            let last_page = (codes.len() as i64) < CSV_PAGE;
            after = codes.last().map_or(after, |c| c.serial);
            if tx.send(Ok(std::mem::take(&mut chunk))).await.is_err() || last_page {
                return;
            }
        }
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    let disposition = format!("attachment; filename=\"batch-{id}-codes.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
