//! Demo data: customers and invoices drawn from a seed, a million invoices in seconds.
//!
//! The rows are generated in Rust (`generate.rs`) and sent to SQLite in batches of a few
//! thousand as one JSON array per statement, which SQLite unpacks with `json_each`: a
//! static statement, one parameter, thousands of rows per round trip. Everything happens
//! in one transaction on the write connection, so a reader sees no data or all of it.
//!
//! During the bulk load the indexes and triggers of `invoices` are dropped and recreated
//! from their own stored SQL before commit: building an index once is faster than updating
//! it a million times, and the triggers would run one upsert per invoice. `revenue_by_month`
//! is filled by a single `group by` instead. A million invoices take about 3.5 s (release
//! build, 2 cores), against 7.3 s with indexes and triggers in place.

mod calendar;
mod generate;
mod names;

use std::fmt::Write as _;

use indicatif::{ProgressBar, ProgressStyle};
use sqlx::{AssertSqlSafe, SqliteConnection};

use crate::db::{Db, DbError};
use generate::{Generator, NewCustomer, NewInvoice};

/// Rows per `insert` statement: large enough that round trips do not matter, small enough
/// that a batch's JSON (about 60 bytes a row) stays a few hundred kilobytes.
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
        path: db.path().to_path_buf(),
        source,
    };

    // `begin immediate` takes the write lock now, so the emptiness check below still holds
    // when the inserts run, even if another process opens the same file.
    let mut tx = db
        .write()
        .begin_with("begin immediate")
        .await
        .map_err(failed)?;
    let customers: i64 = sqlx::query_scalar("select count(*) from customers")
        .fetch_one(&mut *tx)
        .await
        .map_err(failed)?;
    if customers > 0 {
        match if_not_empty {
            IfNotEmpty::Refuse => {
                return Err(DbError::NotEmpty {
                    path: db.path().to_path_buf(),
                    customers,
                });
            }
            IfNotEmpty::Skip => return Ok(false),
            IfNotEmpty::Clear => {}
        }
    }

    let derived = drop_derived(&mut tx).await.map_err(failed)?;
    if customers > 0 {
        clear(&mut tx).await.map_err(failed)?;
    }
    insert_rows(&mut tx, size).await.map_err(failed)?;
    fill_revenue_by_month(&mut tx).await.map_err(failed)?;
    recreate(&mut tx, &derived).await.map_err(failed)?;
    tx.commit().await.map_err(failed)?;

    // Fresh statistics, so the planner knows invoices outnumber customers.
    sqlx::query("analyze")
        .execute(db.write())
        .await
        .map_err(failed)?;
    Ok(true)
}

/// An index or trigger on `invoices`, as SQLite stored it when the migration ran.
#[derive(Debug, sqlx::FromRow)]
struct Derived {
    /// `index` or `trigger`.
    kind: String,
    name: String,
    /// The `create index` or `create trigger` statement.
    sql: String,
}

