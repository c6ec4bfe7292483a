//! `/api/v1/reports/channels`: how each channel of a campaign performs.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ErrorBody;
use super::time::{EARLIEST_MS, parse_optional, to_rfc3339};
use crate::db::{ChannelReportRow, ReportRange, now_ms};
use crate::http::AppState;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Query};

const MS_PER_HOUR: i64 = 3_600_000;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    campaign_id: i64,
    /// Start (RFC 3339 or YYYY-MM-DD, 1970 to 9999-12-31T23:00:00Z), rounded down to the
    /// hour; default: 1970-01-01.
    #[param(format = DateTime)]
    from: Option<String>,
    /// End, exclusive, after `from`, rounded up to the hour; default: now.
    #[param(format = DateTime)]
    to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ChannelReport {
    campaign_id: i64,
    from: String,
    to: String,
    rows: Vec<ChannelRow>,
}

#[derive(Serialize, ToSchema)]
pub struct ChannelRow {
    channel_id: i64,
    channel: String,
    channel_slug: String,
    kind: String,
    /// Human scans (bots excluded).
    scans: i64,
    /// Distinct visitors (first-party cookie), bots excluded.
    unique_visitors: i64,
    /// Scans by visitors seen for the first time.
    new_visitors: i64,
    bot_scans: i64,
    conversions: i64,
    revenue_cents: i64,
    /// Sum of the channel's batch costs in this campaign.
    spend_cents: i64,
}

impl From<ChannelReportRow> for ChannelRow {
    fn from(r: ChannelReportRow) -> Self {
        Self {
            channel_id: r.channel_id,
            channel: r.channel,
            channel_slug: r.channel_slug,
            kind: r.kind,
            scans: r.scans,
            unique_visitors: r.unique_visitors,
            new_visitors: r.new_visitors,
            bot_scans: r.bot_scans,
            conversions: 0,
            revenue_cents: 0,
            spend_cents: r.spend_cents,
        }
    }
}

impl ReportQuery {
    /// The hour-aligned range asked for: `from` rounded down, `to` rounded up. A query
    /// parameter that cannot be used is a bad request (400), naming the parameter.
    fn range(&self) -> Result<ReportRange> {
        let bad = |err: AppError| AppError::BadRequest(err.to_string());
        let from = parse_optional("from", self.from.as_deref()).map_err(bad)?;
        let to = parse_optional("to", self.to.as_deref()).map_err(bad)?;
        let from = from.unwrap_or(EARLIEST_MS);
        let to = to.unwrap_or_else(now_ms);
        if from >= to {
            return Err(AppError::BadRequest(format!(
                "to: must be after from ({} is not after {})",
                to_rfc3339(to),
                to_rfc3339(from)
            )));
        }
        Ok(ReportRange {
            from: from - from.rem_euclid(MS_PER_HOUR),
            to: to + (MS_PER_HOUR - to.rem_euclid(MS_PER_HOUR)) % MS_PER_HOUR,
        })
    }
}

/// Per-channel scans, visitors, bots and spend, read from hourly rollups.
#[utoipa::path(get, path = "/api/v1/reports/channels", tag = "reports", params(ReportQuery),
    responses((status = 200, body = ChannelReport), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn channels(
    State(state): State<AppState>,
    Query(query): Query<ReportQuery>,
) -> Result<Json<ChannelReport>> {
    state
        .db
        .campaign(query.campaign_id)
        .await
        .map_err(missing("campaign"))?;
    let range = query.range()?;
    let rows = state.db.channel_report(query.campaign_id, range).await?;
    Ok(Json(ChannelReport {
        campaign_id: query.campaign_id,
        from: to_rfc3339(range.from),
        to: to_rfc3339(range.to),
        rows: rows.into_iter().map(Into::into).collect(),
    }))
}
