//! SQLite's bulk path: batches of rows as one JSON array per statement, unpacked by
//! `json_each` (a static statement, one parameter, thousands of rows per round trip), on
//! the write connection, in one transaction.
//!
//! A million invoices take about 5 s (release build, 2 cores), 2 s of them filling the
//! search index; with the indexes and triggers of `invoices` in place the rows alone took
//! 7.3 s instead of 3.

use std::fmt::Write as _;

use sqlx::{AssertSqlSafe, SqliteConnection, SqlitePool};

use super::generate::{NewCustomer, NewInvoice};
use super::{Batch, Batches, IfNotEmpty, Loaded, SeedSize};

pub(super) async fn load(
    write: &SqlitePool,
    size: SeedSize,
    if_not_empty: IfNotEmpty,
) -> Result<Loaded, sqlx::Error> {
    // `begin immediate` takes the write lock now, so the emptiness check below still holds
    // when the inserts run, even if another process opens the same file.
    let mut tx = write.begin_with("begin immediate").await?;
    let customers: i64 = sqlx::query_scalar("select count(*) from customers")
        .fetch_one(&mut *tx)
        .await?;
    if let Some(answer) = if_not_empty.decide(customers) {
        return Ok(answer);
    }
    let derived = drop_derived(&mut tx).await?;
    if customers > 0 {
        clear(&mut tx).await?;
    }
    insert_rows(&mut tx, size).await?;
    fill_revenue_by_month(&mut tx).await?;
    fill_search_index(&mut tx).await?;
    recreate(&mut tx, &derived).await?;
    tx.commit().await?;
    // Fresh statistics, so the planner knows invoices outnumber customers.
    sqlx::query("analyze").execute(write).await?;
    Ok(Loaded::Rows)
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
/// [`recreate`] once the rows are in. Reading the definitions from `sqlite_schema` keeps
/// the migrations the one place that defines them.
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

/// Deletes all rows, the keys of submitted create forms included (they name invoices that
/// no longer exist; PostgreSQL's reseed truncates them too). With its triggers and indexes
/// dropped, SQLite empties `invoices` without visiting each row.
async fn clear(tx: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"
        delete from form_submissions;
        delete from invoices;
        delete from customers;
        delete from revenue_by_month;
        delete from customer_totals;
        "#,
    )
    .execute(&mut *tx)
    .await?;
    empty_search_index(tx).await
}

/// Empties `invoice_search` by dropping it and making it again from its stored SQL: FTS5
/// deletes row by row, reading each row back for its trigrams.
async fn empty_search_index(tx: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let create: String = sqlx::query_scalar(
        "select sql from sqlite_schema where type = 'table' and name = 'invoice_search'",
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("drop table invoice_search")
        .execute(&mut *tx)
        .await?;
    sqlx::query(AssertSqlSafe(create)).execute(&mut *tx).await?;
    Ok(())
}

async fn insert_rows(tx: &mut SqliteConnection, size: SeedSize) -> Result<(), sqlx::Error> {
    let mut batches = Batches::new(size);
    let mut json = String::new();
    while let Some(batch) = batches.next() {
        json.clear();
        json.push('[');
        match &batch {
            Batch::Customers(customers) => {
                for customer in customers {
                    push_customer(&mut json, customer);
                }
            }
            Batch::Invoices(invoices) => {
                for invoice in invoices {
                    push_invoice(&mut json, invoice, batches.date(invoice));
                }
            }
        }
        finish_array(&mut json);
        let statement = match batch {
            Batch::Customers(_) => INSERT_CUSTOMERS,
            Batch::Invoices(_) => INSERT_INVOICES,
        };
        sqlx::query(statement).bind(&json).execute(&mut *tx).await?;
    }
    Ok(())
}

/// Inserts a JSON array of `[id, name, email, avatar_color, initials]` rows.
const INSERT_CUSTOMERS: &str = r#"
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
    from json_each($1)
"#;

/// Inserts a JSON array of `[id, customer_id, amount_cents, status, date]` rows.
const INSERT_INVOICES: &str = r#"
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
    from json_each($1)
"#;

/// Recomputes `revenue_by_month` and `customer_totals` from every invoice: one pass each
/// instead of trigger calls per row.
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

        delete from customer_totals;

        insert into customer_totals (
            customer_id,
            invoice_count,
            paid_count,
            paid_cents,
            pending_cents
        )
        select
            customer_id,
            count(*),
            sum(iif(status = 'paid', 1, 0)),
            sum(iif(status = 'paid', amount_cents, 0)),
            sum(iif(status = 'pending', amount_cents, 0))
        from invoices
        group by customer_id;
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

/// Fills the trigram index of dates and amounts (`invoice_search`, whose rowids its
/// migration explains) in one statement, then merges its segments into one: a million
/// invoices take about 2 s, and a merged index answers the searches of a page in a few
/// milliseconds where the segments of a bulk load take twice as long.
async fn fill_search_index(tx: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"
        insert into invoice_search (rowid, text)
        select
            (unixepoch(date) / 86400) * 1099511627776 + id,
            date || ' ' || printf('%d.%02d', amount_cents / 100, amount_cents % 100)
        from invoices;
        insert into invoice_search (invoice_search) values ('optimize');
        "#,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
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
