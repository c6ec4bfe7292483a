//! `GET /api/v1/reports/stages`: how many of a campaign's visitors are at each stage of the
//! funnel (aware, interested, considering, intending, customer, loyal), per channel they
//! came from, and how they moved week to week.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ErrorBody;
use super::report_format::{Format, answer};
use super::time::to_rfc3339;
use crate::db::now_ms;
use crate::domain::stage::Stage;
use crate::domain::time::{Interval, UtcOffset};
use crate::http::AppState;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::Query;

const MOST_WEEKS: i64 = 53;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StageQuery {
    campaign_id: i64,
    /// Only visitors who came through this channel (their first scan's).
    channel_id: Option<i64>,
    /// Weeks (Monday to Sunday in the report's zone) up to this one, 1 to 53; default 8.
    weeks: Option<i64>,
    /// The report's time zone as a UTC offset in whole hours (`+08:00`; default UTC).
    tz: Option<String>,
    /// `json` (default) or `csv`: a line per week and stage.
    format: Option<String>,
}

/// Visitors at each stage.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct StageCounts {
    pub(crate) aware: i64,
    pub(crate) interested: i64,
    pub(crate) considering: i64,
    pub(crate) intending: i64,
    pub(crate) customer: i64,
    pub(crate) loyal: i64,
}

impl StageCounts {
    fn add(&mut self, stage: Stage, visitors: i64) {
        *match stage {
            Stage::Aware => &mut self.aware,
            Stage::Interested => &mut self.interested,
            Stage::Considering => &mut self.considering,
            Stage::Intending => &mut self.intending,
            Stage::Customer => &mut self.customer,
            Stage::Loyal => &mut self.loyal,
        } += visitors;
    }

