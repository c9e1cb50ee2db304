//! Artificial per-section latency (`--demo-latency revenue=2000,latest=800`), off by default.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use maud::Markup;

use crate::stream::{Page, Slot};

/// Extra delay, by section name, that a section waits before returning its markup.
#[derive(Debug, Clone, Default)]
pub struct DemoLatency(Arc<HashMap<String, Duration>>);

impl DemoLatency {
    /// Registers a section on `page` named `name` (in logs, metrics and
    /// `--demo-latency`): its producer first waits the latency configured for that name,
    /// if any. The one place a demo section's name is written.
    pub fn section<F, E>(
        &self,
        page: &Page,
        name: &'static str,
        fallback: Markup,
        producer: F,
    ) -> Slot
    where
        F: Future<Output = Result<Markup, E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        let delay = self.0.get(name).copied();
        page.section(fallback, async move {
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            producer.await
        })
        .name(name)
    }
}

impl DemoLatency {
    /// The latency configured for section `name`, if any: for producers that are not
    /// registered through [`DemoLatency::section`] (cached sections, whose definitions
    /// name them).
    pub fn delay(&self, name: &str) -> Option<Duration> {
        self.0.get(name).copied()
    }
}

/// A `--demo-latency` value that is not `name=milliseconds[,name=milliseconds…]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLatency(String);

impl fmt::Display for BadLatency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not name=milliseconds (e.g. revenue=2000,latest=800)",
            self.0
        )
    }
}

impl std::error::Error for BadLatency {}

impl FromStr for DemoLatency {
    type Err = BadLatency;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut delays = HashMap::new();
        for item in text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            let bad = || BadLatency(item.to_string());
            let (name, millis) = item.split_once('=').ok_or_else(bad)?;
            let millis: u64 = millis.trim().parse().map_err(|_| bad())?;
            delays.insert(name.trim().to_string(), Duration::from_millis(millis));
        }
        Ok(DemoLatency(Arc::new(delays)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_milliseconds() {
        let latency: DemoLatency = "revenue=2000, latest=800".parse().unwrap();
        assert_eq!(latency.0.get("revenue"), Some(&Duration::from_millis(2000)));
        assert_eq!(latency.0.get("latest"), Some(&Duration::from_millis(800)));
        assert!("".parse::<DemoLatency>().unwrap().0.is_empty());
    }

    #[test]
    fn rejects_malformed_items() {
        assert!("revenue".parse::<DemoLatency>().is_err());
        assert!("revenue=fast".parse::<DemoLatency>().is_err());
        assert!("revenue=-5".parse::<DemoLatency>().is_err());
    }
}
