//! `/api/v1/codes/{token}`: one code, its status, and its QR images.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::batches::ensure_ready;
use super::logos::batch_logo;
use super::time::to_rfc3339;
use super::{ErrorBody, StatusChange};
use crate::db::{CodeRecord, Scope, StatusTarget};
use crate::domain::Token;
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path, Query};
use crate::qr::{self, Layout, Logo, Matrix, OptionsError, OptionsText, RenderOptions};

#[derive(Serialize, ToSchema)]
pub struct CodeView {
    token: String,
    /// The short link printed in the QR symbol.
    url: String,
    batch_id: i64,
    serial: i64,
    /// `active` or `disabled`.
    status: String,
    /// Scans by people (bots apart), folded from the scans within a few seconds.
    scans: i64,
    bot_scans: i64,
    /// The first scan by a person: when, and from where (city-level).
    first_scan_at: Option<String>,
    first_scan_country: Option<String>,
    first_scan_city: Option<String>,
    last_scan_at: Option<String>,
    /// Distinct cities the code was scanned from: many for one bottle suggests copies.
    cities: i64,
}

impl CodeView {
    fn new(code: CodeRecord, state: &AppState) -> Self {
        let url = state.settings.code_url(&code.link_style(), &code.token);
        let history = code.history;
        Self {
            url,
            token: code.token,
            batch_id: code.batch_id,
            serial: code.serial,
            status: code.status.as_str().to_owned(),
            scans: history.scans,
            bot_scans: history.bot_scans,
            first_scan_at: history.first_scan_at.map(to_rfc3339),
            first_scan_country: history.first_scan_country,
            first_scan_city: history.first_scan_city,
            last_scan_at: history.last_scan_at.map(to_rfc3339),
            cities: history.cities,
        }
    }
}

fn parse_token(raw: &str) -> Result<Token> {
    Token::parse(raw).ok_or(AppError::NotFound("code"))
}

