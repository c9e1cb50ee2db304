//! The URLs and headers of a run, checked once and turned into ready-to-send request bytes.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use http::header::{HeaderName, HeaderValue};
use http::uri::{Scheme, Uri};

/// One URL of the run: where to connect and the exact bytes of its `GET` request.
#[derive(Debug, Clone)]
pub struct Target {
    /// The URL as given.
    pub url: String,
    /// `host:port` to resolve and connect to.
    pub authority: String,
    /// The full request, built once and written as is for every request.
    pub request: Vec<u8>,
}

/// A `Name: value` header from `-H`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    name: HeaderName,
    value: HeaderValue,
}

impl std::str::FromStr for Header {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> anyhow::Result<Self> {
        let Some((name, value)) = s.split_once(':') else {
            bail!("header {s:?} is not of the form \"Name: value\"");
        };
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .with_context(|| format!("header {s:?} has an invalid name"))?;
        let value = HeaderValue::from_str(value.trim())
            .with_context(|| format!("header {s:?} has an invalid value"))?;
        Ok(Header { name, value })
    }
}

impl Target {
    /// Checks `url` (plain `http://` only) and builds its request with `headers`.
    ///
    /// `Host`, `User-Agent: braid-load` and `Accept: */*` are sent unless `headers` sets them.
    /// No `Accept-Encoding` is sent, so markers are searched in an uncompressed body.
    ///
    /// # Errors
    ///
    /// For a URL that is not an absolute `http://` URL with a host.
    pub fn new(url: &str, headers: &[Header]) -> anyhow::Result<Self> {
        let uri: Uri = url
            .parse()
            .with_context(|| format!("invalid URL {url:?}"))?;
        match uri.scheme() {
            Some(s) if *s == Scheme::HTTP => {}
            Some(s) if *s == Scheme::HTTPS => {
                bail!("{url}: https is not supported; braid load speaks plain HTTP/1.1 only")
            }
            Some(s) => bail!("{url}: scheme {s:?} is not supported; use http://"),
            None => bail!("{url}: not an absolute URL; use http://host[:port]/path"),
        }
        let Some(authority) = uri.authority() else {
            bail!("{url}: the URL has no host")
        };
        if authority.as_str().contains('@') {
            bail!("{url}: user information in URLs is not supported; use -H Authorization");
        }
        let host = authority.as_str();
        let connect = match authority.port_u16() {
            Some(_) => host.to_owned(),
            None => format!("{host}:80"),
        };
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        Ok(Target {
            url: url.to_owned(),
            authority: connect,
            request: request(host, path, headers),
        })
    }

    /// Resolves the target's host to the address to connect to.
    ///
    /// # Errors
    ///
    /// If the host does not resolve.
    pub async fn resolve(&self) -> anyhow::Result<SocketAddr> {
        let mut addrs = tokio::net::lookup_host(&self.authority)
            .await
            .with_context(|| format!("resolving {}", self.authority))?;
        addrs
            .next()
            .with_context(|| format!("{} resolves to no address", self.authority))
    }
}

fn request(host: &str, path: &str, headers: &[Header]) -> Vec<u8> {
    let mut out = format!("GET {path} HTTP/1.1\r\n").into_bytes();
    let has = |name: &HeaderName| headers.iter().any(|h| h.name == name);
    let defaults = [
        (http::header::HOST, host),
        (http::header::USER_AGENT, "braid-load"),
        (http::header::ACCEPT, "*/*"),
    ];
    for (name, value) in defaults {
        if !has(&name) {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
    }
    for header in headers {
        out.extend_from_slice(header.name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(header.value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_get_with_host_and_headers() {
        let header: Header = "X-Test:  yes ".parse().expect("valid header");
        let target = Target::new("http://127.0.0.1:3000/bench/s1?x=1", &[header]).expect("valid");
        assert_eq!(target.authority, "127.0.0.1:3000");
        let request = String::from_utf8(target.request).expect("ascii");
        assert_eq!(
            request,
            "GET /bench/s1?x=1 HTTP/1.1\r\nhost: 127.0.0.1:3000\r\nuser-agent: braid-load\r\n\
             accept: */*\r\nx-test: yes\r\n\r\n"
        );
    }

    #[test]
    fn a_host_header_replaces_the_default() {
        let header: Header = "Host: example.test".parse().expect("valid header");
        let target = Target::new("http://localhost/", &[header]).expect("valid");
        assert_eq!(target.authority, "localhost:80");
        let request = String::from_utf8(target.request).expect("ascii");
        assert!(request.contains("host: example.test\r\n"));
        assert!(!request.contains("localhost"));
    }

    #[test]
    fn https_is_refused_clearly() {
        let err = Target::new("https://example.test/", &[]).expect_err("https");
        assert!(err.to_string().contains("https is not supported"), "{err}");
    }

    #[test]
    fn relative_urls_and_bad_headers_are_refused() {
        assert!(Target::new("/bench/s1", &[]).is_err());
        assert!(Target::new("ftp://host/", &[]).is_err());
        assert!("NoColon".parse::<Header>().is_err());
        assert!("Bad Name: v".parse::<Header>().is_err());
    }
}
