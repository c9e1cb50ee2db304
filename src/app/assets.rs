//! Static files compiled into the binary, so the server runs from any directory.

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{StatusCode, header};

use super::AppState;

const STYLE: &str = include_str!("../../assets/style.css");
const SEARCH: &str = include_str!("../../assets/search.js");

/// `/assets/style.css` and `/assets/search.js`. The pages link them with the crate version in the query, so a day of
/// caching never serves a stale stylesheet after an upgrade. `/favicon.ico` is an empty
/// `204`: browsers ask for it on every page, and a 404 would show as a console error.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route(
            "/assets/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .route(
            "/assets/search.js",
            get(|| async { asset("text/javascript; charset=utf-8", SEARCH) }),
        )
}

/// A static file, cached for a day.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}
