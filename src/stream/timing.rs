//! Per-section timings of one response: what the log, the metrics and the debug timeline show.
//!
//! Metrics go through the `metrics` facade: without an installed recorder they cost next to
//! nothing, and the server decides how they are exported.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use maud::{Markup, html};

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
    pub(crate) fn record(
        page: &str,
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
        let latency = timing.latency().as_secs_f64();
        tracing::debug!(
            page,
            section = &*timing.name,
            outcome = outcome.as_str(),
            latency_ms = latency * 1e3,
            "section settled"
        );
        let labels = [
            ("page", page.to_owned()),
            ("section", timing.name.to_string()),
            ("outcome", outcome.as_str().to_owned()),
        ];
        metrics::histogram!("braid_section_duration_seconds", &labels).record(latency);
        metrics::counter!("braid_sections_total", &labels).increment(1);
        timing
    }

    /// How long the section took, from registration to settlement.
    pub fn latency(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }
}

/// Records how long the shell took to be ready, from the request's start.
pub(crate) fn record_shell_flush(page: &str, page_start: Instant) -> Duration {
    let elapsed = page_start.elapsed();
    metrics::histogram!("braid_shell_flush_seconds", "page" => page.to_owned())
        .record(elapsed.as_secs_f64());
    elapsed
}

/// The `?debug=timeline` waterfall: one bar per section from the request's start to its end,
/// coloured by outcome, the shell flush marked, and the page total beside the sum of the
/// section times (a total near the longest bar, far below the sum, means the fetches ran in
/// parallel). Drawn in SVG with presentation attributes, so the CSP needs no inline styles.
pub(crate) fn timeline(timings: &[SectionTiming], shell_at: Duration, total: Duration) -> Markup {
    const WIDTH: f64 = 600.0;
    const LABEL: f64 = 160.0;
    const ROW: f64 = 22.0;
    let scale = (WIDTH - LABEL - 70.0) / total.as_secs_f64().max(1e-6);
    let x = |at: Duration| LABEL + at.as_secs_f64() * scale;
    let height = ROW * (timings.len() as f64 + 2.0);
    let sum: Duration = timings.iter().map(SectionTiming::latency).sum();
    html! {
        section class="braid-timeline" aria-label="Section timeline" {
            h2 { "Timeline" }
            p {
                "Page total " (millis(total)) " · sum of section times " (millis(sum))
                " · shell flushed at " (millis(shell_at))
            }
            svg xmlns="http://www.w3.org/2000/svg" width=(WIDTH) height=(height)
                viewBox={ "0 0 " (WIDTH) " " (height) } role="img" {
                line x1=(x(shell_at)) x2=(x(shell_at)) y1="0" y2=(height) stroke="#555" stroke-dasharray="4 3" {}
                text x=(x(shell_at) + 3.0) y=(height - 4.0) font-size="11" { "shell" }
                @for (row, timing) in timings.iter().enumerate() {
                    @let y = ROW * row as f64 + 4.0;
                    text x="0" y=(y + 13.0) font-size="12" { (timing.name) }
                    rect x=(x(timing.start)) y=(y) height=(ROW - 6.0)
                        width=((x(timing.end) - x(timing.start)).max(1.0))
                        fill=(colour(timing.outcome)) {
                        title { (timing.name) ": " (timing.outcome.as_str()) ", " (millis(timing.latency())) }
                    }
                    text x=(x(timing.end) + 4.0) y=(y + 13.0) font-size="11" {
                        (millis(timing.latency())) " " (timing.outcome.as_str())
                    }
                }
            }
        }
    }
}

fn colour(outcome: OutcomeKind) -> &'static str {
    match outcome {
        OutcomeKind::Ok => "#2f9e44",
        OutcomeKind::Error | OutcomeKind::Panic => "#e03131",
        OutcomeKind::Timeout => "#f08c00",
        OutcomeKind::Cancelled => "#868e96",
    }
}

fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1e3)
}
