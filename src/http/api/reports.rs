//! `/api/v1/reports/channels`, `/batches` and `/stores`: how each channel, print run and
//! store of a campaign performs, with the conversions credited to it.

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::attribution::{AttributionView, rules_over};
use super::report_format::{Format, answer};
use super::targets::stored;
use super::time::{EARLIEST_MS, parse_optional, to_rfc3339};
use super::{ErrorBody, FormatName, IntervalName, ModelName};
use std::collections::BTreeMap;

use crate::db::{
    Campaign, CampaignCredit, ChannelReportRow, Credit, Detail, GroupReport, GroupReportRow,
    HourCounts, ReportFilter, ReportRange, Scope as StoreScope, now_ms,
};
use crate::domain::CountryCode;
use crate::domain::attribution::{CREDIT_UNIT, Rules};
use crate::domain::targets::Targets;
use crate::domain::time::{Interval, UtcOffset};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::Query;

const MS_PER_HOUR: i64 = 3_600_000;

/// The longest range a report covers: two years, a leap day included.
const MAX_RANGE_DAYS: i64 = 731;
const MAX_RANGE_MS: i64 = MAX_RANGE_DAYS * 24 * MS_PER_HOUR;

#[derive(Deserialize, IntoParams, Clone)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    pub(crate) campaign_id: i64,
    /// Start (RFC 3339 or YYYY-MM-DD, 1970 to 9999-12-31T23:00:00Z), at most 731 days
    /// before `to`; default: 731 days before `to`.
    #[param(format = DateTime)]
    pub(crate) from: Option<String>,
    /// End, exclusive, after `from`; default: the end of the current hour (everything so
    /// far).
    #[param(format = DateTime)]
    pub(crate) to: Option<String>,
    /// Attribution model; default: the campaign's.
    #[param(value_type = Option<ModelName>)]
    pub(crate) model: Option<String>,
    /// Lookback window such as `7d` or `36h` (1 s to 90 days); default: the campaign's.
    #[param(pattern = r"^[0-9]+[dhms]$")]
    pub(crate) window: Option<String>,
    /// Half-life of `time_decay`, such as `24h`; default: the campaign's.
    #[param(pattern = r"^[0-9]+[dhms]$")]
    pub(crate) half_life: Option<String>,
    /// The report's time zone as a UTC offset in whole hours (`+08:00`, `-05:00`; default
    /// UTC): plain dates in `from` and `to` start at its midnight, and days are its days.
    pub(crate) tz: Option<String>,
    /// `json` (default) or `csv`: the rows as a CSV file for a spreadsheet.
    #[param(value_type = Option<FormatName>)]
    pub(crate) format: Option<String>,
    /// The time report's buckets: `hour`, `day` (default), `week` (Monday to Sunday) or
    /// `month`, in the report's zone.
    #[param(value_type = Option<IntervalName>)]
    pub(crate) interval: Option<String>,
    /// Only scans of this channel, and the conversions credited to them.
    pub(crate) channel_id: Option<i64>,
    /// Only scans of this batch (of the campaign).
    pub(crate) batch_id: Option<i64>,
    /// Only scans made in this store (a retailer's reports are always within their
    /// stores).
    pub(crate) store_id: Option<i64>,
    /// Only scans from this country (ISO 3166-1 alpha-2, such as `CN`). A report
    /// narrowed to a batch, store or country has no unique visitors (they are counted per
    /// channel), no unattributed conversions (they are the campaign's), and with a
    /// country no spend (costs are not known per country).
    #[param(pattern = "^[A-Za-z]{2}$")]
    pub(crate) country: Option<String>,
}

impl ReportQuery {
    /// The campaign from `from` to `to`, everything else as the campaign has it.
    pub(crate) fn between(campaign_id: i64, from: String, to: String) -> Self {
        Self {
            campaign_id,
            from: Some(from),
            to: Some(to),
            model: None,
            window: None,
            half_life: None,
            tz: None,
            format: None,
            interval: None,
            channel_id: None,
            batch_id: None,
            store_id: None,
            country: None,
        }
    }

