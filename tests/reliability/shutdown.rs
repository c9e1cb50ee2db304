//! Graceful shutdown: in-flight streams complete, new connections are refused, the drain
//! deadline ends what is left, and the real binary does the same on SIGTERM.

use std::time::{Duration, Instant};

use braid::server::ServerOptions;
use braid::stream::{Engine, EngineConfig};
use tokio::net::TcpStream;

use super::{Braid, ms, open_until, read_to_end_or_reset};
use crate::util::{eventually, final_body, record, start_server_with};

/// Starts `n` recorded requests to `url` in the background.
fn spawn_clients(n: usize, url: &str) -> Vec<tokio::task::JoinHandle<crate::util::Recording>> {
    (0..n)
        .map(|_| {
            let url = url.to_string();
            tokio::spawn(async move { record(&url).await })
        })
        .collect()
}

/// Whether connecting to `addr` fails within `limit` (the listener is closed).
async fn connections_refused(addr: std::net::SocketAddr, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if TcpStream::connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(ms(10)).await;
    }
    false
}

/// The shutdown signal during 100 in-flight streams (sections pending for a second): every
/// stream completes with its full, well-formed document, no section times out, new
/// connections are refused once the signal is given, and `run` returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_completes_every_in_flight_stream() {
    let engine = Engine::default();
    let mut server = start_server_with(
        super::pages_on(&engine, &[0, 500, 1000]),
        engine.clone(),
        ServerOptions::default(),
    )
    .await;
    let clients = spawn_clients(100, &server.url("/"));
    assert!(
        eventually(Duration::from_secs(10), || engine.streams_in_flight()
            == 100)
        .await,
        "100 streams in flight (got {})",
        engine.streams_in_flight()
    );
    server.shutdown();
    assert!(
        connections_refused(server.addr, Duration::from_secs(2)).await,
        "new connections are refused after the signal"
    );
    for client in clients {
        let rec = client.await.expect("client task");
        assert_eq!(rec.status, 200);
        let body = rec.body();
        assert!(body.ends_with("</body></html>"), "well-formed:\n{body}");
        let done = final_body(&body);
        for i in 0..3 {
            assert!(
                done.contains(&format!("done-{i}")),
                "section {i} arrived:\n{done}"
            );
        }
        assert!(
            !done.contains("braid-timeout"),
            "nothing was cut short:\n{done}"
        );
    }
    let task = server.task.take().expect("server task");
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("run returns once the streams are done")
        .expect("server task")
        .expect("run");
    assert_eq!(engine.streams_in_flight(), 0);
    assert_eq!(engine.live_producers(), 0);
}

/// Sections far longer than the 300 ms drain deadline (30 s): at the deadline they get their
/// timeout views, every document still ends well-formed, and `run` returns long before the
/// sections would have finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drain_deadline_ends_streams_with_timeout_views() {
    let drain_deadline = ms(300);
    let engine = Engine::new(EngineConfig {
        page_deadline: Duration::from_secs(60),
        section_timeout: Duration::from_secs(60),
        ..EngineConfig::default()
    });
    let mut server = start_server_with(
        super::pages_on(&engine, &[0, 30_000]),
        engine.clone(),
        ServerOptions {
            drain_deadline,
            ..ServerOptions::default()
        },
    )
    .await;
    let clients = spawn_clients(10, &server.url("/"));
    assert!(eventually(Duration::from_secs(10), || engine.streams_in_flight() == 10).await);
    let signalled = Instant::now();
    server.shutdown();
    let task = server.task.take().expect("server task");
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("run returns soon after the drain deadline, not after 30 s")
        .expect("server task")
        .expect("run");
    let ran = signalled.elapsed();
    assert!(
        ran >= drain_deadline,
        "streams got the whole drain deadline ({ran:?})"
    );
    for client in clients {
        let rec = client.await.expect("client task");
        assert_eq!(rec.status, 200);
        let done = final_body(&rec.body());
        assert!(done.contains("done-0"), "{done}");
        assert!(
            done.contains("class=\"braid-timeout\"") && !done.contains("done-1"),
            "the 30 s section got its timeout view:\n{done}"
        );
    }
    assert!(eventually(Duration::from_secs(2), || engine.live_producers() == 0).await);
}

/// A real SIGTERM to `braid serve` while a dashboard stream waits 1.5 s for its revenue
/// section: the stream completes with the chart (not a timeout view), the document is
/// well-formed, and the process exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_binary_finish_its_stream_and_exit_0() {
    let mut braid = Braid::spawn(&["--demo-latency", "revenue=1500"]).await;
    let cookie = braid.sign_in().await;
    let shell_sent = "<?start name=\"b";
    let mut stream = open_until(braid.addr, "/dashboard", shell_sent, &cookie).await;
    braid.sigterm();
    let (rest, reset) =
        tokio::time::timeout(Duration::from_secs(20), read_to_end_or_reset(&mut stream))
            .await
            .expect("the stream ends");
    let rest = String::from_utf8_lossy(&rest);
    assert!(!reset, "the connection closes cleanly");
    assert!(
        rest.contains("</body></html>"),
        "the stream completes after SIGTERM:\n{rest}\n--- log:\n{}",
        braid.log()
    );
    assert!(
        rest.contains("<svg") && !rest.contains("braid-timeout"),
        "the revenue chart arrived:\n{rest}"
    );
    let status = braid.wait_exit(Duration::from_secs(15)).await;
    assert!(status.success(), "exit status {status}\n{}", braid.log());
    assert!(
        TcpStream::connect(braid.addr).await.is_err(),
        "nothing listens any more"
    );
}
