//! The data layer against real SQLite files in temporary directories: migrations, the
//! seeder, every query on a small hand-made data set, hostile search input, the triggers.
//!
//! Run with
//! ```not_rust
//! cargo test --test integration db::
//! ```
//! and the million-invoice timings (release build, a minute or so) with
//! ```not_rust
//! cargo test --release --test integration db::bench -- --ignored --nocapture
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::util::SqliteOfDb;
use braid::db::{
    self, Customer, CustomerSummary, Db, DbError, InvoiceRow, InvoiceStatus, MonthRevenue,
    PageCount,
};
use braid::db::{SeedSize, seed::reseed};
use tempfile::TempDir;

/// A fresh directory and the path of a database file two levels down (not yet created).
fn temp_path() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nested").join("dir").join("test.sqlite3");
    (dir, path)
}

/// An empty, migrated database.
async fn empty_db() -> (TempDir, Db) {
    let (dir, path) = temp_path();
    let db = Db::open_without_seed(&path.clone().into())
        .await
        .expect("open");
    (dir, db)
}

async fn exec(db: &Db, sql: &'static str) {
    sqlx::query(sql).execute(db.write()).await.expect(sql);
}

/// Four customers and six invoices, inserted by hand, with the triggers on. Every expected
/// number in the tests below is worked out from this table, not by the SQL under test.
///
/// | invoice | customer         | amount   | status  | date       |
/// |--------:|------------------|---------:|---------|------------|
/// | 1       | 1 Ada Lovelace   | 1234.56  | paid    | 2026-01-15 |
/// | 2       | 1 Ada Lovelace   |  500.00  | pending | 2026-03-02 |
/// | 3       | 2 Bob O'Brien    |   75.00  | paid    | 2026-03-20 |
/// | 4       | 2 Bob O'Brien    |    1.99  | pending | 2025-12-31 |
/// | 5       | 3 Zoë 100%_Real  | 1000.00  | paid    | 2026-03-20 |
/// | 6       | 1 Ada Lovelace   |   25.00  | paid    | 2025-12-01 |
///
/// Customer 4, Carl Noinvoices, has none.
async fn known_db() -> (TempDir, Db) {
    let (dir, db) = empty_db().await;
    exec(
        &db,
        r#"
        insert into customers (id, name, email, avatar_color, initials) values
            (1, 'Ada Lovelace', 'ada@example.com', '#2563eb', 'AL'),
            (2, 'Bob O''Brien', 'bob.obrien@example.org', '#dc2626', 'BO'),
            (3, 'Zoë 100%_Real', 'zoe@example.net', '#16a34a', 'Z1'),
            (4, 'Carl Noinvoices', 'carl@example.com', '#7c3aed', 'CN');
        insert into invoices (id, customer_id, amount_cents, status, date) values
            (1, 1, 123456, 'paid', '2026-01-15'),
            (2, 1, 50000, 'pending', '2026-03-02'),
            (3, 2, 7500, 'paid', '2026-03-20'),
            (4, 2, 199, 'pending', '2025-12-31'),
            (5, 3, 100000, 'paid', '2026-03-20'),
            (6, 1, 2500, 'paid', '2025-12-01');
        "#,
    )
    .await;
    (dir, db)
}

fn ids(rows: &[db::InvoiceRow]) -> Vec<i64> {
    rows.iter().map(|row| row.id).collect()
}

async fn search_ids(db: &Db, query: &str) -> Vec<i64> {
    ids(&db::search_invoices(db, query, 1, 100).await.expect(query))
}

fn month(month: &str, revenue_cents: i64) -> MonthRevenue {
    MonthRevenue {
        month: month.to_string(),
        revenue_cents,
    }
}

/// Migrations apply to a new file (in a directory that does not exist yet) and again,
/// as a no-op, to the migrated file.
#[tokio::test]
async fn migrations_apply_to_an_empty_file() {
    let (_dir, path) = temp_path();
    let db = Db::open_without_seed(&path.clone().into())
        .await
        .expect("first open");
    let applied: i64 = sqlx::query_scalar("select count(*) from _sqlx_migrations")
        .fetch_one(db.read())
        .await
        .expect("migrations table");
    let files = std::fs::read_dir("migrations/sqlite")
        .expect("migrations dir")
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count();
    assert_eq!(
        applied,
        i64::try_from(files).unwrap(),
        "every migration file applied"
    );
    assert_eq!(
        db::user_count(&db).await.ok(),
        Some(0),
        "no user without --demo-user"
    );
    assert_eq!(db::customer_count(&db).await.ok(), Some(0));
    assert_eq!(db::invoice_count(&db).await.ok(), Some(0));
    assert_eq!(db::total_collected_cents(&db).await.ok(), Some(0));
    assert_eq!(db::monthly_revenue(&db, 12).await.ok(), Some(vec![]));
    assert_eq!(
        db::invoice_pages(&db, "", 10).await.ok(),
        Some(PageCount::Exactly(1))
    );
    db.close().await;

    let again = Db::open_without_seed(&path.clone().into())
        .await
        .expect("second open");
    assert_eq!(db::customer_count(&again).await.ok(), Some(0));
}

