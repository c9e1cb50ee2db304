//! What a run counts: one latency histogram per figure, bytes, streamed responses and errors
//! by kind, kept in a few shards that connections record into and the report merges.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use hdrhistogram::Histogram;

use super::receiver::Sample;

/// Significant digits of every histogram: 0.1% precision, so a p99 of 150 ms is ±0.15 ms.
const SIGFIG: u8 = 3;

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The TCP connection could not be opened.
    Connect,
    /// The response did not complete within `--timeout`.
    Timeout,
    /// A socket error while writing the request or reading the response.
    Io,
    /// The connection closed before the response was complete.
    Eof,
    /// The response was not valid HTTP/1.1 (or bytes arrived that nobody asked for).
    Framing,
}

/// Errors by kind; non-2xx responses by status code.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Errors {
    /// The TCP connection could not be opened.
    pub connect: u64,
    /// No complete response within `--timeout`.
    pub timeout: u64,
    /// A socket error while writing or reading.
    pub io: u64,
    /// The connection closed before the response was complete.
    pub eof: u64,
    /// The response was not valid HTTP/1.1.
    pub framing: u64,
    /// Complete responses whose status is not 2xx, by status code.
    pub status: BTreeMap<u16, u64>,
}

impl Errors {
    /// All errors, non-2xx responses included.
    pub fn total(&self) -> u64 {
        self.connect
            + self.timeout
            + self.io
            + self.eof
            + self.framing
            + self.status.values().sum::<u64>()
    }

    fn count(&mut self, kind: ErrorKind) {
        let counter = match kind {
            ErrorKind::Connect => &mut self.connect,
            ErrorKind::Timeout => &mut self.timeout,
            ErrorKind::Io => &mut self.io,
            ErrorKind::Eof => &mut self.eof,
            ErrorKind::Framing => &mut self.framing,
        };
        *counter += 1;
    }

    fn merge(&mut self, other: &Errors) {
        self.connect += other.connect;
        self.timeout += other.timeout;
        self.io += other.io;
        self.eof += other.eof;
        self.framing += other.framing;
        for (&status, &n) in &other.status {
            *self.status.entry(status).or_default() += n;
        }
    }
}

/// Counts of a part of the run (a shard) or of the whole run.
#[derive(Debug, Clone)]
pub struct Stats {
    /// Requests sent or attempted, warm-up included (for the progress line).
    pub attempted: u64,
    /// Measured responses that completed, whatever their status.
    pub responses: u64,
    /// Measured responses that arrived in more than one read.
    pub multi_read: u64,
    /// Bytes received in measured responses, heads included.
    pub bytes: u64,
    /// TCP connections opened, warm-up included.
    pub connections: u64,
    /// Errors of measured requests (and warm-up errors in `attempted_errors`).
    pub errors: Errors,
    /// Errors of all requests, warm-up included (for the progress line).
    pub attempted_errors: u64,
    /// Time to first byte of each measured 2xx response, µs.
    pub ttfb: Histogram<u64>,
    /// Arrival of each marker, µs, in `--marker` order.
    pub markers: Vec<Histogram<u64>>,
    /// 2xx responses in which each marker never appeared.
    pub markers_missing: Vec<u64>,
    /// Time to the end of each measured 2xx response, µs.
    pub total: Histogram<u64>,
}

impl Stats {
    /// Empty counts for a run with `markers` markers.
    pub fn new(markers: usize) -> Self {
        Self {
            attempted: 0,
            responses: 0,
            multi_read: 0,
            bytes: 0,
            connections: 0,
            errors: Errors::default(),
            attempted_errors: 0,
            ttfb: histogram(),
            markers: (0..markers).map(|_| histogram()).collect(),
            markers_missing: vec![0; markers],
            total: histogram(),
        }
    }

