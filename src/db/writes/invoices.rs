//! Creating, updating and deleting invoices, each safe against the same form sent twice
//! and against two people editing the same invoice.

use super::unix_now;
use crate::db::changes::{self, INVOICE_WRITE};
use crate::db::queries::{INVOICE_BY_ID_POSTGRES, INVOICE_BY_ID_SQLITE};
use crate::db::{Db, Dialect, InvoiceRow, InvoiceStatus, in_transaction};

/// How long a create form's key is remembered: a retry later than this creates a second
/// invoice. A week covers any real retry, and the table stays small.
const FORM_KEY_LIFETIME_SECS: i64 = 7 * 24 * 60 * 60;

/// What a create or edit form sets, already validated (see `app::forms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvoiceDraft {
    pub customer_id: i64,
    /// Positive, in cents.
    pub amount_cents: i64,
    pub status: InvoiceStatus,
}

impl InvoiceDraft {
    /// Whether `invoice` already holds exactly these values.
    pub fn matches(&self, invoice: &InvoiceRow) -> bool {
        invoice.customer_id == self.customer_id
            && invoice.amount_cents == self.amount_cents
            && invoice.status == self.status
    }
}

/// What [`create_invoice`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateOutcome {
    /// A new invoice with this number, dated today (UTC).
    Created(i64),
    /// This form was submitted before: nothing was created. Holds the invoice the first
    /// submission created, unless it has been deleted since.
    AlreadySubmitted(Option<i64>),
    /// No customer has the draft's `customer_id` (any more): nothing was created.
    UnknownCustomer,
}

/// What [`update_invoice`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// Saved; the invoice is now at `version + 1`.
    Updated,
    /// The form was made from an older version, but the invoice already holds exactly the
    /// draft's values (the same form sent twice): nothing to do, nothing lost.
    AlreadySaved,
    /// Someone else saved the invoice since the form was made: nothing was written. Holds
    /// the invoice as it is now.
    Conflict(Box<InvoiceRow>),
    /// No invoice has this number (deleted meanwhile).
    NotFound,
    /// No customer has the draft's `customer_id`: nothing was written.
    UnknownCustomer,
}

/// What [`delete_invoice`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    /// There was no such invoice (already deleted, or never existed).
    NotFound,
    /// The invoice was saved since the version the request was made from: nothing was
    /// deleted; here it is as it is now.
    Changed(Box<InvoiceRow>),
}

/// Creates an invoice from `draft`, dated today (UTC), unless the form keyed `form_key` was
/// already submitted.
///
/// The key is recorded first, in the same transaction as the invoice: a second submission
/// of one form, however close, on any instance, finds the key (PostgreSQL makes it wait for
/// the first one's transaction) and creates nothing.
pub async fn create_invoice(
    db: &Db,
    draft: InvoiceDraft,
    form_key: &str,
) -> Result<CreateOutcome, sqlx::Error> {
    let now = unix_now();
    in_transaction!(db, |tx, dialect| {
        let recorded = sqlx::query(
            r#"
            insert into form_submissions (key, invoice_id, created_at)
            values ($1, null, $2)
            on conflict (key) do nothing
            "#,
        )
        .bind(form_key)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if recorded == 0 {
            let earlier: Option<i64> =
                sqlx::query_scalar("select invoice_id from form_submissions where key = $1")
                    .bind(form_key)
                    .fetch_one(&mut *tx)
                    .await?;
            return Ok(CreateOutcome::AlreadySubmitted(earlier));
        }
        let customer_exists: bool = sqlx::query_scalar(CUSTOMER_EXISTS)
            .bind(draft.customer_id)
            .fetch_one(&mut *tx)
            .await?;
        if !customer_exists {
            return Ok(CreateOutcome::UnknownCustomer);
        }
        let id: i64 = sqlx::query_scalar(dialect.pick(
            r#"
            insert into invoices (customer_id, amount_cents, status, date)
            values ($1, $2, $3, date('now'))
            returning id
            "#,
            r#"
            insert into invoices (customer_id, amount_cents, status, date)
            values ($1, $2, $3, (now() at time zone 'utc')::date)
            returning id
            "#,
        ))
        .bind(draft.customer_id)
        .bind(draft.amount_cents)
        .bind(draft.status)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("update form_submissions set invoice_id = $2 where key = $1")
            .bind(form_key)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("delete from form_submissions where created_at < $1")
            .bind(now - FORM_KEY_LIFETIME_SECS)
            .execute(&mut *tx)
            .await?;
        changes::record(&mut *tx, INVOICE_WRITE).await?;
        tx.commit().await?;
        db.announce(INVOICE_WRITE);
        Ok(CreateOutcome::Created(id))
    })
}

