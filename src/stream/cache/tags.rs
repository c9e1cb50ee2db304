//! Tag generations: how a cached entry knows that a write has made it stale, and whether
//! the feed that reports writes can be trusted right now.
//!
//! One clock counts every invalidation. An entry remembers the clock's value when its
//! producer started; a tag records the clock's value when it was last invalidated. The entry
//! is current while each of its tags was invalidated before it started. An invalidation
//! that lands while a producer runs is therefore newer than the entry it makes, which is
//! then never served: the producer may have read the data from before the write.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use rustc_hash::FxHashMap;

/// The clock and every tag's last invalidation, shared by an engine's cached sections.
pub(crate) struct TagClock {
    clock: AtomicU64,
    /// When `invalidate_all` last ran: every tag is at least this old.
    all: AtomicU64,
    tags: RwLock<FxHashMap<Arc<str>, Arc<AtomicU64>>>,
    /// Whether invalidations from elsewhere (other instances) are arriving. While they are
    /// not, a write elsewhere could go unseen, so no cached entry is served.
    feed_live: AtomicBool,
}

impl Default for TagClock {
    fn default() -> Self {
        TagClock {
            clock: AtomicU64::new(1),
            all: AtomicU64::new(0),
            tags: RwLock::default(),
            feed_live: AtomicBool::new(true),
        }
    }
}

/// A definition's tags, resolved once to their counters so that checking an entry takes
/// no lock.
pub(crate) struct TagSet {
    clock: Arc<TagClock>,
    counters: Box<[Arc<AtomicU64>]>,
}

impl TagClock {
    /// The counters of `tags`, created at 0 ("never invalidated") when new.
    pub(crate) fn resolve(self: &Arc<Self>, tags: &[Arc<str>]) -> TagSet {
        let counters = tags.iter().map(|tag| self.counter(tag)).collect();
        TagSet {
            clock: self.clone(),
            counters,
        }
    }

    fn counter(&self, tag: &str) -> Arc<AtomicU64> {
        if let Some(counter) = self.read().get(tag) {
            return counter.clone();
        }
        let mut tags = self
            .tags
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        tags.entry(Arc::from(tag)).or_default().clone()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, FxHashMap<Arc<str>, Arc<AtomicU64>>> {
        // The map is only ever inserted into; a panic elsewhere cannot leave it torn.
        self.tags
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Advances the clock and returns the value before: an entry that remembers this
    /// value or less started before the tick, one that remembers more started after.
    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::SeqCst)
    }

    fn invalidate(&self, tag: &str) {
        let at = self.tick();
        if let Some(counter) = self.read().get(tag) {
            counter.fetch_max(at, Ordering::SeqCst);
            return;
        }
        // No definition uses this tag yet: record it anyway, so that one defined later
        // cannot mistake an entry made before this for current (there is none, but the
        // rule stays simple).
        self.counter(tag).fetch_max(at, Ordering::SeqCst);
    }
}

impl TagSet {
    /// The clock now: what an entry whose producer starts now remembers.
    pub(crate) fn now(&self) -> u64 {
        self.clock.clock.load(Ordering::SeqCst)
    }

    /// Whether an entry whose producer started at `started` is still current.
    pub(crate) fn is_current(&self, started: u64) -> bool {
        self.clock.all.load(Ordering::SeqCst) < started
            && self
                .counters
                .iter()
                .all(|counter| counter.load(Ordering::SeqCst) < started)
    }

    /// Whether cached entries may be served at all (see [`Invalidator::feed_lost`]).
    pub(crate) fn feed_live(&self) -> bool {
        self.clock.feed_live.load(Ordering::SeqCst)
    }
}

/// Tells an engine's cached sections that data changed: the handle an app wires to wherever
/// its writes are announced (its own write path, PostgreSQL's `LISTEN`, a message bus).
/// Cheap to clone; get it from [`Engine::invalidator`](crate::stream::Engine::invalidator).
///
/// Invalidation is immediate and local: the next lookup of an entry with that tag misses.
/// Reaching the other instances is the feed's job; while it cannot, say so with
/// [`feed_lost`](Self::feed_lost).
#[derive(Clone)]
pub struct Invalidator {
    clock: Arc<TagClock>,
}

impl fmt::Debug for Invalidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invalidator")
            .field("feed_live", &self.clock.feed_live.load(Ordering::Relaxed))
            .finish()
    }
}

impl Invalidator {
    pub(crate) fn new(clock: Arc<TagClock>) -> Self {
        Invalidator { clock }
    }

    /// Every entry with `tag` (and every producer running for one) is stale from now on.
    pub fn invalidate(&self, tag: &str) {
        self.clock.invalidate(tag);
    }

    /// Every entry of every cached section is stale from now on: for a feed that lost track
    /// of what changed (it fell behind, or it cannot tell which tags a change touched).
    pub fn invalidate_all(&self) {
        let at = self.clock.tick();
        self.clock.all.fetch_max(at, Ordering::SeqCst);
    }

    /// The feed stopped (its connection dropped): writes elsewhere may go unseen, so cached
    /// entries are not served, only produced, until [`feed_restored`](Self::feed_restored).
    pub fn feed_lost(&self) {
        self.clock.feed_live.store(false, Ordering::SeqCst);
    }

    /// The feed is back and has invalidated what changed while it was away: cached entries
    /// are served again.
    pub fn feed_restored(&self) {
        self.clock.feed_live.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(clock: &Arc<TagClock>, names: &[&str]) -> TagSet {
        let names: Vec<Arc<str>> = names.iter().map(|name| Arc::from(*name)).collect();
        clock.resolve(&names)
    }

    #[test]
    fn an_entry_is_current_until_one_of_its_tags_is_invalidated() {
        let clock = Arc::new(TagClock::default());
        let set = tags(&clock, &["invoices", "revenue"]);
        let other = tags(&clock, &["customers"]);
        let started = set.now();
        let other_started = other.now();
        assert!(set.is_current(started));
        Invalidator::new(clock.clone()).invalidate("revenue");
        assert!(!set.is_current(started));
        assert!(other.is_current(other_started));
        assert!(
            set.is_current(set.now()),
            "a producer started after it is current"
        );
    }

    #[test]
    fn invalidating_everything_reaches_every_tag() {
        let clock = Arc::new(TagClock::default());
        let set = tags(&clock, &["a"]);
        let untagged = tags(&clock, &[]);
        let started = set.now();
        Invalidator::new(clock.clone()).invalidate_all();
        assert!(!set.is_current(started));
        assert!(!untagged.is_current(started));
    }

    #[test]
    fn a_tag_invalidated_before_any_definition_uses_it_is_older_than_new_entries() {
        let clock = Arc::new(TagClock::default());
        Invalidator::new(clock.clone()).invalidate("later");
        let set = tags(&clock, &["later"]);
        assert!(set.is_current(set.now()));
    }
}
