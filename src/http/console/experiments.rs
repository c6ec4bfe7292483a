//! A/B experiments in the console: an experiment's report as a page (each variant's
//! funnel, rate and chance to beat the control, the test's verdict, the log) and the form
//! that stops one, sending everyone to a variant or back to the campaign, both through the
//! API's handlers.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Change, Nav, words};
use crate::db::Experiment;
use crate::domain::time::to_rfc3339;
use crate::experiments::Report;
use crate::http::AppState;
use crate::http::api::experiments as api;
use crate::http::error::missing;
use crate::http::extract::Path;
use crate::http::pages::PageError;
use crate::http::report_page::numbers::{count, money, percent};
use crate::http::report_page::{Viewer, render};

#[derive(Template)]
#[template(path = "console_experiment.html")]
struct ExperimentPage {
    nav: Nav,
    note: Option<&'static str>,
    e: Experiment,
    /// `running` or `stopped`.
    status: &'static str,
    campaign: String,
    started: String,
    ends: String,
    /// `winner`, `undecided` or `collecting`, as the pill's class.
    verdict: &'static str,
    summary: String,
    min_sample: String,
    variants: Vec<VariantRow>,
    log: Vec<(String, &'static str)>,
    /// Why it stopped, and where its traffic went, when it has.
    outcome: Option<String>,
}

struct VariantRow {
    id: i64,
    name: String,
    control: bool,
    winner: bool,
    weight: String,
    scans: String,
    visitors: String,
    views: String,
    clicks: String,
    buyers: String,
    revenue: String,
    rate: String,
    interval: String,
    chance: String,
}

impl VariantRow {
    fn new(v: &crate::experiments::VariantReport, report: &Report) -> Self {
        Self {
            id: v.id,
            name: v.name.clone(),
            control: v.control,
            winner: report.verdict.winner_variant_id == Some(v.id),
            weight: format!("{}%", v.weight),
            scans: count(v.scans as f64),
            visitors: count(v.unique_scanners as f64),
            views: count(v.landing_views as f64),
            clicks: count(v.cta_clicks as f64),
            buyers: count(v.buyers as f64),
            revenue: money(v.revenue_cents, &report.currency),
            rate: percent(v.conversion_rate),
            interval: format!(
                "{}–{}",
                percent(v.conversion_rate_low),
                percent(v.conversion_rate_high)
            ),
            chance: v.chance_to_beat_control.map(percent).unwrap_or_default(),
        }
    }
}

/// The verdict in a sentence of the page's language.
fn summary(report: &Report, viewer: &Viewer) -> String {
    let t = |english: &'static str| words::tr(viewer.language, english);
    let winner = report
        .variants
        .iter()
        .find(|v| Some(v.id) == report.verdict.winner_variant_id);
    match (report.verdict.state, winner) {
        ("winner", Some(v)) if v.control => {
            t("The control, {}, converts better than every other variant, beyond chance.")
                .replace("{}", &v.name)
        }
        ("winner", Some(v)) => {
            t("{} converts better than the control, beyond chance.").replace("{}", &v.name)
        }
        ("collecting", _) => {
            t("Collecting: the test may declare a winner once every variant has {} visitors.")
                .replace("{}", &count(report.min_sample as f64))
        }
        _ => t("No variant differs from the control with enough certainty yet.").to_owned(),
    }
}

/// The log's events as a person reads them.
fn event_name(event: &str) -> &'static str {
    match event {
        "started" => "Started",
        "changed" => "Stop rules changed",
        "winner_found" => "The test found a winner",
        "stopped" => "Stopped",
        _ => "Changed",
    }
}

fn stop_reason(reason: Option<&str>) -> &'static str {
    match reason {
        Some("ended") => "It reached its end date",
        Some("auto_stop") => "It stopped itself when the test found a winner",
        _ => "Stopped by hand",
    }
}

pub(super) async fn show(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    axum::extract::Query(query): axum::extract::Query<ShowQuery>,
) -> Result<Response, PageError> {
    let (e, report) = crate::experiments::settle(&state.db, &state.codes, id)
        .await
        .map_err(missing("experiment"))?;
    let campaign = state
        .db
        .campaign(e.campaign_id)
        .await
        .map_err(missing("campaign"))?;
    let log = state.db.experiment_log(id).await?;
    let t = |english: &'static str| words::tr(viewer.language, english);
    let day = |ms: i64| to_rfc3339(ms)[..16].replace('T', " ");
    let outcome = e.stopped_at.map(|_| {
        let to = e
            .winner_id
            .and_then(|w| e.variants.iter().find(|v| v.id == w))
            .map_or_else(
                || t("Everyone goes to the campaign's own page again.").to_owned(),
                |v| t("Everyone now gets {}.").replace("{}", &v.name),
            );
        format!("{}. {to}", t(stop_reason(e.stop_reason.as_deref())))
    });
    let page = ExperimentPage {
        nav: Nav::new(&viewer, "/console/campaigns"),
        note: (query.saved.as_deref() == Some("stopped")).then(|| t("Experiment stopped.")),
        campaign: campaign.name,
        status: e.state(),
        started: day(e.started_at),
        ends: e.ends_at.map(day).unwrap_or_default(),
        verdict: report.verdict.state,
        summary: summary(&report, &viewer),
        min_sample: count(report.min_sample as f64),
        variants: report
            .variants
            .iter()
            .map(|v| VariantRow::new(v, &report))
            .collect(),
        log: log
            .iter()
            .map(|entry| (day(entry.at), event_name(&entry.event)))
            .collect(),
        outcome,
        e,
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(super) struct ShowQuery {
    saved: Option<String>,
}

/// The stop form: the variant that takes everyone, or empty for the campaign's own page.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct StopForm {
    winner: String,
}

/// Stops an experiment through the API and shows it again.
pub(super) async fn stop(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Change { viewer, form }: Change<StopForm>,
) -> Result<Response, PageError> {
    let body = match form.winner.trim().parse::<i64>() {
        Ok(winner) => format!(r#"{{"winner_variant_id": {winner}}}"#),
        Err(_) => String::new(),
    };
    api::stop(State(state), viewer.caller, Path(id), Bytes::from(body)).await?;
    Ok(Redirect::to(&format!("/console/experiments/{id}?saved=stopped")).into_response())
}