/// Sets invoice `id` to `draft`, if it is still at `version` (optimistic concurrency: the
/// edit form carries the version it was made from). The `update … where version = $2` is
/// atomic on both backends: of two saves from the same version, one updates, the other
/// finds the new version.
pub async fn update_invoice(
    db: &Db,
    id: i64,
    version: i64,
    draft: InvoiceDraft,
) -> Result<UpdateOutcome, sqlx::Error> {
    in_transaction!(db, |tx, dialect| {
        let customer_exists: bool = sqlx::query_scalar(CUSTOMER_EXISTS)
            .bind(draft.customer_id)
            .fetch_one(&mut *tx)
            .await?;
        if !customer_exists {
            return Ok(UpdateOutcome::UnknownCustomer);
        }
        if dialect == Dialect::Postgres {
            // The triggers update the old customer's totals, then the new one's: two edits
            // moving invoices A→B and B→A at once would lock them crosswise (a deadlock).
            // Both rows are locked first, in id order. (SQLite runs one write at a time.)
            sqlx::query(LOCK_CUSTOMER_TOTALS)
                .bind(id)
                .bind(draft.customer_id)
                .execute(&mut *tx)
                .await?;
        }
        let updated = sqlx::query(
            r#"
            update invoices
            set customer_id = $3, amount_cents = $4, status = $5, version = version + 1
            where id = $1 and version = $2
            "#,
        )
        .bind(id)
        .bind(version)
        .bind(draft.customer_id)
        .bind(draft.amount_cents)
        .bind(draft.status)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 1 {
            changes::record(&mut *tx, INVOICE_WRITE).await?;
            tx.commit().await?;
            db.announce(INVOICE_WRITE);
            return Ok(UpdateOutcome::Updated);
        }
        let current: Option<InvoiceRow> =
            sqlx::query_as(dialect.pick(INVOICE_BY_ID_SQLITE, INVOICE_BY_ID_POSTGRES))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        tx.rollback().await?;
        Ok(match current {
            None => UpdateOutcome::NotFound,
            Some(current) if draft.matches(&current) => UpdateOutcome::AlreadySaved,
            Some(current) => UpdateOutcome::Conflict(Box::new(current)),
        })
    })
}

/// Deletes invoice `id` if it is still at `version` (what the reader saw when they chose to
/// delete it: a delete must not silently discard someone's later save); the triggers take
/// it out of the monthly totals in the same transaction.
pub async fn delete_invoice(db: &Db, id: i64, version: i64) -> Result<DeleteOutcome, sqlx::Error> {
    in_transaction!(db, |tx, dialect| {
        let deleted = sqlx::query("delete from invoices where id = $1 and version = $2")
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            let current: Option<InvoiceRow> =
                sqlx::query_as(dialect.pick(INVOICE_BY_ID_SQLITE, INVOICE_BY_ID_POSTGRES))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            tx.rollback().await?;
            return Ok(current.map_or(DeleteOutcome::NotFound, |current| {
                DeleteOutcome::Changed(Box::new(current))
            }));
        }
        changes::record(&mut *tx, INVOICE_WRITE).await?;
        tx.commit().await?;
        db.announce(INVOICE_WRITE);
        Ok(DeleteOutcome::Deleted)
    })
}

/// PostgreSQL: locks the totals of invoice `$1`'s customer and of customer `$2`, in id order.
const LOCK_CUSTOMER_TOTALS: &str = r#"
    select customer_id
    from customer_totals
    where customer_id in (select customer_id from invoices where id = $1)
       or customer_id = $2
    order by customer_id
    for update
"#;

/// Whether customer `$1` exists (SQLite answers 0 or 1, which sqlx reads as a `bool`).
const CUSTOMER_EXISTS: &str = "select exists (select 1 from customers where id = $1)";
