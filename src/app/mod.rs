//! The Acme invoices dashboard and the /bench pages, on the engine's public API. (Being written.)

use std::str::FromStr;

/// Artificial latency per section name, in milliseconds (`revenue=2000,latest=800`).
#[derive(Debug, Clone, Default)]
pub struct DemoLatency(pub Vec<(String, u64)>);

impl FromStr for DemoLatency {
    type Err = String;
    fn from_str(_s: &str) -> Result<Self, Self::Err> {
        Ok(Self::default())
    }
}
