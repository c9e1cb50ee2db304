//! Creating, editing and deleting invoices over HTTP on real SQLite files: the round trip
//! with its one-time messages, validation that keeps what was typed, conflicts between two
//! editors, the same form sent twice, hostile input, and totals that stay exact.

use braid::db::{self, InvoiceStatus};
use rand::{Rng, SeedableRng};

use crate::app::{Posted, TestApp, start_app};
use crate::util::SqliteOfDb;
use crate::util::{final_body, hidden_field};

/// A write that succeeded: `303` to the invoices page.
fn assert_back_on_the_list(posted: &Posted) {
    let landed = (posted.status, posted.location());
    assert_eq!(landed, (303, "/invoices"), "{}", posted.body);
}

/// A create form as a browser gets it: its CSRF token and its key.
async fn create_form(app: &TestApp) -> (String, String) {
    let page = app.record("/invoices/create").await;
    assert_eq!(page.status, 200);
    let body = page.body();
    (
        hidden_field(&body, "csrf").unwrap(),
        hidden_field(&body, "form_key").unwrap(),
    )
}

/// The version an edit form of invoice `id` carries.
async fn edit_version(app: &TestApp, id: i64) -> String {
    let page = app.record(&format!("/invoices/{id}/edit")).await;
    assert_eq!(page.status, 200, "edit form of {id}");
    hidden_field(&page.body(), "version").unwrap()
}

/// The message above the invoices table, if any.
async fn flash(app: &TestApp) -> Option<String> {
    let body = final_body(&app.record("/invoices").await.body());
    let start = body.find("<p class=\"flash\" role=\"status\">")?
        + "<p class=\"flash\" role=\"status\">".len();
    Some(body[start..start + body[start..].find("</p>")?].to_string())
}

