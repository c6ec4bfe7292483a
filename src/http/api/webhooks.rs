//! Outbound webhooks: `POST /api/v1/webhooks` subscribes an https endpoint to events (its
//! signing secret shown once), `GET` lists them, `DELETE /api/v1/webhooks/{id}` disables
//! one, and `/deliveries` is its delivery log, where a delivery can be sent again.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use super::time::to_rfc3339;
use crate::db::{Delivery, Webhook};
use crate::domain::Contact;
use crate::domain::webhook_event::WebhookEvent;
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path};
use crate::webhooks::guard;

/// Deliveries the log shows.
const LOG_SIZE: i64 = 100;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// The endpoint: https, to a public address.
    #[schema(max_length = 2048, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://")]
    url: String,
    /// What it wants to hear about: `conversion.attributed`, `scans.daily`,
    /// `member.joined`, `points.changed`, `feedback.received`, `code.suspicious`,
    /// `audience.members`, `member.code`.
    #[schema(min_items = 1)]
    events: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookView {
    id: i64,
    url: String,
    events: Vec<String>,
    /// `active`, `failing` (a delivery was given up after every retry; back to active at
    /// the next success) or `disabled`.
    status: String,
    created_at: String,
    created_by: i64,
}

/// A new webhook, with the secret its deliveries are signed with: shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    webhook: WebhookView,
    /// Verify `X-Scanloop-Signature` (`t=<unix seconds>,v1=<hex HMAC-SHA256 of
    /// "<t>.<body>">`) with it.
    secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    id: i64,
    event: String,
    /// `pending` (waiting for its next attempt), `delivered` or `failed` (given up).
    state: String,
    attempts: i64,
    created_at: String,
    next_attempt_at: Option<String>,
    last_attempt_at: Option<String>,
    /// The endpoint's last answer.
    last_status: Option<i64>,
    last_error: Option<String>,
    delivered_at: Option<String>,
    /// The body sent (a `member.code` hand-off without its code, the contact partly
    /// hidden).
    #[schema(value_type = Object)]
    payload: serde_json::Value,
}

impl From<Webhook> for WebhookView {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id,
            url: w.url,
            events: w.events.split(' ').map(str::to_owned).collect(),
            status: w.status,
            created_at: to_rfc3339(w.created_at),
            created_by: w.created_by,
        }
    }
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            next_attempt_at: (d.state == "pending").then(|| to_rfc3339(d.next_attempt_at)),
            state: d.state,
            attempts: d.attempts,
            created_at: to_rfc3339(d.created_at),
            last_attempt_at: d.last_attempt_at.map(to_rfc3339),
            last_status: d.last_status,
            last_error: d.last_error,
            delivered_at: d.delivered_at.map(to_rfc3339),
            payload: shown_payload(&d.event, &d.payload),
            event: d.event,
        }
    }
}

/// A delivery's body as the log shows it. A `member.code` hand-off is shown without its
/// code and with the contact partly hidden: whoever reads the log (analysts too) must not
/// be able to sign in as the member.
fn shown_payload(event: &str, payload: &str) -> serde_json::Value {
    let mut body: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    if event == WebhookEvent::MemberCode.as_str()
        && let Some(fields) = body.as_object_mut()
    {
        fields.insert("code".into(), "[redacted]".into());
        let hint = fields
            .get("to")
            .and_then(|to| to.as_str())
            .and_then(|to| Contact::parse(to).ok())
            .map(|contact| contact.hint());
        fields.insert("to".into(), hint.into());
    }
    body
}

/// Subscribe an endpoint to events.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateWebhook,
    responses((status = 201, body = CreatedWebhook), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateWebhook>,
) -> Result<(StatusCode, Json<CreatedWebhook>)> {
    let allow_private = state.settings.webhook_allow_private;
    let url =
        guard::check_url(&body.url, allow_private).map_err(|why| AppError::invalid("url", why))?;
    if url.as_str().len() > 2048 {
        return Err(AppError::invalid("url", "must be at most 2048 characters"));
    }
    if body.events.is_empty() {
        return Err(AppError::invalid(
            "events",
            "name at least one event, such as conversion.attributed",
        ));
    }
    let mut events: Vec<&'static str> = Vec::with_capacity(body.events.len());
    for (i, raw) in body.events.iter().enumerate() {
        let event =
            WebhookEvent::parse(raw).map_err(|m| AppError::invalid(&format!("events[{i}]"), m))?;
        if !events.contains(&event.as_str()) {
            events.push(event.as_str());
        }
    }
    let (secret, _) = crate::accounts::secret::new_secret();
    let secret = format!("whsec_{secret}");
    let webhook = state
        .db
        .create_webhook(url.as_str(), &events.join(" "), &secret, caller.user_id)
        .await?;
    tracing::info!(user = caller.user_id, webhook = webhook.id, events = %events.join(" "), "webhook created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook {
            webhook: webhook.into(),
            secret,
        }),
    ))
}

/// Every webhook, disabled ones too, newest first (secrets are never shown again).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<WebhookView>)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<WebhookView>>> {
    let webhooks = state.db.webhooks().await?;
    Ok(Json(webhooks.into_iter().map(WebhookView::from).collect()))
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    responses((status = 200, body = WebhookView), (status = 404, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<WebhookView>> {
    let webhook = state.db.webhook(id).await.map_err(missing("webhook"))?;
    Ok(Json(webhook.into()))
}

/// Disable a webhook: nothing more is sent to it, its pending deliveries included. Its
/// log is kept.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    responses((status = 200, body = WebhookView), (status = 404, body = ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<WebhookView>> {
    let webhook = state
        .db
        .disable_webhook(id)
        .await
        .map_err(missing("webhook"))?;
    tracing::info!(user = caller.user_id, webhook = id, "webhook disabled");
    Ok(Json(webhook.into()))
}

/// A webhook's latest 100 deliveries, newest first: what was sent, how each attempt went.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    responses((status = 200, body = Vec<DeliveryView>), (status = 404, body = ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<DeliveryView>>> {
    state.db.webhook(id).await.map_err(missing("webhook"))?;
    let log = state.db.deliveries(id, LOG_SIZE).await?;
    Ok(Json(log.into_iter().map(DeliveryView::from).collect()))
}

/// Send a delivery again now, with its retries counted afresh (delivered ones too).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver", tag = "webhooks",
    responses((status = 202, body = DeliveryView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The webhook is disabled.")))]
pub async fn redeliver(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, delivery)): Path<(i64, i64)>,
) -> Result<(StatusCode, Json<DeliveryView>)> {
    let again = state
        .db
        .redeliver(id, delivery)
        .await
        .map_err(missing("delivery"))?;
    state.webhooks.wake();
    tracing::info!(
        user = caller.user_id,
        webhook = id,
        delivery,
        "webhook delivery sent again"
    );
    Ok((StatusCode::ACCEPTED, Json(again.into())))
}
