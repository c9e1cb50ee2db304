//! Error and timeout views: one section returns `Err`, one panics, one takes longer than
//! its timeout; each shows its view in place (the default one, or the page's own), the
//! error's message goes to the log with an error id, and every other section still
//! arrives: the page is a 200 and stays well-formed.
//!
//! ```not_rust
//! cargo run --example error_and_timeout_views
//! curl -N http://127.0.0.1:3000/
//! ```

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use braid::stream::{Engine, Page, Shell};
use maud::{Markup, html};

async fn page(page: Page) -> Response {
    let fine = page.section(html! { p { "…" } }, async {
        Ok::<_, Infallible>(html! { p { "This one works." } })
    });
    let failing = page
        .section(html! { p { "…" } }, async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Err::<Markup, _>("the billing service answered 500")
        })
        .name("billing")
        .on_error(|id| html! { p.error { "Billing is unavailable (ref " (id) ")." } });
    let panicking = page
        .section(html! { p { "…" } }, async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let empty: Vec<u8> = Vec::new();
            let first = empty[0]; // panics: caught, logged, shown as the default error view
            Ok::<_, Infallible>(html! { p { (first) } })
        })
        .name("buggy");
    let slow = page
        .section(html! { p { "…" } }, async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok::<_, Infallible>(html! { p { "never" } })
        })
        .name("slow")
        .timeout(Duration::from_millis(500))
        .on_timeout(html! { p { "Still working on it; reload in a minute." } });
    page.render(Shell {
        head: html! { title { "Error and timeout views" } },
        body: html! { (fine) (failing) (panicking) (slow) },
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt().init();
    let app = Router::new()
        .route("/", get(page))
        .with_state(Engine::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("http://127.0.0.1:3000/");
    axum::serve(listener, app).await
}
