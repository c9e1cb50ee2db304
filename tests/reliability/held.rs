//! What a held stream costs in memory when it is compressed as a browser asks, against the
//! real binary: a regression to a compressor that holds hundreds of kilobytes per stream
//! fails here, without timing anything.

use futures::future::join_all;

use super::{Braid, open_with};

/// Streams held before measuring, and then measured.
const FIRST: usize = 100;
const STREAMS: usize = 300;

/// A generous bound per stream: four times the capacity issue's goal of 32 KB. tower-http's
/// layer held 704 KB per brotli stream at the default quality, 68 KB at quality 1, and
/// 411 KB with gzip; compressed chunk by chunk, a held stream holds no compressor.
const BOUND_KIB: u64 = 4 * 32;

/// 300 more `/bench/hold` streams (sections pending for 10 s) with a browser's
/// `Accept-Encoding` (brotli), and then with `gzip` alone, each on top of 100 already held,
/// raise the spawned server's RSS by less than [`BOUND_KIB`] each. The first 100 pay the
/// first-time costs (each worker thread's heap), which are not a stream's; memory freed by
/// an earlier round would be reused and hide what a stream holds, so nothing is released
/// before measuring.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_stream_held_open_costs_under_a_bound() {
    for (accept, coding) in [("gzip, deflate, br, zstd", "br"), ("gzip", "gzip")] {
        let braid = Braid::spawn(&[]).await;
        let request = format!("Accept-Encoding: {accept}\r\n");
        let expected = format!("content-encoding: {coding}");
        let open = |_| open_with(braid.addr, "/bench/hold", &expected, &request);
        let first = join_all((0..FIRST).map(open)).await;
        let baseline = braid.rss_kib();
        let more = join_all((0..STREAMS).map(open)).await;
        let held = braid.gauge("braid_streams_in_flight").await;
        assert_eq!(held, (FIRST + STREAMS) as f64, "every stream is held");
        let during = braid.rss_kib();
        let per_stream = during.saturating_sub(baseline) / STREAMS as u64;
        eprintln!("held {coding} streams: {baseline} KiB -> {during} KiB, {per_stream} KiB each");
        assert!(
            per_stream <= BOUND_KIB,
            "{per_stream} KiB per held {coding} stream ({baseline} -> {during} KiB for {STREAMS})"
        );
        drop((first, more));
    }
}
