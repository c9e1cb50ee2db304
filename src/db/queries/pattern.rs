//! Turns a user's search text into `like` patterns that match it literally.

/// Longest search text that can match anything. No searched column is longer: the schema
/// limits emails to 254 characters and names to 200, amounts and dates are short. A longer
/// query is answered "nothing" without asking SQLite (whose `like` also refuses patterns
/// over 50,000 bytes).
pub const MAX_SEARCH_CHARS: usize = 254;

/// What a search text asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Search {
    /// Empty (or blank) text: every row.
    All,
    /// Text that cannot match any column (too long, or a NUL character): no row.
    Nothing,
    /// Rows with a column containing the text, ASCII case ignored.
    Matching {
        /// The text, trimmed, ASCII letters in lower case.
        lowercase: String,
        /// `%text%` with `\`, `%` and `_` escaped; use with `escape '\'`.
        contains: String,
        /// For text that reads as an amount (`1234.56`, `$1,234`): `%1234.56%` without
        /// the `$` and `,`, to compare with the amount formatted as `1234.56`.
        amount_contains: Option<String>,
    },
}

impl Search {
    /// Reads a search box's text. Surrounding whitespace is ignored.
    pub(super) fn new(text: &str) -> Search {
        let text = text.trim();
        if text.is_empty() {
            return Search::All;
        }
        // SQLite's `like` reads its pattern as a C string: a NUL would end it early and
        // `%a\0b%` would match like `%a`. No name, email, date or amount contains one.
        if text.chars().count() > MAX_SEARCH_CHARS || text.contains('\0') {
            return Search::Nothing;
        }
        let amount: String = text.chars().filter(|c| !matches!(c, '$' | ',')).collect();
        let reads_as_amount = amount.chars().any(|c| c.is_ascii_digit())
            && amount.chars().all(|c| c.is_ascii_digit() || c == '.');
        Search::Matching {
            lowercase: text.to_ascii_lowercase(),
            contains: contains_pattern(text),
            amount_contains: reads_as_amount.then(|| contains_pattern(&amount)),
        }
    }

    /// The `contains` pattern, or `None` for [`Search::All`] (the SQL reads `?1 is null` as
    /// "no filter"). Call only after ruling out [`Search::Nothing`].
    pub(super) fn contains(&self) -> Option<&str> {
        match self {
            Search::Matching { contains, .. } => Some(contains),
            Search::All | Search::Nothing => None,
        }
    }

    /// Whether the text is in `value` (a status: `paid`), as `like` would find it.
    pub(super) fn is_in(&self, value: &str) -> bool {
        match self {
            Search::All => true,
            Search::Nothing => false,
            Search::Matching { lowercase, .. } => value.to_ascii_lowercase().contains(lowercase),
        }
    }

    /// Whether the text can be part of a date (`2026-03-07`: digits and `-`) or of an amount
    /// (see `amount_contains`). When it cannot, only customers and statuses match. Text
    /// beyond ASCII answers `true`: PostgreSQL's `ilike` folds its case by the database's
    /// locale (`İ` matches `i`), which [`Search::is_in`] does not model, so it is searched
    /// row by row.
    pub(super) fn may_match_dates_or_amounts(&self) -> bool {
        match self {
            Search::All => true,
            Search::Nothing => false,
            Search::Matching {
                lowercase,
                amount_contains,
                ..
            } => {
                amount_contains.is_some()
                    || !lowercase.is_ascii()
                    || lowercase.chars().all(|c| c.is_ascii_digit() || c == '-')
            }
        }
    }

    /// The amount pattern, if the text reads as an amount.
    pub(super) fn amount_contains(&self) -> Option<&str> {
        match self {
            Search::Matching {
                amount_contains, ..
            } => amount_contains.as_deref(),
            Search::All | Search::Nothing => None,
        }
    }
}

/// `%text%`, with `like`'s wildcards and the escape character itself escaped by `\`.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_wildcards() {
        assert_eq!(contains_pattern(r"50%_a\b"), r"%50\%\_a\\b%");
    }

    #[test]
    fn reads_amounts() {
        let search = Search::new(" $1,234.5 ");
        assert_eq!(search.contains(), Some("%$1,234.5%"));
        assert_eq!(search.amount_contains(), Some("%1234.5%"));
        assert_eq!(Search::new("ada").amount_contains(), None);
        assert_eq!(Search::new("$").amount_contains(), None);
        assert_eq!(Search::new("  "), Search::All);
        assert!(Search::new("PAI").is_in("paid") && !Search::new("PAI").is_in("pending"));
        assert!(!Search::new("ada").may_match_dates_or_amounts());
        assert!(!Search::new("2026-03 x").may_match_dates_or_amounts());
        assert!(Search::new("2026-03").may_match_dates_or_amounts());
        assert!(Search::new("12.5").may_match_dates_or_amounts());
        assert_eq!(
            Search::new(&"x".repeat(MAX_SEARCH_CHARS + 1)),
            Search::Nothing
        );
    }
}
