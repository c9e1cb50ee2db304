//! Per-section timings of one response: what the log, the metrics and the debug timeline show.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use super::section::OutcomeKind;

/// When one section started and settled, relative to the request's start.
#[derive(Debug, Clone)]
pub struct SectionTiming {
    /// The section's name (`Slot::name`).
    pub name: Cow<'static, str>,
    /// Registration, from the request's start.
    pub start: Duration,
    /// Settlement, from the request's start.
    pub end: Duration,
    /// How it settled.
    pub outcome: OutcomeKind,
}

impl SectionTiming {
    pub(crate) fn new(
        name: Cow<'static, str>,
        page_start: Instant,
        registered_at: Instant,
        outcome: OutcomeKind,
    ) -> Self {
        let timing = Self {
            name,
            start: registered_at.saturating_duration_since(page_start),
            end: page_start.elapsed(),
            outcome,
        };
        tracing::debug!(
            section = &*timing.name,
            outcome = timing.outcome.as_str(),
            latency_ms = timing.latency().as_secs_f64() * 1e3,
            "section settled"
        );
        timing
    }

    /// How long the section took, from registration to settlement.
    pub fn latency(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }
}
