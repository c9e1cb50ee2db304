//! Three `braid serve` processes on one PostgreSQL behind a real nginx configured with the
//! shipped `deploy/nginx-instances.conf`: pages stream through the balancer, a write through
//! one instance is on every other, a user signed in anywhere is signed in everywhere, an
//! instance killed with SIGKILL mid-traffic costs no acknowledged write, and a rolling
//! restart (SIGTERM one instance at a time) under `braid load` at 64 connections fails no
//! request.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use braid::db::{self, Db};

use crate::postgres::Postgres;
use crate::proxy::{Nginx, start_nginx_for};
use crate::reliability::{Braid, free_addr};
use crate::util::{final_body, hidden_field, no_redirects, record_with};

/// The balancer configuration users copy; the tests run exactly this file.
const INSTANCES_CONF: &str = include_str!("../deploy/nginx-instances.conf");

/// Instances behind the balancer.
const INSTANCES: usize = 3;

struct Cluster {
    instances: Vec<Braid>,
    nginx: Nginx,
    database: String,
}

impl Cluster {
    /// `None` (after a SKIPPED line, or a panic under `CI=true`) without PostgreSQL or nginx.
    async fn start(test: &str) -> Option<Cluster> {
        let postgres = Postgres::get(test)?;
        let braid::db::DatabaseUrl::Postgres(database) = postgres.database().await else {
            unreachable!("a postgres:// URL")
        };
        // The first instance migrates and seeds; the others find it ready.
        let mut instances = Vec::new();
        // Sections late enough that a kill lands mid-stream; client addresses from nginx's
        // X-Forwarded-For (otherwise every sign-in failure would count against 127.0.0.1).
        let flags = ["--behind-proxy", "--demo-latency", "latest=300,revenue=150"];
        for _ in 0..INSTANCES {
            instances.push(Braid::spawn_on(&database, free_addr(), &flags).await);
        }
        let upstreams: Vec<SocketAddr> = instances.iter().map(|braid| braid.addr).collect();
        let nginx = start_nginx_for(test, INSTANCES_CONF, &upstreams)?;
        Some(Cluster {
            instances,
            nginx,
            database,
        })
    }

    fn url(&self, path: &str) -> String {
        self.nginx.url(path)
    }

    async fn db(&self) -> Db {
        Db::open_without_seed(&self.database.parse().expect("url"))
            .await
            .expect("the cluster's database")
    }
}

/// A page streams through the balancer: the shell first, each section at its own time.
#[tokio::test]
async fn pages_stream_through_the_balancer() {
    let Some(cluster) = Cluster::start("pages_stream_through_the_balancer").await else {
        return;
    };
    for _ in 0..INSTANCES {
        let rec = record_with(&cluster.url("/bench/s1"), &[]).await;
        assert_eq!(rec.status, 200);
        let (shell, first, slowest) = (
            rec.arrival("<?start name=\"b"),
            rec.arrival("Section 1"),
            rec.arrival("Section 3"),
        );
        assert!(
            shell < first && first < slowest,
            "{shell:?} {first:?} {slowest:?}"
        );
        assert!(
            rec.chunks.len() >= 3,
            "streamed in chunks: {}",
            rec.chunks.len()
        );
    }
}

/// The "Total invoices" card of `braid`'s dashboard.
async fn invoice_card(braid: &Braid, cookie: &str) -> String {
    let page = record_with(&braid.url("/dashboard"), &[("cookie", cookie)]).await;
    crate::util::card_value(&final_body(&page.body()), "Total invoices")
}

