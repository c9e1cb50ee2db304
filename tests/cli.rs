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

    // Not a file named "mysql:" or "postgres:": refused before anything is created.
    let dir = tempfile::tempdir().unwrap();
    for database in ["mysql://root@localhost/braid", "postgres:braid"] {
        let refused = Command::new(env!("CARGO_BIN_EXE_braid"))
            .args(["db", "--database", database, "migrate"])
            .current_dir(dir.path())
            .output()
            .expect("braid");
        assert!(!refused.status.success());
        assert!(
            text(&refused).contains("is not a database braid can open"),
            "{}",
            text(&refused)
        );
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file made"
    );
}

#[test]
fn bad_demo_users_get_clear_errors() {
    for (value, says) in [
        ("user@nextmail.com", "no ':'"),
        ("nobody:secret", "needs a name, an @"),
        ("a@b.co:", "password is empty"),
    ] {
        let refused = braid(&["serve", "--demo-user", value]);
        assert!(!refused.status.success(), "{value}");
        let output = text(&refused);
        assert!(
            output.contains("--demo-user") && output.contains(says),
            "{value}: {output}"
        );
    }
}

/// `braid user add` takes the password from standard input when it is not a terminal, and
/// refuses a short password, a malformed email and an email already taken (in any case).
#[test]
fn user_add_creates_users_and_refuses_bad_ones() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("users.sqlite3");
    let add = |email: &str, password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_braid"))
            .args(["user", "add", email, "--name", "Ada", "--database"])
            .arg(&database)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run braid user add");
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{password}").expect("write the password");
        drop(stdin);
        child.wait_with_output().expect("braid user add")
    };
    let added = add("ada@example.com", "correct horse");
    assert!(added.status.success(), "{}", text(&added));
    assert!(
        text(&added).contains("added user 1 <ada@example.com>"),
        "{}",
        text(&added)
    );
    for (email, password, says) in [
        ("ADA@example.com", "another password", "already exists"),
        ("ada", "correct horse", "not an email address"),
        ("bob@example.com", "short", "at least 8 characters"),
    ] {
        let refused = add(email, password);
        assert!(!refused.status.success(), "{email}");
        assert!(text(&refused).contains(says), "{email}: {}", text(&refused));
    }
}