/// The read pool is `query_only`: a write through it fails instead of racing the writer.
#[tokio::test]
async fn read_pool_refuses_writes() {
    let (_dir, db) = known_db().await;
    let write = sqlx::query("delete from invoices").execute(db.read()).await;
    assert!(write.is_err());
    assert_eq!(db::invoice_count(&db).await.ok(), Some(6));
}

/// An unusable path gives an error that names it.
#[tokio::test]
async fn open_errors_name_the_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A directory where the file should be.
    let error = Db::open_without_seed(&dir.path().into())
        .await
        .expect_err("a directory");
    assert!(matches!(error, DbError::Open { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains(&dir.path().display().to_string()),
        "{error}"
    );
}

#[tokio::test]
async fn dashboard_totals() {
    let (_dir, db) = known_db().await;
    // 1234.56 + 75.00 + 1000.00 + 25.00
    assert_eq!(db::total_collected_cents(&db).await.ok(), Some(233_456));
    // 500.00 + 1.99
    assert_eq!(db::total_pending_cents(&db).await.ok(), Some(50_199));
    assert_eq!(db::invoice_count(&db).await.ok(), Some(6));
    assert_eq!(db::customer_count(&db).await.ok(), Some(4));
}

/// The chart ends at the newest month with data, oldest first, with empty months as 0.
#[tokio::test]
async fn monthly_revenue_fills_gaps() {
    let (_dir, db) = known_db().await;
    let expected = vec![
        month("2025-11", 0),
        month("2025-12", 2_500),
        month("2026-01", 123_456),
        month("2026-02", 0),
        month("2026-03", 107_500),
    ];
    assert_eq!(db::monthly_revenue(&db, 5).await.ok(), Some(expected));
    assert_eq!(
        db::monthly_revenue(&db, 1).await.ok(),
        Some(vec![month("2026-03", 107_500)])
    );
    assert_eq!(db::monthly_revenue(&db, 0).await.ok(), Some(vec![]));
    // Across a year boundary and far back: 600 months at most, still oldest first.
    let long = db::monthly_revenue(&db, u32::MAX)
        .await
        .expect("long chart");
    assert_eq!(long.len(), 600);
    assert_eq!(long.first().map(|m| m.month.as_str()), Some("1976-04"));
    assert_eq!(long.last(), Some(&month("2026-03", 107_500)));
}

#[tokio::test]
async fn latest_invoices_newest_first_with_customer() {
    let (_dir, db) = known_db().await;
    let latest = db::latest_invoices(&db, 3).await.expect("latest");
    // Same date 2026-03-20: the higher number first.
    assert_eq!(ids(&latest), vec![5, 3, 2]);
    let first = &latest[0];
    assert_eq!(first.customer_name, "Zoë 100%_Real");
    assert_eq!(first.customer_email, "zoe@example.net");
    assert_eq!(first.avatar_color, "#16a34a");
    assert_eq!(first.initials, "Z1");
    assert_eq!(first.amount_cents, 100_000);
    assert_eq!(first.status, InvoiceStatus::Paid);
    assert_eq!(first.date, "2026-03-20");
    assert_eq!(
        ids(&db::latest_invoices(&db, u32::MAX).await.expect("all")).len(),
        6
    );
}

#[tokio::test]
async fn search_matches_each_field_case_insensitively() {
    let (_dir, db) = known_db().await;
    // Name, any case; newest first.
    assert_eq!(search_ids(&db, "ada").await, vec![2, 1, 6]);
    assert_eq!(search_ids(&db, "LOVELACE").await, vec![2, 1, 6]);
    // Email.
    assert_eq!(search_ids(&db, "Example.ORG").await, vec![3, 4]);
    // Amount, as typed.
    assert_eq!(search_ids(&db, "1234.56").await, vec![1]);
    assert_eq!(search_ids(&db, "1234").await, vec![1]);
    assert_eq!(search_ids(&db, "$1,234.56").await, vec![1]);
    assert_eq!(search_ids(&db, "1.99").await, vec![4]);
    assert_eq!(search_ids(&db, "500").await, vec![2]);
    // Date and month.
    assert_eq!(search_ids(&db, "2026-03").await, vec![5, 3, 2]);
    assert_eq!(search_ids(&db, "2025-12-31").await, vec![4]);
    // Status.
    assert_eq!(search_ids(&db, "Pending").await, vec![2, 4]);
    assert_eq!(search_ids(&db, "PAID").await, vec![5, 3, 1, 6]);
    // Unicode, and surrounding blanks.
    assert_eq!(search_ids(&db, "  zoë ").await, vec![5]);
    // Empty: everything, newest first.
    assert_eq!(search_ids(&db, "").await, vec![5, 3, 2, 1, 4, 6]);
    assert_eq!(search_ids(&db, "nobody").await, Vec::<i64>::new());
}

/// `%`, `_`, `\` and quotes are characters like any other, and SQL in the query is text.
#[tokio::test]
async fn search_treats_metacharacters_literally() {
    let (_dir, db) = known_db().await;
    assert_eq!(search_ids(&db, "%").await, vec![5]);
    assert_eq!(search_ids(&db, "_").await, vec![5]);
    assert_eq!(search_ids(&db, "100%_").await, vec![5]);
    assert_eq!(search_ids(&db, "%%%").await, Vec::<i64>::new());
    assert_eq!(search_ids(&db, "a_a").await, Vec::<i64>::new());
    assert_eq!(search_ids(&db, r"\").await, Vec::<i64>::new());
    assert_eq!(search_ids(&db, "o'b").await, vec![3, 4]);
    assert_eq!(search_ids(&db, "\"").await, Vec::<i64>::new());
    let injection = "'; drop table invoices; --";
    assert_eq!(search_ids(&db, injection).await, Vec::<i64>::new());
    assert_eq!(search_ids(&db, "') or 1=1 --").await, Vec::<i64>::new());
    // A NUL would cut a C-string pattern short (to `%`, matching everything).
    assert_eq!(search_ids(&db, "ada\0").await, Vec::<i64>::new());
    assert_eq!(
        db::invoice_pages(&db, "\0", 1).await.ok(),
        Some(PageCount::Exactly(1))
    );
    assert_eq!(db::invoice_count(&db).await.ok(), Some(6));
}

/// A 10 KB query and absurd page numbers return empty pages, not errors or panics.
#[tokio::test]
async fn search_survives_hostile_sizes() {
    let (_dir, db) = known_db().await;
    let long = "ä%_'".repeat(2_560);
    assert!(long.len() > 10_000);
    assert_eq!(search_ids(&db, &long).await, Vec::<i64>::new());
    assert_eq!(
        db::invoice_pages(&db, &long, 10).await.ok(),
        Some(PageCount::Exactly(1))
    );
    assert_eq!(
        db::customers_with_totals(&db, &long).await.ok(),
        Some(vec![])
    );
    // Just within the limit still goes to SQLite, and matches nothing.
    let longest = "%".repeat(db::MAX_SEARCH_CHARS);
    assert_eq!(search_ids(&db, &longest).await, Vec::<i64>::new());

    for (page, per_page) in [(u32::MAX, u32::MAX), (u32::MAX, 1), (2, u32::MAX)] {
        let rows = db::search_invoices(&db, "", page, per_page)
            .await
            .expect("huge page");
        assert!(rows.is_empty(), "page {page} of {per_page}");
    }
    let rows = db::search_invoices(&db, "", 0, 0).await.expect("page 0");
    assert_eq!(ids(&rows), vec![5], "page 0 reads as 1, per_page 0 as 1");
}

#[tokio::test]
async fn search_pages_and_page_count() {
    let (_dir, db) = known_db().await;
    let page = |n| db::search_invoices(&db, "", n, 2);
    assert_eq!(ids(&page(1).await.expect("1")), vec![5, 3]);
    assert_eq!(ids(&page(2).await.expect("2")), vec![2, 1]);
    assert_eq!(ids(&page(3).await.expect("3")), vec![4, 6]);
    assert_eq!(ids(&page(4).await.expect("4")), Vec::<i64>::new());

    assert_eq!(
        db::invoice_pages(&db, "", 2).await.ok(),
        Some(PageCount::Exactly(3))
    );
    assert_eq!(
        db::invoice_pages(&db, "", 4).await.ok(),
        Some(PageCount::Exactly(2))
    );
    assert_eq!(
        db::invoice_pages(&db, "", 6).await.ok(),
        Some(PageCount::Exactly(1))
    );
    assert_eq!(
        db::invoice_pages(&db, "", 0).await.ok(),
        Some(PageCount::Exactly(6))
    );
    assert_eq!(
        db::invoice_pages(&db, "ADA", 2).await.ok(),
        Some(PageCount::Exactly(2))
    );
    assert_eq!(
        db::invoice_pages(&db, "1234", 2).await.ok(),
        Some(PageCount::Exactly(1))
    );
    assert_eq!(
        db::invoice_pages(&db, "nobody", 2).await.ok(),
        Some(PageCount::Exactly(1))
    );
    assert_eq!(
        db::invoice_pages(&db, "%", u32::MAX).await.ok(),
        Some(PageCount::Exactly(1))
    );
}

#[tokio::test]
async fn customers_with_totals_groups_by_customer() {
    let (_dir, db) = known_db().await;
    let summary = |id, name: &str, email: &str, color: &str, initials: &str, n, paid, pending| {
        CustomerSummary {
            id,
            name: name.to_string(),
            email: email.to_string(),
            avatar_color: color.to_string(),
            initials: initials.to_string(),
            invoice_count: n,
            paid_cents: paid,
            pending_cents: pending,
        }
    };
    let ada = summary(
        1,
        "Ada Lovelace",
        "ada@example.com",
        "#2563eb",
        "AL",
        3,
        125_956,
        50_000,
    );
    let bob = summary(
        2,
        "Bob O'Brien",
        "bob.obrien@example.org",
        "#dc2626",
        "BO",
        2,
        7_500,
        199,
    );
    let carl = summary(
        4,
        "Carl Noinvoices",
        "carl@example.com",
        "#7c3aed",
        "CN",
        0,
        0,
        0,
    );
    let zoe = summary(
        3,
        "Zoë 100%_Real",
        "zoe@example.net",
        "#16a34a",
        "Z1",
        1,
        100_000,
        0,
    );

    let all = db::customers_with_totals(&db, "").await.expect("all");
    assert_eq!(
        all,
        vec![ada.clone(), bob.clone(), carl.clone(), zoe.clone()]
    );
    let by_email = db::customers_with_totals(&db, "EXAMPLE.COM")
        .await
        .expect("email");
    assert_eq!(by_email, vec![ada, carl]);
    assert_eq!(
        db::customers_with_totals(&db, "o'b").await.ok(),
        Some(vec![bob])
    );
    assert_eq!(
        db::customers_with_totals(&db, "%").await.ok(),
        Some(vec![zoe])
    );
    assert_eq!(
        db::customers_with_totals(&db, "_x").await.ok(),
        Some(vec![])
    );
}

#[tokio::test]
async fn lookups_by_id() {
    let (_dir, db) = known_db().await;
    let invoice = db::invoice_by_id(&db, 4)
        .await
        .expect("query")
        .expect("invoice 4");
    assert_eq!(
        (
            invoice.customer_id,
            invoice.amount_cents,
            invoice.status,
            invoice.date.as_str()
        ),
        (2, 199, InvoiceStatus::Pending, "2025-12-31")
    );
    assert_eq!(invoice.customer_name, "Bob O'Brien");
    assert_eq!(db::invoice_by_id(&db, 999).await.ok(), Some(None));
    assert_eq!(db::invoice_by_id(&db, -1).await.ok(), Some(None));

    let carl = Customer {
        id: 4,
        name: "Carl Noinvoices".to_string(),
        email: "carl@example.com".to_string(),
        avatar_color: "#7c3aed".to_string(),
        initials: "CN".to_string(),
    };
    assert_eq!(db::customer_by_id(&db, 4).await.ok(), Some(Some(carl)));
    assert_eq!(db::customer_by_id(&db, 999).await.ok(), Some(None));

    let others = |except, limit| db::invoices_of_customer(&db, 1, except, limit);
    assert_eq!(
        ids(&others(Some(2), 10).await.expect("except 2")),
        vec![1, 6]
    );
    assert_eq!(ids(&others(None, 2).await.expect("limit 2")), vec![2, 1]);
    assert_eq!(
        ids(&others(None, u32::MAX).await.expect("all")),
        vec![2, 1, 6]
    );
    let none = db::invoices_of_customer(&db, 4, None, 10)
        .await
        .expect("carl");
    assert!(none.is_empty());
}

/// `customer_totals` (what `/customers` reads) equals the sums over the invoices themselves.
async fn assert_customer_totals_agree(db: &Db, after: &str) {
    let kept: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "select customer_id, invoice_count, paid_cents, pending_cents from customer_totals \
         where invoice_count > 0 order by customer_id",
    )
    .fetch_all(db.read())
    .await
    .unwrap();
    let counted: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "select customer_id, count(*), sum(iif(status = 'paid', amount_cents, 0)), \
         sum(iif(status = 'pending', amount_cents, 0)) from invoices group by customer_id \
         order by customer_id",
    )
    .fetch_all(db.read())
    .await
    .unwrap();
    assert_eq!(kept, counted, "customer_totals after {after}");
    assert_search_index_agrees(db, after).await;
}

/// `invoice_search` holds each invoice's date and amount under the invoice's key, and
/// nothing else.
pub async fn assert_search_index_agrees(db: &Db, after: &str) {
    let drift: i64 = sqlx::query_scalar(
        "with expected as (
            select (unixepoch(date) / 86400) * 1099511627776 + id as key,
                   date || ' ' || printf('%d.%02d', amount_cents / 100, amount_cents % 100) as text
            from invoices
         ), indexed as (select rowid as key, text from invoice_search)
         select (select count(*) from (select * from expected except select * from indexed))
              + (select count(*) from (select * from indexed except select * from expected))",
    )
    .fetch_one(db.read())
    .await
    .unwrap();
    assert_eq!(drift, 0, "invoice_search after {after}");
}

