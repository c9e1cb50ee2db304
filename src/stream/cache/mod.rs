//! Cached sections: a section's HTML kept per key and shared between requests, fresh for a
//! while, then served stale while it is produced again (stale-while-revalidate), and dropped
//! the moment a tag it carries is invalidated.
//!
//! A cached section is defined once, at start-up, from a context (process-wide state such
//! as a database pool) and a plain `fn`: a function pointer captures nothing, so the only
//! per-request input that can reach the HTML is the key, and the HTML is only ever served
//! to requests presenting the same key. Definition names are unique per engine, so a
//! definition made inside a handler fails on its second request instead of caching
//! whatever that request captured.
//!
//! Concurrent misses of one key share one production, bounded by the definition's timeout.
//! It is cancelled when no section waits for it any more (their requests left or their
//! timeouts passed), like any section's producer; a background refresh (a stale hit) runs
//! to its end.

mod store;
mod tags;

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::FutureExt;
use maud::Markup;

use super::engine::Engine;
pub(crate) use store::Found;
use store::{Definition, Entry, Producer};
pub use tags::Invalidator;
pub(crate) use tags::TagClock;

/// Bytes an entry is counted for besides its HTML.
const ENTRY_OVERHEAD: usize = 128;

/// How long a cached section stays fresh, how long after that it may be served stale, and
/// which tags invalidate it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use braid::stream::CachePolicy;
///
/// let policy = CachePolicy::fresh_for(Duration::from_secs(60))
///     .stale_for(Duration::from_secs(600))
///     .tag("revenue");
/// ```
#[derive(Debug, Clone)]
pub struct CachePolicy {
    fresh: Duration,
    stale: Duration,
    tags: Vec<Arc<str>>,
    max_bytes: u64,
    timeout: Option<Duration>,
}

impl CachePolicy {
    /// Entries are served without running the producer for `ttl` after their producer
    /// started; then they are misses, unless [`stale_for`](Self::stale_for) allows more.
    pub fn fresh_for(ttl: Duration) -> Self {
        CachePolicy {
            fresh: ttl,
            stale: Duration::ZERO,
            tags: Vec::new(),
            max_bytes: 8 * 1024 * 1024,
            timeout: None,
        }
    }

    /// For `window` after it stops being fresh, an entry is still served at once, and a
    /// single background production replaces it (stale-while-revalidate, as in RFC 5861).
    pub fn stale_for(mut self, window: Duration) -> Self {
        self.stale = window;
        self
    }

    /// Adds a tag: [`Invalidator::invalidate`] with it drops every entry at once, on
    /// whichever instance hears of it.
    pub fn tag(mut self, tag: impl Into<Arc<str>>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// The most HTML the section keeps, in bytes (each entry counts its HTML and 128 bytes
    /// more); the least used entries go first. Default 8 MiB.
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// How long one production may take before it fails (default: the engine's page
    /// deadline, the longest any page waits). Each waiting section shows its own timeout
    /// view at its own timeout; a production whose every waiting section has timed out (or
    /// whose every request has left) is cancelled.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

/// A cached section could not be defined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    /// Another cached section of this engine has the name: a definition belongs at
    /// start-up, made once, not in a handler.
    #[error(
        "a cached section named {0:?} is already defined on this engine; define each once, at start-up"
    )]
    DuplicateName(String),
    /// The name is empty.
    #[error("a cached section needs a name (it labels its metrics and logs)")]
    EmptyName,
}

/// How a cached section was found for one request: in `?debug=timeline` and the
/// `<prefix>_section_cache_total` metric (`braid_…` unless the policy says otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CacheLookup {
    /// A fresh entry: no producer ran.
    Hit,
    /// An entry past its freshness but within its stale window: served at once while a
    /// background production replaces it.
    Stale,
    /// No current entry: this request started the production.
    Miss,
    /// No current entry, and a production already running for the key was joined.
    Joined,
    /// The invalidation feed is down: nothing cached is served until it is back.
    Bypass,
}

impl CacheLookup {
    /// Lower-case name, used as a metric label and in the timeline.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CacheLookup::Hit => "hit",
            CacheLookup::Stale => "stale",
            CacheLookup::Miss => "miss",
            CacheLookup::Joined => "joined",
            CacheLookup::Bypass => "bypass",
        }
    }

    const ALL: [CacheLookup; 5] = [
        CacheLookup::Hit,
        CacheLookup::Stale,
        CacheLookup::Miss,
        CacheLookup::Joined,
        CacheLookup::Bypass,
    ];
}

/// What a key must be: the section's inputs (query parameters, an id), compared and hashed
/// to find its entry. Implemented for every type that qualifies.
pub trait CacheKey: Eq + Hash + Clone + Send + Sync + 'static {}

impl<K: Eq + Hash + Clone + Send + Sync + 'static> CacheKey for K {}

