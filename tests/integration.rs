//! braid's integration tests: one binary (one link step), one module per area.
//!
//! Run with
//! ```not_rust
//! cargo test --test integration
//! ```

// Shared helpers: start a server on port 0, record chunk arrival times, apply swaps.
mod util;

// The streaming engine over real sockets: order, timing ratios, failures, cancellation.
mod engine;
// Cached sections: freshness, stale-while-revalidate, herds, invalidation.
mod cache;
// The three streaming modes and what they have in common.
mod modes;
// Compression still delivers each chunk when it is produced.
mod compression;
// Metrics and the debug timeline.
mod observability;
// The data layer against real SQLite files: migrations, seeding, every query, the triggers.
mod db;
// braid load: framing, markers and the engine against local servers.
mod load;
// The Acme application on real SQLite files.
mod app;
// Sign-in, sessions, the guard on private pages, throttling, CSRF.
mod auth;
// Creating, editing and deleting invoices: validation, conflicts, double submits, exact totals.
mod writes;
// The reference scenario's /bench pages.
mod scenario;
// A real browser (headless chromium over CDP): mid-stream DOM, final DOM, CSP, CLS, no-JS.
mod browser;
// Behind a real nginx: chunks pass through with buffering and gzip on; disconnects cancel.
mod proxy;
// Behind HAProxy, Caddy, Apache httpd and lighttpd, each with its shipped configuration.
mod proxies;
// The real curl prints the shell before the sections.
mod curl;
// Clients that vanish, read or send slowly, overload, database faults, shutdown, soak.
mod reliability;
// Generated hostile input (proptest), oversized heads and URLs, the request parsers.
mod hostile;
// The binary's commands and their errors.
mod cli;
// The app on a real PostgreSQL: the same pages, racing instances, shared sessions, faults.
mod postgres;
// Three instances on one PostgreSQL behind nginx: SIGKILL, rolling restart under load.
mod cluster;
