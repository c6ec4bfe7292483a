//! `GET /api/v1/batches/{id}/export.zip`: every code of a batch as a print-ready image,
//! with a manifest, streamed as it is rendered. Options are checked against the batch's
//! first code before the first byte, so a refusal is a clean 4xx; after that, a failure
//! or a client that goes away stops the work, and nothing is left behind on the server.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::IntoParams;

use super::ErrorBody;
use super::batches::{ensure_ready, in_scope};
use super::codes::{QrQuery, refused};
use super::logos::batch_logo;
use crate::export::batch::{self as export, Kind, Refused, Sink, Source, Stopped};
use crate::export::images::ImageFormat;
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Path, Query};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Image format of each code: svg (default) or png.
    #[param(pattern = "^(svg|png)$")]
    format: Option<String>,
}

/// Every code of a ready batch as an image (`0000042.svg`, named by zero-padded serial),
/// plus `manifest.csv` (serial, token, url; for a batch with a GTIN also gtin, lot and
/// gs1_serial, the AI 21 serial its Digital Links carry: the token in unique batches).
#[utoipa::path(get, path = "/api/v1/batches/{id}/export.zip", tag = "batches",
    params(("id" = i64, Path), ExportQuery, QrQuery),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn export_zip(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(export): Query<ExportQuery>,
    Query(render): Query<QrQuery>,
) -> Result<Response> {
    in_scope(&state, &caller, id).await?;
    let format = match export.format.as_deref() {
        None => ImageFormat::Svg,
        Some(raw) => ImageFormat::parse(raw).ok_or_else(|| {
            AppError::BadRequest(format!("format must be svg or png, not {raw:?}"))
        })?,
    };
    render.options(None)?;
    let options = render.options(batch_logo(&state, id).await?)?;
    let filename = format!("batch-{id}-{}.zip", format.extension());
    start(
        state,
        id,
        Kind::Zip(format, options),
        "application/zip",
        &filename,
    )
    .await
}

/// Exports batch `id` once it is ready (404, 409 otherwise): checks the export against its
/// first code (a refusal is a clean 4xx), waits for a turn at heavy work when it draws
/// codes, then streams it.
pub(super) async fn start(
    state: AppState,
    id: i64,
    kind: Kind,
    content_type: &'static str,
    filename: &str,
) -> Result<Response> {
    let batch = state.db.batch(id).await.map_err(missing("batch"))?;
    ensure_ready(id, batch.generation)?;
    let source = Source {
        db: state.db.clone(),
        settings: state.settings.clone(),
        batch,
    };
    export::check(&source, &kind)
        .await
        .map_err(|err| match err {
            Refused::Options(err) => refused(err),
            Refused::Failed(err) => AppError::Internal(err.into()),
        })?;
    let turn = match kind {
        Kind::Csv => None,
        Kind::Zip(..) | Kind::Sheet(..) => Some(state.heavy.turn().await?),
    };
    Ok(stream(
        state,
        source,
        content_type,
        filename,
        move |source, mut sink| async move {
            let _turn = turn;
            export::write(&source, kind, &mut sink).await
        },
    ))
}

/// Sends an export to the client as it is written, counting its codes.
pub(super) struct ChannelSink {
    tx: mpsc::Sender<std::io::Result<Bytes>>,
    state: AppState,
}

impl Sink for ChannelSink {
    async fn write(&mut self, bytes: Vec<u8>) -> Result<(), Stopped> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.tx
            .send(Ok(Bytes::from(bytes)))
            .await
            .map_err(|_| Stopped::ReaderGone)
    }

    fn done(&mut self, codes: u64) {
        self.state.metrics.export_codes.inc_by(codes);
    }
}

/// Answers 200 with `content_type` as an attachment and writes the export into the body
/// from a task of its own. A client that goes away stops the work; a failure cuts the
/// download off, so a half file never looks complete.
fn stream<Job, Writing>(
    state: AppState,
    source: Source,
    content_type: &'static str,
    filename: &str,
    job: Job,
) -> Response
where
    Job: FnOnce(Source, ChannelSink) -> Writing + Send + 'static,
    Writing: Future<Output = Result<(), Stopped>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(2);
    let id = source.batch.id;
    let sink = ChannelSink {
        tx: tx.clone(),
        state,
    };
    tokio::spawn(async move {
        match job(source, sink).await {
            Ok(()) => {}
            Err(Stopped::ReaderGone) => {
                tracing::info!(batch = id, "export stopped: the client went away");
            }
            Err(Stopped::Failed(err)) => {
                tracing::error!(%err, batch = id, "export failed");
                let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
            }
        }
    });
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)),
    )
        .into_response()
}
