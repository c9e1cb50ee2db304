//! The search box of the invoices and customers pages, which searches as the user types.

use maud::{Markup, html};

use crate::db;

/// A GET form (`?query=`) that works without JavaScript (its Search button), plus the
/// script that, with JavaScript, fetches the results about 300 ms after the last keystroke
/// and keeps the URL in sync (`assets/search.js`). The page's results must be in an
/// element with `id="results"`. `nonce` is the page's CSP nonce.
pub fn search_form(action: &str, query: &str, placeholder: &str, nonce: &str) -> Markup {
    html! {
        form class="search" action=(action) method="get" role="search" data-live-search {
            input type="search" name="query" value=(query) placeholder=(placeholder)
                aria-label=(placeholder) maxlength=(db::MAX_SEARCH_CHARS) autocomplete="off";
            button type="submit" { "Search" }
        }
        @if query.chars().count() > db::MAX_SEARCH_CHARS {
            p class="notice" { "Searches are limited to " (db::MAX_SEARCH_CHARS) " characters; this one matches nothing." }
        }
        script src={ "/assets/search.js?v=" (env!("CARGO_PKG_VERSION")) } nonce=(nonce) defer {}
    }
}
