//! Prometheus metrics. One `Metrics` per server, handed to the parts that count (no global
//! registry, so two servers in one test process keep their own numbers), rendered as text
//! at `GET /metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route template (`/s/{token}`), never the raw path, so tokens add no series.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabel {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ScanLabels {
    pub outcome: &'static str,
    pub bot: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabels {
    pub kind: &'static str,
    pub action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LookupLabel {
    pub result: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<RequestLabels, Counter>,
    pub http_duration: HistogramFamily<RouteLabel>,
    pub scans: Family<ScanLabels, Counter>,
    pub writer_group_size: Histogram,
    pub writer_commit_seconds: Histogram,
    pub writer_queue_depth: Gauge,
    pub writer_failed_groups: Counter,
    pub events: Family<EventLabels, Counter>,
    pub event_writer_failed_groups: Counter,
    pub code_cache_lookups: Family<LookupLabel, Counter>,
    pub code_cache_entries: Gauge,
    pub batch_codes_waiting: Gauge,
    pub export_codes: Counter,
}

/// 0.5 ms to about 16 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("scanloop");
        let http_requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template and status",
            http_requests.clone(),
        );
        let http_duration: HistogramFamily<RouteLabel> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            http_duration.clone(),
        );
        let scans = Family::<ScanLabels, Counter>::default();
        registry.register(
            "scans",
            "Scans stored, by outcome (destination, landing, fallback) and bot flag",
            scans.clone(),
        );
        let writer_group_size = Histogram::new(exponential_buckets(1.0, 2.0, 11));
        registry.register(
            "scan_writer_group_size",
            "Scans committed together in one transaction",
            writer_group_size.clone(),
        );
        let writer_commit_seconds = latency_histogram();
        registry.register(
            "scan_writer_commit_duration_seconds",
            "Time to commit one group of scans, retries included",
            writer_commit_seconds.clone(),
        );
        let writer_queue_depth = Gauge::default();
        registry.register(
            "scan_writer_queue_depth",
            "Scans waiting for the writer when it last gathered a group",
            writer_queue_depth.clone(),
        );
        let writer_failed_groups = Counter::default();
        registry.register(
            "scan_writer_failed_groups",
            "Groups of scans that could not be stored after retries (answered 503)",
            writer_failed_groups.clone(),
        );
        let events = Family::<EventLabels, Counter>::default();
        registry.register(
            "events",
            "Events stored (landing views, clicks), by kind and action",
            events.clone(),
        );
        let event_writer_failed_groups = Counter::default();
        registry.register(
            "event_writer_failed_groups",
            "Groups of events that could not be stored after retries",
            event_writer_failed_groups.clone(),
        );
        let code_cache_lookups = Family::<LookupLabel, Counter>::default();
        registry.register(
            "code_cache_lookups",
            "Code lookups by the redirect: hit (from memory) or miss (from the database)",
            code_cache_lookups.clone(),
        );
        let code_cache_entries = Gauge::default();
        registry.register(
            "code_cache_entries",
            "Codes and unknown tokens held in memory",
            code_cache_entries.clone(),
        );
        let batch_codes_waiting = Gauge::default();
        registry.register(
            "batch_codes_waiting",
            "Codes of queued or generating batches not yet written",
            batch_codes_waiting.clone(),
        );
        let export_codes = Counter::default();
        registry.register(
            "export_codes",
            "Codes rendered into export files",
            export_codes.clone(),
        );
        Self {
            registry,
            http_requests,
            http_duration,
            scans,
            writer_group_size,
            writer_commit_seconds,
            writer_queue_depth,
            writer_failed_groups,
            events,
            event_writer_failed_groups,
            code_cache_lookups,
            code_cache_entries,
            batch_codes_waiting,
            export_codes,
        }
    }
}

impl Metrics {
    /// The OpenMetrics text exposition of every metric.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if let Err(err) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%err, "encoding metrics failed");
        }
        text
    }

    pub fn scan_stored(&self, outcome: &'static str, is_bot: bool) {
        let bot = if is_bot { "true" } else { "false" };
        self.scans.get_or_create(&ScanLabels { outcome, bot }).inc();
    }

    pub fn code_lookup(&self, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.code_cache_lookups
            .get_or_create(&LookupLabel { result })
            .inc();
    }
}
