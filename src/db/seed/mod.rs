//! Demo data: customers and invoices drawn from a seed, a million invoices in seconds, on
//! either backend.
//!
//! The rows are generated in Rust (`generate.rs`, the same rows for a seed on both
//! backends) and loaded by each backend's bulk path, in one transaction, so a reader sees no
//! data or all of it:
//! - SQLite (`sqlite.rs`): batches of a few thousand rows as one JSON array per statement,
//!   unpacked by `json_each`.
//! - PostgreSQL (`postgres.rs`): `COPY … FROM STDIN` in CSV.
//!
//! Both take the indexes and summary triggers of `invoices` out of the load (SQLite drops
//! and recreates them from its own stored definitions, PostgreSQL drops the indexes and
//! disables the triggers) before commit (building an index once is faster
//! than updating it a million times; the triggers would run an upsert per invoice), and
//! fill `revenue_by_month` with a single `group by`.

mod calendar;
mod generate;
mod names;
mod postgres;
mod sqlite;

use super::changes;
use indicatif::{ProgressBar, ProgressStyle};

use crate::db::{Backend, Db, DbError};
use generate::{Generator, NewCustomer, NewInvoice};

/// Rows per statement or `COPY` message: large enough that round trips do not matter,
/// small enough that a batch (about 60 bytes a row) stays a few hundred kilobytes.
const BATCH_ROWS: u32 = 5_000;

/// How much demo data to create, and from which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSize {
    pub customers: u32,
    pub invoices: u32,
    /// The same seed always gives the same rows.
    pub seed: u64,
}

impl Default for SeedSize {
    /// The demo's default: 200 customers, 20,000 invoices, seed 1.
    fn default() -> Self {
        SeedSize {
            customers: 200,
            invoices: 20_000,
            seed: 1,
        }
    }
}

/// Fills an empty database with `size`'s customers and invoices.
///
/// Fails with [`DbError::NotEmpty`] if the database already has customers: demo rows mixed
/// into real ones could not be told apart. See [`reseed`] to replace the data.
pub async fn seed(db: &Db, size: SeedSize) -> Result<(), DbError> {
    load(db, size, IfNotEmpty::Refuse).await.map(|_| ())
}

/// Deletes every customer and invoice, then seeds with `size`, in one transaction.
pub async fn reseed(db: &Db, size: SeedSize) -> Result<(), DbError> {
    load(db, size, IfNotEmpty::Clear).await.map(|_| ())
}

/// Seeds with `size` if the database has no customers; returns whether it did.
pub(crate) async fn seed_if_empty(db: &Db, size: SeedSize) -> Result<bool, DbError> {
    load(db, size, IfNotEmpty::Skip).await
}

/// What [`load`] does with a database that already has customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IfNotEmpty {
    Refuse,
    Skip,
    Clear,
}

async fn load(db: &Db, size: SeedSize, if_not_empty: IfNotEmpty) -> Result<bool, DbError> {
    if size.customers == 0 && size.invoices > 0 {
        return Err(DbError::NoCustomers {
            invoices: size.invoices,
        });
    }
    let failed = |source| DbError::Seed {
        location: db.location().clone(),
        source,
    };
    let loaded = match db.backend() {
        Backend::Sqlite(sqlite) => sqlite::load(sqlite.write(), size, if_not_empty).await,
        Backend::Postgres(pool) => postgres::load(pool, size, if_not_empty).await,
    };
    match loaded.map_err(failed)? {
        Loaded::Rows => {
            db.announce(&[changes::EVERYTHING]);
            Ok(true)
        }
        Loaded::Skipped => Ok(false),
        Loaded::Refused { customers } => Err(DbError::NotEmpty {
            location: db.location().clone(),
            customers,
        }),
    }
}

/// What a backend's `load` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loaded {
    Rows,
    /// The database had customers and [`IfNotEmpty::Skip`] said to leave it.
    Skipped,
    /// The database had this many customers and [`IfNotEmpty::Refuse`] said to stop.
    Refused {
        customers: i64,
    },
}

