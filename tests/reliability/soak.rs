//! Mixed traffic for a while against the real binary: no errors, no memory growth.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use braid::load::{LoadArgs, Plan, execute};

use super::{Braid, open_until};

/// Runs `secs` seconds of traffic at `braid serve`: 48 keep-alive connections of the load
/// library round-robin over the dashboard (uncached, sections delayed 100–200 ms), the invoice search
/// and `/bench/s1`, plus 8 clients that open the dashboard and hang up after its shell, over
/// and over. RSS of the server is sampled every second. Asserts: no failed request, no
/// non-2xx status, the early leavers all got their shell, the gauges return to zero, and
/// the mean RSS of the last third of the run is within 20% + 4 MiB of the first third's
/// (samples of the first 3 s are warm-up and left out).
async fn soak(secs: u64) {
    // Uncached: the early leavers need a dashboard that streams.
    let braid = Braid::spawn(&[
        "--demo-latency",
        "revenue=200,latest=100",
        "--no-section-cache",
    ])
    .await;
    let cookie = braid.sign_in().await;
    let stop = Arc::new(AtomicBool::new(false));
    let left_early = Arc::new(AtomicUsize::new(0));
    let leavers: Vec<_> = (0..8)
        .map(|_| {
            let (stop, left_early, addr) = (Arc::clone(&stop), Arc::clone(&left_early), braid.addr);
            let cookie = cookie.clone();
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let shell_sent = "<?start name=\"b";
                    drop(open_until(addr, "/dashboard", shell_sent, &cookie).await);
                    left_early.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let sampler = {
        let (stop, pid) = (Arc::clone(&stop), braid.pid());
        tokio::spawn(async move {
            let start = Instant::now();
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if start.elapsed() > Duration::from_secs(3) {
                    samples.push(super::rss_kib(pid));
                }
            }
            samples
        })
    };
    let duration = format!("{secs}s");
    let cookie_header = format!("Cookie: {cookie}");
    let args = LoadArgs::parse_args([
        "-c",
        "48",
        "-d",
        &duration,
        "-H",
        &cookie_header,
        &braid.url("/dashboard"),
        &braid.url("/invoices?query=a&page=2"),
        &braid.url("/bench/s1"),
    ])
    .expect("load arguments");
    let report = execute(Plan::new(&args).await.expect("plan")).await;
    stop.store(true, Ordering::Relaxed);
    for leaver in leavers {
        leaver.await.expect("early-leaving client");
    }
    let samples = sampler.await.expect("sampler");

    assert_eq!(
        report.errors.total(),
        0,
        "no failed request: {:?}\n{}",
        report.errors,
        braid.log()
    );
    assert!(report.responses > 100, "traffic flowed: {report}");
    assert!(
        left_early.load(Ordering::Relaxed) > 10,
        "clients left mid-stream"
    );
    assert!(
        braid.gauges_reach_zero(Duration::from_secs(5)).await,
        "nothing left in flight after the soak"
    );
    assert!(samples.len() >= 6, "RSS samples: {samples:?}");
    let third = samples.len() / 3;
    let mean = |part: &[u64]| part.iter().sum::<u64>() / part.len() as u64;
    let (first, last) = (
        mean(&samples[..third]),
        mean(&samples[samples.len() - third..]),
    );
    let bound = first + first / 5 + 4 * 1024;
    assert!(
        last <= bound,
        "RSS grows: first third {first} KiB, last third {last} KiB (bound {bound} KiB); \
         samples {samples:?}"
    );
    super::assert_serves_with(&braid.url("/dashboard"), &cookie).await;
    eprintln!(
        "soak {secs}s: {} responses ({:.0}/s), {} early leavers, RSS KiB {samples:?}",
        report.responses,
        report.req_per_s,
        left_early.load(Ordering::Relaxed)
    );
}

/// A bounded soak (15 s) that fits the default suite; see [`soak`] for what it asserts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short() {
    soak(15).await;
}

/// The same soak for two minutes: `.ci/run` runs it after the suite
/// (`cargo test --test integration reliability::soak::long -- --ignored`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "two minutes; .ci/run runs it, or run it on demand"]
async fn long() {
    soak(120).await;
}
