//! `PagePolicy`'s setters on arbitrary values: never panic, and whatever they accept
//! cannot change the Content-Security-Policy's structure (one more source in an existing
//! or new directive, no header-breaking character) or the document's language attribute.

use braid::stream::PagePolicy;

fn main() {
    afl::fuzz!(|input: (&str, &str, &str)| {
        let (directive, source, lang) = input;
        let default = PagePolicy::default();
        let directives = |header: &str| header.matches("; ").count();
        if let Ok(policy) = default.clone().csp_source(directive, source) {
            let header = policy_header(&policy);
            let base = directives(&policy_header(&default));
            assert!(directives(&header) == base || directives(&header) == base + 1);
            assert!(header.chars().all(|c| c.is_ascii_graphic() || c == ' '), "{header:?}");
            assert!(header.contains(source));
        }
        if default.lang(lang.to_string()).is_ok() {
            assert!(lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        }
    });
}

/// The header a response with nonce `N` gets, through the public API: an engine's page.
fn policy_header(policy: &PagePolicy) -> String {
    let engine = braid::stream::Engine::new(braid::stream::EngineConfig {
        policy: policy.clone(),
        ..braid::stream::EngineConfig::default()
    });
    let page = braid::stream::Page::new(&engine, braid::stream::Mode::Blocking);
    let nonce = page.nonce().to_string();
    let response = page.render(braid::stream::Shell {
        head: maud::html! {},
        body: maud::html! {},
    });
    let header = response
        .headers()
        .get("content-security-policy")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    header.replace(&nonce, "N")
}
