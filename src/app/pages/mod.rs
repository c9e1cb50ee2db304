//! One module per page; each exposes its own `router()`.

pub mod bench;
pub mod customers;
pub mod dashboard;
pub mod invoice;
pub mod invoice_forms;
pub mod invoices;
pub mod landing;
pub mod login;