/// Inserts, updates and deletes (also by cascade) keep `revenue_by_month` and
/// `customer_totals` right.
#[tokio::test]
async fn triggers_keep_monthly_revenue_right() {
    let (_dir, db) = known_db().await;

    // A new paid invoice in a new month.
    exec(
        &db,
        "insert into invoices (id, customer_id, amount_cents, status, date) \
         values (7, 4, 4000, 'paid', '2026-04-10')",
    )
    .await;
    assert_eq!(
        db::monthly_revenue(&db, 2).await.ok(),
        Some(vec![month("2026-03", 107_500), month("2026-04", 4_000)])
    );
    assert_eq!(db::total_collected_cents(&db).await.ok(), Some(237_456));
    assert_eq!(db::invoice_count(&db).await.ok(), Some(7));
    assert_customer_totals_agree(&db, "an insert").await;

    // Invoice 2 (500.00, 2026-03) gets paid.
    exec(&db, "update invoices set status = 'paid' where id = 2").await;
    assert_eq!(db::total_collected_cents(&db).await.ok(), Some(287_456));
    assert_eq!(db::total_pending_cents(&db).await.ok(), Some(199));
    assert_eq!(
        db::monthly_revenue(&db, 2).await.ok(),
        Some(vec![month("2026-03", 157_500), month("2026-04", 4_000)])
    );

    assert_customer_totals_agree(&db, "a status change").await;
    exec(&db, "update invoices set customer_id = 4 where id = 3").await;
    assert_customer_totals_agree(&db, "a change of customer").await;
    exec(&db, "update invoices set customer_id = 2 where id = 3").await;

    // Invoice 5 (1000.00) moves from 2026-03 to 2026-02, and its amount changes.
    exec(
        &db,
        "update invoices set date = '2026-02-11', amount_cents = 90000 where id = 5",
    )
    .await;
    assert_eq!(
        db::monthly_revenue(&db, 3).await.ok(),
        Some(vec![
            month("2026-02", 90_000),
            month("2026-03", 57_500),
            month("2026-04", 4_000)
        ])
    );
    assert_search_index_agrees(&db, "a new date and amount").await;
    exec(&db, "update invoices set id = 50 where id = 5").await;
    assert_search_index_agrees(&db, "a new id").await;
    exec(&db, "update invoices set id = 5 where id = 50").await;
    // The index keys hold ids below 2^40.
    for beyond in [
        "insert into invoices (id, customer_id, amount_cents, status, date) values (1099511627776, 1, 1, 'paid', '2026-01-01')",
        "update invoices set id = -2 where id = 5",
    ] {
        assert!(
            sqlx::query(beyond).execute(db.write()).await.is_err(),
            "{beyond}"
        );
    }
    assert_search_index_agrees(&db, "refused ids").await;

    // Deleting the only April invoice: the chart ends at March again.
    exec(&db, "delete from invoices where id = 7").await;
    assert_eq!(
        db::monthly_revenue(&db, 1).await.ok(),
        Some(vec![month("2026-03", 57_500)])
    );

    assert_customer_totals_agree(&db, "a delete").await;

    // Deleting Ada deletes her three invoices (1234.56 and 25.00 paid, 500.00 now paid).
    exec(&db, "delete from customers where id = 1").await;
    assert_customer_totals_agree(&db, "a customer's delete").await;
    assert_eq!(db::invoice_count(&db).await.ok(), Some(3));
    assert_eq!(db::total_collected_cents(&db).await.ok(), Some(97_500));
    assert_eq!(db::total_pending_cents(&db).await.ok(), Some(199));
    assert_eq!(
        db::monthly_revenue(&db, 4).await.ok(),
        Some(vec![
            month("2025-12", 0),
            month("2026-01", 0),
            month("2026-02", 90_000),
            month("2026-03", 7_500)
        ])
    );
}

