//! `/reports/campaigns/{id}`: one campaign's report page, built from the same reports the
//! API answers (channels, time, funnel with targets, suspicious codes), so the page and a
//! CSV download never disagree.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::charts::{self, Point, Source, Stage};
use super::numbers::{count, money, percent};
use super::{Viewer, render};
use crate::db::{DEFAULT_CITIES, DEFAULT_PER_HOUR, Detail, Scope, Suspicion, now_ms};
use crate::domain::attribution::Model;
use crate::domain::stage::Stage as FunnelStage;
use crate::domain::time::to_rfc3339;
use crate::domain::time::{Interval, UtcOffset};
use crate::http::AppState;
use crate::http::api::breakdowns::{SliceRow, device_report, region_report};
use crate::http::api::cohorts::{CohortReport, cohort_report};
use crate::http::api::funnel::{FunnelReport, FunnelStep, funnel_report};
use crate::http::api::reports::{
    ChannelRow, Report, ReportQuery, channel_report, prepare, time_report,
};
use crate::http::api::stages::{StageReport, stage_report};
use crate::http::api::suspicious::SuspiciousView;
use crate::http::api::variant_report::{VariantRow, experiment_of, variant_rows};
use crate::http::console::Nav;
use crate::http::console::words::Words;
use crate::http::error::{AppError, missing};

const MS_PER_DAY: i64 = 24 * 3600 * 1000;
use crate::http::pages::PageError;

/// The page's filters, as they stand in its URL; empty fields are left out.
#[derive(Default, Clone)]
pub struct Filters {
    pub from: String,
    pub to: String,
    pub tz: String,
    pub model: String,
    pub window: String,
    pub interval: String,
}

impl Filters {
    pub fn parse(raw: Option<&str>) -> Self {
        let mut filters = Self::default();
        for (name, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let value = value.trim().to_owned();
            match name.as_ref() {
                "from" => filters.from = value,
                "to" => filters.to = value,
                "tz" => filters.tz = value,
                "model" => filters.model = value,
                "window" => filters.window = value,
                "interval" => filters.interval = value,
                _ => {}
            }
        }
        filters
    }

    pub fn report_query(&self, campaign_id: i64) -> ReportQuery {
        let given = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        ReportQuery {
            campaign_id,
            from: given(&self.from),
            to: given(&self.to),
            model: given(&self.model),
            window: given(&self.window),
            half_life: None,
            tz: given(&self.tz),
            format: None,
            interval: given(&self.interval),
            channel_id: None,
            batch_id: None,
            store_id: None,
            country: None,
        }
    }

