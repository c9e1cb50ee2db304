//! The invoice search of `/invoices`: a page of the matching invoices, newest first, and how
//! many pages they fill.
//!
//! A search text matches an invoice whose customer's name or email, status, date or amount
//! contains it. Customers and statuses are few, so their matches are counted from
//! `customer_totals` (one row per customer). Dates and amounts are found through a trigram
//! index: SQLite's FTS5 table `invoice_search`, whose rowids are in page order; PostgreSQL
//! tests the few hundred days between the first invoice and the last instead of each
//! invoice's date, and finds amounts with `pg_trgm` (see the migrations named
//! `invoice_search`). No search formats and tests every invoice, except a
//! page of a text that most invoices match, which a walk of the invoices newest first
//! fills after a few rows. Counts are exact up to [`COUNT_LIMIT`] matches and say "more"
//! beyond.

use super::invoices::{select_invoice_rows_postgres, select_invoice_rows_sqlite};
use super::pattern::Search;
use super::{MAX_ROWS, page_offset, row_limit};
use sqlx::PgPool;

use crate::db::{Backend, Db, InvoiceRow, invoice_count, on_read};

/// Matches counted exactly; a search with more says "more than this many". Counting stops
/// there: a text in half of a million invoices would otherwise cost a read of each (10 ms
/// for 10,000 matches at 1M invoices on the trigram index, 250 ms for 450,000).
pub const COUNT_LIMIT: u32 = 1_000;

/// Invoices of matching customers up to which a page of a date or amount search is taken
/// from the index and sorted; with more, the customers' invoices are common enough for the
/// newest-first walk to find a page quickly.
const SORTED_CUSTOMER_INVOICES: i64 = 20_000;

/// How many pages a search fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageCount {
    /// Exactly this many; at least 1, so "page 1 of 1" also describes an empty result.
    Exactly(u32),
    /// More than [`COUNT_LIMIT`] invoices match: at least this many pages, probably more.
    AtLeast(u32),
}

impl PageCount {
    /// The pages `matches` invoices fill at `per_page` rows a page (clamped like a page
    /// size: 1 to [`MAX_ROWS`]).
    fn of(matches: Matches, per_page: u32) -> PageCount {
        let per_page = u64::from(per_page.clamp(1, MAX_ROWS));
        let pages =
            |invoices: u64| u32::try_from(invoices.div_ceil(per_page).max(1)).unwrap_or(u32::MAX);
        match matches {
            Matches::Exactly(invoices) => PageCount::Exactly(pages(invoices)),
            Matches::AtLeast(invoices) => PageCount::AtLeast(pages(invoices)),
        }
    }

    /// The number of pages known to exist.
    pub fn known(self) -> u32 {
        match self {
            PageCount::Exactly(pages) | PageCount::AtLeast(pages) => pages,
        }
    }
}

/// How many invoices a search matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Matches {
    Exactly(u64),
    AtLeast(u64),
}

/// Page `page` (1-based; 0 reads as 1) of the invoices matching `query`, newest first.
///
/// `query` matches a customer's name or email, the date (`2026-03`), the status (`paid`)
/// or the amount (`1234.56`, `$1,234`), case-insensitively, as a literal substring. An
/// empty query matches every invoice. A page past the end is empty.
///
/// # Errors
///
/// What the database returns.
pub async fn search_invoices(
    db: &Db,
    query: &str,
    page: u32,
    per_page: u32,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    let search = Search::new(query);
    let offset = page_offset(page, per_page);
    match &search {
        Search::Nothing => return Ok(Vec::new()),
        // A page past the end is known to be empty: the walk would read every invoice.
        Search::All if offset >= invoice_count(db).await? => return Ok(Vec::new()),
        Search::All => {}
        Search::Matching { .. } => {
            let matched = customer_and_status_matches(db, &search).await?;
            let date_or_amount = search.date_or_amount();
            if date_or_amount.is_none() && offset >= matched.total {
                return Ok(Vec::new());
            }
            if !matched.any_status && matched.customers <= SORTED_CUSTOMER_INVOICES {
                return page_from_index(db, &search, date_or_amount, page, per_page).await;
            }
        }
    }
    page_by_walk(db, &search, page, per_page).await
}