    pub(crate) fn get(&self, stage: Stage) -> i64 {
        match stage {
            Stage::Aware => self.aware,
            Stage::Interested => self.interested,
            Stage::Considering => self.considering,
            Stage::Intending => self.intending,
            Stage::Customer => self.customer,
            Stage::Loyal => self.loyal,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct StageReport {
    pub(crate) campaign_id: i64,
    pub(crate) channel_id: Option<i64>,
    pub(crate) tz: String,
    /// Visitors at each stage now.
    pub(crate) stages: StageCounts,
    /// The same per channel the visitors came through (`channel_id` null: a visit without
    /// a code); only with no `channel_id` asked for.
    pub(crate) channels: Vec<ChannelStages>,
    /// Oldest first; the last is this week so far.
    pub(crate) weeks: Vec<StageWeek>,
}

#[derive(Serialize, ToSchema)]
pub struct ChannelStages {
    pub(crate) channel_id: Option<i64>,
    pub(crate) name: Option<String>,
    pub(crate) stages: StageCounts,
}

#[derive(Serialize, ToSchema)]
pub struct StageWeek {
    /// The week's Monday in the report's zone.
    pub(crate) label: String,
    pub(crate) start: String,
    /// Its end (exclusive), or now for this week.
    pub(crate) end: String,
    /// Visitors at each stage at the week's end.
    pub(crate) stages: StageCounts,
    /// Visitors who reached each stage (as their highest) during the week, new ones too.
    pub(crate) entered: StageCounts,
    /// Visitors who were at each stage when the week began and moved on during it.
    pub(crate) left: StageCounts,
    /// Every move of the week: from a stage (null: first seen this week) to a higher one.
    pub(crate) moves: Vec<StageMove>,
}

#[derive(Serialize, ToSchema)]
pub struct StageMove {
    /// `aware` ... `loyal`.
    #[schema(value_type = Option<String>)]
    pub(crate) from: Option<Stage>,
    #[schema(value_type = String)]
    pub(crate) to: Stage,
    pub(crate) visitors: i64,
}

#[derive(Serialize)]
struct StageLine {
    week: String,
    stage: &'static str,
    visitors: i64,
    entered: i64,
    left: i64,
}

/// The campaign's visitors by stage: now, per channel, and week by week. A visitor's stage
/// is the highest they reached, each by something they did in the campaign: a scan
/// (aware), the landing page shown (interested), a call to action followed or a photo
/// shared (considering), joining or claiming a code's points (intending), a purchase
/// (customer), a second purchase (loyal).
#[utoipa::path(get, path = "/api/v1/reports/stages", tag = "reports", params(StageQuery),
    responses((status = 200, content((StageReport = "application/json"), (String = "text/csv"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn stages(
    State(state): State<AppState>,
    Query(query): Query<StageQuery>,
) -> Result<Response> {
    let format = Format::parse(query.format.as_deref())?;
    let weeks = query.weeks.unwrap_or(8);
    let zone = query
        .tz
        .as_deref()
        .map_or(Ok(UtcOffset::default()), UtcOffset::parse)
        .map_err(|err| AppError::BadRequest(format!("tz: {err}")))?;
    let report = stage_report(&state, query.campaign_id, query.channel_id, weeks, zone).await?;
    let lines: Vec<StageLine> = report
        .weeks
        .iter()
        .flat_map(|w| {
            Stage::ALL.into_iter().map(|stage| StageLine {
                week: w.label.clone(),
                stage: stage.as_str(),
                visitors: w.stages.get(stage),
                entered: w.entered.get(stage),
                left: w.left.get(stage),
            })
        })
        .collect();
    answer(
        format,
        &report,
        lines,
        &format!("stages-{}", query.campaign_id),
    )
    .await
}

/// The stages of a campaign's visitors (of one channel) now and over the last `weeks`
/// weeks in `zone`: what the API answers and the report page shows.
pub(crate) async fn stage_report(
    state: &AppState,
    campaign_id: i64,
    channel_id: Option<i64>,
    weeks: i64,
    zone: UtcOffset,
) -> Result<StageReport> {
    if !(1..=MOST_WEEKS).contains(&weeks) {
        return Err(AppError::BadRequest(format!(
            "weeks: {weeks} is not from 1 to {MOST_WEEKS}"
        )));
    }
    state
        .db
        .campaign(campaign_id)
        .await
        .map_err(missing("campaign"))?;
    if let Some(channel_id) = channel_id {
        state
            .db
            .channel(channel_id)
            .await
            .map_err(missing("channel"))?;
    }
    let now = now_ms();
    let mut starts = vec![Interval::Week.start(zone, now)];
    for _ in 1..weeks {
        let earlier = Interval::Week.start(zone, starts[0] - 1);
        starts.insert(0, earlier);
    }
    let mut rows = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(now, |&next| next - 1);
        let moves = state
            .db
            .stage_moves(campaign_id, channel_id, start - 1, end)
            .await?;
        rows.push(week(zone, start, end, &moves));
    }
    let stages = rows
        .last()
        .map(|w: &StageWeek| w.stages.clone())
        .unwrap_or_default();
    let channels = if channel_id.is_none() {
        channel_stages(state, campaign_id).await?
    } else {
        Vec::new()
    };
    Ok(StageReport {
        campaign_id,
        channel_id,
        tz: zone.to_string(),
        stages,
        channels,
        weeks: rows,
    })
}

/// A week from its moves: (level at its start, level at its end, visitors).
fn week(zone: UtcOffset, start: i64, end: i64, moves: &[(i64, i64, i64)]) -> StageWeek {
    let mut week = StageWeek {
        label: Interval::Week.label(zone, start),
        start: to_rfc3339(start),
        end: to_rfc3339(end + 1),
        stages: StageCounts::default(),
        entered: StageCounts::default(),
        left: StageCounts::default(),
        moves: Vec::new(),
    };
    for &(before, after, visitors) in moves {
        let Some(to) = Stage::from_level(after) else {
            continue;
        };
        week.stages.add(to, visitors);
        if before == after {
            continue;
        }
        let from = Stage::from_level(before);
        week.entered.add(to, visitors);
        if let Some(from) = from {
            week.left.add(from, visitors);
        }
        week.moves.push(StageMove { from, to, visitors });
    }
    week
}

async fn channel_stages(state: &AppState, campaign_id: i64) -> Result<Vec<ChannelStages>> {
    let mut by_channel: BTreeMap<i64, StageCounts> = BTreeMap::new();
    for (channel_id, level, visitors) in state.db.stages_by_channel(campaign_id).await? {
        if let Some(stage) = Stage::from_level(level) {
            by_channel
                .entry(channel_id)
                .or_default()
                .add(stage, visitors);
        }
    }
    let mut channels = Vec::with_capacity(by_channel.len());
    for (channel_id, stages) in by_channel {
        let (channel_id, name) = match channel_id {
            0 => (None, None),
            id => (Some(id), state.db.channel(id).await.ok().map(|c| c.name)),
        };
        channels.push(ChannelStages {
            channel_id,
            name,
            stages,
        });
    }
    Ok(channels)
}