    /// Records a complete response and its marker arrival times.
    pub fn record(
        &mut self,
        sample: &Sample,
        markers: impl Iterator<Item = Option<u64>>,
        measured: bool,
    ) {
        self.attempted += 1;
        if !(200..300).contains(&sample.status) {
            self.attempted_errors += 1;
        }
        if !measured {
            return;
        }
        self.responses += 1;
        self.bytes += sample.bytes;
        self.multi_read += u64::from(sample.reads > 1);
        if !(200..300).contains(&sample.status) {
            *self.errors.status.entry(sample.status).or_default() += 1;
            return;
        }
        record(&mut self.ttfb, sample.ttfb_us);
        record(&mut self.total, sample.total_us);
        for ((found, histogram), missing) in markers
            .zip(&mut self.markers)
            .zip(&mut self.markers_missing)
        {
            match found {
                Some(us) => record(histogram, us),
                None => *missing += 1,
            }
        }
    }

    /// Records a failed request.
    pub fn record_error(&mut self, kind: ErrorKind, measured: bool) {
        self.attempted += 1;
        self.attempted_errors += 1;
        if measured {
            self.errors.count(kind);
        }
    }

    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &Stats) {
        self.attempted += other.attempted;
        self.responses += other.responses;
        self.multi_read += other.multi_read;
        self.bytes += other.bytes;
        self.connections += other.connections;
        self.errors.merge(&other.errors);
        self.attempted_errors += other.attempted_errors;
        add(&mut self.ttfb, &other.ttfb);
        add(&mut self.total, &other.total);
        for (mine, theirs) in self.markers.iter_mut().zip(&other.markers) {
            add(mine, theirs);
        }
        for (mine, theirs) in self.markers_missing.iter_mut().zip(&other.markers_missing) {
            *mine += theirs;
        }
    }
}

/// Stats split into a few mutex-guarded shards; connection `i` records into shard
/// `i % shards`.
///
/// Why shards and not one set per connection: a 3-digit histogram of latencies up to seconds
/// is tens of kilobytes, and 256 connections × several figures would need hundreds of
/// megabytes. Why a `std::sync::Mutex`: nothing is awaited while it is held and each critical
/// section is a few counter increments, so with a handful of shards on a few cores it is
/// almost never contended.
#[derive(Debug)]
pub struct Shards(Vec<Mutex<Stats>>);

impl Shards {
    /// `count` empty shards (at least one) for a run with `markers` markers.
    pub fn new(count: usize, markers: usize) -> Self {
        Self(
            (0..count.max(1))
                .map(|_| Mutex::new(Stats::new(markers)))
                .collect(),
        )
    }

    /// The shard of connection `connection`.
    pub fn get(&self, connection: usize) -> MutexGuard<'_, Stats> {
        self.0[connection % self.0.len()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Requests attempted and failed so far, warm-up included.
    pub fn progress(&self) -> (u64, u64) {
        (0..self.0.len())
            .map(|i| self.get(i))
            .fold((0, 0), |(n, e), s| {
                (n + s.attempted, e + s.attempted_errors)
            })
    }

    /// All shards merged.
    pub fn merged(&self, markers: usize) -> Stats {
        let mut all = Stats::new(markers);
        for i in 0..self.0.len() {
            all.merge(&self.get(i));
        }
        all
    }
}

fn histogram() -> Histogram<u64> {
    // An auto-resizing histogram: it grows to the largest value recorded.
    Histogram::new(SIGFIG).expect("3 significant digits are within hdrhistogram's 0..=5")
}

fn record(histogram: &mut Histogram<u64>, us: u64) {
    // Grows the histogram as needed (`saturating_record` would clamp instead); only values
    // beyond i64::MAX / 2 µs can fail, and those are clamped.
    if histogram.record(us).is_err() {
        histogram.saturating_record(us);
    }
}

fn add(into: &mut Histogram<u64>, from: &Histogram<u64>) {
    // Both auto-resize, so adding cannot fail for lack of range.
    let _ = into.add(from);
}
