//! Opening the database: SQLite (the file, its settings, two pools) or PostgreSQL (one
//! pool), migrations on open, and the macros that run one query function on either.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, SqlitePool};

use super::changes::ChangeHub;
use super::error::DbError;
use super::location::DatabaseUrl;
use super::seed::{self, SeedSize};

/// SQLite readers that may run at once. A dashboard runs three or four sections in
/// parallel and, in WAL mode, SQLite readers never wait for each other or for the writer.
/// More connections than that buys nothing on a machine with a few cores.
const SQLITE_READ_CONNECTIONS: u32 = 4;

/// PostgreSQL connections per braid instance: a dashboard's sections in parallel for a few
/// requests at once. Three instances use 30 of the server's default 100.
const POSTGRES_CONNECTIONS: u32 = 10;

/// How long a SQLite statement waits for a lock another process holds (e.g. `braid db seed`
/// writing while `braid serve` reads) before failing with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a query waits for a free connection before failing (`PoolTimedOut`, which a
/// page shows as a section's error view or a `503`): a pool that is exhausted answers
/// quickly instead of holding the request until its section times out.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest a PostgreSQL statement of the pool may run (`statement_timeout`); a section's
/// own timeout is 5 s, so a query never outlives the page that asked for it. Migrations run
/// on a connection of their own and seeding lifts it for its transaction.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// The application's database, on either backend.
///
/// Cloning is cheap (`Arc`s); the app keeps one in its state and hands a clone to each
/// section. Every query function in `braid::db` takes `&Db` and runs on whichever
/// [`Backend`] it holds.
#[derive(Debug, Clone)]
pub struct Db {
    backend: Backend,
    location: Arc<DatabaseUrl>,
    /// Where committed writes are announced (see `changes.rs`).
    pub(crate) changes: Arc<ChangeHub>,
}

/// The pools of one backend.
#[derive(Debug, Clone)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite(SqliteDb),
    /// A PostgreSQL server, shared by every braid instance: one pool; PostgreSQL's row
    /// locks and constraints, not a single writer, keep concurrent writes right.
    Postgres(PgPool),
}

/// SQLite's two pools: reads, and one connection for writes.
///
/// SQLite allows one writer at a time. With a single write connection, writers in this
/// process queue in the pool instead of failing with `SQLITE_BUSY`, and each write
/// transaction starts with `BEGIN IMMEDIATE` so it takes the lock before reading. The read
/// connections are `query_only`, so a query that writes by mistake fails loudly.
#[derive(Debug, Clone)]
pub struct SqliteDb {
    read: SqlitePool,
    write: SqlitePool,
}

impl SqliteDb {
    /// The pool the queries read from. Its connections refuse to write.
    pub fn read(&self) -> &SqlitePool {
        &self.read
    }

    /// The single write connection. Start write transactions with
    /// `write().begin_with("begin immediate")`, so they take the write lock up front.
    pub fn write(&self) -> &SqlitePool {
        &self.write
    }
}

impl Db {
    /// Opens (creating a SQLite file and its directory if missing) and migrates the
    /// database, then seeds it with `seed` if it has no customers yet.
    ///
    /// Seeding a million invoices takes seconds; the default size, a fraction of a second.
    ///
    /// # Errors
    ///
    /// [`DbError`] naming the database: it cannot be reached or created, a migration
    /// failed (or the database was migrated by a different build), or seeding failed.
    pub async fn open(location: &DatabaseUrl, seed: SeedSize) -> Result<Db, DbError> {
        let db = Db::open_without_seed(location).await?;
        seed::seed_if_empty(&db, seed).await?;
        Ok(db)
    }

    /// Opens and migrates the database, creating a SQLite file if missing; adds no rows.
    ///
    /// # Errors
    ///
    /// As [`Db::open`], without the seeding.
    pub async fn open_without_seed(location: &DatabaseUrl) -> Result<Db, DbError> {
        let backend = match location {
            DatabaseUrl::Sqlite(path) => Backend::Sqlite(open_sqlite(path, location).await?),
            DatabaseUrl::Postgres(url) => Backend::Postgres(open_postgres(url, location).await?),
        };
        Ok(Db {
            backend,
            location: Arc::new(location.clone()),
            changes: Arc::default(),
        })
    }

    /// The pools, to run a query on (see the `on_read!` family of macros in `db`).
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// SQLite's pools, or `None` on PostgreSQL. For tools and tests that need SQLite itself.
    pub fn sqlite(&self) -> Option<&SqliteDb> {
        match &self.backend {
            Backend::Sqlite(sqlite) => Some(sqlite),
            Backend::Postgres(_) => None,
        }
    }

    /// PostgreSQL's pool, or `None` on SQLite. For tools and tests that need PostgreSQL itself.
    pub fn postgres(&self) -> Option<&PgPool> {
        match &self.backend {
            Backend::Sqlite(_) => None,
            Backend::Postgres(pool) => Some(pool),
        }
    }

    /// Where the data lives, for messages (its `Display` hides a password).
    pub fn location(&self) -> &DatabaseUrl {
        &self.location
    }

    /// Closes the pools, waiting for connections in use to be returned. Later queries
    /// fail. Tests close before deleting the file; the server may simply drop the `Db`.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(sqlite) => {
                sqlite.read.close().await;
                sqlite.write.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}

