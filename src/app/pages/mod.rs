//! One module per page; each exposes its own `router()`.

pub mod bench;
