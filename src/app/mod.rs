//! The Acme invoices dashboard and the `/bench` pages, built on `stream`'s public API alone.

mod latency;
pub mod pages;
mod routes;

use axum::extract::FromRef;

use crate::config::ServeConfig;
use crate::stream::Engine;

pub use latency::DemoLatency;
pub use routes::router;

/// What every handler can reach: the engine and the demo's settings. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The streaming engine (the `Page` extractor finds it here).
    pub engine: Engine,
    /// Artificial latency per section, to watch the page fill in.
    pub latency: DemoLatency,
}

impl AppState {
    /// Builds the state of `braid serve`.
    pub async fn open(config: &ServeConfig, engine: Engine) -> anyhow::Result<AppState> {
        Ok(AppState {
            engine,
            latency: config.demo_latency.clone(),
        })
    }
}

impl FromRef<AppState> for Engine {
    fn from_ref(state: &AppState) -> Engine {
        state.engine.clone()
    }
}