/// Create, edit and delete, each a `303` to `/invoices` whose message shows once.
#[tokio::test]
async fn an_invoice_is_created_edited_and_deleted() {
    let app = start_app("").await;
    let (csrf, key) = create_form(&app).await;
    let posted = app
        .post(
            "/invoices",
            &[
                ("csrf", &csrf),
                ("form_key", &key),
                ("customer_id", "3"),
                ("amount", "$1,234.56"),
                ("status", "pending"),
            ],
        )
        .await;
    assert_back_on_the_list(&posted);
    let id: i64 = sqlx::query_scalar("select max(id) from invoices")
        .fetch_one(app.db.read())
        .await
        .unwrap();
    assert_eq!(flash(&app).await, Some(format!("Invoice #{id} created.")));
    assert_eq!(flash(&app).await, None, "a message shows once");
    let created = db::invoice_by_id(&app.db, id).await.unwrap().unwrap();
    assert_eq!(
        (created.customer_id, created.amount_cents, created.status),
        (3, 123_456, InvoiceStatus::Pending)
    );
    let today: String = sqlx::query_scalar("select date('now')")
        .fetch_one(app.db.read())
        .await
        .unwrap();
    assert_eq!(created.date, today);

    let edit = app.record(&format!("/invoices/{id}/edit")).await.body();
    assert!(
        edit.contains(r#"value="1234.56""#),
        "the form shows the amount: {edit}"
    );
    assert!(
        edit.contains(r#"<option value="3" selected>"#),
        "and the customer"
    );
    let version = hidden_field(&edit, "version").unwrap();
    let posted = app
        .post(
            &format!("/invoices/{id}"),
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("customer_id", "4"),
                ("amount", "99"),
                ("status", "paid"),
            ],
        )
        .await;
    assert_back_on_the_list(&posted);
    assert_eq!(flash(&app).await, Some(format!("Invoice #{id} saved.")));
    let edited = db::invoice_by_id(&app.db, id).await.unwrap().unwrap();
    assert_eq!(
        (
            edited.customer_id,
            edited.amount_cents,
            edited.status,
            edited.version
        ),
        (4, 9_900, InvoiceStatus::Paid, 2)
    );

    let delete = [("csrf", csrf.as_str()), ("version", "2")];
    let posted = app.post(&format!("/invoices/{id}/delete"), &delete).await;
    assert_back_on_the_list(&posted);
    assert_eq!(flash(&app).await, Some(format!("Invoice #{id} deleted.")));
    assert!(db::invoice_by_id(&app.db, id).await.unwrap().is_none());
    let again = app.post(&format!("/invoices/{id}/delete"), &delete).await;
    assert_eq!(again.status, 303, "deleting twice is not an error");
    assert_eq!(
        flash(&app).await,
        Some(format!("Invoice #{id} does not exist (any more)."))
    );
    assert_eq!(
        app.record(&format!("/invoices/{id}/edit")).await.status,
        404
    );
    let gone = app
        .post(
            &format!("/invoices/{id}"),
            &[
                ("csrf", &csrf),
                ("version", "2"),
                ("customer_id", "4"),
                ("amount", "1"),
                ("status", "paid"),
            ],
        )
        .await;
    assert_eq!(
        gone.status, 409,
        "saving a deleted invoice: the create form with the values"
    );
}

/// Fields sent, and texts the answer must contain.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);

/// Every kind of mistake gets `422`, the form again with what the user typed, a message at
/// each wrong field, and nothing written.
#[tokio::test]
async fn invalid_forms_come_back_with_what_was_typed() {
    let app = start_app("").await;
    let (csrf, key) = create_form(&app).await;
    let before = db::invoice_count(&app.db).await.unwrap();
    let cases: &[Case] = &[
        (
            &[],
            &["Choose a customer.", "Enter an amount.", "Choose a status."],
        ),
        (
            &[
                ("customer_id", "999999"),
                ("amount", "12"),
                ("status", "paid"),
            ],
            &["Choose a customer from the list."],
        ),
        (
            &[("customer_id", "abc"), ("amount", "12"), ("status", "paid")],
            &["Choose a customer from the list."],
        ),
        (
            &[("customer_id", "1"), ("amount", ""), ("status", "paid")],
            &["Enter an amount."],
        ),
        (
            &[("customer_id", "1"), ("amount", "0"), ("status", "paid")],
            &["Enter an amount greater than $0.00.", r#"value="0""#],
        ),
        (
            &[
                ("customer_id", "1"),
                ("amount", "-12.50"),
                ("status", "paid"),
            ],
            &["greater than $0.00", r#"value="-12.50""#],
        ),
        (
            &[
                ("customer_id", "1"),
                ("amount", "twelve"),
                ("status", "paid"),
            ],
            &[
                "Enter the amount in dollars, such as 12.34.",
                r#"value="twelve""#,
            ],
        ),
        (
            &[
                ("customer_id", "1"),
                ("amount", "12.345"),
                ("status", "paid"),
            ],
            &["at most two decimals"],
        ),
        (
            &[
                ("customer_id", "1"),
                ("amount", "10000000.01"),
                ("status", "paid"),
            ],
            &["Enter at most $10,000,000.00."],
        ),
        (
            &[("customer_id", "1"), ("amount", "12"), ("status", "payed")],
            &["Choose pending or paid."],
        ),
        (
            &[("customer_id", "2"), ("amount", "7"), ("status", "")],
            &[
                "Choose a status.",
                r#"<option value="2" selected>"#,
                r#"value="7""#,
            ],
        ),
    ];
    for (fields, expected) in cases {
        let mut form = vec![("csrf", csrf.as_str()), ("form_key", key.as_str())];
        form.extend_from_slice(fields);
        let posted = app.post("/invoices", &form).await;
        assert_eq!(posted.status, 422, "{fields:?}");
        for text in *expected {
            assert!(
                posted.body.contains(text),
                "{fields:?}: {text:?} in\n{}",
                posted.body
            );
        }
        assert!(posted.body.contains("aria-invalid=\"true\""), "{fields:?}");
        assert_eq!(
            hidden_field(&posted.body, "form_key").as_deref(),
            Some(key.as_str()),
            "the same form"
        );
    }
    let no_key = app
        .post(
            "/invoices",
            &[
                ("csrf", &csrf),
                ("customer_id", "1"),
                ("amount", "5"),
                ("status", "paid"),
            ],
        )
        .await;
    assert_eq!(no_key.status, 422);
    assert!(no_key.body.contains("This form is out of date."));
    assert_eq!(
        db::invoice_count(&app.db).await.unwrap(),
        before,
        "nothing written"
    );

    let version = edit_version(&app, 5).await;
    let posted = app
        .post(
            "/invoices/5",
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("customer_id", "1"),
                ("amount", "1.234"),
                ("status", "paid"),
            ],
        )
        .await;
    assert_eq!(posted.status, 422);
    assert!(
        posted.body.contains(r#"value="1.234""#) && posted.body.contains("at most two decimals")
    );
}

/// Two people open the same invoice; the second save does not overwrite the first: `409`
/// with the values now saved and the user's own, and saving again from there is a choice
/// made knowingly. Sending the first form twice is not a conflict.
#[tokio::test]
async fn the_second_of_two_edits_gets_a_conflict() {
    let app = start_app("").await;
    let csrf = app.csrf().await;
    let version = edit_version(&app, 7).await;
    let first = [
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("customer_id", "2"),
        ("amount", "111.11"),
        ("status", "paid"),
    ];
    assert_eq!(app.post("/invoices/7", &first).await.status, 303);
    assert_eq!(
        app.post("/invoices/7", &first).await.status,
        303,
        "the same form twice"
    );

    let second = [
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("customer_id", "3"),
        ("amount", "222.22"),
        ("status", "pending"),
    ];
    let posted = app.post("/invoices/7", &second).await;
    assert_eq!(posted.status, 409, "{}", posted.body);
    assert!(
        posted
            .body
            .contains("Someone else saved this invoice while you were editing it.")
    );
    assert!(posted.body.contains("$111.11"), "the values now saved");
    assert!(
        posted.body.contains(r#"value="222.22""#),
        "the user's own values"
    );
    let saved = db::invoice_by_id(&app.db, 7).await.unwrap().unwrap();
    assert_eq!(saved.amount_cents, 11_111, "nothing overwritten");

    let newer = hidden_field(&posted.body, "version").unwrap();
    assert_eq!(newer, (version.parse::<i64>().unwrap() + 1).to_string());
    let again = [
        ("csrf", csrf.as_str()),
        ("version", newer.as_str()),
        ("customer_id", "3"),
        ("amount", "222.22"),
        ("status", "pending"),
    ];
    assert_eq!(app.post("/invoices/7", &again).await.status, 303);
    assert_eq!(
        db::invoice_by_id(&app.db, 7)
            .await
            .unwrap()
            .unwrap()
            .amount_cents,
        22_222
    );

    let no_version = [
        ("csrf", csrf.as_str()),
        ("customer_id", "3"),
        ("amount", "1"),
        ("status", "paid"),
    ];
    assert_eq!(
        app.post("/invoices/7", &no_version).await.status,
        409,
        "a form that cannot say its version"
    );
}

/// A delete made from a page that showed an older version of the invoice deletes nothing:
/// `409`, the invoice as it is now, and a form to delete that version knowingly. A delete
/// without a version is asked again the same way.
#[tokio::test]
async fn a_delete_does_not_discard_a_save_it_has_not_seen() {
    let app = start_app("").await;
    let csrf = app.csrf().await;
    let list = app.record("/invoices/8").await.body();
    let seen = hidden_field(&final_body(&list), "version").expect("the delete form's version");
    let version = edit_version(&app, 8).await;
    assert_eq!(seen, version);
    let edit = [
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("customer_id", "5"),
        ("amount", "333.33"),
        ("status", "paid"),
    ];
    assert_eq!(app.post("/invoices/8", &edit).await.status, 303);

    for stale in [
        vec![("csrf", csrf.as_str()), ("version", seen.as_str())],
        vec![("csrf", csrf.as_str())],
    ] {
        let posted = app.post("/invoices/8/delete", &stale).await;
        assert_eq!(posted.status, 409, "{stale:?}: {}", posted.body);
        assert!(
            posted
                .body
                .contains("This invoice was saved after your page showed it.")
        );
        assert!(posted.body.contains("$333.33"), "the invoice as it is now");
        assert!(
            db::invoice_by_id(&app.db, 8).await.unwrap().is_some(),
            "nothing deleted"
        );
        let current = hidden_field(&posted.body, "version").unwrap();
        assert_eq!(current, (version.parse::<i64>().unwrap() + 1).to_string());
    }
    let knowingly = [("csrf", csrf.as_str()), ("version", "2")];
    assert_back_on_the_list(&app.post("/invoices/8/delete", &knowingly).await);
    assert!(db::invoice_by_id(&app.db, 8).await.unwrap().is_none());
}

/// Saving an invoice that someone deleted meanwhile loses nothing the user typed: `409`
/// and the create form holding their values, which creates one new invoice.
#[tokio::test]
async fn an_edit_of_a_deleted_invoice_keeps_what_was_typed() {
    let app = start_app("").await;
    let csrf = app.csrf().await;
    let version = edit_version(&app, 9).await;
    let delete = [("csrf", csrf.as_str()), ("version", version.as_str())];
    assert_back_on_the_list(&app.post("/invoices/9/delete", &delete).await);
    let edit = [
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("customer_id", "6"),
        ("amount", "444.44"),
        ("status", "paid"),
    ];
    let posted = app.post("/invoices/9", &edit).await;
    assert_eq!(posted.status, 409, "{}", posted.body);
    assert!(
        posted
            .body
            .contains("Invoice #9 was deleted while you were editing it.")
    );
    assert!(posted.body.contains(r#"value="444.44""#), "{}", posted.body);
    assert!(
        posted.body.contains(r#"action="/invoices""#),
        "the create form"
    );
    let key = hidden_field(&posted.body, "form_key").expect("a create form's key");
    let before = db::invoice_count(&app.db).await.unwrap();
    let create = [
        ("csrf", csrf.as_str()),
        ("form_key", key.as_str()),
        ("customer_id", "6"),
        ("amount", "444.44"),
        ("status", "paid"),
    ];
    assert_back_on_the_list(&app.post("/invoices", &create).await);
    assert_eq!(db::invoice_count(&app.db).await.unwrap(), before + 1);
}

/// The same create form sent twice at once, and again later (a retry): one invoice.
#[tokio::test]
async fn the_same_form_sent_twice_creates_one_invoice() {
    let app = start_app("").await;
    let (csrf, key) = create_form(&app).await;
    let before = db::invoice_count(&app.db).await.unwrap();
    let form = [
        ("csrf", csrf.as_str()),
        ("form_key", key.as_str()),
        ("customer_id", "1"),
        ("amount", "42"),
        ("status", "paid"),
    ];
    let (a, b) = tokio::join!(app.post("/invoices", &form), app.post("/invoices", &form));
    assert_eq!((a.status, b.status), (303, 303));
    let retry = app.post("/invoices", &form).await;
    assert_eq!(retry.status, 303);
    assert_eq!(db::invoice_count(&app.db).await.unwrap(), before + 1);
    let message = flash(&app).await.unwrap();
    assert!(
        message.starts_with("This form was already submitted: it created invoice #"),
        "{message}"
    );
}

/// A write is on the very next page of the instance that made it, though that page is
/// cached: the write's tags are dropped before its response is sent (read-your-writes), a
/// hundred times in a row.
#[tokio::test]
async fn the_next_page_after_a_write_reads_it_through_the_cache() {
    let app = start_app("").await;
    let card = |body: &str| crate::util::card_value(body, "Total invoices").replace(',', "");
    let dashboard = || async { final_body(&app.record("/dashboard").await.body()) };
    let mut count: u64 = card(&dashboard().await).parse().unwrap();
    assert_eq!(card(&dashboard().await), count.to_string(), "a cached page");
    for _ in 0..100 {
        let (csrf, key) = create_form(&app).await;
        let form = [
            ("csrf", csrf.as_str()),
            ("form_key", key.as_str()),
            ("customer_id", "1"),
            ("amount", "1.00"),
            ("status", "pending"),
        ];
        assert_eq!(app.post("/invoices", &form).await.status, 303);
        count += 1;
        assert_eq!(card(&dashboard().await), count.to_string());
    }
}

/// SQL metacharacters and markup in every field (the invoice form's, its key and version, the
/// sign-in form's and its `next`): refused, shown back escaped, the tables
/// intact; and markup in stored text is escaped on every page that shows it.
#[tokio::test]
async fn markup_and_sql_in_every_field_are_inert() {
    let app = start_app("").await;
    let (csrf, key) = create_form(&app).await;
    let hostile = [
        "<script>alert(1)</script>",
        "1 OR 1=1",
        "1; drop table invoices; --",
        "' or ''='",
        "\"><img src=x onerror=alert(1)>",
    ];
    let raw = |body: &str| body.contains("<script>alert(1)") || body.contains("<img src=x");
    for (n, value) in hostile.into_iter().enumerate() {
        for field in ["customer_id", "amount", "status", "form_key"] {
            let mut form = vec![
                ("csrf", csrf.as_str()),
                ("form_key", key.as_str()),
                ("customer_id", "1"),
                ("amount", "5"),
                ("status", "paid"),
            ];
            form.retain(|(name, _)| *name != field);
            form.push((field, value));
            let posted = app.post("/invoices", &form).await;
            assert_eq!(posted.status, 422, "{field}={value}");
            assert!(
                !posted.body.contains("<script>alert(1)") && !posted.body.contains("<img src=x"),
                "{field}={value} reflected raw"
            );
        }
        let (status, body) = crate::util::sign_in_as(&app.url(""), value, "x")
            .await
            .unwrap_err();
        assert_eq!(status, 422);
        assert!(!raw(&body), "email={value} reflected raw");
        let nobody = format!("nobody{n}@example.com");
        let (status, body) = crate::util::sign_in_as(&app.url(""), &nobody, value)
            .await
            .unwrap_err();
        assert_eq!((status, raw(&body)), (422, false), "password={value}");
        let next: String =
            form_urlencoded::byte_serialize(format!("/{value}").as_bytes()).collect();
        let login = crate::util::record(&app.url(&format!("/login?next={next}"))).await;
        assert_eq!(
            (login.status, raw(&login.body())),
            (200, false),
            "next={value}"
        );
        let version = [
            ("csrf", csrf.as_str()),
            ("version", value),
            ("customer_id", "1"),
            ("amount", "5.01"),
            ("status", "paid"),
        ];
        for path in ["/invoices/1", "/invoices/1/delete"] {
            let posted = app.post(path, &version).await;
            assert_eq!(
                posted.status, 409,
                "{path} version={value}: {}",
                posted.body
            );
            assert!(!raw(&posted.body), "{path} version={value} reflected raw");
        }
    }
    let amount = app
        .post(
            "/invoices",
            &[
                ("csrf", &csrf),
                ("form_key", &key),
                ("customer_id", "1"),
                ("amount", "<b>5</b>"),
                ("status", "paid"),
            ],
        )
        .await;
    assert!(
        amount.body.contains("value=\"&lt;b&gt;5&lt;/b&gt;\""),
        "typed markup comes back escaped"
    );
    assert_eq!(
        db::invoice_count(&app.db).await.unwrap(),
        600,
        "nothing written, nothing dropped"
    );
    assert_eq!(db::customer_count(&app.db).await.unwrap(), 30);

    // Markup in stored text (a customer's name) is escaped on every page that shows it.
    let name = "<script>alert(1)</script> & Co";
    let latest = db::latest_invoices(&app.db, 1).await.unwrap().remove(0);
    sqlx::query("update customers set name = ?1 where id = ?2")
        .bind(name)
        .bind(latest.customer_id)
        .execute(app.db.write())
        .await
        .unwrap();
    for path in [
        "/dashboard".to_string(),
        "/invoices".to_string(),
        format!("/invoices/{}", latest.id),
        format!("/invoices/{}/edit", latest.id),
        "/invoices/create".to_string(),
        "/customers".to_string(),
    ] {
        let body = final_body(&app.record(&path).await.body());
        let escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co";
        assert!(body.contains(escaped), "{path} shows the name, escaped");
        assert!(!body.contains("<script>alert(1)"), "{path} never raw");
    }
}

/// 1,000 random creates, edits and deletes through HTTP; then every figure on the dashboard
/// (four cards, the chart's bars) equals a recomputation from the raw invoice rows, and so
/// does every month of the summary table the triggers keep. The dashboard is cached before
/// the writes and read through the cache after them: the writes' invalidations reach it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_figures_stay_exact_after_random_writes() {
    let app = start_app("").await;
    let (csrf, _) = create_form(&app).await;
    assert_eq!(
        app.record("/dashboard").await.status,
        200,
        "cached before the writes"
    );
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(10);
    let (mut created, mut deleted) = (0, 0);
    for n in 0..1_000 {
        let ids: Vec<(i64, i64)> =
            sqlx::query_as("select id, version from invoices order by random() limit 1")
                .fetch_all(app.db.read())
                .await
                .unwrap();
        let customer = rng.random_range(1..=30).to_string();
        let amount = format!(
            "{}.{:02}",
            rng.random_range(0..5_000),
            rng.random_range(0..100)
        );
        let status = if rng.random_bool(0.5) {
            "paid"
        } else {
            "pending"
        };
        let key = format!("{n:032x}");
        let (path, form) = match (rng.random_range(0..10), ids.first()) {
            (0..=4, _) | (_, None) => (
                "/invoices".to_string(),
                vec![
                    ("form_key", key),
                    ("customer_id", customer),
                    ("amount", amount),
                    ("status", status.into()),
                ],
            ),
            (5..=7, Some((id, version))) => (
                format!("/invoices/{id}"),
                vec![
                    ("version", version.to_string()),
                    ("customer_id", customer),
                    ("amount", amount),
                    ("status", status.into()),
                ],
            ),
            (_, Some((id, version))) => (
                format!("/invoices/{id}/delete"),
                vec![("version", version.to_string())],
            ),
        };
        let mut fields: Vec<(&str, &str)> = form
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        fields.push(("csrf", &csrf));
        let zero = fields.contains(&("amount", "0.00"));
        let posted = app.post(&path, &fields).await;
        // An amount of $0.00 is refused; everything else lands.
        let expected = if zero { 422 } else { 303 };
        assert_eq!(
            posted.status, expected,
            "{path} {fields:?}: {}",
            posted.body
        );
        if posted.status == 303 && path == "/invoices" {
            created += 1;
        } else if posted.status == 303 && path.ends_with("/delete") {
            deleted += 1;
        }
    }
    let count = db::invoice_count(&app.db).await.unwrap();
    assert_eq!(
        count,
        600 + created - deleted,
        "every acknowledged write landed"
    );
    assert!(
        created > 300 && deleted > 100,
        "{created} creates, {deleted} deletes"
    );

    let (paid, pending, count): (i64, i64, i64) = sqlx::query_as(
        "select coalesce(sum(iif(status = 'paid', amount_cents, 0)), 0), coalesce(sum(iif(status = 'pending', amount_cents, 0)), 0), count(*) from invoices",
    )
    .fetch_one(app.db.read())
    .await
    .unwrap();
    let customers: i64 = sqlx::query_scalar("select count(*) from customers")
        .fetch_one(app.db.read())
        .await
        .unwrap();
    let dashboard = final_body(&app.record("/dashboard?stream=off").await.body());
    use braid::app::components::format::{dollars, thousands, whole_dollars};
    for (label, value) in [
        ("Collected", dollars(paid)),
        ("Pending", dollars(pending)),
        ("Total invoices", thousands(count as u64)),
        ("Total customers", thousands(customers as u64)),
    ] {
        let card =
            format!("<p class=\"card-label\">{label}</p><p class=\"card-value\">{value}</p>");
        assert!(dashboard.contains(&card), "{card} in\n{dashboard}");
    }
    let months: Vec<(String, i64)> = sqlx::query_as(
        "select substr(date, 1, 7) as month, sum(iif(status = 'paid', amount_cents, 0)) from invoices group by month order by month desc limit 12",
    )
    .fetch_all(app.db.read())
    .await
    .unwrap();
    for (month, cents) in &months {
        let bar = format!("<title>{month}: {}</title>", whole_dollars(*cents));
        assert!(dashboard.contains(&bar), "{bar} in the chart");
    }
    // Both ways: a month kept but wrong or extra, and a month of invoices not kept.
    let drift: i64 = sqlx::query_scalar(
        "with kept as (
            select month, paid_cents, pending_cents, invoice_count from revenue_by_month where invoice_count > 0
         ), counted as (
            select substr(date, 1, 7) as month, sum(iif(status = 'paid', amount_cents, 0)), sum(iif(status = 'pending', amount_cents, 0)), count(*) from invoices group by 1
         )
         select (select count(*) from (select * from kept except select * from counted))
              + (select count(*) from (select * from counted except select * from kept))",
    )
    .fetch_one(app.db.read())
    .await
    .unwrap();
    assert_eq!(
        drift, 0,
        "every month of revenue_by_month equals its invoices"
    );
    crate::db::assert_search_index_agrees(&app.db, "1,000 random writes").await;
}
