//! Invoice rows and lists, shared by the dashboard, the invoices page and an invoice's page.

use maud::{Markup, html};

use super::avatar::avatar;
use super::format::{date, dollars};
use crate::db::InvoiceRow;

/// A short list of invoices with avatars (dashboard, an invoice's page); the same size as
/// [`super::skeleton::invoice_list`] with as many rows.
pub fn invoice_list(title: &str, invoices: &[InvoiceRow]) -> Markup {
    html! {
        div class="panel" {
            h2 { (title) }
            ul class="invoice-list" {
                @for invoice in invoices {
                    li {
                        (avatar(&invoice.initials, &invoice.avatar_color))
                        span class="who" {
                            a href={ "/invoices/" (invoice.id) } { (invoice.customer_name) }
                            small { (invoice.customer_email) }
                        }
                        span class="amount" { (dollars(invoice.amount_cents)) }
                    }
                }
                @if invoices.is_empty() { li class="empty" { "No invoices." } }
            }
        }
    }
}

/// The column headings of [`invoice_rows`].
pub fn invoice_header() -> Markup {
    html! {
        thead { tr { th { "Customer" } th { "Email" } th { "Amount" } th { "Date" } th { "Status" } } }
    }
}

/// `<tr>`s of invoices, for a `<tbody>`.
pub fn invoice_rows(invoices: &[InvoiceRow]) -> Markup {
    html! {
        @for invoice in invoices {
            tr {
                td class="who" {
                    (avatar(&invoice.initials, &invoice.avatar_color))
                    a href={ "/invoices/" (invoice.id) } { (invoice.customer_name) }
                }
                td { (invoice.customer_email) }
                td class="amount" { (dollars(invoice.amount_cents)) }
                td { (date(&invoice.date)) }
                td { span class={ "status status-" (invoice.status) } { (invoice.status) } }
            }
        }
        @if invoices.is_empty() {
            tr { td colspan="5" class="empty" { "No invoices match." } }
        }
    }
}
