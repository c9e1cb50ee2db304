//! The engine over real sockets: shell first, completion order, total ≈ slowest, failure
//! isolation, cancellation, shared resources, nested sections, hostile content.
//!
//! Timing assertions compare orders and ratios, never absolute wall times.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use braid::stream::{Engine, EngineConfig, Mode, Page, ResourceError, Shell};
use futures::StreamExt;
use maud::{Markup, PreEscaped, html};
use tokio::time::sleep;

use crate::util::{CapturedLog, eventually, final_body, record, record_with, start_server};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A page whose section `i` sleeps `delays[i]` ms then renders `done-i`.
pub fn delayed_sections(delays: &'static [u64]) -> Router {
    let engine = Engine::default();
    Router::new()
        .route(
            "/",
            get(move |page: Page| async move { delayed_page(page, delays) }),
        )
        .with_state(engine)
}

pub fn delayed_page(page: Page, delays: &[u64]) -> axum::response::Response {
    let slots: Vec<_> = delays
        .iter()
        .enumerate()
        .map(|(i, &delay)| {
            page.section(html! { p.skeleton { "loading-" (i) } }, async move {
                if delay > 0 {
                    sleep(ms(delay)).await;
                }
                Ok::<_, Infallible>(html! { p { "done-" (i) } })
            })
        })
        .collect();
    page.render(Shell {
        head: html! { title { "test" } },
        body: html! { h1 { "Shell heading" } main { @for slot in &slots { (slot) } } },
    })
}

/// The shell, with every fallback, arrives before the fastest section resolves, in its own
/// chunk; sections then arrive in completion order, not document order.
#[tokio::test]
async fn shell_first_then_sections_in_completion_order() {
    let server = start_server(delayed_sections(&[300, 100, 200]), Engine::default()).await;
    let rec = record(&server.url("/")).await;
    assert_eq!(rec.status, 200);
    let shell = rec.arrival("Shell heading");
    assert_eq!(
        shell,
        rec.arrival("loading-2"),
        "all fallbacks are in the shell"
    );
    let (first, second, third) = (
        rec.arrival("done-1"),
        rec.arrival("done-2"),
        rec.arrival("done-0"),
    );
    assert!(
        shell < first,
        "shell {shell:?} before the fastest section {first:?}"
    );
    assert!(
        first < second && second < third,
        "completion order: {first:?} {second:?} {third:?}"
    );
    assert!(
        rec.chunks.len() >= 4,
        "shell and three sections are separate chunks"
    );
}

/// Over HTTP/2 (cleartext, prior knowledge) the page streams the same way: shell first, then
/// each section in its own DATA frames as it resolves.
#[tokio::test]
async fn http2_streams_too() {
    let server = start_server(delayed_sections(&[100, 300]), Engine::default()).await;
    let h2 = reqwest::Client::builder()
        .no_proxy()
        .http2_prior_knowledge()
        .build()
        .expect("h2 client");
    let rec = crate::util::record_on(&h2, &server.url("/"), &[]).await;
    assert_eq!(rec.status, 200);
    assert!(rec.arrival("Shell heading") < rec.arrival("done-0"));
    assert!(rec.arrival("done-0") < rec.arrival("done-1"));
    assert_eq!(final_body(&rec.body()).matches("done-").count(), 2);
}

/// A thousand streams over eight HTTP/2 connections (125 each, multiplexed): every page
/// completes, and each streams its sections at their own times, not bunched at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_http2_streams_over_eight_connections_each_on_time() {
    let server = start_server(delayed_sections(&[100, 300]), Engine::default()).await;
    let url = server.url("/");
    let mut connections = Vec::new();
    for _ in 0..8 {
        let h2 = reqwest::Client::builder()
            .no_proxy()
            .http2_prior_knowledge()
            .build()
            .expect("h2 client");
        // The connection first, so that the 125 requests share it.
        assert_eq!(crate::util::record_on(&h2, &url, &[]).await.status, 200);
        connections.push(h2);
    }
    let started = std::time::Instant::now();
    let url = url.as_str();
    let streams = connections.iter().flat_map(|h2| {
        (0..125).map(move |_| async move { crate::util::record_on(h2, url, &[]).await })
    });
    let recordings = futures::future::join_all(streams).await;
    let wall = started.elapsed();
    let mut gaps = Vec::new();
    for rec in &recordings {
        assert_eq!(rec.status, 200);
        assert_eq!(final_body(&rec.body()).matches("done-").count(), 2);
        let (first, second) = (rec.arrival("done-0"), rec.arrival("done-1"));
        assert!(rec.arrival("Shell heading") < first && first < second);
        gaps.push(second - first);
    }
    gaps.sort();
    // The sections are 200 ms apart by design; bunched at the end they would be 0 apart.
    assert!(
        gaps[gaps.len() / 2] >= ms(100),
        "median gap between a stream's sections {:?}",
        gaps[gaps.len() / 2]
    );
    // Concurrent: a thousand 300 ms pages in a few times one, not 125 after each other.
    assert!(wall < ms(300) * 10, "1,000 streams took {wall:?}");
}

