//! A dependent resource: two sections need the same slow value (a user, say), a third does
//! not. The value is a `Resource`: its producer starts with the request and runs once, the
//! two sections that await it get the same result, and the third section never waits for
//! it.
//!
//! ```not_rust
//! cargo run --example dependent_resource
//! curl -N http://127.0.0.1:3000/
//! ```

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use braid::stream::{Engine, Page, Resource, ResourceError, Shell};
use maud::html;

/// How many times the shared value was produced: once per request.
static LOOKUPS: AtomicUsize = AtomicUsize::new(0);

async fn page(page: Page) -> Response {
    let user: Resource<String> = page.resource(async {
        tokio::time::sleep(Duration::from_millis(600)).await;
        let n = LOOKUPS.fetch_add(1, Ordering::Relaxed) + 1;
        Ok::<_, Infallible>(format!("Ada (lookup #{n})"))
    });
    let greeting = {
        let user = user.clone();
        page.section(html! { p { "…" } }, async move {
            let user = user.get().await?;
            Ok::<_, ResourceError>(html! { p { "Hello, " (user) } })
        })
    };
    let settings = page.section(html! { p { "…" } }, async move {
        let user = user.get().await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        Ok::<_, ResourceError>(html! { p { "Settings of " (user) } })
    });
    let news = page.section(html! { p { "…" } }, async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok::<_, Infallible>(html! { p { "News: never waits for the user" } })
    });
    page.render(Shell {
        head: html! { title { "A dependent resource" } },
        body: html! { (news) (greeting) (settings) },
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
