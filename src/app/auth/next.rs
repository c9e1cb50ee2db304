//! Where to go after signing in: the `next` parameter, kept to local paths so that a link
//! to `/login?next=https://evil.example` cannot send a user elsewhere (an open redirect).

/// Where a signed-in user lands when `next` is missing or refused.
pub const HOME: &str = "/dashboard";

/// Longest `next` kept; longer ones are refused rather than cut.
const MAX_NEXT_BYTES: usize = 2048;

/// `next` if it is a path on this site, else `None`.
///
/// Refused: anything not starting with `/`; `//host` and `/\host` (browsers read both as
/// another host); any backslash, control character or space (browsers drop or rewrite them
/// before resolving, which has turned "local" paths into remote ones).
pub fn local_path(next: &str) -> Option<&str> {
    let mut bytes = next.bytes();
    let local = next.len() <= MAX_NEXT_BYTES
        && bytes.next() == Some(b'/')
        && !matches!(bytes.next(), Some(b'/' | b'\\'))
        && !next
            .bytes()
            .any(|b| b == b'\\' || b.is_ascii_control() || b == b' ');
    local.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_kept() {
        for good in [
            "/",
            "/dashboard",
            "/invoices?query=a%20b&page=2",
            "/invoices/7/edit",
        ] {
            assert_eq!(local_path(good), Some(good));
        }
        for bad in [
            "",
            "dashboard",
            "//evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "/\tevil",
            "/a\\b",
            "/ /evil.example",
            "\u{0}/x",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
        assert_eq!(local_path(&format!("/{}", "a".repeat(3000))), None);
    }
}
