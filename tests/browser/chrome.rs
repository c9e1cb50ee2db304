//! Debian's headless chromium over the DevTools protocol (chromiumoxide): launch, tabs that
//! are observed mid-stream by polling, screenshots.
//!
//! One browser per test, and one browser test at a time: each `#[tokio::test]` has its own
//! runtime, and a browser whose handler lives on a runtime that outlives the test would also
//! outlive the test binary (its child process is killed on drop, and statics are never
//! dropped). Launching takes well under a second; the lock keeps two chromiums from fighting
//! over two cores while timing is observed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::input::InsertTextParams;
use chromiumoxide::cdp::browser_protocol::target::CreateTargetParams;
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use chromiumoxide::layout::Point;
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::{Browser, BrowserConfig};
use futures::StreamExt;
use serde_json::Value;
use tokio::sync::{Mutex, MutexGuard};

static ONE_BROWSER_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// Waits for the turn to run a browser (any engine): one at a time, see the module docs.
pub async fn one_browser_at_a_time() -> MutexGuard<'static, ()> {
    ONE_BROWSER_AT_A_TIME.lock().await
}

/// A running chromium, killed when dropped.
pub struct Chrome {
    pub browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
    _turn: MutexGuard<'static, ()>,
}

/// Launches chromium for `test`, or prints a loud SKIPPED line and returns `None` when the
/// Debian package is not installed.
pub async fn launch(test: &str) -> Option<Chrome> {
    let Some(executable) = crate::util::on_path("chromium") else {
        crate::util::skipped(
            test,
            "the Debian package chromium (apt-get install chromium chromium-driver)",
        );
        return None;
    };
    let turn = one_browser_at_a_time().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let config = BrowserConfig::builder()
        .chrome_executable(executable)
        .new_headless_mode()
        .no_sandbox()
        .user_data_dir(profile.path())
        // Without these Chromium dials out at start, and this sandbox refuses the connections.
        .args([
            "disable-gpu",
            "disable-background-networking",
            "disable-component-update",
            "disable-sync",
            "no-first-run",
        ])
        .build()
        .expect("browser config");
    let (browser, mut handler) = Browser::launch(config).await.expect("launch chromium");
    let handler = tokio::spawn(async move {
        // Events chromiumoxide cannot parse are reported as errors; the connection goes on.
        while handler.next().await.is_some() {}
    });
    Some(Chrome {
        browser,
        handler,
        _profile: profile,
        _turn: turn,
    })
}

impl Drop for Chrome {
    fn drop(&mut self) {
        self.handler.abort();
    }
}

impl Chrome {
    /// A new tab in front, on `about:blank`.
    pub async fn tab(&self) -> Tab {
        let page = self.browser.new_page("about:blank").await.expect("new tab");
        Tab { page }
    }

    /// A new tab opened behind the current one (`Target.createTarget` with `background`).
    pub async fn background_tab(&self) -> Tab {
        let params = CreateTargetParams::builder()
            .url("about:blank")
            .background(true)
            .build()
            .expect("target params");
        let page = self.browser.new_page(params).await.expect("background tab");
        Tab { page }
    }
}

/// One tab; every query goes through `Runtime.evaluate`, so it works while the page streams.
pub struct Tab {
    pub page: chromiumoxide::Page,
}

impl Tab {
    /// Starts loading `url` and returns once the document is committed (its headers arrived),
    /// long before a streamed page's `load` event.
    pub async fn open(&self, url: &str) {
        let page = self.page.clone();
        let target = url.to_string();
        // `goto` resolves at `load`, that is, at the end of the stream: never wait for it here.
        tokio::spawn(async move {
            let _ = page.goto(target).await;
        });
        let committed = format!("location.href === new URL({}).href", js_string(url));
        assert!(
            self.wait_for(&committed, Duration::from_secs(10)).await,
            "{url} was never committed"
        );
    }

    /// Evaluates `expression` (awaiting a promise): its JSON value, or why there is none.
    async fn evaluate(&self, expression: &str) -> Result<Value, String> {
        let params = EvaluateParams::builder()
            .expression(expression)
            .return_by_value(true)
            .await_promise(true)
            .build()
            .expect("evaluate params");
        let response = self
            .page
            .execute(params)
            .await
            .map_err(|error| format!("Runtime.evaluate failed: {error}"))?;
        if let Some(exception) = &response.result.exception_details {
            return Err(format!("threw: {exception:?}"));
        }
        Ok(response.result.result.value.clone().unwrap_or(Value::Null))
    }

