//! Shedding load beyond `max_streams`, and beyond the memory budget of responses in flight.

use std::time::Duration;

use braid::server::{PLAIN_RESPONSE_BYTES, ServerOptions};
use braid::stream::Engine;

use crate::util::{
    Recording, TestServer, eventually, final_body, record, record_with, start_server_with,
};

/// How long `/` holds its stream: its one section takes this long.
const SECTION_MS: u64 = 2000;

/// A server with `options` whose `/` holds a stream for [`SECTION_MS`] and `/small` is
/// ready at once, and its engine (to watch the streams in flight).
async fn start_holding(options: ServerOptions) -> (Engine, TestServer) {
    let engine = Engine::default();
    let pages = super::pages_on(&engine, &[SECTION_MS]);
    let server = start_server_with(pages, engine.clone(), options).await;
    (engine, server)
}

/// Opens `count` held streams on `/` with `headers` and waits until all are in flight; the
/// handles give each stream's recording once it ends.
async fn hold(
    engine: &Engine,
    server: &TestServer,
    count: usize,
    headers: &'static [(&'static str, &'static str)],
) -> Vec<tokio::task::JoinHandle<Recording>> {
    let url = server.url("/");
    let held: Vec<_> = (0..count)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { record_with(&url, headers).await })
        })
        .collect();
    assert!(
        eventually(Duration::from_secs(5), || engine.streams_in_flight()
            == count)
        .await,
        "{count} streams in flight"
    );
    held
}

/// Overload: with `max_streams` = 5 and five 2 s streams open, a sixth request gets a 503
/// with `Retry-After` in a small fraction of those 2 s, while `/metrics` and `/healthz` still
/// answer (monitoring does not go blind); the five still complete well-formed, and once they
/// are done a new request succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_max_streams_requests_get_a_fast_503_then_recover() {
    let options = ServerOptions {
        max_streams: 5,
        ..ServerOptions::default()
    };
    let (engine, server) = start_holding(options).await;
    let held = hold(&engine, &server, 5, &[]).await;

    let refused = record(&server.url("/small")).await;
    assert_eq!(refused.status, 503, "{}", refused.body());
    let retry_after: u64 = refused
        .header("retry-after")
        .parse()
        .expect("Retry-After in seconds");
    assert!(retry_after >= 1);
    assert!(
        refused.total < Duration::from_millis(SECTION_MS) / 4,
        "the 503 is fast ({:?}), it does not wait for a slot",
        refused.total
    );
    assert_eq!(engine.streams_in_flight(), 5, "the 503 took no slot");
    for path in ["/metrics", "/healthz"] {
        let rec = record(&server.url(path)).await;
        assert_eq!(rec.status, 200, "{path} beyond max_streams: {}", rec.body());
    }
    assert_eq!(record(&server.url("/healthz")).await.body(), "ok\n");

    for held in held {
        let rec = held.await.expect("held request");
        assert_eq!(rec.status, 200);
        assert!(final_body(&rec.body()).contains("done-0"), "{}", rec.body());
    }
    assert!(eventually(Duration::from_secs(2), || engine.streams_in_flight() == 0).await);
    super::assert_serves(&server.url("/small")).await;
}

/// The memory budget prices a response by what it holds: a compressed stream holds no
/// compressor (it is compressed chunk by chunk), so with room for three plain responses
/// three browser streams (brotli) are held and a fourth request gets a fast 503; when they
/// end, the budget is whole again, and a page of known length, whose default-quality
/// compressor would not fit, goes out uncompressed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_streams_count_what_they_hold_against_the_budget() {
    const BROWSER: &[(&str, &str)] = &[("accept-encoding", "br")];
    let options = ServerOptions {
        stream_memory: 3 * PLAIN_RESPONSE_BYTES,
        ..ServerOptions::default()
    };
    let (engine, server) = start_holding(options).await;
    let held = hold(&engine, &server, 3, BROWSER).await;
    let refused = record_with(&server.url("/small"), BROWSER).await;
    assert_eq!(refused.status, 503, "{}", refused.body());
    assert_eq!(refused.header("retry-after"), "1");
    assert!(
        refused.total < Duration::from_millis(SECTION_MS) / 4,
        "the 503 is fast: {:?}",
        refused.total
    );
    for held in held {
        let rec = held.await.expect("held request");
        assert_eq!(rec.status, 200);
        assert_eq!(rec.header("content-encoding"), "br");
    }
    assert!(eventually(Duration::from_secs(2), || engine.streams_in_flight() == 0).await);
    let again = record_with(&server.url("/small"), BROWSER).await;
    assert_eq!(again.status, 200, "the budget is whole again");
    // A response of known length would hold brotli's default-quality compressor, which
    // this budget has no room for: it is sent uncompressed rather than over the budget.
    assert!(
        again.headers.get("content-encoding").is_none(),
        "{:?}",
        again.headers
    );
    assert!(final_body(&again.body()).contains("small-done"));
}
