//! The real `curl -N` against the app's `/bench/s1`: it prints the shell, with the heading and
//! every skeleton, before the sections (what README's "Watch it stream" shows).
//!
//! Run with
//! ```not_rust
//! cargo test --test integration curl::
//! ```
//! Without the `curl` package the test prints `SKIPPED: …` and passes.

use std::process::Stdio;
use std::time::{Duration, Instant};

use braid::stream::Engine;
use tokio::io::AsyncReadExt;
use tokio::process::Command;

use crate::util::{on_path, start_server};

/// What curl printed, with the time (from its start) of each read.
struct Output {
    reads: Vec<(Duration, Vec<u8>)>,
}

impl Output {
    /// When the output first contained `needle`, and in which read.
    fn arrival(&self, needle: &str) -> (usize, Duration) {
        let mut seen = Vec::new();
        for (i, (at, bytes)) in self.reads.iter().enumerate() {
            seen.extend_from_slice(bytes);
            if memchr::memmem::find(&seen, needle.as_bytes()).is_some() {
                return (i, *at);
            }
        }
        panic!(
            "{needle:?} never printed:\n{}",
            String::from_utf8_lossy(&seen)
        );
    }
}

#[tokio::test]
async fn curl_prints_the_shell_before_the_sections() {
    let Some(curl) = on_path("curl") else {
        crate::util::skipped(
            "curl_prints_the_shell_before_the_sections",
            "the Debian package curl (apt-get install curl)",
        );
        return;
    };
    let engine = Engine::default();
    let router = braid::app::pages::bench::router::<Engine>().with_state(engine.clone());
    let server = start_server(router, engine).await;
    let start = Instant::now();
    let mut child = Command::new(curl)
        .args(["-N", "-s", &server.url("/bench/s1")])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn curl");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut reads = Vec::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let n = stdout.read(&mut buffer).await.expect("read curl");
        if n == 0 {
            break;
        }
        reads.push((start.elapsed(), buffer[..n].to_vec()));
    }
    assert!(child.wait().await.expect("curl").success());
    let output = Output { reads };
    for (at, bytes) in &output.reads {
        eprintln!("{at:?}: {}", String::from_utf8_lossy(bytes));
    }

    let heading = output.arrival("<h1>Dashboard</h1>");
    let skeletons = output.arrival("-end\"><?start name=\"b2.");
    let first = output.arrival("<h2>Section 1</h2>");
    let last = output.arrival("<h2>Section 3</h2>");
    assert_eq!(heading, skeletons, "one shell with every skeleton");
    assert!(
        heading.0 < first.0 && first.0 < last.0,
        "shell, first and last section are separate reads, in that order: {heading:?} {first:?} {last:?}"
    );
}
