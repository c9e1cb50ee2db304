//! Fallbacks shown while a section loads, each the size of what replaces it so nothing moves
//! when it swaps in (the sizes live in `assets/style.css`).

use maud::{Markup, html};

/// One dashboard card.
pub fn card(label: &str) -> Markup {
    html! {
        div class="card skeleton-card" aria-busy="true" {
            p class="card-label" { (label) }
            p class="card-value" { span class="shimmer shimmer-value" {} }
        }
    }
}

/// The revenue chart.
pub fn chart() -> Markup {
    html! {
        div class="panel chart-panel" aria-busy="true" {
            h2 { "Recent revenue" }
            div class="chart shimmer" {}
        }
    }
}

/// A list of `rows` invoices.
pub fn invoice_list(title: &str, rows: usize) -> Markup {
    html! {
        div class="panel" aria-busy="true" {
            h2 { (title) }
            ul class="invoice-list" {
                @for _ in 0..rows {
                    li { span class="shimmer shimmer-avatar" {} span class="shimmer shimmer-line" {} }
                }
            }
        }
    }
}

/// Table rows inside a `<tbody>`.
pub fn table_rows(rows: usize, columns: usize) -> Markup {
    html! {
        @for _ in 0..rows {
            tr class="skeleton-row" aria-busy="true" {
                @for _ in 0..columns { td { span class="shimmer shimmer-line" {} } }
            }
        }
    }
}

/// A short line of text (a page count, a customer's name).
pub fn line() -> Markup {
    html! { span class="shimmer shimmer-line" aria-busy="true" {} }
}