/// The schema's checks reject bad statuses, malformed dates and dangling customers.
#[tokio::test]
async fn schema_rejects_bad_rows() {
    let (_dir, db) = known_db().await;
    for bad in [
        "insert into invoices (customer_id, amount_cents, status, date) values (1, 1, 'payed', '2026-01-01')",
        "insert into invoices (customer_id, amount_cents, status, date) values (1, 1, 'paid', '2026-02-30')",
        "insert into invoices (customer_id, amount_cents, status, date) values (1, 1, 'paid', '2026-1-5')",
        "insert into invoices (customer_id, amount_cents, status, date) values (1, -5, 'paid', '2026-01-01')",
        "insert into invoices (customer_id, amount_cents, status, date) values (99, 1, 'paid', '2026-01-01')",
        "insert into customers (name, email, avatar_color, initials) values ('A', 'ada@example.com', '', '')",
    ] {
        assert!(sqlx::query(bad).execute(db.write()).await.is_err(), "{bad}");
    }
    assert_eq!(db::invoice_count(&db).await.ok(), Some(6));
}

type InvoiceDump = (i64, i64, i64, String, String);

/// Every row of a database, in id order.
async fn dump(
    db: &Db,
) -> (
    Vec<Customer>,
    Vec<InvoiceDump>,
    Vec<(String, i64, i64, i64)>,
) {
    let customers = sqlx::query_as("select * from customers order by id")
        .fetch_all(db.read())
        .await
        .expect("customers");
    let invoices = sqlx::query_as("select * from invoices order by id")
        .fetch_all(db.read())
        .await
        .expect("invoices");
    let months = sqlx::query_as("select * from revenue_by_month order by month")
        .fetch_all(db.read())
        .await
        .expect("months");
    (customers, invoices, months)
}

