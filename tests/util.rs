//! Test helpers: a server on an ephemeral port, a client that timestamps every chunk, and a
//! reference implementation of the swap runtime on strings.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use braid::server::{ServerOptions, run};
use braid::stream::Engine;
use bytes::Bytes;
use futures::StreamExt;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A braid server on 127.0.0.1:0, stopped when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub engine: Engine,
    stop: Option<oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Sends the shutdown signal; the server drains and `task` ends.
    pub fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

pub async fn start_server(router: Router, engine: Engine) -> TestServer {
    start_server_with(router, engine, ServerOptions::default()).await
}

pub async fn start_server_with(
    router: Router,
    engine: Engine,
    options: ServerOptions,
) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(run(listener, router, engine.clone(), options, async {
        let _ = stopped.await;
    }));
    TestServer {
        addr,
        engine,
        stop: Some(stop),
        task: Some(task),
    }
}

/// One response, with the time each chunk of the body arrived (from the request's start).
#[derive(Debug)]
pub struct Recording {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub headers_at: Duration,
    pub chunks: Vec<(Duration, Bytes)>,
    pub total: Duration,
}

impl Recording {
    pub fn body(&self) -> String {
        let bytes: Vec<u8> = self
            .chunks
            .iter()
            .flat_map(|(_, c)| c.iter().copied())
            .collect();
        String::from_utf8(bytes).expect("utf-8 body")
    }

