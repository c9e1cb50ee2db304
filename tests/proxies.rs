//! braid behind the other stock proxies, each running the configuration shipped in
//! `deploy/`: HAProxy (`haproxy.cfg`), Caddy (`Caddyfile`), Apache httpd with
//! mod_proxy_http and mod_deflate (`apache.conf`) and lighttpd (`lighttpd.conf`). Through
//! each, the shell and every section arrive when braid produces them, without and with
//! gzip. (nginx has its own, longer suite in `proxy.rs`.)
//!
//! Without a proxy's Debian package its test prints `SKIPPED: …` (and fails under CI).

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use braid::stream::Engine;

use crate::compression::assert_streamed;
use crate::engine::delayed_sections;
use crate::proxy::{arrivals, free_port};
use crate::util::{on_path, record_with, start_server};

/// One of the proxies, and how to run its shipped configuration.
#[derive(Debug, Clone, Copy)]
enum Kind {
    HaProxy,
    Caddy,
    Apache,
    Lighttpd,
}

impl Kind {
    fn package(self) -> &'static str {
        match self {
            Kind::HaProxy => "haproxy",
            Kind::Caddy => "caddy",
            Kind::Apache => "apache2",
            Kind::Lighttpd => "lighttpd",
        }
    }

    fn binary(self) -> Option<PathBuf> {
        let name = match self {
            Kind::HaProxy => "haproxy",
            Kind::Caddy => "caddy",
            Kind::Apache => "apache2",
            Kind::Lighttpd => "lighttpd",
        };
        on_path(name).or_else(|| {
            let sbin = PathBuf::from("/usr/sbin").join(name);
            sbin.is_file().then_some(sbin)
        })
    }

    /// The shipped file, rewritten to listen on `port`, forward to `upstream` and keep its
    /// files in `dir`. Each replacement must apply: the test runs the file users copy.
    fn config(self, dir: &Path, port: u16, upstream: SocketAddr) -> String {
        let dir = dir.display().to_string();
        let (shipped, replacements): (&str, Vec<(&str, String)>) = match self {
            Kind::HaProxy => (
                include_str!("../deploy/haproxy.cfg"),
                vec![
                    ("127.0.0.1:8080", format!("127.0.0.1:{port}")),
                    ("127.0.0.1:3000", upstream.to_string()),
                ],
            ),
            Kind::Caddy => (
                include_str!("../deploy/Caddyfile"),
                vec![
                    (":8080", format!(":{port}")),
                    ("127.0.0.1:3000", upstream.to_string()),
                ],
            ),
            Kind::Apache => (
                include_str!("../deploy/apache.conf"),
                vec![
                    ("127.0.0.1:8080", format!("127.0.0.1:{port}")),
                    ("http://127.0.0.1:3000/", format!("http://{upstream}/")),
                    ("/var/run/apache2", dir.clone()),
                    ("/var/log/apache2", dir.clone()),
                ],
            ),
            Kind::Lighttpd => (
                include_str!("../deploy/lighttpd.conf"),
                vec![
                    ("server.port = 8080", format!("server.port = {port}")),
                    (
                        "\"port\" => 3000",
                        format!("\"port\" => {}", upstream.port()),
                    ),
                    ("/var/www/html", dir.clone()),
                    ("/var/log/lighttpd", dir.clone()),
                ],
            ),
        };
        let mut config = shipped.to_string();
        for (from, to) in replacements {
            assert!(
                config.contains(from),
                "{self:?}: the shipped file still has {from:?}"
            );
            config = config.replace(from, &to);
        }
        config
    }

    fn command(self, binary: &Path, conf: &Path, dir: &Path) -> Command {
        let mut command = Command::new(binary);
        match self {
            Kind::HaProxy => command.arg("-db").arg("-f").arg(conf),
            Kind::Caddy => command
                .args(["run", "--adapter", "caddyfile", "--config"])
                .arg(conf)
                .env("HOME", dir)
                .env("XDG_DATA_HOME", dir)
                .env("XDG_CONFIG_HOME", dir),
            Kind::Apache => command.arg("-X").arg("-f").arg(conf),
            Kind::Lighttpd => command.arg("-D").arg("-f").arg(conf),
        };
        command
    }
}

/// A proxy in the foreground in a temporary directory; killed on drop.
struct Proxy {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// What the proxy printed and logged.
    fn log(&self) -> String {
        let mut log = String::new();
        for name in ["output.log", "error.log", "braid-error.log"] {
            log += &std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        }
        log
    }
}

/// Starts `kind` in front of `upstream`, or prints a loud SKIPPED line and returns `None`.
fn start(kind: Kind, test: &str, upstream: SocketAddr) -> Option<Proxy> {
    start_without(kind, test, upstream, None)
}

