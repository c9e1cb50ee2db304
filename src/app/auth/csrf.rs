//! Cross-site request forgery: two independent checks on every request that changes state.
//!
//! 1. [`same_origin`], on every unsafe method: a browser says where a request comes from
//!    (`Sec-Fetch-Site`, `Origin`); anything from another site is refused with `403`. This
//!    also covers the sign-in form, which has no session to hold a token yet.
//! 2. A synchronizer token: each session holds a random token, every form of a signed-in
//!    page carries it in a hidden `csrf` field, and [`super::require_sign_in`] refuses a
//!    write whose field does not match (constant-time comparison) with `403`.
//!
//! Per OWASP's CSRF Prevention Cheat Sheet ("Synchronizer Token Pattern", "Fetch Metadata
//! headers", "Verifying Origin with standard headers").

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, header};
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::app::error::AppError;

/// The hidden form field that carries the token.
pub const FIELD: &str = "csrf";

/// A fresh token: 32 random bytes from the OS-seeded generator, in hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Whether the token a form sent equals the session's, compared in constant time.
pub fn tokens_match(sent: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(sent.as_bytes().ct_eq(expected.as_bytes()))
}

/// The `csrf` field of a URL-encoded form body, if there is exactly one.
pub fn token_in_form(body: &[u8]) -> Option<String> {
    let mut tokens = form_urlencoded::parse(body).filter(|(name, _)| name == FIELD);
    let token = tokens.next()?.1.into_owned();
    tokens.next().is_none().then_some(token)
}

/// Middleware: refuses with `403` an unsafe request (anything but GET, HEAD, OPTIONS,
/// TRACE) that a browser marks as coming from another site.
pub async fn same_origin(request: Request, next: Next) -> Response {
    if !request.method().is_safe() && cross_site(request.headers()) {
        tracing::warn!(
            method = %request.method(),
            path = request.uri().path(),
            origin = ?request.headers().get(header::ORIGIN),
            "refused a cross-site request"
        );
        return AppError::Forbidden(
            "This form was sent from another site, so it was refused.".into(),
        )
        .into_response();
    }
    next.run(request).await
}

/// `Sec-Fetch-Site` when the browser sends it (every current one does), else `Origin`
/// against `Host`. A request with neither comes from no browser, so from no victim's.
fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let host = headers.get(header::HOST).map(|host| host.as_bytes());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|origin| origin.split_once("://"))
        .map(|(_scheme, host)| host.as_bytes());
    match (origin_host, host) {
        (Some(origin_host), Some(host)) => !origin_host.eq_ignore_ascii_case(host),
        // `Origin: null` (sandboxed frames, some redirects) or no Host: not provably ours.
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn requests_from_other_sites_are_told_apart() {
        let ours = [("host", "127.0.0.1:3000")];
        assert!(!cross_site(&headers(&ours)), "no browser headers");
        assert!(!cross_site(&headers(&[
            ours[0],
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!cross_site(&headers(&[
            ours[0],
            ("sec-fetch-site", "none")
        ])));
        assert!(cross_site(&headers(&[
            ours[0],
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(cross_site(&headers(&[
            ours[0],
            ("sec-fetch-site", "same-site")
        ])));
        assert!(!cross_site(&headers(&[
            ours[0],
            ("origin", "http://127.0.0.1:3000")
        ])));
        assert!(cross_site(&headers(&[
            ours[0],
            ("origin", "http://evil.example")
        ])));
        assert!(cross_site(&headers(&[ours[0], ("origin", "null")])));
        assert!(cross_site(&headers(&[
            ours[0],
            ("origin", "http://127.0.0.1:3001")
        ])));
    }

    #[test]
    fn tokens_compare_whole() {
        let token = new_token();
        assert_eq!(token.len(), 64);
        assert!(tokens_match(&token, &token));
        assert!(!tokens_match(&token[..63], &token));
        assert!(
            !tokens_match("", ""),
            "an empty expected token never matches"
        );
        assert_eq!(token_in_form(b"a=1&csrf=x%2By"), Some("x+y".into()));
        assert_eq!(
            token_in_form(b"csrf=a&csrf=b"),
            None,
            "two tokens are refused"
        );
        assert_eq!(token_in_form(b"a=1"), None);
    }
}
