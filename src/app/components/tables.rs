//! Invoice rows and lists, shared by the dashboard, the invoices page and an invoice's page.

use maud::{Markup, html};

use super::avatar::avatar;
use super::format::{date, dollars};
use crate::app::auth::csrf;
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

/// Columns of [`invoice_rows`], for its skeleton.
pub const INVOICE_COLUMNS: usize = 6;

/// The column headings of [`invoice_rows`].
pub fn invoice_header() -> Markup {
    html! {
        thead { tr {
            th { "Customer" } th { "Email" } th { "Amount" } th { "Date" } th { "Status" }
            th { span class="visually-hidden" { "Actions" } }
        } }
    }
}

/// `<tr>`s of invoices, for a `<tbody>`, each with an edit link and a delete button (whose
/// form carries the session's `csrf` token).
pub fn invoice_rows(invoices: &[InvoiceRow], csrf: &str) -> Markup {
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
                td class="actions" { (invoice_actions(invoice, csrf)) }
            }
        }
        @if invoices.is_empty() {
            tr { td colspan=(INVOICE_COLUMNS) class="empty" { "No invoices match." } }
        }
    }
}

/// Edit and delete of one invoice. Deleting is a POST form, so it works without JavaScript
/// and no link prefetcher can delete anything.
pub fn invoice_actions(invoice: &InvoiceRow, csrf: &str) -> Markup {
    let id = invoice.id;
    html! {
        span class="row-actions" {
            a class="button small secondary" href={ "/invoices/" (id) "/edit" } aria-label={ "Edit invoice " (id) } { "Edit" }
            (delete_form(invoice, csrf, "Delete"))
        }
    }
}

/// The form that deletes `invoice` as the reader sees it: it carries the invoice's
/// version, so a delete never discards a save the reader has not seen (`409` instead).
pub fn delete_form(invoice: &InvoiceRow, csrf: &str, label: &str) -> Markup {
    let id = invoice.id;
    html! {
        form method="post" action={ "/invoices/" (id) "/delete" } {
            input type="hidden" name=(csrf::FIELD) value=(csrf);
            input type="hidden" name="version" value=(invoice.version);
            button type="submit" class="button small danger" aria-label={ "Delete invoice " (id) } { (label) }
        }
    }
}