/// All producers run concurrently: 200+300+200 ms of work completes in about the slowest
/// (300 ms), far below the sum (700 ms).
#[tokio::test]
async fn total_time_is_the_slowest_section_not_the_sum() {
    let server = start_server(delayed_sections(&[200, 300, 200]), Engine::default()).await;
    let rec = record(&server.url("/")).await;
    let slowest = ms(300);
    let sum = ms(700);
    assert!(rec.total >= slowest);
    assert!(
        rec.total.as_secs_f64() < 0.7 * sum.as_secs_f64(),
        "total {:?} must be near the slowest section, not the sum",
        rec.total
    );
    assert!(rec.body().ends_with("</body></html>"));
}

/// A section ready when the shell is written is spliced in: no marker, no script.
#[tokio::test]
async fn ready_sections_are_spliced_into_the_shell() {
    let server = start_server(delayed_sections(&[0, 0]), Engine::default()).await;
    let body = record(&server.url("/")).await.body();
    assert!(
        body.contains("<main><p>done-0</p><p>done-1</p></main>"),
        "{body}"
    );
    assert!(!body.contains("<template"));
    assert!(!body.contains("<template for"));
}

#[derive(Debug)]
struct Boom;
impl std::fmt::Display for Boom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("secret database password in error message")
    }
}

fn failing_page(page: Page) -> axum::response::Response {
    let ok = page.section(html! { "…" }, async {
        sleep(ms(100)).await;
        Ok::<_, Boom>(html! { p { "ok-section" } })
    });
    let failed = page.section(html! { "…" }, async {
        sleep(ms(20)).await;
        Err::<Markup, _>(Boom)
    });
    let panicked = page.section(html! { "…" }, async {
        sleep(ms(20)).await;
        if true {
            panic!("producer bug");
        }
        Ok::<_, Boom>(html! {})
    });
    let slow = page
        .section(html! { "…" }, async {
            sleep(Duration::from_secs(30)).await;
            Ok::<_, Boom>(html! { "never" })
        })
        .timeout(ms(50));
    let custom = page
        .section(html! { "…" }, async { Err::<Markup, _>(Boom) })
        .on_error(|id| html! { p.custom { "custom error view " (id) } });
    page.render(Shell {
        head: html! {},
        body: html! { (ok) (failed) (panicked) (slow) (custom) },
    })
}

/// Err, panic and timeout each render their view; the page is a 200 and the other sections
/// still arrive. The error's message goes to the log, never to the page.
#[tokio::test]
async fn failures_are_isolated_to_their_section() {
    let engine = Engine::default();
    let router = Router::new()
        .route("/", get(|page: Page| async move { failing_page(page) }))
        .with_state(engine.clone());
    let server = start_server(router, engine).await;
    let rec = record(&server.url("/")).await;
    assert_eq!(rec.status, 200);
    let body = final_body(&rec.body());
    assert!(body.contains("ok-section"));
    assert_eq!(body.matches("class=\"braid-error\"").count(), 2, "{body}");
    assert_eq!(body.matches("class=\"braid-timeout\"").count(), 1);
    assert!(body.contains("custom error view "));
    assert!(!rec.body().contains("secret database password"));
    assert!(!rec.body().contains("producer bug"));
    assert!(rec.arrival("braid-timeout") < rec.arrival("ok-section"));
}

/// The page deadline ends the response cleanly: every pending section gets its timeout view
/// and the document is complete.
#[tokio::test]
async fn page_deadline_settles_every_pending_section() {
    let engine = Engine::new(EngineConfig {
        page_deadline: ms(200),
        ..EngineConfig::default()
    });
    let router = Router::new()
        .route(
            "/",
            get(|page: Page| async move { delayed_page(page, &[20, 30_000, 30_000]) }),
        )
        .with_state(engine.clone());
    let server = start_server(router, engine.clone()).await;
    let rec = record(&server.url("/")).await;
    let body = final_body(&rec.body());
    assert!(body.contains("done-0"));
    assert_eq!(body.matches("braid-timeout").count(), 2);
    assert!(rec.body().ends_with("</body></html>"));
    assert!(rec.total < ms(30_000) / 10);
    assert!(eventually(ms(2000), || engine.live_producers() == 0).await);
}

