//! The dashboard's cards and chart.
//!
//! Totals come from `revenue_by_month`, which triggers keep right on every invoice write
//! (`migrations/3_revenue_by_month.sql`): two dozen rows to add up instead of a million.

use crate::db::{Db, MonthRevenue, on_read};

/// Most months [`monthly_revenue`] returns (50 years); a larger request is cut to this.
const MAX_MONTHS: u32 = 600;

/// Sum of all paid invoices, in cents.
pub async fn total_collected_cents(db: &Db) -> Result<i64, sqlx::Error> {
    on_read!(db, SUM_OF_PAID, |sql, pool| {
        sqlx::query_scalar(sql).fetch_one(pool)
    })
}

/// Sum of all pending invoices, in cents.
pub async fn total_pending_cents(db: &Db) -> Result<i64, sqlx::Error> {
    on_read!(db, SUM_OF_PENDING, |sql, pool| {
        sqlx::query_scalar(sql).fetch_one(pool)
    })
}

/// Number of invoices, paid or pending.
pub async fn invoice_count(db: &Db) -> Result<i64, sqlx::Error> {
    on_read!(db, SUM_OF_COUNTS, |sql, pool| {
        sqlx::query_scalar(sql).fetch_one(pool)
    })
}

// Sums of one column of `revenue_by_month`, 0 when empty. PostgreSQL sums bigints as
// numeric: the cast brings it back to a 64-bit integer on both backends.
const SUM_OF_PAID: &str =
    "select cast(coalesce(sum(paid_cents), 0) as bigint) from revenue_by_month";
const SUM_OF_PENDING: &str =
    "select cast(coalesce(sum(pending_cents), 0) as bigint) from revenue_by_month";
const SUM_OF_COUNTS: &str =
    "select cast(coalesce(sum(invoice_count), 0) as bigint) from revenue_by_month";

/// The four numbers of the dashboard's cards, read in one statement: what the course's
/// `fetchCardData` gathers with three queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct CardTotals {
    /// Sum of paid invoices, in cents.
    pub collected_cents: i64,
    /// Sum of pending invoices, in cents.
    pub pending_cents: i64,
    pub invoices: i64,
    pub customers: i64,
}

/// [`CardTotals`]: the sums of `revenue_by_month` and the number of customers.
pub async fn card_totals(db: &Db) -> Result<CardTotals, sqlx::Error> {
    on_read!(db, CARD_TOTALS, |sql, pool| {
        sqlx::query_as::<_, CardTotals>(sql).fetch_one(pool)
    })
}

const CARD_TOTALS: &str = r#"
    select
        cast(coalesce(sum(paid_cents), 0) as bigint) as collected_cents,
        cast(coalesce(sum(pending_cents), 0) as bigint) as pending_cents,
        cast(coalesce(sum(invoice_count), 0) as bigint) as invoices,
        (select count(*) from customers) as customers
    from revenue_by_month
"#;

/// Number of customers.
pub async fn customer_count(db: &Db) -> Result<i64, sqlx::Error> {
    on_read!(db, "select count(*) from customers", |sql, pool| {
        sqlx::query_scalar(sql).fetch_one(pool)
    })
}

/// Paid revenue of the last `months` calendar months that have data, oldest first.
///
/// The last month is the newest month with an invoice, not today's: the demo data is
/// anchored at a fixed date. Months without paid invoices are included with 0, so the chart
/// has no gaps. Empty when there are no invoices or `months` is 0; at most 600 months.
pub async fn monthly_revenue(db: &Db, months: u32) -> Result<Vec<MonthRevenue>, sqlx::Error> {
    let months = i64::from(months.min(MAX_MONTHS));
    on_read!(
        db,
        sqlite: MONTHLY_REVENUE_SQLITE,
        postgres: MONTHLY_REVENUE_POSTGRES,
        |sql, pool| sqlx::query_as::<_, MonthRevenue>(sql).bind(months).fetch_all(pool)
    )
}

const MONTHLY_REVENUE_SQLITE: &str = r#"
    with recursive chart (month, months_before) as (
        -- The newest month with an invoice, if any...
        select
            month,
            $1 - 1
        from (
            select max(month) as month
            from revenue_by_month
            where invoice_count > 0
        )
        where month is not null
          and $1 > 0

        union all

        -- ...and the months before it, $1 in all.
        select
            strftime('%Y-%m', month || '-01', '-1 month'),
            months_before - 1
        from chart
        where months_before > 0
    )
    select
        chart.month,
        coalesce(revenue_by_month.paid_cents, 0) as revenue_cents
    from chart
    left join revenue_by_month on revenue_by_month.month = chart.month
    order by chart.month
"#;

const MONTHLY_REVENUE_POSTGRES: &str = r#"
    with newest as (
        -- The newest month with an invoice, if any.
        select to_date(max(month), 'YYYY-MM') as month
        from revenue_by_month
        where invoice_count > 0
    )
    select
        to_char(chart.month, 'YYYY-MM') as month,
        coalesce(revenue_by_month.paid_cents, 0) as revenue_cents
    from newest
    -- $1 months up to it.
    cross join lateral generate_series(
        newest.month - make_interval(months => cast($1 as integer) - 1),
        newest.month,
        interval '1 month'
    ) as chart (month)
    left join revenue_by_month on revenue_by_month.month = to_char(chart.month, 'YYYY-MM')
    where newest.month is not null
      and $1 > 0
    order by chart.month
"#;
