//! The Acme invoices dashboard and the `/bench` pages, built on `stream`'s public API alone.
//!
//! `routes.rs` wires the pages; each page in `pages/` owns its router and registers its
//! sections; `components/` holds the markup they share; all data comes from `crate::db`.

mod assets;
pub mod auth;
pub mod changes;
pub mod components;
pub mod error;
pub mod forms;
mod latency;
pub mod pages;
mod routes;

use std::sync::Arc;

use anyhow::Context;
use axum::extract::FromRef;

use crate::db::{DatabaseUrl, Db, SeedSize};
use crate::stream::{CacheError, Engine};
use auth::Auth;
use auth::users::DemoUser;
use pages::dashboard::DashboardSections;

pub use latency::DemoLatency;
pub use routes::router;

/// What every handler can reach, behind one `Arc`: axum clones a handler's state for every
/// request, and for each `from_fn_with_state` layer, so a clone is one reference count
/// rather than one per handle (about a dozen). Its fields are [`AppHandles`]'s.
#[derive(Debug, Clone)]
pub struct AppState(Arc<AppHandles>);

impl std::ops::Deref for AppState {
    type Target = AppHandles;

    fn deref(&self) -> &AppHandles {
        &self.0
    }
}

/// The handles an [`AppState`] shares.
#[derive(Debug)]
pub struct AppHandles {
    /// The streaming engine (the `Page` extractor finds it here).
    pub engine: Engine,
    /// The SQLite pools.
    pub db: Db,
    /// Artificial latency per section, to watch the page fill in.
    pub latency: DemoLatency,
    /// Sign-in settings (an `Arc`: the session layer keeps its own handle).
    pub auth: Arc<Auth>,
    /// The dashboard's cached sections.
    pub dashboard: DashboardSections,
}

/// What [`AppState::open`] needs besides the engine.
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// The SQLite file; created, migrated and seeded if new.
    pub database: DatabaseUrl,
    /// Demo data for a database without customers.
    pub seed: SeedSize,
    pub latency: DemoLatency,
    /// The account a database without users gets.
    pub demo_user: DemoUser,
    pub secure_cookies: bool,
    pub behind_proxy: bool,
    /// Whether cached sections are served from the cache (off: every request produces them,
    /// concurrent ones sharing one production).
    pub section_cache: bool,
}

impl AppState {
    /// Opens the database (creating, migrating and seeding it if it is new, and adding the
    /// demo user if it has no users) and builds the state around it.
    ///
    /// # Errors
    ///
    /// When the database cannot be opened, migrated or seeded.
    pub async fn open(settings: AppSettings, engine: Engine) -> anyhow::Result<AppState> {
        let database = &settings.database;
        let db = Db::open(database, settings.seed)
            .await
            .with_context(|| format!("opening {database}"))?;
        let demo_active = auth::users::ensure_demo_user(&db, &settings.demo_user)
            .await
            .with_context(|| format!("adding the demo user to {database}"))?;
        tracing::info!(%database, "database ready");
        let auth = Auth::new(settings.secure_cookies, settings.behind_proxy)
            .await?
            .show_demo_account(&settings.demo_user, demo_active);
        Ok(AppState::new(
            engine,
            db,
            settings.latency,
            auth,
            settings.section_cache,
        )?)
    }

    /// The state around an open database: defines the cached sections on `engine` and
    /// starts forwarding the database's changes to them (see [`changes::follow`]).
    ///
    /// # Errors
    ///
    /// [`CacheError::DuplicateName`] if `engine` already serves another `AppState`.
    pub fn new(
        engine: Engine,
        db: Db,
        latency: DemoLatency,
        auth: Auth,
        section_cache: bool,
    ) -> Result<AppState, CacheError> {
        let dashboard = DashboardSections::define(&engine, &db, &latency, section_cache)?;
        changes::follow(&db, &engine);
        Ok(AppState(Arc::new(AppHandles {
            engine,
            db,
            latency,
            auth: Arc::new(auth),
            dashboard,
        })))
    }
}

impl FromRef<AppState> for Engine {
    fn from_ref(state: &AppState) -> Engine {
        state.engine.clone()
    }
}
