//! The three modes: out-of-order (default), in-order (no scripts, document order) and
//! blocking (one complete document), and that they give the same final document.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use braid::stream::{Engine, Page, Shell};
use maud::html;
use tokio::time::sleep;

use crate::engine::delayed_sections;
use crate::util::{body_of, final_body, record, record_with, start_server};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A page with every kind of slot: delayed, ready, nested, in a table, failing by timeout.
fn rich_page() -> Router {
    let engine = Engine::default();
    Router::new()
        .route(
            "/",
            get(|page: Page| async move {
                let scope = page.scope();
                let slow = page.section(html! { p { "slow-loading" } }, async {
                    sleep(ms(150)).await;
                    Ok::<_, Infallible>(html! { p { "slow" } })
                });
                let ready = page.section(html! { p { "ready-loading" } }, async {
                    Ok::<_, Infallible>(html! { p { "ready" } })
                });
                let nested = page.section(html! { p { "nested-loading" } }, async move {
                    let child = scope.section(html! { i { "child-loading" } }, async {
                        sleep(ms(80)).await;
                        Ok::<_, Infallible>(html! { i { "child" } })
                    });
                    sleep(ms(30)).await;
                    Ok::<_, Infallible>(html! { div { "parent " (child) } })
                });
                let rows = page.section(html! { tr { td { "rows-loading" } } }, async {
                    sleep(ms(60)).await;
                    Ok::<_, Infallible>(html! { tr { td { "row" } } })
                });
                let late = page
                    .section(html! { p { "late-loading" } }, async {
                        sleep(Duration::from_secs(30)).await;
                        Ok::<_, Infallible>(html! { p { "never" } })
                    })
                    .timeout(ms(100));
                page.render(Shell {
                    head: html! { title { "rich" } },
                    body: html! {
                        h1 { "Rich page" }
                        (slow) (ready) (nested)
                        table { tbody { (rows) } }
                        (late)
                    },
                })
            }),
        )
        .with_state(engine)
}

/// All three modes produce the same final document body.
#[tokio::test]
async fn the_three_modes_give_the_same_document() {
    let server = start_server(rich_page(), Engine::default()).await;
    let out_of_order = final_body(&record(&server.url("/")).await.body());
    let in_order = body_of(&record(&server.url("/?stream=in-order")).await.body());
    let blocking = body_of(&record(&server.url("/?stream=off")).await.body());
    assert_eq!(out_of_order, in_order);
    assert_eq!(in_order, blocking);
    assert!(
        blocking.contains("<div>parent <i>child</i></div>"),
        "{blocking}"
    );
    assert!(blocking.contains("braid-timeout"));
    assert!(!blocking.contains("loading"));
}

/// In-order: no script at all; sections in document order; the document streams up to the
/// first pending section before it resolves.
#[tokio::test]
async fn in_order_streams_the_document_in_order_without_scripts() {
    let server = start_server(delayed_sections(&[300, 100, 200]), Engine::default()).await;
    let rec = record(&server.url("/?stream=in-order")).await;
    let body = rec.body();
    assert!(!body.contains("<script"));
    assert!(!body.contains("<template"));
    let positions: Vec<usize> = (0..3)
        .map(|i| body.find(&format!("done-{i}")).unwrap())
        .collect();
    assert!(positions[0] < positions[1] && positions[1] < positions[2]);
    assert!(rec.arrival("Shell heading") < rec.arrival("done-0"));
    assert!(!rec.chunks[0].1.is_empty());
    assert!(body.ends_with("</body></html>"));
}

/// Blocking: nothing is sent until every section has settled, then one complete document.
#[tokio::test]
async fn blocking_sends_one_complete_document() {
    let server = start_server(delayed_sections(&[50, 250]), Engine::default()).await;
    let rec = record(&server.url("/?stream=off")).await;
    let first_byte = rec.chunks[0].0;
    assert!(
        first_byte.as_secs_f64() >= 0.9 * rec.total.as_secs_f64(),
        "first byte {first_byte:?} only once everything settled ({:?})",
        rec.total
    );
    let body = rec.body();
    assert!(body.starts_with("<!doctype html>") && body.ends_with("</body></html>"));
    assert!(!body.contains("<script") && !body.contains("loading-"));
}

/// Crawlers get the blocking document; `?stream=` overrides; unknown modes are a clear 400.
#[tokio::test]
async fn mode_is_chosen_per_request() {
    let server = start_server(delayed_sections(&[20]), Engine::default()).await;
    let googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    let crawled = record_with(&server.url("/"), &[("user-agent", googlebot)])
        .await
        .body();
    assert!(!crawled.contains("<script") && crawled.contains("done-0"));
    let curl = record_with(&server.url("/"), &[("user-agent", "curl/8.5.0")])
        .await
        .body();
    assert!(
        curl.contains("<template for=\"b0."),
        "curl users watch the stream"
    );
    let forced = record_with(
        &server.url("/?stream=out-of-order"),
        &[("user-agent", googlebot)],
    )
    .await;
    assert!(forced.body().contains("<template for=\"b0."));
    let bad = record(&server.url("/?stream=sideways")).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body().contains("in-order"));
}

/// Link-preview agents and other clients that run no script get one complete document
/// (the full table of agents is in `stream::mode`'s unit tests); browsers and curl stream.
#[tokio::test]
async fn clients_that_run_no_script_get_one_complete_document() {
    let server = start_server(delayed_sections(&[20]), Engine::default()).await;
    for agent in [
        "WhatsApp/2.23.20.0",
        "Bluesky Cardyb/1.1",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "UnknownPreviewer/1.0",
    ] {
        let body = record_with(&server.url("/"), &[("user-agent", agent)])
            .await
            .body();
        assert!(body.contains("done-0"), "{agent}: {body}");
        assert!(
            !body.contains("<script") && !body.contains("<template"),
            "{agent}: no swaps"
        );
        assert!(body.ends_with("</body></html>"), "{agent}: complete");
    }
    let firefox = "Mozilla/5.0 (Android 14; Mobile; rv:140.0) Gecko/140.0 Firefox/140.0";
    for agent in [firefox, "curl/8.5.0"] {
        let body = record_with(&server.url("/"), &[("user-agent", agent)])
            .await
            .body();
        assert!(
            body.contains("<template for=\"b0."),
            "{agent} gets the stream"
        );
    }
}

/// Readers without JavaScript are sent to the in-order version, other parameters kept.
#[tokio::test]
async fn out_of_order_pages_offer_the_in_order_version_without_javascript() {
    let server = start_server(delayed_sections(&[20]), Engine::default()).await;
    let body = record(&server.url("/?q=a%26b&stream=out-of-order"))
        .await
        .body();
    assert!(body.contains(
        "<noscript><meta http-equiv=\"refresh\" content=\"0; url=?q=a%26b&amp;stream=in-order\"></noscript>"
    ), "{body}");
}
