//! Firefox ESR (through geckodriver) and WebKitGTK (through WebKitWebDriver, its MiniBrowser
//! under Xvfb), driven over WebDriver with fantoccini: the same page fills in while it
//! streams and ends as the blocking document, and the poison suite, in both engines.
//!
//! The drivers come from Debian (`firefox-esr`, `webkit2gtk-driver`, `xvfb`) and from
//! `cargo install geckodriver`. Without them each test prints `SKIPPED: …` (a failure under
//! CI). WebDriver's page load would wait for the whole stream: `pageLoadStrategy: none`,
//! and the tests poll.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use braid::stream::Engine;
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};
use tokio::sync::MutexGuard;

use super::chrome::without_noscript_notice;
use crate::proxy::free_port;
use crate::util::{on_path, skipped, start_server};

/// A browser engine reached over WebDriver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserEngine {
    Firefox,
    WebKit,
}

const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

impl BrowserEngine {
    fn needs(self) -> &'static str {
        match self {
            BrowserEngine::Firefox => {
                "firefox-esr and geckodriver (apt-get install firefox-esr; cargo install geckodriver)"
            }
            BrowserEngine::WebKit => {
                "the Debian packages webkit2gtk-driver and xvfb (apt-get install webkit2gtk-driver xvfb)"
            }
        }
    }

    fn driver(self) -> Option<PathBuf> {
        match self {
            BrowserEngine::Firefox => {
                on_path("firefox-esr")?;
                on_path("geckodriver").or_else(|| {
                    let home = std::env::var_os("HOME")?;
                    let installed = PathBuf::from(home).join(".cargo/bin/geckodriver");
                    installed.is_file().then_some(installed)
                })
            }
            BrowserEngine::WebKit => {
                on_path("Xvfb")?;
                PathBuf::from(MINIBROWSER).is_file().then_some(())?;
                on_path("WebKitWebDriver")
            }
        }
    }

    fn capabilities(self) -> serde_json::Map<String, Value> {
        let browser = match self {
            BrowserEngine::Firefox => json!({
                "browserName": "firefox",
                "moz:firefoxOptions": { "binary": "/usr/bin/firefox-esr", "args": ["-headless"] },
            }),
            BrowserEngine::WebKit => json!({
                "browserName": "MiniBrowser",
                "webkitgtk:browserOptions": { "binary": MINIBROWSER, "args": ["--automation"] },
            }),
        };
        let mut capabilities = browser.as_object().cloned().unwrap_or_default();
        capabilities.insert("pageLoadStrategy".into(), json!("none"));
        capabilities
    }
}

/// A browser over WebDriver: its driver (and X server), killed on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    xvfb: Option<Child>,
    _turn: MutexGuard<'static, ()>,
}

impl Drop for Browser {
    /// Kills the driver (and the X server). The browser is closed by [`Browser::quit`]: a
    /// test that fails before it may leave one running.
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        if let Some(xvfb) = &mut self.xvfb {
            let _ = xvfb.kill();
            let _ = xvfb.wait();
        }
    }
}

