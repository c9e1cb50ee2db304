//! The context suite of issue 9 §2: a section (and its fallback) directly inside each parser
//! context where the HTML parser moves or re-namespaces nodes: a table, its body, a row, a
//! cell, a column group, a `<select>`, a list, a paragraph, a definition list, `<svg>`,
//! `<math>`, an SVG `<foreignObject>`; and fallbacks that cannot stand where they are (a
//! `<div>` in a `<tbody>` or in a `<p>`, text in a row), which braid sends empty. In each
//! browser engine the final `<main>` (tags, text and namespaces) equals the `?stream=off` one.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::get;
use braid::stream::{Engine, Page, Shell};
use maud::{Markup, PreEscaped, html};
use serde_json::{Value, json};

use crate::util::TestServer;

/// What the suite needs of a browser tab: Chromium's over CDP, or a WebDriver session.
pub trait Loads {
    async fn open(&self, url: &str);
    async fn wait_complete(&self);
    async fn eval(&self, expression: &str) -> Value;
}

/// Every context, out of order and blocking, then the unclosed range and the other pages,
/// in one tab: what differs from the blocking document, errors, CSP violations and swap
/// events included. `native`: the browser applies `<template for>` itself, so only
/// sections in foreign content or raw text go through the runtime (and fire its event);
/// elsewhere the runtime applies every section and announces each.
pub async fn differences(tab: &impl Loads, server: &TestServer, native: bool) -> Vec<String> {
    let mut different = Vec::new();
    for (n, context) in CONTEXTS.iter().enumerate() {
        let mut trees = Vec::new();
        for mode in ["out-of-order", "off"] {
            tab.open(&server.url(&format!("/context/{n}?stream={mode}")))
                .await;
            tab.wait_complete().await;
            trees.push(tab.eval(FINAL_TREE).await);
            let problems = tab.eval(PROBLEMS).await;
            if problems != json!([]) {
                different.push(format!("{} ({mode}): {problems}", context.name));
            }
            let through_runtime = !native || context.needs_the_runtime();
            let expected = usize::from(mode == "out-of-order" && through_runtime);
            let swaps = tab.eval(SWAPS).await;
            if swaps != json!(expected) {
                different.push(format!("{} ({mode}): {swaps} swap events", context.name));
            }
        }
        if trees[0] != trees[1] {
            different.push(format!("{}:\n  {}\n  {}", context.name, trees[0], trees[1]));
        }
    }
    tab.open(&server.url("/unclosed-fallback")).await;
    tab.wait_complete().await;
    let around = tab.eval(AROUND_THE_UNCLOSED_RANGE).await;
    if around != json!(["before", "after", "last"]) {
        different.push(format!(
            "a range without its end removed nodes outside it: {around}"
        ));
    }
    for path in OTHER_PAGES {
        let mut trees = Vec::new();
        for mode in ["out-of-order", "off"] {
            tab.open(&server.url(&format!("{path}?stream={mode}")))
                .await;
            tab.wait_complete().await;
            trees.push(tab.eval(FINAL_TREE).await);
        }
        if trees[0] != trees[1] {
            different.push(format!("{path}:\n  {}\n  {}", trees[0], trees[1]));
        }
    }
    different
}

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
    Context {
        name: "table",
        around: "<table><caption>c</caption>{}</table>",
        fallback: "<tbody><tr><td>…</td></tr></tbody>",
        section: "<thead><tr><th>h</th></tr></thead><tbody><tr><td>1</td></tr></tbody>",
    },
    Context {
        name: "column group",
        around: "<table><colgroup>{}</colgroup><tbody><tr><td>1</td><td>2</td></tr></tbody></table>",
        fallback: "<col>",
        section: "<col span=\"2\">",
    },
    Context {
        name: "svg",
        around: "<svg viewBox=\"0 0 10 10\" width=\"10\" height=\"10\">{}</svg>",
        fallback: "<rect width=\"10\" height=\"2\"/>",
        section: "<rect width=\"4\" height=\"4\"/><g><circle r=\"2\"/><text>t</text></g>",
    },
    Context {
        name: "svg group",
        around: "<svg viewBox=\"0 0 10 10\"><g class=\"bars\">{}</g></svg>",
        fallback: "",
        section: "<rect width=\"4\" height=\"4\"/>",
    },
    Context {
        name: "math",
        around: "<p><math>{}</math></p>",
        fallback: "<mi>…</mi>",
        section: "<mi>x</mi><mo>+</mo><mn>1</mn>",
    },
    Context {
        name: "svg foreignObject",
        around: "<svg viewBox=\"0 0 10 10\"><foreignObject width=\"10\" height=\"10\">{}</foreignObject></svg>",
        fallback: "<div>…</div>",
        section: "<p>html <b>inside</b></p>",
    },
    Context {
        name: "div fallback in a table body",
        around: "<table><tbody>{}</tbody></table>",
        fallback: "<div class=\"skeleton\">…</div>",
        section: "<tr><td>1</td></tr><tr><td>2</td></tr>",
    },
    Context {
        name: "div fallback in a paragraph",
        around: "<p>before {} after</p>",
        fallback: "<div class=\"skeleton\">…</div>",
        section: "<em>middle</em>",
    },
    Context {
        name: "implied table body",
        around: "<table><tr><td>a</td></tr>{}</table>",
        fallback: "<tr><td>…</td></tr>",
        section: "<tr><td>b</td></tr>",
    },
    Context {
        name: "span fallback holding a div, in a paragraph",
        around: "<p>before {} after</p>",
        fallback: "<span class=\"skeleton\"><div class=\"bar\"></div></span>",
        section: "<em>middle</em>",
    },
    Context {
        name: "textarea",
        around: "<form><textarea name=\"notes\">{}</textarea></form>",
        fallback: "loading",
        section: "a &lt; b &amp; c, <not a tag>",
    },
    Context {
        name: "script data",
        around: "<script type=\"application/json\" id=\"data\">{}</script>",
        fallback: "",
        section: "{\"n\": 1, \"s\": \"&amp;\"}",
    },
    Context {
        name: "text fallback in a row",
        around: "<table><tbody><tr>{}</tr></tbody></table>",
        fallback: "loading…",
        section: "<td>1</td>",
    },
];

