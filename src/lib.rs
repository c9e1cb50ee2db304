//! braid: a streaming server-side-rendering web server.
//!
//! A page is a **shell** (layout, navigation, one fallback per section) plus a set of
//! **sections**, each an async producer. braid starts every producer as the request arrives,
//! flushes the shell at once, then streams each section's HTML as a `<template for>` as soon
//! as it resolves, in completion order. See `ARCHITECTURE.md` for the map.
//!
//! # Layout
//!
//! - [`stream`]: the engine. `Page`, sections, shared resources, the wire format and the three
//!   streaming modes. It knows HTML, futures and HTTP; nothing of invoices or SQL.
//! - [`app`]: the Acme invoices dashboard, built on `stream`'s public API alone, plus the
//!   `/bench` pages of the reference scenario.
//! - [`db`]: sqlx on SQLite: the pool, migrations, the seed generator and every query.
//! - [`server`]: the router, middleware (trace, compression, headers) and graceful shutdown;
//!   a single `run` function that takes a `TcpListener` and a shutdown future.
//! - [`config`]: the command line and environment settings.
//! - [`load`]: `braid load`, a streaming-aware HTTP/1.1 load generator.
//!
//! Everything but [`stream`] is behind the default `demo` feature: with
//! `default-features = false` the crate is the engine alone, with its dependencies only.

#[cfg(feature = "demo")]
pub mod app;
#[cfg(feature = "demo")]
pub mod config;
#[cfg(feature = "demo")]
pub mod db;
#[cfg(feature = "demo")]
pub mod load;
#[cfg(feature = "demo")]
pub mod server;
pub mod stream;
