//! `/api/v1/spend`: money spent on a campaign's channel over a period (media buys, store
//! fees), counted in reports beside the batches' print costs.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::conversions::{MAX_AMOUNT_CENTS, currency};
use super::time::{parse, to_rfc3339};
use super::{ErrorBody, optional_text};
use crate::db::{DbError, NewSpend, Spend};
use crate::http::AppState;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path, Query};

const MS_PER_DAY: i64 = 86_400_000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSpend {
    campaign_id: i64,
    channel_id: i64,
    /// Start of the period: a date (its first moment, UTC) or an RFC 3339 time.
    #[schema(format = DateTime)]
    from: String,
    /// End of the period: a date counts the whole day (`from` 2026-11-01 `to` 2026-11-30
    /// is November); an RFC 3339 time is the moment it ends.
    #[schema(format = DateTime)]
    to: String,
    /// What was spent, in cents (1 to 10^12).
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    amount_cents: i64,
    /// The campaign's currency.
    #[schema(pattern = r"^[A-Za-z]{3}$")]
    currency: String,
    /// What it paid for: "metro posters, line 2", "store fee".
    #[schema(max_length = 200)]
    note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SpendView {
    id: i64,
    campaign_id: i64,
    channel_id: i64,
    /// The period, `from` inclusive, `to` exclusive.
    from: String,
    to: String,
    amount_cents: i64,
    currency: String,
    note: Option<String>,
    created_at: String,
}

impl From<Spend> for SpendView {
    fn from(s: Spend) -> Self {
        Self {
            id: s.id,
            campaign_id: s.campaign_id,
            channel_id: s.channel_id,
            from: to_rfc3339(s.starts_at),
            to: to_rfc3339(s.ends_at),
            amount_cents: s.amount_cents,
            currency: s.currency,
            note: s.note,
            created_at: to_rfc3339(s.created_at),
        }
    }
}

/// A period's end: a plain date means the end of that day.
fn period_end(raw: &str) -> Result<i64> {
    let at = parse("to", raw)?;
    Ok(if raw.trim().len() == 10 {
        at + MS_PER_DAY
    } else {
        at
    })
}

/// Record money spent on a channel of a campaign over a period.
#[utoipa::path(post, path = "/api/v1/spend", tag = "reports", request_body = CreateSpend,
    responses((status = 201, body = SpendView), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Json(body): Json<CreateSpend>,
) -> Result<(StatusCode, Json<SpendView>)> {
    let starts_at = parse("from", &body.from)?;
    let ends_at = period_end(&body.to)?;
    if ends_at <= starts_at {
        return Err(AppError::invalid("to", "must be after from"));
    }
    if !(1..=MAX_AMOUNT_CENTS).contains(&body.amount_cents) {
        return Err(AppError::invalid(
            "amount_cents",
            format!("must be from 1 to {MAX_AMOUNT_CENTS} (cents, a whole number)"),
        ));
    }
    let currency = currency("currency", &body.currency)?;
    let note = optional_text("note", body.note.as_deref(), 200)?;
    let campaign = state
        .db
        .campaign(body.campaign_id)
        .await
        .map_err(|e| match e {
            DbError::NotFound => AppError::invalid(
                "campaign_id",
                format!("no record with id {}", body.campaign_id),
            ),
            other => other.into(),
        })?;
    state
        .db
        .channel(body.channel_id)
        .await
        .map_err(|e| match e {
            DbError::NotFound => AppError::invalid(
                "channel_id",
                format!("no record with id {}", body.channel_id),
            ),
            other => other.into(),
        })?;
    if currency != campaign.currency {
        return Err(AppError::invalid(
            "currency",
            format!(
                "this campaign reports in {}; record its spend in {}",
                campaign.currency, campaign.currency
            ),
        ));
    }
    let spend = state
        .db
        .create_spend(NewSpend {
            campaign_id: body.campaign_id,
            channel_id: body.channel_id,
            starts_at,
            ends_at,
            amount_cents: body.amount_cents,
            currency,
            note,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(spend.into())))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpendFilter {
    campaign_id: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SpendList {
    items: Vec<SpendView>,
}

/// A campaign's spend entries, by period.
#[utoipa::path(get, path = "/api/v1/spend", tag = "reports", params(SpendFilter),
    responses((status = 200, body = SpendList), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Query(filter): Query<SpendFilter>,
) -> Result<Json<SpendList>> {
    let items = state.db.spend_entries(filter.campaign_id).await?;
    Ok(Json(SpendList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Delete a spend entry recorded by mistake.
#[utoipa::path(delete, path = "/api/v1/spend/{id}", tag = "reports",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(State(state): State<AppState>, Path(id): Path<i64>) -> Result<StatusCode> {
    state
        .db
        .delete_spend(id)
        .await
        .map_err(missing("spend entry"))?;
    Ok(StatusCode::NO_CONTENT)
}
