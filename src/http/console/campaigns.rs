//! Campaign pages: the list (searched by name, newest first), a new campaign, one
//! campaign with its batches, its settings, and switching it on and off.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{EditPage, Errors, Field, FormView, Kind, optional};
use super::{Change, Nav, form_status, restore, words};
use crate::db::{Batch, Campaign, Experiment, Offer, Page, Scope, Search, now_ms};
use crate::domain::time::to_rfc3339;
use crate::domain::{Language, Phase, Status};
use crate::http::AppState;
use crate::http::api::campaigns::{CampaignChange, CreateCampaign};
use crate::http::error::{AppError, missing};
use crate::http::extract::{Path, Query};
use crate::http::pages::PageError;
use crate::http::report_page::numbers::count;
use crate::http::report_page::{Viewer, render};

const PER_PAGE: i64 = 25;
const DAY_MS: i64 = 86_400_000;

#[derive(Template)]
#[template(path = "console_campaigns.html")]
struct ListPage {
    nav: Nav,
    search: String,
    rows: Vec<CampaignRow>,
    /// The next (older) page's link, when there is one.
    older: Option<String>,
}

pub(super) struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub state: &'static str,
    pub dates: String,
    pub scans_7d: String,
}

impl CampaignRow {
    pub fn new(c: &Campaign, scans_7d: i64, now: i64, language: Language) -> Self {
        Self {
            id: c.id,
            name: c.name.clone(),
            slug: c.slug.clone(),
            state: phase_name(c.schedule().phase(now)),
            dates: dates(c, language),
            scans_7d: count(scans_7d as f64),
        }
    }
}

pub(super) fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Running => "running",
        Phase::NotStarted(_) => "scheduled",
        Phase::Ended => "ended",
        Phase::Paused => "disabled",
    }
}

fn day(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn dates(c: &Campaign, language: Language) -> String {
    let t = |english| words::tr(language, english);
    match (c.starts_at, c.ends_at) {
        (None, None) => t("always").into(),
        (Some(s), None) => t("from {}").replace("{}", &day(s)),
        (None, Some(e)) => t("until {}").replace("{}", &day(e)),
        (Some(s), Some(e)) => format!("{} – {}", day(s), day(e)),
    }
}

/// A time as its form field shows it: a date when it is a UTC midnight, else RFC 3339.
fn time_field(ms: Option<i64>) -> String {
    match ms {
        None => String::new(),
        Some(ms) if ms % DAY_MS == 0 => day(ms),
        Some(ms) => crate::domain::time::to_rfc3339(ms),
    }
}

#[derive(Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    q: String,
    before: Option<i64>,
}

pub(super) async fn list(
    viewer: Viewer,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let found = state
        .db
        .search_campaigns(Search {
            text: &query.q,
            before: query.before.unwrap_or(0),
            limit: PER_PAGE + 1,
        })
        .await?;
    let older = (found.len() as i64 > PER_PAGE).then(|| {
        let last = found[PER_PAGE as usize - 1].id;
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &query.q)
            .append_pair("before", &last.to_string())
            .finish();
        format!("/console/campaigns?{query}")
    });
    let now = now_ms();
    let scans = scans_by_campaign(&state, now).await?;
    let rows = found
        .iter()
        .take(PER_PAGE as usize)
        .map(|c| CampaignRow::new(c, scans(c.id), now, viewer.language))
        .collect();
    let page = ListPage {
        nav: Nav::new(&viewer, "/console/campaigns"),
        search: query.q,
        rows,
        older,
    };
    render(StatusCode::OK, &page)
}

/// Scans per campaign over the last 7 days.
pub(super) async fn scans_by_campaign(
    state: &AppState,
    now: i64,
) -> Result<impl Fn(i64) -> i64, PageError> {
    let counts = state.db.scans_by_campaign_since(now - 7 * DAY_MS).await?;
    Ok(move |id| {
        counts
            .iter()
            .find(|(campaign, _)| *campaign == id)
            .map_or(0, |(_, n)| *n)
    })
}

/// A new campaign's fields, as the form sends them.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NewForm {
    name: String,
    slug: String,
    destination_url: String,
    fallback_url: String,
    starts_at: String,
    ends_at: String,
    currency: String,
    tracking: String,
}

