//! A throwaway PostgreSQL cluster for the tests: `initdb` in a temporary directory, the
//! server on a free loopback port, trust authentication, `fsync` off. As root (CI), the
//! server runs as the `postgres` user that Debian's package creates, since PostgreSQL
//! refuses to run as root.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use braid::db::DatabaseUrl;
use sqlx::Connection;

use crate::util::{on_path, skipped};

/// The test process's cluster.
pub struct Postgres {
    port: u16,
    /// The directory of the data, the socket and the log (kept until the process ends).
    dir: PathBuf,
    /// How `pg_ctl` is run: as the `postgres` user when the tests run as root.
    run_as: Option<&'static str>,
    pg_ctl: PathBuf,
}

static CLUSTER: OnceLock<Option<Postgres>> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

impl Postgres {
    /// The cluster, started on first use; `None` (after a loud SKIPPED line, or a panic
    /// under `CI=true`) when PostgreSQL's programs are not on `PATH`.
    pub fn get(test: &str) -> Option<&'static Postgres> {
        CLUSTER.get_or_init(|| Postgres::dedicated(test)).as_ref()
    }

    /// A cluster of the caller's own, for a test that restarts it; stopped when dropped.
    pub fn dedicated(test: &str) -> Option<Postgres> {
        let (Some(initdb), Some(pg_ctl)) = (on_path("initdb"), on_path("pg_ctl")) else {
            skipped(
                test,
                "PostgreSQL's initdb and pg_ctl on PATH (Debian package postgresql; they are in \
                 /usr/lib/postgresql/<version>/bin)",
            );
            return None;
        };
        Some(Postgres::start(&initdb, &pg_ctl))
    }

    fn start(initdb: &Path, pg_ctl: &Path) -> Postgres {
        static CLUSTERS: AtomicUsize = AtomicUsize::new(0);
        let run_as = is_root().then_some("postgres");
        let dir = std::env::temp_dir().join(format!(
            "braid-postgres-{}-{}",
            std::process::id(),
            CLUSTERS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("cluster dir");
        if let Some(user) = run_as {
            let owned = Command::new("chown")
                .arg(user)
                .arg(&dir)
                .status()
                .expect("chown");
            assert!(owned.success(), "chown {user} {}", dir.display());
        }
        let postgres = Postgres {
            port: free_port(),
            dir,
            run_as,
            pg_ctl: pg_ctl.to_path_buf(),
        };
        let data = postgres.dir.join("data");
        postgres.run(
            initdb,
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-U".as_ref(),
                "braid".as_ref(),
                "--no-sync".as_ref(),
                // Not the environment's: case folding and order are the same on every machine.
                "--locale=C.UTF-8".as_ref(),
                "--encoding=UTF8".as_ref(),
            ],
        );
        postgres.pg_ctl_start();
        postgres.watch_this_process();
        postgres
    }

    /// `pg_ctl start`, waiting until it accepts connections.
    pub fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300",
            self.port,
            self.dir.display()
        );
        let data = self.dir.join("data");
        let log = self.dir.join("log");
        self.run(
            &self.pg_ctl,
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "start".as_ref(),
            ],
        );
    }

    /// `pg_ctl stop -m fast`: every connection is cut.
    pub fn stop(&self) {
        let data = self.dir.join("data");
        self.run(
            &self.pg_ctl,
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-m".as_ref(),
                "fast".as_ref(),
                "-w".as_ref(),
                "stop".as_ref(),
            ],
        );
    }

    /// A new, empty database of its own for one test.
    pub async fn database(&self) -> DatabaseUrl {
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            DATABASES.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = sqlx::PgConnection::connect(&self.url("postgres"))
            .await
            .expect("connect to the cluster");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("create database {name}")))
            .execute(&mut admin)
            .await
            .expect("create database");
        self.url(&name).parse().expect("a postgres URL")
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://braid@127.0.0.1:{}/{database}", self.port)
    }

    /// `program`, as the cluster's user.
    fn command(&self, program: &Path) -> Command {
        match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }

    fn run(&self, program: &Path, args: &[&std::ffi::OsStr]) {
        let output = self
            .command(program)
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|error| panic!("{}: {error}", program.display()));
        assert!(
            output.status.success(),
            "{} {args:?}: {}\n{}",
            program.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// A detached shell that stops the cluster (and removes its directory) once this test
    /// process has exited: statics are never dropped.
    fn watch_this_process(&self) {
        let data = self.dir.join("data");
        let stop = match self.run_as {
            Some(user) => format!(
                "runuser -u {user} -- {} -D {} -m immediate stop",
                self.pg_ctl.display(),
                data.display()
            ),
            None => format!(
                "{} -D {} -m immediate stop",
                self.pg_ctl.display(),
                data.display()
            ),
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            dir = self.dir.display()
        );
        let _ = Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }
}

impl Drop for Postgres {
    /// Only dedicated clusters are dropped (the shared one lives in a static); the watchdog
    /// removes the directory when the process ends.
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self
            .command(&self.pg_ctl)
            .arg("-D")
            .arg(data)
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}