/// Read one code.
#[utoipa::path(get, path = "/api/v1/codes/{token}", tag = "codes",
    responses((status = 200, body = CodeView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(token): Path<String>,
) -> Result<Json<CodeView>> {
    let token = parse_token(&token)?;
    let code = state
        .db
        .code_in(&caller.scope(), token.as_str())
        .await
        .map_err(missing("code"))?;
    Ok(Json(CodeView::new(code, &state)))
}

/// Enable or disable one code.
#[utoipa::path(patch, path = "/api/v1/codes/{token}", tag = "codes", request_body = StatusChange,
    responses((status = 200, body = CodeView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(token): Path<String>,
    Json(body): Json<StatusChange>,
) -> Result<Json<CodeView>> {
    let token = parse_token(&token)?;
    body.apply(&state, &caller, StatusTarget::Code(token.as_str()), "code")
        .await?;
    let code = state
        .db
        .code(token.as_str())
        .await
        .map_err(missing("code"))?;
    Ok(Json(CodeView::new(code, &state)))
}

/// Rendering options, the same on every renderer. Values are taken as text so a bad one
/// gets a precise message: 400 for one that cannot be read, 422 for one that would print
/// a code phones cannot scan.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QrQuery {
    /// Pixels (PNG) or SVG units per module, for screens; default 8. Give one of size,
    /// module_mm and size_mm.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    size: Option<String>,
    /// Millimetres per module, for print: at least 0.25.
    #[param(value_type = Option<f64>, minimum = 0.25, maximum = 50)]
    module_mm: Option<String>,
    /// Millimetres for the whole symbol, quiet zone included, for print; each module must
    /// come out at 0.25 mm or more.
    #[param(value_type = Option<f64>, maximum = 2000)]
    size_mm: Option<String>,
    /// Pixels per inch of a PNG drawn in millimetres; default 300.
    #[param(value_type = Option<u32>, minimum = 72, maximum = 2400)]
    dpi: Option<String>,
    /// Quiet zone in modules; default 4, as ISO/IEC 18004 asks; under 2 is refused.
    #[param(value_type = Option<u32>, minimum = 2, maximum = 40)]
    margin: Option<String>,
    /// Error correction: L, M, Q or H; default M.
    #[param(pattern = "^[LMQHlmqh]$")]
    ecc: Option<String>,
    /// Dark modules, hex RGB such as 1a1a1a; default 000000. Needs a WCAG contrast of
    /// 4.5:1 with bg.
    #[param(pattern = "^#?[0-9A-Fa-f]{6}$")]
    fg: Option<String>,
    /// Light modules and quiet zone, hex RGB; default ffffff.
    #[param(pattern = "^#?[0-9A-Fa-f]{6}$")]
    bg: Option<String>,
    /// `allow` to draw light modules on a dark background; refused by default.
    #[param(pattern = "^(allow|refuse)$")]
    invert: Option<String>,
    /// `auto` (default): the logo of the code's batch, else of its campaign, when one was
    /// uploaded, drawn in the centre with ecc H (another ecc is refused); `none`: without.
    #[param(pattern = "^(auto|none)$")]
    logo: Option<String>,
}

impl QrQuery {
    /// Whether a size for screens (`size`, in pixels or units) was asked for.
    pub fn gives_screen_size(&self) -> bool {
        self.size.is_some()
    }

    /// The options, drawn with `logo` unless they say `logo=none`.
    pub fn options(&self, logo: Option<Arc<Logo>>) -> Result<RenderOptions> {
        OptionsText {
            size: self.size.as_deref(),
            module_mm: self.module_mm.as_deref(),
            size_mm: self.size_mm.as_deref(),
            dpi: self.dpi.as_deref(),
            margin: self.margin.as_deref(),
            ecc: self.ecc.as_deref(),
            fg: self.fg.as_deref(),
            bg: self.bg.as_deref(),
            invert: self.invert.as_deref(),
            logo: self.logo.as_deref(),
        }
        .parse(logo)
        .map_err(refused)
    }
}

/// Options that cannot be read are a 400; options that would not scan, a 422.
pub(super) fn refused(err: OptionsError) -> AppError {
    match err {
        OptionsError::Malformed(message) => AppError::BadRequest(message),
        OptionsError::Unscannable { option, reason } => AppError::invalid(option, reason),
    }
}

/// The code's symbol and the options it is drawn with (its logo included). Options that
/// cannot be read are refused before the code is looked up.
async fn symbol_for(
    state: &AppState,
    scope: &Scope,
    raw: &str,
    query: &QrQuery,
) -> Result<(Matrix, RenderOptions, Layout)> {
    query.options(None)?;
    let token = parse_token(raw)?;
    let code = state
        .db
        .code_in(scope, token.as_str())
        .await
        .map_err(missing("code"))?;
    ensure_ready(code.batch_id, code.generation)?;
    let options = query.options(batch_logo(state, code.batch_id).await?)?;
    let url = state.settings.code_url(&code.link_style(), &code.token);
    let matrix = Matrix::for_options(&url, &options)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("QR encoding failed: {e}")))?;
    let layout = options.layout(matrix.width).map_err(refused)?;
    Ok((matrix, options, layout))
}

/// The code's QR symbol as SVG.
#[utoipa::path(get, path = "/api/v1/codes/{token}/qr.svg", tag = "codes", params(QrQuery),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn qr_svg(
    State(state): State<AppState>,
    caller: Caller,
    Path(token): Path<String>,
    Query(query): Query<QrQuery>,
) -> Result<Response> {
    let (matrix, options, layout) = symbol_for(&state, &caller.scope(), &token, &query).await?;
    let svg = qr::render_svg(&matrix, &options, &layout);
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// The code's QR symbol as PNG.
#[utoipa::path(get, path = "/api/v1/codes/{token}/qr.png", tag = "codes", params(QrQuery),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn qr_png(
    State(state): State<AppState>,
    caller: Caller,
    Path(token): Path<String>,
    Query(query): Query<QrQuery>,
) -> Result<Response> {
    let (matrix, options, layout) = symbol_for(&state, &caller.scope(), &token, &query).await?;
    layout.fit_png().map_err(refused)?;
    // Up to 8192 x 8192 pixels: off the scan threads, and only so many at once.
    let png = state
        .heavy
        .run(move || qr::render_png(&matrix, &options, &layout))
        .await?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("PNG encoding failed: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}
