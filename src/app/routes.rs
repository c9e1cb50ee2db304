//! Wires every page's router into the application router.

use axum::Router;

use super::AppState;
use super::pages;

/// The whole application: the demo pages and the `/bench` pages.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::bench::router())
        .with_state(state)
}