/// A client that leaves after the shell drops every pending producer of its request.
#[tokio::test]
async fn disconnect_after_shell_cancels_every_producer() {
    let engine = Engine::default();
    let router = Router::new()
        .route(
            "/",
            get(|page: Page| async move { delayed_page(page, &[10_000, 10_000, 10_000]) }),
        )
        .with_state(engine.clone());
    let server = start_server(router, engine.clone()).await;
    let response = crate::util::client()
        .get(server.url("/"))
        .send()
        .await
        .unwrap();
    let mut body = response.bytes_stream();
    let shell = body.next().await.unwrap().unwrap();
    assert!(std::str::from_utf8(&shell).unwrap().contains("loading-2"));
    assert_eq!(engine.live_producers(), 3);
    assert_eq!(engine.streams_in_flight(), 1);
    drop(body);
    assert!(
        eventually(ms(2000), || engine.live_producers() == 0).await,
        "producers still alive: {}",
        engine.live_producers()
    );
    assert!(eventually(ms(2000), || engine.streams_in_flight() == 0).await);
}

/// Returning without rendering (a 404 after registering sections) cancels them too.
#[tokio::test]
async fn a_page_dropped_before_render_cancels_its_sections() {
    let engine = Engine::default();
    let router = Router::new()
        .route(
            "/",
            get(|page: Page| async move {
                let _slot = page.section(html! {}, async {
                    sleep(Duration::from_secs(10)).await;
                    Ok::<_, Infallible>(html! {})
                });
                axum::http::StatusCode::NOT_FOUND
            }),
        )
        .with_state(engine.clone());
    let server = start_server(router, engine.clone()).await;
    assert_eq!(record(&server.url("/")).await.status, 404);
    assert!(eventually(ms(2000), || engine.live_producers() == 0).await);
}

/// A resource awaited by two sections runs once; a section that does not await it does not
/// wait for it.
#[tokio::test]
async fn a_shared_resource_runs_once_and_only_its_dependents_wait() {
    let runs = Arc::new(AtomicUsize::new(0));
    let engine = Engine::default();
    let counter = runs.clone();
    let router = Router::new()
        .route(
            "/",
            get(move |page: Page| {
                let runs = counter.clone();
                async move {
                    let customer = page.resource(async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        sleep(ms(300)).await;
                        Ok::<_, Infallible>(String::from("Ada"))
                    });
                    let dependents = [1, 2].map(|n| {
                        let customer = customer.clone();
                        page.section(html! { "…" }, async move {
                            let name = customer.get().await?;
                            Ok::<_, ResourceError>(html! { p { "dependent-" (n) " " (name) } })
                        })
                    });
                    let unrelated = page.section(html! { "…" }, async {
                        sleep(ms(30)).await;
                        Ok::<_, Infallible>(html! { p { "unrelated" } })
                    });
                    page.render(Shell {
                        head: html! {},
                        body: html! { (dependents[0]) (dependents[1]) (unrelated) },
                    })
                }
            }),
        )
        .with_state(engine.clone());
    let server = start_server(router, engine).await;
    let rec = record(&server.url("/")).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let body = final_body(&rec.body());
    assert!(
        body.contains("dependent-1 Ada") && body.contains("dependent-2 Ada"),
        "{body}"
    );
    assert!(rec.arrival("unrelated") < rec.arrival("dependent-1"));
    assert!(
        rec.arrival("unrelated").as_secs_f64() < 0.5 * rec.arrival("dependent-2").as_secs_f64()
    );
}

/// A producer registers sections inside its own markup; a child's chunk is never sent before
/// its parent's, whether the child finishes before or after the parent.
#[tokio::test]
async fn nested_sections_arrive_after_their_parent() {
    let engine = Engine::default();
    let router = Router::new()
        .route(
            "/",
            get(|page: Page| async move {
                let scope = page.scope();
                let parent = page.section(html! { "parent-loading" }, async move {
                    let fast_child = scope.section(html! { "fast-loading" }, async {
                        Ok::<_, Infallible>(html! { i { "fast-child" } })
                    });
                    let slow_child = scope.section(html! { "slow-loading" }, async {
                        sleep(ms(250)).await;
                        Ok::<_, Infallible>(html! { i { "slow-child" } })
                    });
                    sleep(ms(100)).await;
                    Ok::<_, Infallible>(html! { div { "parent" (fast_child) (slow_child) } })
                });
                page.render(Shell {
                    head: html! {},
                    body: html! { (parent) },
                })
            }),
        )
        .with_state(engine.clone());
    let server = start_server(router, engine.clone()).await;
    let rec = record(&server.url("/")).await;
    let raw = rec.body();
    assert!(raw.find("<div>parent").unwrap() < raw.find("slow-child").unwrap());
    assert!(rec.arrival("fast-child") <= rec.arrival("<div>parent"));
    assert!(rec.arrival("parent") < rec.arrival("slow-child"));
    assert_eq!(
        final_body(&raw),
        "<div>parent<i>fast-child</i><i>slow-child</i></div>"
    );
    assert!(eventually(ms(2000), || engine.live_producers() == 0).await);
}

