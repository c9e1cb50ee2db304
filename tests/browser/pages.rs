//! The pages the browser tests load, on the engine's public API, next to the real app's
//! `/bench/s1`.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use braid::stream::{Engine, Page, Shell};
use maud::{Markup, PreEscaped, html};
use tokio::time::sleep;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The test pages plus the application router (for `/bench/s1`), on one engine.
pub fn router(engine: &Engine) -> Router {
    let pages = Router::new()
        .route("/style.css", get(stylesheet))
        // Chromium asks for it on every page; a 404 would be a console error.
        .route(
            "/favicon.ico",
            get(|| async { http::StatusCode::NO_CONTENT }),
        )
        .route(
            "/long",
            get(|page: Page| async { dashboard(page, [50, 300, 3000]) }),
        )
        .route(
            "/quick",
            get(|page: Page| async { dashboard(page, [50, 150, 300]) }),
        )
        .route("/contexts", get(contexts))
        .route("/injected", get(injected))
        .route("/cls", get(|page: Page| async { boxes(page, "box") }))
        .route(
            "/cls-shifting",
            get(|page: Page| async { boxes(page, "tiny") }),
        )
        .with_state(engine.clone());
    let app = braid::app::pages::bench::router::<Engine>().with_state(engine.clone());
    pages.merge(app)
}

/// `style-src 'self'` forbids inline styles, so the pages link this sheet.
const STYLE: &str = "
body { font: 16px/1.25 sans-serif; margin: 16px; }
h1 { margin: 0 0 8px; font-size: 24px; }
h2 { margin: 0 0 4px; font-size: 18px; }
section, .skeleton { display: block; height: 150px; margin: 0 0 12px; overflow: hidden; }
.skeleton { background: #ddd; color: #777; }
td { padding: 0 8px; }
.box { height: 120px; margin: 0 0 10px; overflow: hidden; background: #cde; }
.tiny { height: 10px; margin: 0 0 10px; background: #ddd; }
footer { height: 300px; background: #eee; }
";

async fn stylesheet() -> Response {
    ([(http::header::CONTENT_TYPE, "text/css")], STYLE).into_response()
}

fn head(title: &str) -> Markup {
    html! { title { (title) } link rel="stylesheet" href="/style.css"; }
}

/// Like `/bench/s1`, with the three sections' delays given and shorter tables, so the whole
/// page fits a screenshot.
fn dashboard(page: Page, delays: [u64; 3]) -> Response {
    let sections = [1, 2, 3].map(|k| {
        let delay = delays[k - 1];
        page.section(html! { div.skeleton { "Loading…" } }, async move {
            sleep(ms(delay)).await;
            Ok::<_, Infallible>(html! {
                section {
                    h2 { "Section " (k) }
                    table { @for i in 1..=4 { tr { td { (i) } td { "Customer " (i) } td { "$1,234.56" } } } }
                }
            })
        })
    });
    page.render(Shell {
        head: head("Dashboard"),
        body: html! {
            header { h1 { "Dashboard" } }
            main { @for slot in &sections { (slot) } }
        },
    })
}

/// A section in a `<tbody>`, a nested one, a failing one and a timed-out one.
async fn contexts(page: Page) -> Response {
    let rows = page.section(html! { tr.skeleton { td { "…" } } }, async {
        sleep(ms(100)).await;
        Ok::<_, Infallible>(html! { @for i in 1..=3 { tr.row { td { "row " (i) } } } })
    });
    let scope = page.scope();
    let parent = page.section(html! { p { "parent loading" } }, async move {
        sleep(ms(80)).await;
        let child = scope.section(html! { i { "child loading" } }, async {
            sleep(ms(200)).await;
            Ok::<_, Infallible>(html! { span.child { "child" } })
        });
        Ok::<_, Infallible>(html! { div.parent { "parent " (child) } })
    });
    let failed = page.section(html! { p { "…" } }, async {
        sleep(ms(50)).await;
        Err::<Markup, _>("the database is down")
    });
    let slow = page
        .section(html! { p { "…" } }, async {
            sleep(Duration::from_secs(30)).await;
            Ok::<_, Infallible>(html! { "never" })
        })
        .timeout(ms(250));
    page.render(Shell {
        head: head("Contexts"),
        body: html! {
            h1 { "Contexts" }
            table #orders { thead { tr { th { "Order" } } } tbody { (rows) } }
            div #nested { (parent) }
            div #failed { (failed) }
            div #slow { (slow) }
        },
    })
}

/// The CSP's negative control: text that smuggles an inline script without the nonce.
async fn injected(page: Page) -> Response {
    let late = page.section(html! { p { "…" } }, async {
        sleep(ms(50)).await;
        Ok::<_, Infallible>(html! { p { "late" } })
    });
    page.render(Shell {
        head: head("Injected"),
        body: html! {
            h1 { "Injected" }
            (PreEscaped("<script>window.injected = true</script>"))
            (late)
        },
    })
}

/// Three sections whose skeleton has class `skeleton_class` and whose content is a 120 px
/// `.box`, above a tall footer: `box` skeletons match their content, `tiny` ones do not.
fn boxes(page: Page, skeleton_class: &'static str) -> Response {
    let sections = [1u64, 2, 3].map(|k| {
        page.section(html! { div class=(skeleton_class) {} }, async move {
            sleep(ms(100 * k)).await;
            Ok::<_, Infallible>(html! { div.box { "Section " (k) } })
        })
    });
    page.render(Shell {
        head: head("Layout"),
        body: html! {
            h1 { "Layout" }
            main { @for slot in &sections { (slot) } }
            footer { "Footer" }
        },
    })
}
