//! `/api/v1/reports/variants`: an experiment's variants side by side, with what the people
//! shown each did and the conversions credited to the scans that showed it.

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ErrorBody;
use super::breakdowns::finish;
use super::report_format::answer;
use super::reports::{Prepared, Report, ReportQuery, prepare, round6, whole};
use crate::db::{Detail, Experiment};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::Query;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExperimentQuery {
    /// The experiment whose variants to compare; default: the campaign's latest.
    pub(crate) experiment_id: Option<i64>,
}

/// One variant of the experiment.
#[derive(Serialize, ToSchema)]
pub struct VariantRow {
    pub(crate) experiment_id: i64,
    pub(crate) variant_id: i64,
    pub(crate) variant: String,
    /// The first variant, the one the others are compared with.
    pub(crate) control: bool,
    /// The share of scans it was given, in percent.
    pub(crate) weight: i64,
    /// Declared the winner (the experiment found it, or an admin sent everyone to it).
    pub(crate) winner: bool,
    /// Scans shown this variant (bots are shown the control and counted for no variant).
    pub(crate) scans: i64,
    /// Distinct people among those scans, counted exactly.
    pub(crate) unique_visitors: i64,
    /// Landing views, CTA clicks and photo shares by people shown this variant.
    pub(crate) landing_views: i64,
    pub(crate) cta_clicks: i64,
    pub(crate) photo_shares: i64,
    /// Conversions credited to scans shown this variant (fractional under shared models).
    pub(crate) conversions: f64,
    pub(crate) revenue_cents: i64,
    pub(crate) refunded_cents: i64,
    /// Conversions per unique visitor.
    pub(crate) conversion_rate: Option<f64>,
}

/// An experiment's variants over the report's range (default: the campaign's latest
/// experiment, everything so far): scans, people, page events and conversions under the
/// model and window asked for. Counted from raw scans and events, so a retention period
/// shorter than the range loses what it deleted; variants have no spend of their own (the
/// total has the campaign's). A campaign without experiments answers no rows.
#[utoipa::path(get, path = "/api/v1/reports/variants", tag = "reports", params(ReportQuery, ExperimentQuery),
    responses((status = 200, content((Report<VariantRow> = "application/json"), (String = "text/csv"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn variants(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ReportQuery>,
    Query(which): Query<ExperimentQuery>,
) -> Result<Response> {
    let format = query.format()?;
    let prepared = prepare(&state, &query, &caller.scope(), Detail::Places).await?;
    let experiment = experiment_of(&state, &prepared, which.experiment_id).await?;
    let rows = match &experiment {
        Some(experiment) => variant_rows(&state, &prepared, experiment).await?,
        None => Vec::new(),
    };
    let report = finish(&state, &prepared, rows).await?;
    let name = format!("variants-{}", report.campaign_id);
    answer(format, &report, &report.rows, &name).await
}

/// The experiment asked for (404 unknown, 400 another campaign's), or the campaign's
/// latest; none when it has had none.
pub(crate) async fn experiment_of(
    state: &AppState,
    prepared: &Prepared,
    id: Option<i64>,
) -> Result<Option<Experiment>> {
    let campaign_id = prepared.campaign.id;
    let Some(id) = id else {
        return Ok(state.db.latest_experiment(campaign_id).await?);
    };
    let experiment = state
        .db
        .experiment(id)
        .await
        .map_err(missing("experiment"))?;
    if experiment.campaign_id != campaign_id {
        return Err(AppError::BadRequest(format!(
            "experiment_id: experiment {id} belongs to campaign {}, not to campaign {campaign_id}",
            experiment.campaign_id
        )));
    }
    Ok(Some(experiment))
}

/// The experiment's variants over the prepared range, filter and attribution (the report
/// page shows them beside its own totals).
pub(crate) async fn variant_rows(
    state: &AppState,
    prepared: &Prepared,
    experiment: &Experiment,
) -> Result<Vec<VariantRow>> {
    let mut slices = state
        .db
        .variant_slices(experiment.id, prepared.range, &prepared.filter)
        .await?;
    Ok(experiment
        .variants
        .iter()
        .enumerate()
        .map(|(position, variant)| {
            let slice = slices.remove(&variant.id).unwrap_or_default();
            let credit = prepared
                .credit
                .by_variant
                .get(&variant.id)
                .copied()
                .unwrap_or_default();
            let conversions = whole(credit.conversions);
            VariantRow {
                experiment_id: experiment.id,
                variant_id: variant.id,
                variant: variant.name.clone(),
                control: position == 0,
                weight: variant.weight,
                winner: experiment.winner_id == Some(variant.id),
                scans: slice.counts.scans,
                unique_visitors: slice.visitors,
                landing_views: slice.counts.landing_views,
                cta_clicks: slice.counts.cta_clicks,
                photo_shares: slice.counts.photo_shares,
                conversions,
                revenue_cents: credit.revenue_cents,
                refunded_cents: credit.refunded_cents,
                conversion_rate: (slice.visitors > 0)
                    .then(|| round6(conversions / slice.visitors as f64)),
            }
        })
        .collect())
}
