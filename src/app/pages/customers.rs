//! `/customers?query=`: customers with their invoice counts and paid and pending totals, from
//! one `group by` query.

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use maud::html;
use serde::Deserialize;

use crate::app::AppState;
use crate::app::auth::SignedIn;
use crate::app::components::avatar::avatar;
use crate::app::components::format::dollars;
use crate::app::components::layout::Frame;
use crate::app::components::search::search_form;
use crate::app::components::{layout, skeleton};
use crate::db::{self, CustomerSummary};
use crate::stream::Page;

/// The `/customers` route.
pub fn router() -> Router<AppState> {
    Router::new().route("/customers", get(customers))
}

#[derive(Debug, Default, Deserialize)]
struct CustomerParams {
    #[serde(default)]
    query: String,
}

async fn customers(
    State(app): State<AppState>,
    Extension(user): Extension<SignedIn>,
    Query(params): Query<CustomerParams>,
    page: Page,
) -> Response {
    let query = params.query.trim().to_string();
    let rows = {
        let (db, query) = (app.db.clone(), query.clone());
        app.latency
            .section(&page, "customers", skeleton::table_rows(8, 5), async move {
                let customers = db::customers_with_totals(&db, &query).await?;
                Ok::<_, sqlx::Error>(customer_rows(&customers))
            })
    };
    let frame = Frame {
        title: "Customers",
        description: "Acme's customers with their invoice counts and paid and pending totals.",
        active: "/customers",
        user: Some(&user),
    };
    let search = search_form(
        "/customers",
        &query,
        "Search by name or email",
        page.nonce(),
    );
    page.render(layout::shell(
        &frame,
        html! {
            h1 { "Customers" }
            (search)
            div class="panel" id="results" {
                table class="customers" {
                    thead { tr { th { "Customer" } th { "Email" } th { "Invoices" } th { "Paid" } th { "Pending" } } }
                    tbody { (rows) }
                }
            }
        },
    ))
}

fn customer_rows(customers: &[CustomerSummary]) -> maud::Markup {
    html! {
        @for customer in customers {
            tr {
                td class="who" { (avatar(&customer.initials, &customer.avatar_color)) (customer.name) }
                td { (customer.email) }
                td class="amount" { (customer.invoice_count) }
                td class="amount" { (dollars(customer.paid_cents)) }
                td class="amount" { (dollars(customer.pending_cents)) }
            }
        }
        @if customers.is_empty() { tr { td colspan="5" class="empty" { "No customers match." } } }
    }
}