/// Signed in through the balancer, the session works on every instance; an invoice created
/// through the balancer is on the next page every instance serves, and within a second on
/// every instance's cached dashboard.
#[tokio::test]
async fn writes_and_sessions_reach_every_instance() {
    let Some(cluster) = Cluster::start("writes_and_sessions_reach_every_instance").await else {
        return;
    };
    let cookie = crate::util::sign_in(&cluster.url("")).await;
    let mut counts = Vec::new();
    for braid in &cluster.instances {
        counts.push(invoice_card(braid, &cookie).await);
    }
    let before: u64 = counts[0].replace(',', "").parse().expect("a count");
    assert!(counts.iter().all(|count| *count == counts[0]), "{counts:?}");
    let form = record_with(&cluster.url("/invoices/create"), &[("cookie", &cookie)]).await;
    let created = no_redirects()
        .post(cluster.url("/invoices"))
        .header("cookie", &cookie)
        .form(&[
            (
                "csrf",
                hidden_field(&form.body(), "csrf").expect("csrf").as_str(),
            ),
            (
                "form_key",
                &hidden_field(&form.body(), "form_key").expect("key"),
            ),
            ("customer_id", "2"),
            ("amount", "6543.21"),
            ("status", "pending"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(created.status(), 303);
    let written = std::time::Instant::now();
    for braid in &cluster.instances {
        let page = record_with(
            &braid.url("/invoices?query=6543.21"),
            &[("cookie", &cookie)],
        )
        .await;
        assert_eq!(page.status, 200, "the session is valid on {}", braid.addr);
        assert!(
            final_body(&page.body()).contains("$6,543.21"),
            "{}",
            braid.addr
        );
    }
    let after = braid::app::components::format::thousands(before + 1);
    for braid in &cluster.instances {
        while invoice_card(braid, &cookie).await != after {
            assert!(
                written.elapsed() < Duration::from_secs(1),
                "{}'s dashboard shows the write within a second",
                braid.addr
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Writers create invoices and readers load the dashboard through the balancer; one
/// instance is killed with SIGKILL. Every invoice whose `303` a writer received is in the
/// database exactly once; a read that failed with the instance succeeds when retried; the
/// other instances serve on, and every request after the kill succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_mid_traffic_loses_no_acknowledged_write() {
    let test = "an_instance_killed_mid_traffic_loses_no_acknowledged_write";
    let Some(mut cluster) = Cluster::start(test).await else {
        return;
    };
    let cookie = crate::util::sign_in(&cluster.url("")).await;
    let form = record_with(&cluster.url("/invoices/create"), &[("cookie", &cookie)]).await;
    let csrf = hidden_field(&form.body(), "csrf").expect("csrf");
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let failed_after_kill = Arc::new(Mutex::new(Vec::new()));
    let (killed, running) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(true)),
    );
    let mut clients = Vec::new();
    for writer in 0..4i64 {
        let (acknowledged, running) = (acknowledged.clone(), running.clone());
        let (url, cookie, csrf) = (cluster.url("/invoices"), cookie.clone(), csrf.clone());
        clients.push(tokio::spawn(async move {
            let client = no_redirects();
            let mut n = 0;
            while running.load(Ordering::Relaxed) {
                let amount = 800_000_000 + n * 4 + writer;
                n += 1;
                let sent = client
                    .post(&url)
                    .header("cookie", &cookie)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("form_key", &format!("{amount:032x}")),
                        ("customer_id", "1"),
                        ("amount", &format!("{}.{:02}", amount / 100, amount % 100)),
                        ("status", "paid"),
                    ])
                    .send()
                    .await;
                if sent.is_ok_and(|response| response.status() == 303) {
                    acknowledged.lock().unwrap().push(amount);
                }
            }
        }));
    }
    for _ in 0..2 {
        let (failed, killed, running) =
            (failed_after_kill.clone(), killed.clone(), running.clone());
        let (url, cookie) = (cluster.url("/dashboard"), cookie.clone());
        clients.push(tokio::spawn(async move {
            while running.load(Ordering::Relaxed) {
                let after_kill = killed.load(Ordering::Relaxed);
                // A stream cut by the kill fails; its retry goes to a living instance.
                let mut outcome = fetch(&url, &cookie).await;
                if outcome.is_err() {
                    outcome = fetch(&url, &cookie).await;
                }
                if let (true, Err(why)) = (after_kill, outcome) {
                    failed.lock().unwrap().push(why);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cluster.instances[0].sigkill();
    killed.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    running.store(false, Ordering::Relaxed);
    for client in clients {
        client.await.expect("client");
    }
    let failed = failed_after_kill.lock().unwrap().clone();
    assert!(
        failed.is_empty(),
        "reads that failed even when retried: {failed:?}"
    );

    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 10,
        "writes went through: {}",
        acknowledged.len()
    );
    let db = cluster.db().await;
    let db::Backend::Postgres(pool) = db.backend() else {
        unreachable!()
    };
    let stored: Vec<i64> = sqlx::query_scalar(
        "select amount_cents from invoices where amount_cents >= 800000000 order by 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for amount in &acknowledged {
        let copies = stored.iter().filter(|stored| *stored == amount).count();
        assert_eq!(copies, 1, "acknowledged invoice of {amount} cents");
    }
    eprintln!(
        "sigkill behind nginx: {} creates acknowledged, {} stored",
        acknowledged.len(),
        stored.len()
    );
}

/// GETs a page through to its end: `Err` with why not (a status, a cut stream).
async fn fetch(url: &str, cookie: &str) -> Result<(), String> {
    let response = crate::util::client()
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let status = response.status();
    let body = response.text().await.map_err(|error| error.to_string())?;
    if status != 200 || !body.ends_with("</body></html>") {
        return Err(format!("{status}: {} bytes", body.len()));
    }
    Ok(())
}

/// `braid load` drives 64 connections through the balancer, on the signed-in dashboard (a
/// session check and six queries on PostgreSQL per page), while each instance in turn gets
/// SIGTERM (it stops accepting, finishes what it has, exits) and is started again on its
/// address, the next one stopped only after the balancer's `fail_timeout` (1 s) has let the
/// restarted one back in: not one request fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_under_load_fails_no_request() {
    let test = "a_rolling_restart_under_load_fails_no_request";
    let Some(mut cluster) = Cluster::start(test).await else {
        return;
    };
    let cookie = crate::util::sign_in(&cluster.url("")).await;
    let load = tokio::process::Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["load", "-c", "64", "-d", "14s", "--json"])
        .args(["-H", &format!("Cookie: {cookie}")])
        .arg(cluster.url("/dashboard"))
        .stderr(std::process::Stdio::null())
        .output();
    let load = tokio::spawn(load);
    tokio::time::sleep(Duration::from_secs(1)).await;
    for braid in &mut cluster.instances {
        braid.sigterm();
        braid.wait_exit(Duration::from_secs(15)).await;
        braid.restart_same_addr().await;
        tokio::time::sleep(Duration::from_millis(2000)).await;
    }
    let output = load.await.expect("load task").expect("braid load");
    assert!(output.status.success(), "braid load: {output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let responses = report["responses"].as_u64().unwrap_or(0);
    assert!(responses > 500, "load went through: {report}");
    let no_errors = serde_json::json!({
        "connect": 0, "timeout": 0, "io": 0, "eof": 0, "framing": 0, "status": {}
    });
    let log = cluster.nginx.error_log();
    let tail: Vec<&str> = log.lines().take(12).collect();
    assert_eq!(
        report["errors"], no_errors,
        "no failed request during the rolling restart: {report}\nnginx: {tail:#?}"
    );
}