    /// The filters as a query string (`?from=...`), for links that keep them.
    fn query_string(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("from", &self.from),
            ("to", &self.to),
            ("tz", &self.tz),
            ("model", &self.model),
            ("window", &self.window),
            ("interval", &self.interval),
        ] {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        let query = query.finish();
        if query.is_empty() {
            query
        } else {
            format!("?{query}")
        }
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct CampaignPage {
    nav: Nav,
    id: i64,
    name: String,
    filters: Filters,
    models: Vec<(&'static str, bool)>,
    intervals: Vec<(&'static str, bool)>,
    /// What went wrong with the filters, shown above them.
    error: Option<String>,
    body: Option<Body>,
    csv: Vec<(&'static str, String)>,
}

/// Everything below the filters, when they could be used.
struct Body {
    range: String,
    attribution: String,
    cards: Vec<Card>,
    flow_svg: String,
    time_svg: String,
    /// "by day" and the like, to look up in the page's language.
    interval_label: &'static str,
    channels: Vec<ChannelLine>,
    total: ChannelLine,
    funnel_heads: Vec<&'static str>,
    funnels: Vec<FunnelLine>,
    suspicious: Vec<SuspectLine>,
    has_targets: bool,
    /// The cities with the most scans, and the device classes.
    places: Vec<SliceLine>,
    devices: Vec<SliceLine>,
    cohort_interval: &'static str,
    cohort_heading: &'static str,
    cohort_note: &'static str,
    cohort_periods: Vec<usize>,
    cohorts: Vec<CohortLine>,
    /// The last weeks' labels (their Mondays), and each stage's visitors at their ends.
    stage_weeks: Vec<String>,
    stages: Vec<StageLine>,
    /// The campaign's latest experiment, if it has had one.
    experiment: Option<ExperimentTable>,
}

/// An experiment's variants side by side.
struct ExperimentTable {
    name: String,
    /// `running` or `stopped`, to look up in the page's language.
    state: &'static str,
    variants: Vec<VariantLine>,
}

struct VariantLine {
    name: String,
    /// `control` and `winner`, to look up in the page's language.
    marks: Vec<&'static str>,
    scans: String,
    people: String,
    views: String,
    clicks: String,
    conversions: String,
    revenue: String,
    /// Conversions per person shown the variant.
    rate: String,
}

fn variant_lines(rows: &[VariantRow], currency: &str) -> Vec<VariantLine> {
    rows.iter()
        .map(|r| VariantLine {
            name: r.variant.clone(),
            marks: [(r.control, "control"), (r.winner, "winner")]
                .into_iter()
                .filter_map(|(is, mark)| is.then_some(mark))
                .collect(),
            scans: count(r.scans as f64),
            people: count(r.unique_visitors as f64),
            views: count(r.landing_views as f64),
            clicks: count(r.cta_clicks as f64),
            conversions: count(r.conversions),
            revenue: money(r.revenue_cents, currency),
            rate: r.conversion_rate.map(percent).unwrap_or_default(),
        })
        .collect()
}

/// A stage as the page shows it: visitors at it at the end of each week, and how many
/// reached it this week.
struct StageLine {
    name: &'static str,
    counts: Vec<String>,
    entered: String,
}

/// Weeks of stages the page shows.
const STAGE_WEEKS: i64 = 6;

/// A place or a device class as the page shows it.
struct SliceLine {
    name: String,
    scans: String,
    /// Distinct people; "–" where the filter hides them.
    unique: String,
    share: f64,
    conversions: String,
    revenue: String,
}

/// The cities (or devices) with the most scans: what fits a screen.
const MAX_SLICES: usize = 10;

fn slice_lines(
    report: &Report<SliceRow>,
    currency: &str,
    name: impl Fn(&SliceRow) -> String,
) -> Vec<SliceLine> {
    let total = report.total.scans.max(1) as f64;
    let mut rows: Vec<&SliceRow> = report
        .rows
        .iter()
        .filter(|r| r.scans > 0 || r.conversions > 0.0)
        .collect();
    rows.sort_by(|a, b| {
        b.scans
            .cmp(&a.scans)
            .then(b.revenue_cents.cmp(&a.revenue_cents))
    });
    rows.into_iter()
        .take(MAX_SLICES)
        .map(|r| SliceLine {
            name: name(r),
            scans: count(r.scans as f64),
            unique: r
                .unique_visitors
                .map_or_else(|| "–".to_owned(), |n| count(n as f64)),
            share: (100.0 * r.scans as f64 / total).clamp(0.0, 100.0),
            conversions: count(r.conversions),
            revenue: money(r.revenue_cents, currency),
        })
        .collect()
}

/// A cohort as the page shows it: each period's share of buyers, and how dark its cell is.
struct CohortLine {
    label: String,
    people: String,
    cells: Vec<(String, f64)>,
}

struct Card {
    label: &'static str,
    value: String,
    /// `target 10,000 · due 4,200`, `at most 30.00 CNY`.
    target: Option<String>,
    behind: bool,
}

struct ChannelLine {
    name: String,
    kind: String,
    scans: String,
    /// The channel's share of the campaign's scans, 0 to 100, for the bar behind it.
    share: f64,
    unique: String,
    conversions: String,
    rate: String,
    revenue: String,
    spend: String,
    cpa: String,
    roas: String,
    /// Missing the campaign's CPA or ROAS target.
    cpa_behind: bool,
    roas_behind: bool,
}

struct FunnelLine {
    name: String,
    cells: Vec<(String, String)>,
}

struct SuspectLine {
    token: String,
    reasons: String,
    scans: String,
    cities: String,
    places: String,
    first: String,
}

const STEP_LABELS: [&str; 6] = [
    "Scans",
    "Unique scanners",
    "Landing views",
    "CTA clicks",
    "Conversions",
    "Repeat purchasers",
];

pub async fn campaign(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let campaign = state.db.campaign(id).await.map_err(missing("campaign"))?;
    let filters = Filters::parse(raw.as_deref());
    let mut query = filters.report_query(id);
    // The page opens on the campaign's whole run (from the day it started), not the API's
    // two years.
    if query.from.is_none() {
        let start = campaign
            .starts_at
            .unwrap_or(campaign.created_at)
            .min(campaign.created_at)
            .max(now_ms() - 730 * MS_PER_DAY);
        query.from = Some(to_rfc3339(start - start.rem_euclid(MS_PER_DAY)));
    }
    let chosen =
        |value: &str, fallback: &str| if value.is_empty() { fallback } else { value }.to_owned();
    let model = chosen(&filters.model, campaign.attribution_model.as_str());
    let interval = chosen(&filters.interval, Interval::default().as_str());
    let mut page = CampaignPage {
        nav: Nav::new(&viewer, "/reports"),
        id,
        name: campaign.name.clone(),
        models: Model::ALL
            .iter()
            .map(|m| (m.as_str(), m.as_str() == model))
            .collect(),
        intervals: Interval::ALL
            .iter()
            .map(|i| (i.as_str(), i.as_str() == interval))
            .collect(),
        csv: [
            "channels",
            "batches",
            "stores",
            "devices",
            "regions",
            "time",
            "funnel",
            "cohorts",
            "suspicious-codes",
        ]
        .into_iter()
        .map(|name| {
            (
                name,
                format!(
                    "/reports/campaigns/{id}/{name}.csv{}",
                    filters.query_string()
                ),
            )
        })
        .collect(),
        filters,
        error: None,
        body: None,
    };
    let words = Words {
        language: page.nav.language,
    };
    match body(&state, &query, &words).await {
        Ok(body) => {
            if body.experiment.is_some() {
                let href = format!(
                    "/reports/campaigns/{id}/variants.csv{}",
                    page.filters.query_string()
                );
                page.csv.push(("variants", href));
            }
            page.body = Some(body);
            render(StatusCode::OK, &page)
        }
        Err(AppError::BadRequest(message)) => {
            page.error = Some(message);
            render(StatusCode::BAD_REQUEST, &page)
        }
        Err(err) => Err(err.into()),
    }
}

async fn body(state: &AppState, query: &ReportQuery, t: &Words) -> Result<Body, AppError> {
    // Every report on the page shares one crediting of the range's conversions.
    let interval = query.interval()?;
    // The brand's page: its viewers (admins and analysts) see every store.
    let prepared = prepare(state, query, &Scope::All, Detail::Places).await?;
    let channels = channel_report(state, &prepared).await?;
    let time = time_report(state, &prepared, interval).await?;
    let funnel = funnel_report(state, &prepared).await?;
    let places = region_report(state, &prepared, 3).await?;
    let devices = device_report(state, &prepared).await?;
    let experiment = match experiment_of(state, &prepared, None).await? {
        Some(experiment) => {
            let rows = variant_rows(state, &prepared, &experiment).await?;
            Some(ExperimentTable {
                state: experiment.state(),
                variants: variant_lines(&rows, &prepared.campaign.currency),
                name: experiment.name,
            })
        }
        None => None,
    };
    // Cohorts by the page's buckets, by the week when those are hours.
    let cohorts = cohort_report(state, &cohort_query(query)).await?;
    let suspicion = Suspicion {
        cities: DEFAULT_CITIES,
        per_hour: DEFAULT_PER_HOUR,
        limit: 10,
    };
    let suspicious: Vec<SuspiciousView> = state
        .db
        .suspicious_codes(query.campaign_id, suspicion)
        .await?
        .into_iter()
        .map(|(code, places)| SuspiciousView::new(code, places, suspicion))
        .collect();
    let currency = channels.currency.clone();
    let zone = UtcOffset::parse(&channels.tz).unwrap_or_default();
    let local = |ms: i64| Interval::Hour.label(zone, ms).replace('T', " ");
    let stages = stage_report(
        state,
        query.campaign_id,
        query.channel_id,
        STAGE_WEEKS,
        zone,
    )
    .await?;
    let range = t
        .tr("{from} to {to} (times in UTC{zone})")
        .replace("{from}", &local(prepared_ms(&channels.from)))
        .replace("{to}", &local(prepared_ms(&channels.to)))
        .replace(
            "{zone}",
            &if zone == UtcOffset::default() {
                String::new()
            } else {
                zone.to_string()
            },
        );
    let a = &channels.attribution;
    let model = Model::ALL
        .iter()
        .find(|m| m.as_str() == a.model)
        .map_or(a.model.to_string(), |m| t.tr(m.as_str()).to_owned());
    let attribution = t
        .tr("{model} within {window} (half-life {half_life})")
        .replace("{model}", &model)
        .replace("{window}", &a.window)
        .replace("{half_life}", &a.half_life);
    let has_targets = funnel
        .steps
        .iter()
        .any(|s| s.target.is_some() || s.target_rate.is_some())
        || funnel.money.target_cpa_cents.is_some()
        || funnel.money.target_roas.is_some()
        || funnel.money.target_revenue_cents.is_some();
    let flow_svg = charts::flow(
        &channels
            .rows
            .iter()
            .filter(|r| r.scans > 0)
            .map(|r| Source {
                name: r.channel.clone(),
                scans: r.scans,
            })
            .collect::<Vec<_>>(),
        &funnel
            .steps
            .iter()
            .zip(STEP_LABELS)
            .map(|(s, label)| Stage {
                label: t.tr(label),
                count: s.count,
                rate: s.rate,
                target_rate: s.target_rate,
                target: s.target,
                behind: s.behind == Some(true),
            })
            .collect::<Vec<_>>(),
        t,
    );
    let points: Vec<Point> = time
        .rows
        .iter()
        .map(|r| Point {
            label: r.label.clone(),
            scans: r.scans,
            conversions: r.conversions,
        })
        .collect();
    Ok(Body {
        range,
        attribution,
        cards: cards(&funnel, &currency, t),
        flow_svg,
        time_svg: charts::over_time(&points, t),
        interval_label: match interval {
            Interval::Hour => "by hour",
            Interval::Day => "by day",
            Interval::Week => "by week",
            Interval::Month => "by month",
        },
        total: total_line(&channels, &currency, t),
        channels: channel_lines(&channels, &currency),
        funnel_heads: STEP_LABELS.to_vec(),
        funnels: funnel_lines(&funnel, t),
        suspicious: suspicious.into_iter().map(|s| suspect(s, t)).collect(),
        has_targets,
        places: slice_lines(&places, &currency, |r| {
            let known = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
            match (known(&r.city), known(&r.country)) {
                (Some(city), Some(country)) => format!("{city}, {country}"),
                (None, Some(country)) => country,
                _ => t.tr("Unknown").into(),
            }
        }),
        devices: slice_lines(&devices, &currency, |r| {
            r.device
                .clone()
                .filter(|d| !d.is_empty())
                .map_or_else(|| t.tr("Unknown").into(), |d| t.tr_value(&d))
        }),
        cohort_interval: cohorts.interval,
        cohort_heading: match cohorts.interval {
            "day" => "by the day people first scanned",
            "month" => "by the month people first scanned",
            _ => "by the week people first scanned",
        },
        cohort_note: match cohorts.interval {
            "day" => COHORT_NOTE_DAY,
            "month" => COHORT_NOTE_MONTH,
            _ => COHORT_NOTE_WEEK,
        },
        cohort_periods: (0..cohorts
            .cohorts
            .iter()
            .map(|c| c.buyers.len())
            .max()
            .unwrap_or(0)
            .min(MAX_PERIODS))
            .collect(),
        cohorts: cohort_lines(&cohorts),
        experiment,
        stage_weeks: stages.weeks.iter().map(|w| w.label.clone()).collect(),
        stages: stage_lines(&stages),
    })
}

fn stage_lines(report: &StageReport) -> Vec<StageLine> {
    let this_week = report.weeks.last();
    FunnelStage::ALL
        .into_iter()
        .map(|stage| StageLine {
            name: match stage {
                FunnelStage::Aware => "Aware",
                FunnelStage::Interested => "Interested",
                FunnelStage::Considering => "Considering",
                FunnelStage::Intending => "Intending",
                FunnelStage::Customer => "Customer",
                FunnelStage::Loyal => "Loyal",
            },
            counts: report
                .weeks
                .iter()
                .map(|w| count(w.stages.get(stage) as f64))
                .collect(),
            entered: count(this_week.map_or(0, |w| w.entered.get(stage)) as f64),
        })
        .collect()
}

fn cards(funnel: &FunnelReport, currency: &str, t: &Words) -> Vec<Card> {
    let mut cards: Vec<Card> = funnel
        .steps
        .iter()
        .zip(STEP_LABELS)
        .map(|(step, label)| step_card(step, t.tr(label), t))
        .collect();
    let m = &funnel.money;
    let behind = |name: &str| m.behind.contains(&name);
    cards.push(Card {
        label: t.tr("Revenue"),
        value: money(m.revenue_cents, currency),
        target: m
            .target_revenue_cents
            .map(|c| t.tr("target {}").replace("{}", &money(c, currency))),
        behind: behind("revenue_cents"),
    });
    cards.push(Card {
        label: t.tr("Spend"),
        value: money(m.spend_cents, currency),
        target: None,
        behind: false,
    });
    cards.push(Card {
        label: t.tr("Cost per conversion"),
        value: m.cpa_cents.map_or("–".into(), |c| money(c, currency)),
        target: m
            .target_cpa_cents
            .map(|c| t.tr("at most {}").replace("{}", &money(c, currency))),
        behind: behind("cpa_cents"),
    });
    cards.push(Card {
        label: t.tr("Return on spend"),
        value: m.roas.map_or("–".into(), |r| format!("{r:.2}×")),
        target: m
            .target_roas
            .map(|r| t.tr("at least {}").replace("{}", &format!("{r:.2}×"))),
        behind: behind("roas"),
    });
    cards
}

fn step_card(step: &FunnelStep, label: &'static str, t: &Words) -> Card {
    let mut target = Vec::new();
    if let Some(goal) = step.target {
        target.push(t.tr("target {}").replace("{}", &count(goal as f64)));
    }
    // Before the end of a run only part of a target is due by now.
    let partly_due = step
        .due
        .filter(|&due| step.target.is_some_and(|t| due.round() < t as f64));
    if let Some(due) = partly_due {
        target.push(t.tr("due by now {}").replace("{}", &count(due.round())));
    }
    if let Some(rate) = step.target_rate {
        let now = step.rate.map_or("–".to_owned(), percent);
        target.push(
            t.tr("{now} in, target {target}")
                .replace("{now}", &now)
                .replace("{target}", &percent(rate)),
        );
    }
    Card {
        label,
        value: count(step.count),
        target: (!target.is_empty()).then(|| target.join(" · ")),
        behind: step.behind == Some(true),
    }
}

fn channel_lines(report: &Report<ChannelRow>, currency: &str) -> Vec<ChannelLine> {
    let total = report.total.scans.max(1) as f64;
    report
        .rows
        .iter()
        .map(|r| ChannelLine {
            name: r.channel.clone(),
            kind: r.kind.clone(),
            scans: count(r.scans as f64),
            share: (100.0 * r.scans as f64 / total).clamp(0.0, 100.0),
            unique: r
                .unique_visitors
                .map_or_else(|| "–".to_owned(), |n| count(n as f64)),
            conversions: count(r.conversions),
            rate: r.conversion_rate.map_or("–".into(), percent),
            revenue: money(r.revenue_cents, currency),
            spend: money(r.spend_cents, currency),
            cpa: r.cpa_cents.map_or("–".into(), |c| money(c, currency)),
            roas: r.roas.map_or("–".into(), |r| format!("{r:.2}×")),
            cpa_behind: r.cpa_behind == Some(true),
            roas_behind: r.roas_behind == Some(true),
        })
        .collect()
}

fn total_line(report: &Report<ChannelRow>, currency: &str, words: &Words) -> ChannelLine {
    let t = &report.total;
    let unique = t.unique_visitors.unwrap_or(0);
    ChannelLine {
        name: words.tr("All channels").into(),
        kind: String::new(),
        scans: count(t.scans as f64),
        share: 100.0,
        unique: count(unique as f64),
        conversions: count(t.conversions),
        rate: if unique > 0 {
            percent(t.conversions / unique as f64)
        } else {
            "–".into()
        },
        revenue: money(t.revenue_cents, currency),
        spend: money(t.spend_cents, currency),
        cpa: t.cpa_cents.map_or("–".into(), |c| money(c, currency)),
        roas: t.roas.map_or("–".into(), |r| format!("{r:.2}×")),
        cpa_behind: false,
        roas_behind: false,
    }
}

fn funnel_lines(funnel: &FunnelReport, t: &Words) -> Vec<FunnelLine> {
    let line = |name: String, steps: &[FunnelStep]| FunnelLine {
        name,
        cells: steps
            .iter()
            .map(|s| (count(s.count), s.rate.map(percent).unwrap_or_default()))
            .collect(),
    };
    std::iter::once(line(t.tr("Campaign").into(), &funnel.steps))
        .chain(
            funnel
                .channels
                .iter()
                .map(|c| line(c.channel.clone(), &c.steps)),
        )
        .collect()
}

/// Cohorts by the page's buckets, by the week when those are hours (or not chosen).
pub fn cohort_query(query: &ReportQuery) -> ReportQuery {
    let mut by_period = query.clone();
    if by_period.interval.as_deref().is_none_or(|i| i == "hour") {
        by_period.interval = Some("week".into());
    }
    by_period
}

/// The most recent cohorts and their first periods: what fits a screen.
const MAX_COHORTS: usize = 12;
const MAX_PERIODS: usize = 12;

fn cohort_lines(report: &CohortReport) -> Vec<CohortLine> {
    let skip = report.cohorts.len().saturating_sub(MAX_COHORTS);
    report
        .cohorts
        .iter()
        .skip(skip)
        .map(|c| CohortLine {
            label: c.label.clone(),
            people: count(c.visitors as f64),
            cells: c
                .shares
                .iter()
                .take(MAX_PERIODS)
                .map(|share| match share {
                    // Light enough that the dark text stays readable.
                    Some(share) => (percent(*share), (share * 3.0).clamp(0.04, 0.55)),
                    None => ("–".into(), 0.0),
                })
                .collect(),
        })
        .collect()
}

fn suspect(view: SuspiciousView, t: &Words) -> SuspectLine {
    let reasons: Vec<&str> = view
        .reasons
        .iter()
        .map(|r| match *r {
            "cities" => t.tr("many cities"),
            "per_hour" => t.tr("burst of scans"),
            "after_purchase" => t.tr("scanned after purchase"),
            other => other,
        })
        .collect();
    SuspectLine {
        token: view.token,
        reasons: reasons.join(", "),
        scans: count(view.scans as f64),
        cities: count(view.cities as f64),
        places: view.places.join(", "),
        first: view
            .first_scan_at
            .map(|at| at.get(..10).unwrap_or(&at).to_owned())
            .unwrap_or_default(),
    }
}

const COHORT_NOTE_DAY: &str = "The share of each group who bought on that day (0 is the one they first scanned on), counting purchases by people the campaign's scans led to.";
const COHORT_NOTE_WEEK: &str = "The share of each group who bought in that week (0 is the one they first scanned in), counting purchases by people the campaign's scans led to.";
const COHORT_NOTE_MONTH: &str = "The share of each group who bought in that month (0 is the one they first scanned in), counting purchases by people the campaign's scans led to.";

/// A report's echoed RFC 3339 time as epoch milliseconds.
fn prepared_ms(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).map_or(0, |t| t.timestamp_millis())
}
