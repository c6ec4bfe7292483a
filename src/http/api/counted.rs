//! `GET /api/v1/reports/counted-scans`: the scans of a campaign that does not track, which
//! are only counted per code and hour, per hour and per batch.

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::report_format::{Format, answer};
use super::time::{parse_optional, to_rfc3339};
use super::{ErrorBody, FormatName, TrackingName};
use crate::db::now_ms;
use crate::http::AppState;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::Query;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountedQuery {
    pub(crate) campaign_id: i64,
    /// The first hour counted: RFC 3339 time or YYYY-MM-DD (default: the beginning).
    pub(crate) from: Option<String>,
    /// Hours starting before this time are counted (default: all so far).
    pub(crate) to: Option<String>,
    #[param(value_type = Option<FormatName>)]
    pub(crate) format: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CountedReport {
    campaign_id: i64,
    /// The campaign's tracking now; scans counted while it was `none` stay counted.
    #[schema(value_type = TrackingName)]
    tracking: &'static str,
    /// Every counted scan in the range.
    scans: i64,
    hours: Vec<CountedHour>,
    batches: Vec<CountedBatch>,
}

#[derive(Serialize, ToSchema)]
pub struct CountedHour {
    /// The clock hour's start (UTC).
    hour: String,
    scans: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CountedBatch {
    batch_id: i64,
    scans: i64,
}

/// Scans of a no-tracking campaign: only counted, per code and hour, so this report has
/// hours and batches and nothing about who scanned. The CSV holds the hours.
#[utoipa::path(get, path = "/api/v1/reports/counted-scans", tag = "reports", params(CountedQuery),
    responses((status = 200, content((CountedReport = "application/json"), (String = "text/csv"))), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn counted_scans(
    State(state): State<AppState>,
    Query(query): Query<CountedQuery>,
) -> Result<Response> {
    let format = Format::parse(query.format.as_deref())?;
    let from = parse_optional("from", query.from.as_deref())?.unwrap_or(0);
    let to = parse_optional("to", query.to.as_deref())?.unwrap_or_else(|| now_ms() + 1);
    if to <= from {
        return Err(AppError::invalid("to", "must be after from"));
    }
    let campaign = state
        .db
        .campaign(query.campaign_id)
        .await
        .map_err(missing("campaign"))?;
    let counted = state.db.counted_scans(campaign.id, from, to).await?;
    let report = CountedReport {
        campaign_id: campaign.id,
        tracking: campaign.tracking.as_str(),
        scans: counted.hours.iter().map(|(_, scans)| scans).sum(),
        hours: counted
            .hours
            .into_iter()
            .map(|(hour, scans)| CountedHour {
                hour: to_rfc3339(hour),
                scans,
            })
            .collect(),
        batches: counted
            .batches
            .into_iter()
            .map(|(batch_id, scans)| CountedBatch { batch_id, scans })
            .collect(),
    };
    let name = format!("counted-scans-{}", campaign.id);
    answer(format, &report, &report.hours, &name).await
}
