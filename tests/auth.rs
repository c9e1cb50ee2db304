//! Sign-in over real sockets on real SQLite files: the guard on every private route, `next`
//! without open redirects, session rotation and sign-out, uniform failures, throttling,
//! CSRF (tokens and the same-origin check) and the form body limit.

use std::time::Instant;

use crate::app::{TestApp, start_app};
use crate::util::SqliteOfDb;
use crate::util::{
    DEMO_EMAIL, DEMO_PASSWORD, get_status, no_redirects, record, session_cookie, sign_in_as,
};

/// GETs `path` with `cookie` (may be empty), not following redirects: status and `Location`.
async fn get(app: &TestApp, path: &str, cookie: &str) -> (u16, String) {
    let mut request = no_redirects().get(app.url(path));
    if !cookie.is_empty() {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.expect("GET");
    let location = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    (response.status().as_u16(), location)
}

/// Every private page without a session: `303` to the sign-in page with the page as `next`;
/// every write without a session: `303` to the sign-in page and nothing written. The
/// public pages, `/bench/*` and `/metrics` answer without one.
#[tokio::test]
async fn every_private_route_needs_a_session() {
    let app = start_app("").await;
    for path in [
        "/dashboard",
        "/invoices",
        "/invoices?query=a b&page=2",
        "/invoices/1",
        "/invoices/create",
        "/invoices/1/edit",
        "/customers",
        "/customers?query=x",
    ] {
        let (status, location) = get(&app, path, "").await;
        assert_eq!(status, 303, "{path}");
        let expected = form_urlencoded::Serializer::new(String::new())
            .append_pair(
                "next",
                &app.url(path)[app.url("").len()..].replace(' ', "%20"),
            )
            .finish();
        assert_eq!(location, format!("/login?{expected}"), "{path}");
    }
    let before = braid::db::invoice_count(&app.db).await.unwrap();
    let token = app.csrf().await;
    for path in ["/invoices", "/invoices/1", "/invoices/1/delete", "/logout"] {
        let fields = [
            ("csrf", token.as_str()),
            ("customer_id", "1"),
            ("amount", "5"),
            ("status", "paid"),
        ];
        let posted = app.post_with(path, &fields, &[]).await;
        assert_eq!(
            (posted.status, posted.location()),
            (303, "/login"),
            "POST {path}"
        );
    }
    assert_eq!(braid::db::invoice_count(&app.db).await.unwrap(), before);
    assert!(
        braid::db::invoice_by_id(&app.db, 1)
            .await
            .unwrap()
            .is_some()
    );

    for path in [
        "/",
        "/login",
        "/assets/style.css",
        "/assets/search.js",
        "/bench/s0",
        "/metrics",
    ] {
        assert_eq!(record(&app.url(path)).await.status, 200, "{path}");
    }
}

/// Signing in goes back to `next` when it is a local path, else to the dashboard; the
/// session cookie is `HttpOnly` and `SameSite=Lax`; and the session ID changes at sign-in,
/// so a cookie from before (planted, or the previous session) is worthless after it.
#[tokio::test]
async fn signing_in_returns_to_next_and_rotates_the_session() {
    let app = start_app("").await;
    let login = record(&app.url("/login?next=%2Finvoices%3Fpage%3D2")).await;
    assert_eq!(login.status, 200);
    assert!(
        login
            .body()
            .contains(r#"name="next" value="/invoices?page=2""#),
        "{}",
        login.body()
    );

    for (next, lands) in [
        ("/invoices?page=2", "/invoices?page=2"),
        ("/invoices/3/edit", "/invoices/3/edit"),
        ("", "/dashboard"),
        ("//evil.example/x", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("https://evil.example", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
    ] {
        let posted = app
            .post_with(
                "/login",
                &[
                    ("email", DEMO_EMAIL),
                    ("password", DEMO_PASSWORD),
                    ("next", next),
                ],
                &[],
            )
            .await;
        assert_eq!(
            (posted.status, posted.location()),
            (303, lands),
            "next={next:?}"
        );
        let set_cookie = posted.headers.get("set-cookie").unwrap().to_str().unwrap();
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(
                set_cookie.contains(attribute),
                "{attribute} in {set_cookie}"
            );
        }
        assert!(
            !set_cookie.contains("Secure"),
            "no Secure without --secure-cookies"
        );
    }

    let before = app.cookie.clone();
    let posted = app
        .post(
            "/login",
            &[("email", DEMO_EMAIL), ("password", DEMO_PASSWORD)],
        )
        .await;
    let after = session_cookie(&posted.headers).expect("a new session cookie");
    assert_ne!(before, after, "the session ID is rotated at sign-in");
    assert_eq!(
        get(&app, "/dashboard", &before).await.0,
        303,
        "the old ID is void"
    );
    assert_eq!(get(&app, "/dashboard", &after).await.0, 200);
    assert_eq!(
        get(&app, "/login", &after).await,
        (303, "/dashboard".into()),
        "signed in already"
    );
    let stored: i64 = sqlx::query_scalar("select count(*) from sessions where id_hash like ?1")
        .bind(format!("%{}%", &after["braid_session=".len()..]))
        .fetch_one(app.db.read())
        .await
        .unwrap();
    assert_eq!(stored, 0, "the table holds hashes, never the cookie's ID");
}

/// Signing out deletes the session: the cookie is cleared and no longer opens anything.
#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = start_app("").await;
    let token = app.csrf().await;
    let posted = app.post("/logout", &[("csrf", &token)]).await;
    assert_eq!((posted.status, posted.location()), (303, "/"));
    let cleared = posted.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cleared.contains("braid_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    assert_eq!(get(&app, "/dashboard", &app.cookie).await.0, 303);
    let sessions: i64 = sqlx::query_scalar("select count(*) from sessions")
        .fetch_one(app.db.read())
        .await
        .unwrap();
    assert_eq!(sessions, 0);
}

/// A wrong email and a wrong password get the same status, message and page, and take the
/// same time: an unknown email is checked against a decoy hash. Eight alternating attempts
/// of each (wrong passwords spread over two accounts, under the per-account limit); the
/// fastest of each kind, the least disturbed by a busy machine, are compared as a ratio.
/// A whole measurement can still fall on a stretch when the other tests' browsers hold both
/// cores, so up to three are taken (each on a fresh app, under the per-address limit); a
/// missing decoy hash makes every one of them fail (ratio about 0.05).
#[tokio::test]
async fn wrong_email_and_wrong_password_look_alike() {
    let mut ratios = Vec::new();
    for _ in 0..3 {
        let ratio = sign_in_failure_time_ratio().await;
        if (0.5..2.0).contains(&ratio) {
            return;
        }
        ratios.push(ratio);
    }
    panic!("unknown email / wrong password time ratios {ratios:?}, expected about 1");
}

/// Unknown email over wrong password, the fastest of eight attempts each.
async fn sign_in_failure_time_ratio() -> f64 {
    let app = start_app("").await;
    let hash = braid::app::auth::password::hash("another password")
        .await
        .unwrap();
    braid::db::writes::insert_user(&app.db, "second@nextmail.com", "Second", &hash)
        .await
        .unwrap();
    let mut unknown_email = Vec::new();
    let mut wrong_password = Vec::new();
    for round in 0..8 {
        let email = format!("nobody{round}@nextmail.com");
        let started = Instant::now();
        let (status, page) = sign_in_as(&app.url(""), &email, DEMO_PASSWORD)
            .await
            .unwrap_err();
        unknown_email.push(started.elapsed());
        assert_eq!(status, 422);
        let first = page.replace(&format!("value=\"{email}\""), "value=EMAIL");

        let account = if round % 2 == 0 {
            DEMO_EMAIL
        } else {
            "second@nextmail.com"
        };
        let started = Instant::now();
        let (status, page) = sign_in_as(&app.url(""), account, "wrong")
            .await
            .unwrap_err();
        wrong_password.push(started.elapsed());
        assert_eq!(status, 422);
        let second = page.replace(&format!("value=\"{account}\""), "value=EMAIL");
        assert_eq!(first, second, "the same page either way");
        assert!(page.contains("Invalid email or password."));
    }
    let a = unknown_email.iter().min().unwrap();
    let b = wrong_password.iter().min().unwrap();
    let ratio = a.as_secs_f64() / b.as_secs_f64();
    eprintln!(
        "sign-in failures, fastest: unknown email {a:?}, wrong password {b:?} (ratio {ratio:.2})"
    );
    ratio
}

/// Five failures for one account refuse its sign-ins, even with the right password, with
/// `429`, `Retry-After` and a message saying when; other accounts still sign in. Twenty from
/// one address refuse every sign-in from it.
#[tokio::test]
async fn repeated_failures_are_refused_with_a_clear_message() {
    let app = start_app("").await;
    let base = app.url("");
    for _ in 0..5 {
        assert_eq!(
            sign_in_as(&base, DEMO_EMAIL, "wrong").await.unwrap_err().0,
            422
        );
    }
    let posted = app
        .post_with(
            "/login",
            &[("email", "USER@nextmail.com "), ("password", DEMO_PASSWORD)],
            &[],
        )
        .await;
    assert_eq!(
        posted.status, 429,
        "the right password is refused too, in any case"
    );
    assert!(
        posted
            .body
            .contains("Too many failed sign-ins for this account. Try again in 15 minutes."),
        "{}",
        posted.body
    );
    assert_eq!(posted.headers.get("retry-after").unwrap(), "900");
    assert!(posted.headers.get("set-cookie").is_none(), "no session");

    // 5 failures above, 15 here: 20 from this address.
    for n in 0..15 {
        let email = format!("guess{n}@nextmail.com");
        assert_eq!(sign_in_as(&base, &email, "x").await.unwrap_err().0, 422);
    }
    sqlx::query("delete from sign_in_failures where key like 'email:%'")
        .execute(app.db.write())
        .await
        .unwrap();
    let (status, page) = sign_in_as(&base, DEMO_EMAIL, DEMO_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(status, 429, "20 failures from this address");
    assert!(
        page.contains("Too many failed sign-ins for your address."),
        "{page}"
    );
}

/// Writes without this session's CSRF token are refused with `403`, and so is a form
/// posted from another origin even with the right token; nothing is written.
#[tokio::test]
async fn forged_missing_and_cross_site_forms_are_refused() {
    let app = start_app("").await;
    let token = app.csrf().await;
    let other = start_app("").await;
    let foreign_token = other.csrf().await;
    let before = braid::db::invoice_count(&app.db).await.unwrap();
    let fields = |csrf: &'static str| {
        vec![
            ("customer_id", "1"),
            ("amount", "12.34"),
            ("status", "paid"),
            ("form_key", "00112233445566778899aabbccddeeff"),
            ("csrf", csrf),
        ]
    };
    let leaked: &'static str = Box::leak(foreign_token.into_boxed_str());
    let good: &'static str = Box::leak(token.into_boxed_str());
    let cookie = app.cookie.as_str();
    for (case, fields, headers) in [
        (
            "no token",
            fields("")[..4].to_vec(),
            vec![("cookie", cookie)],
        ),
        ("empty token", fields(""), vec![("cookie", cookie)]),
        (
            "forged token",
            fields("0000000000000000000000000000000000000000000000000000000000000000"),
            vec![("cookie", cookie)],
        ),
        (
            "another session's token",
            fields(leaked),
            vec![("cookie", cookie)],
        ),
        (
            "another origin",
            fields(good),
            vec![("cookie", cookie), ("origin", "http://evil.example")],
        ),
        (
            "Origin: null",
            fields(good),
            vec![("cookie", cookie), ("origin", "null")],
        ),
        (
            "cross-site fetch",
            fields(good),
            vec![("cookie", cookie), ("sec-fetch-site", "cross-site")],
        ),
        (
            "same-site fetch",
            fields(good),
            vec![("cookie", cookie), ("sec-fetch-site", "same-site")],
        ),
    ] {
        for path in ["/invoices", "/invoices/1", "/invoices/1/delete", "/logout"] {
            let posted = app.post_with(path, &fields, &headers).await;
            assert_eq!(posted.status, 403, "{case}: POST {path}");
            assert!(
                posted.body.contains("refused") || posted.body.contains("expired"),
                "{case}: {}",
                posted.body
            );
        }
    }
    let login = app
        .post_with(
            "/login",
            &[("email", DEMO_EMAIL), ("password", DEMO_PASSWORD)],
            &[("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(login.status, 403, "a sign-in form posted from another site");
    let refused_logins = |metrics: &str| -> u64 {
        let line = r#"braid_http_requests_total{route="/login",status="403"} "#;
        metrics
            .lines()
            .find_map(|row| row.strip_prefix(line))
            .map_or(0, |count| count.trim().parse().expect("a count"))
    };
    let counted = refused_logins(&crate::util::record(&app.url("/metrics")).await.body());
    app.post_with(
        "/login",
        &[("email", DEMO_EMAIL), ("password", DEMO_PASSWORD)],
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert!(
        refused_logins(&crate::util::record(&app.url("/metrics")).await.body()) > counted,
        "a refused cross-site form is counted under its route"
    );
    assert_eq!(braid::db::invoice_count(&app.db).await.unwrap(), before);
    assert!(
        braid::db::invoice_by_id(&app.db, 1)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        get(&app, "/dashboard", &app.cookie).await.0,
        200,
        "still signed in"
    );

    let same_origin = app.url("");
    let posted = app
        .post_with(
            "/invoices",
            &fields(good),
            &[
                ("cookie", cookie),
                ("origin", same_origin.as_str()),
                ("sec-fetch-site", "same-origin"),
            ],
        )
        .await;
    assert_eq!(
        posted.status, 303,
        "the same form from this site goes through: {}",
        posted.body
    );
}

/// A form body over the limit gets `413`, signed in or not.
#[tokio::test]
async fn oversized_forms_get_413() {
    let app = start_app("").await;
    let token = app.csrf().await;
    let big = "x".repeat(20 * 1024);
    let posted = app
        .post(
            "/invoices",
            &[
                ("csrf", &token),
                ("customer_id", "1"),
                ("amount", &big),
                ("status", "paid"),
            ],
        )
        .await;
    assert_eq!(posted.status, 413);
    let login = app
        .post_with("/login", &[("email", &big), ("password", "x")], &[])
        .await;
    assert_eq!(login.status, 413);
}

/// The real binary: a new database gets the course's demo user; `--demo-user` replaces it
/// or (`none`) leaves it out; a user added with `braid user add` to the running server's
/// database signs in at once; `--secure-cookies` marks the cookie `Secure`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_users_and_added_users_sign_in() {
    use crate::reliability::Braid;
    let default = Braid::spawn(&[]).await;
    assert!(
        sign_in_as(&default.url(""), DEMO_EMAIL, DEMO_PASSWORD)
            .await
            .is_ok()
    );

    let login = record(&default.url("/login")).await.body();
    assert!(
        login.contains("Demo account: <code>user@nextmail.com</code>"),
        "the course's account is shown"
    );

    let none = Braid::spawn(&["--demo-user", "none"]).await;
    assert_eq!(
        sign_in_as(&none.url(""), DEMO_EMAIL, DEMO_PASSWORD)
            .await
            .unwrap_err()
            .0,
        422
    );
    add_user(&none.database(), "ops@example.com", "a long passphrase");
    let cookie = sign_in_as(&none.url(""), "ops@example.com", "a long passphrase")
        .await
        .unwrap();
    let removed = std::process::Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["user", "remove", "OPS@example.com", "--database"])
        .arg(none.database())
        .output()
        .expect("braid user remove");
    assert!(
        removed.status.success(),
        "{}",
        String::from_utf8_lossy(&removed.stderr)
    );
    // The server keeps a session it read for at most KEPT_FOR; another process's removal
    // (SQLite has no change feed) reaches it when that has passed.
    let removed_at = std::time::Instant::now();
    let mut status = get_status(&none.url("/dashboard"), &cookie).await;
    while status != 303 && removed_at.elapsed() < braid::db::sessions::KEPT_FOR * 3 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        status = get_status(&none.url("/dashboard"), &cookie).await;
    }
    assert_eq!(status, 303, "their sessions ended");
    assert!(
        removed_at.elapsed() <= braid::db::sessions::KEPT_FOR * 2,
        "within {:?}: {:?}",
        braid::db::sessions::KEPT_FOR,
        removed_at.elapsed()
    );
    assert_eq!(
        sign_in_as(&none.url(""), "ops@example.com", "a long passphrase")
            .await
            .unwrap_err()
            .0,
        422
    );

    // A database that has a real user never gets the demo account, and the sign-in page
    // does not advertise it, even with the default --demo-user.
    add_user(&none.database(), "real@example.com", "another passphrase");
    let mut first = none;
    first.restart_with(&[]).await;
    assert_eq!(
        sign_in_as(&first.url(""), DEMO_EMAIL, DEMO_PASSWORD)
            .await
            .unwrap_err()
            .0,
        422
    );
    let login = record(&first.url("/login")).await.body();
    assert!(!login.contains("Demo account"), "{login}");

    let own = Braid::spawn(&["--demo-user", "demo@acme.test:s3cret!", "--secure-cookies"]).await;
    assert_eq!(
        sign_in_as(&own.url(""), DEMO_EMAIL, DEMO_PASSWORD)
            .await
            .unwrap_err()
            .0,
        422
    );
    let posted = no_redirects()
        .post(own.url("/login"))
        .form(&[("email", "demo@acme.test"), ("password", "s3cret!")])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 303);
    let cookie = posted
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    let page = record(&own.url("/login")).await.body();
    assert!(
        !page.contains("s3cret!"),
        "an operator's password is never shown"
    );
}

/// Thirty wrong passwords for one account sent at once: no more than the limit (five) get
/// their password checked; the others are refused. Counting and checking the limit are one
/// transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_cannot_slip_past_the_limit() {
    let app = start_app("").await;
    let base = app.url("");
    let guesses = (0..30).map(|n| {
        let base = base.clone();
        async move {
            sign_in_as(&base, DEMO_EMAIL, &format!("guess {n}"))
                .await
                .unwrap_err()
                .0
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|status| **status == 422).count();
    let refused = statuses.iter().filter(|status| **status == 429).count();
    assert_eq!(checked + refused, 30, "{statuses:?}");
    assert_eq!(checked, 5, "exactly the limit were checked: {statuses:?}");
}

/// Forms that cannot be read get the app's error pages, not plain text; a `GET` of a
/// form-only address gets a `405` page; `GET /logout` changes nothing.
#[tokio::test]
async fn unreadable_forms_and_wrong_methods_get_real_pages() {
    let app = start_app("").await;
    let token = app.csrf().await;
    let twice = app
        .post(
            "/invoices",
            &[("csrf", &token), ("amount", "5"), ("amount", "6")],
        )
        .await;
    assert_eq!(twice.status, 400);
    assert!(
        twice.body.contains("This form could not be read") && twice.body.contains("<title>"),
        "{}",
        twice.body
    );
    let big = "x".repeat(20 * 1024);
    let login = app
        .post_with("/login", &[("email", &big), ("password", "x")], &[])
        .await;
    assert_eq!(login.status, 413);
    assert!(
        login.body.contains("larger than 16384 bytes") && login.body.contains("<title>"),
        "{}",
        login.body
    );
    let (status, _) = get(&app, "/invoices/1/delete", &app.cookie).await;
    assert_eq!(status, 405);
    let page =
        crate::util::record_with(&app.url("/invoices/1/delete"), &[("cookie", &app.cookie)]).await;
    assert!(page.body().contains("only takes a form"), "{}", page.body());
    assert_eq!(get(&app, "/logout", &app.cookie).await, (303, "/".into()));
    assert_eq!(
        get(&app, "/dashboard", &app.cookie).await.0,
        200,
        "still signed in"
    );
}

/// Behind a proxy (`--behind-proxy`), failures count against the address the proxy put
/// last in `X-Forwarded-For`; without it, against the TCP peer, whatever the header says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_proxy_failures_count_against_the_forwarded_address() {
    use crate::reliability::Braid;
    use sqlx::Connection;
    for (flags, expected) in [
        (&["--behind-proxy"][..], "address:198.51.100.2"),
        (&[][..], "address:127.0.0.1"),
    ] {
        let braid = Braid::spawn(flags).await;
        let posted = no_redirects()
            .post(braid.url("/login"))
            .header("x-forwarded-for", "203.0.113.9, 198.51.100.2")
            .form(&[("email", DEMO_EMAIL), ("password", "wrong")])
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 422);
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(braid.database())
            .read_only(true);
        let mut db = sqlx::SqliteConnection::connect_with(&options)
            .await
            .unwrap();
        let keys: Vec<String> =
            sqlx::query_scalar("select key from sign_in_failures where key like 'address:%'")
                .fetch_all(&mut db)
                .await
                .unwrap();
        assert_eq!(keys, [expected], "{flags:?}");
    }
}

/// `braid user add EMAIL` on `database`, the password on standard input.
fn add_user(database: &std::path::Path, email: &str, password: &str) {
    let mut add = std::process::Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["user", "add", email, "--database"])
        .arg(database)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("braid user add");
    let line = format!("{password}\n");
    std::io::Write::write_all(&mut add.stdin.take().expect("stdin"), line.as_bytes())
        .expect("write the password");
    assert!(
        add.wait().expect("braid user add").success(),
        "braid user add {email}"
    );
}

/// A session that sign-out deleted while another request of it was still running (on any
/// instance) is not brought back when that request saves it: saving only updates.
#[tokio::test]
async fn a_signed_out_session_stays_deleted() {
    use tower_sessions::SessionStore;
    use tower_sessions::session::{Id, Record};

    let app = start_app("").await;
    let store = braid::db::sessions::SqlSessionStore::new(app.db.clone());
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    store.create(&mut record).await.expect("create");
    assert!(store.load(&record.id).await.expect("load").is_some());
    // Sign-out on one instance...
    store.delete(&record.id).await.expect("delete");
    // ...then the request in flight on another one saves what it changed (a flash taken).
    record
        .data
        .insert("flash".to_string(), serde_json::json!("taken"));
    store.save(&record).await.expect("save");
    assert!(
        store.load(&record.id).await.expect("load").is_none(),
        "the deleted session is not re-created"
    );
}

/// An error page shows a signed-in reader their account and the sign-out button, as every
/// other page does; only a reader who is not signed in is offered "Log in". The 403 of a
/// forged form and the 404 of the fallback route (outside the sign-in guard) included.
#[tokio::test]
async fn error_pages_show_the_signed_in_account() {
    let app = start_app("").await;
    for (path, status) in [
        ("/no/such/page", 404),
        ("/invoices/99999", 404),
        ("/invoices/abc/edit", 404),
    ] {
        let page = app.record(path).await;
        assert_eq!(page.status, status, "{path}");
        let body = page.body();
        assert!(body.contains("Sign out"), "{path}: {body}");
        assert!(!body.contains("Log in"), "{path}: {body}");
        let (anonymous, _) = get(&app, path, "").await;
        let public = record(&app.url(path)).await.body();
        if anonymous == 404 {
            assert!(
                public.contains("Log in") && !public.contains("Sign out"),
                "{path}"
            );
        }
    }
    let forged = app
        .post(
            "/invoices/1/delete",
            &[("csrf", "forged"), ("version", "1")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(
        forged.body.contains("Sign out") && !forged.body.contains("Log in"),
        "{}",
        forged.body
    );
}