const NEW_FIELDS: [&str; 8] = [
    "name",
    "slug",
    "destination_url",
    "fallback_url",
    "starts_at",
    "ends_at",
    "currency",
    "tracking",
];

/// The tracking choice, as both campaign forms offer it.
fn tracking_field(t: impl Fn(&'static str) -> &'static str, value: &str) -> Field {
    let choices = vec![
        ("full".to_owned(), t("Full").to_owned()),
        ("none".to_owned(), t("None: count scans only").to_owned()),
    ];
    Field::new("tracking", t("Tracking"), Kind::Select(choices), value).hint(t(
        "None keeps no cookie, place, device or visitor, only each code's scans per hour, and its landing page shows only its information links.",
    ))
}

fn new_page(viewer: &Viewer, form: &NewForm, errors: &Errors) -> EditPage {
    let t = |english: &'static str| super::words::tr(viewer.language, english);
    let fields = vec![
        Field::new("name", t("Name"), Kind::Text, &form.name).required(),
        Field::new("slug", t("Short name in links"), Kind::Text, &form.slug)
            .max(64)
            .hint(t("a-z, 0-9 and hyphens; made from the name when left empty. It cannot change later: it is printed in every link.")),
        Field::new("destination_url", t("Where scans go"), Kind::Url, &form.destination_url)
            .max(2048)
            .hint(t("A shop or product page (http or https). Leave empty to send people to the campaign's own landing page.")),
        Field::new("fallback_url", t("When the campaign is off"), Kind::Url, &form.fallback_url)
            .max(2048)
            .hint(t("Where scans go before it starts, after it ends or while it is disabled.")),
        Field::new("starts_at", t("Starts"), Kind::Date, &form.starts_at).max(40),
        Field::new("ends_at", t("Ends"), Kind::Date, &form.ends_at).max(40),
        Field::new("currency", t("Currency"), Kind::Text, &form.currency)
            .max(3)
            .hint(t("ISO 4217, such as CNY, USD or EUR; purchases and reports use it. It cannot change later.")),
        tracking_field(t, &form.tracking),
    ];
    EditPage {
        nav: Nav::new(viewer, "/console/campaigns"),
        title: t("New campaign").into(),
        back: "/console/campaigns".into(),
        intro: t(
            "A campaign is what your codes promote: where scans go and when. Add its landing page and batches of codes next.",
        ),
        form: FormView::new(
            "/console/campaigns/new".into(),
            t("Create campaign"),
            fields,
            errors,
        ),
        switch: None,
    }
}

pub(super) async fn new_form(
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (restored, note) = restore::<NewForm>(raw.as_deref(), viewer.language);
    let form = restored.unwrap_or_else(|| NewForm {
        currency: "CNY".into(),
        tracking: "full".into(),
        ..NewForm::default()
    });
    let mut page = new_page(&viewer, &form, &Errors::default());
    page.form.note = note;
    render(StatusCode::OK, &page)
}

pub(super) async fn create(
    State(state): State<AppState>,
    Change { viewer, form }: Change<NewForm>,
) -> Result<Response, PageError> {
    let body = CreateCampaign {
        name: form.name.clone(),
        slug: optional(&form.slug),
        destination_url: optional(&form.destination_url),
        fallback_url: optional(&form.fallback_url),
        starts_at: optional(&form.starts_at),
        ends_at: optional(&form.ends_at),
        landing: None,
        currency: optional(&form.currency),
        attribution: None,
        tracking: optional(&form.tracking),
    };
    let mut errors = Errors::default();
    let created = match body.validate() {
        Ok(new) => state.db.create_campaign(new).await.map_err(AppError::from),
        Err(err) => Err(err),
    };
    match created {
        Ok(campaign) => {
            tracing::info!(
                user = viewer.caller.user_id,
                campaign = campaign.id,
                "campaign created"
            );
            Ok(
                Redirect::to(&format!("/console/campaigns/{}?saved=created", campaign.id))
                    .into_response(),
            )
        }
        Err(err) => {
            errors.place(err, &NEW_FIELDS)?;
            render(form_status(false), &new_page(&viewer, &form, &errors))
        }
    }
}

#[derive(Template)]
#[template(path = "console_campaign.html")]
struct ShowPage {
    nav: Nav,
    note: Option<&'static str>,
    c: Campaign,
    state: &'static str,
    dates: String,
    landing_url: String,
    scans_7d: String,
    batches: Vec<BatchRow>,
    offers: Vec<OfferRow>,
    experiments: Vec<ExperimentRow>,
}

/// An experiment as the campaign page lists it.
struct ExperimentRow {
    id: i64,
    name: String,
    status: &'static str,
    started: String,
    variants: String,
}

impl ExperimentRow {
    fn new(e: &Experiment) -> Self {
        Self {
            id: e.id,
            name: e.name.clone(),
            status: e.state(),
            started: to_rfc3339(e.started_at)[..10].to_owned(),
            variants: e
                .variants
                .iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>()
                .join(" · "),
        }
    }
}

/// A limited offer as the campaign page lists it.
struct OfferRow {
    id: i64,
    /// Standing (used up or not): it can be ended.
    standing: bool,
    /// "All batches", or the batch's name.
    scope: String,
    counts: &'static str,
    claimed: String,
    limit: String,
    remaining: String,
    status: &'static str,
    url: String,
}

impl OfferRow {
    fn new(o: &Offer, batches: &[Batch]) -> Self {
        let scope = match o.batch_id {
            Some(id) => batches
                .iter()
                .find(|b| b.id == id)
                .map_or_else(|| format!("#{id}"), |b| b.name.clone()),
            None => String::new(),
        };
        Self {
            id: o.id,
            standing: o.ended_at.is_none(),
            scope,
            counts: o.counts.as_str(),
            claimed: count(o.claimed as f64),
            limit: count(o.max_claims as f64),
            remaining: count(o.remaining() as f64),
            // The API's name, as a person reads it.
            status: match o.status() {
                "used_up" => "used up",
                status => status,
            },
            url: o.url.clone(),
        }
    }
}

pub(super) struct BatchRow {
    pub id: i64,
    pub name: String,
    pub mode: &'static str,
    pub codes: String,
    pub status: &'static str,
    pub percent: i64,
}

impl BatchRow {
    pub fn new(b: &Batch) -> Self {
        let total = b.codes_total().max(1);
        Self {
            id: b.id,
            name: b.name.clone(),
            mode: b.mode.as_str(),
            codes: count(b.codes_total() as f64),
            status: batch_status(b),
            percent: b.codes_generated * 100 / total,
        }
    }
}

pub(super) fn batch_status(b: &Batch) -> &'static str {
    use crate::domain::Generation;
    match (b.generation, b.status) {
        (Generation::Ready, Status::Disabled) => "disabled",
        (Generation::Ready, Status::Active) => "ready",
        (other, _) => other.as_str(),
    }
}

