//! `GET /api/v1/batches/{id}/sheet.pdf`: a batch's codes on label sheets, streamed a
//! round of pages at a time (`export::batch::write_sheet`).

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::ErrorBody;
use super::batches::in_scope;
use super::codes::{QrQuery, refused};
use super::exports::start;
use super::logos::batch_logo;
use crate::export::batch::Kind;
use crate::export::sheet::{Sheet, SheetText};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result};
use crate::http::extract::{Path, Query};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SheetQuery {
    /// `a4` (default), `letter`, or width x height in millimetres such as `100x150`.
    #[param(pattern = "^([aA]4|[lL][eE][tT][tT][eE][rR]|[0-9.]+[xX][0-9.]+)$")]
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
    caller: Caller,
    Path(id): Path<i64>,
    Query(layout): Query<SheetQuery>,
    Query(render): Query<QrQuery>,
) -> Result<Response> {
    in_scope(&state, &caller, id).await?;
    if render.gives_screen_size() {
        return Err(AppError::BadRequest(
            "size is for screens: give module_mm or size_mm for the sheet, or neither to fit \
             the symbol to the label"
                .into(),
        ));
    }
    render.options(None)?;
    let sheet = layout.sheet()?;
    let options = render.options(batch_logo(&state, id).await?)?;
    let filename = format!("batch-{id}-labels.pdf");
    start(
        state,
        id,
        Kind::Sheet(sheet, options),
        "application/pdf",
        &filename,
    )
    .await
}
