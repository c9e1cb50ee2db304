//! The app on a real PostgreSQL (Debian's `postgresql`, found through `initdb` and `pg_ctl`
//! on `PATH`): the same pages as on SQLite, writes that stay right when two instances race,
//! sessions every instance shares, and the faults of a server that restarts or runs out of
//! connections.
//!
//! One cluster serves the whole test process: started on first use in a temporary
//! directory, on loopback, with a watchdog that stops it when the process ends. Each test
//! gets a database of its own (`create database`).

mod server;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use braid::db::{self, DatabaseUrl, Db, InvoiceStatus};
use futures::future::join_all;

use crate::app::{APP_SEED, TestApp, start_app, start_app_on};
use crate::util::{final_body, hidden_field, record_with};
pub use server::Postgres;

/// `html` with what differs per request (nonces, CSRF tokens, form keys) blanked.
fn comparable(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("=\"") {
        let (before, after) = rest.split_at(at + 2);
        out.push_str(before);
        let end = after.find('"').unwrap_or(after.len());
        let value = &after[..end];
        let secret = value.len() >= 16 && value.chars().all(|c| c.is_ascii_hexdigit());
        out.push_str(if secret { "SECRET" } else { value });
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Every page of the app, read-only ones and forms, ends as the same HTML on PostgreSQL as
/// on SQLite seeded with the same rows: the same query functions, one statement per
/// dialect where they differ (dates, `ilike`, amounts formatted for search).
#[tokio::test]
async fn every_page_is_the_same_as_on_sqlite() {
    let Some(postgres) = Postgres::get("every_page_is_the_same_as_on_sqlite") else {
        return;
    };
    let on_postgres = start_app_on(&postgres.database().await, "").await;
    let on_sqlite = start_app("").await;
    for path in [
        "/dashboard",
        "/invoices",
        "/invoices?query=a&page=2",
        "/invoices?query=12.5",
        "/invoices?query=2025-11",
        "/invoices?query=PAID",
        "/invoices?query=%25",
        "/customers",
        "/customers?query=MA",
        "/invoices/5",
        "/invoices/5/edit",
        "/invoices/create",
        "/invoices/999999",
    ] {
        let pages = [&on_postgres, &on_sqlite].map(|app| app.record(path));
        let [postgres_page, sqlite_page] = join_all(pages).await.try_into().unwrap();
        assert_eq!(postgres_page.status, sqlite_page.status, "{path}");
        let (postgres_body, sqlite_body) = (
            comparable(&final_body(&postgres_page.body())),
            comparable(&final_body(&sqlite_page.body())),
        );
        assert!(
            !postgres_body.contains("braid-error"),
            "{path} on PostgreSQL:\n{postgres_body}"
        );
        assert_eq!(postgres_body, sqlite_body, "{path}");
    }
}

/// `--database` URLs: PostgreSQL opens and migrates (again, as a no-op), statements are
/// bounded by `statement_timeout`, and a server that is not there is a clear error naming
/// it, without its password.
#[tokio::test]
async fn opening_migrating_and_a_bounded_statement_time() {
    let Some(postgres) = Postgres::get("opening_migrating_and_a_bounded_statement_time") else {
        return;
    };
    let location = postgres.database().await;
    let db = Db::open_without_seed(&location).await.expect("first open");
    db.close().await;
    let db = Db::open_without_seed(&location).await.expect("second open");
    let db::Backend::Postgres(pool) = db.backend() else {
        panic!("a PostgreSQL backend for {location}");
    };
    let timeout: String = sqlx::query_scalar("show statement_timeout")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(timeout, format!("{}s", db::STATEMENT_TIMEOUT.as_secs()));

    let nowhere: DatabaseUrl = "postgres://braid:s3cret@127.0.0.1:1/braid".parse().unwrap();
    let error = Db::open_without_seed(&nowhere)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("cannot open database postgres://braid:***@127.0.0.1:1/braid"),
        "{error}"
    );
    assert!(!error.contains("s3cret"), "{error}");
}

/// Two instances on one database: a user signed in through one is signed in on the other,
/// and an invoice written through one is on the next page the other serves.
#[tokio::test]
async fn two_instances_share_sessions_and_writes() {
    let Some(postgres) = Postgres::get("two_instances_share_sessions_and_writes") else {
        return;
    };
    let location = postgres.database().await;
    let first = start_app_on(&location, "").await;
    let second = start_app_on(&location, "").await;
    assert_eq!(
        crate::util::get_status(&second.url("/invoices/create"), &first.cookie).await,
        200,
        "first's session is valid on second"
    );

    let form = first.record("/invoices/create").await.body();
    let fields = create_form(&form, "4321.09");
    // Second has just read first's session: the message the write leaves in it, and then
    // the sign-out, are on second's very next page (on PostgreSQL no instance keeps a
    // session; a redirect may land on any instance at once).
    assert_eq!(
        crate::util::get_status(&second.url("/invoices/create"), &first.cookie).await,
        200
    );
    let posted = first.post("/invoices", &as_pairs(&fields)).await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    let page = second
        .record_as("/invoices?stream=off", &first.cookie)
        .await;
    assert!(
        page.body().contains("created"),
        "the message left on first is shown by second"
    );
    let listed = final_body(&second.record("/invoices?query=4321.09").await.body());
    assert!(listed.contains("$4,321.09"), "{listed}");
    let csrf = first.csrf().await;
    assert_eq!(first.post("/logout", &[("csrf", &csrf)]).await.status, 303);
    assert_eq!(
        crate::util::get_status(&first.url("/dashboard"), &first.cookie).await,
        303
    );
    assert_eq!(
        crate::util::get_status(&second.url("/dashboard"), &first.cookie).await,
        303,
        "signed out on first, signed out on second"
    );
}

/// The dashboard's "Total invoices" card as `app` renders it now.
async fn invoice_card(app: &TestApp) -> String {
    let body = final_body(&app.record("/dashboard").await.body());
    crate::util::card_value(&body, "Total invoices")
}

/// Whether `expected` listening connections are open.
async fn listeners(db: &Db, expected: i64) -> bool {
    let open: i64 =
        sqlx::query_scalar("select count(*) from pg_stat_activity where application_name = $1")
            .bind(db::changes::LISTENER_NAME)
            .fetch_one(db.postgres().expect("postgres"))
            .await
            .unwrap_or(0);
    open == expected
}

/// A write braid does not hear of (plain SQL): a cached dashboard does not show it.
async fn insert_behind_braids_back(db: &Db) {
    sqlx::query("insert into invoices (customer_id, amount_cents, status, date) values (1, 100, 'paid', current_date)")
        .execute(db.postgres().expect("postgres"))
        .await
        .expect("insert");
}

/// Cached sections across instances. The second instance's dashboard is served from its
/// cache (a write made behind braid's back does not show); a write through the first
/// reaches it within a second (`NOTIFY`). With every listening connection cut, a write
/// through the first is notified to nobody; the second instance, asked nothing meanwhile,
/// catches up from `data_versions` when its listener is back, and then serves from its cache
/// again.
#[tokio::test]
async fn a_write_reaches_every_instances_cache_within_a_second() {
    let Some(postgres) = Postgres::get("a_write_reaches_every_instances_cache_within_a_second")
    else {
        return;
    };
    let location = postgres.database().await;
    let (first, second) = (
        start_app_on(&location, "").await,
        start_app_on(&location, "").await,
    );
    let db = Db::open_without_seed(&location).await.unwrap();
    let count = |n: i64| braid::app::components::format::thousands(n as u64);
    let before = db::invoice_count(&db).await.unwrap();
    assert!(
        eventually(Duration::from_secs(5), || listeners(&db, 2)).await,
        "both instances listen"
    );
    // Each reads `data_versions` once connected; nothing is served from a cache before.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(invoice_card(&second).await, count(before));
    insert_behind_braids_back(&db).await;
    assert_eq!(
        invoice_card(&second).await,
        count(before),
        "served from the cache"
    );

    let create = |amount: &'static str| {
        let first = &first;
        async move {
            let form = first.record("/invoices/create").await.body();
            let fields = create_form(&form, amount);
            let posted = first.post("/invoices", &as_pairs(&fields)).await;
            assert_eq!(posted.status, 303, "{}", posted.body);
        }
    };
    create("12.34").await;
    let written = Instant::now();
    let expected = count(before + 2);
    assert!(
        eventually(Duration::from_secs(1), || async {
            invoice_card(&second).await == expected
        })
        .await,
        "the write reached the second instance within a second"
    );
    eprintln!(
        "a write reached the other instance's cache in {:?}",
        written.elapsed()
    );

    let cut: i64 = sqlx::query_scalar(
        "select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = $1",
    )
    .bind(db::changes::LISTENER_NAME)
    .fetch_one(db.postgres().unwrap())
    .await
    .unwrap();
    assert_eq!(cut, 2, "one listening connection per instance");
    create("56.78").await;
    // Nothing asks the second instance until its listener is back (it reconnects after
    // half a second): its cached dashboard is from before the write.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let expected = count(before + 3);
    assert_eq!(invoice_card(&second).await, expected, "caught up");
    insert_behind_braids_back(&db).await;
    assert_eq!(
        invoice_card(&second).await,
        expected,
        "served from the cache again"
    );
}