    pub(super) fn format(&self) -> Result<Format> {
        Format::parse(self.format.as_deref())
    }

    pub(crate) fn interval(&self) -> Result<Interval> {
        self.interval
            .as_deref()
            .map_or(Ok(Interval::default()), Interval::parse)
            .map_err(|err| AppError::BadRequest(format!("interval: {err}")))
    }
}

#[derive(Serialize, ToSchema)]
pub struct Report<R> {
    pub(crate) campaign_id: i64,
    pub(crate) from: String,
    pub(crate) to: String,
    /// The report's time zone.
    pub(crate) tz: String,
    /// The campaign's currency: every amount in the report is in it.
    pub(crate) currency: String,
    /// The attribution the conversions were credited with.
    pub(crate) attribution: AttributionView,
    pub(crate) rows: Vec<R>,
    pub(crate) total: CampaignTotal,
}

/// A batch (in the batches report) or a store (in the stores report).
#[derive(Serialize, ToSchema)]
pub struct GroupRow {
    /// The batch's or the store's id.
    id: i64,
    /// The batch's or the store's name.
    name: String,
    /// A batch's channel.
    channel_id: Option<i64>,
    /// A store's code.
    code: Option<String>,
    /// A batch's store, or the store itself.
    store_id: Option<i64>,
    city: Option<String>,
    /// Human scans (bots excluded).
    scans: i64,
    /// Distinct people who scanned its codes (a store: its batches' codes), merged from
    /// the batches' sketches; null in a report narrowed to a country.
    unique_visitors: Option<i64>,
    /// Scans by visitors seen for the first time.
    new_visitors: i64,
    bot_scans: i64,
    /// Conversions credited to its scans (fractional under shared models).
    conversions: f64,
    /// Revenue credited, net of refunds.
    revenue_cents: i64,
    refunded_cents: i64,
    /// Print costs (of the batch; of the store's batches).
    spend_cents: i64,
    /// Conversions per human scan.
    conversions_per_scan: Option<f64>,
    /// Spend per conversion; absent without conversions.
    cpa_cents: Option<i64>,
    /// Revenue per unit of spend; absent without spend.
    roas: Option<f64>,
    /// Its CPA is above the campaign's target CPA; absent without a target or a CPA.
    cpa_behind: Option<bool>,
    /// Its ROAS is below the campaign's target ROAS; absent without a target or a ROAS.
    roas_behind: Option<bool>,
}

impl GroupRow {
    fn new(r: GroupReportRow, credit: Credit, targets: &Targets) -> Self {
        let conversions = whole(credit.conversions);
        let mut row = Self {
            id: r.id,
            name: r.name,
            channel_id: r.channel_id,
            code: r.code,
            store_id: r.store_id,
            city: r.city,
            scans: r.scans,
            unique_visitors: r.unique_visitors,
            new_visitors: r.new_visitors,
            bot_scans: r.bot_scans,
            conversions,
            revenue_cents: credit.revenue_cents,
            refunded_cents: credit.refunded_cents,
            spend_cents: r.spend_cents,
            conversions_per_scan: (r.scans > 0).then(|| round6(conversions / r.scans as f64)),
            cpa_cents: cpa(r.spend_cents, credit.conversions),
            roas: roas(credit.revenue_cents, r.spend_cents),
            cpa_behind: None,
            roas_behind: None,
        };
        row.cpa_behind = targets.cpa_behind(row.cpa_cents);
        row.roas_behind = targets.roas_behind(row.roas);
        row
    }
}

