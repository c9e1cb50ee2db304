//! The `braid` binary's commands as a user runs them: `db migrate`, `db seed` (and its
//! refusal to mix demo rows into a database that has data), and clear errors for bad flags.

use std::process::{Command, Output};

fn braid(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run braid")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn db_migrate_then_seed_then_refuse_then_reset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("new").join("cli.sqlite3");
    let database = path.to_str().expect("utf-8 path");

    let migrated = braid(&["db", "--database", database, "migrate"]);
    assert!(migrated.status.success(), "{}", text(&migrated));
    assert!(path.exists(), "migrate creates the file and its directory");

    let seed = [
        "db",
        "--database",
        database,
        "seed",
        "--customers",
        "5",
        "--invoices",
        "50",
    ];
    let seeded = braid(&seed);
    assert!(seeded.status.success(), "{}", text(&seeded));
    assert!(
        text(&seeded).contains("50"),
        "says what it did: {}",
        text(&seeded)
    );

    let again = braid(&seed);
    assert!(
        !again.status.success(),
        "seeding a database with data is refused"
    );
    assert!(
        text(&again).contains("--reset"),
        "and says how: {}",
        text(&again)
    );

    let mut reset = seed.to_vec();
    reset.push("--reset");
    let reseeded = braid(&reset);
    assert!(reseeded.status.success(), "{}", text(&reseeded));
}

#[test]
fn bad_flags_get_clear_errors() {
    let latency = braid(&["serve", "--demo-latency", "revenue=soon"]);
    assert!(!latency.status.success());
    assert!(
        text(&latency).contains("name=milliseconds"),
        "{}",
        text(&latency)
    );

    let https = braid(&["load", "-n", "1", "https://127.0.0.1:1/"]);
    assert!(!https.status.success());
    assert!(text(&https).contains("https"), "{}", text(&https));

    let addr = braid(&["serve", "--addr", "not-an-address"]);
    assert!(!addr.status.success());
    assert!(text(&addr).contains("--addr"), "{}", text(&addr));
}