async fn open_sqlite(path: &Path, location: &DatabaseUrl) -> Result<SqliteDb, DbError> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let open_error = |source| DbError::Open {
        location: location.clone(),
        source,
    };
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        // Readers and the writer do not block each other; commits append to the log.
        .journal_mode(SqliteJournalMode::Wal)
        // In WAL mode NORMAL is safe from corruption; a power cut may lose the last
        // commits, which a demo can afford, in exchange for no fsync per commit.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(BUSY_TIMEOUT)
        // Off by default in SQLite, for compatibility; the schema relies on them.
        .foreign_keys(true);

    // The write pool first: it creates the file and switches it to WAL.
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options.clone())
        .await
        .map_err(open_error)?;
    sqlx::migrate!("./migrations/sqlite")
        .run(&write)
        .await
        .map_err(|source| DbError::Migrate {
            location: location.clone(),
            source,
        })?;

    // A reader never creates the file: if it disappears while the server runs, a new read
    // connection fails (that section shows its error view) instead of opening an empty
    // database that would keep failing after the file is restored.
    let read = SqlitePoolOptions::new()
        .max_connections(SQLITE_READ_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(
            options
                .create_if_missing(false)
                .pragma("query_only", "true"),
        )
        .await
        .map_err(open_error)?;
    Ok(SqliteDb { read, write })
}

async fn open_postgres(url: &str, location: &DatabaseUrl) -> Result<PgPool, DbError> {
    let open_error = |source| DbError::Open {
        location: location.clone(),
        source,
    };
    let timeout = format!("{}ms", STATEMENT_TIMEOUT.as_millis());
    let options: PgConnectOptions = url
        .parse::<PgConnectOptions>()
        .map_err(open_error)?
        .application_name("braid");
    // Migrations on a connection of their own, without the pages' statement timeout: one may
    // rebuild an index over a million rows, or wait for another instance's migration lock.
    let mut migrating = sqlx::PgConnection::connect_with(&options)
        .await
        .map_err(open_error)?;
    sqlx::migrate!("./migrations/postgres")
        .run(&mut migrating)
        .await
        .map_err(|source| DbError::Migrate {
            location: location.clone(),
            source,
        })?;
    let _ = migrating.close().await;
    PgPoolOptions::new()
        .max_connections(POSTGRES_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options.options([("statement_timeout", timeout.as_str())]))
        .await
        .map_err(open_error)
}

/// Which SQL a statement needs, inside [`in_transaction!`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// This dialect's one of two statements.
    pub(crate) fn pick(self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Dialect::Sqlite => sqlite,
            Dialect::Postgres => postgres,
        }
    }
}

/// Runs a read on whichever backend `db` holds: `|sql, pool| run` is written once and
/// compiled for each backend (its types differ), with `sql` that backend's statement and
/// `pool` its read pool; `run` is a future, awaited here. Both dialects read `$1`, `$2`
/// parameters (sqlx numbers SQLite's by their digits).
///
/// ```ignore
/// on_read!(db, "select name from customers where id = $1", |sql, pool| {
///     sqlx::query_scalar(sql).bind(id).fetch_optional(pool)
/// })
/// on_read!(db, sqlite: SQLITE_SQL, postgres: POSTGRES_SQL, |sql, pool| …)
/// ```
macro_rules! on_read {
    ($db:expr, $($rest:tt)*) => {
        $crate::db::on_pool!(read, $db, $($rest)*)
    };
}

/// [`on_read!`] for one statement that writes, outside a transaction: SQLite's write
/// connection, or the PostgreSQL pool.
macro_rules! on_write {
    ($db:expr, $($rest:tt)*) => {
        $crate::db::on_pool!(write, $db, $($rest)*)
    };
}

/// What [`on_read!`] and [`on_write!`] expand to: `side` names SQLite's pool (`read` or
/// `write`, a method of [`SqliteDb`]); PostgreSQL has one pool for both.
macro_rules! on_pool {
    ($side:ident, $db:expr, sqlite: $sqlite:expr, postgres: $postgres:expr, |$sql:ident, $pool:ident| $run:expr) => {
        match $db.backend() {
            $crate::db::Backend::Sqlite(sqlite) => {
                let ($sql, $pool) = ($sqlite, sqlite.$side());
                $run.await
            }
            $crate::db::Backend::Postgres($pool) => {
                let $sql = $postgres;
                $run.await
            }
        }
    };
    ($side:ident, $db:expr, $both:expr, |$sql:ident, $pool:ident| $run:expr) => {
        $crate::db::on_pool!($side, $db, sqlite: $both, postgres: $both, |$sql, $pool| $run)
    };
}

/// Runs `body` (a block that may use `?` and `return`, which leave the calling function)
/// in a write transaction on whichever backend `db` holds: SQLite's `begin immediate` on
/// its write connection, or a PostgreSQL transaction. `tx` is the transaction and
/// `dialect` the [`Dialect`] to pick statements with; `body` commits or rolls back itself
/// (dropping the transaction rolls it back).
macro_rules! in_transaction {
    ($db:expr, |$tx:ident, $dialect:ident| $body:block) => {
        match $db.backend() {
            $crate::db::Backend::Sqlite(sqlite) => {
                let mut $tx = sqlite.write().begin_with("begin immediate").await?;
                let $dialect = $crate::db::Dialect::Sqlite;
                $body
            }
            $crate::db::Backend::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let $dialect = $crate::db::Dialect::Postgres;
                $body
            }
        }
    };
}

pub(crate) use {in_transaction, on_pool, on_read, on_write};
