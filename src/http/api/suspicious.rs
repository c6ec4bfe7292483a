//! `GET /api/v1/reports/suspicious-codes`: a campaign's unique codes that look copied, each
//! with why (`cities`, `per_hour`, `after_purchase`), its counts and the places it was
//! scanned from.

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::report_format::{Format, answer};
use super::time::to_rfc3339;
use super::{ErrorBody, FormatName};
use crate::db::{DEFAULT_CITIES, DEFAULT_PER_HOUR, Suspicion, SuspiciousCode};
use crate::http::AppState;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::Query;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuspiciousQuery {
    pub(crate) campaign_id: i64,
    /// Flag a code scanned from more than this many distinct cities (1 to 1000, default 3).
    pub(crate) cities: Option<i64>,
    /// Flag a code scanned by people more than this many times in one clock hour (1 to
    /// 1,000,000, default 20).
    pub(crate) per_hour: Option<i64>,
    /// At most this many codes, by id (1 to 1000, default 100).
    pub(crate) limit: Option<i64>,
    #[param(value_type = Option<FormatName>)]
    pub(crate) format: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SuspiciousReport {
    campaign_id: i64,
    cities: i64,
    per_hour: i64,
    codes: Vec<SuspiciousView>,
}

#[derive(Serialize, ToSchema)]
pub struct SuspiciousView {
    pub(crate) token: String,
    pub(crate) code_id: i64,
    pub(crate) batch_id: i64,
    pub(crate) serial: i64,
    /// `cities` (more distinct cities than the threshold), `per_hour` (more scans in one
    /// hour than the threshold), `after_purchase` (scanned after the item was bought).
    pub(crate) reasons: Vec<&'static str>,
    /// People's scans (bots left out).
    pub(crate) scans: i64,
    /// Distinct cities it was scanned from.
    pub(crate) cities: i64,
    /// Those cities, `country/city`.
    pub(crate) places: Vec<String>,
    pub(crate) first_scan_at: Option<String>,
    pub(crate) first_country: Option<String>,
    pub(crate) first_city: Option<String>,
    pub(crate) last_scan_at: Option<String>,
    /// Its busiest clock hour (counted since the history kept hours) and the scans in it.
    pub(crate) peak_hour_at: Option<String>,
    pub(crate) peak_hour_scans: i64,
    /// When it was first bought (a purchase reported with its token).
    pub(crate) bought_at: Option<String>,
}

impl SuspiciousView {
    pub(crate) fn new(code: SuspiciousCode, places: Vec<String>, suspicion: Suspicion) -> Self {
        let mut reasons = Vec::new();
        if code.cities > suspicion.cities {
            reasons.push("cities");
        }
        if code.peak_hour_scans > suspicion.per_hour {
            reasons.push("per_hour");
        }
        if let (Some(bought), Some(last)) = (code.bought_at, code.last_scan_at)
            && last > bought
        {
            reasons.push("after_purchase");
        }
        Self {
            token: code.token,
            code_id: code.code_id,
            batch_id: code.batch_id,
            serial: code.serial,
            reasons,
            scans: code.scans,
            cities: code.cities,
            places,
            first_scan_at: code.first_scan_at.map(to_rfc3339),
            first_country: code.first_country,
            first_city: code.first_city,
            last_scan_at: code.last_scan_at.map(to_rfc3339),
            peak_hour_at: code.peak_hour_at.map(to_rfc3339),
            peak_hour_scans: code.peak_hour_scans,
            bought_at: code.bought_at.map(to_rfc3339),
        }
    }
}

/// A code as a CSV line: reasons and places joined by `;`.
#[derive(Serialize)]
struct SuspiciousLine<'a> {
    token: &'a str,
    code_id: i64,
    batch_id: i64,
    serial: i64,
    reasons: String,
    scans: i64,
    cities: i64,
    places: String,
    first_scan_at: Option<&'a str>,
    first_city: Option<&'a str>,
    last_scan_at: Option<&'a str>,
    peak_hour_at: Option<&'a str>,
    peak_hour_scans: i64,
    bought_at: Option<&'a str>,
}

impl<'a> From<&'a SuspiciousView> for SuspiciousLine<'a> {
    fn from(v: &'a SuspiciousView) -> Self {
        Self {
            token: &v.token,
            code_id: v.code_id,
            batch_id: v.batch_id,
            serial: v.serial,
            reasons: v.reasons.join(";"),
            scans: v.scans,
            cities: v.cities,
            places: v.places.join(";"),
            first_scan_at: v.first_scan_at.as_deref(),
            first_city: v.first_city.as_deref(),
            last_scan_at: v.last_scan_at.as_deref(),
            peak_hour_at: v.peak_hour_at.as_deref(),
            peak_hour_scans: v.peak_hour_scans,
            bought_at: v.bought_at.as_deref(),
        }
    }
}

impl SuspiciousQuery {
    fn suspicion(&self) -> Result<Suspicion> {
        let within = |name: &str, value: Option<i64>, default: i64, most: i64| {
            let value = value.unwrap_or(default);
            if (1..=most).contains(&value) {
                Ok(value)
            } else {
                Err(AppError::BadRequest(format!(
                    "{name}: must be from 1 to {most}, not {value}"
                )))
            }
        };
        Ok(Suspicion {
            cities: within("cities", self.cities, DEFAULT_CITIES, 1000)?,
            per_hour: within("per_hour", self.per_hour, DEFAULT_PER_HOUR, 1_000_000)?,
            limit: within("limit", self.limit, 100, 1000)?,
        })
    }
}

/// Unique codes that look copied: scanned from more cities than `cities`, more than
/// `per_hour` times in one hour, or after the item was bought.
#[utoipa::path(get, path = "/api/v1/reports/suspicious-codes", tag = "reports", params(SuspiciousQuery),
    responses((status = 200, content((SuspiciousReport = "application/json"), (String = "text/csv"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn suspicious_codes(
    State(state): State<AppState>,
    Query(query): Query<SuspiciousQuery>,
) -> Result<Response> {
    let format = Format::parse(query.format.as_deref())?;
    let suspicion = query.suspicion()?;
    state
        .db
        .campaign(query.campaign_id)
        .await
        .map_err(missing("campaign"))?;
    let codes = state
        .db
        .suspicious_codes(query.campaign_id, suspicion)
        .await?
        .into_iter()
        .map(|(code, places)| SuspiciousView::new(code, places, suspicion))
        .collect();
    let report = SuspiciousReport {
        campaign_id: query.campaign_id,
        cities: suspicion.cities,
        per_hour: suspicion.per_hour,
        codes,
    };
    let name = format!("suspicious-codes-{}", report.campaign_id);
    let lines: Vec<SuspiciousLine> = report.codes.iter().map(SuspiciousLine::from).collect();
    answer(format, &report, lines, &name).await
}
