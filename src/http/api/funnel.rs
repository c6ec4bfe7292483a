//! `GET /api/v1/reports/funnel`: where people drop off, for the campaign and each channel:
//! scans, unique scanners, landing views, CTA clicks, conversions, repeat purchasers, the
//! rate into each step, and the campaign's progress against its targets.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use super::ErrorBody;
use super::attribution::AttributionView;
use super::report_format::answer;
use super::reports::{Prepared, ReportQuery, cpa, prepare, roas, round6, whole};
use super::targets::stored;
use super::time::to_rfc3339;
use crate::db::{Detail, now_ms};
use crate::domain::EventKind;
use crate::domain::targets::{Run, Step, Targets, count_progress};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::Result;
use crate::http::extract::Query;

#[derive(Serialize, ToSchema)]
pub struct FunnelReport {
    pub(crate) campaign_id: i64,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) tz: String,
    pub(crate) currency: String,
    pub(crate) attribution: AttributionView,
    /// The share of the campaign's run passed (from its start, or its creation, to its
    /// end); absent when it has no end, and then a count target is due whole.
    pub(crate) run_elapsed: Option<f64>,
    /// The campaign's funnel, with its targets.
    pub(crate) steps: Vec<FunnelStep>,
    pub(crate) money: Money,
    /// Each channel's funnel (landing views and clicks that came without a code belong
    /// to no channel, so channels may add up to less than the campaign).
    pub(crate) channels: Vec<ChannelFunnel>,
}

