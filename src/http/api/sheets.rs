//! `GET /api/v1/batches/{id}/sheet.pdf`: a batch's codes on label sheets, streamed a
//! batch of pages at a time, pages drawn and compressed on every core.

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
use super::exports::Stopped;
use crate::db::{Batch, CodeListing};
use crate::export::images::name_width;
use crate::export::pdf::{self, PdfStream};
use crate::export::sheet::{Label, Sheet, SheetText};
use crate::http::AppState;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Path, Query};
use crate::qr::RenderOptions;

/// Pages drawn per round: enough to keep every core busy, few enough to bound memory.
const PAGES_PER_ROUND: usize = 16;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SheetQuery {
    /// `a4` (default), `letter`, or width x height in millimetres such as `100x150`.
    #[param(pattern = "^(?i)(a4|letter|[0-9.]+x[0-9.]+)$")]
    page: Option<String>,
    /// Label width x height in millimetres, such as `40x30`; default 40x48, or shared out
    /// of the page by `cols` and `rows`.
    #[param(pattern = "^[0-9.]+[xX][0-9.]+$")]
    label_mm: Option<String>,
    /// Labels across; default as many as fit.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    cols: Option<String>,
    /// Labels down; default as many as fit.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    rows: Option<String>,
    /// Margin around the grid of labels in millimetres, default 10.
    #[param(value_type = Option<f64>, minimum = 0, maximum = 100)]
    sheet_margin_mm: Option<String>,
    /// Space between labels in millimetres, default 2.
    #[param(value_type = Option<f64>, minimum = 0, maximum = 50)]
    gap_mm: Option<String>,
    /// `true` to draw crop marks at every label edge in the sheet margin.
    #[param(pattern = "^(true|false)$")]
    crop_marks: Option<String>,
}

impl SheetQuery {
    fn sheet(&self) -> Result<Sheet> {
        SheetText {
            page: self.page.as_deref(),
            label_mm: self.label_mm.as_deref(),
            cols: self.cols.as_deref(),
            rows: self.rows.as_deref(),
            sheet_margin_mm: self.sheet_margin_mm.as_deref(),
            gap_mm: self.gap_mm.as_deref(),
            crop_marks: self.crop_marks.as_deref(),
        }
        .parse()
        .map_err(refused)
    }
}

/// Label sheets of a ready batch as PDF: each label holds the code as vector rectangles
/// (fitted to the label, or at `module_mm`/`size_mm`) with its serial and token under it.
/// Streamed page by page, any size of batch; options that do not fit answer 400/422
/// before the first byte.
#[utoipa::path(get, path = "/api/v1/batches/{id}/sheet.pdf", tag = "batches",
    params(("id" = i64, Path), SheetQuery, QrQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn sheet_pdf(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(layout): Query<SheetQuery>,
    Query(render): Query<QrQuery>,
) -> Result<Response> {
    if render.gives_screen_size() {
        return Err(AppError::BadRequest(
            "size is for screens: give module_mm or size_mm for the sheet, or neither to fit \
             the symbol to the label"
                .into(),
        ));
    }
    let options = render.options()?;
    let sheet = layout.sheet()?;
    let batch = state.db.batch(id).await.map_err(missing("batch"))?;
    ensure_ready(id, batch.generation)?;
    let width = name_width(batch.codes_total());
    if let Some(first) = state.db.code_listing_page(id, 0, 1).await?.first() {
        let url = state.settings.code_url(&batch.link_style(), &first.token);
        let label = Label {
            serial: first.serial,
            token: &first.token,
            url: &url,
        };
        sheet
            .render_page(&[label], &options, width)
            .map_err(refused)?;
    }
    let turn = state.heavy.turn().await?;
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(2);
    tokio::spawn(async move {
        let _turn = turn;
        match write_sheets(&state, &batch, sheet, options, &tx).await {
            Ok(()) => {}
            Err(Stopped::ClientGone) => {
                tracing::info!(batch = batch.id, "sheet stopped: the client went away");
            }
            Err(Stopped::Failed(err)) => {
                tracing::error!(%err, batch = batch.id, "sheet failed");
                // The client sees a cut-off download, never a PDF that looks complete.
                let _ = tx.send(Err(std::io::Error::other("sheet failed"))).await;
            }
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"batch-{id}-labels.pdf\""),
            ),
        ],
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)),
    )
        .into_response())
}

async fn write_sheets(
    state: &AppState,
    batch: &Batch,
    sheet: Sheet,
    options: RenderOptions,
    tx: &mpsc::Sender<std::io::Result<Bytes>>,
) -> Result<(), Stopped> {
    let mut pdf = PdfStream::new();
    let width = name_width(batch.codes_total());
    let style = batch.link_style();
    let per_round = (sheet.per_page() * PAGES_PER_ROUND) as i64;
    let mut after = 0;
    loop {
        let codes = state
            .db
            .code_listing_page(batch.id, after, per_round)
            .await?;
        let Some(last) = codes.last() else { break };
        after = last.serial;
        let drawn = codes.len() as u64;
        let urls: Vec<String> = codes
            .iter()
            .map(|c| state.settings.code_url(&style, &c.token))
            .collect();
        let pages =
            tokio::task::spawn_blocking(move || draw_pages(&sheet, &codes, &urls, &options, width))
                .await??;
        for page in &pages {
            pdf.add_page(sheet.page.0, sheet.page.1, page);
        }
        send(tx, &mut pdf).await?;
        state.metrics.export_codes.inc_by(drawn);
    }
    pdf.finish();
    send(tx, &mut pdf).await
}

/// Draws and compresses each page of `codes` on every core, in order.
fn draw_pages(
    sheet: &Sheet,
    codes: &[CodeListing],
    urls: &[String],
    options: &RenderOptions,
    width: usize,
) -> std::io::Result<Vec<Vec<u8>>> {
    let pages: Vec<(usize, usize)> = (0..codes.len())
        .step_by(sheet.per_page())
        .map(|start| (start, (start + sheet.per_page()).min(codes.len())))
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = pages.len().div_ceil(cores).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = pages
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|&(start, end)| {
                            let labels: Vec<Label> = (start..end)
                                .map(|i| Label {
                                    serial: codes[i].serial,
                                    token: &codes[i].token,
                                    url: &urls[i],
                                })
                                .collect();
                            let content = sheet
                                .render_page(&labels, options, width)
                                .map_err(std::io::Error::other)?;
                            pdf::compress_content(&content)
                        })
                        .collect::<std::io::Result<Vec<Vec<u8>>>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(pages.len());
        for worker in workers {
            let part = worker
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("a drawing thread panicked")))?;
            all.extend(part);
        }
        Ok(all)
    })
}

async fn send(
    tx: &mpsc::Sender<std::io::Result<Bytes>>,
    pdf: &mut PdfStream,
) -> Result<(), Stopped> {
    let bytes = pdf.take();
    if bytes.is_empty() {
        return Ok(());
    }
    tx.send(Ok(Bytes::from(bytes)))
        .await
        .map_err(|_| Stopped::ClientGone)
}
