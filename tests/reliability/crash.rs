//! Writes and a crash: the server killed with SIGKILL in the middle of a bulk of creates.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use super::Braid;
use crate::util::{hidden_field, no_redirects, record_with};

/// Concurrent clients creating invoices.
const WRITERS: i64 = 4;
/// Amounts of the test's invoices start here (cents), far above the seed's, one per request.
const FIRST_AMOUNT: i64 = 900_000_000;

/// Four clients create invoices as fast as they can; the server is killed with SIGKILL
/// mid-bulk and started again on the same file. Every invoice whose `303` a client received
/// is there exactly once; nothing is half-written (every invoice of the bulk has its form
/// key, every key its invoice, the monthly totals equal the rows, SQLite's integrity check
/// passes); and the session survives the restart, since it lives in the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_creates_survive_sigkill() {
    let mut braid = Braid::spawn(&[]).await;
    let cookie = braid.sign_in().await;
    let form = record_with(&braid.url("/invoices/create"), &[("cookie", &cookie)]).await;
    let csrf = hidden_field(&form.body(), "csrf").expect("csrf");
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let killed = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (acknowledged, killed) = (Arc::clone(&acknowledged), Arc::clone(&killed));
            let (url, cookie, csrf) = (braid.url("/invoices"), cookie.clone(), csrf.clone());
            tokio::spawn(async move {
                let client = no_redirects();
                for n in 0.. {
                    let amount = FIRST_AMOUNT + n * WRITERS + writer;
                    let dollars = format!("{}.{:02}", amount / 100, amount % 100);
                    let key = format!("{amount:032x}");
                    let sent = client
                        .post(&url)
                        .header("cookie", &cookie)
                        .form(&[
                            ("csrf", csrf.as_str()),
                            ("form_key", &key),
                            ("customer_id", "1"),
                            ("amount", &dollars),
                            ("status", "pending"),
                        ])
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status() == 303 => {
                            acknowledged.lock().unwrap().push(amount)
                        }
                        Ok(response) => panic!("create {amount}: {}", response.status()),
                        Err(_) if killed.load(Ordering::SeqCst) => return,
                        Err(error) => panic!("create {amount} before the kill: {error}"),
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < 100 {
        assert!(Instant::now() < deadline, "100 creates within 30 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    killed.store(true, Ordering::SeqCst);
    braid.sigkill();
    for writer in writers {
        writer.await.expect("writer");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    braid.restart().await;
    let options = SqliteConnectOptions::new()
        .filename(braid.database())
        .read_only(true);
    let mut db = SqliteConnection::connect_with(&options)
        .await
        .expect("open the database");
    for amount in &acknowledged {
        let copies: i64 =
            sqlx::query_scalar("select count(*) from invoices where amount_cents = ?1")
                .bind(amount)
                .fetch_one(&mut db)
                .await
                .unwrap();
        assert_eq!(copies, 1, "acknowledged invoice of {amount} cents");
    }
    let bulk: i64 = sqlx::query_scalar("select count(*) from invoices where amount_cents >= ?1")
        .bind(FIRST_AMOUNT)
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert!(bulk as usize >= acknowledged.len());
    assert!(
        bulk as usize <= acknowledged.len() + WRITERS as usize,
        "at most the requests in flight"
    );
    for (what, sql) in [
        (
            "bulk invoices without their form key",
            "select count(*) from invoices where amount_cents >= 900000000 and id not in (select invoice_id from form_submissions where invoice_id is not null)",
        ),
        (
            "form keys without their invoice",
            "select count(*) from form_submissions where invoice_id is not null and invoice_id not in (select id from invoices)",
        ),
        (
            "months whose totals differ from their invoices",
            "select count(*) from (select month, paid_cents, pending_cents, invoice_count from revenue_by_month where invoice_count > 0 except select substr(date, 1, 7), sum(iif(status = 'paid', amount_cents, 0)), sum(iif(status = 'pending', amount_cents, 0)), count(*) from invoices group by 1)",
        ),
    ] {
        let count: i64 = sqlx::query_scalar(sql).fetch_one(&mut db).await.unwrap();
        assert_eq!(count, 0, "{what}");
    }
    let integrity: String = sqlx::query_scalar("pragma integrity_check")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    let dashboard = record_with(&braid.url("/dashboard"), &[("cookie", &cookie)]).await;
    assert_eq!(dashboard.status, 200, "the session outlives the process");
    eprintln!(
        "sigkill: {} creates acknowledged, {bulk} in the database",
        acknowledged.len()
    );
}
