//! The dashboard's cards and chart.
//!
//! Totals come from `revenue_by_month`, which triggers keep right on every invoice write
//! (`migrations/3_revenue_by_month.sql`): two dozen rows to add up instead of a million.

use crate::db::{Db, MonthRevenue};

/// Most months [`monthly_revenue`] returns (50 years); a larger request is cut to this.
const MAX_MONTHS: u32 = 600;

/// Sum of all paid invoices, in cents.
pub async fn total_collected_cents(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        r#"
        select coalesce(sum(paid_cents), 0)
        from revenue_by_month
        "#,
    )
    .fetch_one(db.read())
    .await
}

/// Sum of all pending invoices, in cents.
pub async fn total_pending_cents(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        r#"
        select coalesce(sum(pending_cents), 0)
        from revenue_by_month
        "#,
    )
    .fetch_one(db.read())
    .await
}

/// Number of invoices, paid or pending.
pub async fn invoice_count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        r#"
        select coalesce(sum(invoice_count), 0)
        from revenue_by_month
        "#,
    )
    .fetch_one(db.read())
    .await
}

/// Number of customers.
pub async fn customer_count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        r#"
        -- Counts entries of the smallest index; customers are few.
        select count(*)
        from customers
        "#,
    )
    .fetch_one(db.read())
    .await
}

/// Paid revenue of the last `months` calendar months that have data, oldest first.
///
/// The last month is the newest month with an invoice, not today's: the demo data is
/// anchored at a fixed date. Months without paid invoices are included with 0, so the chart
/// has no gaps. Empty when there are no invoices or `months` is 0; at most 600 months.
pub async fn monthly_revenue(db: &Db, months: u32) -> Result<Vec<MonthRevenue>, sqlx::Error> {
    sqlx::query_as::<_, MonthRevenue>(
        r#"
        with recursive chart (month, months_before) as (
            -- The newest month with an invoice, if any...
            select
                month,
                ?1 - 1
            from (
                select max(month) as month
                from revenue_by_month
                where invoice_count > 0
            )
            where month is not null
              and ?1 > 0

            union all

            -- ...and the months before it, ?1 in all.
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
        "#,
    )
    .bind(months.min(MAX_MONTHS))
    .fetch_all(db.read())
    .await
}
