//! braid in a real browser (Debian's headless chromium, over CDP): the page fills in while it
//! streams, ends as the blocking document, swaps in a hidden tab, keeps the CSP, does not
//! shift layout, and works without JavaScript.
//!
//! Run with
//! ```not_rust
//! cargo test --test integration browser::
//! ```
//! Screenshots go to `target/browser-artifacts/`. Without the `chromium` package each test
//! prints `SKIPPED: …` and passes.

mod acme;
mod chrome;
mod contexts;
mod pages;
mod poison;
mod webdriver;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use braid::stream::Engine;
use chromiumoxide::cdp::browser_protocol::emulation::SetScriptExecutionDisabledParams;
use chromiumoxide::cdp::browser_protocol::log::{EventEntryAdded, LogEntryLevel};
use chromiumoxide::cdp::js_protocol::runtime::{
    ConsoleApiCalledType, EventConsoleApiCalled, EventExceptionThrown,
};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::util::{TestServer, eventually, start_server};
use chrome::{Tab, js_string, without_noscript_notice};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

async fn server() -> TestServer {
    let engine = Engine::default();
    start_server(pages::router(&engine), engine).await
}

/// While the slowest section (3 s) is pending, the shell, its skeleton and
/// the two resolved sections (50 ms, 300 ms) are on screen; at the end each section is in
/// place once, no braid markup is left, and the body equals the `?stream=off` body. The same
/// equality holds for the real app's `/bench/s1` and for in-order mode.
#[tokio::test]
async fn page_fills_in_while_streaming_and_ends_as_the_blocking_document() {
    let Some(chrome) =
        chrome::launch("page_fills_in_while_streaming_and_ends_as_the_blocking_document").await
    else {
        return;
    };
    let server = server().await;
    let tab = chrome.tab().await;
    let url = server.url("/long");
    tab.open(&url).await;

    assert!(
        tab.wait_for(
            "document.querySelectorAll('main h2').length === 2",
            secs(10)
        )
        .await,
        "the two fast sections were swapped in"
    );
    let mid = tab.eval(MID_STREAM_STATE).await;
    let mid_body = tab.body_html().await;
    let midstream_png = tab.screenshot("midstream.png").await;
    std::fs::write(chrome::artifacts_dir().join("midstream.html"), &mid_body).expect("save body");
    let still_pending = tab.eval(MID_STREAM_STATE).await;
    assert_eq!(mid["h1"], "Dashboard", "{mid_body}");
    assert_eq!(mid["h2"], json!(["Section 1", "Section 2"]), "{mid_body}");
    assert_eq!(
        mid["visibleSkeletons"], 1,
        "the third skeleton is visible: {mid_body}"
    );
    assert_eq!(
        mid["lastInMain"], "skeleton",
        "the skeleton is in the third section's place: {mid_body}"
    );
    assert_ne!(mid["readyState"], "complete", "{mid}");
    assert_eq!(
        tab.eval("'htmlFor' in HTMLTemplateElement.prototype").await,
        json!(true),
        "Chromium applies <template for> natively: the runtime returned at once"
    );
    assert!(
        mid_body.contains("<?start name=\"b2."),
        "the pending range is still there: {mid_body}"
    );
    assert_eq!(
        still_pending["h2"],
        json!(["Section 1", "Section 2"]),
        "{} was taken before the last section arrived",
        midstream_png.display()
    );

    tab.wait_complete().await;
    let complete_png = tab.screenshot("complete.png").await;
    let streamed = tab.body_html().await;
    assert_final_dom(&tab, &["Section 1", "Section 2", "Section 3"]).await;
    eprintln!(
        "screenshots: {} {}",
        midstream_png.display(),
        complete_png.display()
    );

    tab.open(&format!("{url}?stream=off")).await;
    tab.wait_complete().await;
    assert_eq!(without_noscript_notice(&streamed), tab.body_html().await);

    for path in ["/bench/s1", "/bench/s1?stream=in-order"] {
        let url = server.url(path);
        tab.open(&url).await;
        tab.wait_complete().await;
        assert_final_dom(&tab, &["Section 1", "Section 2", "Section 3"]).await;
        let streamed = tab.body_html().await;
        let blocking = server.url("/bench/s1?stream=off");
        tab.open(&blocking).await;
        tab.wait_complete().await;
        assert_eq!(
            without_noscript_notice(&streamed),
            tab.body_html().await,
            "{path}"
        );
    }
}

