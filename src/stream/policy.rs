//! What an app decides about the parts of its pages the engine writes: the document's
//! language, the sources its Content-Security-Policy adds, the texts of the default views
//! and of the no-JavaScript link, the query parameters the engine reads, and the prefix of
//! the engine's metrics. Today's values are the defaults.

use std::borrow::Cow;

/// An app's policy for the engine's own markup, headers, parameters and metrics; set it in
/// [`EngineConfig::policy`](super::EngineConfig::policy). Built from
/// [`PagePolicy::default`] with the methods below, each of which checks its value.
///
/// # Examples
///
/// ```
/// use braid::stream::{EngineConfig, PagePolicy, PageTexts};
///
/// let policy = PagePolicy::default()
///     .lang("fr")?
///     .csp_source("img-src", "https://images.example.com")?
///     .texts(PageTexts {
///         section_failed: "Cette partie n'a pas pu être chargée.".into(),
///         ..PageTexts::default()
///     })
///     .stream_param("flux")?
///     .metric_prefix("acme")?;
/// let config = EngineConfig { policy, ..EngineConfig::default() };
/// # Ok::<(), braid::stream::PolicyError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PagePolicy {
    lang: Cow<'static, str>,
    csp: Vec<(String, Vec<String>)>,
    texts: PageTexts,
    stream_param: Cow<'static, str>,
    debug_param: Cow<'static, str>,
    metric_prefix: Cow<'static, str>,
    /// The policy's CSP header around the nonce, made once.
    csp_around_nonce: (String, String),
}

/// The texts the engine writes into pages (English by default).
#[derive(Debug, Clone)]
pub struct PageTexts {
    /// The link to the in-order version, shown to readers without JavaScript.
    pub no_script_link: Cow<'static, str>,
    /// The default error view's sentence.
    pub section_failed: Cow<'static, str>,
    /// Before the error id in the default error view.
    pub error_id: Cow<'static, str>,
    /// The default timeout view's sentence.
    pub section_timed_out: Cow<'static, str>,
}

impl Default for PageTexts {
    fn default() -> Self {
        PageTexts {
            no_script_link: "Show this page without JavaScript".into(),
            section_failed: "This section could not be loaded.".into(),
            error_id: "Error id".into(),
            section_timed_out: "This section took too long to load.".into(),
        }
    }
}

/// The Content-Security-Policy's directives and sources before an app adds its own. The
/// nonce goes into `script-src`.
const CSP: [(&str, &[&str]); 7] = [
    ("default-src", &["'self'"]),
    ("script-src", &[]),
    ("style-src", &["'self'"]),
    ("img-src", &["'self'", "data:"]),
    ("object-src", &["'none'"]),
    ("base-uri", &["'none'"]),
    ("frame-ancestors", &["'none'"]),
];

impl Default for PagePolicy {
    fn default() -> Self {
        let csp = CSP
            .iter()
            .map(|(directive, sources)| {
                let sources = sources.iter().map(|source| source.to_string()).collect();
                (directive.to_string(), sources)
            })
            .collect();
        let mut policy = PagePolicy {
            lang: "en".into(),
            csp,
            texts: PageTexts::default(),
            stream_param: "stream".into(),
            debug_param: "debug".into(),
            metric_prefix: "braid".into(),
            csp_around_nonce: (String::new(), String::new()),
        };
        policy.csp_around_nonce = policy.render_csp();
        policy
    }
}

/// A policy value braid refuses: it would break the markup, the header or the metrics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} is not valid: {rule}")]
pub struct PolicyError {
    what: &'static str,
    value: String,
    rule: &'static str,
}

fn check(
    what: &'static str,
    value: &str,
    rule: &'static str,
    valid: impl Fn(char) -> bool,
) -> Result<(), PolicyError> {
    if value.is_empty() || !value.chars().all(valid) {
        return Err(PolicyError {
            what,
            value: value.to_string(),
            rule,
        });
    }
    Ok(())
}

impl PagePolicy {
    /// `<html lang>`: a language tag such as `en`, `fr-CA` (BCP 47).
    ///
    /// # Errors
    ///
    /// Unless it is ASCII letters, digits and `-`.
    pub fn lang(mut self, lang: impl Into<Cow<'static, str>>) -> Result<Self, PolicyError> {
        let lang = lang.into();
        check("the language", &lang, "ASCII letters, digits and -", |c| {
            c.is_ascii_alphanumeric() || c == '-'
        })?;
        self.lang = lang;
        Ok(self)
    }

    /// Adds `source` to the Content-Security-Policy's `directive` (a new directive if the
    /// policy has none so named): `("img-src", "https://images.example.com")`. The defaults
    /// are `default-src 'self'; script-src 'nonce-…'; style-src 'self'; img-src 'self'
    /// data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`.
    ///
    /// # Errors
    ///
    /// A directive that is not lower-case letters and `-`, or a source with a space, `;`,
    /// `,` or a character outside visible ASCII (either would change the header's meaning).
    pub fn csp_source(mut self, directive: &str, source: &str) -> Result<Self, PolicyError> {
        check(
            "the CSP directive",
            directive,
            "lower-case letters and -",
            |c| c.is_ascii_lowercase() || c == '-',
        )?;
        check(
            "the CSP source",
            source,
            "visible ASCII without ; or ,",
            |c| c.is_ascii_graphic() && c != ';' && c != ',',
        )?;
        match self.csp.iter_mut().find(|(name, _)| name == directive) {
            Some((_, sources)) => sources.push(source.to_string()),
            None => self
                .csp
                .push((directive.to_string(), vec![source.to_string()])),
        }
        self.csp_around_nonce = self.render_csp();
        Ok(self)
    }

