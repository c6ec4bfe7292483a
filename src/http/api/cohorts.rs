//! `GET /api/v1/reports/cohorts`: repeat-purchase cohorts. People grouped by the day, week
//! or month they first scanned the campaign, and the share of each group who bought in
//! that period and in each one after it.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use super::ErrorBody;
use super::attribution::AttributionView;
use super::report_format::answer;
use super::reports::{ReportQuery, round6, scope};
use super::time::to_rfc3339;
use crate::db::{ReportRange, now_ms};

const MS_PER_HOUR: i64 = 3_600_000;
use crate::domain::cohorts::cohorts;
use crate::domain::time::Interval;
use crate::http::AppState;
use crate::http::error::{AppError, Result};
use crate::http::extract::Query;

#[derive(Serialize, ToSchema)]
pub struct CohortReport {
    pub(crate) campaign_id: i64,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) tz: String,
    /// `day`, `week` (default; Monday to Sunday) or `month`: a cohort, and a period.
    pub(crate) interval: &'static str,
    /// Which conversions count: those whose touch paths reach the campaign inside this
    /// window.
    pub(crate) attribution: AttributionView,
    pub(crate) cohorts: Vec<CohortRow>,
}

#[derive(Serialize, ToSchema)]
pub struct CohortRow {
    /// The cohort's first bucket, RFC 3339 in UTC.
    pub(crate) start: String,
    /// Its name in the report's zone (`2026-11-30`, the Monday of a week, or `2026-11`).
    pub(crate) label: String,
    /// People who first scanned the campaign in it.
    pub(crate) visitors: i64,
    /// Of them, the distinct buyers in period 0 (the cohort's own), 1, 2 ... up to the end
    /// of the range.
    pub(crate) buyers: Vec<i64>,
    /// `buyers` over `visitors`; absent for an empty cohort.
    pub(crate) shares: Vec<Option<f64>>,
}

/// Repeat-purchase cohorts over the range: people first seen in it, by `interval` in the
/// report's zone, and the share who bought in each period after (purchases in the range,
/// by a visitor, whose touch paths reach the campaign).
#[utoipa::path(get, path = "/api/v1/reports/cohorts", tag = "reports", params(ReportQuery),
    responses((status = 200, content((CohortReport = "application/json"), (String = "text/csv"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn cohorts_report(
    State(state): State<AppState>,
    Query(query): Query<ReportQuery>,
) -> Result<Response> {
    let format = query.format()?;
    let report = cohort_report(&state, &query).await?;
    let name = format!("cohorts-{}", report.campaign_id);
    answer(format, &report, report.lines(), &name).await
}

pub(crate) async fn cohort_report(state: &AppState, query: &ReportQuery) -> Result<CohortReport> {
    let interval = match query.interval {
        None => Interval::Week,
        Some(_) => query.interval()?,
    };
    if interval == Interval::Hour {
        return Err(AppError::BadRequest(
            "interval: cohorts are by day, week or month".into(),
        ));
    }
    if query.channel_id.is_some()
        || query.batch_id.is_some()
        || query.store_id.is_some()
        || query.country.is_some()
    {
        return Err(AppError::BadRequest(
            "cohorts are kept for the whole campaign: leave out channel_id, batch_id, \
             store_id and country"
                .into(),
        ));
    }
    let scope = scope(state, query).await?;
    // First scans are counted per hour: a range's partial hours count whole.
    let hour = |t: i64| t - t.rem_euclid(MS_PER_HOUR);
    let range = ReportRange {
        from: hour(scope.range.from),
        to: hour(scope.range.to + MS_PER_HOUR - 1),
    };
    let zone = scope.offset;
    let sizes = state.db.cohort_sizes(query.campaign_id, range).await?;
    let until = (range.to - 1).min(now_ms());
    let buyers = state
        .db
        .cohort_buyers(
            query.campaign_id,
            range,
            scope.rules.window.ms(),
            (interval, zone),
            until,
        )
        .await?;
    let rows = cohorts(interval, zone, &sizes, &buyers, until)
        .into_iter()
        .map(|c| CohortRow {
            start: to_rfc3339(c.start),
            label: interval.label(zone, c.start),
            visitors: c.visitors,
            shares: c
                .buyers
                .iter()
                .map(|&b| (c.visitors > 0).then(|| round6(b as f64 / c.visitors as f64)))
                .collect(),
            buyers: c.buyers,
        })
        .collect();
    Ok(CohortReport {
        campaign_id: scope.campaign.id,
        from: to_rfc3339(range.from),
        to: to_rfc3339(range.to),
        tz: zone.to_string(),
        interval: interval.as_str(),
        attribution: scope.rules.into(),
        cohorts: rows,
    })
}

/// A cohort's period as a CSV line.
#[derive(Serialize)]
struct CohortLine<'a> {
    cohort: &'a str,
    visitors: i64,
    period: usize,
    buyers: i64,
    share: Option<f64>,
}

impl CohortReport {
    fn lines(&self) -> impl Iterator<Item = CohortLine<'_>> {
        self.cohorts.iter().flat_map(|c| {
            c.buyers
                .iter()
                .zip(&c.shares)
                .enumerate()
                .map(|(period, (&buyers, &share))| CohortLine {
                    cohort: &c.label,
                    visitors: c.visitors,
                    period,
                    buyers,
                    share,
                })
        })
    }
}
