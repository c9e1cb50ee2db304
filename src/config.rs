//! Settings from command-line flags and the environment (one clap struct per command).

use std::net::SocketAddr;

use clap::{Parser, Subcommand, ValueEnum};

use crate::app::DemoLatency;
use crate::app::auth::users::DemoUser;
use crate::db::{DatabaseUrl, SeedSize};
use crate::server::ServerOptions;
use crate::stream::EngineConfig;

/// Where `braid serve`, `braid db` and `braid user` keep the SQLite database by default.
pub const DEFAULT_DATABASE: &str = "data/braid.sqlite3";

/// The `braid` command line.
#[derive(Debug, Parser)]
#[command(
    name = "braid",
    version,
    about = "A streaming server-side-rendering web server"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What the binary does.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the Acme dashboard and the /bench pages (creates, migrates and seeds the database).
    Serve(ServeConfig),
    /// Create, migrate or seed the SQLite database.
    Db(crate::db::cli::DbArgs),
    /// Drive HTTP/1.1 load at a URL and report time to first byte and section arrivals.
    Load(crate::load::LoadArgs),
    /// Manage who can sign in to the dashboard.
    User(crate::app::auth::users::UserArgs),
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Settings of `braid serve`.
#[derive(Debug, Clone, Parser)]
pub struct ServeConfig {
    /// Address to listen on. Use 0.0.0.0:3000 to accept connections from other machines.
    #[arg(long, env = "BRAID_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// SQLite database file (created, migrated and seeded on first start), or a
    /// `postgres://USER:PASSWORD@HOST:PORT/NAME` URL for a PostgreSQL server that several
    /// instances share (migrated and seeded on first start too).
    #[arg(long, env = "BRAID_DATABASE", default_value = DEFAULT_DATABASE)]
    pub database: DatabaseUrl,

    /// The account a database without users gets: `EMAIL:PASSWORD`, or `none`. Add real
    /// users with `braid user add`.
    #[arg(long, env = "BRAID_DEMO_USER", default_value = crate::app::auth::users::DEFAULT_DEMO_USER)]
    pub demo_user: DemoUser,

    /// Mark the session cookie `Secure` (sent over HTTPS only): set it when users reach
    /// braid through a TLS-terminating proxy.
    #[arg(long, env = "BRAID_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,

    /// Count failed sign-ins by the last `X-Forwarded-For` address (the one the nearest
    /// proxy added) instead of the TCP peer. Set it only behind a proxy that always sets it.
    #[arg(long, env = "BRAID_BEHIND_PROXY", default_value_t = false)]
    pub behind_proxy: bool,

    /// Produce every cached section (the dashboard's) on every request instead of serving
    /// it from the cache; concurrent requests still share one production. For measuring
    /// the uncached page.
    #[arg(long, env = "BRAID_NO_SECTION_CACHE", default_value_t = false)]
    pub no_section_cache: bool,

    /// Customers to seed when the database is new.
    #[arg(long, env = "BRAID_SEED_CUSTOMERS", default_value_t = SeedSize::default().customers)]
    pub seed_customers: u32,

    /// Invoices to seed when the database is new.
    #[arg(long, env = "BRAID_SEED_INVOICES", default_value_t = SeedSize::default().invoices)]
    pub seed_invoices: u32,

    /// Artificial latency per dashboard section in milliseconds, to watch sections arrive,
    /// e.g. `revenue=2000,latest=800`. Off by default.
    #[arg(long, env = "BRAID_DEMO_LATENCY", default_value = "")]
    pub demo_latency: DemoLatency,

    /// Deadline of a whole page: sections still pending get their timeout view and the
    /// document ends. Longer than any section timeout.
    #[arg(long, env = "BRAID_PAGE_DEADLINE", default_value_t = EngineConfig::default().page_deadline.into())]
    pub page_deadline: humantime::Duration,

    /// Default timeout of one section, counted from its registration (when the handler starts
    /// it); a page may set its own per section.
    #[arg(long, env = "BRAID_SECTION_TIMEOUT", default_value_t = EngineConfig::default().section_timeout.into())]
    pub section_timeout: humantime::Duration,

    /// On SIGTERM/SIGINT, how long in-flight streams may run before their pending sections
    /// get timeout views and the server exits.
    #[arg(long, env = "BRAID_DRAIN_DEADLINE", default_value_t = ServerOptions::default().drain_deadline.into())]
    pub drain_deadline: humantime::Duration,

    /// A client must send its request headers within this time (slowloris protection).
    #[arg(long, env = "BRAID_HEADER_READ_TIMEOUT", default_value_t = ServerOptions::default().header_read_timeout.into())]
    pub header_read_timeout: humantime::Duration,

    /// A connection whose client reads nothing for this long is dropped (slow readers).
    #[arg(long, env = "BRAID_WRITE_TIMEOUT", default_value_t = ServerOptions::default().write_timeout.into())]
    pub write_timeout: humantime::Duration,

    /// Concurrent streamed responses beyond which new requests get `503` + `Retry-After`.
    #[arg(long, env = "BRAID_MAX_STREAMS", default_value_t = ServerOptions::default().max_streams)]
    pub max_streams: usize,

    /// Memory that responses in flight may hold, in MiB; a request whose response would not
    /// fit gets `503` + `Retry-After`. Each response is counted until its body ends, by the
    /// compressor it holds: 16 KiB for a stream (compressed chunk by chunk, it holds none)
    /// or an uncompressed response; 448 KiB (gzip) or 768 KiB (brotli) for a compressed
    /// response of known length.
    #[arg(long, env = "BRAID_STREAM_MEMORY_MIB", default_value_t = ServerOptions::default().stream_memory / (1024 * 1024))]
    pub stream_memory_mib: u64,

    /// Log format; `RUST_LOG` sets the level (default `info`).
    #[arg(long, env = "BRAID_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Allow `?debug=timeline`, which reveals section names and timings to any client.
    #[arg(long, env = "BRAID_DEBUG_TIMELINE", default_value_t = false)]
    pub debug_timeline: bool,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Each default lives in one place (the engine's, the server's, the seed's); the flags
    /// show and use those, whatever the environment of the test run says.
    #[test]
    fn the_flags_defaults_are_the_librarys() {
        if std::env::vars().any(|(name, _)| name.starts_with("BRAID_")) {
            eprintln!("SKIPPED: BRAID_* variables are set, and they override the defaults");
            return;
        }
        let Command::Serve(config) = Cli::parse_from(["braid", "serve"]).command else {
            panic!("serve");
        };
        let (engine, server, seed) = (
            EngineConfig::default(),
            ServerOptions::default(),
            SeedSize::default(),
        );
        assert_eq!(Duration::from(config.page_deadline), engine.page_deadline);
        assert_eq!(
            Duration::from(config.section_timeout),
            engine.section_timeout
        );
        assert_eq!(Duration::from(config.drain_deadline), server.drain_deadline);
        assert_eq!(
            Duration::from(config.header_read_timeout),
            server.header_read_timeout
        );
        assert_eq!(Duration::from(config.write_timeout), server.write_timeout);
        assert_eq!(config.max_streams, server.max_streams);
        assert_eq!(config.stream_memory_mib * 1024 * 1024, server.stream_memory);
        assert_eq!(
            (config.seed_customers, config.seed_invoices),
            (seed.customers, seed.invoices)
        );
    }
}