/// Drops the indexes and triggers on `invoices` and returns them, to recreate with
/// [`recreate`] once the rows are in.
///
/// Building an index once over sorted data is several times faster than updating it a
/// million times in random order, and the triggers would run an upsert per row. Reading the
/// definitions from `sqlite_schema` keeps the migrations the one place that defines them.
async fn drop_derived(tx: &mut SqliteConnection) -> Result<Vec<Derived>, sqlx::Error> {
    let derived: Vec<Derived> = sqlx::query_as(
        r#"
        select
            type as kind,
            name,
            sql
        from sqlite_schema
        where type in ('index', 'trigger')
          and tbl_name = 'invoices'
          -- Indexes SQLite makes itself (for `unique`) have no SQL and stay.
          and sql is not null
        -- Indexes first, so they exist again before any trigger that might use them.
        order by type, name
        "#,
    )
    .fetch_all(&mut *tx)
    .await?;
    for object in &derived {
        let kind = match object.kind.as_str() {
            "index" => "index",
            _ => "trigger",
        };
        // The name comes from the schema, never from input; quoted as an identifier.
        let name = object.name.replace('"', r#""""#);
        let drop = format!(r#"drop {kind} "{name}""#);
        sqlx::query(AssertSqlSafe(drop)).execute(&mut *tx).await?;
    }
    Ok(derived)
}

/// Recreates what [`drop_derived`] dropped, from SQLite's own copy of its SQL.
async fn recreate(tx: &mut SqliteConnection, derived: &[Derived]) -> Result<(), sqlx::Error> {
    for object in derived {
        sqlx::query(AssertSqlSafe(object.sql.as_str()))
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Deletes all rows. With its triggers and indexes dropped, SQLite empties `invoices`
/// without visiting each row.
async fn clear(tx: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"
        delete from invoices;
        delete from customers;
        delete from revenue_by_month;
        "#,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn insert_rows(tx: &mut SqliteConnection, size: SeedSize) -> Result<(), sqlx::Error> {
    let progress = ProgressBar::new(u64::from(size.customers) + u64::from(size.invoices));
    if let Ok(style) = ProgressStyle::with_template(
        "seeding {bar:40} {human_pos}/{human_len} rows, {per_sec}, {eta} left",
    ) {
        progress.set_style(style);
    }

    let mut generator = Generator::new(size.seed);
    let mut json = String::new();

    let mut next_id = 1;
    while next_id <= size.customers {
        let last = next_id.saturating_add(BATCH_ROWS - 1).min(size.customers);
        json.clear();
        json.push('[');
        for id in next_id..=last {
            push_customer(&mut json, &generator.customer(id));
        }
        finish_array(&mut json);
        insert_customers(tx, &json).await?;
        progress.inc(u64::from(last - next_id + 1));
        next_id = last.saturating_add(1);
        if last == u32::MAX {
            break;
        }
    }

    let days = generator.invoice_days(size.invoices);
    for (batch, ids) in days
        .chunks(BATCH_ROWS as usize)
        .zip((1u32..).step_by(BATCH_ROWS as usize))
    {
        json.clear();
        json.push('[');
        for (&day, id) in batch.iter().zip(ids..) {
            let invoice = generator.invoice(id, day, size.customers);
            push_invoice(&mut json, &invoice, generator.date(day));
        }
        finish_array(&mut json);
        insert_invoices(tx, &json).await?;
        progress.inc(batch.len() as u64);
    }
    progress.finish_and_clear();
    Ok(())
}

/// Inserts a JSON array of `[id, name, email, avatar_color, initials]` rows.
async fn insert_customers(tx: &mut SqliteConnection, rows: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"
        insert into customers (
            id,
            name,
            email,
            avatar_color,
            initials
        )
        select
            value ->> 0,
            value ->> 1,
            value ->> 2,
            value ->> 3,
            value ->> 4
        from json_each(?1)
        "#,
    )
    .bind(rows)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Inserts a JSON array of `[id, customer_id, amount_cents, status, date]` rows.
async fn insert_invoices(tx: &mut SqliteConnection, rows: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"
        insert into invoices (
            id,
            customer_id,
            amount_cents,
            status,
            date
        )
        select
            value ->> 0,
            value ->> 1,
            value ->> 2,
            value ->> 3,
            value ->> 4
        from json_each(?1)
        "#,
    )
    .bind(rows)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Recomputes `revenue_by_month` from every invoice: one pass instead of one trigger call
/// per row.
async fn fill_revenue_by_month(tx: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"
        delete from revenue_by_month;

        insert into revenue_by_month (
            month,
            paid_cents,
            pending_cents,
            invoice_count
        )
        select
            substr(date, 1, 7),
            sum(iif(status = 'paid', amount_cents, 0)),
            sum(iif(status = 'pending', amount_cents, 0)),
            count(*)
        from invoices
        group by substr(date, 1, 7);
        "#,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

fn push_customer(json: &mut String, customer: &NewCustomer) {
    let _ = write!(json, "[{},", customer.id);
    push_json_string(json, &customer.name);
    json.push(',');
    push_json_string(json, &customer.email);
    json.push(',');
    push_json_string(json, customer.avatar_color);
    json.push(',');
    push_json_string(json, &customer.initials);
    json.push_str("],");
}

fn push_invoice(json: &mut String, invoice: &NewInvoice, date: &str) {
    let status = if invoice.paid { "paid" } else { "pending" };
    let _ = write!(
        json,
        r#"[{},{},{},"{status}","{date}"],"#,
        invoice.id, invoice.customer_id, invoice.amount_cents
    );
}

/// Replaces the trailing comma (if any) with the closing bracket.
fn finish_array(json: &mut String) {
    if json.ends_with(',') {
        json.pop();
    }
    json.push(']');
}

/// Appends `text` as a JSON string literal.
fn push_json_string(json: &mut String, text: &str) {
    json.push('"');
    for c in text.chars() {
        match c {
            '"' => json.push_str(r#"\""#),
            '\\' => json.push_str(r"\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(json, "\\u{:04x}", u32::from(c));
            }
            c => json.push(c),
        }
    }
    json.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        let mut json = String::new();
        push_json_string(&mut json, "a\"b\\c\nd'é");
        assert_eq!(json, r#""a\"b\\c\u000ad'é""#);
    }
}