/// The same create form sent to two instances at once (a double click through a load
/// balancer) creates one invoice; two saves of one edit form from two instances: one wins,
/// the other gets the conflict.
#[tokio::test]
async fn racing_writes_on_two_instances_stay_right() {
    let Some(postgres) = Postgres::get("racing_writes_on_two_instances_stay_right") else {
        return;
    };
    let location = postgres.database().await;
    let first = start_app_on(&location, "").await;
    let second = start_app_on(&location, "").await;
    let db = Db::open_without_seed(&location).await.unwrap();
    let before = db::invoice_count(&db).await.unwrap();

    let form = first.record("/invoices/create").await.body();
    let form = create_form(&form, "77.70");
    let fields = as_pairs(&form);
    // One user's session (one cookie), the balancer sending each click elsewhere.
    let cookie = [("cookie", first.cookie.as_str())];
    for _ in 0..5 {
        let posts = [&first, &second].map(|app| app.post_with("/invoices", &fields, &cookie));
        let statuses: Vec<u16> = join_all(posts).await.iter().map(|p| p.status).collect();
        assert_eq!(statuses, [303, 303], "both answered as saved");
    }
    assert_eq!(
        db::invoice_count(&db).await.unwrap(),
        before + 1,
        "one invoice"
    );

    // Two people (two sessions, one per instance), each with the form of version 1.
    let mut saves = Vec::new();
    for (app, amount) in [(&first, "11.11"), (&second, "22.22")] {
        let edit = app.record("/invoices/5/edit").await.body();
        let mut fields = edit_form(&edit);
        set(&mut fields, "amount", amount);
        saves.push(async move { app.post("/invoices/5", &as_pairs(&fields)).await });
    }
    let mut statuses: Vec<u16> = join_all(saves).await.iter().map(|p| p.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409], "one save wins, the other is told");
    let invoice = db::invoice_by_id(&db, 5).await.unwrap().unwrap();
    assert!([1111, 2222].contains(&invoice.amount_cents));
    assert_eq!(invoice.version, 2);
}

