//! What an operator sees: Prometheus metrics at `/metrics` and the `?debug=timeline`
//! waterfall.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use braid::stream::{Engine, EngineConfig, Page, Shell};
use maud::html;
use tokio::time::sleep;

use crate::reliability::Braid;
use crate::util::{record, record_with, start_server};

fn timed_page(engine: &Engine, path: &str) -> Router {
    Router::new()
        .route(
            path,
            get(|page: Page| async move {
                let fast = page
                    .section(html! { "…" }, async {
                        sleep(Duration::from_millis(20)).await;
                        Ok::<_, Infallible>(html! { p { "fast" } })
                    })
                    .name("fast");
                let slow = page
                    .section(html! { "…" }, async {
                        sleep(Duration::from_secs(30)).await;
                        Ok::<_, Infallible>(html! { p { "never" } })
                    })
                    .name("slow")
                    .timeout(Duration::from_millis(80));
                page.render(Shell {
                    head: html! {},
                    body: html! { (fast) (slow) },
                })
            }),
        )
        .with_state(engine.clone())
}

/// Section latency by page, section and outcome; shell flush latency; request counts by
/// status; the live gauges.
#[tokio::test]
async fn metrics_describe_sections_and_requests() {
    let engine = Engine::default();
    let server = start_server(timed_page(&engine, "/observed-page"), engine).await;
    assert_eq!(record(&server.url("/observed-page")).await.status, 200);
    let text = record(&server.url("/metrics")).await.body();
    for expected in [
        r#"braid_section_duration_seconds_count{page="/observed-page",section="fast",outcome="ok"} 1"#,
        r#"braid_sections_total{page="/observed-page",section="slow",outcome="timeout"} 1"#,
        r#"braid_shell_flush_seconds_count{page="/observed-page"} 1"#,
        r#"braid_http_requests_total{route="/observed-page",status="200"} 1"#,
        "braid_streams_in_flight ",
        "braid_live_producers ",
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
}

/// A page rendered by a fallback handler (no route matched) is named `unmatched` in the
/// metrics, whatever the path: paths from outside never become labels.
#[tokio::test]
async fn unmatched_paths_share_one_page_label() {
    let engine = Engine::default();
    let router = Router::new()
        .fallback(|page: Page| async move {
            let late = page
                .section(html! { "…" }, async {
                    sleep(Duration::from_millis(10)).await;
                    Ok::<_, Infallible>(html! { p { "not found, streamed" } })
                })
                .name("late");
            page.render(Shell {
                head: html! {},
                body: html! { (late) },
            })
        })
        .with_state(engine.clone());
    let server = start_server(router, engine).await;
    for path in ["/no-such-page-1", "/no-such-page-2"] {
        assert_eq!(record(&server.url(path)).await.status, 200);
    }
    let text = record(&server.url("/metrics")).await.body();
    assert!(!text.contains("no-such-page"), "{text}");
    assert!(
        text.contains(r#"braid_sections_total{page="unmatched",section="late",outcome="ok"}"#),
        "{text}"
    );
}

/// `?debug=timeline` appends one bar per section, the shell flush and the totals, but only
/// when the server allows it.
#[tokio::test]
async fn debug_timeline_shows_each_section_when_enabled() {
    let enabled = Engine::new(EngineConfig {
        debug_timeline: true,
        ..EngineConfig::default()
    });
    let server = start_server(timed_page(&enabled, "/"), enabled).await;
    let body = record(&server.url("/?debug=timeline")).await.body();
    let timeline = &body[body.find("braid-timeline").expect("timeline")..];
    assert_eq!(timeline.matches("<rect").count(), 2);
    assert!(timeline.contains("fast: ok") && timeline.contains("slow: timeout"));
    assert!(timeline.contains("Page total") && timeline.contains("shell flushed at"));
    assert!(body.ends_with("</section></body></html>"));

    let disabled = Engine::default();
    let server = start_server(timed_page(&disabled, "/"), disabled).await;
    let body = record(&server.url("/?debug=timeline")).await.body();
    assert!(!body.contains("braid-timeline"));
}

/// Each section runs in a `section` span that ends up carrying its page, name, outcome and
/// latency; the JSON log line of its settlement shows them. Read from the real binary's log
/// (`--log-format json`, `RUST_LOG=braid=debug`): tracing caches which call sites are on per
/// process, so a subscriber set for one test thread is not a reliable witness.
#[tokio::test]
async fn each_section_has_a_span_with_name_outcome_and_latency() {
    let flags = [
        "--log-format",
        "json",
        "--section-timeout",
        "200ms",
        "--demo-latency",
        "revenue=5000",
    ];
    let braid = Braid::spawn_logging(&flags, "braid=debug").await;
    let cookie = braid.sign_in().await;
    let dashboard = record_with(&braid.url("/dashboard"), &[("cookie", &cookie)]).await;
    assert_eq!(dashboard.status, 200);
    let log = braid.log();
    let spans: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["fields"]["message"] == "section settled")
        .map(|line| line["span"].clone())
        .collect();
    assert_eq!(spans.len(), 3, "three dashboard sections:\n{log}");
    for (name, outcome) in [("cards", "ok"), ("latest", "ok"), ("revenue", "timeout")] {
        let span = spans
            .iter()
            .find(|span| span["section"] == name)
            .unwrap_or_else(|| panic!("no span for {name}:\n{log}"));
        assert_eq!(span["name"], "section");
        assert_eq!(span["page"], "/dashboard");
        assert_eq!(span["outcome"], outcome, "{span}");
        assert!(span["latency_ms"].as_f64().is_some(), "{span}");
    }
}

/// A log written to a file (stdout not a terminal) is plain text: no ANSI colour codes,
/// which would garble it in any viewer but a terminal.
#[tokio::test]
async fn a_log_to_a_file_has_no_colour_codes() {
    let braid = Braid::spawn_logging(&["--demo-latency", "revenue=50"], "braid=debug").await;
    let cookie = braid.sign_in().await;
    let dashboard = record_with(&braid.url("/dashboard"), &[("cookie", &cookie)]).await;
    assert_eq!(dashboard.status, 200);
    let log = braid.log();
    assert!(
        log.contains("section settled"),
        "a debug line per section:\n{log}"
    );
    assert!(log.contains("DEBUG"), "levels written:\n{log}");
    assert!(
        !log.contains('\u{1b}'),
        "escape codes in the log file:\n{log}"
    );
}

/// The dashboard's cached sections in `/metrics` (lookups by section and result) and on the
/// timeline (`cache miss`, then `cache hit`); a restart loses nothing but warmth: the same
/// session, the same figures, every section a miss again.
#[tokio::test]
async fn cached_sections_are_counted_marked_and_survive_a_restart_cold() {
    let mut braid = Braid::spawn(&["--debug-timeline"]).await;
    let cookie = braid.sign_in().await;
    let dashboard = |braid: &Braid| {
        let (url, cookie) = (braid.url("/dashboard?debug=timeline"), cookie.clone());
        async move {
            let body = record_with(&url, &[("cookie", &cookie)]).await.body();
            let figures = crate::util::final_body(&body)
                .split("class=\"card-value\">")
                .skip(1)
                .map(|rest| rest.split('<').next().unwrap_or_default().to_string())
                .collect::<Vec<_>>();
            (body, figures)
        }
    };
    let (first, figures) = dashboard(&braid).await;
    assert_eq!(figures.len(), 4, "{first}");
    assert_eq!(first.matches("cache miss").count(), 3, "{first}");
    let (second, again) = dashboard(&braid).await;
    assert_eq!(again, figures);
    assert_eq!(second.matches("cache hit").count(), 3, "{second}");
    let metrics = record(&braid.url("/metrics")).await.body();
    for expected in [
        r#"braid_section_cache_total{section="cards",result="miss"} 1"#,
        r#"braid_section_cache_total{section="cards",result="hit"} 1"#,
        r#"braid_section_cache_total{section="revenue",result="hit"} 1"#,
        r#"braid_section_cache_total{section="latest",result="miss"} 1"#,
    ] {
        assert!(
            metrics.contains(expected),
            "missing {expected} in:\n{metrics}"
        );
    }

    braid.restart().await;
    let (cold, after) = dashboard(&braid).await;
    assert_eq!(after, figures, "the same figures, the same session");
    assert_eq!(cold.matches("cache miss").count(), 3, "{cold}");
}
