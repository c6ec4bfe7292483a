//! A/B landing experiments: `POST /api/v1/campaigns/{id}/experiments` starts one (2 to 4
//! variants, the first the control, weights adding up to 100), `GET /api/v1/experiments/{id}`
//! reads it with its log, `/report` judges it, `PATCH` changes its stop rules (never its
//! variants: 409), and `/stop` ends it, optionally sending everyone to a variant.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::landing::{colour_field, url_field};
use super::time::{parse_optional, to_rfc3339};
use super::{ErrorBody, multiline_text, optional_text, required_text};
use crate::db::{
    DbError, Experiment, ExperimentChange, LogEntry, NewExperiment, NewVariant, StopReason,
};
use crate::domain::TargetUrl;
use crate::domain::experiment::{
    MAX_VARIANTS, MIN_VARIANTS, MIN_WEIGHT, TOTAL_WEIGHT, VariantLanding,
};
use crate::experiments::{Report, report, settle};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path};

/// Visitors per variant before a winner may be declared, when the body names none.
const DEFAULT_MIN_SAMPLE: i64 = 1_000;
/// Fewer visitors than this make the test's normal approximation unsound.
const LEAST_MIN_SAMPLE: i64 = 20;
const MOST_MIN_SAMPLE: i64 = 100_000_000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateExperiment {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    name: String,
    /// 2 to 4 variants; the first is the control the others are compared with.
    #[schema(min_items = 2, max_items = 4)]
    variants: Vec<CreateVariant>,
    /// Visitors each variant needs before a winner may be declared (20 or more; 1,000 when
    /// absent).
    #[schema(minimum = 20, maximum = 100_000_000)]
    min_sample: Option<i64>,
    /// When the experiment stops by itself (RFC 3339, in the future).
    #[schema(format = DateTime)]
    ends_at: Option<String>,
    /// Stop as soon as the test declares a winner, and send everyone to it (default false).
    auto_stop: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVariant {
    #[schema(min_length = 1, max_length = 80, pattern = r"\S")]
    name: String,
    /// Its share of visitors, a whole percentage of at least 5; the variants' weights add
    /// up to 100.
    #[schema(minimum = 5, maximum = 95)]
    weight: i64,
    /// What its landing page says instead of the campaign's; fields left out stay the
    /// campaign's.
    landing: Option<VariantLandingBody>,
    /// Where its scans go (http or https); without one they go to the landing page, which
    /// shows `landing`.
    #[schema(max_length = 2048, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://")]
    destination_url: Option<String>,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct VariantLandingBody {
    #[schema(max_length = 200)]
    title: Option<String>,
    /// Formatted as the campaign's landing text is.
    #[schema(max_length = 10000)]
    body: Option<String>,
    #[schema(max_length = 80)]
    cta_label: Option<String>,
    #[schema(max_length = 2048, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://")]
    cta_url: Option<String>,
    #[schema(pattern = r"^#?[0-9A-Fa-f]{6}$")]
    brand_color: Option<String>,
}

impl VariantLandingBody {
    fn validate(self, at: &str) -> Result<VariantLanding> {
        let field = |name: &str| format!("{at}.{name}");
        Ok(VariantLanding {
            title: optional_text(&field("title"), self.title.as_deref(), 200)?,
            body: multiline_text(&field("body"), self.body.as_deref(), 10_000)?,
            cta_label: optional_text(&field("cta_label"), self.cta_label.as_deref(), 80)?,
            cta_url: url_field(&field("cta_url"), self.cta_url.as_deref())?
                .map(TargetUrl::into_string),
            brand_color: colour_field(&field("brand_color"), self.brand_color.as_deref())?,
        })
    }

    fn of(landing: &VariantLanding) -> Self {
        Self {
            title: landing.title.clone(),
            body: landing.body.clone(),
            cta_label: landing.cta_label.clone(),
            cta_url: landing.cta_url.clone(),
            brand_color: landing.brand_color.clone(),
        }
    }
}

/// Settings a running experiment may change. `variants` is refused with 409: a report
/// never mixes two designs, so start a new experiment instead.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeExperiment {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    name: Option<String>,
    #[schema(minimum = 20, maximum = 100_000_000)]
    min_sample: Option<i64>,
    /// A new end date, or `null` for none.
    #[serde(default, deserialize_with = "super::campaigns::present")]
    #[schema(value_type = Option<String>, nullable, format = DateTime)]
    ends_at: Option<Option<String>>,
    auto_stop: Option<bool>,
    /// Never allowed once the experiment started (409).
    #[schema(value_type = Option<Vec<Object>>)]
    variants: Option<serde_json::Value>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct StopExperiment {
    /// The variant that takes all traffic from now on; without one the campaign's own
    /// landing page and destination come back.
    winner_variant_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ExperimentView {
    id: i64,
    campaign_id: i64,
    name: String,
    /// `running` or `stopped`.
    status: String,
    min_sample: i64,
    ends_at: Option<String>,
    auto_stop: bool,
    started_at: String,
    created_by: i64,
    stopped_at: Option<String>,
    /// `manual`, `ended` or `auto_stop`.
    stop_reason: Option<String>,
    /// The variant that took all traffic when it stopped.
    winner_variant_id: Option<i64>,
    variants: Vec<VariantView>,
    /// What happened to it, oldest first, with the report's figures when it found a winner
    /// and when it stopped.
    log: Vec<LogView>,
}

#[derive(Serialize, ToSchema)]
pub struct VariantView {
    id: i64,
    name: String,
    control: bool,
    weight: i64,
    landing: Option<VariantLandingBody>,
    destination_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LogView {
    at: String,
    /// `started`, `changed`, `winner_found` or `stopped`.
    event: String,
    user_id: Option<i64>,
    /// The report at that moment.
    #[schema(value_type = Option<Object>)]
    figures: Option<serde_json::Value>,
}

impl ExperimentView {
    fn new(e: Experiment, log: Vec<LogEntry>) -> Self {
        Self {
            id: e.id,
            campaign_id: e.campaign_id,
            name: e.name,
            status: e.status,
            min_sample: e.min_sample,
            ends_at: e.ends_at.map(to_rfc3339),
            auto_stop: e.auto_stop.0,
            started_at: to_rfc3339(e.started_at),
            created_by: e.created_by,
            stopped_at: e.stopped_at.map(to_rfc3339),
            stop_reason: e.stop_reason,
            winner_variant_id: e.winner_id,
            variants: e
                .variants
                .into_iter()
                .enumerate()
                .map(|(i, v)| VariantView {
                    id: v.id,
                    name: v.name,
                    control: i == 0,
                    weight: v.weight,
                    landing: v.landing.as_ref().map(VariantLandingBody::of),
                    destination_url: v.destination_url,
                })
                .collect(),
            log: log
                .into_iter()
                .map(|entry| LogView {
                    at: to_rfc3339(entry.at),
                    event: entry.event,
                    user_id: entry.user_id,
                    figures: entry
                        .figures
                        .and_then(|json| serde_json::from_str(&json).ok()),
                })
                .collect(),
        }
    }
}

fn min_sample_field(value: i64) -> Result<i64> {
    if (LEAST_MIN_SAMPLE..=MOST_MIN_SAMPLE).contains(&value) {
        Ok(value)
    } else {
        Err(AppError::invalid(
            "min_sample",
            format!(
                "must be from {LEAST_MIN_SAMPLE} to {MOST_MIN_SAMPLE} visitors per variant, not {value}"
            ),
        ))
    }
}

fn ends_at_field(raw: Option<&str>) -> Result<Option<i64>> {
    let ends_at = parse_optional("ends_at", raw)?;
    if ends_at.is_some_and(|end| end <= crate::db::now_ms()) {
        return Err(AppError::invalid("ends_at", "must be in the future"));
    }
    Ok(ends_at)
}

impl CreateExperiment {
    fn validate(self, campaign_id: i64, by: i64) -> Result<NewExperiment> {
        let name = required_text("name", &self.name, 200)?;
        let count = self.variants.len();
        if !(MIN_VARIANTS..=MAX_VARIANTS).contains(&count) {
            return Err(AppError::invalid(
                "variants",
                format!("must be {MIN_VARIANTS} to {MAX_VARIANTS} variants, not {count}"),
            ));
        }
        let mut variants: Vec<NewVariant> = Vec::with_capacity(count);
        for (i, v) in self.variants.into_iter().enumerate() {
            let at = format!("variants[{i}]");
            let name = required_text(&format!("{at}.name"), &v.name, 80)?;
            if variants.iter().any(|earlier| earlier.name == name) {
                return Err(AppError::invalid(
                    &format!("{at}.name"),
                    format!("another variant is already named {name:?}"),
                ));
            }
            let lowest = i64::from(MIN_WEIGHT);
            if !(lowest..=i64::from(TOTAL_WEIGHT) - lowest).contains(&v.weight) {
                return Err(AppError::invalid(
                    &format!("{at}.weight"),
                    format!(
                        "must be a whole percentage from {lowest} to {}, not {}",
                        i64::from(TOTAL_WEIGHT) - lowest,
                        v.weight
                    ),
                ));
            }
            let landing = v
                .landing
                .map(|l| l.validate(&format!("{at}.landing")))
                .transpose()?
                .filter(|l| !l.is_empty());
            let destination_url = url_field(
                &format!("{at}.destination_url"),
                v.destination_url.as_deref(),
            )?
            .map(TargetUrl::into_string);
            if landing.is_none() && destination_url.is_none() {
                return Err(AppError::invalid(
                    &at,
                    "has no content: give it landing content, a destination_url, or both",
                ));
            }
            variants.push(NewVariant {
                name,
                weight: v.weight,
                landing,
                destination_url,
            });
        }
        let total: i64 = variants.iter().map(|v| v.weight).sum();
        if total != i64::from(TOTAL_WEIGHT) {
            return Err(AppError::invalid(
                "variants",
                format!("the weights add up to {total}; they must add up to {TOTAL_WEIGHT}"),
            ));
        }
        Ok(NewExperiment {
            campaign_id,
            name,
            min_sample: min_sample_field(self.min_sample.unwrap_or(DEFAULT_MIN_SAMPLE))?,
            ends_at: ends_at_field(self.ends_at.as_deref())?,
            auto_stop: self.auto_stop.unwrap_or(false),
            variants,
            created_by: by,
        })
    }
}

/// Start an A/B experiment on a campaign's landing page or destination.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/experiments", tag = "experiments", request_body = CreateExperiment,
    responses((status = 201, body = ExperimentView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "An experiment already runs on the campaign, or the campaign does not track."),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<CreateExperiment>,
) -> Result<(StatusCode, Json<ExperimentView>)> {
    let campaign = state.db.campaign(id).await.map_err(missing("campaign"))?;
    if !campaign.tracking.is_full() {
        return Err(AppError::Conflict(
            "the campaign does not track (tracking none), so it runs no experiments: a \
             variant must be kept per visitor"
                .into(),
        ));
    }
    let new = body.validate(id, caller.user_id)?;
    let experiment = match state.codes.start_experiment(new).await {
        Ok(experiment) => experiment,
        Err(DbError::Conflict(message)) => return Err(AppError::Conflict(message)),
        Err(err) => return Err(missing("campaign")(err)),
    };
    tracing::info!(
        user = caller.user_id,
        experiment = experiment.id,
        campaign = id,
        "experiment started"
    );
    let log = state.db.experiment_log(experiment.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(ExperimentView::new(experiment, log)),
    ))
}

/// A campaign's experiments, running and stopped, newest first.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/experiments", tag = "experiments",
    responses((status = 200, body = Vec<ExperimentView>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<ExperimentView>>> {
    state.db.campaign(id).await.map_err(missing("campaign"))?;
    let mut views = Vec::new();
    for experiment in state.db.campaign_experiments(id).await? {
        let log = state.db.experiment_log(experiment.id).await?;
        views.push(ExperimentView::new(experiment, log));
    }
    Ok(Json(views))
}

/// Read an experiment: its variants, stop rules, state and log.
#[utoipa::path(get, path = "/api/v1/experiments/{id}", tag = "experiments",
    responses((status = 200, body = ExperimentView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<ExperimentView>> {
    let (experiment, _) = settle(&state.db, &state.codes, id)
        .await
        .map_err(missing("experiment"))?;
    let log = state.db.experiment_log(id).await?;
    Ok(Json(ExperimentView::new(experiment, log)))
}

/// Change a running experiment's name or stop rules. Its variants never change once it
/// started (409): start a new experiment instead.
#[utoipa::path(patch, path = "/api/v1/experiments/{id}", tag = "experiments", request_body = ChangeExperiment,
    responses((status = 200, body = ExperimentView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The body changes the variants, or the experiment has stopped."),
        (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<ChangeExperiment>,
) -> Result<Json<ExperimentView>> {
    state
        .db
        .experiment(id)
        .await
        .map_err(missing("experiment"))?;
    if body.variants.is_some() {
        return Err(AppError::Conflict(
            "an experiment's variants cannot change once it started, or its report would mix \
             two designs: stop it and start a new experiment"
                .into(),
        ));
    }
    let change = ExperimentChange {
        name: body
            .name
            .as_deref()
            .map(|name| required_text("name", name, 200))
            .transpose()?,
        min_sample: body.min_sample.map(min_sample_field).transpose()?,
        ends_at: body
            .ends_at
            .map(|sent| ends_at_field(sent.as_deref()))
            .transpose()?,
        auto_stop: body.auto_stop,
    };
    let experiment = state
        .db
        .change_experiment(id, change, caller.user_id)
        .await
        .map_err(missing("experiment"))?;
    let log = state.db.experiment_log(id).await?;
    Ok(Json(ExperimentView::new(experiment, log)))
}

/// Judge an experiment: each variant's scans, unique scanners, landing views, clicks,
/// conversions and revenue, its conversion rate with a 95% interval, the chance it beats
/// the control, and the sequential test's verdict.
#[utoipa::path(get, path = "/api/v1/experiments/{id}/report", tag = "experiments",
    responses((status = 200, body = Report), (status = 404, body = ErrorBody)))]
pub async fn get_report(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Report>> {
    let (_, report) = settle(&state.db, &state.codes, id)
        .await
        .map_err(missing("experiment"))?;
    Ok(Json(report))
}

/// Stop an experiment. With `winner_variant_id` that variant takes all traffic from now
/// on; without a body (or without it) the campaign's own page and destination come back.
/// The report at this moment is kept in the experiment's log.
#[utoipa::path(post, path = "/api/v1/experiments/{id}/stop", tag = "experiments", request_body(content = Option<StopExperiment>),
    responses((status = 200, body = ExperimentView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Already stopped."),
        (status = 422, body = ErrorBody)))]
pub async fn stop(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<ExperimentView>> {
    let body: StopExperiment = if body.iter().all(u8::is_ascii_whitespace) {
        StopExperiment::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|err| AppError::BadRequest(format!("invalid JSON body: {err}")))?
    };
    let experiment = state
        .db
        .experiment(id)
        .await
        .map_err(missing("experiment"))?;
    if let Some(winner) = body.winner_variant_id
        && !experiment.variants.iter().any(|v| v.id == winner)
    {
        return Err(AppError::invalid(
            "winner_variant_id",
            format!("variant {winner} is not one of this experiment's"),
        ));
    }
    let figures = serde_json::to_string(&report(&state.db, &experiment).await?).unwrap_or_default();
    let stopped = state
        .codes
        .stop_experiment(
            id,
            body.winner_variant_id,
            StopReason::Manual,
            Some(caller.user_id),
            &figures,
        )
        .await
        .map_err(missing("experiment"))?;
    tracing::info!(user = caller.user_id, experiment = id, winner = ?body.winner_variant_id, "experiment stopped");
    let log = state.db.experiment_log(id).await?;
    Ok(Json(ExperimentView::new(stopped, log)))
}