    /// When the body first contained `needle`.
    pub fn arrival(&self, needle: &str) -> Duration {
        let mut seen = Vec::new();
        for (at, chunk) in &self.chunks {
            seen.extend_from_slice(chunk);
            if memchr::memmem::find(&seen, needle.as_bytes()).is_some() {
                return *at;
            }
        }
        panic!(
            "{needle:?} never arrived in:\n{}",
            String::from_utf8_lossy(&seen)
        );
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no header {name}"))
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// GETs `url` and records every chunk as it arrives.
pub async fn record(url: &str) -> Recording {
    record_with(url, &[]).await
}

pub async fn record_with(url: &str, headers: &[(&str, &str)]) -> Recording {
    record_on(&client(), url, headers).await
}

/// Like [`record_with`], on a given client (e.g. one that speaks HTTP/2).
pub async fn record_on(client: &reqwest::Client, url: &str, headers: &[(&str, &str)]) -> Recording {
    let start = Instant::now();
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request");
    let headers_at = start.elapsed();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = response.bytes_stream();
    let mut chunks = Vec::new();
    while let Some(chunk) = body.next().await {
        chunks.push((start.elapsed(), chunk.expect("body chunk")));
    }
    Recording {
        status,
        headers,
        headers_at,
        chunks,
        total: start.elapsed(),
    }
}

/// Waits until `condition` holds, for at most `limit`.
pub async fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    condition()
}

/// What a browser does with the wire format (natively, or through the fallback runtime), on
/// the document text: each `<template for="bN">X</template><template for="bN-end"></template>`
/// replaces the `<?start name="bN">…<?end>` range with X and empties the
/// `<?marker name="bN-end">`; a section in foreign content comes as
/// `<template data-braid-for="bN"><svg>X</svg></template>` (or `<math>`), and X alone goes
/// in. Returns the `<body>` content after every swap, without braid's `<noscript>` notice.
pub fn final_body(document: &str) -> String {
    let mut html = apply_text_chunks(document);
    while let Some((start, attribute)) = next_chunk(&html) {
        let name_start = start + "<template ".len() + attribute.len() + "=\"".len();
        let name_end = name_start + html[name_start..].find('"').unwrap();
        let name = html[name_start..name_end].to_string();
        assert!(
            !name.ends_with("-end"),
            "{name}: an -end template before its section's"
        );
        let content_start = name_end + 2;
        let content_end = content_start + find_matching_template_end(&html[content_start..]);
        let end_template = format!("</template><template {attribute}=\"{name}-end\"></template>");
        assert!(
            html[content_end..].starts_with(&end_template),
            "chunk {name} is framed"
        );
        let mut content = html[content_start..content_end].to_string();
        if attribute == "data-braid-for" {
            content = unwrap_foreign(&content, &name);
        }
        html.replace_range(start..content_end + end_template.len(), "");
        let open = format!("<?start name=\"{name}\">");
        let from = html
            .find(&open)
            .unwrap_or_else(|| panic!("<?start name={name}> in document"));
        let to = from + open.len() + matching_end(&html[from + open.len()..]) + "<?end>".len();
        html.replace_range(from..to, &content);
        let marker = format!("<?marker name=\"{name}-end\">");
        let at = html
            .find(&marker)
            .unwrap_or_else(|| panic!("{marker} in document"));
        html.replace_range(at..at + marker.len(), "");
    }
    body_of(&html)
}

/// What the fallback runtime does with sections inside raw-text elements: each
/// `<template data-braid-text="bN"><W>TEXT</W></template>` (and its empty `-end` template)
/// replaces the text of the element marked `data-braid-text="bN"`, which loses the mark.
fn apply_text_chunks(document: &str) -> String {
    let mut html = document.to_string();
    let open = "<template data-braid-text=\"";
    while let Some(start) = html.find(open) {
        let name_start = start + open.len();
        let name_end = name_start + html[name_start..].find('"').unwrap();
        let name = html[name_start..name_end].to_string();
        let wrapper_start = name_end + 2;
        let wrapper_len = html[wrapper_start..].find('>').unwrap() + 1;
        let wrapper = &html[wrapper_start + 1..wrapper_start + wrapper_len - 1];
        let close =
            format!("</{wrapper}></template><template data-braid-text=\"{name}-end\"></template>");
        let text_start = wrapper_start + wrapper_len;
        let text_end = text_start
            + html[text_start..]
                .find(&close)
                .expect("a framed text chunk");
        let text = html[text_start..text_end].to_string();
        html.replace_range(start..text_end + close.len(), "");
        let mark = format!(" data-braid-text=\"{name}\">");
        let at = html
            .find(&mark)
            .unwrap_or_else(|| panic!("{mark} in the document"));
        let content_start = at + mark.len();
        let content_end = content_start + html[content_start..].find("</").unwrap();
        html.replace_range(content_start..content_end, &text);
        html.replace_range(at..at + mark.len(), ">");
    }
    html
}

/// The first chunk's offset and the attribute that names its range.
fn next_chunk(html: &str) -> Option<(usize, &'static str)> {
    ["for", "data-braid-for"]
        .into_iter()
        .filter_map(|attribute| {
            let at = html.find(&format!("<template {attribute}=\"b"))?;
            Some((at, attribute))
        })
        .min()
}

/// A foreign-content chunk's section, without the `<svg>` or `<math>` that wraps it.
fn unwrap_foreign(content: &str, name: &str) -> String {
    for wrapper in ["svg", "math"] {
        let (open, close) = (format!("<{wrapper}>"), format!("</{wrapper}>"));
        if let Some(inner) = content
            .strip_prefix(open.as_str())
            .and_then(|rest| rest.strip_suffix(close.as_str()))
        {
            return inner.to_string();
        }
    }
    panic!("chunk {name}: a foreign chunk is wrapped in <svg> or <math>: {content}");
}

/// The offset of the `<?end>` that closes a range, counting nested `<?start`s.
fn matching_end(html: &str) -> usize {
    let mut depth = 0usize;
    let mut at = 0;
    loop {
        let end = at + html[at..].find("<?end>").expect("<?end>");
        match html[at..end].find("<?start ") {
            Some(open) => {
                depth += 1;
                at += open + 1;
            }
            None if depth == 0 => return end,
            None => {
                depth -= 1;
                at = end + 1;
            }
        }
    }
}

/// A chunk's content may itself contain templates.
fn find_matching_template_end(html: &str) -> usize {
    let mut depth = 0usize;
    let mut at = 0;
    loop {
        let open = html[at..].find("<template").map(|i| at + i);
        let close = html[at..]
            .find("</template>")
            .map(|i| at + i)
            .expect("closing template");
        match open {
            Some(open) if open < close => {
                depth += 1;
                at = open + 1;
            }
            _ if depth == 0 => return close,
            _ => {
                depth -= 1;
                at = close + 1;
            }
        }
    }
}

/// The content of `<body>`, without braid's `<noscript>` notice.
pub fn body_of(document: &str) -> String {
    let start = document.find("<body>").expect("<body>") + "<body>".len();
    let end = document.rfind("</body>").expect("</body>");
    let body = &document[start..end];
    match body.find("</noscript>") {
        Some(end) if body.starts_with("<noscript>") => {
            body[end + "</noscript>".len()..].to_string()
        }
        _ => body.to_string(),
    }
}

/// `name` in a directory of `PATH`, for tests that run an installed program.
pub fn on_path(name: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// Prints `SKIPPED: <test> needs <what>` where it is seen even when cargo test captures
/// output (a direct write to stderr bypasses the capture), for tests whose program is missing.
///
/// # Panics
///
/// Under CI (`CI=true`), where every component must be installed: a skip there would hide
/// a component that no longer works.
pub fn skipped(test: &str, needs: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test} needs {needs}");
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test} was skipped under CI: install {needs}"
    );
}

