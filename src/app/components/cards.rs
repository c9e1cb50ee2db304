//! The dashboard's summary cards.

use maud::{Markup, html};

/// A card with a label and a value, the same size as [`super::skeleton::card`].
pub fn card(label: &str, value: &str) -> Markup {
    html! {
        div class="card" {
            p class="card-label" { (label) }
            p class="card-value" { (value) }
        }
    }
}