async fn seeded(size: SeedSize) -> (TempDir, Db) {
    let (dir, path) = temp_path();
    let db = Db::open(&path.clone().into(), size)
        .await
        .expect("open and seed");
    (dir, db)
}

const SMALL: SeedSize = SeedSize {
    customers: 60,
    invoices: 12_345,
    seed: 42,
};

/// Same seed, same rows, byte for byte; another seed, other rows.
#[tokio::test]
async fn seeding_is_deterministic() {
    let (_a_dir, a) = seeded(SMALL).await;
    let (_b_dir, b) = seeded(SMALL).await;
    let (_c_dir, c) = seeded(SeedSize { seed: 43, ..SMALL }).await;
    let (a, b, c) = (dump(&a).await, dump(&b).await, dump(&c).await);
    assert_eq!(a.0.len(), 60);
    assert_eq!(a.1.len(), 12_345);
    assert_eq!(a, b);
    assert_ne!(a.0, c.0);
    assert_ne!(a.1, c.1);
}

/// The seeded data is plausible: 24 months up to 2026-10-31, about 70% paid, and the
/// summary table agrees with a recount; indexes and triggers are back after the bulk load.
#[tokio::test]
async fn seeded_data_is_plausible_and_consistent() {
    let (_dir, db) = seeded(SMALL).await;
    let chart = db::monthly_revenue(&db, 24).await.expect("chart");
    assert_eq!(chart.first().map(|m| m.month.as_str()), Some("2024-11"));
    assert_eq!(chart.last().map(|m| m.month.as_str()), Some("2026-10"));
    assert!(chart.iter().all(|m| m.revenue_cents > 0));

    let (first, last, paid): (String, String, i64) =
        sqlx::query_as("select min(date), max(date), sum(status = 'paid') from invoices")
            .fetch_one(db.read())
            .await
            .expect("recount");
    assert!(first.as_str() >= "2024-11-01" && last.as_str() <= "2026-10-31");
    let paid_percent = paid * 100 / 12_345;
    assert!((65..=75).contains(&paid_percent), "{paid_percent}% paid");

    let recount: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "select substr(date, 1, 7), \
                sum(iif(status = 'paid', amount_cents, 0)), \
                sum(iif(status = 'pending', amount_cents, 0)), \
                count(*) \
         from invoices group by 1 order by 1",
    )
    .fetch_all(db.read())
    .await
    .expect("recount");
    assert_eq!(dump(&db).await.2, recount);

    // The bulk load drops and recreates these; all must be back.
    let derived: Vec<String> = sqlx::query_scalar(
        "select name from sqlite_schema \
         where tbl_name = 'invoices' and type in ('index', 'trigger') order by name",
    )
    .fetch_all(db.read())
    .await
    .expect("schema");
    let expected = [
        "invoices_by_customer",
        "invoices_by_date",
        "invoices_delete_customer_totals",
        "invoices_delete_revenue",
        "invoices_delete_search",
        "invoices_id_fits_search_key",
        "invoices_insert_customer_totals",
        "invoices_insert_revenue",
        "invoices_insert_search",
        "invoices_new_id_fits_search_key",
        "invoices_update_customer_totals",
        "invoices_update_revenue",
        "invoices_update_search",
    ];
    assert_eq!(derived, expected);

    let emails: i64 = sqlx::query_scalar("select count(distinct email) from customers")
        .fetch_one(db.read())
        .await
        .expect("emails");
    assert_eq!(emails, 60);
}

