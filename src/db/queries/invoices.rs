//! Invoices joined with their customers: the latest, a search page, one, one customer's.
//!
//! Each statement comes in two dialects, built from the macros below: SQLite keeps the date
//! as text and formats amounts with `printf`; PostgreSQL has a `date` column, `to_char`
//! and `ilike`. The shapes (columns, order, parameters) are the same.

use super::pattern::Search;
use super::{MAX_ROWS, page_offset, row_limit};
use crate::db::{Db, InvoiceRow, invoice_count, on_read};

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

/// SQLite's `where` of a search: `$1` is the `contains` pattern or null for "all", `$2` the
/// amount pattern or null. ASCII letters match in either case (`like`'s rule); other
/// characters, `%`, `_` and `\` included, match only themselves.
///
/// Names and emails are matched once per customer, in the subquery, not once per invoice;
/// the rest reads only columns of the covering index `invoices_by_customer`, so a count
/// never touches the table.
macro_rules! where_invoice_matches_sqlite {
    () => {
        r#"
        where $1 is null
           or invoices.customer_id in (
               select customers.id
               from customers
               where customers.name like $1 escape '\'
                  or customers.email like $1 escape '\'
           )
           or invoices.date like $1 escape '\'
           or invoices.status like $1 escape '\'
           -- The amount as the user writes it: 1234.56 (the `$` and `,` are dropped from $2).
           -- Formatted only when the query reads as an amount.
           or (
               $2 is not null
               and printf('%d.%02d', invoices.amount_cents / 100, invoices.amount_cents % 100)
                   like $2 escape '\'
           )
        "#
    };
}

/// PostgreSQL's: the same matches, with `ilike` for SQLite's case-blind `like`.
macro_rules! where_invoice_matches_postgres {
    () => {
        r#"
        where $1 is null
           or invoices.customer_id in (
               select customers.id
               from customers
               where customers.name ilike $1 escape '\'
                  or customers.email ilike $1 escape '\'
           )
           or to_char(invoices.date, 'YYYY-MM-DD') like $1 escape '\'
           or invoices.status ilike $1 escape '\'
           or (
               $2 is not null
               and (invoices.amount_cents / 100)::text || '.'
                   || lpad((invoices.amount_cents % 100)::text, 2, '0')
                   like $2 escape '\'
           )
        "#
    };
}

/// A backwards walk of `invoices_by_date` that stops after `$1` rows.
macro_rules! newest_first_limit {
    () => {
        r#"
        order by invoices.date desc, invoices.id desc
        limit $1
        "#
    };
}

