//! gzip and brotli still deliver each chunk when it is produced: the compressed stream,
//! decoded incrementally, shows the first section long before the last one is produced.

use std::io::Write;
use std::time::Duration;

use braid::stream::Engine;

use crate::engine::delayed_sections;
use crate::util::{Recording, record_with, start_server};

/// When each needle first appears in the gzip body, decoded chunk by chunk.
pub fn gzip_arrivals(rec: &Recording, needles: &[&str]) -> Vec<Duration> {
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());
    arrivals_with(rec, needles, |chunk| {
        decoder.write_all(chunk).expect("gzip");
        decoder.flush().expect("gzip flush");
        decoder.get_ref().clone()
    })
}

fn brotli_arrivals(rec: &Recording, needles: &[&str]) -> Vec<Duration> {
    let mut decoder = brotli::DecompressorWriter::new(Vec::new(), 4096);
    arrivals_with(rec, needles, |chunk| {
        decoder.write_all(chunk).expect("brotli");
        decoder.flush().expect("brotli flush");
        decoder.get_ref().clone()
    })
}

/// Feeds each chunk to `decode` (which returns all text decoded so far) and notes when each
/// needle first appears.
fn arrivals_with(
    rec: &Recording,
    needles: &[&str],
    mut decode: impl FnMut(&[u8]) -> Vec<u8>,
) -> Vec<Duration> {
    let mut found = vec![None; needles.len()];
    for (at, chunk) in &rec.chunks {
        let text = decode(chunk);
        for (i, needle) in needles.iter().enumerate() {
            if found[i].is_none() && memchr::memmem::find(&text, needle.as_bytes()).is_some() {
                found[i] = Some(*at);
            }
        }
    }
    found
        .into_iter()
        .zip(needles)
        .map(|(at, needle)| at.unwrap_or_else(|| panic!("{needle} never decoded")))
        .collect()
}

/// Shell before the first section, and the first section (100 ms) long before the last
/// (700 ms): ratios only.
pub fn assert_streamed(arrivals: &[Duration]) {
    let (shell, first, last) = (arrivals[0], arrivals[1], arrivals[2]);
    assert!(
        shell < first,
        "shell {shell:?} before the first section {first:?}"
    );
    assert!(
        first.as_secs_f64() < 0.5 * last.as_secs_f64(),
        "first section at {first:?}, long before the last ({last:?})"
    );
}

#[tokio::test]
async fn gzip_delivers_each_chunk_when_produced() {
    let server = start_server(delayed_sections(&[100, 700]), Engine::default()).await;
    let rec = record_with(&server.url("/"), &[("accept-encoding", "gzip")]).await;
    assert_eq!(rec.header("content-encoding"), "gzip");
    assert_streamed(&gzip_arrivals(&rec, &["Shell heading", "done-0", "done-1"]));
}

#[tokio::test]
async fn brotli_delivers_each_chunk_when_produced() {
    let server = start_server(delayed_sections(&[100, 700]), Engine::default()).await;
    let rec = record_with(&server.url("/"), &[("accept-encoding", "br")]).await;
    assert_eq!(rec.header("content-encoding"), "br");
    assert_streamed(&brotli_arrivals(
        &rec,
        &["Shell heading", "done-0", "done-1"],
    ));
}
