//! How a response streams, chosen per request: out-of-order, in-order or blocking.

use std::fmt;
use std::sync::LazyLock;

/// How one response is streamed. All three give the same final document content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Shell first with fallbacks, then each section with a swap script as it resolves.
    /// The default for browsers.
    OutOfOrder,
    /// No scripts: the document streams in document order, pausing at each pending section.
    /// For readers without JavaScript and `curl` users who want a readable document.
    InOrder,
    /// One complete document once every section has settled. For crawlers.
    Blocking,
}

/// `?stream=` had a value braid does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMode(pub String);

impl fmt::Display for UnknownMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown stream mode {:?}: use ?stream=out-of-order, ?stream=in-order or ?stream=off",
            self.0
        )
    }
}

impl std::error::Error for UnknownMode {}

impl Mode {
    /// Picks the mode of a request: `?stream=` wins; otherwise crawlers get
    /// [`Mode::Blocking`] and everyone else [`Mode::OutOfOrder`].
    pub fn select(
        stream_param: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<Mode, UnknownMode> {
        match stream_param {
            Some(value) => Mode::parse(value),
            None if user_agent.is_some_and(is_crawler) => Ok(Mode::Blocking),
            None => Ok(Mode::OutOfOrder),
        }
    }

    fn parse(value: &str) -> Result<Mode, UnknownMode> {
        match value {
            "out-of-order" | "on" | "" => Ok(Mode::OutOfOrder),
            "in-order" => Ok(Mode::InOrder),
            "off" | "blocking" => Ok(Mode::Blocking),
            other => Err(UnknownMode(other.chars().take(64).collect())),
        }
    }

    /// The value of `?stream=` that selects this mode.
    pub fn as_param(self) -> &'static str {
        match self {
            Mode::OutOfOrder => "out-of-order",
            Mode::InOrder => "in-order",
            Mode::Blocking => "off",
        }
    }
}

/// Patterns of the `isbot` list that are HTTP tools, not crawlers. People run `curl -N` to
/// watch a page stream, and headless Chrome is a browser: both must get the streamed page.
const NOT_CRAWLERS: &[&str] = &[
    "^curl",
    "wget",
    "headlesschrome",
    "chrome-lighthouse",
    "go-http-client",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "okhttp",
    "pycurl",
];

/// The maintained crawler list of the `isbot` crate, minus [`NOT_CRAWLERS`]. Compiled once:
/// building the regex costs milliseconds, matching a user agent about a microsecond.
static CRAWLERS: LazyLock<isbot::Bots> = LazyLock::new(|| {
    let mut bots = isbot::Bots::default();
    bots.remove(NOT_CRAWLERS);
    bots
});

/// Whether a user agent is a search-engine crawler or similar bot that wants one complete
/// document.
pub fn is_crawler(user_agent: &str) -> bool {
    CRAWLERS.is_bot(user_agent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_wins_over_user_agent() {
        assert_eq!(
            Mode::select(Some("in-order"), Some("Googlebot/2.1")),
            Ok(Mode::InOrder)
        );
        assert_eq!(Mode::select(Some("off"), None), Ok(Mode::Blocking));
        assert_eq!(Mode::select(None, None), Ok(Mode::OutOfOrder));
    }

    #[test]
    fn crawlers_block_and_tools_stream() {
        let google = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        assert_eq!(Mode::select(None, Some(google)), Ok(Mode::Blocking));
        for tool in [
            "curl/8.5.0",
            "Wget/1.21",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
            "h2load nghttp2/1.52.0",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        ] {
            assert_eq!(
                Mode::select(None, Some(tool)),
                Ok(Mode::OutOfOrder),
                "{tool}"
            );
        }
    }

    #[test]
    fn unknown_mode_is_an_error_naming_the_choices() {
        let err = Mode::select(Some("sideways"), None).unwrap_err();
        assert!(err.to_string().contains("in-order"));
    }
}
