//! Per-section timings of one response, recorded to the log and the metrics.
//!
//! Metrics go through the `metrics` facade: without an installed recorder they cost next to
//! nothing, and the server decides how they are exported.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use std::sync::{LazyLock, RwLock};

use metrics::{Counter, Histogram, Label, SharedString};
use rustc_hash::FxHashMap;

use super::cache::CacheLookup;
use super::section::{OutcomeKind, SectionEntry};

/// When one section started and settled, relative to the request's start.
#[derive(Debug, Clone)]
pub(crate) struct SectionTiming {
    /// The section's id on the wire.
    pub(crate) id: u32,
    /// The section's name (`Slot::name`).
    pub(crate) name: Cow<'static, str>,
    /// Registration, from the request's start.
    pub(crate) start: Duration,
    /// Settlement, from the request's start.
    pub(crate) end: Duration,
    /// How it settled.
    pub(crate) outcome: OutcomeKind,
    /// How a cached section was found; `None` if it is not cached.
    pub(crate) cache: Option<CacheLookup>,
}

impl SectionTiming {
    /// Records how section `id` of `page` settled: on its tracing span (name, outcome,
    /// latency), as a `debug` event inside it, and in the metrics.
    pub(crate) fn record(
        prefix: &str,
        page: &Arc<str>,
        page_start: Instant,
        id: u32,
        entry: &SectionEntry,
        outcome: OutcomeKind,
    ) -> Self {
        let timing = Self {
            id,
            name: entry.name.clone(),
            start: entry.registered_at.saturating_duration_since(page_start),
            end: page_start.elapsed(),
            outcome,
            cache: entry.cache,
        };
        let latency = timing.latency().as_secs_f64();
        let span = &entry.span;
        span.record("section", &*timing.name);
        span.record("outcome", outcome.as_str());
        span.record("latency_ms", latency * 1e3);
        tracing::debug!(parent: span, "section settled");
        let handles = section_metrics(prefix, page, timing.name.clone(), outcome);
        handles.count.increment(1);
        handles.latency.record(latency);
        timing
    }

    /// How long the section took, from registration to settlement.
    pub(crate) fn latency(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }
}

/// The metric handles of one (page, section, outcome).
#[derive(Clone)]
struct SectionMetrics {
    count: Counter,
    latency: Histogram,
}

/// One page's handles: its shell flush latency, and its sections by name and outcome.
#[derive(Default)]
struct PageMetrics {
    shell_flush: Option<Histogram>,
    sections: FxHashMap<(Cow<'static, str>, OutcomeKind), SectionMetrics>,
}

/// Handles by metric prefix (`PagePolicy::metric_prefix`) and page. Registering a labelled
/// metric with the recorder clones its labels into a new key each time, which cost more than
/// all the rest of a section's bookkeeping; a hit here is three hashes of short strings under
/// a read lock. Section names should come from a fixed set (they are metric labels), so this
/// stays small.
type Handles = FxHashMap<String, FxHashMap<Arc<str>, PageMetrics>>;
static PAGE_METRICS: LazyLock<RwLock<Handles>> = LazyLock::new(RwLock::default);

/// The cached value `read` finds for `page`, or `create`d, stored with `store`.
fn cached<T: Clone>(
    prefix: &str,
    page: &Arc<str>,
    read: impl FnOnce(&PageMetrics) -> Option<&T>,
    create: impl FnOnce() -> T,
    store: impl FnOnce(&mut PageMetrics, T),
) -> T {
    if let Ok(prefixes) = PAGE_METRICS.read()
        && let Some(found) = prefixes
            .get(prefix)
            .and_then(|pages| pages.get(&**page))
            .and_then(read)
    {
        return found.clone();
    }
    let value = create();
    if let Ok(mut prefixes) = PAGE_METRICS.write() {
        let pages = prefixes.entry(prefix.to_string()).or_default();
        store(pages.entry(page.clone()).or_default(), value.clone());
    }
    value
}

fn section_metrics(
    prefix: &str,
    page: &Arc<str>,
    section: Cow<'static, str>,
    outcome: OutcomeKind,
) -> SectionMetrics {
    let key = (section, outcome);
    cached(
        prefix,
        page,
        |metrics| metrics.sections.get(&key),
        || {
            let labels = vec![
                Label::new("page", SharedString::from_shared(page.clone())),
                Label::new("section", SharedString::from_owned(key.0.to_string())),
                Label::new("outcome", SharedString::const_str(outcome.as_str())),
            ];
            SectionMetrics {
                count: metrics::counter!(format!("{prefix}_sections_total"), labels.clone()),
                latency: metrics::histogram!(format!("{prefix}_section_duration_seconds"), labels),
            }
        },
        |metrics, handles| {
            metrics.sections.insert(key.clone(), handles);
        },
    )
}

/// Records how long the shell took to be ready, from the request's start.
pub(crate) fn record_shell_flush(prefix: &str, page: &Arc<str>, page_start: Instant) -> Duration {
    let elapsed = page_start.elapsed();
    let histogram = cached(
        prefix,
        page,
        |metrics| metrics.shell_flush.as_ref(),
        || {
            let page = SharedString::from_shared(page.clone());
            metrics::histogram!(format!("{prefix}_shell_flush_seconds"), "page" => page)
        },
        |metrics, histogram| metrics.shell_flush = Some(histogram),
    );
    histogram.record(elapsed.as_secs_f64());
    elapsed
}
