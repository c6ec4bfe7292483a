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
use super::batches::ensure_ready;
use super::codes::{QrQuery, refused};
use crate::db::Batch;
use crate::domain::LinkStyle;
use crate::export::images::{self, ImageFormat};
use crate::export::zip::ZipStream;
use crate::http::AppState;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Path, Query};
use crate::qr::{Matrix, RenderOptions};

/// Codes rendered per step: enough to keep every core busy, few enough that one step's
/// images (a few megabytes) bound the memory.
const PAGE: i64 = 512;

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
    Path(id): Path<i64>,
    Query(export): Query<ExportQuery>,
    Query(render): Query<QrQuery>,
) -> Result<Response> {
    let format = match export.format.as_deref() {
        None => ImageFormat::Svg,
        Some(raw) => ImageFormat::parse(raw).ok_or_else(|| {
            AppError::BadRequest(format!("format must be svg or png, not {raw:?}"))
        })?,
    };
    let options = render.options()?;
    let batch = state.db.batch(id).await.map_err(missing("batch"))?;
    ensure_ready(id, batch.generation)?;
    if let Some(first) = state.db.code_listing_page(id, 0, 1).await?.first() {
        let url = state.settings.code_url(&batch.link_style(), &first.token);
        check(&url, format, &options)?;
    }
    let turn = state.heavy.turn().await?;
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(2);
    tokio::spawn(async move {
        let _turn = turn;
        match write_archive(&state, &batch, format, options, &tx).await {
            Ok(()) => {}
            Err(Stopped::ClientGone) => {
                tracing::info!(batch = batch.id, "export stopped: the client went away");
            }
            Err(Stopped::Failed(err)) => {
                tracing::error!(%err, batch = batch.id, "export failed");
                // The client sees a cut-off download, never a ZIP that looks complete.
                let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
            }
        }
    });
    let disposition = format!(
        "attachment; filename=\"batch-{id}-{}.zip\"",
        format.extension()
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)),
    )
        .into_response())
}

/// Refuses, before anything is sent, options the batch's codes cannot be drawn with.
fn check(url: &str, format: ImageFormat, options: &RenderOptions) -> Result<()> {
    let matrix = Matrix::encode(url, options.ecc)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("QR encoding failed: {e}")))?;
    let layout = options.layout(matrix.width).map_err(refused)?;
    if format == ImageFormat::Png {
        layout.fit_png().map_err(refused)?;
    }
    Ok(())
}

/// Why the export stopped early.
#[derive(Debug, thiserror::Error)]
pub(super) enum Stopped {
    #[error("the client went away")]
    ClientGone,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Reading, rendering and writing fail the export alike.
macro_rules! failed_from {
    ($($error:ty),*) => {$(
        impl From<$error> for Stopped {
            fn from(err: $error) -> Self {
                Self::Failed(err.into())
            }
        }
    )*};
}
failed_from!(std::io::Error, crate::db::DbError, tokio::task::JoinError);

async fn send(
    tx: &mpsc::Sender<std::io::Result<Bytes>>,
    zip: &mut ZipStream,
) -> Result<(), Stopped> {
    let bytes = zip.take();
    if bytes.is_empty() {
        return Ok(());
    }
    tx.send(Ok(Bytes::from(bytes)))
        .await
        .map_err(|_| Stopped::ClientGone)
}

async fn write_archive(
    state: &AppState,
    batch: &Batch,
    format: ImageFormat,
    options: RenderOptions,
    tx: &mpsc::Sender<std::io::Result<Bytes>>,
) -> Result<(), Stopped> {
    let mut zip = ZipStream::new(chrono::Utc::now());
    write_manifest(state, batch, &mut zip, tx).await?;
    let width = images::name_width(batch.codes_total());
    let style = batch.link_style();
    let mut after = 0;
    loop {
        let codes = state.db.code_listing_page(batch.id, after, PAGE).await?;
        let Some(last) = codes.last() else { break };
        after = last.serial;
        let page: Vec<(i64, String)> = codes
            .iter()
            .map(|c| (c.serial, state.settings.code_url(&style, &c.token)))
            .collect();
        let rendered = tokio::task::spawn_blocking(move || {
            images::render_page(&page, format, &options, width)
        })
        .await??;
        state.metrics.export_codes.inc_by(rendered.len() as u64);
        for entry in rendered {
            zip.add(entry)?;
        }
        send(tx, &mut zip).await?;
    }
    while !zip.finish_step()? {
        send(tx, &mut zip).await?;
    }
    send(tx, &mut zip).await
}

async fn write_manifest(
    state: &AppState,
    batch: &Batch,
    zip: &mut ZipStream,
    tx: &mpsc::Sender<std::io::Result<Bytes>>,
) -> Result<(), Stopped> {
    use std::fmt::Write as _;
    use std::io::Write as _;
    let style = batch.link_style();
    let mut manifest = zip.start_streamed("manifest.csv")?;
    let header = match style {
        LinkStyle::Short => "serial,token,url\n",
        LinkStyle::DigitalLink { .. } => "serial,token,url,gtin,lot,gs1_serial\n",
    };
    manifest.write_all(header.as_bytes())?;
    let mut after = 0;
    loop {
        let codes = state
            .db
            .code_listing_page(batch.id, after, 20 * PAGE)
            .await?;
        let Some(last) = codes.last() else { break };
        after = last.serial;
        let mut rows = String::new();
        for code in &codes {
            let url = state.settings.code_url(&style, &code.token);
            let _ = write!(rows, "{},{},{url}", code.serial, code.token);
            if let Some(link) = style.digital_link(&code.token) {
                let _ = write!(
                    rows,
                    ",{},{},{}",
                    link.gtin.as_str(),
                    csv_field(link.lot.as_deref().unwrap_or_default()),
                    link.serial.as_deref().unwrap_or_default()
                );
            }
            rows.push('\n');
        }
        manifest.write_all(rows.as_bytes())?;
        zip.drain_streamed(&mut manifest)?;
        send(tx, zip).await?;
    }
    zip.finish_streamed(manifest)?;
    Ok(())
}

/// A lot is free text: quoted when it holds a comma, quote or line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}