/// `/context/{n}`: context `n` with its section 100 ms late; `/nested-ready`: see
/// [`nested_ready_page`].
pub fn router() -> Router {
    Router::new()
        .route(
            "/context/{n}",
            get(|Path(n): Path<usize>, page: Page| async move { context_page(page, &CONTEXTS[n]) }),
        )
        .route("/nested-ready", get(nested_ready_page))
        .route("/unclosed-fallback", get(unclosed_fallback_page))
        .with_state(Engine::default())
}

/// Pages besides the contexts, compared with their blocking documents the same way.
pub const OTHER_PAGES: &[&str] = &["/nested-ready"];

/// A raw fallback that leaves a `<b>` open: the range's `<?end>` lands inside it, so the
/// range has no end among its start's siblings. The swap must then remove nothing: the
/// paragraphs after the slot stay.
async fn unclosed_fallback_page(page: Page) -> Response {
    let slot = page.section(PreEscaped("<b>loading".to_string()), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok::<_, Infallible>(html! { i { "arrived" } })
    });
    let head = html! { title { "unclosed" } script nonce=(page.nonce()) { (PreEscaped(COLLECT_PROBLEMS)) } };
    page.render(Shell {
        head,
        body: html! { main { p #before { "before" } (slot) p #after { "after" } p #last { "last" } } },
    })
}

/// After `/unclosed-fallback` completes: the paragraphs around the slot, as `[before, after,
/// last]` texts (`null` for one that is gone).
pub const AROUND_THE_UNCLOSED_RANGE: &str =
    "['#before', '#after', '#last'].map(s => document.querySelector(s)?.textContent ?? null)";

/// A section that is ready at once holds a pending slot inside `<svg>`; a later slot in
/// flow content has a `<div>` fallback. Where the first one's markup ends, the parser is
/// back in flow content: the second slot must be placed there, not in `<svg>`.
async fn nested_ready_page(page: Page) -> Response {
    let scope = page.scope();
    let card = page.section(html! {}, async move {
        let bars = scope.section(
            PreEscaped("<rect width=\"1\" height=\"1\"/>".into()),
            async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Ok::<_, Infallible>(PreEscaped("<rect width=\"3\" height=\"3\"/>".to_string()))
            },
        );
        Ok::<_, Infallible>(html! { div.card { svg viewBox="0 0 10 10" { (bars) } } })
    });
    let latest = page.section(html! { div.skeleton { "…" } }, async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        Ok::<_, Infallible>(html! { ul { li { "latest" } } })
    });
    // Ready before the shell is written: spliced in, not streamed.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let head =
        html! { title { "nested" } script nonce=(page.nonce()) { (PreEscaped(COLLECT_PROBLEMS)) } };
    page.render(Shell {
        head,
        body: html! { main { (card) (latest) } },
    })
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
    let head = html! {
        title { "context" }
        script nonce=(page.nonce()) { (PreEscaped(COLLECT_PROBLEMS)) }
    };
    page.render(Shell { head, body })
}

/// Runs before braid's fallback runtime (the page's head comes first) and collects, in
/// `window.__problems`, every error event, `console.error` and CSP violation of the page:
/// WebDriver classic cannot read a browser's console.
const COLLECT_PROBLEMS: &str = "window.__problems = []; window.__swaps = [];\
    document.addEventListener('braid:swap', e => window.__swaps.push(e.detail.id));\
    document.addEventListener('securitypolicyviolation', e =>\
        window.__problems.push('csp: ' + e.violatedDirective + ' ' + e.blockedURI));\
    window.addEventListener('error', e => window.__problems.push('error: ' + e.message));\
    const braidConsoleError = console.error;\
    console.error = (...args) => {\
        window.__problems.push('console: ' + args.join(' ')); braidConsoleError(...args); };";

/// What [`COLLECT_PROBLEMS`] collected: a JSON array, empty when all went well.
pub const PROBLEMS: &str = "window.__problems";

/// How many `braid:swap` events the page saw: one per section the fallback runtime applied.
pub const SWAPS: &str = "window.__swaps.length";

impl Context {
    /// Whether the section stands in foreign content or raw text, which the fallback
    /// runtime applies in every browser (natively streaming Chromium included).
    pub fn needs_the_runtime(&self) -> bool {
        let before = self.around.split("{}").next().unwrap_or("");
        let opened = |tag: &str| before.matches(&format!("<{tag}")).count();
        let closed = |tag: &str| before.matches(&format!("</{tag}")).count();
        let foreign = (opened("svg") > closed("svg") || opened("math") > closed("math"))
            && !before.contains("<foreignObject");
        foreign || opened("textarea") > closed("textarea") || opened("script") > closed("script")
    }
}

/// The final `<main>` as a browser holds it: every node's name, namespace and text.
pub const FINAL_TREE: &str = "(() => { \
    const walk = n => n.nodeType === 1 \
        ? { tag: n.localName, ns: n.namespaceURI, kids: [...n.childNodes].map(walk) } \
        : n.nodeType === 3 ? { text: n.data } : { other: n.nodeType }; \
    return walk(document.querySelector('main')); })()";
