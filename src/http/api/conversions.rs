//! `/api/v1/conversions`: purchases reported by shops and store tills, their touch paths,
//! and refunds.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::time::{parse_optional, to_rfc3339};
use super::{ErrorBody, Listing, PageQuery, optional_text, required_text};
use crate::conversions::RecordError;
use crate::db::{
    Conversion, ConversionKey, DbError, NewConversion, NewRefund, Recorded, Refund, RefundError,
    Scope, Touch, now_ms,
};
use crate::domain::Token;
use crate::domain::attribution::LONGEST_WINDOW;
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path, Query};

/// The largest amount taken, in cents (ten billion in the currency's main unit).
pub const MAX_AMOUNT_CENTS: i64 = 1_000_000_000_000;
/// How far ahead of this server's clock a reporter's clock may run.
const CLOCK_SKEW_MS: i64 = 5 * 60_000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportConversion {
    /// The shop's or till's order number; with `source`, it names the purchase once.
    #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
    pub(super) order_id: String,
    /// What was paid, in cents (0 to 10^12).
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub(super) amount_cents: i64,
    /// ISO 4217 code such as CNY; the campaigns credited must report in it.
    #[schema(pattern = r"^[A-Za-z]{3}$")]
    pub(super) currency: String,
    /// When it was bought (RFC 3339); default now. Not in the future, not more than 90
    /// days ago.
    #[schema(format = DateTime)]
    pub(super) occurred_at: Option<String>,
    /// Who reports it, such as tmall, jd, shopify or pos (default `api`): a-z, 0-9, `_`
    /// and `-`, up to 32 characters.
    #[schema(max_length = 32, pattern = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]
    pub(super) source: Option<String>,
    /// Quantity bought.
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub(super) items: Option<i64>,
    /// The `sl_click` id the landing page's buy link carried.
    #[schema(max_length = 128)]
    pub(super) click_id: Option<String>,
    /// The visitor id (the `sl_vid` cookie).
    #[schema(max_length = 128)]
    pub(super) visitor_id: Option<String>,
    /// The token of the unique code on the item bought.
    #[schema(max_length = 128)]
    pub(super) token: Option<String>,
    /// The code of the store whose till sold it.
    #[schema(max_length = 128)]
    pub(super) store_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ConversionView {
    id: i64,
    source: String,
    order_id: String,
    amount_cents: i64,
    currency: String,
    items: Option<i64>,
    occurred_at: String,
    received_at: String,
    /// The attribution key as reported: `click_id`, `visitor_id`, `token` or `store_code`.
    key: String,
    key_value: String,
    /// Whether the key names something scanloop knows.
    key_found: bool,
    /// The campaign the key names, when it names one (a click's or a code's).
    campaign_id: Option<i64>,
    visitor_id: Option<String>,
    /// Whether scans led to it (a touch path within 90 days before it). Reports credit
    /// it only through touches inside their window; without any it counts as unattributed.
    attributed: bool,
    /// What happened to the key, for a person.
    note: String,
    refunded_cents: i64,
    /// Where its buyer rates it, for the shop's order confirmation: an attributed purchase's
    /// feedback page, open for 30 days after it.
    feedback_url: Option<String>,
    /// The scans that led to it, oldest first (at most the latest 100).
    touches: Vec<TouchView>,
    refunds: Vec<RefundView>,
}

#[derive(Serialize, ToSchema)]
pub struct TouchView {
    /// Absent when the touch is the buy click itself.
    scan_id: Option<i64>,
    touched_at: String,
    campaign_id: i64,
    channel_id: i64,
    batch_id: i64,
    store_id: Option<i64>,
    code_id: i64,
}

impl From<Touch> for TouchView {
    fn from(t: Touch) -> Self {
        Self {
            scan_id: t.scan_id,
            touched_at: to_rfc3339(t.touched_at),
            campaign_id: t.campaign_id,
            channel_id: t.channel_id,
            batch_id: t.batch_id,
            store_id: t.store_id,
            code_id: t.code_id,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RefundView {
    id: i64,
    conversion_id: i64,
    amount_cents: i64,
    refund_id: Option<String>,
    reason: Option<String>,
    refunded_at: String,
}

impl From<Refund> for RefundView {
    fn from(r: Refund) -> Self {
        Self {
            id: r.id,
            conversion_id: r.conversion_id,
            amount_cents: r.amount_cents,
            refund_id: r.refund_id,
            reason: r.reason,
            refunded_at: to_rfc3339(r.refunded_at),
        }
    }
}

impl ConversionView {
    pub(crate) fn id(&self) -> i64 {
        self.id
    }

    /// The conversion with its path as `scope` may see it: a retailer sees the scans made
    /// in their stores, not where else the buyer scanned.
    async fn load(state: &AppState, c: Conversion, scope: &Scope) -> Result<Self> {
        let mut touches = state.db.conversion_touches(c.id).await?;
        touches.retain(|t| scope == &Scope::All || scope.admits(t.store_id));
        let refunds = state.db.refunds(c.id).await?;
        Ok(Self::new(c, touches, refunds, &state.settings.public_url))
    }

    fn new(c: Conversion, touches: Vec<Touch>, refunds: Vec<Refund>, public_url: &str) -> Self {
        let attributed = !touches.is_empty();
        let feedback_url = c
            .feedback_token
            .as_ref()
            .filter(|_| attributed)
            .map(|token| format!("{public_url}/feedback/{}.{token}", c.id));
        let note = if !c.key_found.0 {
            format!(
                "{} {:?} matches nothing scanloop knows: the conversion is kept and reported as unattributed",
                c.key_kind, c.key_value
            )
        } else if !attributed {
            format!(
                "{} {:?} has no scans in the 90 days before the purchase: the conversion is kept and reported as unattributed",
                c.key_kind, c.key_value
            )
        } else {
            format!(
                "attributed through {} {}",
                touches.len(),
                if touches.len() == 1 {
                    "touch"
                } else {
                    "touches"
                }
            )
        };
        Self {
            id: c.id,
            source: c.source,
            order_id: c.order_id,
            amount_cents: c.amount_cents,
            currency: c.currency,
            items: c.items,
            occurred_at: to_rfc3339(c.occurred_at),
            received_at: to_rfc3339(c.received_at),
            key: c.key_kind,
            key_value: c.key_value,
            key_found: c.key_found.0,
            campaign_id: c.campaign_id,
            visitor_id: c.visitor_id,
            attributed,
            note,
            refunded_cents: c.refunded_cents,
            feedback_url,
            touches: touches.into_iter().map(Into::into).collect(),
            refunds: refunds.into_iter().map(Into::into).collect(),
        }
    }
}

impl ReportConversion {
    /// A purchase at `store_code`'s till, made now, as a form on a page reports it.
    pub(crate) fn at_till(
        source: &str,
        order_id: String,
        amount_cents: i64,
        currency: String,
        items: Option<i64>,
        store_code: String,
    ) -> Self {
        Self {
            order_id,
            amount_cents,
            currency,
            occurred_at: None,
            source: Some(source.to_owned()),
            items,
            click_id: None,
            visitor_id: None,
            token: None,
            store_code: Some(store_code),
        }
    }

    /// Checks every field; `now` is this server's clock. A webhook's `source` is the one
    /// it was signed for, and a body naming another is refused.
    pub fn validate(self, now: i64, signed_for: Option<&str>) -> Result<NewConversion> {
        let order_id = required_text("order_id", &self.order_id, 128)?;
        if !(0..=MAX_AMOUNT_CENTS).contains(&self.amount_cents) {
            return Err(AppError::invalid(
                "amount_cents",
                format!("must be from 0 to {MAX_AMOUNT_CENTS} (cents, a whole number)"),
            ));
        }
        let currency = currency("currency", &self.currency)?;
        let source = match (signed_for, self.source.as_deref()) {
            (Some(signed), Some(named)) if source_name(named)? != signed => {
                return Err(AppError::invalid(
                    "source",
                    format!(
                        "this webhook is signed for {signed:?}; leave source out or send {signed:?}"
                    ),
                ));
            }
            (Some(signed), _) => signed.to_owned(),
            (None, named) => source_name(named.unwrap_or("api"))?,
        };
        let occurred_at =
            parse_optional("occurred_at", self.occurred_at.as_deref())?.unwrap_or(now);
        if occurred_at > now + CLOCK_SKEW_MS {
            return Err(AppError::invalid(
                "occurred_at",
                format!(
                    "{} is in the future; report a purchase once it is made",
                    to_rfc3339(occurred_at)
                ),
            ));
        }
        if occurred_at < now - LONGEST_WINDOW.ms() {
            return Err(AppError::invalid(
                "occurred_at",
                format!(
                    "{} is more than {LONGEST_WINDOW} ago, longer than any lookback window",
                    to_rfc3339(occurred_at)
                ),
            ));
        }
        if let Some(items) = self.items
            && !(1..=1_000_000).contains(&items)
        {
            return Err(AppError::invalid("items", "must be from 1 to 1000000"));
        }
        let keys = [
            ("click_id", self.click_id),
            ("visitor_id", self.visitor_id),
            ("token", self.token),
            ("store_code", self.store_code),
        ];
        let mut given = Vec::new();
        for (field, value) in keys {
            if let Some(value) = optional_text(field, value.as_deref(), 128)? {
                given.push((field, value));
            }
        }
        let key = match given.as_slice() {
            [(field, value)] => match *field {
                "click_id" => ConversionKey::Click(value.clone()),
                "visitor_id" => ConversionKey::Visitor(value.clone()),
                // A token is read as printed: case and look-alike letters folded.
                "token" => ConversionKey::Token(
                    Token::parse(value).map_or_else(|| value.clone(), |t| t.as_str().to_owned()),
                ),
                _ => ConversionKey::Store(value.clone()),
            },
            [] => {
                return Err(AppError::invalid(
                    "click_id",
                    "give one attribution key: click_id, visitor_id, token or store_code",
                ));
            }
            [_, (second, _), ..] => {
                return Err(AppError::invalid(
                    second,
                    "give only one attribution key of click_id, visitor_id, token and store_code",
                ));
            }
        };
        Ok(NewConversion {
            source,
            order_id,
            amount_cents: self.amount_cents,
            currency,
            items: self.items,
            occurred_at,
            key,
        })
    }
}

/// An ISO 4217 code, upper-cased.
pub fn currency(field: &str, raw: &str) -> Result<String> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(AppError::invalid(
            field,
            format!("{raw:?} is not a three-letter currency code such as CNY or USD"),
        ));
    }
    Ok(code)
}

/// A reporter's name, lower-cased: a-z, 0-9, `_` and `-`.
pub fn source_name(raw: &str) -> Result<String> {
    let name = raw.trim().to_ascii_lowercase();
    let ok = (1..=32).contains(&name.len())
        && name.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || (i > 0 && (b == b'_' || b == b'-'))
        });
    if !ok {
        return Err(AppError::invalid(
            "source",
            format!(
                "{raw:?} is not a source name such as tmall, jd, shopify or pos (a-z, 0-9, _ and -, up to 32)"
            ),
        ));
    }
    Ok(name)
}