/// Like [`start`], with the shipped line that starts with `removed` taken out (a control).
fn start_without(
    kind: Kind,
    test: &str,
    upstream: SocketAddr,
    removed: Option<&str>,
) -> Option<Proxy> {
    let Some(binary) = kind.binary() else {
        let package = kind.package();
        crate::util::skipped(
            test,
            &format!("the Debian package {package} (apt-get install {package})"),
        );
        return None;
    };
    let dir = tempfile::tempdir().expect("proxy dir");
    let port = free_port();
    let conf = dir.path().join("proxy.conf");
    let mut config = kind.config(dir.path(), port, upstream);
    if let Some(removed) = removed {
        let kept: Vec<&str> = config
            .lines()
            .filter(|line| !line.trim_start().starts_with(removed))
            .collect();
        assert!(
            kept.len() < config.lines().count(),
            "{kind:?}: no line starts with {removed:?}"
        );
        config = kept.join("\n") + "\n";
    }
    std::fs::write(&conf, config).expect("write the config");
    let output = std::fs::File::create(dir.path().join("output.log")).expect("output log");
    let child = kind
        .command(&binary, &conf, dir.path())
        .stdin(Stdio::null())
        .stdout(output.try_clone().expect("output log"))
        .stderr(output)
        .spawn()
        .unwrap_or_else(|error| panic!("spawn {}: {error}", binary.display()));
    let mut proxy = Proxy { child, port, dir };
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = proxy.child.try_wait() {
            panic!("{kind:?} exited with {status}:\n{}", proxy.log());
        }
        assert!(
            Instant::now() < deadline,
            "{kind:?} never listened:\n{}",
            proxy.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(proxy)
}

/// Through `kind`, the shell and both sections (100 ms and 700 ms) arrive at their own
/// times, in plain HTML and with the client accepting gzip.
async fn sections_arrive_at_their_own_times(kind: Kind, test: &str) {
    let server = start_server(delayed_sections(&[100, 700]), Engine::default()).await;
    let Some(proxy) = start(kind, test, server.addr) else {
        return;
    };
    let needles = ["Shell heading", "done-0", "done-1"];
    let plain = record_with(&proxy.url("/"), &[]).await;
    assert_eq!(plain.status, 200, "{kind:?}:\n{}", proxy.log());
    assert!(plain.body().ends_with("</body></html>"), "{kind:?}");
    assert_streamed(&arrivals(&plain, &needles, false));

    let gzip = record_with(&proxy.url("/"), &[("accept-encoding", "gzip")]).await;
    assert_eq!(gzip.status, 200, "{kind:?}:\n{}", proxy.log());
    assert_eq!(gzip.header("content-encoding"), "gzip", "{kind:?}");
    assert_streamed(&arrivals(&gzip, &needles, true));
}

#[tokio::test]
async fn haproxy_passes_each_section_through_when_it_is_produced() {
    sections_arrive_at_their_own_times(
        Kind::HaProxy,
        "haproxy_passes_each_section_through_when_it_is_produced",
    )
    .await;
}

#[tokio::test]
async fn caddy_passes_each_section_through_when_it_is_produced() {
    sections_arrive_at_their_own_times(
        Kind::Caddy,
        "caddy_passes_each_section_through_when_it_is_produced",
    )
    .await;
}

#[tokio::test]
async fn apache_passes_each_section_through_when_it_is_produced() {
    sections_arrive_at_their_own_times(
        Kind::Apache,
        "apache_passes_each_section_through_when_it_is_produced",
    )
    .await;
}

#[tokio::test]
async fn lighttpd_passes_each_section_through_when_it_is_produced() {
    sections_arrive_at_their_own_times(
        Kind::Lighttpd,
        "lighttpd_passes_each_section_through_when_it_is_produced",
    )
    .await;
}

/// The control for lighttpd: without `server.stream-response-body = 2` it holds the first
/// section back until near the end of the page, so its test above can fail.
#[tokio::test]
async fn without_stream_response_body_lighttpd_holds_sections_back() {
    let test = "without_stream_response_body_lighttpd_holds_sections_back";
    let server = start_server(delayed_sections(&[100, 700]), Engine::default()).await;
    let line = Some("server.stream-response-body");
    let Some(proxy) = start_without(Kind::Lighttpd, test, server.addr, line) else {
        return;
    };
    let rec = record_with(&proxy.url("/"), &[]).await;
    assert_eq!(rec.status, 200, "{}", proxy.log());
    let at = arrivals(&rec, &["Shell heading", "done-0", "done-1"], false);
    assert!(
        at[1].as_secs_f64() > 0.5 * at[2].as_secs_f64(),
        "the first section {:?} is held until near the last {:?}",
        at[1],
        at[2]
    );
}

/// The control for HAProxy, side by side: without `option http-no-delay` the first section
/// (ready after 100 ms) comes through clearly later than with it, since HAProxy holds small
/// writes back hoping to merge them.
#[tokio::test]
async fn without_http_no_delay_haproxy_delays_sections() {
    let test = "without_http_no_delay_haproxy_delays_sections";
    let server = start_server(delayed_sections(&[100, 700]), Engine::default()).await;
    let mut first_section = Vec::new();
    for removed in [None, Some("option http-no-delay")] {
        let Some(proxy) = start_without(Kind::HaProxy, test, server.addr, removed) else {
            return;
        };
        let rec = record_with(&proxy.url("/"), &[]).await;
        assert_eq!(rec.status, 200, "{}", proxy.log());
        first_section.push(arrivals(&rec, &["done-0"], false)[0]);
    }
    let (with, without) = (first_section[0], first_section[1]);
    assert!(
        without.as_secs_f64() > 1.5 * with.as_secs_f64(),
        "the first section arrives after {with:?} with http-no-delay, {without:?} without"
    );
}
