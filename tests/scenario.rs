//! The reference scenario's pages (`SCENARIO.md`): `/bench/s1` streams three sections at 50,
//! 100 and 150 ms in that order after an immediate shell; `/bench/s0` is the same document
//! with no waiting, and `/bench/s0-static` its bytes rendered once.

use braid::app::pages::bench;
use braid::stream::Engine;

use crate::util::{final_body, record, start_server};

async fn bench_server() -> crate::util::TestServer {
    let engine = Engine::default();
    start_server(bench::router::<Engine>().with_state(engine.clone()), engine).await
}

#[tokio::test]
async fn s1_streams_the_shell_then_sections_in_order() {
    let server = bench_server().await;
    let rec = record(&server.url("/bench/s1")).await;
    assert_eq!(rec.status, 200);
    let shell = &rec.chunks[0].1;
    let shell = std::str::from_utf8(shell).expect("utf-8");
    for expected in ["<!doctype html>", "<title>S1</title>", "<h1>Dashboard</h1>"] {
        assert!(shell.contains(expected), "{expected} in the shell");
    }
    let nav = &shell[shell.find("<nav>").expect("nav")..shell.find("</nav>").expect("/nav")];
    assert_eq!(nav.matches("<a href=").count(), 5, "a nav of 5 links");
    assert_eq!(
        shell
            .matches("<div class=\"skeleton\">Loading…</div>")
            .count(),
        3
    );
    let arrivals = ["Section 1", "Section 2", "Section 3"].map(|s| rec.arrival(s));
    assert!(rec.arrival("<h1>Dashboard</h1>") < arrivals[0]);
    assert!(arrivals[0] < arrivals[1] && arrivals[1] < arrivals[2]);
    assert!(
        rec.total.as_secs_f64() < 0.8 * 0.300,
        "total {:?} near the slowest section (150 ms), not the sum (300 ms)",
        rec.total
    );
    let body = final_body(&rec.body());
    assert_eq!(body.matches("<tr>").count(), 60);
    assert!(body.contains(
        "<td>20</td><td>Customer 20</td><td>customer20@example.com</td><td>$1,234.56</td>"
    ));
}

#[tokio::test]
async fn s0_is_the_same_document_ready_at_once() {
    let server = bench_server().await;
    let s1 = final_body(&record(&server.url("/bench/s1")).await.body());
    let s0 = record(&server.url("/bench/s0")).await.body();
    assert!(
        !s0.contains("<script") && !s0.contains("<template"),
        "one plain document"
    );
    assert_eq!(final_body(&s0), s1);
    let precomputed = record(&server.url("/bench/s0-static")).await.body();
    assert_eq!(precomputed, s0);
}

/// `/bench/many`: `n` sections, ready at once (one document) or each after `delay` ms (all
/// streamed, every one in the final document); limits answered with a 400.
#[tokio::test]
async fn many_sections_ready_or_streamed() {
    let server = bench_server().await;
    let ready = record(&server.url("/bench/many?n=40")).await;
    assert_eq!(ready.status, 200);
    assert!(!ready.body().contains("<template"), "one document");
    let streamed = record(&server.url("/bench/many?n=40&delay=30")).await;
    let body = final_body(&streamed.body());
    for k in 0..40 {
        assert!(
            body.contains(&format!("<li>Section {k}</li>")),
            "section {k}"
        );
    }
    assert!(!body.contains("skeleton"), "every fallback replaced");
    assert_eq!(final_body(&ready.body()), body);
    for refused in [
        "/bench/many?n=1001",
        "/bench/many?n=1&delay=5000",
        "/bench/many",
    ] {
        assert_eq!(record(&server.url(refused)).await.status, 400, "{refused}");
    }
}
