//! Customers: one by id, and all of them with the sums of their invoices.

use super::pattern::Search;
use crate::db::{Customer, CustomerChoice, CustomerSummary, Db};

/// The customer numbered `id`, if they exist.
pub async fn customer_by_id(db: &Db, id: i64) -> Result<Option<Customer>, sqlx::Error> {
    sqlx::query_as::<_, Customer>(
        r#"
        select
            id,
            name,
            email,
            avatar_color,
            initials
        from customers
        where id = ?1
        "#,
    )
    .bind(id)
    .fetch_optional(db.read())
    .await
}

/// Customers whose name or email contains `query` (ASCII case ignored; empty matches all),
/// by name, each with their number of invoices and paid and pending sums.
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
    sqlx::query_as::<_, CustomerSummary>(
        r#"
        select
            customers.id,
            customers.name,
            customers.email,
            customers.avatar_color,
            customers.initials,
            count(invoices.id) as invoice_count,
            coalesce(sum(iif(invoices.status = 'paid', invoices.amount_cents, 0)), 0)
                as paid_cents,
            coalesce(sum(iif(invoices.status = 'pending', invoices.amount_cents, 0)), 0)
                as pending_cents
        from customers
        left join invoices on invoices.customer_id = customers.id
        where ?1 is null
           or customers.name like ?1 escape '\'
           or customers.email like ?1 escape '\'
        group by customers.id
        order by customers.name, customers.id
        "#,
    )
    .bind(search.contains())
    .fetch_all(db.read())
    .await
}

/// Every customer's id and name, by name: the choices of an invoice form.
pub async fn customer_choices(db: &Db) -> Result<Vec<CustomerChoice>, sqlx::Error> {
    sqlx::query_as::<_, CustomerChoice>(
        r#"
        -- customers_by_name holds both columns (and the rowid): no table access, no sort.
        select id, name
        from customers
        order by name, id
        "#,
    )
    .fetch_all(db.read())
    .await
}
