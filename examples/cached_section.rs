//! A cached section: a slow "exchange rate" section is produced once, served from the cache
//! for 10 seconds, then served stale for 50 more while one background production replaces
//! it. `POST /rates` stands for a write: it invalidates the `rates` tag, and the next page
//! waits for a new production. Concurrent misses share one production.
//!
//! The producer is a plain `fn` of the context (given once, at start-up) and the key (here
//! the currency from the query): it cannot capture anything of a request, so a cached
//! section can never carry one user's data to another.
//!
//! ```not_rust
//! cargo run --example cached_section
//! curl -N 'http://127.0.0.1:3000/?currency=EUR'   # slow: a miss
//! curl -N 'http://127.0.0.1:3000/?currency=EUR'   # at once: a hit
//! curl -X POST http://127.0.0.1:3000/rates        # invalidates the "rates" tag
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use braid::stream::{CachePolicy, CachedSection, Engine, Page, Shell};
use maud::{Markup, html};
use serde::Deserialize;

/// Process-wide state a producer may read: here, a count of productions.
#[derive(Clone, Default)]
struct RateSource {
    productions: Arc<AtomicUsize>,
}

/// The cached section's producer: slow, like a remote API.
async fn rate(source: RateSource, currency: String) -> Result<Markup, String> {
    tokio::time::sleep(Duration::from_millis(800)).await;
    let n = source.productions.fetch_add(1, Ordering::Relaxed) + 1;
    Ok(html! { p { "1 USD = 0.92 " (currency) " (production #" (n) ")" } })
}

#[derive(Clone)]
struct AppState {
    engine: Engine,
    rates: CachedSection<String>,
}

impl FromRef<AppState> for Engine {
    fn from_ref(state: &AppState) -> Engine {
        state.engine.clone()
    }
}

#[derive(Deserialize)]
struct Params {
    currency: Option<String>,
}

async fn page(State(app): State<AppState>, Query(params): Query<Params>, page: Page) -> Response {
    let currency = params.currency.unwrap_or_else(|| "EUR".into());
    let rate = page.cached_section(&app.rates, currency, || html! { p { "Loading the rate…" } });
    page.render(Shell {
        head: html! { title { "A cached section" } },
        body: html! { h1 { "Exchange rate" } (rate) },
    })
}

async fn new_rates(State(app): State<AppState>) -> &'static str {
    app.engine.invalidator().invalidate("rates");
    "rates invalidated\n"
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let engine = Engine::default();
    let policy = CachePolicy::fresh_for(Duration::from_secs(10))
        .stale_for(Duration::from_secs(50))
        .tag("rates");
    let rates = CachedSection::new(&engine, "rate", policy, RateSource::default(), rate)?;
    let app = Router::new()
        .route("/", get(page))
        .route("/rates", post(new_rates))
        .with_state(AppState { engine, rates });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("http://127.0.0.1:3000/?currency=EUR");
    axum::serve(listener, app).await?;
    Ok(())
}
