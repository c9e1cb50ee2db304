//! Every read the app runs, one function each, named for what it returns (writes are in
//! `db::writes`).
//!
//! All of them read from [`Db::read`](crate::db::Db::read), take their SQL from a static
//! string and bind user input as parameters. Numbers from the request (page, per page,
//! limits) are clamped here, so no input can overflow an offset or ask for a million rows.
//!
//! A bound `limit` or `offset` is written `cast($n as bigint)`, never a bare `$n`: SQLite
//! (3.51, as libsqlite3-sys 0.37 bundles it) plans a bare parameter there with its bound value,
//! and marks the statement to be prepared again whenever that parameter is bound, which sqlx
//! does on every execution. The dashboard's latest invoices paid a new preparation, about
//! 150,000 instructions, on every request (`sqlite3ExprIsInteger`'s `TK_VARIABLE` case; a
//! cast is not looked into). PostgreSQL reads the cast the same way.

mod customers;
mod dashboard;
mod invoices;
mod pattern;
mod search;
mod users;

pub use customers::{customer_by_id, customer_choices, customers_with_totals};
pub use dashboard::{
    CardTotals, card_totals, customer_count, invoice_count, monthly_revenue, total_collected_cents,
    total_pending_cents,
};
pub(crate) use invoices::{INVOICE_BY_ID_POSTGRES, INVOICE_BY_ID_SQLITE};
pub use invoices::{invoice_by_id, invoices_of_customer, latest_invoices};
pub use pattern::MAX_SEARCH_CHARS;
pub use search::{COUNT_LIMIT, PageCount, has_page, invoice_pages, search_invoices};
pub use users::{user_by_email, user_count};

/// Most rows one call returns; larger limits and page sizes are cut to this.
pub const MAX_ROWS: u32 = 500;

/// A `limit`: at least 1, at most [`MAX_ROWS`].
fn row_limit(requested: u32) -> i64 {
    i64::from(requested.clamp(1, MAX_ROWS))
}

/// The `offset` of 1-based `page` (0 counts as 1). Saturates instead of overflowing: a page
/// far past the end is simply empty.
fn page_offset(page: u32, per_page: u32) -> i64 {
    let skipped_pages = u64::from(page.saturating_sub(1));
    let offset = skipped_pages.saturating_mul(u64::from(per_page.clamp(1, MAX_ROWS)));
    i64::try_from(offset).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_saturate() {
        assert_eq!(page_offset(0, 10), 0);
        assert_eq!(page_offset(1, 10), 0);
        assert_eq!(page_offset(3, 10), 20);
        assert_eq!(page_offset(3, 0), 2);
        assert_eq!(
            page_offset(u32::MAX, u32::MAX),
            (u64::from(u32::MAX) - 1) as i64 * 500
        );
        assert_eq!(row_limit(0), 1);
        assert_eq!(row_limit(u32::MAX), i64::from(MAX_ROWS));
    }
}
