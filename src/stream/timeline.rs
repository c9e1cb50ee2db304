//! The `?debug=timeline` waterfall appended to a page: did its sections run in parallel?

use std::time::Duration;

use maud::{Markup, html};

use super::section::OutcomeKind;
use super::timing::SectionTiming;

/// The `?debug=timeline` waterfall: one bar per section from the request's start to its end,
/// coloured by outcome, the shell flush marked, and the page total beside the sum of the
/// section times (a total near the longest bar, far below the sum, means the fetches ran in
/// parallel). Drawn in SVG with presentation attributes, so the CSP needs no inline styles.
pub(crate) fn render(timings: &[SectionTiming], shell_at: Duration, total: Duration) -> Markup {
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
                    text x="0" y=(y + 13.0) font-size="12" { (timing.name) " #" (timing.id) }
                    rect x=(x(timing.start)) y=(y) height=(ROW - 6.0)
                        width=((x(timing.end) - x(timing.start)).max(1.0))
                        fill=(colour(timing.outcome)) {
                        title { (timing.name) ": " (timing.outcome.as_str()) ", " (millis(timing.latency())) }
                    }
                    text x=(x(timing.end) + 4.0) y=(y + 13.0) font-size="11" {
                        (millis(timing.latency())) " " (timing.outcome.as_str())
                        @if let Some(lookup) = timing.cache { " · cache " (lookup.as_str()) }
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