/// The campaign as a whole.
#[derive(Serialize, ToSchema)]
pub struct CampaignTotal {
    pub(crate) scans: i64,
    /// Distinct visitors across the campaign's channels (a person who scanned two
    /// channels counts once, so it can be less than the rows' sum); across the rows in
    /// the batches and stores reports; absent where the filter hides them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unique_visitors: Option<i64>,
    pub(crate) bot_scans: i64,
    /// Conversions credited to the campaign's scans (fractional under shared models).
    pub(crate) conversions: f64,
    /// Revenue credited, net of refunds.
    pub(crate) revenue_cents: i64,
    pub(crate) refunded_cents: i64,
    pub(crate) spend_cents: i64,
    /// Spend per conversion; absent without conversions.
    pub(crate) cpa_cents: Option<i64>,
    /// Revenue per unit of spend; absent without spend.
    pub(crate) roas: Option<f64>,
    /// Conversions whose key names this campaign (its click or code) that no scan inside
    /// the window led to.
    pub(crate) unattributed: i64,
    pub(crate) unattributed_revenue_cents: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ChannelRow {
    pub(crate) channel_id: i64,
    pub(crate) channel: String,
    pub(crate) channel_slug: String,
    pub(crate) kind: String,
    /// Human scans (bots excluded).
    pub(crate) scans: i64,
    /// Distinct visitors (first-party cookie), bots excluded; null in a report narrowed
    /// to a batch, store or country (visitors are counted per channel).
    pub(crate) unique_visitors: Option<i64>,
    /// Scans by visitors seen for the first time.
    pub(crate) new_visitors: i64,
    pub(crate) bot_scans: i64,
    /// Conversions credited to the channel's scans (fractional under shared models).
    pub(crate) conversions: f64,
    /// Revenue credited, net of refunds.
    pub(crate) revenue_cents: i64,
    /// Refunds on the credited conversions, in the same shares.
    pub(crate) refunded_cents: i64,
    /// The channel's batch print costs in this campaign, plus the share of its spend
    /// entries' periods inside the range.
    pub(crate) spend_cents: i64,
    /// Conversions per unique visitor; absent without visitors, or when they are not
    /// known.
    pub(crate) conversion_rate: Option<f64>,
    /// Spend per conversion; absent without conversions.
    pub(crate) cpa_cents: Option<i64>,
    /// Revenue per unit of spend; absent without spend.
    pub(crate) roas: Option<f64>,
    /// Its CPA is above the campaign's target CPA; absent without a target or a CPA.
    pub(crate) cpa_behind: Option<bool>,
    /// Its ROAS is below the campaign's target ROAS; absent without a target or a ROAS.
    pub(crate) roas_behind: Option<bool>,
}

impl ChannelRow {
    fn new(r: ChannelReportRow, credit: Credit, targets: &Targets) -> Self {
        let conversions = whole(credit.conversions);
        let mut row = Self {
            channel_id: r.channel_id,
            channel: r.channel,
            channel_slug: r.channel_slug,
            kind: r.kind,
            scans: r.scans,
            unique_visitors: r.unique_visitors,
            new_visitors: r.new_visitors,
            bot_scans: r.bot_scans,
            conversions,
            revenue_cents: credit.revenue_cents,
            refunded_cents: credit.refunded_cents,
            spend_cents: r.spend_cents,
            conversion_rate: r
                .unique_visitors
                .filter(|&n| n > 0)
                .map(|n| round6(conversions / n as f64)),
            cpa_cents: cpa(r.spend_cents, credit.conversions),
            roas: roas(credit.revenue_cents, r.spend_cents),
            cpa_behind: None,
            roas_behind: None,
        };
        row.cpa_behind = targets.cpa_behind(row.cpa_cents);
        row.roas_behind = targets.roas_behind(row.roas);
        row
    }
}

/// Billionths of a conversion as conversions, to six places.
pub(super) fn whole(credit: i64) -> f64 {
    round6(credit as f64 / CREDIT_UNIT as f64)
}

pub(super) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Spend per conversion, rounded to the cent.
pub(super) fn cpa(spend_cents: i64, credit: i64) -> Option<i64> {
    (credit > 0).then(|| {
        ((spend_cents as i128 * CREDIT_UNIT as i128 + credit as i128 / 2) / credit as i128) as i64
    })
}

pub(super) fn roas(revenue_cents: i64, spend_cents: i64) -> Option<f64> {
    (spend_cents > 0).then(|| round6(revenue_cents as f64 / spend_cents as f64))
}

impl ReportQuery {
    fn offset(&self) -> Result<UtcOffset> {
        self.tz
            .as_deref()
            .map_or(Ok(UtcOffset::default()), UtcOffset::parse)
            .map_err(|err| AppError::BadRequest(format!("tz: {err}")))
    }

