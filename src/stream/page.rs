//! The per-request page: registers sections and resources, and is the axum extractor.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use tokio::time::Instant;

use axum::extract::{FromRef, FromRequestParts, MatchedPath};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{StatusCode, header};
use maud::{Markup, Render};
use tracing::Instrument;

use super::cache::{CacheKey, CacheLookup, CachedSection, Found};
use super::driver;
use super::engine::Engine;
use super::liveness::ReadClosed;
use super::mailbox::Producer;
use super::mode::{Mode, UnknownMode};
use super::policy::PagePolicy;
use super::registry::{PageShared, poll_once};
use super::render::{Shell, respond};
use super::resource::Resource;
use super::section::{Outcome, SectionEntry, SectionState, UNNAMED, settle};
use super::slot::Slot;
use super::static_shell::StaticShell;

/// One request's page: the axum extractor that owns the request's sections.
///
/// `page.section(fallback, producer)` starts the producer at once and returns its [`Slot`];
/// `page.resource(future)` starts a value several sections can share; `page.render(shell)`
/// turns the shell and the sections into the streamed response. Dropping the `Page` without
/// rendering it (an early `return` with a 404, say) cancels everything it started.
///
/// The extractor reads the streaming [`Mode`] from `?stream=` (the policy's name for it) and
/// the user agent, makes the
/// CSP nonce, and finds the [`Engine`] in the router state through `FromRef`.
///
/// # Examples
///
/// ```
/// use axum::{Router, routing::get, response::Response};
/// use braid::stream::{Engine, Page, Shell};
/// use maud::html;
///
/// async fn hello(page: Page) -> Response {
///     let greeting = page.section(html! { p { "Loading…" } }, async {
///         Ok::<_, std::convert::Infallible>(html! { p { "Hello!" } })
///     });
///     page.render(Shell { head: html! { title { "Hello" } }, body: html! { main { (greeting) } } })
/// }
///
/// let app: Router = Router::new().route("/", get(hello)).with_state(Engine::default());
/// ```
pub struct Page {
    scope: Scope,
    /// Cleared by `render`, which hands the duty to cancel to the response body.
    cancel_on_drop: bool,
}

/// A handle to register more sections and resources on the same page, for instance from
/// inside a producer (nested sections). Cheap to clone; it does not keep work alive: once the
/// response is dropped, new registrations are cancelled at once.
#[derive(Clone)]
pub struct Scope {
    shared: Arc<PageShared>,
}

impl fmt::Debug for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Page")
            .field("name", &self.scope.shared.name)
            .field("mode", &self.scope.shared.mode)
            .finish()
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("page", &self.shared.name)
            .finish()
    }
}

impl Page {
    /// A page outside of axum's extractor, e.g. in tests or another framework.
    pub fn new(engine: &Engine, mode: Mode) -> Page {
        Page {
            scope: Scope {
                shared: Arc::new(PageShared::new(engine, mode)),
            },
            cancel_on_drop: true,
        }
    }

    fn shared_mut(&mut self) -> Option<&mut PageShared> {
        Arc::get_mut(&mut self.scope.shared)
    }

    /// Names the page in logs and metrics (the extractor uses the matched route).
    ///
    /// Call it before the page is shared: once a [`Scope`] or a section exists, their logs
    /// already carry the old name, so the name stays and a warning says so.
    pub fn with_name(mut self, name: impl Into<Arc<str>>) -> Page {
        let name = name.into();
        match self.shared_mut() {
            Some(shared) => shared.name = name,
            None => tracing::warn!(
                page = &*self.scope.shared.name,
                ignored = &*name,
                "Page::with_name after the page was shared (a Scope or a section exists): \
                 the name is not changed"
            ),
        }
        self
    }

    fn with_request(mut self, parts: &Parts, timeline: bool) -> Page {
        if let Some(shared) = self.shared_mut() {
            shared.uri = Some(parts.uri.clone());
            shared.timeline = timeline;
            shared.read_closed = parts.extensions.get::<ReadClosed>().cloned();
        }
        self
    }

