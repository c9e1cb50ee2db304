//! The engine's process-wide state: settings, live counters and the drain signal.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::cache::{CacheRegistry, Invalidator};
use super::context::{Context, FitVerdicts};
use super::policy::PagePolicy;

/// Settings every page of one engine shares.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The most a whole response may take: sections still pending then get their timeout
    /// view and the document ends. Bounds how long a slow producer can hold a connection.
    pub page_deadline: Duration,
    /// Default timeout of a section, counted from its registration; `Slot::timeout`
    /// overrides it.
    pub section_timeout: Duration,
    /// Whether `?debug=timeline` is honoured. It reveals section names and timings.
    pub debug_timeline: bool,
    /// The app's choices for what the engine writes: language, CSP sources, texts, query
    /// parameter names, metric prefix.
    pub policy: PagePolicy,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            page_deadline: Duration::from_secs(10),
            section_timeout: Duration::from_secs(5),
            debug_timeline: false,
            policy: PagePolicy::default(),
        }
    }
}

/// The streaming engine shared by every request of a server: a cheap `Arc` clone.
///
/// Put it in the router's state (the [`Page`](super::Page) extractor finds it through
/// `FromRef`). It counts the producers and streams alive right now, so tests and `/metrics`
/// can prove that a client who leaves cancels its work, and it carries the drain signal that
/// ends every stream at the shutdown deadline.
#[derive(Clone, Default)]
pub struct Engine {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    config: EngineConfig,
    live_producers: AtomicUsize,
    streams_in_flight: AtomicUsize,
    /// Cancelled when the server's drain deadline passes: every stream then settles its
    /// pending sections with their timeout views and ends.
    drain: CancellationToken,
    /// Set with `drain`: streams check this on every poll (an atomic load), and poll the
    /// token, which takes a lock, only once to register their waker.
    draining: AtomicBool,
    /// Cached sections' names and the tag clock that invalidates them.
    cache: CacheRegistry,
    /// Whether each fallback fits where its slot stands, remembered (`context::verdicts`).
    fits: FitVerdicts,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .field("live_producers", &self.live_producers())
            .field("streams_in_flight", &self.streams_in_flight())
            .finish()
    }
}

impl Engine {
    /// An engine with these settings.
    pub fn new(config: EngineConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                ..Inner::default()
            }),
        }
    }

    /// The settings.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Section and resource producers that exist right now (running or waiting). Returns to
    /// zero once every response is finished or dropped.
    pub fn live_producers(&self) -> usize {
        self.inner.live_producers.load(Ordering::Relaxed)
    }

    /// Response bodies being streamed right now.
    pub fn streams_in_flight(&self) -> usize {
        self.inner.streams_in_flight.load(Ordering::Relaxed)
    }

    /// Ends every stream now, and every later one at once: pending sections get their
    /// timeout views. For shutdown only; the server calls it when its drain deadline passes.
    pub fn end_all_streams(&self) {
        self.inner.draining.store(true, Ordering::Release);
        self.inner.drain.cancel();
    }

    /// Whether `end_all_streams` was called.
    pub(crate) fn is_draining(&self) -> bool {
        self.inner.draining.load(Ordering::Acquire)
    }

    /// The handle that invalidates this engine's cached sections by tag; see
    /// [`Invalidator`].
    pub fn invalidator(&self) -> Invalidator {
        Invalidator::new(self.inner.cache.clock.clone())
    }

    pub(crate) fn cache(&self) -> &CacheRegistry {
        &self.inner.cache
    }

    /// [`context::fallback_fits`](super::context::fallback_fits), remembered per engine.
    pub(crate) fn fallback_fits(&self, context: Context, fallback: &str) -> Result<(), String> {
        self.inner.fits.fallback_fits(context, fallback)
    }

    pub(crate) fn drain_token(&self) -> &CancellationToken {
        &self.inner.drain
    }

    pub(crate) fn live_producer(&self) -> LiveProducer {
        LiveProducer::new(self.clone())
    }

    pub(crate) fn stream_in_flight(&self) -> StreamInFlight {
        self.inner.streams_in_flight.fetch_add(1, Ordering::Relaxed);
        StreamInFlight(self.clone())
    }
}

/// Counts one producer for as long as it exists; moved into the producer's future so that
/// completion, abort and drop all end the count.
pub(crate) struct LiveProducer(Engine);

impl LiveProducer {
    fn new(engine: Engine) -> Self {
        engine.inner.live_producers.fetch_add(1, Ordering::Relaxed);
        Self(engine)
    }
}

impl Drop for LiveProducer {
    fn drop(&mut self) {
        self.0.inner.live_producers.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Counts one response body while it exists.
pub(crate) struct StreamInFlight(Engine);

impl Drop for StreamInFlight {
    fn drop(&mut self) {
        self.0
            .inner
            .streams_in_flight
            .fetch_sub(1, Ordering::Relaxed);
    }
}
