//! Customers: one by id, and all of them with the sums of their invoices.

use super::pattern::Search;
use crate::db::{Customer, CustomerChoice, CustomerSummary, Db, on_read};

/// The customer numbered `id`, if they exist.
pub async fn customer_by_id(db: &Db, id: i64) -> Result<Option<Customer>, sqlx::Error> {
    on_read!(db, CUSTOMER_BY_ID, |sql, pool| {
        sqlx::query_as::<_, Customer>(sql)
            .bind(id)
            .fetch_optional(pool)
    })
}

const CUSTOMER_BY_ID: &str = r#"
    select
        id,
        name,
        email,
        avatar_color,
        initials
    from customers
    where id = $1
"#;

/// The start of [`customers_with_totals`]' statement, up to the name's `like`, which
/// differs: SQLite's `like` ignores ASCII case, PostgreSQL's `ilike` does.
macro_rules! select_customer_totals {
    () => {
        r#"
        select
            customers.id,
            customers.name,
            customers.email,
            customers.avatar_color,
            customers.initials,
            count(invoices.id) as invoice_count,
            cast(coalesce(sum(case when invoices.status = 'paid'
                then invoices.amount_cents else 0 end), 0) as bigint) as paid_cents,
            cast(coalesce(sum(case when invoices.status = 'pending'
                then invoices.amount_cents else 0 end), 0) as bigint) as pending_cents
        from customers
        left join invoices on invoices.customer_id = customers.id
        where $1 is null
           or customers.name "#
    };
}

macro_rules! group_customers {
    () => {
        r#"
        group by customers.id
        order by customers.name, customers.id
        "#
    };
}

/// Customers whose name or email contains `query` (case ignored: ASCII letters on SQLite,
/// every letter on PostgreSQL; empty matches all), by name, each with their number of
/// invoices and paid and pending sums.
///
/// One `group by` over the customers' invoices, read from the covering index
/// `invoices_by_customer`; customers without invoices are listed with zeros.
pub async fn customers_with_totals(
    db: &Db,
    query: &str,
) -> Result<Vec<CustomerSummary>, sqlx::Error> {
    let search = Search::new(query);
    if search == Search::Nothing {
        return Ok(Vec::new());
    }
    on_read!(
        db,
        sqlite: concat!(select_customer_totals!(), "like $1 escape '\\' or customers.email like $1 escape '\\'", group_customers!()),
        postgres: concat!(select_customer_totals!(), "ilike $1 escape '\\' or customers.email ilike $1 escape '\\'", group_customers!()),
        |sql, pool| sqlx::query_as::<_, CustomerSummary>(sql).bind(search.contains()).fetch_all(pool)
    )
}

/// Every customer's id and name, by name: the choices of an invoice form.
pub async fn customer_choices(db: &Db) -> Result<Vec<CustomerChoice>, sqlx::Error> {
    on_read!(db, CUSTOMER_CHOICES, |sql, pool| {
        sqlx::query_as::<_, CustomerChoice>(sql).fetch_all(pool)
    })
}

/// `customers_by_name` holds both columns (SQLite: and the rowid): no table access, no sort.
const CUSTOMER_CHOICES: &str = r#"
    select id, name
    from customers
    order by name, id
"#;
