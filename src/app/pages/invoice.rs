//! `/invoices/{id}`: the invoice is looked up before the shell (an unknown id is a real 404,
//! an unreachable database a 503), then the customer's details and their other invoices
//! stream as sections that take what they need of it, while the unrelated recent-activity
//! section, started first, never waits for it.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use maud::html;

use crate::app::AppState;
use crate::app::auth::SignedIn;
use crate::app::components::avatar::avatar;
use crate::app::components::format::{date, dollars};
use crate::app::components::layout::Frame;
use crate::app::components::{layout, skeleton, tables};
use crate::app::error::{AppError, Result};
use crate::db::{self, InvoiceRow};
use crate::stream::Page;

/// The `/invoices/{id}` route.
pub fn router() -> Router<AppState> {
    Router::new().route("/invoices/{id}", get(invoice))
}

/// Other invoices of the same customer shown.
const OTHER_INVOICES: u32 = 5;

async fn invoice(
    State(app): State<AppState>,
    Extension(user): Extension<SignedIn>,
    Path(id): Path<String>,
    page: Page,
) -> Result<Response> {
    let id: i64 = id.parse().map_err(|_| {
        let shown: String = id.chars().take(40).collect();
        AppError::BadRequest(format!("An invoice id is a number, not {shown:?}."))
    })?;
    // Started first: it does not depend on the invoice and never waits for it.
    let activity = {
        let db = app.db.clone();
        let fallback = skeleton::invoice_list("Recent activity", 5);
        app.latency
            .section(&page, "activity", fallback, async move {
                let latest = db::latest_invoices(&db, 5).await?;
                Ok::<_, sqlx::Error>(tables::invoice_list("Recent activity", &latest))
            })
    };
    // The status code depends on it, so it is awaited before the shell.
    let found: InvoiceRow = db::invoice_by_id(&app.db, id)
        .await?
        .ok_or(AppError::NotFound("invoice"))?;

    let customer = {
        let (db, customer_id) = (app.db.clone(), found.customer_id);
        let fallback = html! { div class="panel customer-panel" { (skeleton::line()) } };
        app.latency.section(&page, "customer", fallback, async move {
            let customer = db::customer_by_id(&db, customer_id).await?;
            Ok::<_, sqlx::Error>(html! {
                div class="panel customer-panel" {
                    @if let Some(customer) = customer {
                        (avatar(&customer.initials, &customer.avatar_color))
                        span class="who" { strong { (customer.name) } small { (customer.email) } }
                    } @else {
                        p { "This customer no longer exists." }
                    }
                }
            })
        })
    };
    let others = {
        let (db, customer_id, invoice_id) = (app.db.clone(), found.customer_id, found.id);
        let title = "Other invoices of this customer";
        let fallback = skeleton::invoice_list(title, OTHER_INVOICES as usize);
        app.latency.section(&page, "others", fallback, async move {
            let rows = db::invoices_of_customer(&db, customer_id, Some(invoice_id), OTHER_INVOICES)
                .await?;
            Ok::<_, sqlx::Error>(tables::invoice_list(title, &rows))
        })
    };

    let title = format!("Invoice #{}", found.id);
    let frame = Frame {
        title: &title,
        description: "An Acme invoice with its customer and their other invoices.",
        active: "/invoices",
        user: Some(&user),
    };
    Ok(page
        .render(layout::shell(
            &frame,
            html! {
                div class="title-row" {
                    h1 { (title) }
                    (tables::invoice_actions(&found, &user.csrf))
                }
                dl class="invoice-facts panel" {
                    dt { "Amount" } dd class="amount" { (dollars(found.amount_cents)) }
                    dt { "Status" } dd { span class={ "status status-" (found.status) } { (found.status) } }
                    dt { "Date" } dd { (date(&found.date)) }
                }
                (customer)
                div class="dashboard-grid" { (others) (activity) }
            },
        ))
        .into_response())
}