/// `open` seeds a new database only: reopening with another size changes nothing.
#[tokio::test]
async fn open_seeds_only_once() {
    let (_dir, path) = temp_path();
    let db = Db::open(&path.clone().into(), SMALL)
        .await
        .expect("first open");
    let before = dump(&db).await;
    db.close().await;

    let bigger = SeedSize {
        customers: 5,
        invoices: 10,
        seed: 7,
    };
    let db = Db::open(&path.clone().into(), bigger)
        .await
        .expect("second open");
    assert_eq!(dump(&db).await, before);
}

/// Seeding refuses a database with data; `reseed` replaces it.
#[tokio::test]
async fn seed_refuses_existing_data_and_reseed_replaces_it() {
    let (_dir, db) = known_db().await;
    let size = SeedSize {
        customers: 3,
        invoices: 20,
        seed: 1,
    };
    let error = db::seed(&db, size).await.expect_err("not empty");
    assert!(
        matches!(error, DbError::NotEmpty { customers: 4, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("--reset"), "{error}");
    assert_eq!(db::invoice_count(&db).await.ok(), Some(6));

    reseed(&db, size).await.expect("reseed");
    assert_eq!(db::customer_count(&db).await.ok(), Some(3));
    assert_eq!(db::invoice_count(&db).await.ok(), Some(20));

    let (_fresh_dir, fresh) = seeded(size).await;
    assert_eq!(
        dump(&db).await,
        dump(&fresh).await,
        "ids restart at 1 after a reset"
    );

    let error = reseed(
        &db,
        SeedSize {
            customers: 0,
            ..size
        },
    )
    .await
    .expect_err("no customers");
    assert!(
        matches!(error, DbError::NoCustomers { invoices: 20 }),
        "{error:?}"
    );
}

/// Seeds a million invoices and times the dashboard's queries. Prints the numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow: a million rows; run in release with --ignored --nocapture"]
async fn bench_one_million_invoices() {
    let (_dir, path) = temp_path();
    let size = SeedSize {
        customers: 1_000,
        invoices: 1_000_000,
        seed: 1,
    };
    let started = Instant::now();
    let db = Db::open(&path.clone().into(), size)
        .await
        .expect("open and seed");
    let seeding = started.elapsed();
    let file_mb = std::fs::metadata(&path)
        .map(|m| m.len() / 1_000_000)
        .unwrap_or(0);
    println!("seed 1,000 customers + 1,000,000 invoices: {seeding:.2?} ({file_mb} MB)");

    /// Best and median of a few runs, after one warm-up.
    async fn time<T, F: Future<Output = Result<T, sqlx::Error>>>(
        name: &str,
        mut run: impl FnMut() -> F,
    ) -> Duration {
        run().await.expect(name);
        let mut runs = Vec::new();
        for _ in 0..9 {
            let started = Instant::now();
            run().await.expect(name);
            runs.push(started.elapsed());
        }
        runs.sort();
        println!(
            "{name:<32} best {:>10.2?}  median {:>10.2?}",
            runs[0], runs[4]
        );
        runs[4]
    }

    let dashboard = [
        time("total_collected_cents", || db::total_collected_cents(&db)).await,
        time("total_pending_cents", || db::total_pending_cents(&db)).await,
        time("invoice_count", || db::invoice_count(&db)).await,
        time("customer_count", || db::customer_count(&db)).await,
        time("monthly_revenue(12)", || db::monthly_revenue(&db, 12)).await,
        time("latest_invoices(5)", || db::latest_invoices(&db, 5)).await,
    ];
    // Not dashboard queries, no target; for the record.
    time("search_invoices(\"\", 1, 10)", || {
        db::search_invoices(&db, "", 1, 10)
    })
    .await;
    time("search_invoices(\"\", 5000, 10)", || {
        db::search_invoices(&db, "", 5_000, 10)
    })
    .await;
    time("search_invoices(\"ada\", 1, 10)", || {
        db::search_invoices(&db, "ada", 1, 10)
    })
    .await;
    time("invoice_pages(\"\", 10)", || db::invoice_pages(&db, "", 10)).await;
    time("invoice_pages(\"ada\", 10)", || {
        db::invoice_pages(&db, "ada", 10)
    })
    .await;
    // Searches of dates and amounts: the trigram index, counted up to COUNT_LIMIT.
    for (query, page) in [
        ("2026", 1),
        ("-03-", 1),
        ("-03-", 100),
        ("2025-01", 1),
        ("1234.56", 1),
        ("$1,2", 1),
    ] {
        time(&format!("search_invoices({query:?}, {page}, 10)"), || {
            db::search_invoices(&db, query, page, 10)
        })
        .await;
        time(&format!("invoice_pages({query:?}, 10)"), || {
            db::invoice_pages(&db, query, 10)
        })
        .await;
    }
    time("customers_with_totals(\"\")", || {
        db::customers_with_totals(&db, "")
    })
    .await;
    time("invoice_by_id(500000)", || db::invoice_by_id(&db, 500_000)).await;
    time("invoices_of_customer(7, 5)", || {
        db::invoices_of_customer(&db, 7, None, 5)
    })
    .await;

    for median in dashboard {
        assert!(median < Duration::from_millis(50), "{median:?}");
    }
}

/// A search that can match only customers and statuses is counted from `customer_totals`
/// (no invoice read); every count equals the rows the search itself returns, whichever way
/// it is counted.
#[tokio::test]
async fn search_counts_equal_the_rows_found() {
    let (_dir, path) = temp_path();
    let size = SeedSize {
        customers: 30,
        invoices: 900,
        seed: 3,
    };
    let db = Db::open(&path.clone().into(), size)
        .await
        .expect("open and seed");
    for query in [
        "a", "PAID", "pend", "PEND", "p", "ai", "ada", "zzq", "e@", "%", "_", ".com", "2025-1",
        "12", "1.5", "$1,0", "-", "paid x",
    ] {
        let mut found = 0;
        for page in 1.. {
            let rows = db::search_invoices(&db, query, page, 500).await.unwrap();
            found += rows.len();
            if rows.len() < 500 {
                break;
            }
        }
        let counted = db::invoice_pages(&db, query, 1).await.unwrap();
        let found = u32::try_from(found.max(1)).unwrap();
        assert_eq!(counted, PageCount::Exactly(found), "{query:?}");
    }
}

/// Whether `row` matches search `text` by the rule `search_invoices` documents, read row by
/// row: the text, trimmed, in the customer's name or email or the status (ASCII letters in
/// either case), in the date, or (without `$` and `,`) in the amount written `1234.56`.
fn matches_by_reading(row: &InvoiceRow, text: &str) -> bool {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    let holds = |field: &str| field.to_ascii_lowercase().contains(&lower);
    let amount_text: String = text.chars().filter(|c| !matches!(c, '$' | ',')).collect();
    let reads_as_amount = amount_text.chars().any(|c| c.is_ascii_digit())
        && amount_text.chars().all(|c| c.is_ascii_digit() || c == '.');
    let amount = format!("{}.{:02}", row.amount_cents / 100, row.amount_cents % 100);
    holds(&row.customer_name)
        || holds(&row.customer_email)
        || holds(row.status.as_str())
        || row.date.contains(text)
        || (reads_as_amount && amount.contains(&amount_text))
}

/// The trigram index (dates and amounts), the customer totals and the newest-first walk
/// find what reading every row finds, page by page, and count it exactly up to
/// `COUNT_LIMIT`; beyond it the count is a lower bound that says so.
#[tokio::test]
async fn search_finds_what_reading_every_row_finds() {
    let (_dir, path) = temp_path();
    let db = Db::open(&path.clone().into(), SEARCH_SEED)
        .await
        .expect("open and seed");
    // Beyond ASCII, `like` matches only the same character on SQLite (PostgreSQL's
    // `ilike` folds `İ` to `i`: the rows and the count still agree, see
    // the PostgreSQL twin of this test).
    assert_search_reads_like_every_row(&db, &["İ", "ZOË"]).await;
}

/// The data of [`assert_search_reads_like_every_row`]: more invoices than `COUNT_LIMIT`,
/// customers enough for some emails to hold digits.
pub const SEARCH_SEED: SeedSize = SeedSize {
    customers: 300,
    invoices: 4_000,
    seed: 5,
};

/// Compares every search of a list (and of texts taken from the rows) with
/// [`matches_by_reading`] on `db`, seeded with [`SEARCH_SEED`].
pub async fn assert_search_reads_like_every_row(db: &Db, more: &[&str]) {
    let db = db.clone();
    let mut all = Vec::new();
    for page in 1.. {
        let rows = db::search_invoices(&db, "", page, 500).await.unwrap();
        let last = rows.len() < 500;
        all.extend(rows);
        if last {
            break;
        }
    }
    assert_eq!(all.len(), 4_000);
    let mut queries: Vec<String> = [
        "2", "-", "-0", "-3", "-4", "--", ".", ".5", "9.", "..", "2025", "2026-0", "-15", "-1-",
        "1.00", "$1,0", "00.0", "99", "12.34", "x2", "2@", "a", "paid", "ing",
    ]
    .iter()
    .chain(more)
    .map(|text| text.to_string())
    .collect();
    for row in all.iter().step_by(397) {
        let amount = format!("{}.{:02}", row.amount_cents / 100, row.amount_cents % 100);
        queries.push(row.date.clone());
        queries.push(row.date[2..9].to_string());
        queries.push(amount.clone());
        queries.push(amount[1..].to_string());
        queries.push(format!(" ${amount} "));
        let digits: String = row
            .customer_email
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        if !digits.is_empty() {
            queries.push(digits);
        }
    }
    let per_page: u32 = 7;
    for query in &queries {
        let expected: Vec<i64> = all
            .iter()
            .filter(|row| matches_by_reading(row, query))
            .map(|row| row.id)
            .collect();
        let last_page = u32::try_from(expected.len()).unwrap() / per_page + 1;
        for page in [1, 2, 3, last_page, last_page + 1] {
            let found = db::search_invoices(&db, query, page, per_page)
                .await
                .unwrap();
            let from = usize::try_from((page - 1) * per_page)
                .unwrap()
                .min(expected.len());
            let to = (from + per_page as usize).min(expected.len());
            assert_eq!(ids(&found), expected[from..to], "{query:?} page {page}");
        }
        for page in [1, last_page, last_page + 1] {
            let has_rows = ((page - 1) * per_page) < u32::try_from(expected.len()).unwrap();
            let found = db::has_page(&db, query, page, per_page).await.unwrap();
            assert_eq!(found, has_rows, "{query:?} has page {page}");
        }
        let pages = db::invoice_pages(&db, query, per_page).await.unwrap();
        let exact = u32::try_from(expected.len().div_ceil(per_page as usize).max(1)).unwrap();
        // Customers and statuses are counted exactly however many they match; dates and
        // amounts up to COUNT_LIMIT.
        match pages {
            PageCount::Exactly(pages) => assert_eq!(pages, exact, "{query:?}"),
            PageCount::AtLeast(known) => assert!(
                expected.len() > db::COUNT_LIMIT as usize
                    && known >= db::COUNT_LIMIT / per_page
                    && known <= exact,
                "{query:?}: {known} pages known of {exact}"
            ),
        }
    }
}
