//! Every statement that changes data, one function each, on the single write connection.
//!
//! Each write is one transaction started with `begin immediate` (it takes SQLite's write
//! lock before reading, so what it checks still holds when it writes) and is either wholly
//! committed or not at all: a process killed in the middle leaves no half-written invoice,
//! since the invoice, its summary in `revenue_by_month` (triggers) and its form key commit
//! together.

mod invoices;
mod users;

pub use invoices::{
    CreateOutcome, DeleteOutcome, InvoiceDraft, UpdateOutcome, create_invoice, delete_invoice,
    update_invoice,
};
pub use users::{
    AttemptLimit, AttemptStart, NewUserError, begin_sign_in_attempt, delete_user,
    forgive_sign_in_attempt, insert_user,
};

/// Now, in Unix seconds.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}