    /// The texts of the default views and of the no-JavaScript link.
    pub fn texts(mut self, texts: PageTexts) -> Self {
        self.texts = texts;
        self
    }

    /// The query parameter that chooses the streaming mode (default `stream`).
    ///
    /// # Errors
    ///
    /// Unless it is ASCII letters, digits, `_` and `-`, and not the debug parameter's name.
    pub fn stream_param(mut self, name: impl Into<Cow<'static, str>>) -> Result<Self, PolicyError> {
        let name = name.into();
        check_param("the stream parameter", &name)?;
        distinct(&name, &self.debug_param)?;
        self.stream_param = name;
        Ok(self)
    }

    /// The query parameter whose value `timeline` asks for the debug timeline (default
    /// `debug`).
    ///
    /// # Errors
    ///
    /// Unless it is ASCII letters, digits, `_` and `-`, and not the stream parameter's name.
    pub fn debug_param(mut self, name: impl Into<Cow<'static, str>>) -> Result<Self, PolicyError> {
        let name = name.into();
        check_param("the debug parameter", &name)?;
        distinct(&name, &self.stream_param)?;
        self.debug_param = name;
        Ok(self)
    }

    /// The prefix of the engine's metric names (default `braid`: `braid_sections_total`).
    ///
    /// # Errors
    ///
    /// Unless it is a Prometheus name: ASCII letters, digits and `_`, not starting with a
    /// digit.
    pub fn metric_prefix(
        mut self,
        prefix: impl Into<Cow<'static, str>>,
    ) -> Result<Self, PolicyError> {
        let prefix = prefix.into();
        check(
            "the metric prefix",
            &prefix,
            "ASCII letters, digits and _",
            |c| c.is_ascii_alphanumeric() || c == '_',
        )?;
        if prefix.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(PolicyError {
                what: "the metric prefix",
                value: prefix.to_string(),
                rule: "a name cannot start with a digit",
            });
        }
        self.metric_prefix = prefix;
        Ok(self)
    }

    pub(crate) fn lang_tag(&self) -> &str {
        &self.lang
    }

    pub(crate) fn page_texts(&self) -> &PageTexts {
        &self.texts
    }

    pub(crate) fn stream_param_name(&self) -> &str {
        &self.stream_param
    }

    pub(crate) fn debug_param_name(&self) -> &str {
        &self.debug_param
    }

    pub(crate) fn metric_prefix_name(&self) -> &str {
        &self.metric_prefix
    }

    /// `<prefix>_<name>`.
    pub(crate) fn metric(&self, name: &str) -> String {
        format!("{}_{name}", self.metric_prefix)
    }

    /// The Content-Security-Policy header with this response's nonce.
    pub(crate) fn content_security_policy(&self, nonce: &str) -> String {
        let (before, after) = &self.csp_around_nonce;
        let mut header = String::with_capacity(before.len() + nonce.len() + after.len());
        header.push_str(before);
        header.push_str(nonce);
        header.push_str(after);
        header
    }

    /// The header, split where the nonce goes (in `script-src`, which every policy has).
    fn render_csp(&self) -> (String, String) {
        let mut header = String::new();
        let mut nonce_at = 0;
        for (directive, sources) in &self.csp {
            if !header.is_empty() {
                header.push_str("; ");
            }
            header.push_str(directive);
            if directive == "script-src" {
                header.push_str(" 'nonce-");
                nonce_at = header.len();
                header.push('\'');
            }
            for source in sources {
                header.push(' ');
                header.push_str(source);
            }
        }
        let after = header.split_off(nonce_at);
        (header, after)
    }
}

/// One query parameter cannot be both: the second meaning would never be read.
fn distinct(name: &str, other: &str) -> Result<(), PolicyError> {
    if name == other {
        return Err(PolicyError {
            what: "the parameter",
            value: name.to_string(),
            rule: "the stream and debug parameters need different names",
        });
    }
    Ok(())
}

fn check_param(what: &'static str, name: &str) -> Result<(), PolicyError> {
    check(what, name, "ASCII letters, digits, _ and -", |c| {
        c.is_ascii_alphanumeric() || c == '_' || c == '-'
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_header_is_todays() {
        assert_eq!(
            PagePolicy::default().content_security_policy("N"),
            "default-src 'self'; script-src 'nonce-N'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
        );
    }

    #[test]
    fn an_app_adds_sources_and_directives() {
        let policy = PagePolicy::default()
            .csp_source("script-src", "https://cdn.example.com")
            .and_then(|policy| policy.csp_source("img-src", "https://img.example.com"))
            .and_then(|policy| policy.csp_source("connect-src", "'self'"))
            .expect("valid");
        let header = policy.content_security_policy("N");
        assert!(
            header.contains("script-src 'nonce-N' https://cdn.example.com;"),
            "{header}"
        );
        assert!(
            header.contains("img-src 'self' data: https://img.example.com;"),
            "{header}"
        );
        assert!(header.ends_with("; connect-src 'self'"), "{header}");
    }

    #[test]
    fn values_that_would_break_the_header_markup_or_metrics_are_refused() {
        let policy = PagePolicy::default;
        assert!(policy().csp_source("img-src", "a; script-src *").is_err());
        assert!(policy().csp_source("img-src", "a b").is_err());
        assert!(policy().csp_source("Img-Src", "a").is_err());
        assert!(policy().lang("en\"><script>").is_err());
        assert!(policy().lang("").is_err());
        assert!(policy().stream_param("a&b").is_err());
        assert!(policy().debug_param("a=b").is_err());
        assert!(policy().debug_param("stream").is_err());
        assert!(policy().stream_param("debug").is_err());
        assert!(policy().metric_prefix("9lives").is_err());
        assert!(policy().metric_prefix("acme-app").is_err());
        assert!(policy().metric_prefix("acme_app").is_ok());
    }
}
