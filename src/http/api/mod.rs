//! The JSON API under `/api/v1`. Every route is registered through `OpenApiRouter`, so the
//! OpenAPI document is built from the same list as the router and cannot drift from it.

mod attribution;
mod audiences;
pub(crate) mod batches;
pub(crate) mod breakdowns;
pub(crate) mod campaigns;
pub(crate) mod channels;
mod codes;
pub(crate) mod cohorts;
mod conversion_import;
mod conversions;
pub(crate) mod counted;
mod error_responses;
pub(crate) mod experiments;
pub(crate) mod exports;
pub(crate) mod feedback;
pub(crate) mod funnel;
pub(crate) mod keys;
pub(crate) mod landing;
mod logos;
pub(crate) mod members;
pub(crate) mod notices;
pub(crate) mod offers;
pub(crate) mod photos;
pub(crate) mod points;
mod products;
pub(crate) mod referrals;
pub(crate) mod report_format;
pub(crate) mod reports;
pub(crate) mod rules;
pub(crate) mod scans;
pub(crate) mod sheets;
mod sources;
mod spend;
pub(crate) mod stages;
pub(crate) mod stores;
pub(crate) mod suspicious;
mod targets;
pub(crate) mod time;
pub(crate) mod users;
pub(crate) mod variant_report;
mod visitors;
pub(crate) mod webhooks;

pub(crate) use conversions::{
    ConversionView, ReportConversion, record as record_conversion,
    record_in as record_conversion_in,
};
pub(crate) use landing::HERO_SMALL;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Caller;
use super::auth::require_caller;
use super::error::{AppError, Result, missing};
use crate::db::{Page, PhotoStatus, StatusTarget};
use crate::domain::attribution::Model;
use crate::domain::{BatchMode, ChannelKind, Role, Status};

#[derive(OpenApi)]
#[openapi(
    info(title = "scanloop API", description = "QR-code campaigns, batches, codes, scans and reports."),
    modifiers(&BearerAuth),
    security(("api_key" = [])),
    components(schemas(ErrorBody, ErrorDetail, StatusChange))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API: every operation behind the key check, and the OpenAPI document describing them