const MID_STREAM_STATE: &str = r#"(() => {
    const main = document.querySelector('main');
    const skeletons = [...document.querySelectorAll('.skeleton')];
    const last = main.lastElementChild;
    return {
        h1: document.querySelector('h1')?.textContent,
        h2: [...main.querySelectorAll('h2')].map(h => h.textContent),
        visibleSkeletons: skeletons.filter(s => s.offsetHeight > 0).length,
        lastInMain: last && last.classList.contains('skeleton') ? 'skeleton' : last?.tagName,
        readyState: document.readyState,
    };
})()"#;

/// Every heading once, nothing of braid's machinery left in the document.
async fn assert_final_dom(tab: &Tab, headings: &[&str]) {
    let state = tab
        .eval(
            r#"(() => {
        const html = document.body.innerHTML;
        return {
            h2: [...document.querySelectorAll('h2')].map(h => h.textContent),
            templates: document.querySelectorAll('template').length,
            scripts: document.body.querySelectorAll('script').length,
            endMarkers: html.includes('<?') || html.includes('<!--?'),
            skeletons: document.querySelectorAll('.skeleton').length,
        };
    })()"#,
        )
        .await;
    assert_eq!(state["h2"], json!(headings), "{state}");
    assert_eq!(state["templates"], 0, "{state}");
    assert_eq!(state["scripts"], 0, "no swap script left: {state}");
    assert_eq!(state["endMarkers"], false, "{state}");
    assert_eq!(state["skeletons"], 0, "{state}");
}

/// A section inside `<tbody>`, a section nested in another's producer, a failing
/// one and a timed-out one each end up in their place in the DOM.
#[tokio::test]
async fn sections_in_tables_nested_failed_and_timed_out_render_in_place() {
    let Some(chrome) =
        chrome::launch("sections_in_tables_nested_failed_and_timed_out_render_in_place").await
    else {
        return;
    };
    let server = server().await;
    let tab = chrome.tab().await;
    tab.open(&server.url("/contexts")).await;
    tab.wait_complete().await;
    let state = tab
        .eval(
            r#"(() => ({
        rows: [...document.querySelectorAll('#orders > tbody > tr.row')].map(r => r.textContent),
        strayRows: document.querySelectorAll('tr.row').length,
        tableSkeleton: document.querySelectorAll('#orders tr.skeleton').length,
        nested: document.querySelector('#nested > .parent > .child')?.textContent,
        parentText: document.querySelector('#nested > .parent')?.firstChild?.textContent,
        error: document.querySelector('#failed > .braid-error')?.getAttribute('role'),
        timeout: document.querySelector('#slow > .braid-timeout')?.textContent,
        templates: document.querySelectorAll('template').length,
        scripts: document.body.querySelectorAll('script').length,
    }))()"#,
        )
        .await;
    let body = tab.body_html().await;
    assert_eq!(
        state["rows"],
        json!(["row 1", "row 2", "row 3"]),
        "rows in the tbody: {body}"
    );
    assert_eq!(state["strayRows"], 3, "no row outside the table: {body}");
    assert_eq!(state["tableSkeleton"], 0, "{body}");
    assert_eq!(state["nested"], "child", "{body}");
    assert_eq!(state["parentText"], "parent ", "{body}");
    assert_eq!(state["error"], "alert", "{body}");
    assert_eq!(
        state["timeout"], "This section took too long to load.",
        "{body}"
    );
    assert_eq!(state["templates"], 0, "{body}");
    assert_eq!(state["scripts"], 0, "{body}");
    assert!(eventually(secs(2), || server.engine.live_producers() == 0).await);
}

/// In a background tab (`visibilityState == "hidden"`, where
/// `requestAnimationFrame` does not fire) every section is still swapped in as it arrives.
#[tokio::test]
async fn sections_are_swapped_in_a_hidden_tab() {
    let Some(chrome) = chrome::launch("sections_are_swapped_in_a_hidden_tab").await else {
        return;
    };
    let server = server().await;
    let _front = chrome.tab().await;
    let tab = chrome.background_tab().await;
    tab.page
        .evaluate_on_new_document(COUNT_ANIMATION_FRAMES)
        .await
        .expect("init script");
    tab.open(&server.url("/quick")).await;
    tab.wait_complete().await;
    let state = tab
        .eval("({visibility: document.visibilityState, frames: window.__frames})")
        .await;
    assert_eq!(state["visibility"], "hidden", "{state}");
    assert_final_dom(&tab, &["Section 1", "Section 2", "Section 3"]).await;
    // The control: animation frames really were not running, so a swap that waited for one
    // would have left the skeletons in place.
    assert_eq!(state["frames"], 0, "{state}");
}

const COUNT_ANIMATION_FRAMES: &str = "window.__frames = 0; requestAnimationFrame(function f() { window.__frames++; requestAnimationFrame(f); });";

