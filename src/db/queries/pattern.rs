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
        /// `%text%` with `\`, `%` and `_` escaped; use with `escape '\'`.
        contains: String,
        /// For text that reads as an amount (`1234.56`, `$1,234`): `%1234.56%` without
        /// the `$` and `,`, to compare with the amount formatted as `1234.56`.
        amount_contains: Option<String>,
        /// See [`Search::date_or_amount`].
        date_or_amount: Option<String>,
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
        let contains = contains_pattern(text);
        let date_or_amount = if reads_as_amount && amount == text {
            Some(contains.clone())
        } else if reads_as_amount {
            // Typed with `$` or `,`: an amount, which follows the only space of the text.
            Some(format!("% {}", contains_pattern(&amount)))
        } else if text.chars().all(|c| c.is_ascii_digit() || c == '-') && !in_no_date(text) {
            Some(contains.clone())
        } else {
            None
        };
        Search::Matching {
            amount_contains: reads_as_amount.then(|| contains_pattern(&amount)),
            contains,
            date_or_amount,
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

    /// The `like` pattern that finds the text in an invoice's date or amount as the
    /// search index holds them (`2026-03-14 1234.56`, see `invoice_search` in the
    /// migrations), or `None` when no date or amount can contain the text. Dates hold
    /// digits and `-`, amounts digits and one `.`; a text typed with `$` or `,` is an amount
    /// only (`% %1234%`: after the space), without them. The pattern holds no wildcard but
    /// its `%`s and needs no `escape` clause (which the trigram index would not use).
    pub(super) fn date_or_amount(&self) -> Option<&str> {
        match self {
            Search::Matching { date_or_amount, .. } => date_or_amount.as_deref(),
            Search::All | Search::Nothing => None,
        }
    }

    /// The parts of [`Search::date_or_amount`] for PostgreSQL, which searches dates and
    /// amounts apart: the `contains` pattern when a date may hold the text, and the amount
    /// pattern when the text reads as an amount, with `x` for the point as the amounts'
    /// index holds them (`1234x56`, see its migration).
    pub(super) fn date_and_amount_parts(&self) -> (Option<&str>, Option<String>) {
        let Search::Matching {
            contains,
            amount_contains,
            date_or_amount: Some(_),
        } = self
        else {
            return (None, None);
        };
        let in_dates = !contains.contains(['.', '$', ',']);
        let amount = amount_contains
            .as_ref()
            .map(|amount| amount.replace('.', "x"));
        (in_dates.then_some(contains.as_str()), amount)
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

/// Two-character texts that no date holds (`YYYY-MM-DD`: a month or day starts with a digit
/// from 0 to 3). The trigram index cannot look up a text shorter than three characters;
/// these would be tested against every invoice to find none.
fn in_no_date(text: &str) -> bool {
    matches!(text.as_bytes(), [b'-', b'-'] | [b'-', b'4'..=b'9'])
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
        assert_eq!(Search::new("ada").date_or_amount(), None);
        assert_eq!(Search::new("2026-03 x").date_or_amount(), None);
        assert_eq!(Search::new("José").date_or_amount(), None);
        assert_eq!(Search::new("2026-03").date_or_amount(), Some("%2026-03%"));
        assert_eq!(Search::new("12.5").date_or_amount(), Some("%12.5%"));
        assert_eq!(Search::new("$1,234").date_or_amount(), Some("% %1234%"));
        assert_eq!(Search::new("1234").date_or_amount(), Some("%1234%"));
        let parts = |text| {
            let search = Search::new(text);
            let (date, amount) = search.date_and_amount_parts();
            (date.map(str::to_string), amount)
        };
        let some = |text: &str| Some(text.to_string());
        assert_eq!(parts("1234"), (some("%1234%"), some("%1234%")));
        assert_eq!(parts("2026-03"), (some("%2026-03%"), None));
        assert_eq!(parts("12.5"), (None, some("%12x5%")));
        assert_eq!(parts("$1,2"), (None, some("%12%")));
        assert_eq!(parts("ada"), (None, None));
        assert_eq!(Search::new("-3").date_or_amount(), Some("%-3%"));
        assert_eq!(Search::new("-4").date_or_amount(), None);
        assert_eq!(Search::new("--").date_or_amount(), None);
        assert_eq!(Search::new("1.-").date_or_amount(), None);
        assert_eq!(
            Search::new(&"x".repeat(MAX_SEARCH_CHARS + 1)),
            Search::Nothing
        );
    }
}