/// Starts `engine`'s driver and a session, or prints a loud SKIPPED line.
pub async fn launch(engine: BrowserEngine, test: &str) -> Option<Browser> {
    let Some(driver_binary) = engine.driver() else {
        skipped(test, engine.needs());
        return None;
    };
    let turn = super::chrome::one_browser_at_a_time().await;
    let mut xvfb = None;
    let mut driver = Command::new(&driver_binary);
    let port = free_port();
    driver
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if engine == BrowserEngine::WebKit {
        let display = format!(":{}", 90 + port % 500);
        xvfb = Some(
            Command::new("Xvfb")
                .args([
                    display.as_str(),
                    "-screen",
                    "0",
                    "1280x1024x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start Xvfb"),
        );
        driver.env("DISPLAY", &display);
    } else {
        driver.env("MOZ_HEADLESS", "1");
    }
    let driver = driver.spawn().expect("start the WebDriver server");
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{engine:?}'s driver never listened"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(engine.capabilities())
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap_or_else(|error| panic!("{engine:?} session: {error}"));
    Some(Browser {
        client,
        driver,
        xvfb,
        _turn: turn,
    })
}

impl Browser {
    /// Ends the session, which makes the driver close its browser (killing the driver alone
    /// would leave it running).
    pub async fn quit(self) {
        let _ = self.client.clone().close().await;
    }

    /// Starts loading `url` and returns once the new document is committed (the page load
    /// strategy is `none`: the old document may still answer for a moment).
    pub async fn open(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|error| panic!("goto {url}: {error}"));
        let committed = format!(
            "location.href === new URL({}).href",
            super::chrome::js_string(url)
        );
        assert!(
            self.wait_for(&committed, Duration::from_secs(10)).await,
            "{url} was never committed"
        );
    }

    /// The JSON value of the expression `js`, or `Null` while there is no document.
    pub async fn eval(&self, js: &str) -> Value {
        self.client
            .execute(&format!("return ({js});"), vec![])
            .await
            .unwrap_or(Value::Null)
    }

    /// Polls `condition` (a JS expression) until it is `true`, for at most `limit`.
    pub async fn wait_for(&self, condition: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.eval(condition).await == Value::Bool(true) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    /// Waits for the end of the stream.
    pub async fn wait_complete(&self) {
        assert!(
            self.wait_for(
                "document.readyState === 'complete'",
                Duration::from_secs(20)
            )
            .await,
            "page never completed"
        );
    }

    pub async fn body_html(&self) -> String {
        match self.eval("document.body.innerHTML").await {
            Value::String(html) => html,
            other => panic!("body: {other}"),
        }
    }
}

/// While the slowest section (3 s) is pending, the shell and the two fast sections are on
/// screen with the third skeleton; at the end the body equals the `?stream=off` body.
async fn page_fills_in_and_ends_as_the_blocking_document(engine: BrowserEngine, test: &str) {
    let Some(browser) = launch(engine, test).await else {
        return;
    };
    let braid = Engine::default();
    let server = start_server(super::pages::router(&braid), braid).await;
    let url = server.url("/long");
    browser.open(&url).await;
    assert!(
        browser
            .wait_for(
                "document.querySelectorAll('main h2').length === 2",
                Duration::from_secs(10)
            )
            .await,
        "{engine:?}: the two fast sections were swapped in"
    );
    let native = browser
        .eval("'htmlFor' in HTMLTemplateElement.prototype")
        .await;
    assert_eq!(native, json!(false), "{engine:?} runs the fallback runtime");
    let mid = browser.eval(super::MID_STREAM_STATE).await;
    assert_eq!(
        mid["h2"],
        json!(["Section 1", "Section 2"]),
        "{engine:?}: {mid}"
    );
    assert_eq!(mid["visibleSkeletons"], 1, "{engine:?}: {mid}");
    assert_eq!(mid["lastInMain"], "skeleton", "{engine:?}: {mid}");
    browser.wait_complete().await;
    let streamed = browser.body_html().await;
    browser.open(&format!("{url}?stream=off")).await;
    browser.wait_complete().await;
    assert_eq!(
        without_noscript_notice(&streamed),
        browser.body_html().await,
        "{engine:?}"
    );
    assert!(streamed.contains("Section 3"), "{engine:?}: {streamed}");
    browser.quit().await;
}

/// The poison suite: the unbalanced section shows its error view, the others land.
async fn unbalanced_sections_cannot_swallow_the_others(engine: BrowserEngine, test: &str) {
    let Some(browser) = launch(engine, test).await else {
        return;
    };
    let server = start_server(super::poison::router(), Engine::default()).await;
    for n in 0..super::poison::POISONS.len() {
        for mode in ["out-of-order", "in-order", "off"] {
            browser
                .open(&server.url(&format!("/poison/{n}?stream={mode}")))
                .await;
            browser.wait_complete().await;
            let state = browser.eval(super::poison::FINAL_STATE).await;
            assert_eq!(
                state,
                super::poison::expected(),
                "{engine:?}: poison {n} in {mode}"
            );
        }
    }
    browser.quit().await;
}

#[tokio::test]
async fn firefox_fills_the_page_in_and_ends_as_the_blocking_document() {
    let test = "firefox_fills_the_page_in_and_ends_as_the_blocking_document";
    page_fills_in_and_ends_as_the_blocking_document(BrowserEngine::Firefox, test).await;
}

#[tokio::test]
async fn webkit_fills_the_page_in_and_ends_as_the_blocking_document() {
    let test = "webkit_fills_the_page_in_and_ends_as_the_blocking_document";
    page_fills_in_and_ends_as_the_blocking_document(BrowserEngine::WebKit, test).await;
}

#[tokio::test]
async fn firefox_survives_unbalanced_sections() {
    unbalanced_sections_cannot_swallow_the_others(
        BrowserEngine::Firefox,
        "firefox_survives_unbalanced_sections",
    )
    .await;
}

#[tokio::test]
async fn webkit_survives_unbalanced_sections() {
    unbalanced_sections_cannot_swallow_the_others(
        BrowserEngine::WebKit,
        "webkit_survives_unbalanced_sections",
    )
    .await;
}

/// The context suite through the fallback runtime.
async fn every_parser_context_ends_as_the_blocking_document(engine: BrowserEngine, test: &str) {
    let Some(browser) = launch(engine, test).await else {
        return;
    };
    let server = start_server(super::contexts::router(), Engine::default()).await;
    let different = super::contexts::differences(&browser, &server, false).await;
    browser.quit().await;
    assert!(different.is_empty(), "{engine:?}: {}", different.join("\n"));
}

#[tokio::test]
async fn firefox_parser_contexts_end_as_the_blocking_document() {
    let test = "firefox_parser_contexts_end_as_the_blocking_document";
    every_parser_context_ends_as_the_blocking_document(BrowserEngine::Firefox, test).await;
}

#[tokio::test]
async fn webkit_parser_contexts_end_as_the_blocking_document() {
    let test = "webkit_parser_contexts_end_as_the_blocking_document";
    every_parser_context_ends_as_the_blocking_document(BrowserEngine::WebKit, test).await;
}

impl super::contexts::Loads for Browser {
    async fn open(&self, url: &str) {
        Browser::open(self, url).await;
    }

    async fn wait_complete(&self) {
        Browser::wait_complete(self).await;
    }

    async fn eval(&self, expression: &str) -> Value {
        Browser::eval(self, expression).await
    }
}
