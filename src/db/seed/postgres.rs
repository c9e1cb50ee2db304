//! PostgreSQL's bulk path: `COPY … FROM STDIN` in CSV, in one transaction, with the
//! indexes (but the primary key) and the summary triggers of `invoices` off during the load.
//!
//! Several instances may start on one empty database at once: the first to lock
//! `customers` seeds it, the others then find it full and skip.

use crate::db::changes;
use std::fmt::Write as _;

use sqlx::postgres::PgPool;
use sqlx::{AssertSqlSafe, PgConnection};

use super::generate::{NewCustomer, NewInvoice};
use super::{Batch, Batches, IfNotEmpty, Loaded, SeedSize};

pub(super) async fn load(
    pool: &PgPool,
    size: SeedSize,
    if_not_empty: IfNotEmpty,
) -> Result<Loaded, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // A million rows take seconds, and another instance may be seeding: the pool's statement
    // timeout bounds pages' queries, not this one.
    sqlx::query("set local statement_timeout = 0")
        .execute(&mut *tx)
        .await?;
    // Blocks other seeders (not readers) until commit, so the emptiness check holds.
    sqlx::query("lock table customers in share row exclusive mode")
        .execute(&mut *tx)
        .await?;
    let customers: i64 = sqlx::query_scalar("select count(*) from customers")
        .fetch_one(&mut *tx)
        .await?;
    if let Some(answer) = if_not_empty.decide(customers) {
        return Ok(answer);
    }
    if customers > 0 {
        sqlx::query(
            "truncate invoices, customers, revenue_by_month, customer_totals, form_submissions",
        )
        .execute(&mut *tx)
        .await?;
    }
    let indexes = drop_indexes(&mut tx).await?;
    sqlx::query("alter table invoices disable trigger user")
        .execute(&mut *tx)
        .await?;
    copy_rows(&mut tx, size).await?;
    sqlx::raw_sql(FILL_SUMMARIES).execute(&mut *tx).await?;
    sqlx::query("alter table invoices enable trigger user")
        .execute(&mut *tx)
        .await?;
    for definition in &indexes {
        sqlx::query(AssertSqlSafe(definition.as_str()))
            .execute(&mut *tx)
            .await?;
    }
    // The rows carry their own ids; the identity sequences continue after them.
    sqlx::query(RESTART_IDENTITIES).execute(&mut *tx).await?;
    // Instances serving the old rows drop everything they cached from them.
    changes::record(&mut *tx, &[changes::EVERYTHING]).await?;
    tx.commit().await?;
    sqlx::query("analyze customers, invoices, revenue_by_month, customer_totals")
        .execute(pool)
        .await?;
    Ok(Loaded::Rows)
}

/// Drops the indexes of `invoices` but its constraints' (the primary key) and returns
/// their definitions, as PostgreSQL prints them, to run again after the load.
async fn drop_indexes(tx: &mut PgConnection) -> Result<Vec<String>, sqlx::Error> {
    let indexes: Vec<(String, String)> = sqlx::query_as(
        r#"
        select indexname, indexdef
        from pg_indexes
        where schemaname = current_schema()
          and tablename = 'invoices'
          and indexname not in (
              select conname from pg_constraint where conrelid = 'invoices'::regclass
          )
        order by indexname
        "#,
    )
    .fetch_all(&mut *tx)
    .await?;
    for (name, _) in &indexes {
        // The name comes from the catalog, never from input; quoted as an identifier.
        let drop = format!(r#"drop index "{}""#, name.replace('"', r#""""#));
        sqlx::query(AssertSqlSafe(drop)).execute(&mut *tx).await?;
    }
    Ok(indexes
        .into_iter()
        .map(|(_, definition)| definition)
        .collect())
}

/// Two `COPY`s, customers then invoices (the order [`Batches`] hands them out), each batch
/// one message.
async fn copy_rows(tx: &mut PgConnection, size: SeedSize) -> Result<(), sqlx::Error> {
    let mut batches = Batches::new(size);
    let mut csv = String::new();
    let mut first_invoices = None;
    let mut copy = tx.copy_in_raw(COPY_CUSTOMERS).await?;
    for batch in batches.by_ref() {
        let Batch::Customers(customers) = batch else {
            first_invoices = Some(batch);
            break;
        };
        csv.clear();
        for customer in &customers {
            push_customer(&mut csv, customer);
        }
        copy.send(csv.as_bytes()).await?;
    }
    copy.finish().await?;
    let mut copy = tx.copy_in_raw(COPY_INVOICES).await?;
    let mut next = first_invoices;
    while let Some(Batch::Invoices(invoices)) = next {
        csv.clear();
        for invoice in &invoices {
            push_invoice(&mut csv, invoice, batches.date(invoice));
        }
        copy.send(csv.as_bytes()).await?;
        next = batches.next();
    }
    copy.finish().await?;
    Ok(())
}

const COPY_CUSTOMERS: &str =
    "copy customers (id, name, email, avatar_color, initials) from stdin (format csv)";
const COPY_INVOICES: &str =
    "copy invoices (id, customer_id, amount_cents, status, date) from stdin (format csv)";

/// One pass over every invoice per summary instead of trigger calls per row.
const FILL_SUMMARIES: &str = r#"
    delete from revenue_by_month;
    delete from customer_totals;

    insert into customer_totals (customer_id, invoice_count, paid_count, paid_cents, pending_cents)
    select
        customer_id,
        count(*),
        sum(case when status = 'paid' then 1 else 0 end),
        sum(case when status = 'paid' then amount_cents else 0 end),
        sum(case when status = 'pending' then amount_cents else 0 end)
    from invoices
    group by customer_id;

    insert into revenue_by_month (month, paid_cents, pending_cents, invoice_count)
    select
        to_char(date, 'YYYY-MM'),
        sum(case when status = 'paid' then amount_cents else 0 end),
        sum(case when status = 'pending' then amount_cents else 0 end),
        count(*)
    from invoices
    group by to_char(date, 'YYYY-MM');
"#;

const RESTART_IDENTITIES: &str = r#"
    select
        setval(pg_get_serial_sequence('customers', 'id'),
               coalesce((select max(id) from customers), 0) + 1, false),
        setval(pg_get_serial_sequence('invoices', 'id'),
               coalesce((select max(id) from invoices), 0) + 1, false)
"#;

fn push_customer(csv: &mut String, customer: &NewCustomer) {
    let _ = write!(csv, "{},", customer.id);
    push_csv_field(csv, &customer.name);
    csv.push(',');
    push_csv_field(csv, &customer.email);
    csv.push(',');
    push_csv_field(csv, customer.avatar_color);
    csv.push(',');
    push_csv_field(csv, &customer.initials);
    csv.push('\n');
}

fn push_invoice(csv: &mut String, invoice: &NewInvoice, date: &str) {
    let status = if invoice.paid { "paid" } else { "pending" };
    let _ = writeln!(
        csv,
        "{},{},{},{status},{date}",
        invoice.id, invoice.customer_id, invoice.amount_cents
    );
}

/// Appends `text` as a quoted CSV field (PostgreSQL's CSV format: quotes doubled).
fn push_csv_field(csv: &mut String, text: &str) {
    csv.push('"');
    for c in text.chars() {
        if c == '"' {
            csv.push('"');
        }
        csv.push(c);
    }
    csv.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted() {
        let mut csv = String::new();
        push_csv_field(&mut csv, "a\"b,c\nd");
        assert_eq!(csv, "\"a\"\"b,c\nd\"");
    }
}
