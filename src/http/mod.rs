//! HTTP: shared state and the router that merges every module's routes.

pub mod access;
pub mod api;
pub mod auth;
mod claim;
pub(crate) mod console;
pub mod error;
pub mod extract;
mod feedback_page;
mod hooks;
mod join_page;
mod landing_page;
mod live_page;
mod login_page;
mod media;
mod member_page;
mod member_session;
mod notice_page;
pub mod operations;
pub mod pages;
mod password_page;
mod photos_page;
mod rate_limit;
pub mod redirect;
mod referral_page;
pub mod report_page;
pub mod resolver;
pub mod session;
mod store_page;
mod strings;
mod visiting;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, middleware};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::config::Settings;
use crate::conversions::ConversionRecorder;
use crate::db::Db;
use crate::events::EventWriter;

use crate::geo::Geo;
use crate::heavy::HeavyWork;
use crate::jobs::BatchGenerator;
use crate::live::LiveFeed;
use crate::media::MediaStore;
use crate::metrics::Metrics;
use crate::scans::{CodeCache, DeviceParser, ScanWriter, VisitContext};
use auth::KnownKeys;
use error::AppError;
use pages::PageError;
use rate_limit::PhotoLimits;
pub use rate_limit::one_time_code_limit;

/// Largest request body the API reads.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler shares. One `Arc` around it all: axum clones the state for every
/// request, and cloning and dropping nine `Arc`s a request showed up at 6% of the redirect.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub db: Db,
    /// Picture files (hero images, photos).
    pub media: MediaStore,
    pub codes: Arc<CodeCache>,
    pub writer: ScanWriter,
    pub events: EventWriter,
    pub conversions: ConversionRecorder,
    pub batches: Arc<BatchGenerator>,
    pub geo: Arc<Geo>,
    pub devices: Arc<DeviceParser>,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    pub heavy: Arc<HeavyWork>,
    pub photo_limits: PhotoLimits,
    /// One-time codes asked for per network.
    pub code_limits: rate_limit::KeyedLimit,
    pub known_keys: KnownKeys,
    pub sign_in_limits: login_page::SignInLimits,
    /// Scans as they are committed, for the live feed's listeners.
    pub live: Arc<LiveFeed>,
    /// Sends the outbox's webhook deliveries.
    pub webhooks: Arc<crate::webhooks::Deliverer>,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Shared {
    pub fn visit_context(&self) -> VisitContext<'_> {
        VisitContext {
            devices: &self.devices,
            geo: &self.geo,
            trusted_proxies: &self.settings.trusted_proxies,
        }
    }
}

pub fn router(state: AppState) -> Router {
    let site = resolver::router()
        .merge(pages::router())
        .merge(media::router())
        .merge(report_page::router())
        .merge(console::router())
        .merge(store_page::router())
        .merge(live_page::router())
        .merge(password_page::router())
        .merge(login_page::router())
        .route("/healthz", get(operations::healthz))
        .route("/metrics", get(operations::metrics))
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(pages::localise));
    Router::new()
        .merge(site)
        .merge(api::router(state.clone()))
        .merge(hooks::router())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            operations::track_requests,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
        .merge(redirect::router())
        .with_state(state)
}

async fn method_not_allowed(method: Method) -> PageError {
    PageError(AppError::MethodNotAllowed(method.to_string()))
}

/// Unknown API paths answer JSON; anything else gets the friendly HTML page.
async fn fallback(uri: Uri) -> Response {
    let missing = AppError::NotFound("endpoint");
    if uri.path().starts_with("/api/") {
        missing.into_response()
    } else {
        PageError(missing).into_response()
    }
}