/// A search page: `$3` rows after skipping `$4`, newest first.
macro_rules! page_newest_first {
    () => {
        r#"
        order by invoices.date desc, invoices.id desc
        limit $3
        offset $4
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
        limit $3
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

/// Page `page` (1-based; 0 reads as 1) of the invoices matching `query`, newest first.
///
/// `query` matches a customer's name or email, the date (`2026-03`), the status (`paid`)
/// or the amount (`1234.56`, `$1,234`), case-insensitively, as a literal substring. An
/// empty query matches every invoice. A page past the end is empty.
pub async fn search_invoices(
    db: &Db,
    query: &str,
    page: u32,
    per_page: u32,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    let search = Search::new(query);
    if search == Search::Nothing || matches_no_invoice(db, &search).await? {
        return Ok(Vec::new());
    }
    on_read!(
        db,
        sqlite: concat!(
            select_invoice_rows_sqlite!(),
            where_invoice_matches_sqlite!(),
            page_newest_first!()
        ),
        postgres: concat!(
            select_invoice_rows_postgres!(),
            where_invoice_matches_postgres!(),
            page_newest_first!()
        ),
        |sql, pool| sqlx::query_as::<_, InvoiceRow>(sql)
            .bind(search.contains())
            .bind(search.amount_contains())
            .bind(row_limit(per_page))
            .bind(page_offset(page, per_page))
            .fetch_all(pool)
    )
}

/// Whether a search that can match only customers and statuses matches neither (a name
/// nobody has): known from the customers alone, where looking for rows would read every
/// invoice to find none.
async fn matches_no_invoice(db: &Db, search: &Search) -> Result<bool, sqlx::Error> {
    if search.may_match_dates_or_amounts() || search.is_in("paid") || search.is_in("pending") {
        return Ok(false);
    }
    let any_customer: bool = on_read!(
        db,
        sqlite: "select exists (select 1 from customers where name like $1 escape '\\' or email like $1 escape '\\')",
        postgres: "select exists (select 1 from customers where name ilike $1 escape '\\' or email ilike $1 escape '\\')",
        |sql, pool| sqlx::query_scalar(sql).bind(search.contains()).fetch_one(pool)
    )?;
    Ok(!any_customer)
}

/// How many pages of `per_page` rows [`search_invoices`] has for `query`; at least 1, so
/// "page 1 of 1" also describes an empty result.
pub async fn invoice_pages(db: &Db, query: &str, per_page: u32) -> Result<u32, sqlx::Error> {
    let search = Search::new(query);
    let matching = match search {
        Search::Nothing => 0,
        // Every invoice: the kept total, instead of counting a million rows.
        Search::All => invoice_count(db).await?,
        Search::Matching { .. } if !search.may_match_dates_or_amounts() => {
            count_by_customer_and_status(db, &search).await?
        }
        Search::Matching { .. } => on_read!(
            db,
            sqlite: concat!("select count(*) from invoices", where_invoice_matches_sqlite!()),
            postgres: concat!("select count(*) from invoices", where_invoice_matches_postgres!()),
            |sql, pool| sqlx::query_scalar::<_, i64>(sql)
                .bind(search.contains())
                .bind(search.amount_contains())
                .fetch_one(pool)
        )?,
    };
    let per_page = u64::from(per_page.clamp(1, MAX_ROWS));
    let pages = u64::try_from(matching)
        .unwrap_or(0)
        .div_ceil(per_page)
        .max(1);
    Ok(u32::try_from(pages).unwrap_or(u32::MAX))
}

/// [`count_by_customer_and_status`]: invoices and paid invoices of the customers whose name
/// or email matches `$1`, and of all customers.
macro_rules! sums_by_match {
    () => {
        r#"
        select
            cast(coalesce(sum(case when matched then invoice_count else 0 end), 0) as bigint),
            cast(coalesce(sum(case when matched then paid_count else 0 end), 0) as bigint),
            cast(coalesce(sum(invoice_count), 0) as bigint),
            cast(coalesce(sum(paid_count), 0) as bigint)
        from customer_totals
        join (
            select customers.id, (customers.name "#
    };
}

macro_rules! sums_by_match_end {
    () => {
        r#") as matched
            from customers
        ) as by_customer on by_customer.id = customer_totals.customer_id
        "#
    };
}

/// How many invoices match a search that can match only customers (name, email) and
/// statuses, from `customer_totals` alone: |customers ∪ statuses| = |customers| +
/// |statuses| − |both|, each a sum over at most one row per customer. No invoice is read,
/// so a million invoices cost what a few hundred customers do.
async fn count_by_customer_and_status(db: &Db, search: &Search) -> Result<i64, sqlx::Error> {
    let (matched, matched_paid, all, all_paid): (i64, i64, i64, i64) = on_read!(
        db,
        sqlite: concat!(sums_by_match!(), "like $1 escape '\\' or customers.email like $1 escape '\\'", sums_by_match_end!()),
        postgres: concat!(sums_by_match!(), "ilike $1 escape '\\' or customers.email ilike $1 escape '\\'", sums_by_match_end!()),
        |sql, pool| sqlx::query_as(sql).bind(search.contains()).fetch_one(pool)
    )?;
    let (matched_pending, all_pending) = (matched - matched_paid, all - all_paid);
    let (paid, pending) = (search.is_in("paid"), search.is_in("pending"));
    let by_status = if paid { all_paid } else { 0 } + if pending { all_pending } else { 0 };
    let both = if paid { matched_paid } else { 0 } + if pending { matched_pending } else { 0 };
    Ok(matched + by_status - both)
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
