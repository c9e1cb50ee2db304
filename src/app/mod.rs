//! The Acme invoices dashboard and the `/bench` pages, built on `stream`'s public API alone.
//!
//! `routes.rs` wires the pages; each page in `pages/` owns its router and registers its
//! sections; `components/` holds the markup they share; all data comes from `crate::db`.

mod assets;
pub mod components;
pub mod error;
mod latency;
pub mod pages;
mod routes;

use anyhow::Context;
use axum::extract::FromRef;

use crate::config::ServeConfig;
use crate::db::{Db, SeedSize};
use crate::stream::Engine;

pub use latency::DemoLatency;
pub use routes::router;

/// What every handler can reach. Cheap to clone: each field is a handle.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The streaming engine (the `Page` extractor finds it here).
    pub engine: Engine,
    /// The SQLite pools.
    pub db: Db,
    /// Artificial latency per section, to watch the page fill in.
    pub latency: DemoLatency,
}

impl AppState {
    /// Opens (creating, migrating and seeding if new) the database of `braid serve`.
    pub async fn open(config: &ServeConfig, engine: Engine) -> anyhow::Result<AppState> {
        let seed = SeedSize {
            customers: config.seed_customers,
            invoices: config.seed_invoices,
            ..SeedSize::default()
        };
        let db = Db::open(&config.database, seed)
            .await
            .with_context(|| format!("opening {}", config.database.display()))?;
        tracing::info!(database = %config.database.display(), "database ready");
        Ok(AppState {
            engine,
            db,
            latency: config.demo_latency.clone(),
        })
    }
}

impl FromRef<AppState> for Engine {
    fn from_ref(state: &AppState) -> Engine {
        state.engine.clone()
    }
}
