//! Limits that keep the server up under load and hostile clients: shedding streams beyond a
//! ceiling, or beyond the memory budget of responses in flight, with a fast 503, and
//! refusing over-long URLs with a 414.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};

use tower_http::compression::predicate::{DefaultPredicate, Predicate};

use super::budget::{self, MemoryBudget, Reserved, SendUncompressed};
use crate::stream::Engine;

/// What the limit middleware checks.
#[derive(Debug, Clone)]
pub struct Limits {
    pub engine: Engine,
    /// Streams in flight beyond which new requests are refused.
    pub max_streams: usize,
    /// What responses in flight may hold, priced by [`budget::price`].
    pub memory: MemoryBudget,
    /// Longest accepted request target (path and query), in bytes.
    pub max_uri_bytes: usize,
}

/// Middleware: 414 for an over-long URL; 503 with `Retry-After` when the server already
/// streams `max_streams` responses or the response would not fit in the memory budget (it
/// holds its share until its body ends), so overload answers in microseconds instead of
/// queueing without bound. Only page work is shed: monitoring (`/metrics`, `/healthz`) and static
/// files (`/assets/…`, `/favicon.ico`) stay answerable, so an overloaded server is seen as
/// one, and the pages it does serve keep their stylesheet.
pub async fn enforce(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let target_len = request
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if target_len > limits.max_uri_bytes {
        return (
            StatusCode::URI_TOO_LONG,
            format!("URL longer than {} bytes", limits.max_uri_bytes),
        )
            .into_response();
    }
    if never_shed(request.uri().path()) {
        return next.run(request).await;
    }
    if limits.engine.streams_in_flight() >= limits.max_streams {
        return at_capacity();
    }
    let price = budget::price(request.headers());
    let Some(mut reservation) = limits.memory.reserve(price.stream) else {
        return at_capacity();
    };
    let mut response = next.run(request).await;
    // A response of known length that the outer compression layer will take holds the
    // default quality's compressor while it is written (see `budget`).
    let extra = price.document.saturating_sub(price.stream);
    if extra > 0
        && !super::is_streamed(&response)
        && DefaultPredicate::new().should_compress(&response)
        && !reservation.try_grow(extra)
    {
        response.extensions_mut().insert(SendUncompressed);
    }
    response.map(|body| Reserved::wrap(body, reservation))
}

/// `503` with `Retry-After: 1`, counted in `braid_shed_requests_total`.
fn at_capacity() -> Response {
    metrics::counter!("braid_shed_requests_total").increment(1);
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "1")],
        "The server is at capacity; try again in a second.",
    )
        .into_response()
}

/// Paths that cost no stream and little work: answered even beyond `max_streams`.
fn never_shed(path: &str) -> bool {
    matches!(path, "/metrics" | "/healthz" | "/favicon.ico") || path.starts_with("/assets/")
}

#[cfg(test)]
mod tests {
    use super::never_shed;

    #[test]
    fn only_monitoring_and_static_files_are_never_shed() {
        for path in ["/metrics", "/healthz", "/favicon.ico", "/assets/style.css"] {
            assert!(never_shed(path), "{path}");
        }
        for path in ["/", "/dashboard", "/metrics/x", "/assetsx", "/bench/s1"] {
            assert!(!never_shed(path), "{path}");
        }
    }
}
