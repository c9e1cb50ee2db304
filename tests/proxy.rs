//! braid behind a real nginx (Debian's package), configured with the shipped
//! `deploy/nginx.conf` under Debian's stock settings (`gzip on`, proxy buffering on): each
//! section still arrives at its own time, compressed or not, and a client that leaves
//! mid-stream cancels braid's producers.
//!
//! Run with
//! ```not_rust
//! cargo test --test integration proxy::
//! ```
//! Without the `nginx` package each test prints `SKIPPED: …` and passes.

use std::convert::Infallible;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use braid::stream::{Engine, Page, Shell};
use futures::StreamExt;
use maud::html;

use crate::compression::{assert_streamed, gzip_arrivals};
use crate::engine::delayed_sections;
use crate::util::{Recording, TestServer, client, eventually, record_with, start_server};

/// The configuration users copy; the tests run exactly this server block.
const DEPLOY_CONF: &str = include_str!("../deploy/nginx.conf");

/// An nginx in a temporary prefix, in the foreground as one process; killed on drop.
pub struct Nginx {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Nginx {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

fn nginx_binary() -> Option<PathBuf> {
    crate::util::on_path("nginx").or_else(|| {
        let sbin = PathBuf::from("/usr/sbin/nginx");
        sbin.is_file().then_some(sbin)
    })
}

pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// `deploy/nginx.conf` pointed at `upstream` and listening on `port`, inside Debian's stock
/// `http` settings (from /etc/nginx/nginx.conf), with every path in `dir`.
/// `extra` (one directive) goes into the `location` block, in place of the shipped one with
/// the same name if any.
fn config(dir: &Path, port: u16, upstream: SocketAddr, extra: &str) -> String {
    config_of(DEPLOY_CONF, dir, port, &[upstream], extra)
}

/// [`config`] for any shipped server block `conf`: its `upstream`'s `server 127.0.0.1:…`
/// lines become one line per address of `upstreams` (keeping the first line's parameters).
fn config_of(conf: &str, dir: &Path, port: u16, upstreams: &[SocketAddr], extra: &str) -> String {
    // The directive's name (and, for `proxy_set_header`, the header): every word but the value.
    let words: Vec<&str> = extra.split_whitespace().collect();
    let key = &words[..words.len().saturating_sub(1)];
    let upstream_lines = upstream_servers(conf, upstreams);
    let mut placed = false;
    let kept: String = conf
        .lines()
        .filter(|line| {
            key.is_empty() || !line.split_whitespace().collect::<Vec<_>>().starts_with(key)
        })
        .filter_map(|line| {
            if !line.trim_start().starts_with("server 127.0.0.1:") {
                return Some(format!("{line}\n"));
            }
            (!std::mem::replace(&mut placed, true))
                .then(|| "    server 127.0.0.1:UPSTREAMS\n".to_string())
        })
        .collect();
    let server = kept
        .replace("    server 127.0.0.1:UPSTREAMS\n", &upstream_lines)
        .replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
        .replace(
            "proxy_http_version 1.1;",
            &format!("proxy_http_version 1.1;\n        {extra}"),
        );
    assert!(
        server.contains(&upstreams[0].to_string()) && server.contains(&format!(":{port};")),
        "the shipped configuration still has `server 127.0.0.1:300N…;` and `listen 80;`"
    );
    let dir = dir.display();
    format!(
        "worker_processes 1;
events {{ worker_connections 1024; }}
http {{
    # Debian's stock settings.
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    default_type application/octet-stream;
    gzip on;
    # Not Debian's default, but a common one: it must not matter (text/html is always gzipped).
    gzip_types text/plain text/css application/json application/javascript text/xml;
    proxy_buffering on;
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
{server}
}}
"
    )
}

/// The `server` lines of `conf`'s upstream for `upstreams`, with the first shipped line's
/// parameters (`max_fails=…`).
fn upstream_servers(conf: &str, upstreams: &[SocketAddr]) -> String {
    let parameters = conf
        .lines()
        .find_map(|line| line.trim_start().strip_prefix("server 127.0.0.1:"))
        .and_then(|rest| rest.split_once([' ', ';']))
        .map_or("", |(_, after)| after.trim_end_matches(';').trim());
    upstreams
        .iter()
        .map(|addr| format!("    server {addr} {parameters};\n").replace(" ;", ";"))
        .collect()
}

/// Starts nginx with the shipped server block `conf` in front of `upstreams`, or prints a
/// loud SKIPPED line and returns `None`.
pub fn start_nginx_for(test: &str, conf: &str, upstreams: &[SocketAddr]) -> Option<Nginx> {
    let Some(binary) = nginx_binary() else {
        crate::util::skipped(test, "the Debian package nginx (apt-get install nginx)");
        return None;
    };
    let dir = tempfile::tempdir().expect("nginx dir");
    let port = free_port();
    let text = config_of(conf, dir.path(), port, upstreams, "");
    Some(launch_nginx(&binary, dir, port, &text))
}

/// Starts nginx in front of `upstream`, or prints a loud SKIPPED line and returns `None`.
fn start_nginx(test: &str, upstream: SocketAddr) -> Option<Nginx> {
    start_nginx_with(test, upstream, "")
}

fn start_nginx_with(test: &str, upstream: SocketAddr, extra: &str) -> Option<Nginx> {
    let Some(binary) = nginx_binary() else {
        crate::util::skipped(test, "the Debian package nginx (apt-get install nginx)");
        return None;
    };
    let dir = tempfile::tempdir().expect("nginx dir");
    let port = free_port();
    let text = config(dir.path(), port, upstream, extra);
    Some(launch_nginx(&binary, dir, port, &text))
}

/// Runs nginx on configuration `text` in `dir`, and waits until it listens on `port`.
fn launch_nginx(binary: &Path, dir: tempfile::TempDir, port: u16, text: &str) -> Nginx {
    let conf = dir.path().join("nginx.conf");
    std::fs::File::create(&conf)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .expect("write nginx.conf");
    let prefix = dir.path().display().to_string();
    // One process (`master_process off`): killing it leaves no worker behind. As root,
    // nginx keeps running as root in that mode, so it can use the temporary directory.
    let globals = format!(
        "daemon off; master_process off; pid {prefix}/nginx.pid; error_log {prefix}/error.log;"
    );
    let child = Command::new(binary)
        .args(["-p", &prefix, "-c", &conf.display().to_string()])
        .args(["-e", &format!("{prefix}/error.log"), "-g", &globals])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn nginx");
    let mut nginx = Nginx { child, port, dir };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = nginx.child.try_wait() {
            panic!("nginx exited with {status}:\n{}", nginx.error_log());
        }
        assert!(
            Instant::now() < deadline,
            "nginx never listened:\n{}",
            nginx.error_log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    nginx
}

/// When each needle first appears in the (decoded) body.
pub fn arrivals(rec: &Recording, needles: &[&str], gzip: bool) -> Vec<Duration> {
    if gzip {
        gzip_arrivals(rec, needles)
    } else {
        needles.iter().map(|needle| rec.arrival(needle)).collect()
    }
}

/// Through nginx with `proxy_buffering on` and `gzip on`, the shell and each section arrive
/// when braid produces them (braid's `X-Accel-Buffering: no`), without and with gzip.
#[tokio::test]
async fn nginx_passes_each_section_through_when_it_is_produced() {
    let engine = Engine::default();
    let server = start_server(delayed_sections(&[100, 700]), engine).await;
    let Some(nginx) = start_nginx(
        "nginx_passes_each_section_through_when_it_is_produced",
        server.addr,
    ) else {
        return;
    };
    let needles = ["Shell heading", "done-0", "done-1"];

    let rec = record_with(&nginx.url("/"), &[]).await;
    assert_eq!(rec.status, 200, "{}", nginx.error_log());
    assert!(rec.headers.get("content-encoding").is_none());
    assert_streamed(&arrivals(&rec, &needles, false));
    assert!(rec.body().ends_with("</body></html>"));

    // braid compresses (nginx forwards Accept-Encoding) and nginx passes the gzip through.
    let rec = record_with(&nginx.url("/"), &[("accept-encoding", "gzip")]).await;
    assert_eq!(rec.status, 200);
    assert_eq!(rec.header("content-encoding"), "gzip");
    assert_streamed(&arrivals(&rec, &needles, true));
}

/// Same, with nginx doing the compression (`gzip on`, Accept-Encoding not forwarded): its
/// gzip filter flushes each chunk too.
#[tokio::test]
async fn nginx_gzip_flushes_each_section() {
    let server = start_server(delayed_sections(&[100, 700]), Engine::default()).await;
    let Some(nginx) = start_nginx_with(
        "nginx_gzip_flushes_each_section",
        server.addr,
        "proxy_set_header Accept-Encoding \"\";",
    ) else {
        return;
    };
    let rec = record_with(&nginx.url("/"), &[("accept-encoding", "gzip")]).await;
    assert_eq!(rec.status, 200, "{}", nginx.error_log());
    assert_eq!(rec.header("content-encoding"), "gzip");
    assert_streamed(&arrivals(
        &rec,
        &["Shell heading", "done-0", "done-1"],
        true,
    ));
}

/// The control: without braid's `X-Accel-Buffering: no`, the same nginx still forwards plain
/// chunks as they come, but its gzip filter holds the sections back (here, until the end of
/// the response), so the timing checks above can fail.
#[tokio::test]
async fn without_x_accel_buffering_nginx_gzip_holds_the_sections_back() {
    async fn strip(mut response: axum::response::Response) -> axum::response::Response {
        response.headers_mut().remove("x-accel-buffering");
        response
    }
    let router = delayed_sections(&[100, 700]).layer(axum::middleware::map_response(strip));
    let server = start_server(router, Engine::default()).await;
    let Some(nginx) = start_nginx_with(
        "without_x_accel_buffering_nginx_gzip_holds_the_sections_back",
        server.addr,
        "proxy_set_header Accept-Encoding \"\";",
    ) else {
        return;
    };
    let needles = ["Shell heading", "done-0", "done-1"];
    let rec = record_with(&nginx.url("/"), &[]).await;
    assert!(rec.headers.get("x-accel-buffering").is_none());
    assert_streamed(&arrivals(&rec, &needles, false));

    let rec = record_with(&nginx.url("/"), &[("accept-encoding", "gzip")]).await;
    assert_eq!(rec.header("content-encoding"), "gzip");
    let at = arrivals(&rec, &needles, true);
    assert!(
        at[1].as_secs_f64() > 0.5 * at[2].as_secs_f64(),
        "gzip buffers: the first section {:?} is held until near the last {:?}",
        at[1],
        at[2]
    );
}

/// A client that disconnects from nginx mid-stream makes nginx close its connection to
/// braid (`proxy_ignore_client_abort off`), and braid drops that page's producers.
#[tokio::test]
async fn client_leaving_nginx_mid_stream_cancels_the_producers() {
    let (server, nginx) =
        match slow_page_behind_nginx("client_leaving_nginx_mid_stream_cancels_the_producers", "")
            .await
        {
            Some(started) => started,
            None => return,
        };
    let engine = &server.engine;
    leave_after_the_shell(engine, &nginx).await;
    assert!(
        eventually(Duration::from_secs(5), || engine.live_producers() == 0).await,
        "braid still runs {} producer(s) after the client left nginx:\n{}",
        engine.live_producers(),
        nginx.error_log()
    );
}

/// The control: with `proxy_ignore_client_abort on`, nginx keeps reading from braid after
/// the client left, and the producer keeps running.
#[tokio::test]
async fn with_proxy_ignore_client_abort_the_producers_keep_running() {
    let (server, nginx) = match slow_page_behind_nginx(
        "with_proxy_ignore_client_abort_the_producers_keep_running",
        "proxy_ignore_client_abort on;",
    )
    .await
    {
        Some(started) => started,
        None => return,
    };
    let engine = &server.engine;
    leave_after_the_shell(engine, &nginx).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(engine.live_producers(), 1);
    drop(nginx);
    assert!(eventually(Duration::from_secs(5), || engine.live_producers() == 0).await);
}

/// Requests the page through nginx, reads the shell, and goes away.
async fn leave_after_the_shell(engine: &Engine, nginx: &Nginx) {
    let response = client().get(nginx.url("/")).send().await.expect("request");
    let mut body = response.bytes_stream();
    let shell = body.next().await.expect("shell").expect("shell bytes");
    assert!(String::from_utf8_lossy(&shell).contains("Shell heading"));
    assert_eq!(engine.live_producers(), 1, "the slow section is running");
    drop(body);
}

/// braid serving one page whose section takes 30 s, behind nginx (with `extra` directives).
async fn slow_page_behind_nginx(test: &str, extra: &str) -> Option<(TestServer, Nginx)> {
    let engine = Engine::default();
    let router = Router::new()
        .route(
            "/",
            get(|page: Page| async move {
                let slow = page.section(html! { p { "loading" } }, async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    Ok::<_, Infallible>(html! { p { "never" } })
                });
                page.render(Shell {
                    head: html! {},
                    body: html! { h1 { "Shell heading" } (slow) },
                })
            }),
        )
        .with_state(engine.clone());
    let server = start_server(router, engine).await;
    let nginx = start_nginx_with(test, server.addr, extra)?;
    Some((server, nginx))
}
