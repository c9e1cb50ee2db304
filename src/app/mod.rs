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

use std::path::Path;

use anyhow::Context;
use axum::extract::FromRef;

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
    /// Opens the database at `database` (creating, migrating and seeding it with `seed` if
    /// it is new) and builds the state around it.
    pub async fn open(
        database: &Path,
        seed: SeedSize,
        latency: DemoLatency,
        engine: Engine,
    ) -> anyhow::Result<AppState> {
        let db = Db::open(database, seed)
            .await
            .with_context(|| format!("opening {}", database.display()))?;
        tracing::info!(database = %database.display(), "database ready");
        Ok(AppState {
            engine,
            db,
            latency,
        })
    }
}

impl FromRef<AppState> for Engine {
    fn from_ref(state: &AppState) -> Engine {
        state.engine.clone()
    }
}
