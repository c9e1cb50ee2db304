//! Errors of opening, migrating and seeding a database; each names the database.
//!
//! Queries return plain `sqlx::Error`: the app logs them and shows a section's error view,
//! and the location adds nothing there. Opening and seeding happen once, at start or from
//! the command line, where "which database?" is the first question.

use std::path::PathBuf;

use super::location::DatabaseUrl;

/// Why a database could not be opened, migrated or seeded.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The directory that should hold the database file could not be created.
    #[error("cannot create directory {} for the database: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },

    /// The database could not be opened: SQLite could not open or create the file
    /// (permissions, not a database, locked); PostgreSQL refused or could not be reached.
    #[error("cannot open database {location}: {source}")]
    Open {
        location: DatabaseUrl,
        source: sqlx::Error,
    },

    /// A migration failed, or the database was migrated by a different build of the schema.
    #[error("cannot migrate database {location}: {source}")]
    Migrate {
        location: DatabaseUrl,
        source: sqlx::migrate::MigrateError,
    },

    /// Seeding would mix demo data into existing rows.
    #[error(
        "{location} already holds {customers} customers; seed an empty database or reset it \
         first (`braid db seed --reset`)"
    )]
    NotEmpty {
        location: DatabaseUrl,
        customers: i64,
    },

    /// Invoices need customers to belong to.
    #[error("cannot seed {invoices} invoices without customers (use --customers 1 or more)")]
    NoCustomers { invoices: u32 },

    /// A statement failed while seeding or resetting.
    #[error("cannot seed database {location}: {source}")]
    Seed {
        location: DatabaseUrl,
        source: sqlx::Error,
    },
}
