//! Wires every page's router into the application router, and draws the line between
//! public and private pages.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use tower::ServiceBuilder;

use crate::server::metrics;

use super::AppState;
use super::auth::{self, FORM_BODY_LIMIT, csrf};
use super::error::{self, AppError};
use super::{assets, pages};

/// The whole application: the Acme pages, the `/bench` pages and the static assets.
///
/// - Public: `/`, `/login`, the assets, the 404 page.
/// - Private (the sign-in guard, [`auth::require_sign_in`], in front of each): the
///   dashboard, invoices and their forms, customers, `/logout`.
/// - Every Acme route has sessions (tower-sessions, on the database), the same-origin check
///   on writes, and a form body limit ([`FORM_BODY_LIMIT`], else `413`).
/// - The `/bench` pages have none of that, and get only the engine as their state: axum
///   clones a handler's state for every request, and the benchmark should measure the
///   engine, not the demo's handles.
///
/// The Acme pages' middleware wraps their router once, as one service (the router's
/// fallback), not each route: axum's `Router::layer` gives every route its own copy of the
/// stack, and each `from_fn` layer clones and boxes what is inside it on every request
/// (about 18,000 instructions a request here). Each route notes itself for the request
/// count ([`metrics::remember_route`]), outside the same-origin check, which is per route
/// so that a refused form is counted under its route.
pub fn router(state: AppState) -> Router {
    let bench = pages::bench::router().with_state(state.engine.clone());
    let private = Router::new()
        .merge(pages::dashboard::router())
        .merge(pages::invoices::router())
        .merge(pages::invoice::router())
        .merge(pages::invoice_forms::router())
        .merge(pages::customers::router())
        .merge(pages::login::signed_in_router())
        .route_layer(middleware::from_fn(auth::require_sign_in));
    let acme = Router::new()
        .merge(pages::landing::router())
        .merge(pages::login::router())
        .merge(private)
        .merge(assets::router())
        // Per route, so that a refused cross-site form is counted under its route.
        .route_layer(middleware::from_fn(csrf::same_origin))
        .route_layer(middleware::from_fn(metrics::remember_route))
        .fallback(|| async { AppError::NotFound("page") })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .with_state(state.clone());
    let acme = ServiceBuilder::new()
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
        .layer(state.auth.session_layer(&state.db))
        .layer(middleware::from_fn(error::error_pages))
        .service(acme);
    Router::new().merge(bench).fallback_service(acme)
}
