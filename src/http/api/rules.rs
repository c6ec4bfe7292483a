//! Redirect rules: `PUT /api/v1/campaigns/{id}/rules` (and `/api/v1/batches/{id}/rules`)
//! replaces the ordered list; `GET` answers it. Each rule is checked as a whole before any
//! is saved: its conditions and action (`domain::rules`), and that the channels, stores,
//! notices and experiment variants it names exist and belong to the campaign.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::db::RulesOwner;
use crate::domain::rules::{Action, MAX_RULES, RuleSpec};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path};

/// An ordered list of rules: the first whose every condition holds decides where a scan
/// goes; no match keeps the campaign's own way. A recall notice, or a campaign that is
/// off, wins over every rule. A batch's rules come before its campaign's.
#[derive(Serialize, ToSchema)]
pub struct RuleList {
    #[schema(max_items = 50)]
    rules: Vec<RuleSpec>,
}

/// The body of a PUT: each rule read on its own, so a rule that cannot be read (an unknown
/// condition, a list where a text belongs) is refused as bad input naming the rule.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleListBody {
    #[schema(value_type = Vec<RuleSpec>, max_items = 50)]
    rules: Vec<serde_json::Value>,
}

impl RuleListBody {
    fn read(self) -> Result<RuleList> {
        if self.rules.len() > MAX_RULES {
            return Err(AppError::invalid(
                "rules",
                format!("must hold at most {MAX_RULES} rules"),
            ));
        }
        let rules = self
            .rules
            .into_iter()
            .enumerate()
            .map(|(i, rule)| {
                serde_json::from_value(rule)
                    .map_err(|e| AppError::invalid(&format!("rules[{i}]"), e.to_string()))
            })
            .collect::<Result<_>>()?;
        Ok(RuleList { rules })
    }
}

/// Checks every rule, and what each names, against campaign `campaign_id`.
async fn check(state: &AppState, campaign_id: i64, list: &RuleList) -> Result<()> {
    for (i, spec) in list.rules.iter().enumerate() {
        let rule = spec
            .compile(i)
            .map_err(|e| AppError::invalid(&e.field, e.message))?;
        for &id in spec.when.channel_id.iter().flatten() {
            if state.db.channel(id).await.is_err() {
                return Err(AppError::invalid(
                    &format!("rules[{i}].if.channel_id"),
                    format!("there is no channel {id}"),
                ));
            }
        }
        for &id in spec.when.store_id.iter().flatten() {
            if state.db.store(id).await.is_err() {
                return Err(AppError::invalid(
                    &format!("rules[{i}].if.store_id"),
                    format!("there is no store {id}"),
                ));
            }
        }
        if let Action::Variant(id) = rule.action {
            let running = state.db.campaign_routing(campaign_id).await?;
            let in_experiment = running
                .filter(|r| r.winner.is_none())
                .is_some_and(|r| r.variants.iter().any(|v| v.id == id));
            if !in_experiment {
                return Err(AppError::invalid(
                    &format!("rules[{i}].then.variant_id"),
                    format!("variant {id} is not in an experiment running on this campaign"),
                ));
            }
        }
        if let Action::Notice(id) = rule.action {
            let belongs = match state.db.notice(id).await {
                Ok(notice) => state
                    .db
                    .batch(notice.batch_id)
                    .await
                    .is_ok_and(|b| b.campaign_id == campaign_id),
                Err(_) => false,
            };
            if !belongs {
                return Err(AppError::invalid(
                    &format!("rules[{i}].then.notice_id"),
                    format!("notice {id} is not a notice of this campaign's batches"),
                ));
            }
        }
    }
    Ok(())
}

async fn save(
    state: &AppState,
    caller: &Caller,
    owner: RulesOwner,
    campaign_id: i64,
    body: RuleListBody,
) -> Result<Json<RuleList>> {
    let list = body.read()?;
    let campaign = state
        .db
        .campaign(campaign_id)
        .await
        .map_err(missing("campaign"))?;
    if !campaign.tracking.is_full() && !list.rules.is_empty() {
        return Err(AppError::Conflict(
            "the campaign does not track (tracking none): nothing about a scan is read, so              rules cannot send it anywhere"
                .into(),
        ));
    }
    check(state, campaign_id, &list).await?;
    let json = (!list.rules.is_empty())
        .then(|| serde_json::to_string(&list.rules))
        .transpose()
        .map_err(|e| AppError::Internal(e.into()))?;
    state.codes.set_rules(owner, json).await?;
    tracing::info!(
        user = caller.user_id,
        ?owner,
        rules = list.rules.len(),
        "redirect rules saved"
    );
    Ok(Json(list))
}

async fn read(state: &AppState, owner: RulesOwner, what: &'static str) -> Result<Json<RuleList>> {
    let saved = state.db.rules(owner).await.map_err(missing(what))?;
    let rules = match saved {
        Some(json) => serde_json::from_str(&json).map_err(|e| AppError::Internal(e.into()))?,
        None => Vec::new(),
    };
    Ok(Json(RuleList { rules }))
}

/// Replace a campaign's redirect rules (an empty list removes them). Codes already
/// printed follow the new rules on every instance within seconds.
#[utoipa::path(put, path = "/api/v1/campaigns/{id}/rules", tag = "rules", request_body = RuleListBody,
    responses((status = 200, body = RuleList), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The campaign does not track."),
        (status = 422, body = ErrorBody)))]
pub async fn put_campaign_rules(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<RuleListBody>,
) -> Result<Json<RuleList>> {
    state.db.campaign(id).await.map_err(missing("campaign"))?;
    save(&state, &caller, RulesOwner::Campaign(id), id, body).await
}

/// A campaign's redirect rules, in order.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/rules", tag = "rules",
    responses((status = 200, body = RuleList), (status = 404, body = ErrorBody)))]
pub async fn get_campaign_rules(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<RuleList>> {
    read(&state, RulesOwner::Campaign(id), "campaign").await
}

/// Replace a batch's redirect rules (an empty list removes them); they come before its
/// campaign's.
#[utoipa::path(put, path = "/api/v1/batches/{id}/rules", tag = "rules", request_body = RuleListBody,
    responses((status = 200, body = RuleList), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The batch's campaign does not track."),
        (status = 422, body = ErrorBody)))]
pub async fn put_batch_rules(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<RuleListBody>,
) -> Result<Json<RuleList>> {
    let batch = state.db.batch(id).await.map_err(missing("batch"))?;
    save(
        &state,
        &caller,
        RulesOwner::Batch(id),
        batch.campaign_id,
        body,
    )
    .await
}

/// A batch's redirect rules, in order.
#[utoipa::path(get, path = "/api/v1/batches/{id}/rules", tag = "rules",
    responses((status = 200, body = RuleList), (status = 404, body = ErrorBody)))]
pub async fn get_batch_rules(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<RuleList>> {
    read(&state, RulesOwner::Batch(id), "batch").await
}