    /// How this response streams.
    pub fn mode(&self) -> Mode {
        self.scope.shared.mode
    }

    /// The CSP nonce of this response, for any inline `<script nonce=…>` of the page's own.
    pub fn nonce(&self) -> &str {
        &self.scope.shared.nonce
    }

    /// A handle that can register sections later, e.g. moved into a producer.
    pub fn scope(&self) -> Scope {
        self.scope.clone()
    }

    /// Registers a section and starts its producer now; see [`Scope::section`].
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime, when the producer is not complete at once and it is the
    /// page's first such producer (the page's producer task is spawned).
    pub fn section<F, E>(&self, fallback: Markup, producer: F) -> Slot
    where
        F: Future<Output = Result<Markup, E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        self.scope.section(fallback, producer)
    }

    /// Registers a cached section; see [`Scope::cached_section`].
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime, when the entry must be produced or refreshed (that is
    /// spawned).
    pub fn cached_section<K: CacheKey>(
        &self,
        section: &CachedSection<K>,
        key: K,
        fallback: impl FnOnce() -> Markup,
    ) -> Slot {
        self.scope.cached_section(section, key, fallback)
    }

    /// Starts a shared value now; see [`Scope::resource`].
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime, when the producer is not complete at once (it is spawned).
    pub fn resource<T, E, F>(&self, producer: F) -> Resource<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Clone + Send + Sync + 'static,
        E: fmt::Display + Send + 'static,
    {
        self.scope.resource(producer)
    }

    /// Turns the shell and the sections into the streamed `200 OK` response.
    ///
    /// Writes the shell now, with every section that is already settled spliced in, and
    /// returns: the rest of the body is produced as the client reads it. If every section
    /// was ready, the response is one plain document with a `content-length`. To send another status
    /// (a 404 page that still has sections), wrap it: `(StatusCode::NOT_FOUND, page.render(..))`.
    pub fn render(mut self, shell: Shell) -> Response {
        self.cancel_on_drop = false;
        respond(self.scope.shared.clone(), shell)
    }

    /// As [`Page::render`], with a shell rendered once ([`StaticShell`]): its static bytes
    /// are copied and `pieces` fill its holes, in order (slots, or any markup of this
    /// request's own). A missing piece leaves its hole empty.
    pub fn render_static(self, shell: &StaticShell, pieces: &[&dyn Render]) -> Response {
        if pieces.len() != shell.holes() {
            tracing::warn!(
                page = &*self.scope.shared.name,
                holes = shell.holes(),
                pieces = pieces.len(),
                "a static shell got a different number of pieces than it has holes"
            );
        }
        let shell = shell.fill(pieces);
        self.render(shell)
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        if self.cancel_on_drop {
            self.scope.shared.cancel_all();
        }
    }
}

