//! SQLite or PostgreSQL through sqlx: the [`Db`] handle, migrations, the seed generator and
//! every query.
//!
//! The app calls the functions re-exported here and never writes SQL itself. Each query is a
//! function named for what it returns (`latest_invoices`, `customer_count`) and takes `&Db`;
//! it holds one static statement per backend (one when the SQL is portable) and runs the
//! one its [`Backend`] needs (`on_read!`, `on_write!`, `in_transaction!` in `pool.rs`), so
//! user input only ever reaches the database as a bound parameter.
//!
//! - [`DatabaseUrl`] (`location.rs`): what `--database` names, a SQLite file or a
//!   `postgres://` URL; anything else is refused.
//! - [`Db`] (`pool.rs`): SQLite's read pool plus single-connection write pool, or one
//!   PostgreSQL pool; migrations on open (`migrations/sqlite/`, `migrations/postgres/`).
//! - `queries/`: the dashboard's totals and chart, invoice search and pages, customers,
//!   users and failed sign-ins.
//! - [`writes`]: invoices created, edited and deleted; users; failed sign-ins recorded.
//! - [`sessions`]: the signed-in sessions every instance shares (a tower-sessions store).
//! - [`seed`](mod@seed) (`seed/`): deterministic demo data, a million invoices in seconds.
//! - [`changes`]: the tags a committed write touched, heard from this process and, on
//!   PostgreSQL, from every instance (`NOTIFY`, and `data_versions` to catch up).
//! - [`cli`]: `braid db migrate` and `braid db seed`.
//! - `migrations/` at the crate root: the schema, with a reason for every column and index.

pub mod changes;
pub mod cli;
mod error;
mod location;
mod models;
mod pool;
mod queries;
pub mod seed;
pub mod sessions;
pub mod writes;

pub use error::DbError;
pub use location::{DatabaseUrl, DatabaseUrlError};
pub use models::{
    Customer, CustomerChoice, CustomerSummary, InvoiceRow, InvoiceStatus, MonthRevenue, User,
};
pub use pool::{Backend, Db, STATEMENT_TIMEOUT, SqliteDb};
pub(crate) use pool::{Dialect, in_transaction, on_pool, on_read, on_write};
pub use queries::{
    COUNT_LIMIT, CardTotals, MAX_ROWS, MAX_SEARCH_CHARS, PageCount, card_totals, customer_by_id,
    customer_choices, customer_count, customers_with_totals, has_page, invoice_by_id,
    invoice_count, invoice_pages, invoices_of_customer, latest_invoices, monthly_revenue,
    search_invoices, total_collected_cents, total_pending_cents, user_by_email, user_count,
};
pub use seed::{SeedSize, seed};
