//! A shell rendered once (partial prerendering): its static bytes are kept, split at its
//! holes, and each request fills only the holes: its sections' slots and whatever else is
//! its own (a signed-in user's name).

use std::fmt;
use std::sync::Arc;

use maud::{Markup, PreEscaped, Render};

use super::render::Shell;

/// A page's shell whose static bytes are rendered once, at start-up, and reused by every
/// request: per request, [`Page::render_static`](super::Page::render_static) copies them and
/// renders only the holes. The holes are numbered in the order [`Holes::hole`] was called.
///
/// The renderer adds what depends on the request (the swap runtime and its nonce, in
/// out-of-order mode with a pending section) around the shell, so one rendering serves
/// every streaming mode.
///
/// # Examples
///
/// ```
/// use braid::stream::{Page, Shell, StaticShell};
/// use maud::html;
///
/// let shell = StaticShell::render(|holes| Shell {
///     head: html! { title { "Report" } },
///     body: html! { nav { "Menu" } p { "Hello, " (holes.hole()) } main { (holes.hole()) } },
/// });
/// assert_eq!(shell.holes(), 2);
///
/// # async fn handler(page: Page, shell: &StaticShell) -> axum::response::Response {
/// let report = page.section(html! { p { "Loading…" } }, async {
///     Ok::<_, std::convert::Infallible>(html! { p { "42" } })
/// });
/// page.render_static(shell, &[&"Ada", &report])
/// # }
/// ```
#[derive(Clone)]
pub struct StaticShell {
    inner: Arc<Rendered>,
}

struct Rendered {
    head: String,
    /// Static bytes, then the hole after them; the last piece has no hole.
    pieces: Vec<(String, Option<usize>)>,
    holes: usize,
    static_bytes: usize,
}

impl fmt::Debug for StaticShell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticShell")
            .field("holes", &self.inner.holes)
            .field("static_bytes", &self.inner.static_bytes)
            .finish()
    }
}

/// Hands out the holes while a [`StaticShell`] is rendered.
pub struct Holes {
    token: String,
    next: std::cell::Cell<usize>,
}

impl fmt::Debug for Holes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Holes")
            .field("next", &self.next.get())
            .finish()
    }
}

impl Holes {
    /// The next hole: put it in the markup where a request's own piece goes (a slot, a
    /// name). Holes are numbered from 0 in the order of these calls.
    pub fn hole(&self) -> Markup {
        let index = self.next.get();
        self.next.set(index + 1);
        PreEscaped(format!("\0{}:{index}\0", self.token))
    }
}

impl StaticShell {
    /// Renders `build` once and keeps its bytes, split at the holes it placed.
    ///
    /// # Panics
    ///
    /// If a hole is not in the body exactly once, in the order the holes were made (one in
    /// the head, one rendered twice or dropped): the pieces of each request would go to the
    /// wrong places. A shell is rendered at start-up, so this shows at once.
    pub fn render(build: impl FnOnce(&Holes) -> Shell) -> StaticShell {
        let holes = Holes {
            token: format!("braid-hole-{:016x}", rand::random::<u64>()),
            next: std::cell::Cell::new(0),
        };
        let shell = build(&holes);
        let made = holes.next.get();
        let head = shell.head.into_string();
        assert!(
            !head.contains(&holes.token),
            "a StaticShell hole is in the head; holes go in the body"
        );
        let pieces = split(&shell.body.into_string(), &holes.token);
        let placed: Vec<usize> = pieces.iter().filter_map(|(_, hole)| *hole).collect();
        assert!(
            placed.iter().copied().eq(0..made),
            "a StaticShell's {made} holes must each be in its body once, in the order they \
             were made; found {placed:?}"
        );
        let static_bytes = pieces.iter().map(|(bytes, _)| bytes.len()).sum();
        StaticShell {
            inner: Arc::new(Rendered {
                head,
                pieces,
                holes: made,
                static_bytes,
            }),
        }
    }

    /// How many holes the shell has: [`Page::render_static`](super::Page::render_static)
    /// takes one piece per hole.
    pub fn holes(&self) -> usize {
        self.inner.holes
    }

    /// The shell with `pieces` in its holes, in order. A missing piece leaves its hole
    /// empty; pieces beyond the holes are not used.
    pub(crate) fn fill(&self, pieces: &[&dyn Render]) -> Shell {
        let rendered = &self.inner;
        let mut body = String::with_capacity(rendered.static_bytes + 64 * rendered.holes);
        for (bytes, hole) in &rendered.pieces {
            body.push_str(bytes);
            if let Some(piece) = hole.and_then(|index| pieces.get(index)) {
                piece.render_to(&mut body);
            }
        }
        Shell {
            head: PreEscaped(rendered.head.clone()),
            body: PreEscaped(body),
        }
    }
}

/// `body` cut at each `\0<token>:<index>\0`.
fn split(body: &str, token: &str) -> Vec<(String, Option<usize>)> {
    let opening = format!("\0{token}:");
    let mut pieces = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find(&opening) {
        let after = &rest[at + opening.len()..];
        let Some(end) = after.find('\0') else { break };
        let index = after[..end].parse().ok();
        pieces.push((rest[..at].to_string(), index));
        rest = &after[end + 1..];
    }
    pieces.push((rest.to_string(), None));
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use maud::html;

    #[test]
    fn holes_are_filled_in_order_and_the_rest_is_kept() {
        let shell = StaticShell::render(|holes| Shell {
            head: html! { title { "T" } },
            body: html! { a { (holes.hole()) } b { (holes.hole()) } c {} },
        });
        assert_eq!(shell.holes(), 2);
        let filled = shell.fill(&[&"one", &html! { i { "two" } }]);
        assert_eq!(
            filled.body.into_string(),
            "<a>one</a><b><i>two</i></b><c></c>"
        );
        assert_eq!(filled.head.into_string(), "<title>T</title>");
        let short = shell.fill(&[&"one"]);
        assert_eq!(short.body.into_string(), "<a>one</a><b></b><c></c>");
    }

    #[test]
    #[should_panic(expected = "found [1, 0]")]
    fn holes_out_of_order_are_refused() {
        StaticShell::render(|holes| {
            let (first, second) = (holes.hole(), holes.hole());
            Shell {
                head: html! {},
                body: html! { (second) (first) },
            }
        });
    }

    #[test]
    #[should_panic(expected = "found [0]")]
    fn a_hole_left_out_is_refused() {
        StaticShell::render(|holes| {
            let (first, _dropped) = (holes.hole(), holes.hole());
            Shell {
                head: html! {},
                body: html! { (first) },
            }
        });
    }

    #[test]
    #[should_panic(expected = "in the head")]
    fn a_hole_in_the_head_is_refused() {
        StaticShell::render(|holes| Shell {
            head: html! { title { (holes.hole()) } },
            body: html! {},
        });
    }
}
