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
            coalesce(customer_totals.invoice_count, 0) as invoice_count,
            coalesce(customer_totals.paid_cents, 0) as paid_cents,
            coalesce(customer_totals.pending_cents, 0) as pending_cents
        from customers
        left join customer_totals on customer_totals.customer_id = customers.id
        where $1 is null
           or customers.name "#
    };
}

macro_rules! by_name {
    () => {
        r#"
        order by customers.name, customers.id
        "#
    };
}

/// Customers whose name or email contains `query` (case ignored: ASCII letters on SQLite,
/// every letter on PostgreSQL; empty matches all), by name, each with their number of
/// invoices and paid and pending sums.
///
/// One row per customer from `customer_totals`, which triggers keep right on every invoice
/// write: no invoice is read. Customers without invoices are listed with zeros.
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
        sqlite: concat!(select_customer_totals!(), "like $1 escape '\\' or customers.email like $1 escape '\\'", by_name!()),
        postgres: concat!(select_customer_totals!(), "ilike $1 escape '\\' or customers.email ilike $1 escape '\\'", by_name!()),
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