/// A cached section's definition: made once per engine, at start-up, then used by every
/// request with [`Page::cached_section`](super::Page::cached_section). Cheap to clone.
///
/// # Examples
///
/// The producer is a plain function of the context and the key. A closure that captures
/// anything (a request's user, say) is not a `fn` and does not compile:
///
/// ```compile_fail
/// # use std::time::Duration;
/// # use braid::stream::{CachedSection, CachePolicy, Engine};
/// # use maud::{Markup, html};
/// let user = String::from("ada");
/// let greeting = CachedSection::new(
///     &Engine::default(),
///     "greeting",
///     CachePolicy::fresh_for(Duration::from_secs(60)),
///     (),
///     move |(), (): ()| async move { Ok::<_, String>(html! { p { "Hello " (user) } }) },
/// );
/// ```
///
/// ```
/// # use std::time::Duration;
/// # use braid::stream::{CachedSection, CachePolicy, Engine};
/// # use maud::{Markup, html};
/// async fn price(rate: f64, cents: u32) -> Result<Markup, String> {
///     Ok(html! { p { (f64::from(cents) * rate / 100.0) } })
/// }
/// # let engine = Engine::default();
/// let prices = CachedSection::new(
///     &engine,
///     "price",
///     CachePolicy::fresh_for(Duration::from_secs(60)).tag("rates"),
///     1.08,
///     price,
/// )?;
/// # Ok::<(), braid::stream::CacheError>(())
/// ```
pub struct CachedSection<K> {
    definition: Arc<Definition<K>>,
}

impl<K> Clone for CachedSection<K> {
    fn clone(&self) -> Self {
        CachedSection {
            definition: self.definition.clone(),
        }
    }
}

impl<K> fmt::Debug for CachedSection<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedSection")
            .field("name", &self.definition.name)
            .field("policy", &self.definition.policy)
            .finish()
    }
}

impl<K: CacheKey> CachedSection<K> {
    /// Defines a cached section on `engine`: `produce(context, key)` makes its HTML for a
    /// key that has no current entry. `name` labels its metrics, logs and timeline.
    ///
    /// # Errors
    ///
    /// [`CacheError::DuplicateName`] if `engine` already has a cached section so named
    /// (definitions belong at start-up), [`CacheError::EmptyName`] for `""`.
    ///
    /// # Panics
    ///
    /// If the policy's freshness plus its stale window overflows a `Duration`, or is over
    /// a thousand years (the cache's limit). Lookups, from [`Page::cached_section`](super::Page::cached_section),
    /// need a Tokio runtime (a production is a task).
    pub fn new<C, F, E>(
        engine: &Engine,
        name: impl Into<Cow<'static, str>>,
        policy: CachePolicy,
        context: C,
        produce: fn(C, K) -> F,
    ) -> Result<Self, CacheError>
    where
        C: Clone + Send + Sync + 'static,
        F: Future<Output = Result<Markup, E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        let name = name.into();
        engine.cache().claim(&name)?;
        let produce: Producer<K> = Box::new(move |key| {
            let future = produce(context.clone(), key);
            async move { future.await.map_err(|error| error.to_string()) }.boxed()
        });
        let entries = moka::sync::Cache::builder()
            .max_capacity(policy.max_bytes)
            // The HTML plus what an entry costs besides (its key, timestamps, the map's
            // node), so that empty entries still count against the budget.
            .weigher(|_key, entry: &Arc<Entry>| {
                u32::try_from(entry.html.len() + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
            })
            .time_to_live(policy.fresh + policy.stale)
            .build();
        let definition = Definition {
            timeout: policy.timeout.unwrap_or(engine.config().page_deadline),
            tags: engine.cache().clock.resolve(&policy.tags),
            metrics: OnceLock::new(),
            name,
            policy,
            entries,
            in_flight: Mutex::default(),
            productions: AtomicU64::new(0),
            produce,
            engine: engine.clone(),
        };
        Ok(CachedSection {
            definition: Arc::new(definition),
        })
    }

    /// The name given at definition.
    pub fn name(&self) -> &str {
        &self.definition.name
    }

    /// Finds `key`'s HTML, or the production to wait for; records the lookup's metric.
    pub(crate) fn lookup(&self, key: K) -> (Found, CacheLookup) {
        let (found, lookup) = self.definition.lookup(key);
        self.definition.metrics().lookups[lookup as usize].increment(1);
        (found, lookup)
    }

    pub(crate) fn section_name(&self) -> Cow<'static, str> {
        self.definition.name.clone()
    }
}

/// The engine's side of caching: the tag clock and the names defined so far.
#[derive(Default)]
pub(crate) struct CacheRegistry {
    pub(crate) clock: Arc<TagClock>,
    names: Mutex<HashSet<String>>,
}

impl CacheRegistry {
    fn claim(&self, name: &str) -> Result<(), CacheError> {
        if name.is_empty() {
            return Err(CacheError::EmptyName);
        }
        let mut names = self
            .names
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if names.insert(name.to_string()) {
            Ok(())
        } else {
            Err(CacheError::DuplicateName(name.to_string()))
        }
    }
}
