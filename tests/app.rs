//! The Acme application over real sockets on real SQLite files: every page, bad input, the
//! 404 before streaming, a failing query isolated to its section, progressive rendering.

use braid::app::auth::Auth;
use braid::app::auth::users::{DEFAULT_DEMO_USER, ensure_demo_user};
use braid::app::{AppState, DemoLatency, router};
use braid::db::{DatabaseUrl, Db, SeedSize};
use braid::stream::Engine;
use tempfile::TempDir;

use crate::util::SqliteOfDb;
use crate::util::{
    Recording, TestServer, body_of, final_body, hidden_field, no_redirects, record_with, sign_in,
    start_server,
};

/// A seeded database in a temp dir, with the demo user, an app server on it, and a session
/// signed in as the demo user.
pub struct TestApp {
    pub server: TestServer,
    pub db: Db,
    /// `braid_session=…`, the `Cookie` header of the demo user's session.
    pub cookie: String,
    _dir: Option<TempDir>,
}

/// The seed of every test app: small, and the same rows on both backends.
pub const APP_SEED: SeedSize = SeedSize {
    customers: 30,
    invoices: 600,
    seed: 7,
};

/// The app on a new SQLite file in a temp dir.
pub async fn start_app(latency: &str) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let location = DatabaseUrl::from(dir.path().join("app.sqlite3"));
    let mut app = start_app_on(&location, latency).await;
    app._dir = Some(dir);
    app
}

/// The app on `location` (seeded with [`APP_SEED`] if empty), signed in.
pub async fn start_app_on(location: &DatabaseUrl, latency: &str) -> TestApp {
    let db = Db::open(location, APP_SEED).await.expect("db");
    let demo = DEFAULT_DEMO_USER.parse().expect("demo user");
    let active = ensure_demo_user(&db, &demo).await.expect("demo user");
    let engine = Engine::default();
    let auth = Auth::new(false, false)
        .await
        .expect("auth")
        .show_demo_account(&demo, active);
    let latency = latency.parse::<DemoLatency>().expect("latency");
    let state = AppState::new(engine.clone(), db.clone(), latency, auth, true).expect("state");
    let server = start_server(router(state), engine).await;
    let cookie = sign_in(&server.url("")).await;
    TestApp {
        server,
        db,
        cookie,
        _dir: None,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// GETs `path` as the signed-in demo user, recording every chunk.
    pub async fn record(&self, path: &str) -> Recording {
        record_with(&self.url(path), &[("cookie", &self.cookie)]).await
    }

    /// This session's CSRF token, read from a form as a browser would.
    pub async fn csrf(&self) -> String {
        let form = self.record("/invoices/create").await.body();
        hidden_field(&form, "csrf").expect("a csrf field on the create form")
    }

    /// POSTs a URL-encoded form to `path` as the signed-in user (redirects not followed).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Posted {
        self.post_with(path, fields, &[("cookie", &self.cookie)])
            .await
    }

    /// POSTs a URL-encoded form to `path` with exactly `headers` (no session unless given).
    pub async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Posted {
        let mut request = no_redirects().post(self.url(path)).form(fields);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Posted::from(request.send().await.expect("POST")).await
    }
}

/// A response to a POST, read whole.
#[derive(Debug)]
pub struct Posted {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Posted {
    async fn from(response: reqwest::Response) -> Posted {
        Posted {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
    }

    /// The `Location` of a redirect.
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_else(|| panic!("no location ({}):\n{}", self.status, self.body))
    }
}

/// Every page answers 200 with its content; the dashboard's numbers are the database's.
#[tokio::test]
async fn every_page_renders_its_content() {
    let app = start_app("").await;
    let dashboard = final_body(&app.record("/dashboard").await.body());
    for label in [
        "Collected",
        "Pending",
        "Total invoices",
        "Total customers",
        "Recent revenue",
        "Latest invoices",
    ] {
        assert!(dashboard.contains(label), "{label} missing");
    }
    let invoice_count = braid::db::invoice_count(&app.db).await.unwrap();
    assert_eq!(invoice_count, 600);
    assert!(dashboard.contains("<p class=\"card-value\">600</p>"));
    assert!(dashboard.contains("<p class=\"card-value\">30</p>"));
    assert_eq!(dashboard.matches("<rect").count(), 12, "12 monthly bars");
    assert_eq!(
        dashboard.matches("href=\"/invoices/").count(),
        5,
        "5 latest invoices"
    );

    let invoices = final_body(&app.record("/invoices").await.body());
    assert_eq!(invoices.matches("<tr><td class=\"who\">").count(), 10);
    assert!(invoices.contains("Page 1 of 60"));

    let customers = final_body(&app.record("/customers").await.body());
    assert_eq!(customers.matches("<tr><td class=\"who\">").count(), 30);

    let landing = app.record("/").await;
    assert_eq!(landing.status, 200);
    assert!(landing.body().contains("/dashboard"));

    let unknown = app.record("/no/such/page").await;
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.body().contains("page not found"),
        "a real page, not an empty body"
    );
    assert_eq!(app.record("/favicon.ico").await.status, 204);