/// served openly at `/api/v1/openapi.json`.
pub fn router(state: AppState) -> Router<AppState> {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(campaigns::create, campaigns::list))
        .routes(routes!(campaigns::get, campaigns::update))
        .routes(routes!(landing::put_landing))
        .routes(routes!(attribution::put_attribution))
        .routes(routes!(landing::post_hero, landing::delete_hero))
        .routes(routes!(channels::create, channels::list))
        .routes(routes!(channels::get, channels::update))
        .routes(routes!(stores::create, stores::list))
        .routes(routes!(stores::get, stores::update))
        .routes(routes!(batches::create, batches::list))
        .routes(routes!(batches::get, batches::set_status))
        .routes(routes!(batches::codes_csv))
        .routes(routes!(notices::create, notices::list))
        .routes(routes!(notices::get, notices::lift))
        .routes(routes!(offers::create, offers::list))
        .routes(routes!(offers::get, offers::end))
        .routes(routes!(experiments::create, experiments::list))
        .routes(routes!(experiments::get, experiments::update))
        .routes(routes!(experiments::get_report))
        .routes(routes!(experiments::stop))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::get, webhooks::disable))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(members::list))
        .routes(routes!(members::get))
        .routes(routes!(points::ledger, points::adjust))
        .routes(routes!(points::put_rules, points::get_rules))
        .routes(routes!(referrals::referrals))
        .routes(routes!(stages::stages))
        .routes(routes!(visitors::get))
        .routes(routes!(audiences::create, audiences::list))
        .routes(routes!(audiences::get))
        .routes(routes!(audiences::members_csv))
        .routes(routes!(audiences::send))
        .routes(routes!(feedback::list))
        .routes(routes!(feedback::report))
        .routes(routes!(feedback::remedies))
        .routes(routes!(feedback::update_remedy))
        .routes(routes!(
            rules::put_campaign_rules,
            rules::get_campaign_rules
        ))
        .routes(routes!(rules::put_batch_rules, rules::get_batch_rules))
        .routes(routes!(exports::export_zip))
        .routes(routes!(sheets::sheet_pdf))
        .routes(routes!(
            logos::put_campaign_logo,
            logos::get_campaign_logo,
            logos::delete_campaign_logo
        ))
        .routes(routes!(
            logos::put_batch_logo,
            logos::get_batch_logo,
            logos::delete_batch_logo
        ))
        .routes(routes!(codes::get, codes::set_status))
        .routes(routes!(codes::qr_svg))
        .routes(routes!(codes::qr_png))
        .routes(routes!(photos::list))
        .routes(routes!(photos::delete))
        .routes(routes!(photos::approve))
        .routes(routes!(photos::reject))
        .routes(routes!(products::create, products::list))
        .routes(routes!(products::get, products::update))
        .routes(routes!(conversions::create, conversions::list))
        .routes(routes!(conversions::get))
        .routes(routes!(conversions::refund))
        .routes(routes!(conversion_import::import))
        .routes(routes!(sources::create, sources::list))
        .routes(routes!(sources::rotate))
        .routes(routes!(spend::create, spend::list))
        .routes(routes!(spend::delete))
        .routes(routes!(reports::channels))
        .routes(routes!(reports::batches))
        .routes(routes!(reports::stores))
        .routes(routes!(breakdowns::devices))
        .routes(routes!(breakdowns::regions))
        .routes(routes!(variant_report::variants))
        .routes(routes!(reports::time))
        .routes(routes!(reports::daily))
        .routes(routes!(funnel::funnel))
        .routes(routes!(cohorts::cohorts_report))
        .routes(routes!(suspicious::suspicious_codes))
        .routes(routes!(counted::counted_scans))
        .routes(routes!(scans::live))
        .routes(routes!(targets::put_targets, targets::get_targets))
        .routes(routes!(users::create, users::list))
        .routes(routes!(users::get, users::update))
        .routes(routes!(users::password_link))
        .routes(routes!(keys::create, keys::list))
        .routes(routes!(keys::revoke))
        .split_for_parts();
    let timeout = state.settings.api_timeout;
    let operations = router
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state, require_caller))
        .layer(middleware::from_fn_with_state(timeout, time_limit));
    error_responses::document(&mut doc);
    let doc = Arc::new(doc);
    let document = Router::new()
        .route(
            "/api/v1/openapi.json",
            get(move || async move { axum::Json(doc.as_ref().clone()) }),
        )
        .method_not_allowed_fallback(method_not_allowed);
    operations.merge(document)
}

/// An API request, body included, gets `limit` to be answered (a streamed body, such as a
/// large codes.csv, may take longer once it has started).
async fn time_limit(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::TimedOut(limit.as_secs()).into_response(),
    }
}

async fn method_not_allowed(method: Method) -> AppError {
    AppError::MethodNotAllowed(method.to_string())
}

/// The error body every endpoint answers with on failure.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: not_found, unauthorized, forbidden, bad_signature, invalid, bad_request, method_not_allowed,
    /// conflict, too_large, unsupported_media_type, rate_limited, unavailable, internal.
    code: String,
    /// What to fix, for a person.
    message: String,
}

/// `?after=ID&limit=N`: keyset pagination in id order.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Return items with ids greater than this (the previous page's `next_after`).
    #[param(minimum = 0)]
    after: Option<i64>,
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

impl PageQuery {
    fn page(&self) -> Result<Page> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(AppError::BadRequest(
                "limit must be between 1 and 500".into(),
            ));
        }
        let after = self.after.unwrap_or(0);
        if after < 0 {
            return Err(AppError::BadRequest(
                "after must be 0 or more (the previous page's next_after)".into(),
            ));
        }
        Ok(Page { after, limit })
    }
}

/// One page of a list, with the cursor for the next one (absent on the last page).
#[derive(Serialize, ToSchema)]
pub struct Listing<T> {
    items: Vec<T>,
    next_after: Option<i64>,
}

