//! `/api/v1/batches`: print runs and their codes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::exports::start;
use super::time::to_rfc3339;
use super::{
    BatchModeName, ErrorBody, Listing, PageQuery, StatusChange, optional_text, required_text,
};
use crate::db::{Batch, DbError, NewBatch, StatusTarget};
use crate::domain::{BatchMode, Generation, Gtin, Status, digital_link};
use crate::export::batch::Kind;
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path, Query};
use crate::jobs::batch_generation::{Created, GenerationError};

/// Largest batch: ten million items, a large production run.
pub const MAX_QUANTITY: i64 = 10_000_000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBatch {
    pub(crate) campaign_id: i64,
    pub(crate) channel_id: i64,
    pub(crate) store_id: Option<i64>,
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub(crate) name: String,
    /// `shared` (one code for the run) or `unique` (one code per item).
    #[schema(value_type = BatchModeName)]
    pub(crate) mode: String,
    /// Items printed; required for unique batches.
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub(crate) quantity: Option<i64>,
    /// Print cost in cents, counted as spend in reports.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub(crate) cost_cents: Option<i64>,
    /// GS1 GTIN-8/12/13/14 with a valid check digit.
    #[schema(pattern = r"^([0-9]{8}|[0-9]{12,14})$")]
    pub(crate) gtin: Option<String>,
    /// Lot or batch number (GS1 AI 10): printable ASCII, no spaces; with a GTIN, only
    /// GS1's character set 82 (letters, digits and !"%&'()*+,-./:;<=>?_).
    #[schema(max_length = 20, pattern = r"^[!-~]*$")]
    pub(crate) lot: Option<String>,
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
    /// `generating` (codes are being written; they do not resolve or export yet), `ready`,
    /// `failed` (generation gave up; its codes are removed) or `disabled`.
    status: String,
    /// Codes written so far, kept current while generating.
    codes_generated: i64,
    /// Codes the batch has when ready: `quantity` for unique batches, 1 for shared ones.
    codes_total: i64,
    created_at: String,
    /// Where to download `serial,token,url,status,scans,first_scan_at` for the printer.
    codes_csv: String,
}

impl From<Batch> for BatchView {
    fn from(b: Batch) -> Self {
        let status = match (b.generation, b.status) {
            (Generation::Ready, Status::Disabled) => "disabled",
            (Generation::Ready, Status::Active) => "ready",
            (other, _) => other.as_str(),
        };
        Self {
            codes_csv: format!("/api/v1/batches/{}/codes.csv", b.id),
            codes_total: b.codes_total(),
            id: b.id,
            campaign_id: b.campaign_id,
            channel_id: b.channel_id,
            store_id: b.store_id,
            name: b.name,
            mode: b.mode.as_str().to_owned(),
            quantity: b.quantity,
            cost_cents: b.cost_cents,
            gtin: b.gtin,
            lot: b.lot,
            status: status.to_owned(),
            codes_generated: b.codes_generated,
            created_at: to_rfc3339(b.created_at),
        }
    }
}

/// Codes, images and exports exist only for a ready batch: 409 otherwise.
pub fn ensure_ready(batch_id: i64, generation: Generation) -> Result<()> {
    match generation {
        Generation::Ready => Ok(()),
        Generation::Generating => Err(AppError::Conflict(format!(
            "batch {batch_id} is still generating its codes; try again when its status is ready \
             (GET /api/v1/batches/{batch_id} shows codes_generated)"
        ))),
        Generation::Failed => Err(AppError::Conflict(format!(
            "batch {batch_id} failed to generate and has no codes; create the batch again"
        ))),
    }
}

impl CreateBatch {
    pub(crate) async fn validate(self, state: &AppState) -> Result<NewBatch> {
        let name = required_text("name", &self.name, 200)?;
        let mode = BatchMode::parse(&self.mode).map_err(|m| AppError::invalid("mode", m))?;
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
        match (&gtin, lot.as_deref()) {
            // The lot goes into the batch's GS1 Digital Links: GS1's characters only.
            (Some(_), Some(lot)) => {
                digital_link::check_qualifier(lot).map_err(|m| AppError::invalid("lot", m))?;
            }
            (None, Some(lot)) if !lot.bytes().all(|b| b.is_ascii_graphic()) => {
                return Err(AppError::invalid(
                    "lot",
                    "may hold only printable ASCII without spaces",
                ));
            }
            _ => {}
        }
        // Referenced records must exist: say which one is wrong rather than a bare 404.
        let exists = |field: &'static str, id: i64| {
            move |err: DbError| match err {
                DbError::NotFound => AppError::invalid(field, format!("no record with id {id}")),
                other => other.into(),
            }
        };
        state
            .db
            .campaign(self.campaign_id)
            .await
            .map_err(exists("campaign_id", self.campaign_id))?;
        let channel = state.db.channel(self.channel_id).await;
        let channel = channel.map_err(exists("channel_id", self.channel_id))?;
        if channel.status == Status::Disabled {
            return Err(AppError::invalid(
                "channel_id",
                format!(
                    "channel {:?} is disabled: enable it or choose another",
                    channel.name
                ),
            ));
        }
        if let Some(store_id) = self.store_id {
            let store = state.db.store(store_id).await;
            let store = store.map_err(exists("store_id", store_id))?;
            if store.status == Status::Disabled {
                return Err(AppError::invalid(
                    "store_id",
                    format!(
                        "store {:?} is disabled: enable it or choose another",
                        store.name
                    ),
                ));
            }
        }
        Ok(NewBatch {
            campaign_id: self.campaign_id,
            channel_id: self.channel_id,
            store_id: self.store_id,
            name,
            mode,
            quantity,
            cost_cents,
            gtin,
            lot,
        })
    }
}