/// Wrong passwords sent in parallel through two instances: no more than the account's limit
/// (5) are counted as attempts; the rest are refused, however they interleave.
#[tokio::test]
async fn the_sign_in_limit_holds_across_instances() {
    let Some(postgres) = Postgres::get("the_sign_in_limit_holds_across_instances") else {
        return;
    };
    let location = postgres.database().await;
    let first = start_app_on(&location, "").await;
    let second = start_app_on(&location, "").await;
    // PostgreSQL refuses a NUL in any text: such an email is a wrong email, not a 500.
    let nul = crate::util::sign_in_as(&first.url(""), "a\u{0}b@nextmail.com", "x").await;
    assert_eq!(nul.unwrap_err().0, 422);
    let attempts = (0..12).map(|n| {
        let app = if n % 2 == 0 { &first } else { &second };
        async move {
            crate::util::sign_in_as(&app.url(""), crate::util::DEMO_EMAIL, "wrong")
                .await
                .unwrap_err()
                .0
        }
    });
    let statuses = join_all(attempts).await;
    let counted = statuses.iter().filter(|status| **status == 422).count();
    let refused = statuses.iter().filter(|status| **status == 429).count();
    assert_eq!((counted, refused), (5, 7), "{statuses:?}");
}

/// The days, the trigram index of `amount_search`, the customers' invoices and the walk find on
/// PostgreSQL what reading every row finds, as on SQLite.
#[tokio::test]
async fn search_finds_what_reading_every_row_finds() {
    let Some(postgres) = Postgres::get("search_finds_what_reading_every_row_finds") else {
        return;
    };
    let location = postgres.database().await;
    let db = Db::open(&location, crate::db::SEARCH_SEED).await.unwrap();
    crate::db::assert_search_reads_like_every_row(&db, &[]).await;
    // The largest page number answers an empty page, not an error.
    for query in ["2026", "12.5", "a"] {
        let far = db::search_invoices(&db, query, u32::MAX, db::MAX_ROWS).await;
        assert_eq!(far.map(|rows| rows.len()).ok(), Some(0), "{query}");
    }
    // `ilike` folds case beyond ASCII here (`İ` is `i`): the statuses it then matches are
    // counted as the rows are found.
    for query in ["İ", "PAİD"] {
        let rows = db::search_invoices(&db, query, 1, 500).await.unwrap();
        let pages = db::invoice_pages(&db, query, 500).await.unwrap();
        let all = db::search_invoices(&db, query, pages.known(), 500)
            .await
            .unwrap();
        let found = (pages.known() - 1) as usize * 500 + all.len();
        assert!(
            rows.iter().any(|row| row.status == InvoiceStatus::Paid),
            "{query}"
        );
        assert_eq!(pages, db::PageCount::Exactly(pages.known()), "{query}");
        assert!(found > 0 && all.len() <= 500, "{query}: {found}");
    }
}

