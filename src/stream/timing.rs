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
    /// Records how section `id` of `page` settled, seen at `now`: on its tracing span
    /// (name, outcome, latency), as a `debug` event inside it, and in the metrics.
    pub(crate) fn record(
        prefix: &str,
        page: &Arc<str>,
        page_start: Instant,
        now: Instant,
        id: u32,
        entry: &SectionEntry,
        outcome: OutcomeKind,
    ) -> Self {
        let timing = Self {
            id,
            name: entry.name.clone(),
            start: entry.registered_at.saturating_duration_since(page_start),
            end: now.saturating_duration_since(page_start),
            outcome,
            cache: entry.cache,
        };
        let latency = timing.latency().as_secs_f64();
        let span = &entry.span;
        if !span.is_disabled() {
            span.record("section", &*timing.name);
            span.record("outcome", outcome.as_str());
            span.record("latency_ms", latency * 1e3);
        }
        tracing::debug!(parent: span, "section settled");
        record_section(prefix, page, &timing.name, outcome, latency);
        timing
    }

    /// How long the section took, from registration to settlement.
    pub(crate) fn latency(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }
}

/// The metric handles of one (page, section, outcome).
struct SectionMetrics {
    count: Counter,
    latency: Histogram,
}

/// How many outcomes there are: a section's handles are indexed by `OutcomeKind as usize`.
const OUTCOMES: usize = OutcomeKind::Cancelled as usize + 1;

/// One page's handles: its shell flush latency, and its sections by name, then outcome
/// (by name first, so that a settle looks them up with the name it borrows).
#[derive(Default)]
struct PageMetrics {
    shell_flush: Option<Histogram>,
    sections: FxHashMap<Cow<'static, str>, [Option<SectionMetrics>; OUTCOMES]>,
}

/// Handles by metric prefix (`PagePolicy::metric_prefix`) and page. Registering a labelled
/// metric with the recorder clones its labels into a new key each time, which cost more than
/// all the rest of a section's bookkeeping; a hit here is three hashes of short strings under
/// a read lock, and the handles are used there, not cloned. Section names should come from
/// a fixed set (they are metric labels), so this stays small.
type Handles = FxHashMap<String, FxHashMap<Arc<str>, PageMetrics>>;
static PAGE_METRICS: LazyLock<RwLock<Handles>> = LazyLock::new(RwLock::default);

/// Runs `use_it` on `page`'s metrics, if they are there yet.
fn with_page<T>(
    prefix: &str,
    page: &str,
    use_it: impl FnOnce(&PageMetrics) -> Option<T>,
) -> Option<T> {
    let prefixes = PAGE_METRICS.read().ok()?;
    use_it(prefixes.get(prefix)?.get(page)?)
}

/// Runs `change` on `page`'s metrics, made if they are not there yet.
fn with_page_mut(prefix: &str, page: &Arc<str>, change: impl FnOnce(&mut PageMetrics)) {
    if let Ok(mut prefixes) = PAGE_METRICS.write() {
        let pages = prefixes.entry(prefix.to_string()).or_default();
        change(pages.entry(page.clone()).or_default());
    }
}

/// Counts a settled section and records its latency in seconds.
fn record_section(
    prefix: &str,
    page: &Arc<str>,
    section: &str,
    outcome: OutcomeKind,
    latency: f64,
) {
    let index = outcome as usize;
    let recorded = with_page(prefix, page, |metrics| {
        let handles = metrics.sections.get(section)?[index].as_ref()?;
        handles.count.increment(1);
        handles.latency.record(latency);
        Some(())
    });
    if recorded.is_some() {
        return;
    }
    let labels = vec![
        Label::new("page", SharedString::from_shared(page.clone())),
        Label::new("section", SharedString::from_owned(section.to_string())),
        Label::new("outcome", SharedString::const_str(outcome.as_str())),
    ];
    let handles = SectionMetrics {
        count: metrics::counter!(format!("{prefix}_sections_total"), labels.clone()),
        latency: metrics::histogram!(format!("{prefix}_section_duration_seconds"), labels),
    };
    handles.count.increment(1);
    handles.latency.record(latency);
    with_page_mut(prefix, page, |metrics| {
        let by_outcome = metrics
            .sections
            .entry(Cow::Owned(section.to_string()))
            .or_default();
        by_outcome[index] = Some(handles);
    });
}

/// Records how long the shell took to be ready, from the request's start.
pub(crate) fn record_shell_flush(prefix: &str, page: &Arc<str>, page_start: Instant) -> Duration {
    let elapsed = page_start.elapsed();
    let seconds = elapsed.as_secs_f64();
    let recorded = with_page(prefix, page, |metrics| {
        metrics.shell_flush.as_ref()?.record(seconds);
        Some(())
    });
    if recorded.is_none() {
        let label = SharedString::from_shared(page.clone());
        let histogram =
            metrics::histogram!(format!("{prefix}_shell_flush_seconds"), "page" => label);
        histogram.record(seconds);
        with_page_mut(prefix, page, |metrics| {
            metrics.shell_flush = Some(histogram)
        });
    }
    elapsed
}
