//! Nested sections: a section's producer registers sections of its own through a `Scope`
//! (here, one per order it found). A child always arrives after its parent, which holds its
//! place; a client that leaves cancels parents and children alike.
//!
//! ```not_rust
//! cargo run --example nested_sections
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
    let scope = page.scope();
    let orders = page.section(html! { p { "Loading orders…" } }, async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let rows: Vec<_> = (1..=3u64)
            .map(|order| {
                let detail = scope.section(html! { span { "…" } }, async move {
                    tokio::time::sleep(Duration::from_millis(200 * order)).await;
                    Ok::<_, Infallible>(html! { span { "shipped on day " (order) } })
                });
                (order, detail)
            })
            .collect();
        Ok::<_, Infallible>(html! {
            ul { @for (order, detail) in &rows { li { "Order " (order) ": " (detail) } } }
        })
    });
    page.render(Shell {
        head: html! { title { "Nested sections" } },
        body: html! { h1 { "Orders" } (orders) },
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