/// Collects, from before any page script runs, CSP violations and errors (`error` events,
/// `console.error`), plus what the browser itself logs over CDP.
const COLLECT_PROBLEMS: &str = r#"
window.__problems = [];
document.addEventListener('securitypolicyviolation', e =>
    window.__problems.push('csp ' + e.disposition + ': ' + e.violatedDirective + ' ' + e.blockedURI));
window.addEventListener('error', e => window.__problems.push('error: ' + e.message));
const braidConsoleError = console.error;
console.error = (...args) => { window.__problems.push('console: ' + args.join(' ')); braidConsoleError(...args); };
"#;

/// What a tab reports as a problem while it loads `url`: the page's own collector and the
/// browser's log (CDP `Log.entryAdded`, `Runtime.exceptionThrown`, `Runtime.consoleAPICalled`).
async fn problems_on(chrome: &chrome::Chrome, url: &str) -> Vec<String> {
    let tab = chrome.tab().await;
    let logged = Arc::new(Mutex::new(Vec::<String>::new()));
    tab.page.enable_log().await.expect("Log.enable");
    tab.page.enable_runtime().await.expect("Runtime.enable");
    let mut entries = tab.page.event_listener::<EventEntryAdded>().await.unwrap();
    let mut exceptions = tab
        .page
        .event_listener::<EventExceptionThrown>()
        .await
        .unwrap();
    let mut console = tab
        .page
        .event_listener::<EventConsoleApiCalled>()
        .await
        .unwrap();
    let sink = logged.clone();
    let listener = tokio::spawn(async move {
        loop {
            let line = tokio::select! {
                Some(e) = entries.next() => match e.entry.level {
                    LogEntryLevel::Error | LogEntryLevel::Warning => {
                        format!("log {:?}: {} ({:?})", e.entry.source, e.entry.text, e.entry.url)
                    }
                    _ => continue,
                },
                Some(e) = exceptions.next() => format!("exception: {:?}", e.exception_details.text),
                Some(e) = console.next() => match e.r#type {
                    ConsoleApiCalledType::Error | ConsoleApiCalledType::Warning => {
                        format!("console {:?}: {:?}", e.r#type, e.args.first().and_then(|a| a.value.clone()))
                    }
                    _ => continue,
                },
                else => break,
            };
            sink.lock().unwrap().push(line);
        }
    });
    tab.page
        .evaluate_on_new_document(COLLECT_PROBLEMS)
        .await
        .expect("init script");
    tab.open(url).await;
    tab.wait_complete().await;
    // Let late events (a violation report is queued as a task) reach both collectors.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut problems: Vec<String> = match tab.eval("window.__problems").await {
        Value::Array(items) => items.iter().map(|p| p.to_string()).collect(),
        other => panic!("no problem collector on the page: {other}"),
    };
    problems.extend(logged.lock().unwrap().iter().cloned());
    listener.abort();
    problems
}

/// With braid's CSP enforced, streamed pages log no error and violate nothing;
/// a page with an inline script without the nonce does (the check can fail).
#[tokio::test]
async fn no_console_errors_or_csp_violations_under_the_enforced_policy() {
    let Some(chrome) =
        chrome::launch("no_console_errors_or_csp_violations_under_the_enforced_policy").await
    else {
        return;
    };
    let server = server().await;
    for path in ["/quick", "/contexts", "/bench/s1"] {
        let problems = problems_on(&chrome, &server.url(path)).await;
        assert!(problems.is_empty(), "{path}: {problems:#?}");
    }

    let problems = problems_on(&chrome, &server.url("/injected")).await;
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("\"csp enforce: script-src")),
        "the inline script without nonce violates the enforced CSP: {problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.starts_with("log")),
        "the browser logs it too: {problems:#?}"
    );
}

/// Sums the page's layout shifts (`layout-shift` entries without recent input) once `url`
/// has completed. Chromium's own definition of CLS windows is not needed: one page load.
async fn cumulative_layout_shift(chrome: &chrome::Chrome, url: &str) -> f64 {
    let tab = chrome.tab().await;
    tab.open(url).await;
    tab.wait_complete().await;
    let sum = tab
        .eval(
            r#"new Promise(resolve => {
        let sum = 0;
        new PerformanceObserver(list => {
            for (const entry of list.getEntries()) if (!entry.hadRecentInput) sum += entry.value;
        }).observe({ type: 'layout-shift', buffered: true });
        requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => resolve(sum), 100)));
    })"#,
        )
        .await;
    sum.as_f64().expect("a number")
}

