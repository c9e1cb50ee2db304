//! `braid load`: a streaming-aware HTTP/1.1 load generator. (Being written.)

/// Arguments of `braid load`.
#[derive(Debug, clap::Args)]
pub struct LoadArgs {}

/// Runs the load generator.
pub async fn run(_args: LoadArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet built")
}
