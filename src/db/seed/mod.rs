//! Demo data: customers and invoices drawn from a seed, a million invoices in seconds.
//!
//! The rows are generated in Rust ([`generate`]) and sent to SQLite in batches of a few
//! thousand as one JSON array per statement, which SQLite unpacks with `json_each`: a
//! static statement, one parameter, thousands of rows per round trip. Everything happens
//! in one transaction on the write connection, so a reader sees no data or all of it.
//!
//! During the bulk load the `revenue_by_month` triggers are dropped (one upsert per invoice
//! would double the time) and recreated from their own stored SQL before commit; the table
//! is then filled by a single `group by`.

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

    let triggers = drop_invoice_triggers(&mut tx).await.map_err(failed)?;
    if customers > 0 {
        clear(&mut tx).await.map_err(failed)?;
    }
    insert_rows(&mut tx, size).await.map_err(failed)?;
    fill_revenue_by_month(&mut tx).await.map_err(failed)?;
    restore_triggers(&mut tx, &triggers).await.map_err(failed)?;
    tx.commit().await.map_err(failed)?;

    // Fresh statistics, so the planner knows invoices outnumber customers.
    sqlx::query("analyze")
        .execute(db.write())
        .await
        .map_err(failed)?;
    Ok(true)
}

/// A trigger's name and its `create trigger` statement, as SQLite stored it.
type Trigger = (String, String);

/// Drops the triggers on `invoices` and returns them, to recreate with
/// [`restore_triggers`]. Reading their SQL from `sqlite_schema` keeps the migration the one
/// place that defines them.
async fn drop_invoice_triggers(tx: &mut SqliteConnection) -> Result<Vec<Trigger>, sqlx::Error> {
    let triggers: Vec<Trigger> = sqlx::query_as(
        r#"
        select
            name,
            sql
        from sqlite_schema
        where type = 'trigger'
          and tbl_name = 'invoices'
        order by name
        "#,
    )
    .fetch_all(&mut *tx)
    .await?;
    for (name, _) in &triggers {
        // The name comes from the schema, never from input; quoted as an identifier.
        let drop = format!(r#"drop trigger "{}""#, name.replace('"', r#""""#));
        sqlx::query(AssertSqlSafe(drop)).execute(&mut *tx).await?;
    }
    Ok(triggers)
}

async fn restore_triggers(
    tx: &mut SqliteConnection,
    triggers: &[Trigger],
) -> Result<(), sqlx::Error> {
    for (_, create) in triggers {
        // SQL that SQLite itself stored when the migration ran.
        sqlx::query(AssertSqlSafe(create.as_str()))
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Deletes all rows. With the triggers dropped, SQLite empties `invoices` without visiting
/// each row.
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