/// Text from a section cannot break the framing: maud escapes it, and a forged slot marker in
/// text is just text.
#[tokio::test]
async fn hostile_section_content_is_escaped() {
    const HOSTILE: &str =
        "</template><script>alert(1)</script>\"' <?end> <!--/b:0--> \u{0}x:0\u{0}";
    let engine = Engine::default();
    let router = Router::new()
        .route(
            "/",
            get(|page: Page| async move {
                let section = page.section(html! { "…" }, async {
                    sleep(ms(20)).await;
                    Ok::<_, Infallible>(html! { p title=(HOSTILE) { (HOSTILE) } })
                });
                let spliced = page.section(html! {}, async {
                    Ok::<_, Infallible>(html! { b { (HOSTILE) } })
                });
                page.render(Shell {
                    head: html! {},
                    body: html! { p { (HOSTILE) } (section) (spliced) },
                })
            }),
        )
        .with_state(engine.clone());
    let server = start_server(router, engine).await;
    let raw = record(&server.url("/")).await.body();
    assert!(!raw.contains("<script>alert(1)"));
    assert_eq!(
        raw.matches("<template for=\"b0.").count(),
        2,
        "one chunk: the section and its -end"
    );
    let body = final_body(&raw);
    assert_eq!(
        body.matches("&lt;/template&gt;&lt;script&gt;alert(1)")
            .count(),
        4,
        "{body}"
    );
}

/// A slot inside a table body is framed with `<template>` markers, which the parser accepts
/// there.
#[tokio::test]
async fn sections_inside_table_bodies_use_template_markers() {
    let engine = Engine::default();
    let router = Router::new()
        .route(
            "/",
            get(|page: Page| async move {
                let rows = page.section(html! { tr { td { "loading rows" } } }, async {
                    sleep(ms(30)).await;
                    Ok::<_, Infallible>(html! { tr { td { "row" } } })
                });
                page.render(Shell {
                    head: html! {},
                    body: html! { table { tbody { (rows) } } },
                })
            }),
        )
        .with_state(engine.clone());
    let server = start_server(router, engine).await;
    let raw = record(&server.url("/")).await.body();
    let key = raw
        .split("<?start name=\"b0.")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a range named b0.<key>");
    assert_eq!(key.len(), 8, "the range's per-request key");
    assert!(raw.contains(&format!(
        "<tbody><?start name=\"b0.{key}\"><tr><td>loading rows</td></tr><?end><?marker name=\"b0.{key}-end\"></tbody>"
    )));
    assert_eq!(
        final_body(&raw),
        "<table><tbody><tr><td>row</td></tr></tbody></table>"
    );
}

/// Where a fallback cannot stand (a `<div>` in a `<tbody>`, which the parser would move
/// before the table, out of the range), it is sent empty and the log warns, naming the
/// section; a section directly in `<svg>` comes in a `<template data-braid-for>` inside an
/// `<svg>`, so its elements get the SVG namespace. Both end as the blocking document.
#[tokio::test]
async fn slots_in_restricted_parser_contexts() {
    let log = CapturedLog::default();
    let _guard = tracing::subscriber::set_default(log.subscriber());
    let engine = Engine::default();
    let router = Router::new()
        .route(
            "/",
            get(|page: Page| async move {
                let late = |html: &'static str| async move {
                    sleep(ms(30)).await;
                    Ok::<_, Infallible>(PreEscaped(html.to_string()))
                };
                let rows = page
                    .section(html! { div.skeleton { "…" } }, late("<tr><td>1</td></tr>"))
                    .name("rows");
                let bars = page
                    .section(
                        PreEscaped("<rect width=\"1\"/>".into()),
                        late("<rect width=\"2\"/>"),
                    )
                    .name("bars");
                page.render(Shell {
                    head: html! {},
                    body: html! { table { tbody { (rows) } } svg { (bars) } },
                })
            }),
        )
        .with_state(engine.clone());
    let server = start_server(router, engine).await;
    let raw = record(&server.url("/")).await.body();
    let key = raw
        .split("<?start name=\"b0.")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a range named b0.<key>");
    assert!(
        raw.contains(&format!("<tbody><?start name=\"b0.{key}\"><?end>")),
        "no fallback in the tbody: {raw}"
    );
    assert!(
        raw.contains(&format!(
            "<template data-braid-for=\"b1.{key}\"><svg><rect width=\"2\"/></svg></template>"
        )),
        "the svg section is wrapped: {raw}"
    );
    let blocking = record(&server.url("/?stream=off")).await.body();
    assert_eq!(final_body(&raw), crate::util::body_of(&blocking));
    let log = log.text();
    assert!(
        log.contains("section \"rows\" cannot stand in a <tbody>") && log.contains("a <div>"),
        "the warning names the section and what moves: {log}"
    );
    assert!(!log.contains("\"bars\""), "the svg fallback fits: {log}");
}

