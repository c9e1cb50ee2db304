//! The streaming engine: a page is a shell plus sections; the shell is flushed at once and
//! each section streams in as its producer resolves.
//!
//! This module knows HTML, futures and HTTP, and nothing of invoices or SQL: the demo in
//! `app` uses only what is exported here.
//!
//! - [`Page`] (the axum extractor) registers [`Slot`]s with `page.section(fallback, producer)`
//!   and shared [`Resource`]s, then `page.render(Shell { head, body })`.
//! - [`Engine`] holds the settings, the live counters and the drain signal; it lives in the
//!   router state.
//! - [`Mode`] is chosen per request: out-of-order (default), in-order, or blocking.
//!
//! The bytes on the wire are described in `stream/docs/wire-format.md`.

#![warn(missing_docs, unreachable_pub)]

mod cache;
mod context;
mod driver;
mod engine;
mod fragment;
mod liveness;
mod mailbox;
mod mode;
mod page;
mod policy;
mod protocol;
mod registry;
mod render;
mod resource;
mod section;
mod slot;
mod static_shell;
mod timeline;
mod timing;

pub use cache::{CacheError, CacheKey, CachePolicy, CachedSection, Invalidator};
pub use engine::{Engine, EngineConfig};
pub use liveness::{HEARTBEAT, ReadClosed};
pub use mode::{Mode, UnknownMode, is_crawler, wants_one_document};
pub use page::{Page, PageRejection, Scope, UNMATCHED_ROUTE};
pub use policy::{PagePolicy, PageTexts, PolicyError};
pub use render::Shell;
pub use resource::{Resource, ResourceError};
pub use section::{ErrorId, default_error_view, default_timeout_view};
pub use slot::Slot;
pub use static_shell::{Holes, StaticShell};
