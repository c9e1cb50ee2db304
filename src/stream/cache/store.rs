//! One cached section's entries and running productions: the lookup (fresh, stale, miss),
//! one production per key, and its end (kept, retired, or abandoned).
//!
//! A production runs on its own task, so it does not depend on which of its waiters the
//! runtime polls; every waiter holds a share of it, and when the last one is dropped (all
//! its requests left, or their sections timed out) the task is aborted, as any section's
//! producer would be. A background refresh is its own waiter, held until the production
//! ends.

use std::borrow::Cow;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use maud::Markup;
use metrics::Counter;
use rustc_hash::FxHashMap;
use tokio::task::AbortHandle;
// tokio's clock, which a test can pause and advance.
use tokio::time::Instant;

use super::tags::TagSet;
use super::{CacheKey, CacheLookup, CachePolicy};
use crate::stream::engine::Engine;
use crate::stream::fragment;
use crate::stream::section::panic_message;

/// Makes a key's HTML: the definition's `fn` with its context bound.
pub(super) type Producer<K> =
    Box<dyn Fn(K) -> BoxFuture<'static, Result<Markup, String>> + Send + Sync>;

/// A production's result: the HTML, or the error for the log. Shared by every waiter.
type Production = Shared<BoxFuture<'static, Result<Arc<str>, Arc<str>>>>;

pub(super) struct Definition<K> {
    pub(super) name: Cow<'static, str>,
    pub(super) policy: CachePolicy,
    pub(super) timeout: Duration,
    pub(super) tags: TagSet,
    pub(super) entries: moka::sync::Cache<K, Arc<Entry>>,
    pub(super) in_flight: Mutex<FxHashMap<K, InFlight>>,
    /// Numbers the productions (see [`InFlight::id`]).
    pub(super) productions: AtomicU64,
    pub(super) produce: Producer<K>,
    pub(super) engine: Engine,
    /// Made on first use: a definition is made at start-up, maybe before the server
    /// installs its metrics recorder, and a handle made before that records nothing.
    pub(super) metrics: OnceLock<CacheMetrics>,
}

/// A definition's metric handles.
pub(super) struct CacheMetrics {
    pub(super) lookups: [Counter; CacheLookup::ALL.len()],
    refreshes: Counter,
}

/// A kept HTML: when its producer started, on the tag clock and on the clock.
pub(super) struct Entry {
    pub(super) html: Arc<str>,
    started: u64,
    started_at: Instant,
}

pub(super) struct InFlight {
    /// This production among the definition's: the one a retiring task may remove.
    id: u64,
    started: u64,
    result: Production,
    /// Alive while anyone waits for the production.
    waiters: Weak<Abandon>,
}

/// What a lookup found.
pub(crate) enum Found {
    /// HTML to serve now.
    Ready(Arc<str>),
    /// A production to wait for.
    Wait(Wait),
}

/// A share of a running production: the production is aborted when the last share drops.
pub(crate) struct Wait {
    result: Production,
    _share: Arc<Abandon>,
}

impl Wait {
    /// The production's HTML, or its error for the log.
    pub(crate) async fn html(self) -> Result<Arc<str>, Arc<str>> {
        self.result.clone().await
    }
}

/// Aborts a production when dropped: held (through an `Arc`) by its waiters.
pub(super) struct Abandon(AbortHandle);

impl Drop for Abandon {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<K> Definition<K> {
    pub(super) fn metrics(&self) -> &CacheMetrics {
        self.metrics.get_or_init(|| {
            let section = self.name.to_string();
            let policy = &self.engine.config().policy;
            let (lookups, refreshes) = (
                policy.metric("section_cache_total"),
                policy.metric("section_cache_refreshes_total"),
            );
            CacheMetrics {
                lookups: CacheLookup::ALL.map(|lookup| {
                    metrics::counter!(lookups.clone(),
                        "section" => section.clone(), "result" => lookup.as_str())
                }),
                refreshes: metrics::counter!(refreshes, "section" => section),
            }
        })
    }
}

impl<K: CacheKey> Definition<K> {
    pub(super) fn lookup(self: &Arc<Self>, key: K) -> (Found, CacheLookup) {
        if !self.tags.feed_live() {
            let (wait, _) = self.produce_or_join(key);
            return (Found::Wait(wait), CacheLookup::Bypass);
        }
        if let Some(entry) = self.entries.get(&key)
            && self.tags.is_current(entry.started)
        {
            let age = entry.started_at.elapsed();
            if age < self.policy.fresh {
                return (Found::Ready(entry.html.clone()), CacheLookup::Hit);
            }
            if age < self.policy.fresh + self.policy.stale {
                self.refresh(key);
                return (Found::Ready(entry.html.clone()), CacheLookup::Stale);
            }
        }
        let (wait, joined) = self.produce_or_join(key);
        let lookup = if joined {
            CacheLookup::Joined
        } else {
            CacheLookup::Miss
        };
        (Found::Wait(wait), lookup)
    }