/// Records a conversion: 201 when new, 200 when the same order was reported before.
pub async fn record(state: &AppState, new: NewConversion) -> Result<(StatusCode, ConversionView)> {
    record_in(state, new, &Scope::All).await
}

/// Why `scope` may not record `new`, if it may not: a retailer records till purchases at
/// their own stores only. Another's store and an unknown code get the same answer.
pub(super) async fn may_record(
    state: &AppState,
    new: &NewConversion,
    scope: &Scope,
) -> Result<(), AppError> {
    if *scope == Scope::All {
        return Ok(());
    }
    let store = match &new.key {
        ConversionKey::Store(code) => state.db.store_id(code).await?,
        _ => None,
    };
    if scope.admits(store) {
        return Ok(());
    }
    Err(AppError::invalid(
        "store_code",
        "a retailer records purchases at their own stores: give the store_code of one of \
         them (and no click_id, visitor_id or token)",
    ))
}

/// Records a conversion for a caller limited to `scope`: one of its stores' purchases,
/// and an order reported before answered only when it is theirs.
pub(crate) async fn record_in(
    state: &AppState,
    new: NewConversion,
    scope: &Scope,
) -> Result<(StatusCode, ConversionView)> {
    may_record(state, &new, scope).await?;
    let (source, order_id) = (new.source.clone(), new.order_id.clone());
    let recorded = match state.conversions.record(new).await {
        Ok(recorded) => recorded,
        Err(err @ RecordError::Currency { .. }) => {
            return Err(AppError::invalid("currency", err.to_string()));
        }
        Err(RecordError::Db(DbError::Conflict(message))) => {
            let message = conflict(state, scope, &source, &order_id, message).await?;
            return Err(AppError::Conflict(message));
        }
        Err(RecordError::Db(db)) => return Err(db.into()),
        Err(err @ RecordError::NotStored(_)) => return Err(AppError::Internal(err.into())),
    };
    Ok(match recorded {
        Recorded::New(c, touches) => (
            StatusCode::CREATED,
            ConversionView::new(c, touches, Vec::new(), &state.settings.public_url),
        ),
        Recorded::Known(c) => {
            if *scope != Scope::All && state.db.conversion_in(scope, c.id).await.is_err() {
                return Err(AppError::Conflict(elsewhere(&source, &order_id)));
            }
            (StatusCode::OK, ConversionView::load(state, c, scope).await?)
        }
    })
}

