//! Modes: the same page out of order (the default for browsers and command-line tools),
//! in order (each section in its place, the document paused until it is ready: for browsers
//! without JavaScript), and blocking (one complete document: for crawlers and clients braid
//! does not recognise). `?stream=` chooses per request; the page code does not change.
//!
//! ```not_rust
//! cargo run --example modes
//! curl -N 'http://127.0.0.1:3000/'                    # out of order
//! curl -N 'http://127.0.0.1:3000/?stream=in-order'    # in order
//! curl -N 'http://127.0.0.1:3000/?stream=off'         # blocking
//! ```

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use braid::stream::{Engine, Page, Shell};
use maud::html;

async fn page(page: Page) -> Response {
    let mode = page.mode();
    let [first, second] = [600, 200].map(|ms| {
        page.section(html! { p { "…" } }, async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok::<_, Infallible>(html! { p { "ready after " (ms) " ms" } })
        })
    });
    page.render(Shell {
        head: html! { title { "Modes" } },
        body: html! { h1 { "This response is " (format!("{mode:?}")) } (first) (second) },
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = Router::new()
        .route("/", get(page))
        .with_state(Engine::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("http://127.0.0.1:3000/ (add ?stream=in-order or ?stream=off)");
    axum::serve(listener, app).await
}