    let css = app.record("/assets/style.css").await;
    assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
    assert!(css.header("cache-control").contains("max-age"));
}

/// The dashboard streams: with an artificial delay on the revenue section, the shell and the
/// cards arrive before the chart; and all three modes give the same document.
#[tokio::test]
async fn the_dashboard_fills_in_progressively() {
    let app = start_app("revenue=400").await;
    let rec = app.record("/dashboard").await;
    let chart = rec.arrival("aria-label=\"Paid revenue per month\"");
    assert!(rec.arrival("<h1>Dashboard</h1>") < chart);
    assert!(rec.arrival("Total customers</p><p class=\"card-value\">30") < chart);
    assert!(rec.arrival("href=\"/invoices/") < chart);
    let out_of_order = final_body(&rec.body());
    let in_order = body_of(&app.record("/dashboard?stream=in-order").await.body());
    let blocking = body_of(&app.record("/dashboard?stream=off").await.body());
    assert_eq!(out_of_order, in_order);
    assert_eq!(in_order, blocking);
}

/// An invoice's page: found → its facts, its customer and their other invoices; the
/// activity section does not wait for the dependent ones.
#[tokio::test]
async fn an_invoice_page_streams_its_dependent_sections() {
    let app = start_app("customer=300,others=300").await;
    let invoice = braid::db::invoice_by_id(&app.db, 1).await.unwrap().unwrap();
    let rec = app.record("/invoices/1").await;
    assert_eq!(rec.status, 200);
    let body = final_body(&rec.body());
    assert!(body.contains("Invoice #1"));
    assert!(body.contains(&invoice.customer_email));
    assert!(body.contains("Other invoices of this customer"));
    assert!(
        rec.arrival("Recent activity</h2><ul class=\"invoice-list\"><li><svg")
            < rec.arrival(&invoice.customer_email)
    );
}

/// An unknown invoice is a real 404, decided before anything streams; an id that is not a
/// number is a 400.
#[tokio::test]
async fn unknown_invoices_are_a_404_before_streaming() {
    let app = start_app("").await;
    for path in ["/invoices/999999", "/invoices/-1", "/invoices/0"] {
        let rec = app.record(path).await;
        assert_eq!(rec.status, 404, "{path}");
        let body = rec.body();
        assert!(
            !body.contains("<template") && !body.contains("<?start"),
            "{path}: nothing streamed"
        );
        assert!(body.contains("not found"));
    }
    for path in [
        "/invoices/abc",
        "/invoices/1.5",
        "/invoices/99999999999999999999999",
    ] {
        let rec = app.record(path).await;
        assert_eq!(rec.status, 400, "{path}");
        assert!(rec.body().contains("is a number"));
    }
}

/// Hostile and malformed query strings: clamped or matched literally, page still rendered;
/// never a 500.
#[tokio::test]
async fn bad_input_never_breaks_a_page() {
    let app = start_app("").await;
    let long = "x".repeat(10 * 1024);
    let cases = [
        "/invoices?page=abc".to_string(),
        "/invoices?page=-5".to_string(),
        "/invoices?page=0".to_string(),
        "/invoices?page=99999999999999999999999".to_string(),
        "/invoices?page=4294967295".to_string(),
        format!("/invoices?query={long}"),
        "/invoices?query=%27%20OR%201%3D1%20--".to_string(),
        "/invoices?query=%25_%5C".to_string(),
        "/invoices?query=Zo%C3%AB%20%F0%9F%98%80".to_string(),
        "/invoices?query=%3Cscript%3Ealert(1)%3C%2Fscript%3E".to_string(),
        format!("/customers?query={long}"),
        "/customers?query=%27%3B%20drop%20table%20customers%3B%20--".to_string(),
    ];
    for path in &cases {
        let rec = app.record(path).await;
        assert_eq!(rec.status, 200, "{}", &path[..path.len().min(80)]);
        let body = final_body(&rec.body());
        assert!(!body.contains("braid-error"), "{path}: no section failed");
        assert!(!body.contains("<script>alert(1)"));
    }
    let clamped = final_body(&app.record("/invoices?page=-5").await.body());
    assert!(clamped.contains("Page 1 of 60"));
    let past_end = final_body(
        &app.record("/invoices?page=99999999999999999999999")
            .await
            .body(),
    );
    assert!(past_end.contains("No invoices match."));
    let too_long = final_body(&app.record(&cases[5]).await.body());
    assert!(too_long.contains("Searches are limited to"));
    assert_eq!(
        braid::db::customer_count(&app.db).await.unwrap(),
        30,
        "nothing was dropped"
    );
    let bad_utf8 = app.record("/invoices?query=%FF%FE").await;
    assert_eq!(
        bad_utf8.status, 200,
        "invalid UTF-8 is decoded lossily, not a failure"
    );
}

