//! `Slot`: a registered section's place in the markup, and the builder that tunes it.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use maud::{Markup, Render};

use super::registry::PageShared;
use super::section::{ErrorId, ErrorView};

/// A registered section's place in the shell: renders as its slot marker.
///
/// Returned by [`Page::section`](super::Page::section) and
/// [`Scope::section`](super::Scope::section); its producer is already running. Put it in the
/// page's markup with `(slot)` in `html!`; the renderer replaces it with the section's HTML if
/// it is ready when the shell is written, or with its fallback and, later, a swap.
///
/// The builder methods tune how the section settles.
///
/// # Examples
///
/// ```
/// # use braid::stream::{Page, Shell};
/// # use maud::html;
/// # use std::time::Duration;
/// # async fn handler(page: Page) -> axum::response::Response {
/// let revenue = page
///     .section(html! { div.skeleton { "Loading…" } }, async {
///         Ok::<_, std::convert::Infallible>(html! { p { "$1,234.56" } })
///     })
///     .name("revenue")
///     .timeout(Duration::from_secs(3))
///     .on_timeout(html! { p { "Revenue is slow today." } });
/// page.render(Shell { head: html! { title { "Revenue" } }, body: html! { main { (revenue) } } })
/// # }
/// ```
#[must_use = "a slot does nothing unless it is rendered into the page"]
pub struct Slot {
    shared: Arc<PageShared>,
    id: u32,
}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slot").field("id", &self.id).finish()
    }
}

impl Slot {
    pub(crate) fn new(shared: Arc<PageShared>, id: u32) -> Self {
        Self { shared, id }
    }

    /// Names the section in logs, metrics and the debug timeline (default `unnamed`).
    pub fn name(self, name: impl Into<Cow<'static, str>>) -> Self {
        let name = name.into();
        self.shared.with_entry(self.id, |entry| entry.name = name);
        self
    }

    /// Gives up on the section this long after it was registered and shows its timeout view.
    /// The page deadline still applies if it is sooner.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.shared
            .with_entry(self.id, |entry| entry.timeout = timeout);
        self
    }

    /// Replaces the default error view; it receives the id that was logged with the error.
    /// The view runs while the page's sections are locked, so it must not register sections
    /// itself: it only turns the id into markup.
    pub fn on_error(self, view: impl Fn(&ErrorId) -> Markup + Send + Sync + 'static) -> Self {
        let view: ErrorView = Arc::new(view);
        self.shared
            .with_entry(self.id, |entry| entry.on_error = Some(view));
        self
    }

    /// Replaces the default timeout view.
    pub fn on_timeout(self, view: Markup) -> Self {
        let view = view.into_string();
        self.shared
            .with_entry(self.id, |entry| entry.on_timeout = Some(view));
        self
    }

    /// The section's id on the wire (`b:<id>` / `c:<id>`).
    pub fn id(&self) -> u32 {
        self.id
    }
}

impl Render for Slot {
    fn render_to(&self, buffer: &mut String) {
        self.shared.marker.write(buffer, self.id);
    }
}
