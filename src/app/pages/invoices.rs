//! `/invoices?query=&page=`: a search form and a paginated table; the rows and the page
//! count are separate sections that run concurrently. Each row links to its edit form and
//! has a delete button; a write's one-time message shows above the table.

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use maud::{Markup, html};
use serde::Deserialize;
use tower_sessions::Session;

use crate::app::AppState;
use crate::app::auth::{SignedIn, session};
use crate::app::components::layout::Frame;
use crate::app::components::search::search_form;
use crate::app::components::{layout, skeleton, tables};
use crate::app::error::Result;
use crate::db::{self, PageCount};
use crate::stream::{Mode, Page};

/// The `/invoices` route (an invoice's own page lives in `invoice.rs`).
pub fn router() -> Router<AppState> {
    Router::new().route("/invoices", get(invoices))
}

/// Rows per page.
const PER_PAGE: u32 = 10;

/// Query parameters, taken as text: a bad `page` is clamped, never a failure.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    query: String,
    #[serde(default)]
    page: Option<String>,
}

/// A page number from user text: missing, non-numeric, zero or negative reads as 1; a
/// number too large for the database reads as the largest (an empty page past the end).
pub fn page_number(text: Option<&str>) -> u32 {
    let Some(text) = text.map(str::trim) else {
        return 1;
    };
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<u32>().unwrap_or(u32::MAX).max(1);
    }
    1
}

async fn invoices(
    State(app): State<AppState>,
    Extension(user): Extension<SignedIn>,
    session: Session,
    Query(params): Query<SearchParams>,
    page: Page,
) -> Result<Response> {
    let scripted = page.mode() == Mode::OutOfOrder;
    let flash = session::take_flash(&session, scripted, "/invoices").await?;
    let query = params.query.trim().to_string();
    let number = page_number(params.page.as_deref());
    let rows = {
        let (db, query, csrf) = (app.db.clone(), query.clone(), user.csrf.clone());
        let fallback = skeleton::table_rows(PER_PAGE as usize, tables::INVOICE_COLUMNS);
        app.latency.section(&page, "table", fallback, async move {
            let invoices = db::search_invoices(&db, &query, number, PER_PAGE).await?;
            Ok::<_, sqlx::Error>(tables::invoice_rows(&invoices, &csrf))
        })
    };
    let pages = {
        let (db, query) = (app.db.clone(), query.clone());
        app.latency
            .section(&page, "pages", skeleton::line(), async move {
                let total = db::invoice_pages(&db, &query, PER_PAGE).await?;
                let next = match total {
                    // Past a count that stopped, only the rows can tell.
                    PageCount::AtLeast(known) if number >= known => {
                        db::has_page(&db, &query, number.saturating_add(1), PER_PAGE).await?
                    }
                    _ => number < total.known(),
                };
                Ok::<_, sqlx::Error>(pagination(&query, number, total, next))
            })
    };
    let frame = Frame {
        title: "Invoices",
        description: "Search Acme's invoices by customer, email, amount, date or status.",
        active: "/invoices",
        user: Some(&user),
    };
    let placeholder = "Search by customer, email, amount, date or status";
    let search = search_form("/invoices", &query, placeholder, page.nonce());
    Ok(page.render(layout::shell(
        &frame,
        html! {
            h1 { "Invoices" }
            @if let Some(message) = flash {
                p class="flash" role="status" { (message) }
            }
            div class="toolbar" {
                (search)
                a class="button" href="/invoices/create" { "Create invoice" }
            }
            div id="results" {
                div class="panel" {
                    table class="invoices" {
                        (tables::invoice_header())
                        tbody { (rows) }
                    }
                }
                nav class="pagination" aria-label="Pages" { (pages) }
            }
        },
    )))
}

/// Previous and next links around "Page 2 of 7". A count that stopped at its limit reads
/// "Page 2 of 101+"; `next` says whether the next page has rows.
fn pagination(query: &str, current: u32, total: PageCount, next: bool) -> Markup {
    let link = |number: u32| {
        form_urlencoded::Serializer::for_suffix(String::from("/invoices?"), "/invoices?".len())
            .append_pair("query", query)
            .append_pair("page", &number.to_string())
            .finish()
    };
    // Past a count that stopped, the pages known are at least the one being read.
    let (pages, more) = match total {
        PageCount::Exactly(pages) => (pages, false),
        PageCount::AtLeast(pages) => (pages.max(current), true),
    };
    html! {
        @if current > 1 {
            a href=(link(current.saturating_sub(1).min(pages))) rel="prev" { "← Previous" }
        }
        span { "Page " (current) " of " (pages) @if more { "+" } }
        @if next && current < u32::MAX {
            a href=(link(current + 1)) rel="next" { "Next →" }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{PageCount, page_number, pagination};

    #[test]
    fn a_count_that_stopped_says_so_and_keeps_the_next_link() {
        let stopped = pagination("2026", 101, PageCount::AtLeast(101), true).into_string();
        assert!(stopped.contains("Page 101 of 101+"), "{stopped}");
        assert!(stopped.contains("page=102"), "{stopped}");
        let beyond = pagination("2026", 150, PageCount::AtLeast(101), true).into_string();
        assert!(beyond.contains("Page 150 of 150+"), "{beyond}");
        assert!(
            beyond.contains("page=149") && beyond.contains("page=151"),
            "{beyond}"
        );
        let end = pagination("2026", 160, PageCount::AtLeast(101), false).into_string();
        assert!(
            end.contains("page=159") && !end.contains("page=161"),
            "{end}"
        );
        let exact = pagination("2026", 3, PageCount::Exactly(3), false).into_string();
        assert!(
            exact.contains("Page 3 of 3<") && !exact.contains("page=4"),
            "{exact}"
        );
    }

    #[test]
    fn bad_page_numbers_are_clamped() {
        assert_eq!(page_number(None), 1);
        assert_eq!(page_number(Some("3")), 3);
        assert_eq!(page_number(Some("0")), 1);
        assert_eq!(page_number(Some("-2")), 1);
        assert_eq!(page_number(Some("abc")), 1);
        assert_eq!(page_number(Some("99999999999999999999")), u32::MAX);
    }
}