#[derive(Serialize, ToSchema)]
pub struct FunnelStep {
    /// `scans`, `unique_scanners`, `landing_views`, `cta_clicks`, `conversions` or
    /// `repeat_purchasers`.
    pub(crate) step: &'static str,
    /// Conversions are credited shares (fractional under shared models); unique scanners
    /// are an estimate past 1,024 visitors, and are left out of a funnel narrowed to a
    /// batch, store or country (visitors are counted per channel).
    pub(crate) count: f64,
    /// This step's count over the previous step's; absent first and after a zero.
    pub(crate) rate: Option<f64>,
    /// The campaign's target for the count.
    pub(crate) target: Option<i64>,
    /// How much of the target is due by now (the share of the run passed).
    pub(crate) due: Option<f64>,
    /// The target rate into this step.
    pub(crate) target_rate: Option<f64>,
    /// Below what is due, or below the target rate; absent without targets.
    pub(crate) behind: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct Money {
    /// Revenue credited, net of refunds.
    pub(crate) revenue_cents: i64,
    pub(crate) spend_cents: i64,
    pub(crate) cpa_cents: Option<i64>,
    pub(crate) roas: Option<f64>,
    pub(crate) target_cpa_cents: Option<i64>,
    pub(crate) target_roas: Option<f64>,
    pub(crate) target_revenue_cents: Option<i64>,
    /// Which money targets are missed: `cpa_cents` (above it), `roas` (below it),
    /// `revenue_cents` (below what is due by now).
    pub(crate) behind: Vec<&'static str>,
}

#[derive(Serialize, ToSchema)]
pub struct ChannelFunnel {
    pub(crate) channel_id: i64,
    pub(crate) channel: String,
    pub(crate) steps: Vec<FunnelStep>,
}

/// The funnel of a campaign and of each of its channels over the range, with the rate
/// into each step and progress against the campaign's targets.
#[utoipa::path(get, path = "/api/v1/reports/funnel", tag = "reports", params(ReportQuery),
    responses((status = 200, content((FunnelReport = "application/json"), (String = "text/csv"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn funnel(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ReportQuery>,
) -> Result<Response> {
    let format = query.format()?;
    let prepared = prepare(&state, &query, &caller.scope(), Detail::Channels).await?;
    let report = funnel_report(&state, &prepared).await?;
    let name = format!("funnel-{}", report.campaign_id);
    answer(format, &report, report.lines(), &name).await
}

pub(crate) async fn funnel_report(state: &AppState, prepared: &Prepared) -> Result<FunnelReport> {
    let (campaign_id, range) = (prepared.campaign.id, prepared.range);
    let db = &state.db;
    let filter = &prepared.filter;
    let channels = db.channel_report(campaign_id, range, filter).await?;
    let views = db
        .event_counts(campaign_id, range, EventKind::View.as_str(), filter)
        .await?;
    let clicks = db
        .event_counts(campaign_id, range, EventKind::Click.as_str(), filter)
        .await?;
    let repeat = db
        .repeat_purchasers(campaign_id, range, prepared.rules.window.ms(), filter)
        .await?;
    // The targets are the whole campaign's: a filtered funnel is not held to them.
    let targets = match filter.is_whole() {
        true => stored(state, campaign_id).await?.1,
        false => Targets::default(),
    };
    let campaign = &prepared.campaign;
    let run = Run {
        starts_at: campaign.starts_at.unwrap_or(campaign.created_at),
        ends_at: campaign.ends_at,
    };
    let elapsed = run.elapsed(now_ms());

    let credit = &prepared.credit;
    let scans: i64 = channels.rows.iter().map(|r| r.scans).sum();
    let spend_cents: i64 = channels.rows.iter().map(|r| r.spend_cents).sum();
    let counts = [
        Some(scans as f64),
        channels.unique_visitors.map(|n| n as f64),
        Some(views.total as f64),
        Some(clicks.total as f64),
        Some(whole(credit.total.conversions)),
        Some(repeat.total as f64),
    ];
    let campaign_steps = steps(counts, Some((&targets, elapsed)));
    let revenue = credit.total.revenue_cents;
    let money = money(
        revenue,
        spend_cents,
        credit.total.conversions,
        &targets,
        elapsed,
    );
    let channel_funnels = channels
        .rows
        .iter()
        .map(|row| {
            let id = row.channel_id;
            let of = |m: &std::collections::BTreeMap<i64, i64>| m.get(&id).copied().unwrap_or(0);
            let conversions = credit.by_channel.get(&id).map_or(0, |c| c.conversions);
            ChannelFunnel {
                channel_id: id,
                channel: row.channel.clone(),
                steps: steps(
                    [
                        Some(row.scans as f64),
                        row.unique_visitors.map(|n| n as f64),
                        Some(of(&views.by_channel) as f64),
                        Some(of(&clicks.by_channel) as f64),
                        Some(whole(conversions)),
                        Some(of(&repeat.by_channel) as f64),
                    ],
                    None,
                ),
            }
        })
        .collect();
    Ok(report(
        prepared,
        elapsed,
        campaign_steps,
        money,
        channel_funnels,
    ))
}

/// A step as a CSV line: the campaign's steps first (no channel), then each channel's.
#[derive(Serialize)]
struct FunnelLine<'a> {
    channel_id: Option<i64>,
    channel: &'a str,
    step: &'static str,
    count: f64,
    rate: Option<f64>,
    target: Option<i64>,
    due: Option<f64>,
    target_rate: Option<f64>,
    behind: Option<bool>,
}

impl FunnelReport {
    fn lines(&self) -> impl Iterator<Item = FunnelLine<'_>> {
        let campaign = self.steps.iter().map(|s| (None, "campaign", s));
        let channels = self.channels.iter().flat_map(|c| {
            c.steps
                .iter()
                .map(move |s| (Some(c.channel_id), c.channel.as_str(), s))
        });
        campaign
            .chain(channels)
            .map(|(channel_id, channel, s)| FunnelLine {
                channel_id,
                channel,
                step: s.step,
                count: s.count,
                rate: s.rate,
                target: s.target,
                due: s.due,
                target_rate: s.target_rate,
                behind: s.behind,
            })
    }
}

/// The steps with their rates, and against the targets when given. A step whose count is
/// not known (unique scanners below a channel) is left out, and the next one's rate is
/// over the step before it.
fn steps(counts: [Option<f64>; 6], planned: Option<(&Targets, Option<f64>)>) -> Vec<FunnelStep> {
    let mut previous: Option<f64> = None;
    Step::ALL
        .iter()
        .filter_map(|&step| {
            let i = step.index();
            let count = counts[i]?;
            let rate = previous.filter(|&p| p > 0.0).map(|p| round6(count / p));
            previous = Some(count);
            let target = planned.and_then(|(t, _)| t.counts[i]);
            let target_rate = planned.and_then(|(t, _)| t.rates[i]);
            let progress = target.map(|t| count_progress(count, t, planned.and_then(|p| p.1)));
            // A rate after a zero is unknown: neither behind nor on plan.
            let rate_behind = target_rate.and_then(|t| rate.map(|r| r < t));
            let behind = match (progress.map(|p| p.1), rate_behind) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(false) || b.unwrap_or(false)),
            };
            Some(FunnelStep {
                step: step.as_str(),
                count,
                rate,
                target,
                due: progress.map(|p| round6(p.0)),
                target_rate,
                behind,
            })
        })
        .collect()
}

fn money(
    revenue_cents: i64,
    spend_cents: i64,
    credit: i64,
    targets: &Targets,
    elapsed: Option<f64>,
) -> Money {
    let cpa_cents = cpa(spend_cents, credit);
    let roas = roas(revenue_cents, spend_cents);
    let mut behind = targets.money_behind(cpa_cents, roas);
    if let Some(target) = targets.revenue_cents
        && count_progress(revenue_cents as f64, target, elapsed).1
    {
        behind.push("revenue_cents");
    }
    Money {
        revenue_cents,
        spend_cents,
        cpa_cents,
        roas,
        target_cpa_cents: targets.cpa_cents,
        target_roas: targets.roas,
        target_revenue_cents: targets.revenue_cents,
        behind,
    }
}

fn report(
    prepared: &Prepared,
    elapsed: Option<f64>,
    steps: Vec<FunnelStep>,
    money: Money,
    channels: Vec<ChannelFunnel>,
) -> FunnelReport {
    FunnelReport {
        campaign_id: prepared.campaign.id,
        from: to_rfc3339(prepared.range.from),
        to: to_rfc3339(prepared.range.to),
        tz: prepared.offset.to_string(),
        currency: prepared.campaign.currency.clone(),
        attribution: prepared.rules.into(),
        run_elapsed: elapsed.map(round6),
        steps,
        money,
        channels,
    }
}
