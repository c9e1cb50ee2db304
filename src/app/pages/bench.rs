//! `/bench/s1` and `/bench/s0`: the reference scenario of `SCENARIO.md`, with no database.
//!
//! s1: three sections wait 50, 100 and 150 ms, all started at request time, then render a
//! heading and a 20-row table. s0: identical markup with data that is ready at once, to
//! measure braid's own rendering and streaming cost.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};

use crate::stream::{Engine, Page, Shell};

/// The `/bench` routes; they only need the engine.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Engine: axum::extract::FromRef<S>,
{
    Router::new()
        .route("/bench/s1", get(s1))
        .route("/bench/s0", get(s0))
}

const SECTION_DELAYS_MS: [u64; 3] = [50, 100, 150];

async fn s1(page: Page) -> Response {
    render(page, |k| {
        Some(Duration::from_millis(SECTION_DELAYS_MS[k - 1]))
    })
}

async fn s0(page: Page) -> Response {
    render(page, |_| None)
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