/// Create a batch. Batches of up to 10,000 codes are made before the answer (201, status
/// `ready`); larger ones are queued and made in the background (202, status `generating`,
/// `codes_generated` counting up). 429 when too many codes already wait to be generated.
#[utoipa::path(post, path = "/api/v1/batches", tag = "batches", request_body = CreateBatch,
    responses((status = 201, body = BatchView), (status = 202, body = BatchView),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Json(body): Json<CreateBatch>,
) -> Result<(StatusCode, Json<BatchView>)> {
    let new = body.validate(&state).await?;
    match generate(&state, new).await? {
        Created::Ready(batch) => Ok((StatusCode::CREATED, Json(batch.into()))),
        Created::Queued(batch) => Ok((StatusCode::ACCEPTED, Json(batch.into()))),
    }
}

/// Makes a validated batch's codes now, or queues them when there are many.
pub(crate) async fn generate(state: &AppState, new: NewBatch) -> Result<Created> {
    match state.batches.create(new).await {
        Ok(created) => Ok(created),
        Err(err @ GenerationError::QueueFull { .. }) => Err(AppError::RateLimited(format!(
            "{err}; try again when a generating batch is ready"
        ))),
        Err(GenerationError::Db(err)) => Err(err.into()),
        Err(err) => Err(AppError::Internal(err.into())),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchFilter {
    /// Only batches of this campaign.
    campaign_id: Option<i64>,
}

/// List batches, oldest first (a retailer: those bound to their stores).
#[utoipa::path(get, path = "/api/v1/batches", tag = "batches", params(PageQuery, BatchFilter),
    responses((status = 200, body = Listing<BatchView>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<PageQuery>,
    Query(filter): Query<BatchFilter>,
) -> Result<Json<Listing<BatchView>>> {
    let page = query.page()?;
    let items = state
        .db
        .batches(filter.campaign_id, page, &caller.scope())
        .await?;
    let items = items.into_iter().map(Into::into).collect();
    Ok(Json(Listing::new(items, page, |b: &BatchView| b.id)))
}

/// Read one batch (a retailer: one bound to their stores; any other is not found).
#[utoipa::path(get, path = "/api/v1/batches/{id}", tag = "batches",
    responses((status = 200, body = BatchView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<BatchView>> {
    let batch = state.db.batch_in(&caller.scope(), id).await;
    Ok(Json(batch.map_err(missing("batch"))?.into()))
}

/// Enable or disable every code of a batch.
#[utoipa::path(patch, path = "/api/v1/batches/{id}", tag = "batches", request_body = StatusChange,
    responses((status = 200, body = BatchView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<StatusChange>,
) -> Result<Json<BatchView>> {
    body.apply(&state, &caller, StatusTarget::Batch(id), "batch")
        .await?;
    let batch = state.db.batch(id).await.map_err(missing("batch"))?;
    Ok(Json(batch.into()))
}

/// The batch's codes as CSV, `serial,token,url,status,scans,first_scan_at`, streamed page
/// by page so a million-code batch never sits in memory. 409 while the batch generates.
#[utoipa::path(get, path = "/api/v1/batches/{id}/codes.csv", tag = "batches",
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn codes_csv(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Response> {
    in_scope(&state, &caller, id).await?;
    let filename = format!("batch-{id}-codes.csv");
    start(state, id, Kind::Csv, "text/csv; charset=utf-8", &filename).await
}

/// Not found unless batch `id` is in the caller's scope: the exports of a batch are read
/// only by those who may read the batch.
pub(super) async fn in_scope(state: &AppState, caller: &Caller, id: i64) -> Result<()> {
    state
        .db
        .batch_in(&caller.scope(), id)
        .await
        .map_err(missing("batch"))?;
    Ok(())
}
