//! The result of a run, as a table for people or JSON for scripts.

use std::fmt::{self, Write as _};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::stats::{Errors, Stats};

/// What a run measured. Figures cover measured 2xx responses; warm-up is excluded throughout.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Wall time of the measured part of the run, seconds.
    pub elapsed_s: f64,
    /// Complete responses per second, whatever their status.
    pub req_per_s: f64,
    /// Complete responses, whatever their status.
    pub responses: u64,
    /// Responses that arrived in more than one read: proof that the body streamed.
    pub multi_read: u64,
    /// Bytes received in responses, heads included.
    pub bytes: u64,
    /// TCP connections opened, warm-up included.
    pub connections_opened: u64,
    /// Failed requests by kind, and non-2xx responses by status.
    pub errors: Errors,
    /// Time to first byte, each marker's arrival, then time to the end, in that order.
    pub figures: Vec<Figure>,
}

/// The distribution of one figure over all measured 2xx responses, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// `ttfb`, `total`, or the marker string.
    pub name: String,
    /// Responses in which it was measured (for a marker: those that contained it).
    pub count: u64,
    /// For a marker: 2xx responses that never contained it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<u64>,
    /// Smallest, median, 90th and 99th percentile, largest and mean value.
    pub min_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Report {
    /// Builds the report from the merged stats of a run that measured for `elapsed`.
    pub(crate) fn new(stats: Stats, markers: &[String], elapsed: Duration) -> Self {
        let elapsed_s = elapsed.as_secs_f64();
        let mut figures = vec![Figure::new("ttfb", &stats.ttfb, None)];
        for ((name, histogram), &missing) in markers
            .iter()
            .zip(&stats.markers)
            .zip(&stats.markers_missing)
        {
            figures.push(Figure::new(name, histogram, Some(missing)));
        }
        figures.push(Figure::new("total", &stats.total, None));
        Report {
            elapsed_s,
            req_per_s: if elapsed_s > 0.0 {
                stats.responses as f64 / elapsed_s
            } else {
                0.0
            },
            responses: stats.responses,
            multi_read: stats.multi_read,
            bytes: stats.bytes,
            connections_opened: stats.connections,
            errors: stats.errors,
            figures,
        }
    }

    /// The figure named `name` (`ttfb`, `total` or a marker).
    pub fn figure(&self, name: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.name == name)
    }

    /// The report as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

impl Figure {
    fn new(name: &str, h: &Histogram<u64>, missing: Option<u64>) -> Self {
        let ms = |us: u64| (us as f64) / 1000.0;
        let empty = h.is_empty();
        let at = |q: f64| {
            if empty {
                0.0
            } else {
                ms(h.value_at_quantile(q))
            }
        };
        Figure {
            name: name.to_owned(),
            count: h.len(),
            missing,
            min_ms: if empty { 0.0 } else { ms(h.min()) },
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            p99_ms: at(0.99),
            max_ms: if empty { 0.0 } else { ms(h.max()) },
            mean_ms: if empty { 0.0 } else { h.mean() / 1000.0 },
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .figures
            .iter()
            .map(|x| x.name.chars().count())
            .max()
            .unwrap_or(0)
            .max(11);
        writeln!(
            f,
            "{} responses in {:.2} s: {:.1} req/s, {} bytes, {} streamed (multi-read), {} connections opened",
            self.responses,
            self.elapsed_s,
            self.req_per_s,
            self.bytes,
            self.multi_read,
            self.connections_opened
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<width$} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "figure (ms)", "p50", "p90", "p99", "max", "count"
        )?;
        for x in &self.figures {
            let missing = x
                .missing
                .filter(|&m| m > 0)
                .map(|m| format!("  ({m} missing)"));
            writeln!(
                f,
                "{:<width$} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9}{}",
                x.name,
                x.p50_ms,
                x.p90_ms,
                x.p99_ms,
                x.max_ms,
                x.count,
                missing.unwrap_or_default()
            )?;
        }
        writeln!(f)?;
        write!(f, "errors: {}", describe(&self.errors))
    }
}

fn describe(errors: &Errors) -> String {
    if errors.total() == 0 {
        return "none".to_owned();
    }
    let mut out = String::new();
    let kinds = [
        ("connect", errors.connect),
        ("timeout", errors.timeout),
        ("read/write", errors.io),
        ("closed mid-response", errors.eof),
        ("framing", errors.framing),
    ];
    for (name, n) in kinds.into_iter().filter(|&(_, n)| n > 0) {
        let _ = write!(out, "{n} {name}, ");
    }
    for (status, n) in &errors.status {
        let _ = write!(out, "{n} status {status}, ");
    }
    out.truncate(out.len().saturating_sub(2));
    out
}