impl Scope {
    /// Registers a section: `producer` starts now (it is polled here once; unless that
    /// completes it, it goes on running in the page's one producer task, alongside the
    /// page's other sections) and its [`Slot`] marks where it goes in the markup.
    ///
    /// The producer's `Err`, a panic, or its timeout renders the section's error or timeout
    /// view; the page still completes with every other section.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime, when the producer is not complete at once and it is the
    /// page's first such producer (the page's producer task is spawned).
    pub fn section<F, E>(&self, fallback: Markup, producer: F) -> Slot
    where
        F: Future<Output = Result<Markup, E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        let live = self.shared.engine.live_producer();
        self.register(fallback, None, settle(producer, live))
    }

    /// Registers a cached section for `key`: a current entry is in the page at once (a
    /// stale one also starts its background refresh); otherwise the section waits, behind
    /// the markup `fallback` makes, for the production it started or joined. `fallback` is
    /// called only then: a hit renders no skeleton (so a fallback that would break the
    /// markup is reported only when one is used). The section is named after the
    /// definition.
    ///
    /// HTML that contains this page's CSP nonce is refused (the section shows its error
    /// view): a nonce is per request, and cached HTML is shared.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime, when the entry must be produced or refreshed (that is
    /// spawned), or the section waits for a production and is the page's first pending
    /// section (the page's producer task is spawned).
    pub fn cached_section<K: CacheKey>(
        &self,
        section: &CachedSection<K>,
        key: K,
        fallback: impl FnOnce() -> Markup,
    ) -> Slot {
        let (found, lookup) = section.lookup(key);
        // The cache checked the HTML (`fragment::check`) when it was produced. A hit needs
        // no nonce check either: an entry with this request's nonce (in its key) can only
        // have been produced for this request, a miss.
        let slot = match found {
            Found::Ready(html) => {
                let outcome = Outcome::Ready(String::from(&*html));
                self.register(Markup::default(), Some(lookup), std::future::ready(outcome))
            }
            Found::Wait(wait) => {
                let (nonce, live) = (
                    self.shared.nonce.clone(),
                    self.shared.engine.live_producer(),
                );
                self.register(fallback(), Some(lookup), async move {
                    let _live = live;
                    match wait.html().await {
                        Ok(html) => shareable(&html, &nonce),
                        Err(error) => Outcome::Failed {
                            error: error.to_string(),
                            panicked: false,
                        },
                    }
                })
            }
        };
        self.shared
            .with_entry(slot.id(), |entry| entry.name = section.section_name());
        slot
    }

    /// Registers a section whose outcome `task` makes: settled here if it is already
    /// complete, else handed to the page's driver unless the page is gone.
    fn register<T>(&self, fallback: Markup, cache: Option<CacheLookup>, task: T) -> Slot
    where
        T: Future<Output = Outcome> + Send + 'static,
    {
        let span = tracing::debug_span!(
            "section",
            page = &*self.shared.name,
            id = tracing::field::Empty,
            section = tracing::field::Empty,
            outcome = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        // Without the `Instrumented` wrapper when the span is off (release builds at the
        // default level): one move of the future less, and nothing to enter on each poll.
        let mut task: Producer = if span.is_disabled() {
            Box::pin(task)
        } else {
            Box::pin(task.instrument(span.clone()))
        };
        let settled = poll_once(&mut task);
        let mut registry = self.shared.lock();
        let id = registry.sections.len() as u32;
        let (state, refused) = match settled {
            Poll::Ready(outcome) => (SectionState::Settled(outcome), None),
            Poll::Pending => match driver::hand_over(&self.shared, &mut registry, id, task) {
                Ok(()) => (SectionState::Running, None),
                Err(task) => (SectionState::Settled(Outcome::Cancelled), Some(task)),
            },
        };
        span.record("id", id);
        registry.sections.push(SectionEntry {
            name: Cow::Borrowed(UNNAMED),
            fallback: fallback.into_string(),
            registered_at: Instant::now(),
            timeout: self.shared.engine.config().section_timeout,
            on_error: None,
            on_timeout: None,
            cache,
            state,
            placed: false,
            span,
        });
        drop(registry);
        // Dropped outside the lock: it may hold the page.
        drop(refused);
        Slot::new(self.shared.clone(), id)
    }

    /// Starts a value that several sections can await ([`Resource::get`]); it runs once, on
    /// its own task, whether or not anyone awaits it yet. Sections that do not await it never
    /// wait for it.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime, when the producer is not complete at once (it is spawned).
    pub fn resource<T, E, F>(&self, producer: F) -> Resource<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Clone + Send + Sync + 'static,
        E: fmt::Display + Send + 'static,
    {
        Resource::start(&self.shared, producer)
    }
}

