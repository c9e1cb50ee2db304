//! Router, middleware and graceful shutdown. (Being written.)

/// Serves until SIGINT/SIGTERM.
pub async fn serve(_config: crate::config::ServeConfig) -> anyhow::Result<()> {
    anyhow::bail!("not yet built")
}
