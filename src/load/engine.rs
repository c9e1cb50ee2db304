//! Running a [`Plan`]: one task per connection, a progress line, and the merged [`Report`].

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::conn;
use super::plan::Plan;
use super::report::Report;
use super::stats::Shards;

/// Most shards of stats; see [`Shards`] for why connections share them.
const MAX_SHARDS: usize = 16;

/// Runs `plan` to the end and reports what it measured.
///
/// # Examples
///
/// ```no_run
/// # async fn example() -> anyhow::Result<()> {
/// use braid::load::{LoadArgs, Plan, execute};
///
/// let args = LoadArgs::parse_args(["-c", "4", "-n", "100", "http://127.0.0.1:3000/bench/s1"])?;
/// let report = execute(Plan::new(&args).await?).await;
/// println!("{report}");
/// # Ok(()) }
/// ```
///
/// # Return Value
///
/// Resolves once every connection has finished its last request: after `-n` measured
/// requests, after `-d` has passed (requests in flight then still complete, within
/// `--timeout`), or after [`super::plan::Schedule::stop`]. Request failures are counted in the
/// report, never returned as errors.
pub async fn execute(plan: Plan) -> Report {
    let plan = Arc::new(plan);
    let shards = Arc::new(Shards::new(
        plan.connections.min(MAX_SHARDS),
        plan.markers.len(),
    ));
    let progress = plan
        .progress
        .then(|| tokio::spawn(progress(Arc::clone(&shards))));
    let tasks: Vec<_> = (0..plan.connections)
        .map(|i| tokio::spawn(conn::drive(Arc::clone(&plan), Arc::clone(&shards), i)))
        .collect();
    for task in tasks {
        // A panicking connection task is a bug; its shard keeps what it recorded.
        let _ = task.await;
    }
    let ended = Instant::now();
    if let Some(progress) = progress {
        progress.abort();
        eprint!("\r\x1b[2K");
    }
    let elapsed = plan
        .schedule
        .measure_start()
        .map_or(Duration::ZERO, |start| ended - start);
    Report::new(shards.merged(plan.markers.len()), &plan.markers, elapsed)
}

/// Prints requests done, the rate over the last second and errors, on one stderr line.
async fn progress(shards: Arc<Shards>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let mut last = 0;
    loop {
        tick.tick().await;
        let (done, errors) = shards.progress();
        eprint!(
            "\r\x1b[2K{done} requests, {} req/s, {errors} errors",
            done - last
        );
        let _ = std::io::stderr().flush();
        last = done;
    }
}
