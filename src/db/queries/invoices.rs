//! Invoices joined with their customers: the latest, one, one customer's (the search is
//! `super::search`, which shares [`select_invoice_rows_sqlite`] and its twin).
//!
//! Each statement comes in two dialects, built from the macros below: SQLite keeps the date
//! as text and formats amounts with `printf`; PostgreSQL has a `date` column, `to_char`
//! and `ilike`. The shapes (columns, order, parameters) are the same.

use super::row_limit;
use crate::db::{Db, InvoiceRow, on_read};

/// SQLite: `select … from invoices cross join customers`, the columns of [`InvoiceRow`], to
/// `concat!` with a query's own `where` and `order by`. One join, so a table of rows is one
/// query.
///
/// `cross join` is SQLite's way to fix the join order: invoices outside, each one's customer
/// looked up by primary key inside. Left to itself, the planner may loop over the (few)
/// customers first and then sort every invoice to find the newest five.
macro_rules! select_invoice_rows_sqlite {
    () => {
        r#"
        select
            invoices.id,
            invoices.customer_id,
            invoices.amount_cents,
            invoices.status,
            invoices.date,
            invoices.version,
            customers.name as customer_name,
            customers.email as customer_email,
            customers.avatar_color,
            customers.initials
        from invoices
        cross join customers on customers.id = invoices.customer_id
        "#
    };
}

pub(super) use select_invoice_rows_sqlite;

/// PostgreSQL: the same columns, the date printed as SQLite stores it.
macro_rules! select_invoice_rows_postgres {
    () => {
        r#"
        select
            invoices.id,
            invoices.customer_id,
            invoices.amount_cents,
            invoices.status,
            to_char(invoices.date, 'YYYY-MM-DD') as date,
            invoices.version,
            customers.name as customer_name,
            customers.email as customer_email,
            customers.avatar_color,
            customers.initials
        from invoices
        join customers on customers.id = invoices.customer_id
        "#
    };
}

pub(super) use select_invoice_rows_postgres;

/// A backwards walk of `invoices_by_date` that stops after `$1` rows.
macro_rules! newest_first_limit {
    () => {
        r#"
        order by invoices.date desc, invoices.id desc
        limit cast($1 as bigint)
        "#
    };
}

/// One customer's invoices but `$2`: a seek into `invoices_by_customer`, read backwards by
/// date, `$3` at most.
macro_rules! of_customer {
    () => {
        r#"
        where invoices.customer_id = $1
          and ($2 is null or invoices.id <> $2)
        order by invoices.date desc, invoices.id desc
        limit cast($3 as bigint)
        "#
    };
}

/// The `limit` newest invoices (by date, then number), at most [`MAX_ROWS`].
pub async fn latest_invoices(db: &Db, limit: u32) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    on_read!(
        db,
        sqlite: concat!(select_invoice_rows_sqlite!(), newest_first_limit!()),
        postgres: concat!(select_invoice_rows_postgres!(), newest_first_limit!()),
        |sql, pool| sqlx::query_as::<_, InvoiceRow>(sql).bind(row_limit(limit)).fetch_all(pool)
    )
}

/// The invoice numbered `id` with its customer, if it exists.
pub async fn invoice_by_id(db: &Db, id: i64) -> Result<Option<InvoiceRow>, sqlx::Error> {
    on_read!(
        db,
        sqlite: INVOICE_BY_ID_SQLITE,
        postgres: INVOICE_BY_ID_POSTGRES,
        |sql, pool| sqlx::query_as::<_, InvoiceRow>(sql).bind(id).fetch_optional(pool)
    )
}

/// [`invoice_by_id`]'s statements, also read inside write transactions (`db::writes`).
pub(crate) const INVOICE_BY_ID_SQLITE: &str =
    concat!(select_invoice_rows_sqlite!(), "where invoices.id = $1");
pub(crate) const INVOICE_BY_ID_POSTGRES: &str =
    concat!(select_invoice_rows_postgres!(), "where invoices.id = $1");

/// Up to `limit` invoices of one customer, newest first, leaving out `except_invoice`
/// (the invoice a page already shows, under "other invoices of this customer").
pub async fn invoices_of_customer(
    db: &Db,
    customer_id: i64,
    except_invoice: Option<i64>,
    limit: u32,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    on_read!(
        db,
        sqlite: concat!(select_invoice_rows_sqlite!(), of_customer!()),
        postgres: concat!(select_invoice_rows_postgres!(), of_customer!()),
        |sql, pool| sqlx::query_as::<_, InvoiceRow>(sql)
            .bind(customer_id)
            .bind(except_invoice)
            .bind(row_limit(limit))
            .fetch_all(pool)
    )
}
