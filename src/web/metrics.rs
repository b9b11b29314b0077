//! `/metrics`: one instance's figures in the Prometheus text format
//! (prometheus-client): requests by method, route template and status, their
//! latency, submissions stored and recognised as retries, the database pool's
//! use and the analytics snapshot's age. Scraped from the host itself or a
//! trusted proxy only (anyone else gets 404): the figures say how busy each
//! office's kiosks are.

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant, SystemTime};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route's template (`/console/cases/{case_no}`), never the path
    /// itself: the label's values stay few.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoredLabels {
    /// `new` or `retry` (an idempotency key seen before: nothing written).
    outcome: String,
}

type Histograms = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Histograms,
    stored: Family<StoredLabels, Counter>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    snapshot_age: Gauge<f64, AtomicU64>,
    batch_sizes: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("manyi");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Histograms = Family::new_with_constructor(latency_histogram);
        let stored = Family::<StoredLabels, Counter>::default();
        let (pool_connections, pool_idle, pool_max) =
            (Gauge::default(), Gauge::default(), Gauge::default());
        let snapshot_age = Gauge::<f64, AtomicU64>::default();
        // 1, 2, 4 … 1024 submissions per transaction.
        let batch_sizes = Histogram::new(exponential_buckets(1.0, 2.0, 11));
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route template",
            latency.clone(),
        );
        registry.register(
            "submissions",
            "Questionnaire submissions acknowledged: new (stored) or retry (a key seen before)",
            stored.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database connections open in the pool",
            pool_connections.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Open database connections not in use",
            pool_idle.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "The pool's largest size",
            pool_max.clone(),
        );
        registry.register(
            "snapshot_age_seconds",
            "Seconds since the analytics snapshot was last written (-1: none yet)",
            snapshot_age.clone(),
        );
        registry.register(
            "submission_batch_size",
            "Submissions written per transaction by the group-commit writer",
            batch_sizes.clone(),
        );
        Metrics {
            batch_sizes,
            registry,
            requests,
            latency,
            stored,
            pool_connections,
            pool_idle,
            pool_max,
            snapshot_age,
        }
    }

    fn observe(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// A submission acknowledged: stored now, or a retry of one stored before.
    pub fn submission(&self, retry: bool) {
        let outcome = if retry { "retry" } else { "new" };
        self.stored
            .get_or_create(&StoredLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Records each group-commit batch's size.
    pub fn batch_observer(&self) -> crate::survey::BatchObserver {
        let h = self.batch_sizes.clone();
        std::sync::Arc::new(move |n| h.observe(n as f64))
    }

    /// The text exposition, with the gauges read now.
    fn render(&self, state: &AppState) -> Result<String, std::fmt::Error> {
        let pool = state.pool.state();
        self.pool_connections.set(i64::from(pool.connections));
        self.pool_idle.set(i64::from(pool.idle_connections));
        self.pool_max.set(i64::from(state.pool.max_size()));
        self.snapshot_age.set(
            newest_write(&state.analytics.source.snapshot_dir)
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .map_or(-1.0, |d| d.as_secs_f64()),
        );
        let mut out = String::new();
        encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// The latest modification time of the files in `dir` and its direct
/// subdirectories (the snapshot's parts).
fn newest_write(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        let times: Vec<SystemTime> = if meta.is_dir() {
            std::fs::read_dir(entry.path())
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| e.metadata().ok()?.modified().ok())
                .collect()
        } else {
            meta.modified().ok().into_iter().collect()
        };
        newest = times.into_iter().chain(newest).max();
    }
    newest
}

/// Middleware: counts every request and times it, under its route template.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let result = next.call(req).await;
    if let Some(state) = state {
        let (route, status) = match &result {
            Ok(res) => (res.request().match_pattern(), res.status().as_u16()),
            Err(e) => (None, e.as_response_error().status_code().as_u16()),
        };
        let route = route.unwrap_or_else(|| "unmatched".to_owned());
        state
            .metrics
            .observe(&method, &route, status, started.elapsed());
    }
    result
}

/// `GET /metrics`, for the host itself and the trusted proxies.
pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let peer = req.peer_addr().map(|a| a.ip());
    let allowed = peer.is_some_and(|ip| {
        ip.is_loopback() || state.proxy.trusted.iter().any(|net| net.contains(&ip))
    });
    if !allowed {
        return HttpResponse::NotFound().finish();
    }
    match state.metrics.render(&state) {
        Ok(text) => HttpResponse::Ok()
            .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .body(text),
        Err(e) => {
            tracing::error!(error = %e, "metrics not encoded");
            HttpResponse::InternalServerError().finish()
        }
    }
}
