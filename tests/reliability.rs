//! Reliability under hostile conditions (issue 6): clients that vanish, read slowly or send
//! slowly, overload, database faults, shutdown, and a bounded soak. Each test asserts that
//! nothing is lost and that the server keeps serving afterwards.
//!
//! Run with
//! ```not_rust
//! cargo test --test integration reliability::
//! cargo test --test integration reliability::soak::long -- --ignored --nocapture
//! ```
//!
//! Every test is bounded in time and in connections, and uses loopback only. Timing
//! assertions compare with the configured timeouts, with generous factors.
//!
//! Memory is measured on a spawned `braid serve` process ([`Braid`]), not on the test
//! process: the integration binary runs many tests at once in one process, so its own RSS
//! moves with whatever the neighbouring tests allocate.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use braid::stream::{Engine, Page, Shell};
use maud::html;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

// Clients that disconnect mid-stream, by the hundred.
mod disconnect;
// Clients that read slowly (write timeout, backpressure) or send slowly (header timeout).
mod slow_clients;
// Shedding beyond `max_streams`.
mod overload;
// What a held stream costs in memory, compressed as a browser asks.
mod held;
// A locked database, a table gone missing, and recovery.
mod database;
// Graceful shutdown: in-process drain, drain deadline, and SIGTERM to the real binary.
mod shutdown;
// Mixed traffic for a while: no errors, no memory growth.
mod soak;
// Clients that shut their sending side after the request.
mod half_close;
// SIGKILL in the middle of writes: nothing acknowledged lost, nothing half-written.
mod crash;

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A router whose `/` is `delayed_page(delays)` on `engine`, so the server's limits and
/// drain act on the same engine the pages use. `/small` is a one-section page that is ready
/// at once, for "the server still serves" checks.
pub fn pages_on(engine: &Engine, delays: &'static [u64]) -> Router {
    Router::new()
        .route(
            "/",
            get(move |page: Page| async move { crate::engine::delayed_page(page, delays) }),
        )
        .route("/small", get(small_page))
        .with_state(engine.clone())
}

async fn small_page(page: Page) -> axum::response::Response {
    let slot = page.section(html! { "…" }, async {
        Ok::<_, Infallible>(html! { p { "small-done" } })
    });
    page.render(Shell {
        head: html! { title { "small" } },
        body: html! { main { (slot) } },
    })
}

/// Asserts that `url` answers a complete 200 document right now.
pub async fn assert_serves(url: &str) {
    assert_serves_with(url, "").await;
}

/// [`assert_serves`] with a `Cookie` header (a signed-in session), unless `cookie` is empty.
pub async fn assert_serves_with(url: &str, cookie: &str) {
    let headers: &[(&str, &str)] = if cookie.is_empty() {
        &[]
    } else {
        &[("cookie", cookie)]
    };
    let rec = crate::util::record_with(url, headers).await;
    assert_eq!(rec.status, 200, "{url} still serves");
    assert!(
        rec.body().ends_with("</body></html>"),
        "{url}: a complete document, got:\n{}",
        rec.body()
    );
}

/// Opens a raw HTTP/1.1 connection, sends `GET path`, and reads until `needle` has arrived
/// (e.g. a fallback marker: the shell is there and sections are pending). The connection is
/// returned open; dropping it is the disconnect.
/// `cookie` (unless empty) is sent as the `Cookie` header: a signed-in session.
pub async fn open_until(addr: SocketAddr, path: &str, needle: &str, cookie: &str) -> TcpStream {
    let cookie = if cookie.is_empty() {
        String::new()
    } else {
        format!("Cookie: {cookie}\r\n")
    };
    open_with(addr, path, needle, &cookie).await
}

/// [`open_until`] with `headers`: header lines, each ending in `\r\n`.
pub async fn open_with(addr: SocketAddr, path: &str, needle: &str, headers: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send request");
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    while memchr::memmem::find(&seen, needle.as_bytes()).is_none() {
        let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("{needle:?} within 20 s on {path}"))
            .expect("read");
        assert!(
            n > 0,
            "{path}: connection closed before {needle:?}:\n{}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    stream
}

/// Reads until EOF or a socket error; returns the bytes read and whether it ended in an
/// error (a reset) rather than a clean EOF.
pub async fn read_to_end_or_reset(stream: &mut TcpStream) -> (Vec<u8>, bool) {
    let mut all = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => return (all, false),
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(_) => return (all, true),
        }
    }
}

/// A `braid serve` child process on a fresh seeded database in a temp dir (or on a given
/// PostgreSQL database), killed on drop.
pub struct Braid {
    child: Child,
    pub addr: SocketAddr,
    log: PathBuf,
    extra: Vec<String>,
    rust_log: String,
    dir: TempDir,
    /// `--database`: the temp dir's SQLite file unless given.
    database: Option<String>,
}

impl Braid {
    /// Starts the real binary with small seed sizes and `extra` flags, and waits until it
    /// accepts connections.
    pub async fn spawn(extra: &[&str]) -> Braid {
        Braid::spawn_logging(extra, "warn").await
    }