/// Whether page `page` (1-based; 0 reads as 1) of `per_page` rows of [`search_invoices`]
/// holds a row: past a count that stopped at [`COUNT_LIMIT`], the way to know whether the
/// next page exists.
///
/// # Errors
///
/// What the database returns.
pub async fn has_page(db: &Db, query: &str, page: u32, per_page: u32) -> Result<bool, sqlx::Error> {
    let skipped = u64::from(page.max(1) - 1) * u64::from(per_page.clamp(1, MAX_ROWS));
    // As a page of one row: its number is the row's.
    let Ok(row) = u32::try_from(skipped + 1) else {
        return Ok(false);
    };
    Ok(!search_invoices(db, query, row, 1).await?.is_empty())
}

/// How many pages of `per_page` rows [`search_invoices`] has for `query`: exact up to
/// [`COUNT_LIMIT`] matches, [`PageCount::AtLeast`] beyond.
///
/// # Errors
///
/// What the database returns.
pub async fn invoice_pages(db: &Db, query: &str, per_page: u32) -> Result<PageCount, sqlx::Error> {
    let search = Search::new(query);
    let matches = match (&search, search.date_or_amount()) {
        (Search::Nothing, _) => Matches::Exactly(0),
        // Every invoice: the kept total, instead of counting a million rows.
        (Search::All, _) => Matches::Exactly(count(invoice_count(db).await?)),
        (Search::Matching { .. }, None) => {
            Matches::Exactly(count(customer_and_status_matches(db, &search).await?.total))
        }
        (Search::Matching { .. }, Some(pattern)) => {
            date_or_amount_matches(db, &search, pattern).await?
        }
    };
    Ok(PageCount::of(matches, per_page))
}

/// A count from the database as unsigned (a negative one cannot happen; it would read 0).
fn count(rows: i64) -> u64 {
    u64::try_from(rows).unwrap_or(0)
}

/// SQLite: a page of the invoices whose date or amount holds `$1` (a
/// [`Search::date_or_amount`] pattern) or whose customer's name or email holds `$2`.
/// The index hands its matches over newest first (its rowids are in page order) and stops
/// after the page; the customers' invoices, at most [`SORTED_CUSTOMER_INVOICES`], are
/// sorted by the same key and merged in.
macro_rules! page_from_index_sqlite {
    () => {
        r#"
        where invoices.id in (
            select key & 1099511627775
            from (
                select rowid as key
                from invoice_search
                where text like $1
                union
                select (unixepoch(invoices.date) / 86400) * 1099511627776 + invoices.id
                from invoices
                where invoices.customer_id in (
                    select customers.id
                    from customers
                    where customers.name like $2 escape '\'
                       or customers.email like $2 escape '\'
                )
                order by 1 desc
                limit cast($3 as bigint)
                offset cast($4 as bigint)
            )
        )
        order by invoices.date desc, invoices.id desc
        "#
    };
}

/// PostgreSQL: the days from the first invoice's to the last's whose `YYYY-MM-DD` holds
/// `$1` (null: none), as an array for `invoices.date = any(…)`: a few hundred days are
/// tested instead of a million invoices, and `invoices_by_date` reads the invoices of
/// those days newest first. A trigram index would find them too, but a month's invoices
/// sit together, far from the newest: a walk tests every invoice after them, and the
/// index's matches must all be sorted (30 to 100 ms at 1M invoices, where this is 1 ms).
macro_rules! days_holding_postgres {
    () => {
        r#"
        array(
            select first.day + offset_in_days
            from (select min(date) as day, max(date) - min(date) as span from invoices) as first
            cross join generate_series(0, first.span) as offset_in_days
            where to_char(first.day + offset_in_days, 'YYYY-MM-DD') like $1
        )
        "#
    };
}