    /// The range asked for, to the millisecond (whole hours are read from the rollups, the
    /// edges from the raw rows); plain dates at midnight in the report's zone. A query parameter that cannot be used is a bad
    /// request (400), naming the parameter.
    fn range(&self) -> Result<ReportRange> {
        let bad = |err: AppError| AppError::BadRequest(err.to_string());
        let offset = self.offset()?;
        let local = |field: &str, raw: Option<&str>| {
            let at = parse_optional(field, raw).map_err(bad)?;
            let plain_date = raw.is_some_and(|r| r.trim().len() == 10);
            Ok::<_, AppError>(at.map(|at| if plain_date { at - offset.ms() } else { at }))
        };
        let from = local("from", self.from.as_deref())?;
        let to = local("to", self.to.as_deref())?;
        // Without an end: everything so far, to the end of the current hour (read whole
        // from its rollup; nothing in it comes later than now).
        let to = to.unwrap_or_else(|| {
            let now = now_ms();
            now - now.rem_euclid(MS_PER_HOUR) + MS_PER_HOUR
        });
        let from = from.unwrap_or_else(|| (to - MAX_RANGE_MS).max(EARLIEST_MS));
        if to - from > MAX_RANGE_MS {
            return Err(AppError::BadRequest(format!(
                "from: a report covers at most {MAX_RANGE_DAYS} days ({} to {} is longer); \
                 ask for the years one at a time",
                to_rfc3339(from),
                to_rfc3339(to)
            )));
        }
        if from >= to {
            return Err(AppError::BadRequest(format!(
                "to: must be after from ({} is not after {})",
                to_rfc3339(to),
                to_rfc3339(from)
            )));
        }
        Ok(ReportRange { from, to })
    }
}

/// What every report needs: the campaign, the range, the filter, the attribution asked
/// for, and the conversions credited under it.
pub(crate) struct Prepared {
    pub(crate) campaign: Campaign,
    pub(super) range: ReportRange,
    pub(super) offset: UtcOffset,
    pub(super) filter: ReportFilter,
    pub(super) rules: Rules,
    pub(super) credit: CampaignCredit,
}

/// The campaign, range, zone and attribution a report asks for, checked (400 naming the
/// parameter that cannot be used, 404 for an unknown campaign).
pub(super) struct Scope {
    pub(crate) campaign: Campaign,
    pub(super) range: ReportRange,
    pub(super) offset: UtcOffset,
    pub(super) rules: Rules,
}

pub(super) async fn scope(state: &AppState, query: &ReportQuery) -> Result<Scope> {
    let campaign = state
        .db
        .campaign(query.campaign_id)
        .await
        .map_err(missing("campaign"))?;
    let range = query.range()?;
    let rules = rules_over(
        campaign.rules(),
        query.model.as_deref(),
        query.window.as_deref(),
        query.half_life.as_deref(),
    )
    .map_err(|err| AppError::BadRequest(err.to_string()))?;
    Ok(Scope {
        campaign,
        range,
        offset: query.offset()?,
        rules,
    })
}

/// The report's filter, checked: 400 for a country that is not one or a batch of another
/// campaign, 404 for a channel, batch or store that does not exist or that `stores` (the
/// caller's) does not reach. Without a `store_id` the report is within `stores`.
pub(crate) async fn filter(
    state: &AppState,
    query: &ReportQuery,
    stores: &StoreScope,
) -> Result<ReportFilter> {
    let country = query
        .country
        .as_deref()
        .map(CountryCode::parse)
        .transpose()
        .map_err(|err| AppError::BadRequest(format!("country: {err}")))?;
    if let Some(id) = query.channel_id {
        state.db.channel(id).await.map_err(missing("channel"))?;
    }
    if let Some(id) = query.batch_id {
        let batch = state
            .db
            .batch_in(stores, id)
            .await
            .map_err(missing("batch"))?;
        if batch.campaign_id != query.campaign_id {
            return Err(AppError::BadRequest(format!(
                "batch_id: batch {id} belongs to campaign {}, not to campaign {}",
                batch.campaign_id, query.campaign_id
            )));
        }
    }
    let stores = match query.store_id {
        Some(id) => {
            state
                .db
                .store_in(stores, id)
                .await
                .map_err(missing("store"))?;
            StoreScope::Stores(vec![id])
        }
        None => stores.clone(),
    };
    Ok(ReportFilter {
        channel_id: query.channel_id,
        batch_id: query.batch_id,
        stores,
        country,
    })
}

/// A report's scope, its filter within `stores`, and its conversions credited by channel,
/// batch and store (with `Detail::Places`, by device and place too).
pub(crate) async fn prepare(
    state: &AppState,
    query: &ReportQuery,
    stores: &StoreScope,
    detail: Detail,
) -> Result<Prepared> {
    let Scope {
        campaign,
        range,
        offset,
        rules,
    } = scope(state, query).await?;
    let filter = filter(state, query, stores).await?;
    let credit = state
        .db
        .campaign_credit(query.campaign_id, range, rules, detail, &filter)
        .await?;
    Ok(Prepared {
        campaign,
        range,
        offset,
        filter,
        rules,
        credit,
    })
}

impl Prepared {
    pub(super) fn total(&self, scans: i64, bot_scans: i64, spend_cents: i64) -> CampaignTotal {
        let credit = &self.credit;
        CampaignTotal {
            scans,
            unique_visitors: None,
            bot_scans,
            conversions: whole(credit.total.conversions),
            revenue_cents: credit.total.revenue_cents,
            refunded_cents: credit.total.refunded_cents,
            spend_cents,
            cpa_cents: cpa(spend_cents, credit.total.conversions),
            roas: roas(credit.total.revenue_cents, spend_cents),
            unattributed: credit.unattributed,
            unattributed_revenue_cents: credit.unattributed_revenue_cents,
        }
    }