#[derive(Deserialize)]
pub(super) struct ShowQuery {
    saved: Option<String>,
}

pub(super) async fn show(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let c = state.db.campaign(id).await.map_err(missing("campaign"))?;
    let batches = state
        .db
        .batches(
            Some(id),
            Page {
                after: 0,
                limit: 500,
            },
            &Scope::All,
        )
        .await?;
    let offers = state.db.campaign_offers(id).await?;
    let experiments = state.db.campaign_experiments(id).await?;
    let now = now_ms();
    let scans = scans_by_campaign(&state, now).await?;
    let note = match query.saved.as_deref() {
        Some("created") => Some("Campaign created. Next: its landing page and a batch of codes."),
        Some("settings") => {
            Some("Settings saved. Codes already printed follow them within seconds.")
        }
        Some("landing") => Some("Landing page saved."),
        Some("hero") => Some("Picture saved."),
        Some("enabled") => Some("Campaign enabled: its codes go to its destination again."),
        Some("disabled") => Some("Campaign disabled: its codes go to its fallback."),
        Some("offer") => Some("Offer started: the first scanners get it from now on."),
        Some("offer-ended") => {
            Some("Offer ended: its codes go where the campaign sends them again.")
        }
        _ => None,
    }
    .map(|note| words::tr(viewer.language, note));
    let page = ShowPage {
        nav: Nav::new(&viewer, "/console/campaigns"),
        note,
        state: phase_name(c.schedule().phase(now)),
        dates: dates(&c, viewer.language),
        landing_url: format!("{}/c/{}", state.settings.public_url, c.slug),
        scans_7d: count(scans(c.id) as f64),
        offers: offers.iter().map(|o| OfferRow::new(o, &batches)).collect(),
        experiments: experiments.iter().map(ExperimentRow::new).collect(),
        batches: batches.iter().rev().map(BatchRow::new).collect(),
        c,
    };
    render(StatusCode::OK, &page)
}

