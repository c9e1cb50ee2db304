//! `page_number` on arbitrary `?page=` values: never panics, never below 1.

use braid::app::pages::invoices::page_number;

fn main() {
    afl::fuzz!(|text: Option<&str>| {
        assert!(page_number(text) >= 1);
    });
}
