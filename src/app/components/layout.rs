//! The page frame every Acme page shares: head (title, description), side navigation with
//! the signed-in user, main area.

use maud::{Markup, html};

use crate::app::auth::{SignedIn, csrf};
use crate::stream::Shell;

/// The entries of the side navigation.
const NAV: [(&str, &str); 4] = [
    ("/", "Home"),
    ("/dashboard", "Dashboard"),
    ("/invoices", "Invoices"),
    ("/customers", "Customers"),
];

/// What a page says about itself to the frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Fills the title template `%s | Acme Dashboard`.
    pub title: &'a str,
    /// The `<meta name="description">`: one sentence on what the page shows.
    pub description: &'a str,
    /// The navigation entry to highlight (its `href`).
    pub active: &'a str,
    /// The signed-in user, whose name and sign-out button the navigation shows.
    pub user: Option<&'a SignedIn>,
}

/// The shell of an Acme page.
pub fn shell(frame: &Frame<'_>, content: Markup) -> Shell {
    Shell {
        head: head(frame.title, frame.description),
        body: body(frame, content),
    }
}

/// The shell of an Acme page whose account block (the signed-in user's name and sign-out
/// form) is `account`: a hole of a `StaticShell`, filled per request with [`account`].
/// `frame.user` is not read.
pub fn shell_with_account(frame: &Frame<'_>, account: Markup, content: Markup) -> Shell {
    Shell {
        head: head(frame.title, frame.description),
        body: frame_around(frame.active, account, content),
    }
}

/// `<head>` content: title (the course's template, `%s | Acme Dashboard`), description,
/// stylesheet, an empty favicon (no extra request).
pub fn head(title: &str, description: &str) -> Markup {
    html! {
        title { (title) " | Acme Dashboard" }
        meta name="description" content=(description);
        link rel="stylesheet" href={ "/assets/style.css?v=" (env!("CARGO_PKG_VERSION")) };
        link rel="icon" href="data:,";
    }
}

/// `<body>` content: the navigation beside `content`.
pub fn body(frame: &Frame<'_>, content: Markup) -> Markup {
    frame_around(frame.active, account(frame.user, frame.active), content)
}

/// The account block of the navigation: the user's name and a sign-out button, or a
/// sign-in link.
pub fn account(user: Option<&SignedIn>, active: &str) -> Markup {
    html! {
        @if let Some(user) = user {
            span class="account-name" { (user.name) }
            form method="post" action="/logout" {
                input type="hidden" name=(csrf::FIELD) value=(user.csrf);
                button type="submit" class="link-button" { "Sign out" }
            }
        } @else {
            a href="/login" aria-current=[(active == "/login").then_some("page")] { "Log in" }
        }
    }
}

fn frame_around(active: &str, account: Markup, content: Markup) -> Markup {
    html! {
        div class="layout" {
            nav class="sidenav" aria-label="Main" {
                a class="brand" href="/" { span class="logo" { "A" } "Acme" }
                @for (href, label) in NAV {
                    a href=(href) aria-current=[(href == active).then_some("page")] { (label) }
                }
                div class="account" { (account) }
            }
            main { (content) }
        }
    }
}
