//! `/bench/s1` and `/bench/s0`: the reference scenario of `SCENARIO.md`, with no database.
//!
//! s1: three sections wait 50, 100 and 150 ms, all started at request time, then render a
//! heading and a 20-row table. s0: identical markup with data that is ready at once, to
//! measure braid's own rendering and streaming cost.
//!
//! More routes serve the benchmark scripts: `/bench/s0-static` sends s0's final HTML as
//! bytes rendered once (the ceiling of this server stack: the gap to s0 is the engine's cost),
//! `/bench/hold` holds its response open with three sections that wait 10 s (memory per
//! pending stream), and `/bench/many?n=100&delay=5` has `n` small sections, each ready at
//! once (`delay=0`) or after `delay` ms (the cost of one more section, as pages grow).

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use http::header;
use maud::{Markup, html};
use tokio::sync::OnceCell;

use crate::stream::{Engine, Mode, Page, Shell};

/// The `/bench` routes; they only need the engine.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Engine: axum::extract::FromRef<S>,
{
    Router::new()
        .route("/bench/s1", get(s1))
        .route("/bench/s0", get(s0))
        .route("/bench/s0-static", get(s0_static))
        .route("/bench/hold", get(hold))
        .route("/bench/many", get(many))
}

/// Most sections `/bench/many` renders, and the longest delay it waits: a benchmark page,
/// not a way to hold the server.
const MANY_MAX_SECTIONS: u32 = 1_000;
const MANY_MAX_DELAY_MS: u64 = 1_000;

/// `/bench/many`'s query: `n` sections, each after `delay` ms (0: ready at registration).
#[derive(Debug, serde::Deserialize)]
struct Many {
    n: u32,
    #[serde(default)]
    delay: u64,
}

async fn many(page: Page, Query(many): Query<Many>) -> Response {
    if many.n > MANY_MAX_SECTIONS || many.delay > MANY_MAX_DELAY_MS {
        let message =
            format!("n is at most {MANY_MAX_SECTIONS} and delay at most {MANY_MAX_DELAY_MS} (ms)");
        return (http::StatusCode::BAD_REQUEST, message).into_response();
    }
    let delay = Duration::from_millis(many.delay);
    let sections: Vec<_> = (0..many.n)
        .map(|k| {
            let producer = async move {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                Ok::<_, Infallible>(html! { li { "Section " (k) } })
            };
            page.section(html! { li class="skeleton" { "…" } }, producer)
                .name("item")
        })
        .collect();
    page.render(Shell {
        head: html! { title { "Many sections" } },
        body: html! { main { ul { @for slot in &sections { (slot) } } } },
    })
}

const SECTION_DELAYS_MS: [u64; 3] = [50, 100, 150];

async fn s1(page: Page) -> Response {
    render(page, |k| {
        Some(Duration::from_millis(SECTION_DELAYS_MS[k - 1]))
    })
}

async fn s0(page: Page) -> Response {
    s0_page(page)
}

/// The `/bench/s0` document on `page`: its three sections are ready at registration. Public
/// for the criterion benchmarks, which render it without HTTP.
pub fn s0_page(page: Page) -> Response {
    render(page, |_| None)
}

async fn hold(page: Page) -> Response {
    render(page, |_| Some(HOLD))
}

/// How long `/bench/hold` keeps its sections pending (the page deadline may end it sooner).
const HOLD: Duration = Duration::from_secs(10);

/// s0's document, rendered once through the engine in blocking mode.
static S0_BYTES: OnceCell<Bytes> = OnceCell::const_new();

async fn s0_static(State(engine): State<Engine>) -> Response {
    let bytes = S0_BYTES
        .get_or_init(|| async {
            let page = Page::new(&engine, Mode::Blocking);
            let body = s0_page(page).into_body();
            axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default()
        })
        .await
        .clone();
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], bytes).into_response()
}

fn render(page: Page, delay_of: impl Fn(usize) -> Option<Duration>) -> Response {
    let sections = [1, 2, 3].map(|k| {
        let delay = delay_of(k);
        page.section(skeleton(), async move {
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            Ok::<_, Infallible>(section(k))
        })
        .name(["section-1", "section-2", "section-3"][k - 1])
    });
    page.render(Shell {
        head: html! { title { "S1" } },
        body: html! {
            header { h1 { "Dashboard" } }
            nav {
                a href="/" { "Home" } " "
                a href="/dashboard" { "Dashboard" } " "
                a href="/invoices" { "Invoices" } " "
                a href="/customers" { "Customers" } " "
                a href="/bench/s0" { "Bench" }
            }
            main { @for slot in &sections { (slot) } }
        },
    })
}

fn skeleton() -> Markup {
    html! { div class="skeleton" { "Loading…" } }
}

fn section(k: usize) -> Markup {
    html! {
        section {
            h2 { "Section " (k) }
            table {
                @for i in 1..=20 {
                    tr {
                        td { (i) }
                        td { "Customer " (i) }
                        td { "customer" (i) "@example.com" }
                        td { "$1,234.56" }
                    }
                }
            }
        }
    }
}
