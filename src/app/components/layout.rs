//! The page frame every Acme page shares: head, side navigation, main area.

use maud::{Markup, html};

use crate::stream::Shell;

/// The entries of the side navigation.
const NAV: [(&str, &str); 4] = [
    ("/", "Home"),
    ("/dashboard", "Dashboard"),
    ("/invoices", "Invoices"),
    ("/customers", "Customers"),
];

/// The shell of an Acme page titled `title`, with `active` highlighted in the navigation.
pub fn shell(title: &str, active: &str, content: Markup) -> Shell {
    Shell {
        head: head(title),
        body: body(active, content),
    }
}

/// `<head>` content: title, stylesheet, an empty favicon (no extra request).
pub fn head(title: &str) -> Markup {
    html! {
        title { (title) " · Acme" }
        link rel="stylesheet" href={ "/assets/style.css?v=" (env!("CARGO_PKG_VERSION")) };
        link rel="icon" href="data:,";
    }
}

/// `<body>` content: the navigation beside `content`.
pub fn body(active: &str, content: Markup) -> Markup {
    html! {
        div class="layout" {
            nav class="sidenav" aria-label="Main" {
                a class="brand" href="/" { span class="logo" { "A" } "Acme" }
                @for (href, label) in NAV {
                    a href=(href) aria-current=[(href == active).then_some("page")] { (label) }
                }
            }
            main { (content) }
        }
    }
}
