//! The `braid` binary: serve the demo, manage its database, or drive load at a server.
//!
//! Run with
//! ```not_rust
//! cargo run --release -- serve
//! ```
//!
//! `main.rs` stays thin and `lib.rs` holds the code so tests and other binaries share it.

use anyhow::Context;
use braid::config::{Cli, Command};
use clap::Parser;

/// mimalloc instead of glibc's malloc: a rendered page makes many short-lived strings, and
/// glibc spent a fifth of the CPU time of `/bench/s0` on them (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(config) => braid::server::serve(config).await,
            Command::Db(db) => braid::db::cli::run(db).await,
            Command::Load(args) => braid::load::run(args).await,
            Command::User(args) => braid::app::auth::users::run(args).await,
        }
    })
}
