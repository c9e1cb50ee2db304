//! `page_number` on arbitrary `?page=` values: never panics, never below 1.
#![no_main]

use braid::app::pages::invoices::page_number;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: Option<&str>| {
    assert!(page_number(text) >= 1);
});