/// Cached HTML as this page's section, unless it carries the page's nonce.
fn shareable(html: &str, nonce: &str) -> Outcome {
    if memchr::memmem::find(html.as_bytes(), nonce.as_bytes()).is_some() {
        let error = "a cached section's HTML contains the page's CSP nonce; a nonce is per \
                     request and must never be part of a key or of shared HTML";
        return Outcome::Failed {
            error: error.to_string(),
            panicked: false,
        };
    }
    Outcome::Ready(html.to_string())
}

/// `?stream=` named no known mode: a `400 Bad Request` naming the choices.
#[derive(Debug)]
pub struct PageRejection {
    unknown: UnknownMode,
    /// The query parameter it came in (`PagePolicy::stream_param`).
    param: String,
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        let message = format!("?{}=: {}", self.param, self.unknown);
        (StatusCode::BAD_REQUEST, message).into_response()
    }
}

impl<S> FromRequestParts<S> for Page
where
    Engine: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = PageRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let engine = Engine::from_ref(state);
        let params = QueryFlags::parse(parts.uri.query(), &engine.config().policy);
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok());
        let mode = Mode::select(params.stream.as_deref(), user_agent).map_err(|unknown| {
            let param = engine.config().policy.stream_param_name().to_string();
            PageRejection { unknown, param }
        })?;
        // The route, never the raw path: the name is a metric label and a key of the
        // per-page metric handles, which a path from outside would grow without bound.
        let name: Arc<str> = match parts.extensions.get::<MatchedPath>() {
            Some(path) => path.as_str().into(),
            None => UNMATCHED_ROUTE.into(),
        };
        let timeline = params.timeline && engine.config().debug_timeline;
        Ok(Page::new(&engine, mode)
            .with_name(name)
            .with_request(parts, timeline))
    }
}

/// The name of a page rendered by a fallback handler (no route matched): one label for
/// every such path.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The query parameters the engine itself reads.
#[derive(Debug, Default)]
struct QueryFlags {
    stream: Option<String>,
    timeline: bool,
}

impl QueryFlags {
    fn parse(query: Option<&str>, policy: &PagePolicy) -> QueryFlags {
        let mut flags = QueryFlags::default();
        let Some(query) = query else { return flags };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if key == policy.stream_param_name() {
                flags.stream = Some(value.into_owned());
            } else if key == policy.debug_param_name() {
                flags.timeline = value == "timeline";
            }
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::section::{Outcome, SectionState};

    /// A section registered through a scope that outlived its page is never run, and is
    /// recorded as cancelled, not as timed out.
    #[tokio::test]
    async fn a_section_registered_after_the_page_is_gone_is_cancelled() {
        let page = Page::new(&Engine::default(), Mode::OutOfOrder);
        let scope = page.scope();
        drop(page);
        let _slot = scope.section(
            maud::html! {},
            std::future::pending::<Result<Markup, String>>(),
        );
        let registry = scope.shared.lock();
        assert!(matches!(
            registry.sections[0].state,
            SectionState::Settled(Outcome::Cancelled)
        ));
    }

    /// `with_name` on a page already shared keeps the name its sections' logs carry, and
    /// says so in a warning naming both.
    #[test]
    fn a_shared_page_keeps_its_name() {
        let log = Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || Written(writer.clone()))
            .finish();
        let (page, scope) = tracing::subscriber::with_default(subscriber, || {
            let page = Page::new(&Engine::default(), Mode::OutOfOrder).with_name("/first");
            let scope = page.scope();
            (page.with_name("/second"), scope)
        });
        assert_eq!(&*scope.shared.name, "/first");
        assert_eq!(&*page.scope.shared.name, "/first");
        let text = String::from_utf8(log.lock().unwrap().clone()).unwrap();
        assert!(
            text.contains("WARN")
                && text.contains("page=\"/first\"")
                && text.contains("ignored=\"/second\""),
            "{text}"
        );
    }

    /// A log writer that appends to a shared buffer.
    struct Written(Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Written {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
