//! Errors of opening, migrating and seeding a database; each names the file.
//!
//! Queries return plain `sqlx::Error`: the app logs them and shows a section's error view,
//! and the path adds nothing there. Opening and seeding happen once, at start or from the
//! command line, where "which file?" is the first question.

use std::path::PathBuf;

/// Why a database could not be opened, migrated or seeded.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The directory that should hold the database file could not be created.
    #[error("cannot create directory {} for the database: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },

    /// SQLite could not open or create the file (permissions, not a database, locked).
    #[error("cannot open SQLite database {}: {source}", path.display())]
    Open { path: PathBuf, source: sqlx::Error },

    /// A migration failed, or the file was migrated by a different build of the schema.
    #[error("cannot migrate SQLite database {}: {source}", path.display())]
    Migrate {
        path: PathBuf,
        source: sqlx::migrate::MigrateError,
    },

    /// Seeding would mix demo data into existing rows.
    #[error(
        "{} already holds {customers} customers; seed an empty database or reset it first \
         (`braid db seed --reset`)",
        path.display()
    )]
    NotEmpty { path: PathBuf, customers: i64 },

    /// Invoices need customers to belong to.
    #[error("cannot seed {invoices} invoices without customers (use --customers 1 or more)")]
    NoCustomers { invoices: u32 },

    /// A statement failed while seeding or resetting.
    #[error("cannot seed SQLite database {}: {source}", path.display())]
    Seed { path: PathBuf, source: sqlx::Error },
}