impl<T> Listing<T> {
    fn new(items: Vec<T>, page: Page, id: impl Fn(&T) -> i64) -> Self {
        let next_after = (items.len() as i64 == page.limit)
            .then(|| items.last().map(&id))
            .flatten();
        Self { items, next_after }
    }
}

/// Names the schema document for the values a text field takes, read from the domain type
/// so the document cannot drift from what the parser accepts.
macro_rules! name_schema {
    ($doc:ident, $values:expr, $description:literal) => {
        #[doc = $description]
        pub struct $doc;

        impl utoipa::PartialSchema for $doc {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($description))
                    .enum_values(Some($values.iter().map(|v| v.as_str())))
                    .into()
            }
        }

        impl utoipa::ToSchema for $doc {}
    };
}

name_schema!(StatusName, Status::ALL, "active or disabled");
name_schema!(
    ModelName,
    Model::ALL,
    "how credit is shared: last_touch, first_touch, linear, time_decay or position_based"
);
name_schema!(ChannelKindName, ChannelKind::ALL, "the kind of channel");
name_schema!(
    RoleName,
    Role::ALL,
    "what a user may do: admin (everything), analyst (reads everything, changes nothing) \
     or retailer (their stores only)"
);
name_schema!(
    FormatName,
    report_format::Format::ALL,
    "how a report is answered: json, or csv (its rows for a spreadsheet)"
);
name_schema!(
    IntervalName,
    crate::domain::time::Interval::ALL,
    "a time report's buckets: hour, day, week (Monday to Sunday) or month"
);
name_schema!(
    PhotoStatusName,
    PhotoStatus::ALL,
    "pending, approved or rejected"
);
name_schema!(
    OfferCountsName,
    crate::domain::OfferCounts::ALL,
    "what a limited offer counts: visitors (each person once) or codes (each unique code once)"
);
name_schema!(
    TrackingName,
    crate::domain::Tracking::ALL,
    "full: every scan is stored with its coarse place, device and visitor. none (labels \
     that may not track, such as EU wine e-labels): no cookie, place, device or visitor is \
     recorded or derived, only a count per code and hour, and the landing page shows only \
     its information links"
);
name_schema!(
    BatchModeName,
    BatchMode::ALL,
    "shared (one code) or unique (one per item)"
);

/// Body of the PATCH endpoints that enable or disable a campaign, batch or code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    #[schema(value_type = StatusName)]
    status: String,
}

impl StatusChange {
    /// Validates and applies the change (through the code cache, so every instance drops
    /// what it holds) and notes in the log who made it.
    async fn apply(
        &self,
        state: &AppState,
        caller: &Caller,
        target: StatusTarget<'_>,
        what: &'static str,
    ) -> Result<()> {
        let status = Status::parse(&self.status).map_err(|m| AppError::invalid("status", m))?;
        state
            .codes
            .change_status(target, status)
            .await
            .map_err(missing(what))?;
        tracing::info!(
            user = caller.user_id,
            key = caller.key_id,
            ?target,
            status = status.as_str(),
            "status changed"
        );
        Ok(())
    }
}

/// A required, trimmed, bounded text field.
fn required_text(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    optional_text(field, Some(value), max).map(|v| v.unwrap_or_default())
}

/// An optional one-line text: trimmed, empty means absent, no control characters.
fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    bounded_text(field, value, max, char::is_control)
}

/// An optional text of several lines: line breaks and tabs are kept, other control
/// characters (NUL among them, which PostgreSQL refuses to store) are refused.
fn multiline_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    bounded_text(field, value, max, |c| {
        c.is_control() && !matches!(c, '\n' | '\r' | '\t')
    })
}

fn bounded_text(
    field: &str,
    value: Option<&str>,
    max: usize,
    refused: impl Fn(char) -> bool,
) -> Result<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > max => Err(AppError::invalid(
            field,
            format!("must be at most {max} characters"),
        )),
        Some(v) if v.chars().any(refused) => Err(AppError::invalid(
            field,
            "must not contain control characters such as NUL",
        )),
        other => Ok(other.map(str::to_owned)),
    }
}
