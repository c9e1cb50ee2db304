//! Static files compiled into the binary, so the server runs from any directory.

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use http::header;

use super::AppState;

const STYLE: &str = include_str!("../../assets/style.css");

/// `/assets/style.css`. The layout links it with the crate version in the query, so a day of
/// caching never serves a stale stylesheet after an upgrade.
pub fn router() -> Router<AppState> {
    Router::new().route(
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
