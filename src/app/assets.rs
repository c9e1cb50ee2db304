//! Static files compiled into the binary, so the server runs from any directory.

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use http::{StatusCode, header};

use super::AppState;

const STYLE: &str = include_str!("../../assets/style.css");

/// `/assets/style.css`. The layout links it with the crate version in the query, so a day of
/// caching never serves a stale stylesheet after an upgrade. `/favicon.ico` is an empty
/// `204`: browsers ask for it on every page, and a 404 would show as a console error.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route(
            "/assets/style.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=86400"),
                    ],
                    STYLE,
                )
                    .into_response()
            }),
        )
}