/// PostgreSQL's page: the newest `$3 + $4` invoices of the days holding `$1`, of the
/// amounts matching `$5` (`%1234x5%`, through the trigram index of `amount_search`), and of
/// each customer matching `$2` (through `invoices_by_customer`, one customer at a time: a
/// walk of every invoice would look for customers that match none), merged.
macro_rules! page_from_index_postgres {
    () => {
        concat!(
            r#"
            where invoices.id in (
                select id
                from (
                    (
                        select id, date
                        from invoices
                        where date = any("#,
            days_holding_postgres!(),
            r#")
                        order by date desc, id desc
                        limit $3 + $4
                    )
                    union
                    (
                        select id, date
                        from invoices
                        where amount_search like $5
                        order by date desc, id desc
                        limit $3 + $4
                    )
                    union
                    (
                        select of_customer.id, of_customer.date
                        from customers
                        cross join lateral (
                            select id, date
                            from invoices
                            where invoices.customer_id = customers.id
                            order by date desc, id desc
                            limit $3 + $4
                        ) as of_customer
                        where customers.name ilike $2 escape '\'
                           or customers.email ilike $2 escape '\'
                    )
                ) as matches
                order by date desc, id desc
                limit cast($3 as bigint)
                offset cast($4 as bigint)
            )
            order by invoices.date desc, invoices.id desc
            "#
        )
    };
}

/// SQLite: a page of the invoices of the customers whose name or email holds `$1`, read
/// per customer from `invoices_by_customer` and sorted (at most
/// [`SORTED_CUSTOMER_INVOICES`]): the walk newest first would read every invoice to find
/// those of a customer with few.
macro_rules! page_of_customers_sqlite {
    () => {
        r#"
        where invoices.id in (
            select id
            from invoices
            where invoices.customer_id in (
                select customers.id
                from customers
                where customers.name like $1 escape '\'
                   or customers.email like $1 escape '\'
            )
            order by invoices.date desc, invoices.id desc
            limit cast($2 as bigint)
            offset cast($3 as bigint)
        )
        order by invoices.date desc, invoices.id desc
        "#
    };
}

/// A page from the indexes: of the dates and amounts holding `date_or_amount` (`None`: no
/// date or amount can) and of the matching customers' invoices.
async fn page_from_index(
    db: &Db,
    search: &Search,
    date_or_amount: Option<&str>,
    page: u32,
    per_page: u32,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    let (limit, offset) = (row_limit(per_page), page_offset(page, per_page));
    match db.backend() {
        Backend::Sqlite(sqlite) => {
            let query = match date_or_amount {
                Some(pattern) => sqlx::query_as::<_, InvoiceRow>(concat!(
                    select_invoice_rows_sqlite!(),
                    page_from_index_sqlite!()
                ))
                .bind(pattern),
                None => sqlx::query_as::<_, InvoiceRow>(concat!(
                    select_invoice_rows_sqlite!(),
                    page_of_customers_sqlite!()
                )),
            };
            query
                .bind(search.contains())
                .bind(limit)
                .bind(offset)
                .fetch_all(sqlite.read())
                .await
        }
        Backend::Postgres(pool) => {
            let (date, amount) = search.date_and_amount_parts();
            let sql = concat!(select_invoice_rows_postgres!(), page_from_index_postgres!());
            // Planned for these patterns each time: a plan kept for any pattern could walk
            // every invoice for a rare one.
            sqlx::query_as::<_, InvoiceRow>(sql)
                .persistent(false)
                .bind(date)
                .bind(search.contains())
                .bind(limit)
                .bind(offset)
                .bind(amount)
                .fetch_all(pool)
                .await
        }
    }
}

/// SQLite's `where` of a search tested row by row: `$1` is the `contains` pattern or null
/// for "all", `$2` the amount pattern or null. ASCII letters match in either case
/// (`like`'s rule); other characters, `%`, `_` and `\` included, match only themselves.
///
/// Names and emails are matched once per customer, in the subquery, not once per invoice.
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

/// A search page: `$3` rows after skipping `$4`, newest first, by a backwards walk of
/// `invoices_by_date` that tests each invoice.
macro_rules! page_newest_first {
    () => {
        r#"
        order by invoices.date desc, invoices.id desc
        limit cast($3 as bigint)
        offset cast($4 as bigint)
        "#
    };
}

/// A page of every invoice, or of a text that customers or a status match: their invoices
/// are common (a status is in half of them), so the walk finds a page after a few rows.
async fn page_by_walk(
    db: &Db,
    search: &Search,
    page: u32,
    per_page: u32,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
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

/// [`customer_and_status_matches`]: invoices and paid invoices of the customers whose name
/// or email matches `$1`, of all customers, and whether `$1` is in each status. `$like`
/// is the dialect's case-blind `like`.
macro_rules! sums_by_match {
    ($like:literal) => {
        concat!(
            r#"
            select
                cast(coalesce(sum(case when matched then invoice_count else 0 end), 0) as bigint),
                cast(coalesce(sum(case when matched then paid_count else 0 end), 0) as bigint),
                cast(coalesce(sum(invoice_count), 0) as bigint),
                cast(coalesce(sum(paid_count), 0) as bigint),
                'paid' "#, $like, r#" $1 escape '\',
                'pending' "#, $like, r#" $1 escape '\'
            from customer_totals
            join (
                select
                    customers.id,
                    (customers.name "#, $like, r#" $1 escape '\'
                        or customers.email "#, $like, r#" $1 escape '\') as matched
                from customers
            ) as by_customer on by_customer.id = customer_totals.customer_id
            "#
        )
    };
}

/// What [`customer_and_status_matches`] found.
struct CustomerMatches {
    /// Invoices of the customers whose name or email holds the text.
    customers: i64,
    /// Whether a status (`paid`, `pending`) holds the text.
    any_status: bool,
    /// Invoices of those customers or with such a status.
    total: i64,
}

/// How many invoices a customer or a status matches, from `customer_totals` alone:
/// |customers ∪ statuses| = |customers| + |statuses| − |both|, each a sum over at most
/// one row per customer. No invoice is read, so a million invoices cost what a few hundred
/// customers do.
async fn customer_and_status_matches(
    db: &Db,
    search: &Search,
) -> Result<CustomerMatches, sqlx::Error> {
    let (matched, matched_paid, all, all_paid, paid, pending): (i64, i64, i64, i64, bool, bool) = on_read!(
        db,
        sqlite: sums_by_match!("like"),
        postgres: sums_by_match!("ilike"),
        |sql, pool| sqlx::query_as(sql).bind(search.contains()).fetch_one(pool)
    )?;
    let (matched_pending, all_pending) = (matched - matched_paid, all - all_paid);
    let by_status = if paid { all_paid } else { 0 } + if pending { all_pending } else { 0 };
    let both = if paid { matched_paid } else { 0 } + if pending { matched_pending } else { 0 };
    Ok(CustomerMatches {
        customers: matched,
        any_status: paid || pending,
        total: matched + by_status - both,
    })
}

/// How many invoices a text that dates or amounts may hold matches: |customers| +
/// |dates and amounts| − |both| (no status holds a digit). The index counts dates and
/// amounts up to one past [`COUNT_LIMIT`]; at that many the count is only a lower bound.
async fn date_or_amount_matches(
    db: &Db,
    search: &Search,
    date_or_amount: &str,
) -> Result<Matches, sqlx::Error> {
    // No status holds a digit: the customers' invoices are all that is matched besides.
    let customers = count(customer_and_status_matches(db, search).await?.customers);
    let in_index = match db.backend() {
        Backend::Sqlite(sqlite) => count(
            sqlx::query_scalar::<_, i64>(
                "select count(*) from (select 1 from invoice_search where text like $1 limit cast($2 as bigint))",
            )
            .bind(date_or_amount)
            .bind(i64::from(COUNT_LIMIT) + 1)
            .fetch_one(sqlite.read())
            .await?,
        ),
        Backend::Postgres(pool) => dates_and_amounts_postgres(pool, search).await?,
    };
    if in_index > u64::from(COUNT_LIMIT) {
        return Ok(Matches::AtLeast(customers.max(in_index)));
    }
    let both = if customers == 0 {
        0
    } else {
        count(both_matches(db, search, date_or_amount).await?)
    };
    Ok(Matches::Exactly(customers + in_index - both))
}

/// PostgreSQL: |days| + |amounts| − |both|, each counted up to one past [`COUNT_LIMIT`]
/// (the invoices of the days from `invoices_by_date`, the amounts from the trigram index);
/// more than the limit when either is.
async fn dates_and_amounts_postgres(pool: &PgPool, search: &Search) -> Result<u64, sqlx::Error> {
    let (date, amount) = search.date_and_amount_parts();
    let limit = i64::from(COUNT_LIMIT) + 1;
    let capped = |sql: &'static str, pattern: Option<String>| async move {
        let Some(pattern) = pattern else {
            return Ok::<u64, sqlx::Error>(0);
        };
        let rows = sqlx::query_scalar::<_, i64>(sql)
            .persistent(false)
            .bind(pattern)
            .bind(limit)
            .fetch_one(pool)
            .await?;
        Ok(count(rows))
    };
    let days = capped(
        concat!(
            "select count(*) from (select 1 from invoices where date = any(",
            days_holding_postgres!(),
            ") limit cast($2 as bigint)) as matches"
        ),
        date.map(str::to_string),
    )
    .await?;
    let amounts = capped(
        "select count(*) from (select 1 from invoices where amount_search like $1 limit cast($2 as bigint)) as matches",
        amount.clone(),
    )
    .await?;
    if days.max(amounts) > u64::from(COUNT_LIMIT) {
        // More than the limit: the two may overlap, so only the larger is certain.
        return Ok(days.max(amounts));
    }
    if days == 0 || amounts == 0 {
        return Ok(days + amounts);
    }
    let both: i64 = sqlx::query_scalar(concat!(
        "select count(*) from invoices where date = any(",
        days_holding_postgres!(),
        ") and amount_search like $2"
    ))
    .persistent(false)
    .bind(date)
    .bind(amount)
    .fetch_one(pool)
    .await?;
    Ok(days + amounts - count(both))
}

/// Invoices whose date or amount holds `date_or_amount` and whose customer matches too:
/// at most [`COUNT_LIMIT`] index matches, each looked up by its id.
async fn both_matches(db: &Db, search: &Search, date_or_amount: &str) -> Result<i64, sqlx::Error> {
    match db.backend() {
        Backend::Sqlite(sqlite) => {
            sqlx::query_scalar(
                r#"
                select count(*)
                from invoice_search
                cross join invoices on invoices.id = invoice_search.rowid & 1099511627775
                where invoice_search.text like $1
                  and invoices.customer_id in (
                      select customers.id
                      from customers
                      where customers.name like $2 escape '\'
                         or customers.email like $2 escape '\'
                  )
                "#,
            )
            .bind(date_or_amount)
            .bind(search.contains())
            .fetch_one(sqlite.read())
            .await
        }
        Backend::Postgres(pool) => {
            let (date, amount) = search.date_and_amount_parts();
            let sql = concat!(
                "select count(*) from invoices where (date = any(",
                days_holding_postgres!(),
                r#") or amount_search like $3)
                  and customer_id in (
                      select customers.id
                      from customers
                      where customers.name ilike $2 escape '\'
                         or customers.email ilike $2 escape '\'
                  )
                "#
            );
            sqlx::query_scalar(sql)
                .persistent(false)
                .bind(date)
                .bind(search.contains())
                .bind(amount)
                .fetch_one(pool)
                .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_round_up_and_say_when_they_are_a_lower_bound() {
        assert_eq!(
            PageCount::of(Matches::Exactly(0), 10),
            PageCount::Exactly(1)
        );
        assert_eq!(
            PageCount::of(Matches::Exactly(21), 10),
            PageCount::Exactly(3)
        );
        assert_eq!(
            PageCount::of(Matches::AtLeast(1_001), 10),
            PageCount::AtLeast(101)
        );
        assert_eq!(PageCount::of(Matches::Exactly(5), 0), PageCount::Exactly(5));
        assert_eq!(PageCount::AtLeast(7).known(), 7);
    }
}
