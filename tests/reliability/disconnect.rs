//! Hundreds of clients that leave mid-stream, against the real binary.

use std::time::Duration;

use futures::future::join_all;

use super::{Braid, open_until};

/// Clients per storm.
const CLIENTS: usize = 200;

/// The dashboard's two slow sections wait 30 s; only a disconnect can end them sooner.
const SLOW: &[&str] = &[
    "--demo-latency",
    "revenue=30000,latest=30000",
    "--section-timeout",
    "60s",
    "--page-deadline",
    "60s",
];

/// One storm: `CLIENTS` clients each read the dashboard's shell (sections still pending),
/// all are in flight at once, then all drop their connections. Returns the server's RSS
/// (KiB) while they were all connected.
async fn storm(braid: &Braid, cookie: &str) -> u64 {
    let shell_sent = "<?start name=\"b";
    let open = |_| open_until(braid.addr, "/dashboard", shell_sent, cookie);
    let opened = join_all((0..CLIENTS).map(open)).await;
    let streams = braid.gauge("braid_streams_in_flight").await;
    let producers = braid.gauge("braid_live_producers").await;
    assert_eq!(
        streams, CLIENTS as f64,
        "every client's stream is in flight"
    );
    assert!(
        producers >= 2.0 * CLIENTS as f64,
        "each stream still runs its two slow sections: {producers} producers"
    );
    let peak = braid.rss_kib();
    drop(opened);
    assert!(
        braid.gauges_reach_zero(Duration::from_secs(10)).await,
        "the disconnects cancel every stream and producer (sections would take 30 s)\n{}",
        braid.log()
    );
    peak
}

/// A disconnect storm: 200 clients drop after the shell, three storms in a row after a
/// warm-up one. Each time the in-flight and live-producer gauges return to zero (long before
/// the 30 s sections could have finished), the server's RSS after the storms stays near its
/// level after the warm-up (no per-stream leak), and a normal request still renders.
///
/// RSS is the spawned server's, so the other tests in this process do not disturb it. The
/// warm-up storm sets the baseline: the allocator keeps freed memory for reuse, so the
/// right question is "does each storm leave something behind", not "is all memory returned".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_storm_cancels_everything_and_memory_settles() {
    let braid = Braid::spawn(SLOW).await;
    let cookie = braid.sign_in().await;
    storm(&braid, &cookie).await;
    let baseline = braid.rss_kib();
    let mut peaks = Vec::new();
    for _ in 0..3 {
        peaks.push(storm(&braid, &cookie).await);
    }
    let after = braid.rss_kib();
    // Generous: 10% plus 16 MiB over three storms of 200 streams.
    let bound = baseline + baseline / 10 + 16 * 1024;
    assert!(
        after <= bound,
        "RSS after three storms {after} KiB, baseline {baseline} KiB (peaks {peaks:?} KiB): \
         more than {bound} KiB means each storm leaves memory behind"
    );
    super::assert_serves_with(&braid.url("/invoices"), &cookie).await;
    super::assert_serves(&braid.url("/bench/s1")).await;
    eprintln!("disconnect storm: baseline {baseline} KiB, peaks {peaks:?} KiB, after {after} KiB");
}
