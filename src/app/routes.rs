//! Wires every page's router into the application router.

use axum::Router;

use super::AppState;
use super::{assets, pages};

/// The whole application: the Acme pages, the `/bench` pages and the stylesheet.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::landing::router())
        .merge(pages::dashboard::router())
        .merge(pages::invoices::router())
        .merge(pages::invoice::router())
        .merge(pages::customers::router())
        .merge(pages::bench::router())
        .merge(assets::router())
        .with_state(state)
}
