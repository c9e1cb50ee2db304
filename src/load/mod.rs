//! `braid load`: a streaming-aware HTTP/1.1 load generator.
//!
//! It drives keep-alive connections at a list of URLs and reports, per request, the time to
//! first byte, the arrival of each `--marker` string in the body (one per streamed section,
//! say) and the time to the end of the response, as p50/p90/p99/max. Unlike h2load, whose time
//! to first byte covers only the first response on each connection, every response counts.
//!
//! Run with
//! ```not_rust
//! braid load -c 64 -n 5000 --warmup 500 --marker "Section 1" --marker "Section 2" \
//!     --marker "Section 3" http://127.0.0.1:3000/bench/s1
//! ```
//!
//! All figures are measured from just before the request is written; the time to first byte
//! is when the first read of the response returns. Responses that were not 2xx count as
//! errors by status and stay out of the figures. No `Accept-Encoding` is sent, so markers
//! are searched in the uncompressed body.
//!
//! # Layout
//!
//! - [`plan`]: the checked run ([`Plan`]) and the shared [`plan::Schedule`] of requests.
//! - [`target`]: URLs and `-H` headers, turned into request bytes built once.
//! - `conn`: one connection's loop over a `TcpStream`: write, read, time, reconnect.
//! - [`receiver`]: the same without the socket: read buffer, parser and markers per response.
//! - [`parse`]: HTTP/1.1 response framing (content-length, chunked, until close).
//! - [`marker`]: marker search across chunk and read boundaries.
//! - `stats`: histograms and counters, sharded; [`report`]: the table and the JSON.
//! - `engine`: [`execute`], which runs a plan.

use std::io::IsTerminal as _;
use std::time::Duration;

use clap::Parser as _;

mod conn;
mod engine;
pub mod marker;
pub mod parse;
pub mod plan;
pub mod receiver;
pub mod report;
mod stats;
pub mod target;

pub use engine::execute;
pub use plan::{Plan, Warmup};
pub use report::{Figure, Report};
pub use stats::Errors;
pub use target::Header;

/// Arguments of `braid load`.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// URLs to request (plain http:// only); each connection goes round-robin over them.
    #[arg(value_name = "URL", required = true)]
    pub urls: Vec<String>,

    /// Concurrent keep-alive connections, each with one request in flight.
    #[arg(short, long, default_value_t = 16)]
    pub connections: usize,

    /// Measured requests to send in all, e.g. 5000 (default: run for 10s).
    #[arg(short = 'n', long, conflicts_with = "duration")]
    pub requests: Option<u64>,

    /// How long to send measured requests, e.g. 10s or 1m.
    #[arg(short, long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,

    /// Requests (e.g. 500) or time (e.g. 2s) at the start left out of every figure.
    #[arg(long)]
    pub warmup: Option<Warmup>,

    /// Extra request header "Name: value"; repeat for more. Replaces a default of that name.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<Header>,

    /// Report when this string first appears in the decoded body, e.g. `"<h2>Section 1"`;
    /// repeat for more.
    #[arg(long = "marker", value_name = "STR")]
    pub markers: Vec<String>,

    /// Print the report as JSON on stdout, without the progress line.
    #[arg(long)]
    pub json: bool,

    /// Deadline of one request, from sending it to the end of its response (and of a connect).
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

impl LoadArgs {
    /// Parses the arguments that follow `braid load`, as tests and other tools need.
    ///
    /// # Errors
    ///
    /// clap's error for arguments `braid load` would reject.
    pub fn parse_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        #[derive(clap::Parser)]
        struct Command {
            #[command(flatten)]
            args: LoadArgs,
        }
        let argv = std::iter::once(std::ffi::OsString::from("braid-load"))
            .chain(args.into_iter().map(Into::into));
        Ok(Command::try_parse_from(argv)?.args)
    }
}

/// Runs the load generator: prints a progress line while it runs (on a terminal, without
/// `--json`), then the report. Ctrl-C ends the run early and still reports.
pub async fn run(args: LoadArgs) -> anyhow::Result<()> {
    let mut plan = Plan::new(&args).await?;
    plan.progress = !args.json && std::io::stderr().is_terminal();
    let schedule = std::sync::Arc::clone(&plan.schedule);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            schedule.stop();
        }
    });
    let report = execute(plan).await;
    if args.json {
        println!("{}", report.to_json());
    } else {
        println!("{report}");
    }
    Ok(())
}
