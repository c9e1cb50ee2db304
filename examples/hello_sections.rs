//! Hello, sections: a page whose three sections each wait for a different time. The shell,
//! with a skeleton per section, arrives at once; each section replaces its skeleton as soon
//! as it is ready, in whatever order; the whole page takes as long as the slowest section,
//! not the sum.
//!
//! ```not_rust
//! cargo run --example hello_sections
//! curl -N http://127.0.0.1:3000/
//! ```

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use braid::stream::{Engine, Page, Shell};
use maud::html;

async fn page(page: Page) -> Response {
    let sections = [("Fast", 200), ("Slow", 900), ("Medium", 500)].map(|(name, ms)| {
        page.section(html! { p.skeleton { "Loading " (name) "…" } }, async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok::<_, Infallible>(html! { h2 { (name) } p { "ready after " (ms) " ms" } })
        })
        .name(name)
    });
    page.render(Shell {
        head: html! { title { "Hello, sections" } },
        body: html! { h1 { "Hello, sections" } @for section in &sections { (section) } },
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = Router::new()
        .route("/", get(page))
        .with_state(Engine::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("http://127.0.0.1:3000/");
    axum::serve(listener, app).await
}
