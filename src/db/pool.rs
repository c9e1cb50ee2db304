//! Opening the database: the file, its settings, migrations and the two pools.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::error::DbError;
use super::seed::{self, SeedSize};

/// Readers that may run at once. A dashboard runs three or four sections in parallel and,
/// in WAL mode, SQLite readers never wait for each other or for the writer. More
/// connections than that buys nothing on a machine with a few cores.
const READ_CONNECTIONS: u32 = 4;

/// How long a statement waits for a lock another process holds (e.g. `braid db seed`
/// writing while `braid serve` reads) before failing with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The application's database: a pool for reads and one connection for writes.
///
/// Cloning is cheap (two `Arc`s); the app keeps one in its state and hands a clone to each
/// section. Every query function in `braid::db` takes `&Db` and reads from [`Db::read`].
///
/// Why two pools: SQLite allows one writer at a time. With a single write connection,
/// writers in this process queue in the pool instead of failing with `SQLITE_BUSY`, and each
/// write transaction starts with `BEGIN IMMEDIATE` so it takes the lock before reading. The
/// read connections are `query_only`, so a query that writes by mistake fails loudly.
#[derive(Debug, Clone)]
pub struct Db {
    read: SqlitePool,
    write: SqlitePool,
    path: Arc<Path>,
}

impl Db {
    /// Opens (creating the parent directory and the file if missing) and migrates the
    /// database at `path`, then seeds it with `seed` if it has no customers yet.
    ///
    /// Seeding a million invoices takes seconds; the default size, a fraction of a second.
    pub async fn open(path: &Path, seed: SeedSize) -> Result<Db, DbError> {
        let db = Db::open_without_seed(path).await?;
        seed::seed_if_empty(&db, seed).await?;
        Ok(db)
    }

    /// Opens and migrates the database at `path`, creating it if missing; adds no rows.
    pub async fn open_without_seed(path: &Path) -> Result<Db, DbError> {
        let path: Arc<Path> = Arc::from(path);
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let open_error = |source| DbError::Open {
            path: path.to_path_buf(),
            source,
        };

        let options = SqliteConnectOptions::new()
            .filename(&path)
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
            .connect_with(options.clone())
            .await
            .map_err(open_error)?;

        sqlx::migrate!()
            .run(&write)
            .await
            .map_err(|source| DbError::Migrate {
                path: path.to_path_buf(),
                source,
            })?;

        // A reader never creates the file: if it disappears while the server runs, a new read
        // connection fails (that section shows its error view) instead of opening an empty
        // database that would keep failing after the file is restored.
        let read = SqlitePoolOptions::new()
            .max_connections(READ_CONNECTIONS)
            .connect_with(
                options
                    .create_if_missing(false)
                    .pragma("query_only", "true"),
            )
            .await
            .map_err(open_error)?;

        Ok(Db { read, write, path })
    }

    /// The pool the queries read from. Its connections refuse to write.
    pub fn read(&self) -> &SqlitePool {
        &self.read
    }

    /// The single write connection. Start write transactions with
    /// `db.write().begin_with("begin immediate")`, so they take the write lock up front.
    pub fn write(&self) -> &SqlitePool {
        &self.write
    }

    /// The database file, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes both pools, waiting for connections in use to be returned. Later queries
    /// fail. Tests close before deleting the file; the server may simply drop the `Db`.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}
