//! The context suite of issue 9 §2, for the parser contexts where a streamed section already
//! lands exactly as in blocking mode: a section (and its fallback) directly inside a table
//! body, a row, a cell, a `<select>`, a list, a paragraph, a definition list. In each browser
//! engine the final `<main>` (tags, text and namespaces) equals the `?stream=off` one.
//!
//! Not yet here, and known to differ: a section directly inside `<svg>` (template content
//! is parsed as HTML), and a fallback the parser moves out of its place (a `<div>` in a
//! `<tbody>` or in a `<p>`).

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::get;
use braid::stream::{Engine, Page, Shell};
use maud::{Markup, PreEscaped, html};

/// One context: the markup around the slot (`{}` is the slot), the fallback, the section.
pub struct Context {
    pub name: &'static str,
    around: &'static str,
    fallback: &'static str,
    section: &'static str,
}

pub const CONTEXTS: &[Context] = &[
    Context {
        name: "table body",
        around: "<table><tbody>{}</tbody></table>",
        fallback: "<tr><td>…</td></tr>",
        section: "<tr><td>1</td></tr><tr><td>2</td></tr>",
    },
    Context {
        name: "table row",
        around: "<table><tbody><tr><th>a</th>{}</tr></tbody></table>",
        fallback: "<td>…</td>",
        section: "<td>1</td><td>2</td>",
    },
    Context {
        name: "table cell",
        around: "<table><tbody><tr><td>{}</td></tr></tbody></table>",
        fallback: "…",
        section: "<b>1</b> 2",
    },
    Context {
        name: "select",
        around: "<select>{}</select>",
        fallback: "<option>…</option>",
        section: "<option>one</option><option>two</option>",
    },
    Context {
        name: "list",
        around: "<ul>{}</ul>",
        fallback: "<li>…</li>",
        section: "<li>one</li><li>two</li>",
    },
    Context {
        name: "paragraph",
        around: "<p>before {} after</p>",
        fallback: "<span>…</span>",
        section: "<em>middle</em>",
    },
    Context {
        name: "definition list",
        around: "<dl>{}</dl>",
        fallback: "<dt>…</dt>",
        section: "<dt>term</dt><dd>definition</dd>",
    },
];

/// `/context/{n}`: context `n` with its section 100 ms late.
pub fn router() -> Router {
    Router::new()
        .route(
            "/context/{n}",
            get(|Path(n): Path<usize>, page: Page| async move { context_page(page, &CONTEXTS[n]) }),
        )
        .with_state(Engine::default())
}

fn context_page(page: Page, context: &'static Context) -> Response {
    let slot = page.section(PreEscaped(context.fallback.to_string()), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok::<_, Infallible>(PreEscaped(context.section.to_string()))
    });
    let (before, after) = context
        .around
        .split_once("{}")
        .unwrap_or((context.around, ""));
    let body: Markup = html! { main { (PreEscaped(before)) (slot) (PreEscaped(after)) } };
    page.render(Shell {
        head: html! { title { "context" } },
        body,
    })
}

/// The final `<main>` as a browser holds it: every node's name, namespace and text.
pub const FINAL_TREE: &str = "(() => { \
    const walk = n => n.nodeType === 1 \
        ? { tag: n.localName, ns: n.namespaceURI, kids: [...n.childNodes].map(walk) } \
        : n.nodeType === 3 ? { text: n.data } : { other: n.nodeType }; \
    return walk(document.querySelector('main')); })()";