impl IfNotEmpty {
    /// What to do with a database that has `customers`: `None` to go on and load (after
    /// clearing if there were any), or the answer to give.
    fn decide(self, customers: i64) -> Option<Loaded> {
        match (customers, self) {
            (0, _) | (_, IfNotEmpty::Clear) => None,
            (_, IfNotEmpty::Skip) => Some(Loaded::Skipped),
            (customers, IfNotEmpty::Refuse) => Some(Loaded::Refused { customers }),
        }
    }
}

/// The rows of a [`SeedSize`] in batches of [`BATCH_ROWS`]: every customer, then every
/// invoice, drawn in the generator's fixed order (so a seed gives the same rows on both
/// backends), with a progress bar.
struct Batches {
    generator: Generator,
    size: SeedSize,
    next_customer: u32,
    /// Each invoice's day, drawn once the customers are done.
    days: Option<Vec<u16>>,
    next_invoice: usize,
    progress: ProgressBar,
}

/// One batch of generated rows.
enum Batch {
    Customers(Vec<NewCustomer>),
    /// Dated by [`Batches::date`].
    Invoices(Vec<NewInvoice>),
}

impl Batches {
    fn new(size: SeedSize) -> Batches {
        let progress = ProgressBar::new(u64::from(size.customers) + u64::from(size.invoices));
        if let Ok(style) = ProgressStyle::with_template(
            "seeding {bar:40} {human_pos}/{human_len} rows, {per_sec}, {eta} left",
        ) {
            progress.set_style(style);
        }
        Batches {
            generator: Generator::new(size.seed),
            size,
            next_customer: 1,
            days: None,
            next_invoice: 0,
            progress,
        }
    }

    /// An invoice's date, `YYYY-MM-DD`.
    fn date(&self, invoice: &NewInvoice) -> &str {
        self.generator.date(invoice.day)
    }

    fn customers(&mut self) -> Option<Vec<NewCustomer>> {
        let total = self.size.customers;
        if self.days.is_some() || self.next_customer > total {
            return None;
        }
        let first = self.next_customer;
        let last = first.saturating_add(BATCH_ROWS - 1).min(total);
        let batch: Vec<NewCustomer> = (first..=last)
            .map(|id| self.generator.customer(id))
            .collect();
        // u32::MAX customers would overflow `last + 1`: stop there instead.
        self.next_customer = last.checked_add(1).unwrap_or(last);
        if last == u32::MAX {
            self.days = Some(Vec::new());
        }
        self.progress.inc(batch.len() as u64);
        Some(batch)
    }

    fn invoices(&mut self) -> Option<Vec<NewInvoice>> {
        let (size, generator) = (self.size, &mut self.generator);
        let days = self
            .days
            .get_or_insert_with(|| generator.invoice_days(size.invoices));
        let from = self.next_invoice;
        let to = (from + BATCH_ROWS as usize).min(days.len());
        if from >= to {
            self.progress.finish_and_clear();
            return None;
        }
        let batch: Vec<NewInvoice> = (from..to)
            .map(|index| {
                let id = u32::try_from(index + 1).unwrap_or(u32::MAX);
                generator.invoice(id, days[index], size.customers)
            })
            .collect();
        self.next_invoice = to;
        self.progress.inc(batch.len() as u64);
        Some(batch)
    }
}

impl Iterator for Batches {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        if let Some(customers) = self.customers() {
            return Some(Batch::Customers(customers));
        }
        self.invoices().map(Batch::Invoices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_non_empty_database_needs_a_decision() {
        assert_eq!(IfNotEmpty::Refuse.decide(0), None);
        assert_eq!(IfNotEmpty::Clear.decide(5), None);
        assert_eq!(IfNotEmpty::Skip.decide(5), Some(Loaded::Skipped));
        assert_eq!(
            IfNotEmpty::Refuse.decide(5),
            Some(Loaded::Refused { customers: 5 })
        );
    }
}
