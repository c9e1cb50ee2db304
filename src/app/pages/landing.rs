//! `/`: what this demo is and what the reader is about to watch.

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use maud::html;

use crate::app::AppState;
use crate::app::components::layout::{self, Frame};
use crate::stream::Page;

/// The `/` route.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(landing))
}

async fn landing(page: Page) -> Response {
    let frame = Frame {
        title: "Welcome",
        description: "The Acme invoices dashboard of the Next.js Learn course, streamed by braid.",
        active: "/",
        user: None,
    };
    page.render(layout::shell(
        &frame,
        html! {
            h1 { "Acme, streamed by braid" }
            p class="lead" {
                "Every page here is a shell plus independent sections. The server starts every "
                "section's query the moment your request arrives, sends the layout with a skeleton "
                "per section at once, then streams each section as soon as its data is ready, in "
                "whatever order that happens."
            }
            p { a class="button" href="/login" { "Log in" } " to see the dashboard." }
            div class="panel" {
                h2 { "What you are watching" }
                ul {
                    li { a href="/dashboard" { "Dashboard" } ": four totals, a revenue chart and the latest invoices: six queries running in parallel." }
                    li { a href="/invoices" { "Invoices" } ": search and pages; the table and the page count are separate sections." }
                    li { a href="/customers" { "Customers" } ": totals per customer from one grouped query." }
                    li { "An invoice's page (e.g. " a href="/invoices/1" { "invoice 1" } ") looks the invoice up first, so an unknown one is a real 404; its customer sections depend on it, the activity list does not." }
                }
            }
            div class="panel" {
                h2 { "Try this" }
                ul {
                    li { "Start the server with " code { "--demo-latency revenue=2000,latest=800" } " and watch the dashboard fill in." }
                    li { "Add " code { "?stream=in-order" } " (no JavaScript, top to bottom) or " code { "?stream=off" } " (one complete document) to any page." }
                    li { "Run " code { "curl -N http://127.0.0.1:3000/bench/s1" } " to see the chunks arrive." }
                    li { "With " code { "--debug-timeline" } ", add " code { "?debug=timeline" } " to see each section's bar from request start." }
                }
            }
        },
    ))
}