    /// Starts a production for `key` that no request waits for, unless one is running.
    fn refresh(self: &Arc<Self>, key: K) {
        let (wait, joined) = self.produce_or_join(key);
        if !joined {
            self.metrics().refreshes.increment(1);
            tokio::spawn(wait.html());
        }
    }

    /// A share of the production running for `key` if it is current and still wanted (and
    /// `true`), or of a new one.
    fn produce_or_join(self: &Arc<Self>, key: K) -> (Wait, bool) {
        let mut flights = self.flights();
        if let Some(flight) = flights.get(&key)
            && self.tags.is_current(flight.started)
            && let Some(share) = flight.waiters.upgrade()
        {
            let wait = Wait {
                result: flight.result.clone(),
                _share: share,
            };
            return (wait, true);
        }
        let started = self.tags.now();
        let id = self.productions.fetch_add(1, Ordering::Relaxed);
        let (result, share) = self.start(key.clone(), started, id);
        let flight = InFlight {
            id,
            started,
            result: result.clone(),
            waiters: Arc::downgrade(&share),
        };
        flights.insert(key, flight);
        let wait = Wait {
            result,
            _share: share,
        };
        (wait, false)
    }

    fn flights(&self) -> MutexGuard<'_, FxHashMap<K, InFlight>> {
        // Critical sections are a lookup and an insert or remove: a panic cannot tear it.
        self.in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Spawns a production, bounded by the definition's timeout.
    fn start(self: &Arc<Self>, key: K, started: u64, id: u64) -> (Production, Arc<Abandon>) {
        let retire = Retire {
            definition: self.clone(),
            key: Some(key.clone()),
            id,
        };
        let live = self.engine.live_producer();
        let started_at = Instant::now();
        let task = tokio::spawn(async move {
            let _live = live;
            let result = retire.definition.run(key.clone()).await;
            retire.definition.keep(key, started, started_at, &result);
            result
        });
        let share = Arc::new(Abandon(task.abort_handle()));
        let result = async move {
            task.await
                .unwrap_or_else(|_| Err(Arc::from("the production was cancelled")))
        }
        .boxed()
        .shared();
        (result, share)
    }

    async fn run(&self, key: K) -> Result<Arc<str>, Arc<str>> {
        let producer = AssertUnwindSafe((self.produce)(key)).catch_unwind();
        let html = match tokio::time::timeout(self.timeout, producer).await {
            Err(_) => return Err(format!("timed out after {:?}", self.timeout).into()),
            Ok(Err(panic)) => return Err(panic_message(&*panic).into()),
            Ok(Ok(Err(error))) => return Err(error.into()),
            Ok(Ok(Ok(markup))) => markup.into_string(),
        };
        match fragment::check(&html) {
            Ok(()) => Ok(html.into()),
            Err(reason) => Err(format!(
                "its HTML has {reason}, which would swallow the rest of the page"
            )
            .into()),
        }
    }

    /// Keeps a successful result, unless an invalidation overtook it or the policy keeps
    /// nothing (a definition with caching turned off only shares productions).
    fn keep(&self, key: K, started: u64, started_at: Instant, result: &Result<Arc<str>, Arc<str>>) {
        let kept_for = self.policy.fresh + self.policy.stale;
        if let Ok(html) = result
            && !kept_for.is_zero()
            && self.tags.is_current(started)
        {
            let entry = Entry {
                html: html.clone(),
                started,
                started_at,
            };
            self.entries.insert(key, Arc::new(entry));
        }
    }
}

/// Takes a production out of the in-flight map when its task ends, finished or aborted.
struct Retire<K: CacheKey> {
    definition: Arc<Definition<K>>,
    key: Option<K>,
    id: u64,
}

impl<K: CacheKey> Drop for Retire<K> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut flights = self.definition.flights();
        if flights.get(&key).is_some_and(|flight| flight.id == self.id) {
            flights.remove(&key);
        }
    }
}