/// Sections that fail or time out where a `<div>` cannot show get their default views as
/// the element that does (SVG `<text>`, a table row); a slot inside raw text (`<textarea>`)
/// cannot take a range: its element is marked and its text replaced, and a second slot in
/// the same element is refused, the log naming it.
#[tokio::test]
async fn default_views_fit_their_context_and_raw_text_slots_are_refused() {
    let log = CapturedLog::default();
    let _guard = tracing::subscriber::set_default(log.subscriber());
    let engine = Engine::default();
    let router = Router::new()
        .route(
            "/",
            get(|page: Page| async move {
                let failing = || async {
                    sleep(ms(30)).await;
                    Err::<Markup, _>("no data")
                };
                let in_svg = page.section(html! {}, failing()).name("chart");
                let in_tbody = page.section(html! {}, failing()).name("rows");
                let slow = page
                    .section(html! {}, async {
                        sleep(ms(500)).await;
                        Ok::<_, Infallible>(html! { td { "late" } })
                    })
                    .name("cells")
                    .timeout(ms(50));
                let notes = page
                    .section(html! { "loading" }, async {
                        sleep(ms(30)).await;
                        Ok::<_, Infallible>(html! { "notes & more" })
                    })
                    .name("notes");
                let more = page
                    .section(html! { "…" }, async {
                        sleep(ms(30)).await;
                        Ok::<_, Infallible>(html! { "lost" })
                    })
                    .name("more notes");
                page.render(Shell {
                    head: html! {},
                    body: html! {
                        svg { (in_svg) }
                        table { tbody { (in_tbody) tr { (slow) } } }
                        textarea { (notes) (more) }
                    },
                })
            }),
        )
        .with_state(engine.clone());
    let server = start_server(router, engine).await;
    let body = final_body(&record(&server.url("/")).await.body());
    assert!(
        body.contains("<svg><text class=\"braid-error\" role=\"alert\" y=\"1em\">This section could not be loaded."),
        "{body}"
    );
    assert!(
        body.contains("<tbody><tr class=\"braid-error\" role=\"alert\"><td colspan=\"1000\">"),
        "{body}"
    );
    assert!(
        body.contains("<tr><td class=\"braid-timeout\" role=\"status\">"),
        "{body}"
    );
    assert!(
        body.contains("<textarea>notes &amp; more</textarea>"),
        "the section's text replaces the fallback: {body}"
    );
    let log = log.text();
    assert!(
        log.contains("section \"more notes\" is the second slot in one element"),
        "the log names the refused section: {log}"
    );
}