/// A campaign's settings, as the form sends them.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SettingsForm {
    name: String,
    destination_url: String,
    fallback_url: String,
    starts_at: String,
    ends_at: String,
    tracking: String,
}

const SETTINGS_FIELDS: [&str; 6] = [
    "name",
    "destination_url",
    "fallback_url",
    "starts_at",
    "ends_at",
    "tracking",
];

fn settings_page(viewer: &Viewer, c: &Campaign, form: &SettingsForm, errors: &Errors) -> EditPage {
    let t = |english: &'static str| super::words::tr(viewer.language, english);
    let fields = vec![
        Field::new("name", t("Name"), Kind::Text, &form.name).required(),
        Field::new(
            "destination_url",
            t("Where scans go"),
            Kind::Url,
            &form.destination_url,
        )
        .max(2048)
        .hint(t(
            "Printed codes follow a change within seconds. Empty: the campaign's landing page.",
        )),
        Field::new(
            "fallback_url",
            t("When the campaign is off"),
            Kind::Url,
            &form.fallback_url,
        )
        .max(2048),
        Field::new("starts_at", t("Starts"), Kind::Date, &form.starts_at)
            .max(40)
            .hint(t(
                "A date (UTC), or a time such as 2026-05-01T08:00:00+08:00; empty: now.",
            )),
        Field::new("ends_at", t("Ends"), Kind::Date, &form.ends_at).max(40),
        tracking_field(t, &form.tracking),
    ];
    EditPage {
        nav: Nav::new(viewer, "/console/campaigns"),
        title: t("Settings of {}").replace("{}", &c.name),
        back: format!("/console/campaigns/{}", c.id),
        intro: t("Its link name and currency stay as they are: they are printed and recorded."),
        form: FormView::new(
            format!("/console/campaigns/{}/settings", c.id),
            t("Save settings"),
            fields,
            errors,
        ),
        switch: None,
    }
}

pub(super) async fn settings_form(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let c = state.db.campaign(id).await.map_err(missing("campaign"))?;
    let (restored, note) = restore::<SettingsForm>(raw.as_deref(), viewer.language);
    let form = restored.unwrap_or_else(|| SettingsForm {
        name: c.name.clone(),
        destination_url: c.destination_url.clone().unwrap_or_default(),
        fallback_url: c.fallback_url.clone().unwrap_or_default(),
        starts_at: time_field(c.starts_at),
        ends_at: time_field(c.ends_at),
        tracking: c.tracking.as_str().to_owned(),
    });
    let mut page = settings_page(&viewer, &c, &form, &Errors::default());
    page.form.note = note;
    render(StatusCode::OK, &page)
}

pub(super) async fn save_settings(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Change { viewer, form }: Change<SettingsForm>,
) -> Result<Response, PageError> {
    let c = state.db.campaign(id).await.map_err(missing("campaign"))?;
    let change = CampaignChange {
        name: Some(form.name.clone()),
        destination_url: Some(optional(&form.destination_url)),
        fallback_url: Some(optional(&form.fallback_url)),
        starts_at: Some(optional(&form.starts_at)),
        ends_at: Some(optional(&form.ends_at)),
        tracking: optional(&form.tracking),
        ..CampaignChange::default()
    };
    match change.apply(&state, &viewer.caller, id).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/console/campaigns/{id}?saved=settings")).into_response())
        }
        Err(err) => {
            let mut errors = Errors::default();
            errors.place(err, &SETTINGS_FIELDS)?;
            render(
                form_status(false),
                &settings_page(&viewer, &c, &form, &errors),
            )
        }
    }
}

#[derive(Deserialize)]
pub(super) struct StatusForm {
    status: String,
}

pub(super) async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Change { viewer, form }: Change<StatusForm>,
) -> Result<Response, PageError> {
    let change = CampaignChange {
        status: Some(form.status.clone()),
        ..CampaignChange::default()
    };
    change.apply(&state, &viewer.caller, id).await?;
    let saved = if form.status == "active" {
        "enabled"
    } else {
        "disabled"
    };
    Ok(Redirect::to(&format!("/console/campaigns/{id}?saved={saved}")).into_response())
}
