//! The poison suite of issue 9 in a real browser: a section whose raw HTML is unbalanced
//! shows its error view, and every other section lands, in all three modes.

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use braid::stream::{Engine, Page};
use serde_json::json;

use super::chrome;
use crate::engine::poisoned_page;
use crate::util::start_server;

pub use crate::engine::POISONS;

/// The page of each poison, at `/poison/{index in POISONS}`.
pub fn router() -> Router {
    let engine = Engine::default();
    Router::new()
        .route(
            "/poison/{n}",
            get(|Path(n): Path<usize>, page: Page| async move { poisoned_page(page, POISONS[n]) }),
        )
        .with_state(engine)
}

/// What a poisoned page ends as, as JSON: see [`expected`].
pub const FINAL_STATE: &str = "({ done: [...document.querySelectorAll('main p')].map(p => p.textContent).filter(t => t.startsWith('done-')), \
    errors: document.querySelectorAll('.braid-error').length, \
    skeletons: document.querySelectorAll('.skeleton').length, \
    textareas: document.querySelectorAll('textarea').length })";

/// Both good sections, one error view, no skeleton, no stray textarea.
pub fn expected() -> serde_json::Value {
    json!({ "done": ["done-1", "done-2"], "errors": 1, "skeletons": 0, "textareas": 0 })
}

#[tokio::test]
async fn an_unbalanced_section_cannot_swallow_the_others_in_chromium() {
    let Some(chrome) =
        chrome::launch("an_unbalanced_section_cannot_swallow_the_others_in_chromium").await
    else {
        return;
    };
    let server = start_server(router(), Engine::default()).await;
    let tab = chrome.tab().await;
    for (n, poison) in POISONS.iter().enumerate() {
        for mode in ["out-of-order", "in-order", "off"] {
            tab.open(&server.url(&format!("/poison/{n}?stream={mode}")))
                .await;
            tab.wait_complete().await;
            let state = tab.eval(FINAL_STATE).await;
            assert_eq!(state, expected(), "{poison:?} in {mode}");
        }
    }
}
