//! What a run will do, checked before it starts ([`Plan`]), and which request comes next and
//! whether it counts ([`Schedule`]).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::bail;

use super::LoadArgs;
use super::target::Target;

/// Duration of a run given neither `-n` nor `-d`.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(10);

/// When the measured part of a run ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// After this many measured requests.
    Requests(u64),
    /// This long after the measured part starts.
    Duration(Duration),
}

/// Requests excluded from the figures, at the start of a run: `--warmup 500` or `--warmup 2s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warmup {
    /// The first this many requests.
    Requests(u64),
    /// Requests sent during this long after the start.
    Duration(Duration),
}

impl std::str::FromStr for Warmup {
    type Err = humantime::DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse() {
            Ok(n) => Ok(Warmup::Requests(n)),
            Err(_) => humantime::parse_duration(s).map(Warmup::Duration),
        }
    }
}

/// A checked run: targets resolved, limits settled, ready for [`super::execute`].
#[derive(Debug)]
pub struct Plan {
    /// The URLs, each with its resolved address; connections go round-robin over them.
    pub targets: Vec<(Target, SocketAddr)>,
    /// Concurrent connections, each with at most one request in flight.
    pub connections: usize,
    /// The markers whose arrival is reported, in order.
    pub markers: Vec<String>,
    /// Deadline of one request, from sending it to the end of its response.
    pub timeout: Duration,
    /// Whether to print a progress line on stderr once a second.
    pub progress: bool,
    /// Hands out requests; [`Schedule::stop`] ends the run early.
    pub schedule: Arc<Schedule>,
}

impl Plan {
    /// Checks `args` and resolves the targets' hosts.
    ///
    /// # Errors
    ///
    /// For a bad URL, a host that does not resolve, or zero connections.
    pub async fn new(args: &LoadArgs) -> anyhow::Result<Self> {
        if args.connections == 0 {
            bail!("--connections must be at least 1");
        }
        let mut targets = Vec::with_capacity(args.urls.len());
        for url in &args.urls {
            let target = Target::new(url, &args.headers)?;
            let addr = target.resolve().await?;
            targets.push((target, addr));
        }
        if targets.is_empty() {
            bail!("give at least one URL");
        }
        let limit = match (args.requests, args.duration) {
            (Some(n), _) => Limit::Requests(n),
            (None, Some(d)) => Limit::Duration(d),
            (None, None) => Limit::Duration(DEFAULT_DURATION),
        };
        Ok(Plan {
            targets,
            connections: args.connections,
            markers: args.markers.clone(),
            timeout: args.timeout,
            progress: false,
            schedule: Arc::new(Schedule::new(limit, args.warmup)),
        })
    }
}

/// Hands out requests to connections until the limit, and says which ones are measured.
///
/// Shared by all connections; one atomic increment (and, for duration limits, one clock read)
/// per request.
#[derive(Debug)]
pub struct Schedule {
    limit: Limit,
    warmup: Option<Warmup>,
    started: Instant,
    issued: AtomicU64,
    measured: AtomicU64,
    measure_start: OnceLock<Instant>,
    stopped: AtomicBool,
}

/// Permission to send one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    /// Whether the request counts in the figures (false during warm-up).
    pub measured: bool,
}

impl Schedule {
    /// A schedule starting now.
    pub fn new(limit: Limit, warmup: Option<Warmup>) -> Self {
        Self {
            limit,
            warmup,
            started: Instant::now(),
            issued: AtomicU64::new(0),
            measured: AtomicU64::new(0),
            measure_start: OnceLock::new(),
            stopped: AtomicBool::new(false),
        }
    }

    /// The next request, or `None` when the run is over.
    pub fn next(&self) -> Option<Ticket> {
        if self.stopped.load(Ordering::Relaxed) {
            return None;
        }
        let now = Instant::now();
        let warming = match self.warmup {
            None => false,
            Some(Warmup::Requests(w)) => self.issued.fetch_add(1, Ordering::Relaxed) < w,
            Some(Warmup::Duration(d)) => now < self.started + d,
        };
        if warming {
            return Some(Ticket { measured: false });
        }
        let start = *self.measure_start.get_or_init(|| now);
        let more = match self.limit {
            Limit::Requests(n) => self.measured.fetch_add(1, Ordering::Relaxed) < n,
            Limit::Duration(d) => now < start + d,
        };
        more.then_some(Ticket { measured: true })
    }

    /// Ends the run: connections finish the request they are on and send no more.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }

    /// When the first measured request was handed out (`None` if none was).
    pub fn measure_start(&self) -> Option<Instant> {
        self.measure_start.get().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_limits_are_exact_after_warmup() {
        let schedule = Schedule::new(Limit::Requests(3), Some(Warmup::Requests(2)));
        let tickets: Vec<_> = std::iter::from_fn(|| schedule.next())
            .map(|t| t.measured)
            .collect();
        assert_eq!(tickets, [false, false, true, true, true]);
    }

    #[test]
    fn stop_ends_the_run() {
        let schedule = Schedule::new(Limit::Duration(Duration::from_secs(60)), None);
        assert!(schedule.next().is_some());
        schedule.stop();
        assert_eq!(schedule.next(), None);
    }

    #[test]
    fn warmup_parses_counts_and_durations() {
        assert_eq!("500".parse(), Ok(Warmup::Requests(500)));
        assert_eq!("2s".parse(), Ok(Warmup::Duration(Duration::from_secs(2))));
        assert!("soon".parse::<Warmup>().is_err());
    }
}