    /// The JSON value of `expression`, or `None` while there is no document to evaluate in
    /// (between two documents) or when it throws.
    pub async fn try_eval(&self, expression: &str) -> Option<Value> {
        self.evaluate(expression).await.ok()
    }

    /// Like `try_eval`, for expressions that must succeed.
    pub async fn eval(&self, expression: &str) -> Value {
        self.evaluate(expression)
            .await
            .unwrap_or_else(|error| panic!("{expression}: {error}"))
    }

    pub async fn eval_string(&self, expression: &str) -> String {
        match self.eval(expression).await {
            Value::String(s) => s,
            other => panic!("{expression} is not a string: {other}"),
        }
    }

    /// Polls `condition` (a JS expression) every 10 ms until it is `true`, for at most `limit`.
    pub async fn wait_for(&self, condition: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if self.try_eval(condition).await == Some(Value::Bool(true)) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits for the end of the stream (`document.readyState == "complete"`).
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

    /// Signs in at `base` as the demo user through the real form: clicks, typed keys and a
    /// click on the button, as a person would; returns once the dashboard is committed.
    pub async fn sign_in(&self, base: &str) {
        self.open(&format!("{base}/login")).await;
        self.wait_complete().await;
        self.type_into("#email", crate::util::DEMO_EMAIL).await;
        self.type_into("#password", crate::util::DEMO_PASSWORD)
            .await;
        self.click("form.login-form button[type=submit]").await;
        let signed_in = "location.pathname === '/dashboard'";
        assert!(
            self.wait_for(signed_in, Duration::from_secs(10)).await,
            "signing in leads to the dashboard; at {}",
            self.eval("location.href").await
        );
    }

    /// Clicks the element `selector` finds (waiting for it to arrive): scrolled into view, then a real mouse press and
    /// release at its centre (`Input.dispatchMouseEvent`; works with scripts disabled, where
    /// chromiumoxide's element helpers, which call functions in the page, hang).
    pub async fn click(&self, selector: &str) {
        let present = format!("!!document.querySelector({})", js_string(selector));
        assert!(
            self.wait_for(&present, Duration::from_secs(10)).await,
            "{selector} never appeared in {}",
            self.body_html().await
        );
        let centre = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector({}); e.scrollIntoView({{ block: 'center' }}); \
                 const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()",
                js_string(selector)
            ))
            .await;
        let (x, y) = (centre[0].as_f64(), centre[1].as_f64());
        let point = Point::new(x.expect("x"), y.expect("y"));
        self.page
            .click(point)
            .await
            .unwrap_or_else(|error| panic!("click {selector}: {error}"));
    }

    /// Focuses `selector` by clicking it, selects what it holds, and types `text` over it
    /// (`Input.insertText`: the page sees `input` events as from a keyboard).
    pub async fn type_into(&self, selector: &str, text: &str) {
        self.click(selector).await;
        self.eval(&format!(
            "document.querySelector({}).select()",
            js_string(selector)
        ))
        .await;
        self.page
            .execute(InsertTextParams::new(text))
            .await
            .unwrap_or_else(|error| panic!("type into {selector}: {error}"));
    }

    pub async fn body_html(&self) -> String {
        self.eval_string("document.body.innerHTML").await
    }

    /// Saves a PNG of the viewport as `target/browser-artifacts/<name>` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .page
            .screenshot(ScreenshotParams::builder().build())
            .await
            .expect("screenshot");
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir).expect("artifacts dir");
        let path = dir.join(name);
        std::fs::write(&path, png).expect("write screenshot");
        path
    }
}

/// Where screenshots go: `target/browser-artifacts/` (or under `CARGO_TARGET_DIR`).
pub fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("browser-artifacts")
}

/// `s` as a JavaScript string literal.
pub fn js_string(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

/// braid's `<noscript>` notice opens the body in out-of-order mode only; what follows it is
/// what all modes must agree on.
pub fn without_noscript_notice(body: &str) -> &str {
    match body.find("</noscript>") {
        Some(end) if body.starts_with("<noscript>") => &body[end + "</noscript>".len()..],
        _ => body,
    }
}

impl super::contexts::Loads for Tab {
    async fn open(&self, url: &str) {
        Tab::open(self, url).await;
    }

    async fn wait_complete(&self) {
        Tab::wait_complete(self).await;
    }

    async fn eval(&self, expression: &str) -> Value {
        Tab::eval(self, expression).await
    }
}