/// The demo account every test database gets (`--demo-user`'s default).
pub const DEMO_EMAIL: &str = "user@nextmail.com";
pub const DEMO_PASSWORD: &str = "123456";

/// A client that reports redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The status of `GET url` with `cookie`, redirects not followed (a page that wants a
/// session answers `303`).
pub async fn get_status(url: &str, cookie: &str) -> u16 {
    no_redirects()
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .expect("GET")
        .status()
        .as_u16()
}

/// Signs in at `base` (`http://host:port`) with the demo account; returns the `Cookie`
/// header value of the new session.
pub async fn sign_in(base: &str) -> String {
    sign_in_as(base, DEMO_EMAIL, DEMO_PASSWORD)
        .await
        .unwrap_or_else(|(status, body)| panic!("demo sign-in at {base}: {status}\n{body}"))
}

/// Posts the sign-in form; the session cookie on a `303`, else the status and the body.
pub async fn sign_in_as(base: &str, email: &str, password: &str) -> Result<String, (u16, String)> {
    let response = no_redirects()
        .post(format!("{base}/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .expect("POST /login");
    let status = response.status().as_u16();
    if status != 303 {
        return Err((status, response.text().await.unwrap_or_default()));
    }
    Ok(session_cookie(response.headers()).expect("a session cookie with the 303"))
}

/// `name=value` of the `braid_session` cookie a response sets, if it sets one.
pub fn session_cookie(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("braid_session="))
        .map(|value| value.split(';').next().unwrap_or(value).to_string())
}

/// The value of the first hidden field `name` in `html` (a form's `csrf` or `form_key`).
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].to_string())
}

/// SQLite's pools and file of a [`braid::db::Db`] opened on SQLite, for tests that reach
/// into SQLite itself (a held lock, a renamed table, a removed file). Panics on PostgreSQL.
pub trait SqliteOfDb {
    fn read(&self) -> &sqlx::SqlitePool;
    fn write(&self) -> &sqlx::SqlitePool;
    fn path(&self) -> &std::path::Path;
}

impl SqliteOfDb for braid::db::Db {
    fn read(&self) -> &sqlx::SqlitePool {
        self.sqlite().expect("a SQLite database").read()
    }

    fn write(&self) -> &sqlx::SqlitePool {
        self.sqlite().expect("a SQLite database").write()
    }

    fn path(&self) -> &std::path::Path {
        match self.location() {
            braid::db::DatabaseUrl::Sqlite(path) => path,
            braid::db::DatabaseUrl::Postgres(_) => panic!("a SQLite database"),
        }
    }
}

/// Log events of the current thread, as text (the test's runtime and server run on it).
#[derive(Clone, Default)]
pub struct CapturedLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLog {
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
        tracing_subscriber::fmt()
            .with_writer(self.clone())
            .with_ansi(false)
            .finish()
    }

    /// As [`CapturedLog::subscriber`], with `debug` events and spans (tower-http's request
    /// span is at `debug`).
    pub fn debug_subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
        tracing_subscriber::fmt()
            .with_writer(self.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish()
    }

    pub fn text(&self) -> String {
        let bytes = self.0.lock().map(|bytes| bytes.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut log) = self.0.lock() {
            log.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLog {
    type Writer = CapturedLog;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The value of the dashboard card labelled `label` in a final document (`"1,234"`).
///
/// # Panics
///
/// If the document has no such card.
pub fn card_value(document: &str, label: &str) -> String {
    let before = format!("<p class=\"card-label\">{label}</p><p class=\"card-value\">");
    let start = document
        .find(&before)
        .map(|at| at + before.len())
        .unwrap_or_else(|| panic!("no {label} card in\n{document}"));
    document[start..]
        .split('<')
        .next()
        .unwrap_or_default()
        .to_string()
}
