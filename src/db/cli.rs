//! `braid db`: create and migrate the database, or fill it with demo data.
//!
//! ```not_rust
//! braid db --database data/braid.sqlite3 migrate
//! braid db seed --customers 500 --invoices 1000000 --seed 7 --reset
//! ```

use std::time::{Duration, Instant};

use super::seed::{self, SeedSize};
use super::{DatabaseUrl, Db};

/// Arguments of `braid db`.
#[derive(Debug, clap::Args)]
pub struct DbArgs {
    /// SQLite database file (created, with its directory, if missing) or `postgres://` URL.
    #[arg(
        long,
        env = "BRAID_DATABASE",
        default_value = crate::config::DEFAULT_DATABASE,
        global = true
    )]
    pub database: DatabaseUrl,

    #[command(subcommand)]
    pub command: DbCommand,
}

/// What `braid db` does.
#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {
    /// Create the database if missing and apply pending migrations.
    Migrate,
    /// Fill the database with deterministic demo customers and invoices.
    Seed(SeedArgs),
}

/// Arguments of `braid db seed`.
#[derive(Debug, clap::Args)]
pub struct SeedArgs {
    /// Customers to create.
    #[arg(long, default_value_t = SeedSize::default().customers)]
    pub customers: u32,

    /// Invoices to create, spread over the 24 months up to 2026-10-31. A million takes a
    /// few seconds.
    #[arg(long, default_value_t = SeedSize::default().invoices)]
    pub invoices: u32,

    /// Random seed: the same seed always gives the same rows.
    #[arg(long, default_value_t = SeedSize::default().seed)]
    pub seed: u64,

    /// Delete all customers and invoices first. Without it, seeding a database that has
    /// data is refused.
    #[arg(long)]
    pub reset: bool,
}

/// Runs a `braid db` command.
pub async fn run(args: DbArgs) -> anyhow::Result<()> {
    let path = args.database;
    let started = Instant::now();
    let db = Db::open_without_seed(&path).await?;
    match args.command {
        DbCommand::Migrate => {
            println!("{}: migrated in {}", path, seconds(started.elapsed()));
        }
        DbCommand::Seed(seed_args) => {
            let size = SeedSize {
                customers: seed_args.customers,
                invoices: seed_args.invoices,
                seed: seed_args.seed,
            };
            if seed_args.reset {
                seed::reseed(&db, size).await?;
            } else {
                seed::seed(&db, size).await?;
            }
            println!(
                "{}: {}seeded {} customers and {} invoices (seed {}) in {}",
                path,
                if seed_args.reset { "reset and " } else { "" },
                size.customers,
                size.invoices,
                size.seed,
                seconds(started.elapsed())
            );
        }
    }
    db.close().await;
    Ok(())
}

fn seconds(elapsed: Duration) -> String {
    format!("{:.2} s", elapsed.as_secs_f64())
}
