//! A customer's avatar: initials on a coloured disc, drawn in SVG (the CSP allows no inline
//! styles, and SVG presentation attributes are not styles).

use maud::{Markup, html};

/// A 32-pixel avatar.
pub fn avatar(initials: &str, colour: &str) -> Markup {
    html! {
        svg class="avatar" width="32" height="32" viewBox="0 0 32 32" aria-hidden="true" {
            circle cx="16" cy="16" r="16" fill=(colour) {}
            text x="16" y="21" text-anchor="middle" font-size="13" fill="#fff" { (initials) }
        }
    }
}