/// The answer to an order reported again differently: what the first report said, unless
/// `scope` does not reach it (a retailer is not told another store's sale).
pub(super) async fn conflict(
    state: &AppState,
    scope: &Scope,
    source: &str,
    order_id: &str,
    message: String,
) -> Result<String> {
    if *scope == Scope::All {
        return Ok(message);
    }
    let theirs = match state.db.conversion_by_order(source, order_id).await? {
        Some(c) => state.db.conversion_in(scope, c.id).await.is_ok(),
        None => true,
    };
    Ok(if theirs {
        message
    } else {
        elsewhere(source, order_id)
    })
}

pub(super) fn elsewhere(source: &str, order_id: &str) -> String {
    format!(
        "order_id: {order_id:?} of source {source:?} was reported before, at another store; \
         an order is reported once per source"
    )
}

/// Report a purchase. It is matched to the scans before it by its one attribution key and
/// stored with that touch path; a key that matches nothing is kept as unattributed.
#[utoipa::path(post, path = "/api/v1/conversions", tag = "conversions", request_body = ReportConversion,
    responses((status = 201, body = ConversionView), (status = 200, description = "The same order was reported before; nothing changed.", body = ConversionView),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<ReportConversion>,
) -> Result<(StatusCode, Json<ConversionView>)> {
    let new = body.validate(now_ms(), None)?;
    let (status, view) = record_in(&state, new, &caller.scope()).await?;
    Ok((status, Json(view)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConversionFilter {
    campaign_id: Option<i64>,
    /// `true`: with a touch path; `false`: unattributed only.
    attributed: Option<bool>,
    after: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// List conversions in the order they were recorded.
#[utoipa::path(get, path = "/api/v1/conversions", tag = "conversions", params(ConversionFilter),
    responses((status = 200, body = Listing<ConversionView>), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ConversionFilter>,
) -> Result<Json<Listing<ConversionView>>> {
    let scope = caller.scope();
    let page = PageQuery {
        after: query.after,
        limit: query.limit,
    }
    .page()?;
    let rows = state
        .db
        .conversions(page, query.campaign_id, query.attributed, &scope)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(ConversionView::load(&state, row, &scope).await?);
    }
    Ok(Json(Listing::new(items, page, |c: &ConversionView| c.id)))
}

/// Read one conversion with its touch path and refunds.
#[utoipa::path(get, path = "/api/v1/conversions/{id}", tag = "conversions",
    responses((status = 200, body = ConversionView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<ConversionView>> {
    let scope = caller.scope();
    let conversion = state
        .db
        .conversion_in(&scope, id)
        .await
        .map_err(missing("conversion"))?;
    Ok(Json(
        ConversionView::load(&state, conversion, &scope).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRefund {
    /// What was given back, in cents: more than 0, at most what is left of the amount.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    amount_cents: i64,
    /// The reporter's own id for the refund: the same id again changes nothing.
    #[schema(max_length = 128)]
    refund_id: Option<String>,
    #[schema(max_length = 500)]
    reason: Option<String>,
}

/// Give money back on a conversion, in full or in part; revenue in every report drops by it.
#[utoipa::path(post, path = "/api/v1/conversions/{id}/refunds", tag = "conversions", request_body = ReportRefund,
    responses((status = 201, body = RefundView), (status = 200, description = "A refund with this refund_id was recorded before; nothing changed.", body = RefundView),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn refund(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<ReportRefund>,
) -> Result<(StatusCode, Json<RefundView>)> {
    if !(1..=MAX_AMOUNT_CENTS).contains(&body.amount_cents) {
        return Err(AppError::invalid(
            "amount_cents",
            format!("must be from 1 to {MAX_AMOUNT_CENTS} (cents, a whole number)"),
        ));
    }
    let new = NewRefund {
        amount_cents: body.amount_cents,
        refund_id: optional_text("refund_id", body.refund_id.as_deref(), 128)?,
        reason: optional_text("reason", body.reason.as_deref(), 500)?,
    };
    match state.db.refund(id, new).await {
        Ok((refund, true)) => Ok((StatusCode::CREATED, Json(refund.into()))),
        Ok((refund, false)) => Ok((StatusCode::OK, Json(refund.into()))),
        Err(RefundError::NotFound) => Err(AppError::NotFound("conversion")),
        Err(err @ RefundError::MoreThanLeft { .. }) => {
            Err(AppError::invalid("amount_cents", err.to_string()))
        }
        Err(err @ RefundError::Changed(_)) => Err(AppError::Conflict(err.to_string())),
        Err(RefundError::Db(err)) => Err(err.into()),
    }
}
