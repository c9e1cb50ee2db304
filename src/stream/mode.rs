//! How a response streams, chosen per request: out-of-order, in-order or blocking.

use std::fmt;
use std::sync::LazyLock;

/// How one response is streamed. All three give the same final document content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Shell first with fallbacks, then each section as a `<template for>` as it resolves.
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
            "unknown stream mode {:?}: use out-of-order, in-order or off",
            self.0
        )
    }
}

impl std::error::Error for UnknownMode {}

impl Mode {
    /// Picks the mode of a request: `?stream=` wins; otherwise [`Mode::OutOfOrder`] for
    /// clients that swap sections in (browsers) or want to watch the stream, and
    /// [`Mode::Blocking`] for every other client (see `wants_one_document`).
    ///
    /// # Errors
    ///
    /// [`UnknownMode`] when `stream_param` names no mode.
    pub fn select(
        stream_param: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<Mode, UnknownMode> {
        match stream_param {
            Some(value) => Mode::parse(value),
            None if wants_one_document(user_agent) => Ok(Mode::Blocking),
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

/// Patterns of the `isbot` list that are HTTP tools and libraries, not crawlers. People run
/// `curl -N` to watch a page stream, and headless Chrome is a browser: both must get the
/// streamed page. Being off the crawler list is not enough to stream: only browsers and
/// [`HTTP_TOOLS`] do; the libraries here get one document as unknown agents.
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

/// Command-line HTTP clients and load generators, lowercase substrings of their user
/// agents. They run no script, but people use them to watch a page stream (`curl -N`) and
/// to measure time to first byte, so they get the stream as sent. HTTP libraries (Python's
/// `requests`, Go's `net/http`, okhttp, …) are not here: scrapers and link previewers are
/// built on them, and they get one complete document (a load generator that sends a
/// library's user agent can ask for the stream with `?stream=out-of-order`).
const HTTP_TOOLS: &[&str] = &[
    "curl/",
    "wget/",
    "httpie/",
    "h2load",
    "nghttp",
    "wrk",
    "apachebench",
    "hey/",
    "oha/",
    "k6/",
    "braid-load",
];

/// Whether a client should get one complete document rather than the out-of-order
/// stream, whose sections need a script to land in place.
///
/// The stream goes to browsers, which run the script (a `Mozilla/5.0 (…)` user agent with
/// a browser engine token, `AppleWebKit/` or `Gecko/`, that is not on the crawler list), to
/// command-line tools (curl, wget, HTTPie, load generators), and to clients that send no user agent
/// (hand-written scripts, `nc`). Every other client gets one document: crawlers and
/// link-preview agents (`WhatsApp/2.23`, `Bluesky Cardyb/1.1`, `facebookexternalhit`,
/// Slack, Discord, …), HTTP libraries, and any agent braid does not recognise: a complete
/// page is right for anyone, a stream that needs a script is right only for browsers.
pub fn wants_one_document(user_agent: Option<&str>) -> bool {
    let Some(agent) = user_agent.map(str::trim).filter(|agent| !agent.is_empty()) else {
        return false;
    };
    if agent.len() > REMEMBERED_AGENT_BYTES {
        return decide(agent);
    }
    if let Some(decided) = DECIDED.get(agent) {
        return decided;
    }
    let decided = decide(agent);
    DECIDED.insert(agent.into(), decided);
    decided
}

/// User agents longer than this are decided every time, never remembered: real ones are
/// a few hundred bytes, and [`DECIDED`] stays under a megabyte whatever clients send.
const REMEMBERED_AGENT_BYTES: usize = 512;

/// [`wants_one_document`]'s answers for the user agents seen last. Matching the crawler
/// list costs about 12,000 instructions, a lookup here a few hundred, and a site's
/// requests come from few distinct agents.
static DECIDED: LazyLock<moka::sync::Cache<Box<str>, bool>> =
    LazyLock::new(|| moka::sync::Cache::new(1_024));

/// [`wants_one_document`] for a trimmed, non-empty agent.
fn decide(agent: &str) -> bool {
    if is_crawler(agent) {
        return true;
    }
    let lower = agent.to_ascii_lowercase();
    if HTTP_TOOLS.iter().any(|tool| lower.contains(tool)) {
        return false;
    }
    !is_browser(agent)
}

/// A browser's user agent: `Mozilla/5.0 (platform) AppleWebKit/…` (Chrome, Edge, Safari,
/// Opera, Samsung Internet and every iOS browser) or `Mozilla/5.0 (platform; rv:…) Gecko/…`
/// (Firefox).
fn is_browser(agent: &str) -> bool {
    agent.starts_with("Mozilla/5.0 (")
        && (agent.contains("AppleWebKit/") || agent.contains("Gecko/"))
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
    fn remembered_answers_are_the_answers() {
        let google = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        for _ in 0..3 {
            assert!(wants_one_document(Some(google)));
            assert!(!wants_one_document(Some(firefox)));
        }
        let long_bot = format!("{google} {}", "x".repeat(REMEMBERED_AGENT_BYTES));
        let long_browser = format!("{firefox} {}", "x".repeat(REMEMBERED_AGENT_BYTES));
        assert!(wants_one_document(Some(&long_bot)));
        assert!(!wants_one_document(Some(&long_browser)));
        assert_eq!(DECIDED.get(long_bot.as_str()), None, "too long to remember");
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

    /// Crawlers, link-preview agents and unknown agents: one complete document.
    const ONE_DOCUMENT_AGENTS: &[&str] = &[
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.7390.122 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
        "WhatsApp/2.23.20.0",
        "WhatsApp/2.2412.54 A",
        "Bluesky Cardyb/1.1",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
        "Twitterbot/1.0",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "TelegramBot (like TwitterBot)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
        "http.rb/5.1.1 (Mastodon/4.2.0; +https://mastodon.social/) Bot",
        "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
        "Iframely/1.3.1 (+https://iframely.com/docs/about)",
        "Pinterestbot/1.0 (+http://www.pinterest.com/bot.html)",
        "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
        "Viber/20.3.0.1 CFNetwork/1390 Darwin/22.0.0",
        "Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko",
        "SomeNewPreviewService/0.1",
        "python-requests/2.32.3",
        "Go-http-client/1.1",
        "okhttp/4.12.0",
        "Python/3.11 aiohttp/3.9.5",
        "undici",
        "Java-http-client/17.0.15",
    ];

    /// Browsers (desktop and mobile) and HTTP tools: the stream.
    const STREAMED_AGENTS: &[&str] = &[
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36 Edg/156.0.0.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 26_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 26_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/156.0.0.0 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Android 14; Mobile; rv:140.0) Gecko/140.0 Firefox/140.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
        "curl/8.5.0",
        "Wget/1.21.4",
        "HTTPie/3.2.2",
        "h2load nghttp2/1.52.0",
        "braid-load",
    ];

    #[test]
    fn clients_that_run_no_script_get_one_document() {
        for agent in ONE_DOCUMENT_AGENTS {
            assert_eq!(
                Mode::select(None, Some(agent)),
                Ok(Mode::Blocking),
                "{agent}"
            );
        }
        for agent in STREAMED_AGENTS {
            assert_eq!(
                Mode::select(None, Some(agent)),
                Ok(Mode::OutOfOrder),
                "{agent}"
            );
        }
        assert_eq!(
            Mode::select(None, None),
            Ok(Mode::OutOfOrder),
            "no user agent: a script"
        );
        assert_eq!(Mode::select(None, Some(" ")), Ok(Mode::OutOfOrder));
    }

    #[test]
    fn unknown_mode_is_an_error_naming_the_choices() {
        let err = Mode::select(Some("sideways"), None).unwrap_err();
        assert!(err.to_string().contains("in-order"));
    }
}