/// Skeletons as large as their content keep the cumulative layout shift below
/// 0.1; the control, skeletons far smaller than their content, scores above it.
#[tokio::test]
async fn skeletons_sized_like_their_content_do_not_shift_the_layout() {
    let Some(chrome) =
        chrome::launch("skeletons_sized_like_their_content_do_not_shift_the_layout").await
    else {
        return;
    };
    let server = server().await;
    let cls = cumulative_layout_shift(&chrome, &server.url("/cls")).await;
    eprintln!("cumulative layout shift: {cls}");
    assert!(cls < 0.1, "cumulative layout shift {cls}");
    let control = cumulative_layout_shift(&chrome, &server.url("/cls-shifting")).await;
    eprintln!("cumulative layout shift with undersized skeletons: {control}");
    assert!(
        control > 0.1,
        "the measure sees shifts: undersized skeletons score {control}"
    );
}

/// With JavaScript off, the in-order page shows everything, and the default page
/// sends the browser there (`<noscript>` refresh) where it shows everything too.
#[tokio::test]
async fn without_javascript_the_page_falls_back_to_in_order() {
    let Some(chrome) = chrome::launch("without_javascript_the_page_falls_back_to_in_order").await
    else {
        return;
    };
    let server = server().await;
    let tab = chrome.tab().await;
    tab.page
        .execute(SetScriptExecutionDisabledParams::new(true))
        .await
        .expect("Emulation.setScriptExecutionDisabled");

    tab.open(&server.url("/bench/s1?stream=in-order")).await;
    tab.wait_complete().await;
    assert_final_dom(&tab, &["Section 1", "Section 2", "Section 3"]).await;

    tab.open(&server.url("/quick")).await;
    let in_order = server.url("/quick?stream=in-order");
    let redirected = format!("location.href === {}", js_string(&in_order));
    assert!(
        tab.wait_for(&redirected, secs(10)).await,
        "the <noscript> refresh leads to {in_order}; at {}",
        tab.eval("location.href").await
    );
    tab.wait_complete().await;
    assert_final_dom(&tab, &["Section 1", "Section 2", "Section 3"]).await;
}

/// The Acme dashboard on a real database, with artificial latencies: mid-stream the cards are
/// in place while the chart and the latest invoices still show skeletons; it completes
/// without console errors or CSP violations, with a cumulative layout shift below 0.1.
/// Saves `dashboard-midstream.png` and `dashboard-complete.png` (the README shows them).
#[tokio::test]
async fn the_dashboard_fills_in_without_shifting_the_layout() {
    let Some(chrome) = chrome::launch("the_dashboard_fills_in_without_shifting_the_layout").await
    else {
        return;
    };
    // Seconds between the cards and the rest, so that a busy machine still sees the middle.
    let latency = "cards=100,latest=3000,revenue=4000";
    let app = crate::app::start_app(latency).await;
    let url = app.url("/dashboard");
    let tab = chrome.tab().await;
    tab.sign_in(&app.url("")).await;
    tab.open(&url).await;
    assert!(
        tab.wait_for("!document.querySelector('.skeleton-card')", secs(10))
            .await,
        "the cards arrive first"
    );
    let pending = tab
        .eval("!!document.querySelector('div.chart.shimmer') && !!document.querySelector('.shimmer-avatar')")
        .await;
    assert_eq!(
        pending,
        json!(true),
        "chart and latest invoices still loading"
    );
    tab.screenshot("dashboard-midstream.png").await;
    assert!(
        tab.wait_for("!document.querySelector('.shimmer')", secs(10))
            .await,
        "every section arrives"
    );
    tab.wait_complete().await;
    tab.screenshot("dashboard-complete.png").await;
    let bars = tab
        .eval("document.querySelectorAll('svg.chart rect').length")
        .await;
    assert_eq!(bars, json!(12));

    assert_eq!(problems_on(&chrome, &url).await, Vec::<String>::new());
    let cls = cumulative_layout_shift(&chrome, &url).await;
    eprintln!("dashboard cumulative layout shift: {cls}");
    assert!(cls < 0.1, "dashboard cumulative layout shift {cls}");
}

/// The context suite in Chromium (native `<template for>`): each context's final tree,
/// namespaces included, equals the blocking document's.
#[tokio::test]
async fn every_parser_context_ends_as_the_blocking_document_in_chromium() {
    let Some(chrome) =
        chrome::launch("every_parser_context_ends_as_the_blocking_document_in_chromium").await
    else {
        return;
    };
    let server = start_server(contexts::router(), Engine::default()).await;
    let tab = chrome.tab().await;
    let different = contexts::differences(&tab, &server, true).await;
    assert!(different.is_empty(), "{}", different.join("\n"));
}
