//! `/metrics` in the Prometheus text format, and the per-request counter behind it.
//!
//! The engine records its histograms and counters through the `metrics` facade; this module
//! installs the one process-wide Prometheus recorder and serves what it has gathered.

use std::sync::{LazyLock, OnceLock, RwLock};
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use metrics::Counter;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use rustc_hash::FxHashMap;

use crate::stream::Engine;

/// Buckets in seconds: streamed pages live between a fraction of a millisecond (a ready
/// section) and the page deadline (10 s by default).
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide recorder; the first call installs it (a process has one `metrics`
/// recorder, and tests start many servers in one process).
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new().set_buckets(LATENCY_BUCKETS).ok()?;
            match builder.install_recorder() {
                Ok(handle) => {
                    spawn_upkeep(handle.clone());
                    Some(handle)
                }
                Err(error) => {
                    tracing::warn!(%error, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

/// How often histogram samples are folded into their buckets.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The recorder keeps every histogram sample until upkeep folds it into the buckets; without
/// it, a server nobody scrapes grows by every sample it records (a two-minute soak grew by
/// tens of MB). A plain thread, because the recorder outlives any one tokio runtime.
fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_INTERVAL);
                handle.run_upkeep();
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "metrics upkeep thread not started; histograms grow until scraped");
    }
}

/// `GET /metrics`.
pub async fn render(State(engine): State<Engine>) -> Response {
    let Some(handle) = handle() else {
        return (
            http::StatusCode::SERVICE_UNAVAILABLE,
            "metrics are not available",
        )
            .into_response();
    };
    metrics::gauge!("braid_streams_in_flight").set(engine.streams_in_flight() as f64);
    metrics::gauge!("braid_live_producers").set(engine.live_producers() as f64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}

/// Middleware, as a `route_layer` (where axum knows the route): puts the matched route
/// into the response's extensions, where [`count_response`], outside every router and
/// every other layer, reads it.
pub async fn remember_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// Counts `response` by route ([`remember_route`]; `unmatched` for a response no route
/// made: a 404, a request shed at capacity) and by its final status.
pub fn count_response<B>(response: http::Response<B>) -> http::Response<B> {
    let route = response
        .extensions()
        .get::<MatchedPath>()
        .map_or(crate::stream::UNMATCHED_ROUTE, MatchedPath::as_str);
    request_counter(route, response.status()).increment(1);
    response
}

/// Counters by route, then status. Registering a labelled counter with the recorder copies
/// its labels each time; this lookup does not. Routes and statuses are a small fixed set.
static REQUEST_COUNTERS: LazyLock<RwLock<FxHashMap<String, FxHashMap<u16, Counter>>>> =
    LazyLock::new(RwLock::default);

fn request_counter(route: &str, status: StatusCode) -> Counter {
    if let Ok(routes) = REQUEST_COUNTERS.read()
        && let Some(counter) = routes
            .get(route)
            .and_then(|by_status| by_status.get(&status.as_u16()))
    {
        return counter.clone();
    }
    let counter = metrics::counter!(
        "braid_http_requests_total",
        "route" => route.to_owned(),
        "status" => status.as_str().to_owned()
    );
    if let Ok(mut routes) = REQUEST_COUNTERS.write() {
        routes
            .entry(route.to_owned())
            .or_default()
            .insert(status.as_u16(), counter.clone());
    }
    counter
}