/// `braid db seed` on PostgreSQL uses `COPY`: the rows are the same as SQLite's for a seed,
/// and the totals the triggers keep agree with the invoices after writes.
#[tokio::test]
async fn seeding_and_the_kept_totals() {
    let Some(postgres) = Postgres::get("seeding_and_the_kept_totals") else {
        return;
    };
    let location = postgres.database().await;
    let db = Db::open(&location, APP_SEED).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::open(&dir.path().join("x.sqlite3").into(), APP_SEED)
        .await
        .unwrap();
    for db in [&db, &sqlite] {
        let seeded = db::search_invoices(db, "", 1, 500).await.unwrap();
        assert_eq!(seeded.len(), 500);
    }
    assert_eq!(
        db::search_invoices(&db, "", 2, 300).await.unwrap(),
        db::search_invoices(&sqlite, "", 2, 300).await.unwrap()
    );
    assert_eq!(
        db::customers_with_totals(&db, "").await.unwrap(),
        db::customers_with_totals(&sqlite, "").await.unwrap()
    );

    let draft = db::writes::InvoiceDraft {
        customer_id: 3,
        amount_cents: 12_345,
        status: InvoiceStatus::Paid,
    };
    let created = db::writes::create_invoice(&db, draft, "k".repeat(20).as_str())
        .await
        .unwrap();
    let db::writes::CreateOutcome::Created(id) = created else {
        panic!("{created:?}");
    };
    assert_eq!(
        id,
        i64::from(APP_SEED.invoices) + 1,
        "ids continue after the seed"
    );
    db::writes::delete_invoice(&db, 2, 1).await.unwrap();
    let db::Backend::Postgres(pool) = db.backend() else {
        unreachable!()
    };
    let (kept, counted): (i64, i64) = sqlx::query_as(
        "select (select sum(paid_cents) from revenue_by_month)::bigint, \
         (select sum(amount_cents) from invoices where status = 'paid')::bigint",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(kept, counted, "revenue_by_month follows every write");
    let draft = db::writes::InvoiceDraft {
        customer_id: 9,
        amount_cents: 777,
        status: InvoiceStatus::Pending,
    };
    let version = db::invoice_by_id(&db, 3).await.unwrap().unwrap().version;
    let updated = db::writes::update_invoice(&db, 3, version, draft)
        .await
        .unwrap();
    assert_eq!(updated, db::writes::UpdateOutcome::Updated);
    let differing: i64 = sqlx::query_scalar(CUSTOMER_TOTALS_DIFFER)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(differing, 0, "customer_totals follows every write");

    let started = Instant::now();
    let error = db::seed(&db, APP_SEED).await.unwrap_err().to_string();
    assert!(error.contains("already holds 30 customers"), "{error}");
    db::seed::reseed(&db, APP_SEED).await.unwrap();
    assert_eq!(
        db::invoice_count(&db).await.unwrap(),
        i64::from(APP_SEED.invoices)
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

/// Rows of `customer_totals` and of the sums over the invoices themselves that differ, in
/// either direction (customers without invoices have zeros or no row).
const CUSTOMER_TOTALS_DIFFER: &str = r#"
    with kept as (
        select customer_id, invoice_count, paid_count, paid_cents, pending_cents
        from customer_totals
        where invoice_count <> 0
    ),
    counted as (
        select
            customer_id,
            count(*),
            sum(case when status = 'paid' then 1 else 0 end),
            sum(case when status = 'paid' then amount_cents else 0 end),
            sum(case when status = 'pending' then amount_cents else 0 end)
        from invoices
        group by customer_id
    )
    select count(*) from (
        (select * from kept except select * from counted)
        union all
        (select * from counted except select * from kept)
    ) as differing
"#;

/// Edits that move invoices between two customers, both ways at once, many times: each
/// saves or reports a conflict, none fails (the totals' rows are locked in id order, not
/// crosswise by the triggers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crosswise_edits_do_not_deadlock() {
    let Some(postgres) = Postgres::get("crosswise_edits_do_not_deadlock") else {
        return;
    };
    let db = Db::open(&postgres.database().await, APP_SEED)
        .await
        .unwrap();
    let first = db::invoice_by_id(&db, 10).await.unwrap().unwrap();
    let customers = [first.customer_id, (first.customer_id % 30) + 1];
    for round in 0..200 {
        let edits = [(10, customers[round % 2]), (11, customers[(round + 1) % 2])].map(
            |(id, customer_id)| {
                let db = db.clone();
                async move {
                    let current = db::invoice_by_id(&db, id).await?.expect("invoice");
                    let draft = db::writes::InvoiceDraft {
                        customer_id,
                        amount_cents: current.amount_cents,
                        status: current.status,
                    };
                    db::writes::update_invoice(&db, id, current.version, draft).await
                }
            },
        );
        for outcome in join_all(edits).await {
            outcome.unwrap_or_else(|error| panic!("round {round}: {error}"));
        }
    }
    let db::Backend::Postgres(pool) = db.backend() else {
        unreachable!()
    };
    let differing: i64 = sqlx::query_scalar(CUSTOMER_TOTALS_DIFFER)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(differing, 0);
}

/// All of one instance's connections are busy (held by something else): a page answers
/// `503` with `Retry-After` once the pool's acquire timeout passes, long before any section
/// or page deadline, instead of hanging; freed connections serve the next request.
#[tokio::test]
async fn an_exhausted_pool_is_a_quick_503() {
    let Some(postgres) = Postgres::get("an_exhausted_pool_is_a_quick_503") else {
        return;
    };
    let app = start_app_on(&postgres.database().await, "").await;
    let db::Backend::Postgres(pool) = app.db.backend() else {
        unreachable!()
    };
    let mut held = Vec::new();
    while held.len() < pool.options().get_max_connections() as usize {
        held.push(pool.acquire().await.expect("a connection"));
    }
    let started = Instant::now();
    let rec = app.record("/dashboard").await;
    let waited = started.elapsed();
    assert_eq!(rec.status, 503, "{}", rec.body());
    assert_eq!(rec.header("retry-after"), "5");
    let deadline = braid::stream::EngineConfig::default().section_timeout;
    assert!(
        waited < deadline,
        "answered in {waited:?}, before a section would time out"
    );
    drop(held);
    assert_eq!(app.record("/dashboard").await.status, 200);
}

/// The database server stops in the middle of traffic and comes back: while it is gone,
/// every response is still a complete page (sections show their error views; a page whose
/// sign-in check needs the database is a `503` with `Retry-After`), none hangs and none is
/// a 500; once it is back, the same braid serves every page fully, without a restart.
#[tokio::test]
async fn a_database_restart_under_traffic_is_survived() {
    let Some(postgres) = Postgres::dedicated("a_database_restart_under_traffic_is_survived") else {
        return;
    };
    let app = start_app_on(&postgres.database().await, "").await;
    let running = Arc::new(AtomicBool::new(true));
    let clients: Vec<_> = (0..4)
        .map(|n| {
            let (url, cookie, running) = (app.url(""), app.cookie.clone(), running.clone());
            tokio::spawn(async move {
                let path = ["/dashboard", "/invoices", "/customers", "/invoices/7"][n];
                let mut seen = Vec::new();
                while running.load(Ordering::Relaxed) {
                    let rec = record_with(&format!("{url}{path}"), &[("cookie", &cookie)]).await;
                    let complete = rec.body().ends_with("</body></html>");
                    let failed_section = final_body(&rec.body()).contains("braid-error");
                    seen.push((rec.status, complete, failed_section));
                }
                seen
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    postgres.stop();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    postgres.pg_ctl_start();
    let recovered = eventually(Duration::from_secs(20), || {
        let app = &app;
        async move {
            let rec = app.record("/dashboard").await;
            rec.status == 200 && !final_body(&rec.body()).contains("braid-error")
        }
    })
    .await;
    running.store(false, Ordering::Relaxed);
    let mut seen = Vec::new();
    for client in clients {
        seen.extend(client.await.expect("client"));
    }
    assert!(
        recovered,
        "every page renders fully once the database is back"
    );
    assert!(
        seen.iter()
            .all(|(status, complete, _)| *complete && [200, 503].contains(status)),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|(status, _, failed)| *status == 503 || *failed),
        "the outage was seen: {seen:?}"
    );
}

/// The `name=value` pairs of the create form in `html`, with `amount` set.
fn create_form(html: &str, amount: &str) -> Vec<(String, String)> {
    let mut fields = vec![
        (
            "csrf".to_string(),
            hidden_field(html, "csrf").expect("csrf"),
        ),
        (
            "form_key".to_string(),
            hidden_field(html, "form_key").expect("form key"),
        ),
        ("customer_id".to_string(), "3".to_string()),
        ("status".to_string(), "paid".to_string()),
    ];
    fields.push(("amount".to_string(), amount.to_string()));
    fields
}

/// The fields of an edit form as it was served.
fn edit_form(html: &str) -> Vec<(String, String)> {
    ["csrf", "version", "customer_id", "status"]
        .into_iter()
        .map(|name| {
            let value = hidden_field(html, name)
                .or_else(|| selected(html, name))
                .unwrap_or_else(|| panic!("{name} in the edit form"));
            (name.to_string(), value)
        })
        .chain([("amount".to_string(), "1.00".to_string())])
        .collect()
}

/// The value of the selected option or checked radio named `name`.
fn selected(html: &str, name: &str) -> Option<String> {
    match name {
        "status" => Some(if html.contains("value=\"paid\" checked") {
            "paid".to_string()
        } else {
            "pending".to_string()
        }),
        "customer_id" => {
            let before = html.split("\" selected").next()?;
            Some(before.rsplit("value=\"").next()?.to_string())
        }
        _ => None,
    }
}

fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    for (key, old) in fields.iter_mut() {
        if key == name {
            *old = value.to_string();
        }
    }
}

fn as_pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect()
}

/// Whether `condition` becomes true within `limit`, checked every 200 ms.
async fn eventually<F, Fut>(limit: Duration, mut condition: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < limit {
        if condition().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

impl TestApp {
    /// GETs `path` with another session's cookie.
    pub async fn record_as(&self, path: &str, cookie: &str) -> crate::util::Recording {
        crate::util::record_with(&self.url(path), &[("cookie", cookie)]).await
    }
}

/// `braid db migrate` and `braid db seed` on a `postgres://` URL: migrate, seed, refuse a
/// second seed, reset; each message names the database without its password.
#[tokio::test]
async fn the_db_commands_work_on_postgres() {
    let Some(postgres) = Postgres::get("the_db_commands_work_on_postgres") else {
        return;
    };
    let DatabaseUrl::Postgres(url) = postgres.database().await else {
        unreachable!()
    };
    let braid = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_braid"))
            .args(["db", "--database", &url])
            .args(args)
            .output()
            .expect("braid db")
    };
    let text = |output: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    };
    let migrated = braid(&["migrate"]);
    assert!(migrated.status.success(), "{}", text(&migrated));
    assert!(text(&migrated).contains(&format!("{url}: migrated")));
    let seed = ["seed", "--customers", "5", "--invoices", "300"];
    let seeded = braid(&seed);
    assert!(seeded.status.success(), "{}", text(&seeded));
    assert!(text(&seeded).contains("seeded 5 customers and 300 invoices"));
    let refused = braid(&seed);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("already holds 5 customers"),
        "{}",
        text(&refused)
    );
    let reset = braid(&["seed", "--customers", "7", "--invoices", "50", "--reset"]);
    assert!(reset.status.success(), "{}", text(&reset));
    let db = Db::open_without_seed(&url.parse().unwrap()).await.unwrap();
    assert_eq!(db::customer_count(&db).await.unwrap(), 7);
    assert_eq!(db::invoice_count(&db).await.unwrap(), 50);
}
