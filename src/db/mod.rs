//! SQLite through sqlx: the [`Db`] handle, migrations, the seed generator and every query.
//!
//! The app calls the functions re-exported here and never writes SQL itself. Each query is a
//! function named for what it returns (`latest_invoices`, `customer_count`), takes `&Db` and
//! reads from the read pool; the SQL is a static string, so user input only ever reaches
//! SQLite as a bound parameter.
//!
//! - [`Db`] (`pool.rs`): a read pool plus a single-connection write pool, migrations on open.
//! - `queries/`: the dashboard's totals and chart, invoice search and pages, customers,
//!   users and failed sign-ins.
//! - [`writes`]: invoices created, edited and deleted; users; failed sign-ins recorded.
//! - [`sessions`]: the signed-in sessions every instance shares (a tower-sessions store).
//! - [`seed`](mod@seed) (`seed/`): deterministic demo data, a million invoices in seconds.
//! - [`cli`]: `braid db migrate` and `braid db seed`.
//! - `migrations/` at the crate root: the schema, with a reason for every column and index.

pub mod cli;
mod error;
mod models;
mod pool;
mod queries;
pub mod seed;
pub mod sessions;
pub mod writes;

pub use error::DbError;
pub use models::{
    Customer, CustomerChoice, CustomerSummary, InvoiceRow, InvoiceStatus, MonthRevenue, User,
};
pub use pool::Db;
pub use queries::{
    MAX_ROWS, MAX_SEARCH_CHARS, customer_by_id, customer_choices, customer_count,
    customers_with_totals, invoice_by_id, invoice_count, invoice_pages, invoices_of_customer,
    latest_invoices, monthly_revenue, search_invoices, total_collected_cents, total_pending_cents,
    user_by_email, user_count,
};
pub use seed::{SeedSize, seed};
