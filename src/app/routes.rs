//! Wires every page's router into the application router.

use axum::Router;

use super::AppState;
use super::error::AppError;
use super::{assets, pages};

/// The whole application: the Acme pages, the `/bench` pages and the stylesheet.
///
/// The `/bench` pages get only the engine as their state: axum clones a handler's state for
/// every request, and the benchmark should measure the engine, not the demo's handles.
pub fn router(state: AppState) -> Router {
    let bench = pages::bench::router().with_state(state.engine.clone());
    Router::new()
        .merge(pages::landing::router())
        .merge(pages::dashboard::router())
        .merge(pages::invoices::router())
        .merge(pages::invoice::router())
        .merge(pages::customers::router())
        .merge(assets::router())
        .fallback(|| async { AppError::NotFound("page") })
        .with_state(state)
        .merge(bench)
}