/// A section whose query fails shows its error view; the rest of the page still arrives.
#[tokio::test]
async fn a_failing_query_only_breaks_its_own_section() {
    let app = start_app("").await;
    sqlx::query("drop table revenue_by_month")
        .execute(app.db.write())
        .await
        .expect("drop table");
    let rec = app.record("/dashboard").await;
    assert_eq!(rec.status, 200);
    let body = final_body(&rec.body());
    // The cards (one section, one query) and the chart read the monthly summary table; the
    // latest invoices do not.
    assert_eq!(body.matches("class=\"braid-error\"").count(), 2, "{body}");
    assert!(
        !body.contains("no such table"),
        "the database message is not shown"
    );
    assert!(body.contains("Latest invoices") && body.contains("href=\"/invoices/"));
}

/// Every page, public or private, streamed or not, has a title from the course's template
/// (`%s | Acme Dashboard`) and a meta description (Lighthouse's SEO audit asks for both).
#[tokio::test]
async fn every_page_has_a_title_and_a_description() {
    let app = start_app("").await;
    for (path, title) in [
        ("/", "Welcome"),
        ("/login", "Log in"),
        ("/dashboard", "Dashboard"),
        ("/invoices", "Invoices"),
        ("/invoices/1", "Invoice #1"),
        ("/invoices/create", "Create invoice"),
        ("/invoices/1/edit", "Edit invoice #1"),
        ("/customers", "Customers"),
        ("/no/such/page", "Not Found"),
    ] {
        // Signed in, /login would redirect: the public pages are read without the session.
        let body = if path == "/login" {
            crate::util::record(&app.url(path)).await.body()
        } else {
            app.record(path).await.body()
        };
        let expected = format!("<title>{title} | Acme Dashboard</title>");
        assert!(body.contains(&expected), "{path}: {expected}");
        assert!(
            body.contains("<meta name=\"description\" content=\"")
                && !body.contains("content=\"\""),
            "{path}: a description"
        );
    }
}

/// Cached sections are shared between users, so they can carry nothing of one: two users
/// take turns on the dashboard, each reading the other's cache; each page names its own
/// user only, and carries no other response's nonce.
#[tokio::test]
async fn a_cached_section_never_carries_one_users_data_to_another() {
    let app = start_app("").await;
    let mut pages = Vec::new();
    for (email, name) in [
        ("ada.first@nextmail.com", "Ada Firstuser"),
        ("grace.second@nextmail.com", "Grace Seconduser"),
    ] {
        let hash = braid::app::auth::password::hash("a long password")
            .await
            .unwrap();
        braid::db::writes::insert_user(&app.db, email, name, &hash)
            .await
            .unwrap();
        let cookie = crate::util::sign_in_as(&app.url(""), email, "a long password")
            .await
            .expect("signed in");
        for _ in 0..2 {
            let page = record_with(&app.url("/dashboard"), &[("cookie", &cookie)]).await;
            let csp = page.header("content-security-policy");
            let nonce = csp.split("'nonce-").nth(1).expect("a nonce")[..32].to_string();
            pages.push((name, page.body(), nonce));
        }
    }
    for (name, body, nonce) in &pages {
        assert!(body.contains(*name), "{name}'s page names them");
        for (other, _, other_nonce) in &pages {
            if other != name {
                assert!(!body.contains(*other), "{name}'s page has {other}:\n{body}");
            }
            if other_nonce != nonce {
                assert!(
                    !body.contains(other_nonce.as_str()),
                    "another response's nonce"
                );
            }
        }
    }
    assert!(
        pages
            .iter()
            .filter(|(_, body, _)| !body.contains("<?start"))
            .count()
            >= 3,
        "most pages were served from the cache, whole"
    );
}

/// A `HEAD` request gets the headers of the `GET` it stands for, compression's included
/// (RFC 9110 § 9.3.2), and no body: for a static file and for a page.
#[tokio::test]
async fn head_answers_with_the_headers_of_get() {
    let app = start_app("").await;
    for path in ["/assets/style.css", "/login"] {
        let url = app.url(path);
        let got = record_with(&url, &[("accept-encoding", "br")]).await;
        let head = crate::util::client()
            .head(&url)
            .header("accept-encoding", "br")
            .send()
            .await
            .expect("HEAD");
        assert_eq!(head.status().as_u16(), got.status, "{path}");
        assert_eq!(got.header("content-encoding"), "br", "{path}");
        for name in ["content-type", "content-encoding", "vary"] {
            assert_eq!(
                head.headers().get(name),
                got.headers.get(name),
                "{path}: {name}"
            );
        }
        assert!(head.bytes().await.expect("body").is_empty(), "{path}");
    }
}