    /// Like [`Braid::spawn`], with `RUST_LOG` set to `rust_log`.
    pub async fn spawn_logging(extra: &[&str], rust_log: &str) -> Braid {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("braid.log");
        let extra: Vec<String> = extra.iter().map(|arg| arg.to_string()).collect();
        let database = dir.path().join("braid.sqlite3").display().to_string();
        let child = launch(&database, free_addr_checked(None), &extra, rust_log, &log);
        let mut braid = Braid {
            addr: child.1,
            child: child.0,
            log,
            extra,
            rust_log: rust_log.to_string(),
            dir,
            database: None,
        };
        braid.wait_listening().await;
        braid
    }

    /// An instance on `database` (a `postgres://` URL several instances share) listening on
    /// `addr`, which [`Braid::restart_same_addr`] keeps.
    pub async fn spawn_on(database: &str, addr: SocketAddr, extra: &[&str]) -> Braid {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("braid.log");
        let extra: Vec<String> = extra.iter().map(|arg| arg.to_string()).collect();
        let (child, addr) = launch(
            database,
            free_addr_checked(Some(addr)),
            &extra,
            "warn",
            &log,
        );
        let mut braid = Braid {
            child,
            addr,
            log,
            extra,
            rust_log: "warn".to_string(),
            dir,
            database: Some(database.to_string()),
        };
        braid.wait_listening().await;
        braid
    }

    /// Starts the binary again on the same database and the same address, after it exited.
    pub async fn restart_same_addr(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, _) = launch(
            &self.database_arg(),
            self.addr,
            &self.extra,
            &self.rust_log,
            &self.log,
        );
        self.child = child;
        self.wait_listening().await;
    }

    fn database_arg(&self) -> String {
        self.database
            .clone()
            .unwrap_or_else(|| self.database().display().to_string())
    }

    /// Like [`Braid::restart`], with other flags.
    pub async fn restart_with(&mut self, extra: &[&str]) {
        self.extra = extra.iter().map(|arg| arg.to_string()).collect();
        self.restart().await;
    }

    /// Starts the binary again on the same database (on a new port), after it exited or
    /// was killed.
    pub async fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, addr) = launch(
            &self.database_arg(),
            free_addr(),
            &self.extra,
            &self.rust_log,
            &self.log,
        );
        (self.child, self.addr) = (child, addr);
        self.wait_listening().await;
    }

    async fn wait_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(self.addr).await.is_err() {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!("braid serve exited with {status}:\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "braid serve never listened");
            tokio::time::sleep(ms(50)).await;
        }
    }

    /// The SQLite file the server uses.
    pub fn database(&self) -> PathBuf {
        self.dir.path().join("braid.sqlite3")
    }

    /// Kills the process with SIGKILL (no drain, no destructors) and reaps it.
    pub fn sigkill(&mut self) {
        let status = Command::new("kill")
            .args(["-KILL", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -KILL {}", self.pid());
        let _ = self.child.wait();
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Signs in as the demo user; the `Cookie` header value of the session.
    pub async fn sign_in(&self) -> String {
        crate::util::sign_in(&self.url("")).await
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory, from `/proc/<pid>/status`, in KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid())
    }

    /// The value of an unlabelled gauge on `/metrics` (e.g. `braid_streams_in_flight`).
    pub async fn gauge(&self, name: &str) -> f64 {
        let text = crate::util::client()
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics body");
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("{name} on /metrics:\n{text}"))
            .trim()
            .parse()
            .expect("gauge value")
    }

    /// Waits (up to `limit`) until both stream gauges read zero; false if they never do.
    pub async fn gauges_reach_zero(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            let streams = self.gauge("braid_streams_in_flight").await;
            let producers = self.gauge("braid_live_producers").await;
            if streams == 0.0 && producers == 0.0 {
                return true;
            }
            if Instant::now() > deadline {
                eprintln!("gauges stuck: {streams} streams, {producers} producers");
                return false;
            }
            tokio::time::sleep(ms(50)).await;
        }
    }

    /// Sends a real SIGTERM (with `kill`: the crate forbids `unsafe`, so no `libc::kill`).
    pub fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {}", self.pid());
    }

    /// Waits for the process to exit, for at most `limit`.
    pub async fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "braid serve still running after {limit:?}:\n{}",
                self.log()
            );
            tokio::time::sleep(ms(20)).await;
        }
    }

    /// What the server logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Braid {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `addr`, or a free one.
fn free_addr_checked(addr: Option<SocketAddr>) -> SocketAddr {
    addr.unwrap_or_else(free_addr)
}

/// Spawns `braid serve` on `database` at `addr`, its output appended to `log`.
fn launch(
    database: &str,
    addr: SocketAddr,
    extra: &[String],
    rust_log: &str,
    log: &std::path::Path,
) -> (Child, SocketAddr) {
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_braid"))
        .arg("serve")
        .args(["--addr", &addr.to_string()])
        .args(["--database", database])
        .args(["--seed-customers", "20", "--seed-invoices", "200"])
        .args(extra)
        .env("RUST_LOG", rust_log)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().expect("log file"))
        .stderr(log_file)
        .spawn()
        .expect("spawn braid serve");
    (child, addr)
}

/// A loopback address nobody listens on right now (bound to port 0, then released).
pub fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("local addr")
}

/// `VmRSS` of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status")
}