    pub(super) fn report<R>(&self, rows: Vec<R>, total: CampaignTotal) -> Report<R> {
        Report {
            campaign_id: self.campaign.id,
            from: to_rfc3339(self.range.from),
            to: to_rfc3339(self.range.to),
            tz: self.offset.to_string(),
            currency: self.campaign.currency.clone(),
            attribution: self.rules.into(),
            rows,
            total,
        }
    }
}

/// Per-channel scans, visitors, bots and spend (read from hourly rollups), and the
/// conversions, revenue, CPA and ROAS credited to them under the attribution asked for.
#[utoipa::path(get, path = "/api/v1/reports/channels", tag = "reports", params(ReportQuery),
    responses((status = 200, content((Report<ChannelRow> = "application/json"), (String = "text/csv"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn channels(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ReportQuery>,
) -> Result<Response> {
    let format = query.format()?;
    let prepared = prepare(&state, &query, &caller.scope(), Detail::Channels).await?;
    let report = channel_report(&state, &prepared).await?;
    let name = format!("channels-{}", report.campaign_id);
    answer(format, &report, &report.rows, &name).await
}

pub(crate) async fn channel_report(
    state: &AppState,
    prepared: &Prepared,
) -> Result<Report<ChannelRow>> {
    let channels = state
        .db
        .channel_report(prepared.campaign.id, prepared.range, &prepared.filter)
        .await?;
    let (_, targets) = stored(state, prepared.campaign.id).await?;
    let rows = channels.rows;
    let (scans, bot_scans, spend_cents) = rows.iter().fold((0, 0, 0), |(s, b, c), r| {
        (s + r.scans, b + r.bot_scans, c + r.spend_cents)
    });
    let mut total = prepared.total(scans, bot_scans, spend_cents);
    total.unique_visitors = channels.unique_visitors;
    let rows = rows
        .into_iter()
        .map(|r| {
            let credit = prepared.credit.by_channel.get(&r.channel_id);
            ChannelRow::new(r, credit.copied().unwrap_or_default(), &targets)
        })
        .collect();
    Ok(prepared.report(rows, total))
}

/// Per-batch scans and print cost, and the conversions credited to each batch's scans.
#[utoipa::path(get, path = "/api/v1/reports/batches", tag = "reports", params(ReportQuery),
    responses((status = 200, content((Report<GroupRow> = "application/json"), (String = "text/csv"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn batches(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ReportQuery>,
) -> Result<Response> {
    let format = query.format()?;
    let prepared = prepare(&state, &query, &caller.scope(), Detail::Channels).await?;
    let rows = state
        .db
        .batch_report(query.campaign_id, prepared.range, &prepared.filter)
        .await?;
    let report = grouped(&state, prepared, rows, |c| &c.by_batch).await?;
    let name = format!("batches-{}", report.campaign_id);
    answer(format, &report, &report.rows, &name).await
}

/// Per-store scans and print cost (of the store's batches), and the conversions credited
/// to scans made in each store.
#[utoipa::path(get, path = "/api/v1/reports/stores", tag = "reports", params(ReportQuery),
    responses((status = 200, content((Report<GroupRow> = "application/json"), (String = "text/csv"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn stores(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ReportQuery>,
) -> Result<Response> {
    let format = query.format()?;
    let prepared = prepare(&state, &query, &caller.scope(), Detail::Channels).await?;
    let rows = state
        .db
        .store_report(query.campaign_id, prepared.range, &prepared.filter)
        .await?;
    let report = grouped(&state, prepared, rows, |c| &c.by_store).await?;
    let name = format!("stores-{}", report.campaign_id);
    answer(format, &report, &report.rows, &name).await
}

/// One bucket (hour, day, week or month) in the report's zone.
#[derive(Serialize, ToSchema, Default)]
pub struct TimeRow {
    /// The bucket's start, RFC 3339 in UTC.
    pub(crate) start: String,
    /// Its name in the report's zone: `2026-11-30T14:00`, `2026-11-30` (a day, or the
    /// Monday a week starts on) or `2026-11`.
    pub(crate) label: String,
    /// Human scans (bots excluded).
    pub(crate) scans: i64,
    pub(crate) new_visitors: i64,
    pub(crate) bot_scans: i64,
    pub(crate) landing_views: i64,
    pub(crate) cta_clicks: i64,
    pub(crate) photo_shares: i64,
    /// Conversions bought in the bucket credited to the campaign's scans.
    pub(crate) conversions: f64,
    pub(crate) revenue_cents: i64,
    pub(crate) refunded_cents: i64,
}

/// The time report's buckets: everything in `/reports/time` but the bucket's name.
#[derive(Default, Clone, Copy)]
struct Bucket {
    scans: i64,
    new_visitors: i64,
    bot_scans: i64,
    views: i64,
    clicks: i64,
    photos: i64,
    credit: Credit,
}

/// The campaign over time: scans and landing events by when they were made, conversions
/// by when they were bought, per hour, day, week or month of the report's zone. Buckets
/// run without gaps from the first with anything in it to the last.
#[utoipa::path(get, path = "/api/v1/reports/time", tag = "reports", params(ReportQuery),
    responses((status = 200, content((Report<TimeRow> = "application/json"), (String = "text/csv"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn time(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ReportQuery>,
) -> Result<Response> {
    let format = query.format()?;
    let interval = query.interval()?;
    let prepared = prepare(&state, &query, &caller.scope(), Detail::Channels).await?;
    let report = time_report(&state, &prepared, interval).await?;
    let name = format!("time-{}", report.campaign_id);
    answer(format, &report, &report.rows, &name).await
}

/// The time report by day, as `/reports/time?interval=day`.
#[utoipa::path(get, path = "/api/v1/reports/daily", tag = "reports", params(ReportQuery),
    responses((status = 200, content((Report<TimeRow> = "application/json"), (String = "text/csv"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn daily(
    State(state): State<AppState>,
    caller: Caller,
    Query(mut query): Query<ReportQuery>,
) -> Result<Response> {
    query.interval = Some(Interval::Day.as_str().to_owned());
    let format = query.format()?;
    let prepared = prepare(&state, &query, &caller.scope(), Detail::Channels).await?;
    let report = time_report(&state, &prepared, Interval::Day).await?;
    let name = format!("daily-{}", report.campaign_id);
    answer(format, &report, &report.rows, &name).await
}

/// The most buckets a time report answers: two years by the hour.
const MAX_BUCKETS: usize = 2 * 366 * 24;

pub(crate) async fn time_report(
    state: &AppState,
    prepared: &Prepared,
    interval: Interval,
) -> Result<Report<TimeRow>> {
    let (campaign_id, range, zone) = (prepared.campaign.id, prepared.range, prepared.offset);
    let bucket_of = |at: i64| interval.start(zone, at);
    let mut buckets: BTreeMap<i64, Bucket> = BTreeMap::new();
    let (mut scans, mut bot_scans) = (0, 0);
    for (
        hour,
        HourCounts {
            counts,
            new_visitors,
        },
    ) in state
        .db
        .hourly_counts(campaign_id, range, &prepared.filter)
        .await?
    {
        let bucket = buckets.entry(bucket_of(hour)).or_default();
        bucket.scans += counts.scans;
        bucket.new_visitors += new_visitors;
        bucket.bot_scans += counts.bot_scans;
        bucket.views += counts.landing_views;
        bucket.clicks += counts.cta_clicks;
        bucket.photos += counts.photo_shares;
        scans += counts.scans;
        bot_scans += counts.bot_scans;
    }
    for (bought, credit) in &prepared.credit.by_purchase {
        let bucket = &mut buckets.entry(bucket_of(*bought)).or_default().credit;
        bucket.add(
            credit.conversions,
            credit.revenue_cents,
            credit.refunded_cents,
        );
    }
    let spend: i64 = state
        .db
        .channel_report(campaign_id, range, &prepared.filter)
        .await?
        .rows
        .iter()
        .map(|r| r.spend_cents)
        .sum();
    let total = prepared.total(scans, bot_scans, spend);
    let mut rows = Vec::new();
    if let (Some(&first), Some(&last)) = (buckets.keys().next(), buckets.keys().next_back()) {
        let mut start = first;
        while start <= last && rows.len() < MAX_BUCKETS {
            let b = buckets.get(&start).copied().unwrap_or_default();
            rows.push(TimeRow {
                start: to_rfc3339(start),
                label: interval.label(zone, start),
                scans: b.scans,
                new_visitors: b.new_visitors,
                bot_scans: b.bot_scans,
                landing_views: b.views,
                cta_clicks: b.clicks,
                photo_shares: b.photos,
                conversions: whole(b.credit.conversions),
                revenue_cents: b.credit.revenue_cents,
                refunded_cents: b.credit.refunded_cents,
            });
            start = interval.next(zone, start);
        }
    }
    Ok(prepared.report(rows, total))
}

/// A batch or store report: each row with its credit, judged against the campaign's
/// money targets, and the campaign's total.
async fn grouped(
    state: &AppState,
    prepared: Prepared,
    report: GroupReport,
    credit_of: impl Fn(&CampaignCredit) -> &BTreeMap<i64, Credit>,
) -> Result<Report<GroupRow>> {
    let (_, targets) = stored(state, prepared.campaign.id).await?;
    let rows = report.rows;
    let (scans, bot_scans, spend_cents) = rows.iter().fold((0, 0, 0), |(s, b, c), r| {
        (s + r.scans, b + r.bot_scans, c + r.spend_cents)
    });
    let mut total = prepared.total(scans, bot_scans, spend_cents);
    total.unique_visitors = report.unique_visitors;
    let credits = credit_of(&prepared.credit);
    let rows = rows
        .into_iter()
        .map(|r| {
            let credit = credits.get(&r.id).copied().unwrap_or_default();
            GroupRow::new(r, credit, &targets)
        })
        .collect();
    Ok(prepared.report(rows, total))
}
