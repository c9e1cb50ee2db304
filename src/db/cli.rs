//! `braid db`: migrate and seed. (Being written.)

/// Arguments of `braid db`.
#[derive(Debug, clap::Args)]
pub struct DbArgs {}

/// Runs a `braid db` command.
pub async fn run(_args: DbArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet built")
}
