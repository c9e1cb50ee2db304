//! The invoice form of the create and edit pages: a customer list, an amount in dollars and
//! a status, each with its message when the server refused it.

use maud::{Markup, html};

use crate::app::auth::csrf;
use crate::app::forms::invoice::{FieldErrors, InvoiceFields};
use crate::db::CustomerChoice;

/// Everything the form shows.
#[derive(Debug)]
pub struct InvoiceForm<'a> {
    /// Where it posts: `/invoices` or `/invoices/{id}`.
    pub action: &'a str,
    /// The submit button's text.
    pub submit: &'a str,
    pub customers: &'a [CustomerChoice],
    /// The values to show: as the user typed them, or the invoice's.
    pub values: &'a InvoiceFields,
    pub errors: &'a FieldErrors,
    /// The session's CSRF token.
    pub csrf: &'a str,
    /// The hidden `form_key` (create) or `version` (edit) field, name and value.
    pub hidden: (&'a str, String),
}

/// The form; fields that failed validation carry `aria-invalid` and point at their message.
pub fn invoice_form(form: &InvoiceForm<'_>) -> Markup {
    let values = form.values;
    let selected_customer = values.customer_id.as_deref().map(str::trim).unwrap_or("");
    let status = values.status.as_deref().map(str::trim).unwrap_or("");
    html! {
        form class="invoice-form panel" method="post" action=(form.action) {
            input type="hidden" name=(csrf::FIELD) value=(form.csrf);
            input type="hidden" name=(form.hidden.0) value=(form.hidden.1);
            @if let Some(message) = &form.errors.form {
                p class="form-error" role="alert" { (message) }
            }
            div class="field" {
                label for="customer" { "Customer" }
                select id="customer" name="customer_id"
                    aria-invalid=[form.errors.customer_id.map(|_| "true")]
                    aria-describedby=[form.errors.customer_id.map(|_| "customer-error")] {
                    option value="" selected[selected_customer.is_empty()] { "Select a customer" }
                    @for customer in form.customers {
                        @let id = customer.id.to_string();
                        option value=(id) selected[id == selected_customer] { (customer.name) }
                    }
                }
                (field_error("customer-error", form.errors.customer_id))
            }
            div class="field" {
                label for="amount" { "Amount (USD)" }
                input id="amount" name="amount" type="text" inputmode="decimal"
                    autocomplete="off" placeholder="Enter USD amount, such as 12.34"
                    value=(values.amount.as_deref().unwrap_or(""))
                    aria-invalid=[form.errors.amount.as_ref().map(|_| "true")]
                    aria-describedby=[form.errors.amount.as_ref().map(|_| "amount-error")];
                (field_error("amount-error", form.errors.amount.as_deref()))
            }
            fieldset class="field"
                aria-invalid=[form.errors.status.map(|_| "true")]
                aria-describedby=[form.errors.status.map(|_| "status-error")] {
                legend { "Status" }
                div class="choices" {
                    @for (value, label) in [("pending", "Pending"), ("paid", "Paid")] {
                        label class={ "choice status-" (value) } {
                            input type="radio" name="status" value=(value) checked[status == value];
                            " " (label)
                        }
                    }
                }
                (field_error("status-error", form.errors.status))
            }
            div class="form-actions" {
                a class="button secondary" href="/invoices" { "Cancel" }
                button type="submit" class="button" { (form.submit) }
            }
        }
    }
}

fn field_error(id: &str, message: Option<&str>) -> Markup {
    html! {
        @if let Some(message) = message {
            p class="field-error" id=(id) { (message) }
        }
    }
}
