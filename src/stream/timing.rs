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
    /// Records how section `id` of the page `metrics` belongs to settled, seen at `now`: on
    /// its tracing span (name, outcome, latency), as a `debug` event inside it, and in the
    /// metrics.
    pub(crate) fn record(
        metrics: &PageMetrics,
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
            // A section registered after the poll's clock read (nested, in this poll)
            // settles no earlier than it started.
            end: now
                .max(entry.registered_at)
                .saturating_duration_since(page_start),
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
        metrics.record_section(&timing.name, outcome, latency);
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

/// One page's metric handles (a page is a metric prefix and a route): its shell flush
/// latency, and its sections by name, then outcome (by name first, so that a settle looks
/// them up with the name it borrows). A page's body takes its `PageMetrics` once
/// ([`page_metrics`]), so a settling section costs one hash of its name under this page's
/// read lock, and the handles are used there, not cloned.
pub(crate) struct PageMetrics {
    prefix: String,
    page: Arc<str>,
    shell_flush: Histogram,
    sections: RwLock<FxHashMap<Cow<'static, str>, [Option<SectionMetrics>; OUTCOMES]>>,
}

/// Pages' handles by metric prefix (`PagePolicy::metric_prefix`) and page. Registering a
/// labelled metric with the recorder clones its labels into a new key each time, which cost
/// more than all the rest of a section's bookkeeping. Section names should come from a fixed
/// set (they are metric labels), so this stays small.
type Handles = FxHashMap<String, FxHashMap<Arc<str>, Arc<PageMetrics>>>;
static PAGE_METRICS: LazyLock<RwLock<Handles>> = LazyLock::new(RwLock::default);

/// The handles of `page` under `prefix`, registered on first use.
pub(crate) fn page_metrics(prefix: &str, page: &Arc<str>) -> Arc<PageMetrics> {
    let known = PAGE_METRICS
        .read()
        .ok()
        .and_then(|prefixes| prefixes.get(prefix)?.get(page).cloned());
    if let Some(metrics) = known {
        return metrics;
    }
    let label = SharedString::from_shared(page.clone());
    let metrics = Arc::new(PageMetrics {
        prefix: prefix.to_string(),
        page: page.clone(),
        shell_flush: metrics::histogram!(format!("{prefix}_shell_flush_seconds"), "page" => label),
        sections: RwLock::default(),
    });
    if let Ok(mut prefixes) = PAGE_METRICS.write() {
        let pages = prefixes.entry(prefix.to_string()).or_default();
        return pages.entry(page.clone()).or_insert(metrics).clone();
    }
    metrics
}

impl PageMetrics {
    /// Records how long the shell took to be ready, from the request's start.
    pub(crate) fn record_shell_flush(&self, page_start: Instant) -> Duration {
        let elapsed = page_start.elapsed();
        self.shell_flush.record(elapsed.as_secs_f64());
        elapsed
    }

    /// Counts a settled section and records its latency in seconds.
    fn record_section(&self, section: &str, outcome: OutcomeKind, latency: f64) {
        let index = outcome as usize;
        if let Ok(sections) = self.sections.read()
            && let Some(handles) = sections.get(section).and_then(|by| by[index].as_ref())
        {
            handles.count.increment(1);
            handles.latency.record(latency);
            return;
        }
        let labels = vec![
            Label::new("page", SharedString::from_shared(self.page.clone())),
            Label::new("section", SharedString::from_owned(section.to_string())),
            Label::new("outcome", SharedString::const_str(outcome.as_str())),
        ];
        let prefix = &self.prefix;
        let handles = SectionMetrics {
            count: metrics::counter!(format!("{prefix}_sections_total"), labels.clone()),
            latency: metrics::histogram!(format!("{prefix}_section_duration_seconds"), labels),
        };
        handles.count.increment(1);
        handles.latency.record(latency);
        if let Ok(mut sections) = self.sections.write() {
            let by_outcome = sections.entry(Cow::Owned(section.to_string())).or_default();
            by_outcome[index] = Some(handles);
        }
    }
}
