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
        }
    })
}