/// The response headers of DESIGN.md §3, with one nonce shared by the CSP and every script.
#[tokio::test]
async fn headers_and_nonces() {
    let server = start_server(delayed_sections(&[10, 20]), Engine::default()).await;
    let rec = record(&server.url("/")).await;
    assert_eq!(rec.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(rec.header("x-content-type-options"), "nosniff");
    assert_eq!(rec.header("cache-control"), "no-store, no-transform");
    assert_eq!(rec.header("x-accel-buffering"), "no");
    let csp = rec.header("content-security-policy").to_string();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(nonce.len() >= 32);
    let body = rec.body();
    let scripts = body.matches("<script").count();
    assert_eq!(
        scripts, 1,
        "the fallback runtime only: no script per section"
    );
    assert_eq!(
        body.matches(&format!("<script nonce=\"{nonce}\">")).count(),
        scripts
    );
    let other = record(&server.url("/")).await;
    assert_ne!(
        other.header("content-security-policy"),
        csp,
        "a fresh nonce per request"
    );
}

/// Draining (the server's shutdown deadline) ends open streams with timeout views.
#[tokio::test]
async fn ending_all_streams_settles_pending_sections() {
    let engine = Engine::default();
    let router = Router::new()
        .route(
            "/",
            get(|page: Page| async move { delayed_page(page, &[10, 30_000]) }),
        )
        .with_state(engine.clone());
    let server = start_server(router, engine.clone()).await;
    let url = server.url("/");
    let request = tokio::spawn(async move { record_with(&url, &[]).await });
    assert!(eventually(ms(2000), || engine.streams_in_flight() == 1).await);
    sleep(ms(100)).await;
    engine.end_all_streams();
    let rec = request.await.unwrap();
    let body = final_body(&rec.body());
    assert!(
        body.contains("done-0") && body.contains("braid-timeout"),
        "{body}"
    );
    assert!(eventually(ms(2000), || engine.live_producers() == 0).await);
}

/// Three sections, the fastest of which is raw HTML that would change how the rest of the
/// page is parsed (`poison`); the two others are ordinary.
pub fn poisoned_page(page: Page, poison: &'static str) -> axum::response::Response {
    let poisoned = page.section(html! { p.skeleton { "loading-0" } }, async move {
        sleep(ms(20)).await;
        Ok::<_, Infallible>(maud::PreEscaped(poison.to_string()))
    });
    let rest: Vec<_> = [80, 140]
        .into_iter()
        .enumerate()
        .map(|(i, delay)| {
            page.section(html! { p.skeleton { "loading-" (i + 1) } }, async move {
                sleep(ms(delay)).await;
                Ok::<_, Infallible>(html! { p { "done-" (i + 1) } })
            })
        })
        .collect();
    page.render(Shell {
        head: html! { title { "poison" } },
        body: html! { main { (poisoned) @for slot in &rest { (slot) } } },
    })
}

/// Raw HTML that would swallow the rest of the page if it were sent as is.
pub const POISONS: &[&str] = &[
    "<p>note <!-- draft",
    "<p>note <? draft",
    "<iframe src=x/>",
    "<noframes>",
    "<select><option>a",
    "<svg><style><!--</style></svg>",
    "<textarea>",
    "<title>",
    "<style>",
    "<script>",
    "<plaintext>",
    "</template><p>escaped the template</p>",
    "<template><p>",
    "<p class=\"cut",
];

/// The poisons of issue 9: whatever the mode, the section whose HTML is unbalanced shows
/// its error view and every other section arrives, in a well-formed document.
#[tokio::test]
async fn one_sections_unbalanced_html_cannot_break_the_others() {
    for poison in POISONS {
        let router = Router::new()
            .route(
                "/",
                get(move |page: Page| async move { poisoned_page(page, poison) }),
            )
            .with_state(Engine::default());
        let server = start_server(router, Engine::default()).await;
        for mode in ["out-of-order", "in-order", "off"] {
            let body = record(&server.url(&format!("/?stream={mode}")))
                .await
                .body();
            assert!(
                body.ends_with("</body></html>"),
                "{poison:?} {mode}: {body}"
            );
            let final_document = if mode == "out-of-order" {
                final_body(&body)
            } else {
                body.clone()
            };
            assert!(
                final_document.contains("<p>done-1</p>")
                    && final_document.contains("<p>done-2</p>"),
                "{poison:?} {mode}: {final_document}"
            );
            assert_eq!(
                final_document.matches("class=\"braid-error\"").count(),
                1,
                "{poison:?} {mode}: {final_document}"
            );
        }
    }
}

/// A shell rendered once (`StaticShell`) streams like one rendered per request: its holes
/// take this request's name and a slot whose section arrives after the shell; the final
/// document is the same as with a `Shell` built per request.
#[tokio::test]
async fn a_static_shell_fills_its_holes_per_request_and_streams_the_same() {
    use braid::stream::StaticShell;
    let page_shell = |name: Markup, slot: Markup| Shell {
        head: html! { title { "static" } },
        body: html! { nav { "Hello, " (name) } main { (slot) } footer { "end" } },
    };
    let shell = StaticShell::render(|holes| page_shell(holes.hole(), holes.hole()));
    let section = |page: &Page| {
        page.section(html! { p.skeleton { "loading" } }, async {
            sleep(ms(150)).await;
            Ok::<_, Infallible>(html! { p { "the section" } })
        })
    };
    let app = Router::new()
        .route(
            "/static",
            get(move |page: Page| {
                let shell = shell.clone();
                async move {
                    let slot = section(&page);
                    page.render_static(&shell, &[&"<Ada>", &slot])
                }
            }),
        )
        .route(
            "/dynamic",
            get(move |page: Page| async move {
                let slot = section(&page);
                page.render(page_shell(html! { "<Ada>" }, html! { (slot) }))
            }),
        )
        .with_state(Engine::default());
    let server = start_server(app, Engine::default()).await;
    let prerendered = record(&server.url("/static")).await;
    assert!(
        prerendered.arrival("Hello, &lt;Ada&gt;") < prerendered.arrival("the section"),
        "the shell, with this request's hole escaped, before the section"
    );
    let dynamic = record(&server.url("/dynamic")).await;
    assert_eq!(final_body(&prerendered.body()), final_body(&dynamic.body()));
    assert!(
        final_body(&prerendered.body())
            .contains("<main><p>the section</p></main><footer>end</footer>")
    );
}

/// An app's policy: the document's language, a CSP source it adds, the texts of the
/// default views and of the no-JavaScript link, its own names for the query parameters,
/// and its metrics' prefix.
#[tokio::test]
async fn an_apps_policy_sets_language_csp_texts_parameters_and_metric_names() {
    use braid::stream::{PagePolicy, PageTexts};
    let policy = PagePolicy::default()
        .lang("fr")
        .and_then(|policy| policy.csp_source("img-src", "https://img.example.com"))
        .and_then(|policy| policy.stream_param("flux"))
        .and_then(|policy| policy.debug_param("dbg"))
        .and_then(|policy| policy.metric_prefix("acme"))
        .expect("a valid policy")
        .texts(PageTexts {
            no_script_link: "Sans <JavaScript>".into(),
            section_failed: "Échec.".into(),
            error_id: "Code".into(),
            section_timed_out: "Trop lent.".into(),
        });
    let engine = Engine::new(EngineConfig {
        policy,
        debug_timeline: true,
        ..EngineConfig::default()
    });
    let app = Router::new()
        .route(
            "/policy",
            get(|page: Page| async move {
                let failing = page.section(html! {}, async { Err::<Markup, _>("boom") });
                let slow = page
                    .section(html! { "…" }, async {
                        sleep(ms(5_000)).await;
                        Ok::<_, Infallible>(html! {})
                    })
                    .timeout(ms(50));
                page.render(Shell {
                    head: html! {},
                    body: html! { main { (failing) (slow) } },
                })
            }),
        )
        .with_state(engine.clone());
    let server = start_server(app, engine).await;
    let streamed = record(&server.url("/policy?x=1&stream=off")).await;
    let body = streamed.body();
    assert!(
        body.starts_with("<!doctype html><html lang=\"fr\">"),
        "{body}"
    );
    assert!(
        streamed
            .header("content-security-policy")
            .contains("img-src 'self' data: https://img.example.com;"),
        "{}",
        streamed.header("content-security-policy")
    );
    assert!(body.contains("Échec. <small>Code <code>"), "{body}");
    assert!(body.contains("Trop lent."), "{body}");
    assert!(
        body.contains("x=1&amp;stream=off&amp;flux=in-order\">Sans &lt;JavaScript&gt;</a>"),
        "`stream` is not the engine's parameter here, `flux` is:\n{body}"
    );
    let blocking = record(&server.url("/policy?flux=off&dbg=timeline"))
        .await
        .body();
    assert!(!blocking.contains("<template"), "one document: {blocking}");
    assert!(
        blocking.contains("braid-timeline"),
        "the timeline under `dbg`"
    );
    let metrics = record(&server.url("/metrics")).await.body();
    assert!(
        metrics.contains(
            "acme_sections_total{page=\"/policy\",section=\"unnamed\",outcome=\"error\"}"
        ),
        "{metrics}"
    );
}

/// A page rendered in blocking mode, off the network: its whole document.
async fn document_of(page: Page, delays: &[u64]) -> String {
    let body = delayed_page(page, delays).into_body();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

/// On tokio's paused clock, time is the subject and exact: sections of 200, 300 and 200 ms
/// complete the page at 300 ms (the slowest), not 700 (the sum).
#[tokio::test(start_paused = true)]
async fn on_a_paused_clock_the_page_takes_exactly_its_slowest_section() {
    let engine = Engine::default();
    let started = tokio::time::Instant::now();
    let document = document_of(Page::new(&engine, Mode::Blocking), &[200, 300, 200]).await;
    let took = started.elapsed();
    assert!(
        document.contains("done-0") && document.contains("done-1") && document.contains("done-2")
    );
    assert!(ms(300) <= took && took <= ms(301), "{took:?}");
}

/// On the paused clock, a section's timeout view comes exactly at its timeout, and the
/// page's deadline, where it is earlier, bounds every section instead.
#[tokio::test(start_paused = true)]
async fn on_a_paused_clock_timeouts_and_the_deadline_fall_exactly() {
    for (timeout, deadline, expected) in [(2_000, 3_000, 2_000), (10_000, 3_000, 3_000)] {
        let engine = Engine::new(EngineConfig {
            section_timeout: ms(timeout),
            page_deadline: ms(deadline),
            ..EngineConfig::default()
        });
        let started = tokio::time::Instant::now();
        let document = document_of(Page::new(&engine, Mode::Blocking), &[100, 60_000]).await;
        let took = started.elapsed();
        assert!(document.contains("done-0"));
        assert_eq!(document.matches("braid-timeout").count(), 1, "{document}");
        assert!(
            ms(expected) <= took && took <= ms(expected + 1),
            "timeout {timeout} ms, deadline {deadline} ms: {took:?}"
        );
    }
}

/// The sections of a page run at the same time, proved without a clock: each waits at a
/// barrier of three, which opens only when all three producers are running. Run one after
/// another, they would wait for ever and time out.
#[tokio::test]
async fn sections_start_together_as_a_barrier_proves() {
    let engine = Engine::default();
    let page = Page::new(&engine, Mode::Blocking);
    let barrier = Arc::new(tokio::sync::Barrier::new(3));
    let slots: Vec<_> = (0..3)
        .map(|k| {
            let barrier = barrier.clone();
            page.section(html! { "…" }, async move {
                barrier.wait().await;
                Ok::<_, Infallible>(html! { p { "met-" (k) } })
            })
            .timeout(Duration::from_secs(5))
        })
        .collect();
    let response = page.render(Shell {
        head: html! {},
        body: html! { @for slot in &slots { (slot) } },
    });
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let document = String::from_utf8_lossy(&bytes);
    for k in 0..3 {
        assert!(document.contains(&format!("met-{k}")), "{document}");
    }
}

/// Producers run on the page's driver, not when the body is polled: a section whose
/// producer needs several wake-ups settles while the handler still awaits something before
/// `page.render` (it is spliced into the shell), and one registered later settles while
/// nobody reads the body (its chunk is there at the next read, at once). A section that
/// times out has its producer dropped.
#[tokio::test(start_paused = true)]
async fn producers_run_before_render_and_while_the_body_is_not_read() {
    let engine = Engine::default();
    let page = Page::new(&engine, Mode::OutOfOrder);
    let steps = |name: &'static str| async move {
        for _ in 0..3 {
            sleep(ms(100)).await;
        }
        Ok::<_, Infallible>(html! { p { (name) } })
    };
    let early = page.section(html! { "…" }, steps("early-section"));
    // The handler awaits what its status depends on.
    sleep(ms(400)).await;
    let late = page.section(html! { "…" }, steps("late-section"));
    let never = page
        .section(html! { "…" }, async {
            std::future::pending::<()>().await;
            Ok::<_, Infallible>(html! {})
        })
        .timeout(ms(1_000));
    let response = page.render(Shell {
        head: html! {},
        body: html! { (early) (late) (never) },
    });
    let mut body = response.into_body().into_data_stream();
    let shell = body.next().await.expect("shell").expect("chunk");
    let shell = String::from_utf8_lossy(&shell);
    assert!(shell.contains("early-section"), "{shell}");
    assert!(!shell.contains("late-section"), "{shell}");
    // Nobody reads for a while.
    sleep(ms(400)).await;
    let at = tokio::time::Instant::now();
    let chunk = body.next().await.expect("section").expect("chunk");
    assert!(String::from_utf8_lossy(&chunk).contains("late-section"));
    assert_eq!(
        at.elapsed(),
        Duration::ZERO,
        "the section had settled unread"
    );
    let rest = body.next().await.expect("timeout").expect("chunk");
    assert!(String::from_utf8_lossy(&rest).contains("braid-timeout"));
    assert_eq!(
        engine.live_producers(),
        1,
        "the never-ending producer, until dropped"
    );
    for _ in 0..100 {
        if engine.live_producers() == 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(
        engine.live_producers(),
        0,
        "a timed-out producer is dropped"
    );
}

/// One page's producers share a task, so a panic there must stay in its section: a
/// timed-out producer whose drop panics does not stop its siblings, which arrive at their
/// time.
#[tokio::test(start_paused = true)]
async fn a_producer_that_panics_when_dropped_does_not_stop_its_siblings() {
    struct PanicsWhenDropped;
    impl Drop for PanicsWhenDropped {
        fn drop(&mut self) {
            panic!("dropped");
        }
    }
    let engine = Engine::default();
    let page = Page::new(&engine, Mode::OutOfOrder);
    let stuck = page
        .section(html! { "…" }, async {
            let _guard = PanicsWhenDropped;
            std::future::pending::<()>().await;
            Ok::<_, Infallible>(html! {})
        })
        .timeout(ms(100));
    let sibling = page.section(html! { "…" }, async {
        sleep(ms(300)).await;
        Ok::<_, Infallible>(html! { p { "sibling-arrived" } })
    });
    let response = page.render(Shell {
        head: html! {},
        body: html! { (stuck) (sibling) },
    });
    let started = tokio::time::Instant::now();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let document = String::from_utf8_lossy(&bytes);
    assert!(document.contains("braid-timeout"), "{document}");
    assert!(document.contains("sibling-arrived"), "{document}");
    assert_eq!(
        started.elapsed(),
        ms(300),
        "the sibling came at its own time"
    );
}

/// One timer serves the whole page: sections placed later with shorter timeouts still time
/// out at their own time, each in its own chunk, out of order, on the paused clock. A
/// section that never settles at 3 s, one at 1 s, and one that renders at 2 s arrive at
/// 1, 2 and 3 s.
#[tokio::test(start_paused = true)]
async fn on_a_paused_clock_each_section_times_out_at_its_own_timeout() {
    let engine = Engine::default();
    let page = Page::new(&engine, Mode::OutOfOrder);
    let never = || async {
        std::future::pending::<()>().await;
        Ok::<_, Infallible>(html! {})
    };
    let slots = [
        page.section(html! { "…" }, never()).timeout(ms(3_000)),
        page.section(html! { "…" }, never()).timeout(ms(1_000)),
        page.section(html! { "…" }, async {
            sleep(ms(2_000)).await;
            Ok::<_, Infallible>(html! { p { "rendered" } })
        }),
    ];
    let response = page.render(Shell {
        head: html! {},
        body: html! { @for slot in &slots { (slot) } },
    });
    let started = tokio::time::Instant::now();
    let mut body = response.into_body().into_data_stream();
    let mut arrivals = Vec::new();
    while let Some(chunk) = body.next().await {
        let text = String::from_utf8(chunk.expect("chunk").to_vec()).expect("utf-8");
        for (what, needle) in [("timeout", "braid-timeout"), ("rendered", "rendered")] {
            for _ in text.matches(needle) {
                arrivals.push((what, started.elapsed().as_millis()));
            }
        }
    }
    assert_eq!(
        arrivals,
        [("timeout", 1_000), ("rendered", 2_000), ("timeout", 3_000)]
    );
}
