//! `/dashboard`: four summary cards, the revenue chart and the latest invoices, each its own
//! section. The cards share one resource, their totals read in one query; the chart and the
//! latest invoices never wait for it. All three queries start when the request arrives.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use maud::html;

use crate::app::AppState;
use crate::app::auth::SignedIn;
use crate::app::components::layout::Frame;
use crate::app::components::{cards, chart, format, layout, skeleton, tables};
use crate::db::{self, CardTotals};
use crate::stream::{Page, Resource, ResourceError, Slot};

/// The `/dashboard` route.
pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(dashboard))
}

/// Months the revenue chart shows.
const CHART_MONTHS: u32 = 12;
/// Rows of the latest-invoices list.
const LATEST_ROWS: u32 = 5;

async fn dashboard(
    State(app): State<AppState>,
    Extension(user): Extension<SignedIn>,
    page: Page,
) -> Response {
    let totals: Resource<CardTotals> = {
        let app = app.clone();
        page.resource(async move { db::card_totals(&app.db).await })
    };
    let cards = Card::ALL.map(|card| card_section(&page, &app, &totals, card));
    let revenue = {
        let db = app.db.clone();
        app.latency
            .section(&page, "revenue", skeleton::chart(), async move {
                let months = db::monthly_revenue(&db, CHART_MONTHS).await?;
                Ok::<_, sqlx::Error>(chart::revenue_chart(&months))
            })
    };
    let latest = {
        let db = app.db.clone();
        let fallback = skeleton::invoice_list("Latest invoices", LATEST_ROWS as usize);
        app.latency.section(&page, "latest", fallback, async move {
            let invoices = db::latest_invoices(&db, LATEST_ROWS).await?;
            Ok::<_, sqlx::Error>(tables::invoice_list("Latest invoices", &invoices))
        })
    };
    let frame = Frame {
        title: "Dashboard",
        description: "Acme's totals, monthly revenue and latest invoices at a glance.",
        active: "/dashboard",
        user: Some(&user),
    };
    page.render(layout::shell(
        &frame,
        html! {
            h1 { "Dashboard" }
            div class="cards" { @for card in &cards { (card) } }
            div class="dashboard-grid" { (revenue) (latest) }
        },
    ))
}

/// The four summary cards, each its own section over the shared [`CardTotals`].
#[derive(Debug, Clone, Copy)]
enum Card {
    Collected,
    Pending,
    Invoices,
    Customers,
}

impl Card {
    const ALL: [Card; 4] = [
        Card::Collected,
        Card::Pending,
        Card::Invoices,
        Card::Customers,
    ];

    /// Section name: in logs, metrics, the timeline and `--demo-latency`.
    fn name(self) -> &'static str {
        match self {
            Card::Collected => "collected",
            Card::Pending => "pending",
            Card::Invoices => "invoices",
            Card::Customers => "customers",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Card::Collected => "Collected",
            Card::Pending => "Pending",
            Card::Invoices => "Total invoices",
            Card::Customers => "Total customers",
        }
    }

    fn value(self, totals: &CardTotals) -> String {
        match self {
            Card::Collected => format::dollars(totals.collected_cents),
            Card::Pending => format::dollars(totals.pending_cents),
            Card::Invoices => count(totals.invoices),
            Card::Customers => count(totals.customers),
        }
    }
}

fn count(value: i64) -> String {
    format::thousands(value.unsigned_abs())
}

/// One card: waits for the shared totals (and its own demo latency), nothing else.
fn card_section(page: &Page, app: &AppState, totals: &Resource<CardTotals>, card: Card) -> Slot {
    let totals = totals.clone();
    let fallback = skeleton::card(card.label());
    app.latency
        .section(page, card.name(), fallback, async move {
            let totals = totals.get().await?;
            Ok::<_, ResourceError>(cards::card(card.label(), &card.value(&totals)))
        })
}
